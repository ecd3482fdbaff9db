//! CloudWatch alarms a stack owns: one on a single metric (a percentile of
//! the load balancer's response time) and one with metric math (5xx answers
//! per request). They are created as configured, plan no change, change in
//! place (settings, queries and tags), import with a generated configuration
//! that plans no change, are refused on bad input with the attribute named,
//! never take over an alarm made elsewhere, and are deleted.
//!
//! Emulated behaviour relied on: CloudWatch over RPC v2 CBOR (PutMetricAlarm,
//! DescribeAlarms, DeleteAlarms, ListTagsForResource, TagResource,
//! UntagResource), alarms on metrics that have no datapoints yet.

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, Tag,
};
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_changes, assert_no_crash, eventually};

const LB: &str = "app/web/50dc6c495c0c9188";

fn latency(threshold: &str, description: &str) -> String {
    format!(
        r#"
resource "roundrobin_metric_alarm" "slow" {{
  alarm_name          = "web-latency-p99"
  alarm_description   = "{description}"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = {threshold}
  treat_missing_data  = "notBreaching"
  unit                = "Seconds"

  dimensions = {{
    LoadBalancer = "{LB}"
  }}

  tags = {{
    app = "web"
  }}
}}
"#
    )
}

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

async fn alarm(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) -> Result<Option<MetricAlarm>> {
    let out = cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await?;
    Ok(out.metric_alarms().first().cloned())
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

#[tokio::test]
async fn bad_alarms_are_refused_at_plan_time_on_their_attribute() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    let single = |settings: &str| {
        format!(
            r#"{PROVIDER}
resource "roundrobin_metric_alarm" "bad" {{
  alarm_name          = "bad"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  {settings}
}}
"#
        )
    };
    let metric = r#"namespace = "AWS/EC2"
  metric_name = "CPUUtilization""#;
    let cases = [
        (
            single(&format!(
                "{metric}\n  statistic = \"Average\"\n  period = 90\n  threshold = 1"
            )),
            "Invalid period",
        ),
        (
            single(&format!("{metric}\n  period = 60\n  threshold = 1")),
            "Missing statistic",
        ),
        (
            single(&format!(
                "{metric}\n  statistic = \"Average\"\n  extended_statistic = \"p99\"\n  period = 60\n  threshold = 1"
            )),
            "Conflicting statistics",
        ),
        (
            single(&format!(
                "{metric}\n  statistic = \"Average\"\n  period = 60"
            )),
            "Missing threshold",
        ),
        (
            single(&format!(
                "{metric}\n  statistic = \"Average\"\n  period = 60\n  threshold = 1\n  datapoints_to_alarm = 3"
            )),
            "Too many datapoints to alarm",
        ),
        (
            single(&format!(
                "{metric}\n  statistic = \"Average\"\n  period = 360000\n  threshold = 1"
            )),
            "Evaluation too long",
        ),
        (
            single(
                r#"threshold = 1
  metric_query {
    id         = "a"
    expression = "1"
  }
  metric_query {
    id         = "b"
    expression = "2"
  }"#,
            ),
            "Exactly one query must return data",
        ),
        (
            single(
                r#"threshold = 1
  namespace = "AWS/EC2"
  metric_query {
    id         = "a"
    expression = "1"
  }"#,
            ),
            "namespace not used with metric_query",
        ),
        (
            single(
                r#"threshold = 1
  metric_query {
    id         = "Total"
    expression = "1"
    metric {
      namespace   = "AWS/EC2"
      metric_name = "CPUUtilization"
      period      = 45
      stat        = "Sum"
    }
  }"#,
            ),
            "metric_query[0].metric.period",
        ),
    ];
    for (config, error) in cases {
        workspace.write_config(&config)?;
        let failed = workspace.plan_expecting_failure()?;
        assert_no_crash(&failed);
        assert!(failed.combined().contains(error), "{error}:\n{failed}");
    }
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
