//! The example stack with its rollout gated on real traffic, as the gate
//! stages apply it: an override file (`gate_override.tf`, Terraform merges it
//! into `terraform/main.tf`'s group) whose `rollout` block adds checkpoints
//! and the gate. The same settings give the bounds the stages assert.

use std::time::Duration;

/// The gated rollout's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSettings {
    /// CheckpointPercentages: the refresh pauses at each.
    pub checkpoints: Vec<u32>,
    /// CheckpointDelay, waited in real seconds by the live emulator.
    pub checkpoint_delay: Duration,
    /// InstanceWarmup of each new instance, in real seconds.
    pub instance_warmup: Duration,
    /// 5xx answers (the targets' and the load balancer's) per request.
    pub max_error_rate: f64,
    /// TargetResponseTime p99.
    pub max_latency_p99: Duration,
    /// The gate's CloudWatch period, as written (a multiple of 60 s); it lasts
    /// `window × metric_time_scale` real seconds.
    pub window: Duration,
    /// Fewer requests in a window: no verdict.
    pub min_requests: u32,
}

/// The file Terraform merges into `terraform/main.tf`.
pub const OVERRIDE_FILE: &str = "gate_override.tf";

impl GateSettings {
    /// The settings of the story's gate: checkpoints at 50 % and 100 %, a
    /// 1 % error rate, a 250 ms p99 over 60-second windows of at least 20
    /// requests. A new instance's warmup and the pause at a checkpoint
    /// outlast two of the gate's (shortened) windows, so a bad build is
    /// judged before the refresh goes on.
    pub fn story() -> GateSettings {
        GateSettings {
            checkpoints: vec![50, 100],
            checkpoint_delay: Duration::from_secs(10),
            instance_warmup: Duration::from_secs(3),
            max_error_rate: 0.01,
            max_latency_p99: Duration::from_millis(250),
            window: Duration::from_secs(60),
            min_requests: 20,
        }
    }

    /// The share of the group on the new version while the refresh waits
    /// at its first checkpoint.
    pub fn first_share(&self) -> f64 {
        f64::from(self.checkpoints.first().copied().unwrap_or(100)) / 100.0
    }

    /// The text of [`OVERRIDE_FILE`].
    pub fn override_file(&self) -> String {
        let checkpoints: Vec<String> = self.checkpoints.iter().map(u32::to_string).collect();
        format!(
            r#"# The example stack's rollout, gated on real traffic: the refresh pauses
# at each checkpoint, and the gate's alarms (made by the provider around the
# rollout) stop it and roll it back when the load balancer sees too many
# 5xx answers or too slow a p99.
resource "roundrobin_autoscaling_group" "app" {{
  rollout {{
    strategy               = "instance_refresh"
    min_healthy_percentage = 100
    max_healthy_percentage = 200
    instance_warmup        = {warmup}
    checkpoints            = [{checkpoints}]
    checkpoint_delay       = "{delay}s"

    gate {{
      max_error_rate  = {error_rate}
      max_latency_p99 = "{latency}ms"
      window          = "{window}s"
      min_requests    = {min_requests}
    }}
  }}
}}
"#,
            warmup = self.instance_warmup.as_secs(),
            checkpoints = checkpoints.join(", "),
            delay = self.checkpoint_delay.as_secs(),
            error_rate = self.max_error_rate,
            latency = self.max_latency_p99.as_millis(),
            window = self.window.as_secs(),
            min_requests = self.min_requests,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_holds_the_checkpoints_and_the_gate() {
        let settings = GateSettings::story();
        let text = settings.override_file();
        assert!(
            text.contains("checkpoints            = [50, 100]"),
            "{text}"
        );
        assert!(text.contains("checkpoint_delay       = \"10s\""), "{text}");
        assert!(text.contains("max_error_rate  = 0.01"), "{text}");
        assert!(text.contains("max_latency_p99 = \"250ms\""), "{text}");
        assert!(text.contains("window          = \"60s\""), "{text}");
        assert!(text.contains("min_requests    = 20"), "{text}");
        assert!((settings.first_share() - 0.5).abs() < f64::EPSILON);
    }
}
