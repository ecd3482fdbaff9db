//! The `rollout` block of `roundrobin_autoscaling_group`: its model, its
//! schema, and the checks of its knobs that Terraform runs at plan time.
//!
//! The instance refresh knobs follow AWS's `RefreshPreferences`
//! (CheckpointPercentages, CheckpointDelay, BakeTime, AlarmSpecification,
//! SkipMatching); `gate` becomes CloudWatch alarms the provider creates
//! around each rollout (see [`super::gate`]).

use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Block, Diagnostics, NestedBlock, Validator};

/// AWS's bound on CheckpointDelay and BakeTime: 172,800 seconds (two days).
const MAX_REFRESH_PAUSE_SECS: u64 = 172_800;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    pub strategy: Option<String>,
    pub min_healthy_percentage: Option<i64>,
    pub max_healthy_percentage: Option<i64>,
    pub instance_warmup: Option<i64>,
    pub wait: Option<bool>,
    pub auto_rollback: Option<bool>,
    pub checkpoints: Option<Vec<i64>>,
    pub checkpoint_delay: Option<String>,
    pub bake_time: Option<String>,
    pub alarms: Option<Vec<String>>,
    pub skip_matching: Option<bool>,
    pub gate: Option<Gate>,
}

/// `rollout.gate`: thresholds on the traffic the group's target groups see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    pub max_error_rate: Option<f64>,
    pub max_latency_p99: Option<String>,
    pub window: Option<String>,
    pub min_requests: Option<i64>,
}

impl Default for Rollout {
    fn default() -> Self {
        Self {
            strategy: Some("instance_refresh".into()),
            min_healthy_percentage: Some(100),
            max_healthy_percentage: Some(200),
            instance_warmup: Some(30),
            wait: Some(true),
            auto_rollback: Some(true),
            checkpoints: None,
            checkpoint_delay: None,
            bake_time: None,
            alarms: None,
            skip_matching: Some(true),
            gate: None,
        }
    }
}

impl Rollout {
    pub fn surge(&self) -> bool {
        self.strategy.as_deref() == Some("surge")
    }
    pub fn waits(&self) -> bool {
        self.wait.unwrap_or(true)
    }
    pub fn rolls_back(&self) -> bool {
        self.auto_rollback.unwrap_or(true)
    }
    pub fn checkpoint_delay_secs(&self) -> Option<u64> {
        self.checkpoint_delay.as_deref().and_then(whole_seconds)
    }
    pub fn bake_time_secs(&self) -> Option<u64> {
        self.bake_time.as_deref().and_then(whole_seconds)
    }
}

impl Gate {
    /// The window in seconds (validated at plan time; 60 if unreadable).
    pub fn window_secs(&self) -> u64 {
        self.window.as_deref().and_then(whole_seconds).unwrap_or(60)
    }
    pub fn min_requests(&self) -> i64 {
        self.min_requests.unwrap_or(20).max(1)
    }
    /// `max_latency_p99` in seconds, TargetResponseTime's unit.
    pub fn max_latency_secs(&self) -> Option<f64> {
        let millis = parse_millis(self.max_latency_p99.as_deref()?)?;
        Some(millis as f64 / 1000.0)
    }
}

/// A duration such as `250ms`, `30s`, `5m`, `1h30m` or `0s`, in milliseconds.
pub fn parse_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: u64 = digits.parse().ok()?;
        digits.clear();
        let unit = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            'h' => 3_600_000,
            'm' => 60_000,
            's' => 1_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    (digits.is_empty() && any).then_some(total)
}

/// A duration in whole seconds (`None` when unreadable or not whole).
pub fn whole_seconds(text: &str) -> Option<u64> {
    let millis = parse_millis(text)?;
    (millis % 1000 == 0).then_some(millis / 1000)
}

pub fn block() -> Block {
    let gate = Block::new("A canary gate on the traffic the group's target groups see: the provider creates CloudWatch alarms on the load balancer's metrics before the instance refresh, names them in its alarm specification (an alarm in ALARM stops the refresh and, with `auto_rollback`, rolls it back), and deletes them when the rollout ends. Needs `target_group_arns` behind a load balancer and `wait = true`.")
        .attribute(Attribute::optional("max_error_rate", Type::Number).describe("Largest share of 5xx answers per request in a window, e.g. `0.01`: the target group's `HTTPCode_Target_5XX_Count` plus the load balancer's `HTTPCode_ELB_5XX_Count`, divided by the target groups' `RequestCount`. Between 0 and 1, exclusive."))
        .attribute(Attribute::optional("max_latency_p99", Type::String).describe("Largest 99th percentile of `TargetResponseTime` in a window, e.g. `\"250ms\"`; with several target groups, the slowest decides."))
        .attribute(Attribute::defaulted("window", Type::String, "60s").describe("The period each figure covers: a whole number of minutes (CloudWatch's periods for load balancer metrics are multiples of 60 seconds), at most 24h."))
        .attribute(Attribute::defaulted("min_requests", Type::Number, 20_i64).validate(Validator::IntBetween(1, 1_000_000)).describe("Fewer requests than this in a window give no verdict: the gate neither passes nor stops the rollout on so little traffic, it waits."));
    Block::new("How a new launch template version reaches the instances.")
        .attribute(Attribute::defaulted("strategy", Type::String, "instance_refresh").validate(Validator::OneOf(&["instance_refresh", "surge"])).describe("`instance_refresh` (AWS instance refresh with the new version as its desired configuration) or `surge` (double the capacity, wait for the new instances to be healthy, scale back in removing the old ones)."))
        .attribute(Attribute::defaulted("min_healthy_percentage", Type::Number, 100_i64).validate(Validator::IntBetween(0, 100)).describe("Capacity that must stay healthy during the rollout, in percent."))
        .attribute(Attribute::defaulted("max_healthy_percentage", Type::Number, 200_i64).validate(Validator::IntBetween(100, 200)).describe("Capacity the rollout may go up to, in percent: 200 launches replacements before removing old instances."))
        .attribute(Attribute::defaulted("instance_warmup", Type::Number, 30_i64).validate(Validator::IntBetween(0, 3600)).describe("Seconds a new instance needs before it counts as healthy."))
        .attribute(Attribute::defaulted("wait", Type::Bool, true).describe("Return from apply only when the new instances are InService and healthy in every target group."))
        .attribute(Attribute::defaulted("auto_rollback", Type::Bool, true).describe("On failure or timeout, put the group back on the previous launch template version."))
        .attribute(Attribute::optional("checkpoints", Type::list(Type::Number)).describe("Percentages of the group replaced at which the refresh pauses for `checkpoint_delay`, ascending, ending with 100, e.g. `[50, 100]` (AWS's CheckpointPercentages)."))
        .attribute(Attribute::optional("checkpoint_delay", Type::String).describe("How long the refresh waits at each checkpoint, e.g. `\"60s\"`, at most 48h. Left out with `checkpoints` set, AWS waits one hour."))
        .attribute(Attribute::optional("bake_time", Type::String).describe("How long the refresh keeps watching its alarms after the last replacement before it succeeds, e.g. `\"2m\"`, at most 48h (AWS's BakeTime)."))
        .attribute(Attribute::optional("alarms", Type::list(Type::String)).describe("Names of CloudWatch alarms that stop the refresh when they go to ALARM (with `auto_rollback`, the refresh is rolled back), e.g. `[roundrobin_metric_alarm.errors.alarm_name]`."))
        .attribute(Attribute::defaulted("skip_matching", Type::Bool, true).describe("Leave instances that already run the new version in place (AWS's SkipMatching)."))
        .block(NestedBlock::single("gate", gate))
}

/// Checks of the knobs, each on its attribute path; unknown values are
/// checked at apply time, when they are known.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let Some(rollout) = config
        .get_attr("rollout")
        .filter(|r| r.is_known() && !r.is_null())
    else {
        return;
    };
    let path = Path::root().attr("rollout");
    let known = |name: &str| {
        rollout
            .get_attr(name)
            .filter(|v| v.is_known() && !v.is_null())
    };
    let surge = known("strategy").and_then(Value::as_str) == Some("surge");
    if let Some(list) = known("checkpoints").and_then(Value::as_elements) {
        check_checkpoints(list, &path.attr("checkpoints"), diags);
    }
    for name in ["checkpoint_delay", "bake_time"] {
        if let Some(text) = known(name).and_then(Value::as_str) {
            check_pause(text, &path.attr(name), diags);
        }
    }
    if let Some(names) = known("alarms").and_then(Value::as_elements) {
        for (i, name) in names.iter().enumerate() {
            if let Some(n) = name
                .as_str()
                .filter(|n| n.is_empty() || n.chars().count() > 255)
            {
                diags.push_attribute_error(
                    path.attr("alarms").index(i as i64),
                    "Invalid alarm name",
                    format!("An alarm name is 1 to 255 characters long; got {n:?}."),
                );
            }
        }
    }
    if surge {
        for name in [
            "checkpoints",
            "checkpoint_delay",
            "bake_time",
            "alarms",
            "gate",
        ] {
            if known(name).is_some() {
                diags.push_attribute_error(path.attr(name), "Not available with the surge strategy", format!("rollout.{name} is an instance refresh setting; use strategy = \"instance_refresh\" or remove {name}."));
            }
        }
    }
    if let Some(gate) = known("gate") {
        if known("wait").and_then(Value::as_bool) == Some(false) {
            diags.push_attribute_error(path.attr("gate"), "The gate needs wait = true", "The gate's alarms exist only while the apply waits for the rollout, which then deletes them; with wait = false nobody would. Remove wait = false or the gate.");
        }
        super::gate_validation::check_gate(config, gate, &path.attr("gate"), diags);
    }
}

fn check_checkpoints(list: &[Value], path: &Path, diags: &mut Diagnostics) {
    if list.is_empty() {
        diags.push_attribute_error(path.clone(), "No checkpoints", "checkpoints needs at least one percentage, the last one 100; remove it to roll out without pauses.");
        return;
    }
    let mut previous: Option<i64> = None;
    for (i, item) in list.iter().enumerate() {
        if !item.is_known() {
            return;
        }
        let at = path.index(i as i64);
        let Some(n) = item.as_i64().filter(|n| (1..=100).contains(n)) else {
            diags.push_attribute_error(
                at,
                "Invalid checkpoint",
                "Each checkpoint is a whole percentage between 1 and 100.",
            );
            return;
        };
        if let Some(p) = previous.filter(|p| *p >= n) {
            diags.push_attribute_error(
                at,
                "Checkpoints must ascend",
                format!("{n} follows {p}: list the percentages in ascending order, each once."),
            );
            return;
        }
        previous = Some(n);
    }
    if let Some(last) = previous.filter(|last| *last != 100) {
        diags.push_attribute_error(path.index(list.len() as i64 - 1), "The last checkpoint must be 100", format!("The refresh would stop with {last}% of the group replaced and the rest on the old version; end the list with 100."));
    }
}

fn check_pause(text: &str, path: &Path, diags: &mut Diagnostics) {
    match whole_seconds(text) {
        Some(s) if s <= MAX_REFRESH_PAUSE_SECS => {}
        Some(s) => diags.push_attribute_error(
            path.clone(),
            "Duration too long",
            format!("{text:?} is {s} seconds; AWS allows at most 172800 (48h)."),
        ),
        None => diags.push_attribute_error(
            path.clone(),
            "Invalid duration",
            format!(
                "Got {text:?}; write whole seconds such as \"0s\", \"90s\", \"10m\" or \"1h30m\"."
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_milliseconds_and_zero() {
        assert_eq!(parse_millis("250ms"), Some(250));
        assert_eq!(parse_millis("1m30s"), Some(90_000));
        assert_eq!(parse_millis("0s"), Some(0));
        assert_eq!(parse_millis("1h"), Some(3_600_000));
        assert_eq!(parse_millis("60"), None);
        assert_eq!(parse_millis("soon"), None);
        assert_eq!(whole_seconds("1500ms"), None);
        assert_eq!(whole_seconds("2m"), Some(120));
    }

    fn config_with_checkpoints(list: Vec<i64>) -> Value {
        let items = list.into_iter().map(Value::from);
        Value::object([(
            "rollout",
            Value::object([("checkpoints", Value::list(items))]),
        )])
    }

    #[test]
    fn checkpoints_must_ascend_and_end_with_100() {
        for (list, problem) in [
            (vec![50, 30, 100], "Checkpoints must ascend"),
            (vec![0, 100], "Invalid checkpoint"),
            (vec![20, 50], "The last checkpoint must be 100"),
            (vec![50, 50, 100], "Checkpoints must ascend"),
        ] {
            let mut diags = Diagnostics::default();
            validate(&config_with_checkpoints(list.clone()), &mut diags);
            assert!(
                format!("{diags:?}").contains(problem),
                "{list:?}: {diags:?}"
            );
        }
        let mut diags = Diagnostics::default();
        validate(&config_with_checkpoints(vec![25, 50, 100]), &mut diags);
        assert!(!diags.has_errors(), "{diags:?}");
    }
}
