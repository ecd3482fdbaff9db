//! Watching a gated rollout: each look at the refresh logs the checkpoint
//! reached and the gate's figures (read with GetMetricData), notes the
//! instances on the new version, and remembers the first alarm seen in
//! ALARM, with its figure and threshold, for the failure's diagnostic.

use aws_sdk_autoscaling::types::InstanceRefresh;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::ScanBy;

use super::gate::GateAlarm;
use super::gate_alarms::queries_of;
use super::health::describe_group;
use crate::aws::Aws;
use crate::aws::alarms::{describe_alarms, sdk_query};

/// A failed rollout's story, in sentences.
pub struct Verdict {
    /// The alarm that stopped it, its figure and threshold (ends with a space).
    pub stopped_by: String,
    /// The instances that ran the new version (starts with a space).
    pub new_instances: String,
}

/// What one rollout has shown so far.
pub struct Watch {
    group: String,
    new_version: String,
    gate: Vec<GateAlarm>,
    /// Every alarm in the refresh's alarm specification (the user's too).
    alarms: Vec<String>,
    /// The first alarm seen in ALARM, said for the user.
    pub tripped: Option<String>,
    /// The instances last seen on the new version (while there were any).
    pub new_instances: Vec<String>,
    last_progress: String,
    last_figures: String,
}

impl Watch {
    pub fn new(group: &str, new_version: &str, gate: &[GateAlarm], user_alarms: &[String]) -> Self {
        let mut alarms: Vec<String> = gate.iter().map(|a| a.name.clone()).collect();
        alarms.extend(user_alarms.iter().cloned());
        Self {
            group: group.to_string(),
            new_version: new_version.to_string(),
            gate: gate.to_vec(),
            alarms,
            tripped: None,
            new_instances: Vec::new(),
            last_progress: String::new(),
            last_figures: String::new(),
        }
    }

    pub async fn observe(&mut self, aws: &Aws, refresh: &InstanceRefresh) {
        let progress = format!(
            "{}% {} {}",
            refresh.percentage_complete().unwrap_or(0),
            refresh.status().map(|s| s.as_str()).unwrap_or("?"),
            refresh.status_reason().unwrap_or_default()
        );
        if progress != self.last_progress {
            tracing::info!(
                group = %self.group,
                percent = refresh.percentage_complete().unwrap_or(0),
                status = refresh.status().map(|s| s.as_str()).unwrap_or("?"),
                reason = refresh.status_reason().unwrap_or_default(),
                "rollout progress (checkpoint reached when the reason says so)"
            );
            self.last_progress = progress;
        }
        self.note_new_instances(aws).await;
        let figures = self.figures(aws).await;
        if !figures.is_empty() && figures != self.last_figures {
            tracing::info!(group = %self.group, figures = %figures, "rollout gate figures");
            self.last_figures = figures;
        }
        if self.tripped.is_none() {
            self.tripped = self.first_alarm(aws).await;
        }
    }

    /// What stopped the rollout and which instances ran the new version,
    /// as sentences for the failure's diagnostic (empty when nothing is known).
    pub async fn verdict(mut self, aws: &Aws) -> Verdict {
        if self.tripped.is_none() {
            self.tripped = self.first_alarm(aws).await;
        }
        Verdict {
            stopped_by: self
                .tripped
                .map(|t| format!("The rollout was stopped by {t}. "))
                .unwrap_or_default(),
            new_instances: match self.new_instances.is_empty() {
                true => String::new(),
                false => format!(
                    " Instances that ran launch template version {}: {}.",
                    self.new_version,
                    self.new_instances.join(", ")
                ),
            },
        }
    }

    async fn note_new_instances(&mut self, aws: &Aws) {
        let Ok(Some(group)) = describe_group(aws, &self.group).await else {
            return;
        };
        let on_new: Vec<String> = group
            .instances()
            .iter()
            .filter(|i| i.launch_template().and_then(|t| t.version()) == Some(&self.new_version))
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        if !on_new.is_empty() {
            self.new_instances = on_new;
        }
    }

    /// The gate's latest figures, e.g. `error-rate: 0.50% of requests failed
    /// (max_error_rate 0.01)`; empty without a gate or data.
    async fn figures(&self, aws: &Aws) -> String {
        let mut said = Vec::new();
        for alarm in &self.gate {
            let shown = match latest(aws, alarm).await {
                Some(v) => alarm.show(v),
                None => "no verdict yet (too few requests)".to_string(),
            };
            said.push(format!(
                "{}: {shown} ({})",
                alarm.name,
                alarm.show_threshold()
            ));
        }
        said.join("; ")
    }

    async fn first_alarm(&self, aws: &Aws) -> Option<String> {
        let views = describe_alarms(aws, &self.alarms).await.ok()?;
        let firing = views.into_iter().find(|v| v.state == "ALARM")?;
        let reason = firing.state_reason.unwrap_or_default();
        let Some(gate) = self.gate.iter().find(|a| a.name == firing.spec.name) else {
            return Some(format!(
                "alarm {} went to ALARM: {reason}",
                firing.spec.name
            ));
        };
        // The figure the alarm judged, not a later window's.
        let judged = match firing.state_reason_data.as_deref().and_then(judged_figure) {
            Some(v) => Some(v),
            None => latest(aws, gate).await,
        };
        let figure = judged
            .map(|v| format!("{}, ", gate.show(v)))
            .unwrap_or_default();
        Some(format!(
            "alarm {} went to ALARM: {figure}above {} (CloudWatch: {reason})",
            gate.name,
            gate.show_threshold()
        ))
    }
}

/// The highest figure among the datapoints an alarm judged (its
/// `StateReasonData.recentDatapoints`): the gate's alarms fire above their
/// threshold, so that is a figure that crossed it.
fn judged_figure(reason_data: &str) -> Option<f64> {
    let data: serde_json::Value = serde_json::from_str(reason_data).ok()?;
    data.get("recentDatapoints")?
        .as_array()?
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .reduce(f64::max)
}

/// The latest value of the alarm's expression over the last three windows.
async fn latest(aws: &Aws, alarm: &GateAlarm) -> Option<f64> {
    let now = std::time::SystemTime::now();
    let window = std::time::Duration::from_secs(u64::try_from(alarm.period).ok()? * 3);
    let answer = aws
        .cloudwatch
        .get_metric_data()
        .set_metric_data_queries(Some(queries_of(alarm).iter().map(sdk_query).collect()))
        .start_time(DateTime::from(now.checked_sub(window)?))
        .end_time(DateTime::from(now))
        .scan_by(ScanBy::TimestampDescending)
        .send()
        .await
        .map_err(|e| tracing::debug!(error = %e, "reading the gate's figures"))
        .ok()?;
    let watched = alarm.queries.iter().find(|q| q.return_data)?;
    answer
        .metric_data_results()
        .iter()
        .find(|r| r.id() == Some(watched.id.as_str()))
        .and_then(|r| r.values().first().copied())
}

#[cfg(test)]
mod tests {
    use super::judged_figure;

    #[test]
    fn the_failure_names_the_figure_the_alarm_judged() {
        let data =
            r#"{"version":"1.0","period":60,"recentDatapoints":[0.0,0.0333],"threshold":0.01}"#;
        assert_eq!(judged_figure(data), Some(0.0333));
        assert_eq!(judged_figure(r#"{"recentDatapoints":[]}"#), None);
        assert_eq!(judged_figure("not json"), None);
    }
}
