//! Plan-time checks of `rollout.gate`, each on its attribute path.
//!
//! CloudWatch's rules for the alarms the gate becomes: load balancer metrics
//! are standard resolution, so a period is a multiple of 60 seconds
//! (PutMetricAlarm: "Valid values are 10, 30, and any multiple of 60", 10
//! and 30 only for high-resolution metrics), and period × evaluation periods
//! is at most one day.

use cty::{Path, Value};

use super::gate::{ALARM_NAME_PREFIX, LONGEST_ALARM_SUFFIX};
use super::rollout_config::{Gate, parse_millis, whole_seconds};
use crate::framework::Diagnostics;

const MAX_WINDOW_SECS: u64 = 86_400;
/// ALB's largest idle timeout: no answer takes longer.
const MAX_LATENCY_MILLIS: u64 = 4_000_000;

pub fn check_gate(config: &Value, gate: &Value, path: &Path, diags: &mut Diagnostics) {
    let field = |name: &str| gate.get_attr(name);
    let known = |name: &str| field(name).filter(|v| v.is_known() && !v.is_null());
    if let Some(text) = known("window").and_then(Value::as_str) {
        check_window(text, &path.attr("window"), diags);
    }
    if let Some(rate) = known("max_error_rate").and_then(Value::as_number) {
        let r = rate.as_f64();
        if !(r > 0.0 && r < 1.0) {
            diags.push_attribute_error(path.attr("max_error_rate"), "Invalid error rate", format!("max_error_rate is a share of requests between 0 and 1, exclusive (0.01 = 1%); got {r}."));
        }
    }
    if let Some(text) = known("max_latency_p99").and_then(Value::as_str) {
        match parse_millis(text) {
            Some(ms) if (1..=MAX_LATENCY_MILLIS).contains(&ms) => {}
            _ => diags.push_attribute_error(path.attr("max_latency_p99"), "Invalid latency", format!("Got {text:?}; write a duration such as \"250ms\" or \"2s\", above 0 and at most 4000s (ALB's longest idle timeout).")),
        }
    }
    let unset = |name: &str| field(name).is_none_or(|v| v.is_known() && v.is_null());
    if unset("max_error_rate") && unset("max_latency_p99") {
        diags.push_attribute_error(path.clone(), "The gate has no threshold", "Set max_error_rate, max_latency_p99 or both; without them the gate could never stop a rollout.");
    }
    if let Some(arns) = config
        .get_attr("target_group_arns")
        .filter(|v| v.is_known())
        && arns.as_elements().is_none_or(<[Value]>::is_empty)
    {
        diags.push_attribute_error(path.clone(), "The gate needs target groups", "The gate reads the load balancer's metrics of the group's target groups: set target_group_arns to target groups behind a load balancer.");
    }
    if let Some(name) = config.get_attr("name").and_then(Value::as_str) {
        let longest = ALARM_NAME_PREFIX.len() + name.chars().count() + LONGEST_ALARM_SUFFIX.len();
        if longest > 255 {
            diags.push_attribute_error(path.clone(), "Group name too long for the gate's alarms", format!("The gate's alarms are named {ALARM_NAME_PREFIX}<group>{LONGEST_ALARM_SUFFIX}, which must fit CloudWatch's 255 characters: the group name may have at most {} characters with a gate.", 255 - ALARM_NAME_PREFIX.len() - LONGEST_ALARM_SUFFIX.len()));
        }
    }
}

/// The same checks at apply time, for values that were unknown at plan time
/// (Terraform validates the configuration while values are still unknown).
pub fn check_known(name: &str, target_group_arns: &[String], gate: &Gate) -> Diagnostics {
    let text = |v: &Option<String>| v.as_deref().map_or(Value::Null, Value::from);
    let number = |v: Option<f64>| {
        v.and_then(cty::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    };
    let gate_value = Value::object([
        ("max_error_rate", number(gate.max_error_rate)),
        ("max_latency_p99", text(&gate.max_latency_p99)),
        ("window", text(&gate.window)),
        (
            "min_requests",
            gate.min_requests.map_or(Value::Null, Value::from),
        ),
    ]);
    let config = Value::object([
        ("name", Value::from(name)),
        (
            "target_group_arns",
            Value::list(target_group_arns.iter().map(|a| Value::from(a.as_str()))),
        ),
    ]);
    let mut diags = Diagnostics::new();
    check_gate(
        &config,
        &gate_value,
        &Path::root().attr("rollout").attr("gate"),
        &mut diags,
    );
    diags
}

fn check_window(text: &str, path: &Path, diags: &mut Diagnostics) {
    match whole_seconds(text) {
        Some(s) if s >= 60 && s % 60 == 0 && s <= MAX_WINDOW_SECS => {}
        Some(s) => diags.push_attribute_error(path.clone(), "Invalid gate window", format!("{text:?} is {s} seconds; CloudWatch periods for load balancer metrics are whole minutes (multiples of 60 seconds), from 60s to 24h.")),
        None => diags.push_attribute_error(path.clone(), "Invalid gate window", format!("Got {text:?}; write a whole number of minutes such as \"60s\", \"2m\" or \"5m\".")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(f: f64) -> Value {
        cty::Number::from_f64(f).map_or(Value::Null, Value::Number)
    }

    fn config(gate: Vec<(&str, Value)>) -> Value {
        Value::object([
            ("name", Value::from("web")),
            ("target_group_arns", Value::list([Value::from("arn:tg")])),
            ("rollout", Value::object([("gate", Value::object(gate))])),
        ])
    }

    fn problems(gate: Vec<(&str, Value)>) -> String {
        let mut diags = Diagnostics::default();
        super::super::rollout_config::validate(&config(gate), &mut diags);
        format!("{diags:?}")
    }

    #[test]
    fn windows_are_whole_minutes() {
        for bad in ["90s", "30s", "1500ms", "25h", "soon"] {
            let found = problems(vec![
                ("window", Value::from(bad)),
                ("max_error_rate", num(0.01)),
            ]);
            assert!(found.contains("Invalid gate window"), "{bad}: {found}");
            assert!(found.contains("window"), "{found}");
        }
        let fine = problems(vec![
            ("window", Value::from("2m")),
            ("max_error_rate", num(0.01)),
        ]);
        assert!(!fine.contains("Error"), "{fine}");
    }

    #[test]
    fn thresholds_are_checked_and_one_is_needed() {
        assert!(problems(vec![("max_error_rate", num(1.5))]).contains("Invalid error rate"));
        assert!(
            problems(vec![("max_latency_p99", Value::from("0ms"))]).contains("Invalid latency")
        );
        assert!(problems(vec![]).contains("The gate has no threshold"));
    }

    #[test]
    fn unknown_values_wait_for_apply() {
        let found = problems(vec![
            ("window", Value::Unknown),
            ("max_error_rate", Value::Unknown),
        ]);
        assert!(!found.contains("Error"), "{found}");
    }

    #[test]
    fn values_unknown_at_plan_are_checked_at_apply() {
        let gate = Gate {
            max_error_rate: Some(0.01),
            max_latency_p99: None,
            window: Some("90s".into()),
            min_requests: Some(20),
        };
        let found = format!("{:?}", check_known("web", &["arn:tg".into()], &gate));
        assert!(found.contains("Invalid gate window"), "{found}");
        let fine = Gate {
            window: Some("120s".into()),
            ..gate
        };
        assert!(!check_known("web", &["arn:tg".into()], &fine).has_errors());
    }
}
