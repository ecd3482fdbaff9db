//! Instance launch → healthy in its target group, measured on the live
//! stack: one more instance for the group, timed from the scale-out call to
//! the first `healthy` of its target (the load balancer's real checks), then
//! the group scaled back.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::demo::cloud::Cloud;

const LIMIT: Duration = Duration::from_secs(300);

async fn healthy_targets(sdk: &Cloud, target_group: &str) -> Result<BTreeSet<String>> {
    let health = sdk
        .elb
        .describe_target_health()
        .target_group_arn(target_group)
        .send()
        .await
        .context("DescribeTargetHealth")?;
    Ok(health
        .target_health_descriptions()
        .iter()
        .filter(|d| {
            d.target_health()
                .and_then(|h| h.state())
                .map(|s| s.as_str())
                == Some("healthy")
        })
        .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_owned))
        .collect())
}

/// Scales `group` out by one and times its new instance until healthy.
pub async fn launch_to_healthy(sdk: &Cloud, group: &str, target_group: &str) -> Result<Duration> {
    let before = healthy_targets(sdk, target_group).await?;
    let capacity = i32::try_from(before.len()).unwrap_or(2);
    let started = Instant::now();
    sdk.autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(group)
        .desired_capacity(capacity + 1)
        .send()
        .await
        .context("SetDesiredCapacity")?;
    let took = loop {
        let now = healthy_targets(sdk, target_group).await?;
        if now.difference(&before).next().is_some() {
            break started.elapsed();
        }
        if started.elapsed() > LIMIT {
            bail!("the new instance was not healthy after {LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    sdk.autoscaling
        .set_desired_capacity()
        .auto_scaling_group_name(group)
        .desired_capacity(capacity)
        .send()
        .await
        .context("SetDesiredCapacity")?;
    Ok(took)
}
