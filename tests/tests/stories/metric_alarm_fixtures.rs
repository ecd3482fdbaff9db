//! What the metric alarm stories share: the load balancer their metrics
//! name, the latency alarm's configuration (a percentile of the load
//! balancer's response time) and a look at an alarm in CloudWatch.

use anyhow::Result;
use aws_sdk_cloudwatch::types::MetricAlarm;

/// The load balancer the alarms' metrics name.
pub(crate) const LB: &str = "app/web/50dc6c495c0c9188";

/// The latency alarm `slow` (`web-latency-p99`), with this threshold and description.
pub(crate) fn latency(threshold: &str, description: &str) -> String {
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

/// The alarm of that name, if CloudWatch has one.
pub(crate) async fn alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Result<Option<MetricAlarm>> {
    let out = cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await?;
    Ok(out.metric_alarms().first().cloned())
}
