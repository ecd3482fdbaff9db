//! Bad alarms are refused at plan time with the attribute named: a period
//! CloudWatch does not take, a missing or doubled statistic, no threshold,
//! more datapoints than periods, an evaluation too long, metric queries
//! returning no single series or mixed with a single metric.
//!
//! Emulated behaviour relied on: nothing; the errors come from validation
//! before any call.

use anyhow::Result;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_crash};

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
