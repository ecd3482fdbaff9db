//! CloudWatch alarms a stack owns: one on a single metric (a percentile of
//! the load balancer's response time) and one with metric math (5xx answers
//! per request). They are created as configured, plan no change, change in
//! place (settings, queries and tags) and are deleted; one changed or deleted
//! elsewhere shows in the plan and the apply puts it back.
//!
//! Emulated behaviour relied on: CloudWatch over RPC v2 CBOR (PutMetricAlarm,
//! DescribeAlarms, DeleteAlarms, ListTagsForResource, TagResource,
//! UntagResource), alarms on metrics that have no datapoints yet.

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension};
use e2e::{MotoServer, Workspace};

use crate::metric_alarm_fixtures::{LB, alarm, latency};
use crate::support::{PROVIDER, assert_no_changes};

fn error_rate(expression: &str, tags: &str) -> String {
    format!(
        r#"
resource "roundrobin_metric_alarm" "errors" {{
  alarm_name          = "web-error-rate"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 0.01
  evaluation_periods  = 2

  metric_query {{
    id         = "rate"
    expression = "{expression}"
    label      = "5xx per request"
  }}

  metric_query {{
    id          = "errors"
    return_data = false

    metric {{
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = {{ LoadBalancer = "{LB}" }}
    }}
  }}

  metric_query {{
    id          = "requests"
    return_data = false

    metric {{
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = {{ LoadBalancer = "{LB}" }}
    }}
  }}

  tags = {{ {tags} }}
}}
"#
    )
}

async fn tags(cloudwatch: &aws_sdk_cloudwatch::Client, arn: &str) -> Result<Vec<(String, String)>> {
    let out = cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await?;
    let mut tags: Vec<(String, String)> = out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect();
    tags.sort();
    Ok(tags)
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}

#[tokio::test]
async fn alarms_are_created_changed_in_place_and_deleted() -> Result<()> {
    let moto = MotoServer::start()?;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!(
        "{PROVIDER}{}{}",
        latency("0.25", "slow answers"),
        error_rate("FILL(errors, 0) / requests", "team = \"web\"")
    ))?;
    workspace.apply()?;

    let slow = alarm(&cloudwatch, "web-latency-p99")
        .await?
        .context("no latency alarm")?;
    assert_eq!(slow.extended_statistic(), Some("p99"));
    assert_eq!(slow.threshold(), Some(0.25));
    assert_eq!(slow.datapoints_to_alarm(), Some(2));
    assert_eq!(slow.treat_missing_data(), Some("notBreaching"));
    assert_eq!(slow.dimensions().len(), 1);
    let slow_arn = slow.alarm_arn().context("no ARN")?.to_string();
    assert_eq!(tags(&cloudwatch, &slow_arn).await?, [pair("app", "web")]);

    let errors = alarm(&cloudwatch, "web-error-rate")
        .await?
        .context("no error-rate alarm")?;
    let ids: Vec<_> = errors.metrics().iter().filter_map(|q| q.id()).collect();
    assert_eq!(ids, ["rate", "errors", "requests"]);
    assert_eq!(
        errors.metrics()[0].expression(),
        Some("FILL(errors, 0) / requests")
    );
    assert_eq!(errors.metrics()[1].return_data(), Some(false));
    let errors_arn = errors.alarm_arn().context("no ARN")?.to_string();
    assert_no_changes(&workspace)?;

    workspace.write_config(&format!(
        "{PROVIDER}{}{}",
        latency("0.5", "very slow answers"),
        error_rate("errors / requests", "team = \"edge\", tier = \"front\"")
    ))?;
    let changed = workspace.apply()?;
    assert!(
        changed.stdout.contains("0 added, 2 changed, 0 destroyed"),
        "{changed}"
    );
    let slow = alarm(&cloudwatch, "web-latency-p99")
        .await?
        .context("no latency alarm")?;
    assert_eq!(slow.threshold(), Some(0.5));
    assert_eq!(slow.alarm_description(), Some("very slow answers"));
    let errors = alarm(&cloudwatch, "web-error-rate")
        .await?
        .context("no error-rate alarm")?;
    assert_eq!(errors.metrics()[0].expression(), Some("errors / requests"));
    assert_eq!(
        tags(&cloudwatch, &errors_arn).await?,
        [pair("team", "edge"), pair("tier", "front")]
    );
    assert_no_changes(&workspace)?;

    workspace.destroy()?;
    assert!(alarm(&cloudwatch, "web-latency-p99").await?.is_none());
    assert!(alarm(&cloudwatch, "web-error-rate").await?.is_none());
    Ok(())
}

#[tokio::test]
async fn an_alarm_changed_or_deleted_elsewhere_shows_in_the_plan() -> Result<()> {
    let moto = MotoServer::start()?;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!("{PROVIDER}{}", latency("0.25", "slow")))?;
    workspace.apply()?;

    cloudwatch
        .put_metric_alarm()
        .alarm_name("web-latency-p99")
        .alarm_description("slow")
        .namespace("AWS/ApplicationELB")
        .metric_name("TargetResponseTime")
        .extended_statistic("p99")
        .period(60)
        .evaluation_periods(3)
        .datapoints_to_alarm(2)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .threshold(9.0)
        .treat_missing_data("notBreaching")
        .unit(aws_sdk_cloudwatch::types::StandardUnit::Seconds)
        .dimensions(Dimension::builder().name("LoadBalancer").value(LB).build())
        .send()
        .await?;
    let drift = workspace.plan_detailed()?;
    assert_eq!(drift.code, Some(2), "{drift}");
    assert!(drift.stdout.contains("threshold"), "{drift}");
    assert!(drift.stdout.contains("1 to change"), "{drift}");

    cloudwatch
        .delete_alarms()
        .alarm_names("web-latency-p99")
        .send()
        .await?;
    let gone = workspace.plan_detailed()?;
    assert!(gone.stdout.contains("1 to add"), "{gone}");
    workspace.apply()?;
    assert!(alarm(&cloudwatch, "web-latency-p99").await?.is_some());
    assert_no_changes(&workspace)?;
    Ok(())
}
