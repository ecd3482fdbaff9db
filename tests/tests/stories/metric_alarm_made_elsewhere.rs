//! Alarms made with the API, one on a metric and one with metric math,
//! import with a generated configuration (and `terraform import`) that plans
//! no change; a configuration naming one of them never takes it over: the
//! create is refused with the import that would adopt it.
//!
//! Emulated behaviour relied on: CloudWatch over RPC v2 CBOR (PutMetricAlarm
//! with tags and metric queries, DescribeAlarms, ListTagsForResource).

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Tag,
};
use e2e::{MotoServer, Workspace};

use crate::metric_alarm_fixtures::{LB, alarm, latency};
use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

/// Alarms made with the API: one on a metric, one with metric math.
async fn make_alarms(cloudwatch: &aws_sdk_cloudwatch::Client) -> Result<()> {
    let dimension = Dimension::builder().name("LoadBalancer").value(LB).build();
    cloudwatch
        .put_metric_alarm()
        .alarm_name("made-by-hand")
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_ELB_5XX_Count")
        .dimensions(dimension.clone())
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(300)
        .evaluation_periods(1)
        .threshold(5.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .tags(Tag::builder().key("owner").value("ops").build())
        .send()
        .await?;
    let stat = |name: &str| {
        MetricStat::builder()
            .metric(
                Metric::builder()
                    .namespace("AWS/ApplicationELB")
                    .metric_name(name)
                    .dimensions(dimension.clone())
                    .build(),
            )
            .period(60)
            .stat("Sum")
            .build()
    };
    cloudwatch
        .put_metric_alarm()
        .alarm_name("math-by-hand")
        .evaluation_periods(2)
        .datapoints_to_alarm(2)
        .threshold(0.05)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .metrics(
            MetricDataQuery::builder()
                .id("share")
                .expression("bad / all")
                .return_data(true)
                .build(),
        )
        .metrics(
            MetricDataQuery::builder()
                .id("bad")
                .metric_stat(stat("HTTPCode_Target_5XX_Count"))
                .return_data(false)
                .build(),
        )
        .metrics(
            MetricDataQuery::builder()
                .id("all")
                .metric_stat(stat("RequestCount"))
                .return_data(false)
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn alarms_made_elsewhere_import_with_a_generated_configuration() -> Result<()> {
    let moto = MotoServer::start()?;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    make_alarms(&cloudwatch).await?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!(
        r#"{PROVIDER}
import {{
  to = roundrobin_metric_alarm.single
  id = "made-by-hand"
}}

import {{
  to = roundrobin_metric_alarm.math
  id = "math-by-hand"
}}
"#
    ))?;
    let generated = eventually("the alarms visible to an import", || async {
        let out = workspace.run(&[
            "plan",
            "-generate-config-out=generated.tf",
            "-no-color",
            "-input=false",
        ])?;
        if out.success() {
            Ok(out)
        } else {
            let _ = std::fs::remove_file(workspace.path().join("generated.tf"));
            Err(anyhow::anyhow!("{out}"))
        }
    })
    .await?;
    let text = std::fs::read_to_string(workspace.path().join("generated.tf"))?;
    let validate = workspace.run(&["validate", "-no-color"])?;
    assert!(validate.success(), "{validate}\n{generated}\n{text}");
    let plan = workspace.plan()?;
    assert!(
        plan.stdout
            .contains("Plan: 2 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}\n{text}"
    );
    let applied = workspace.apply()?;
    assert!(
        applied
            .stdout
            .contains("Resources: 2 imported, 0 added, 0 changed, 0 destroyed."),
        "{applied}"
    );
    assert_no_changes(&workspace)?;

    // terraform import of one, into the generated configuration.
    workspace.run(&["state", "rm", "roundrobin_metric_alarm.math"])?;
    workspace.import("roundrobin_metric_alarm.math", "math-by-hand")?;
    assert_no_changes(&workspace)?;
    Ok(())
}

#[tokio::test]
async fn an_alarm_made_elsewhere_is_not_taken_over() -> Result<()> {
    let moto = MotoServer::start()?;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&moto.sdk_config().await);
    make_alarms(&cloudwatch).await?;
    let workspace = Workspace::new(&moto)?;
    workspace.write_config(&format!(
        "{PROVIDER}{}",
        latency("0.25", "slow").replace("web-latency-p99", "made-by-hand")
    ))?;
    let failed = workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains("alarm \"made-by-hand\" already exists"),
        "{failed}"
    );
    assert!(
        text.contains("terraform import 'roundrobin_metric_alarm.NAME' 'made-by-hand'"),
        "{failed}"
    );
    let kept = alarm(&cloudwatch, "made-by-hand")
        .await?
        .context("the alarm is gone")?;
    assert_eq!(kept.metric_name(), Some("HTTPCode_ELB_5XX_Count"));
    Ok(())
}
