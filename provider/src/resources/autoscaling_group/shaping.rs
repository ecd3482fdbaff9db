//! For property tests: a configuration drawn attribute by attribute from
//! the schema, shaped toward the rules `validate` checks across attributes:
//! sizes in order with the desired capacity between them, two subnets or
//! more, a numbered launch template version, and a rollout whose knobs are
//! well formed and fit its strategy (a gate with a threshold, `wait` and
//! target groups). Knobs the draw left out stay out.

use cty::{Number, Value};

use crate::framework::{Dice, attr_mut, set_attr};

const VERSIONS: &[&str] = &["1", "2", "10"];
const CHECKPOINTS: &[&[i64]] = &[&[100], &[50, 100], &[1, 25, 100]];
/// Pauses up to AWS's longest, 48 hours.
const PAUSES: &[&str] = &["0s", "90s", "10m", "48h"];
/// Gate windows: whole minutes up to a day.
const WINDOWS: &[&str] = &["60s", "5m", "24h"];
const LATENCIES: &[&str] = &["250ms", "2s"];
const ERROR_RATES: &[f64] = &[0.01, 0.5];
const TARGET_GROUP: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/943f017f100becff";

pub fn shape(config: &mut Value, dice: &mut Dice<'_>) {
    sizes(config, dice);
    if let Some(Value::List(subnets)) = attr_mut(config, "vpc_zone_identifier") {
        for extra in ["subnet-1", "subnet-2"] {
            if subnets.len() < 2 {
                subnets.push(extra.into());
            }
        }
    }
    if let Some(template) = attr_mut(config, "launch_template")
        && template
            .get_attr("version")
            .and_then(Value::as_str)
            .is_some_and(|v| v.parse::<u64>().is_err())
    {
        set_attr(template, "version", (*dice.one_of(VERSIONS)).into());
    }
    let gated = attr_mut(config, "rollout").is_some_and(|rollout| shape_rollout(rollout, dice));
    if gated {
        let none = config
            .get_attr("target_group_arns")
            .and_then(Value::as_elements)
            .is_none_or(<[Value]>::is_empty);
        if none {
            set_attr(
                config,
                "target_group_arns",
                Value::list([TARGET_GROUP.into()]),
            );
        }
    }
}

fn sizes(config: &mut Value, dice: &mut Dice<'_>) {
    let num = |config: &Value, name| config.get_attr(name).and_then(Value::as_i64);
    let (Some(mut min), Some(mut max)) = (num(config, "min_size"), num(config, "max_size")) else {
        return;
    };
    if min > max {
        (min, max) = (max, min);
        set_attr(config, "min_size", min.into());
        set_attr(config, "max_size", max.into());
    }
    if num(config, "desired_capacity").is_some_and(|d| !(min..=max).contains(&d)) {
        let desired = if dice.one_in(2) { min } else { max };
        set_attr(config, "desired_capacity", desired.into());
    }
}

/// Shapes the rollout block; answers whether it keeps a gate.
fn shape_rollout(rollout: &mut Value, dice: &mut Dice<'_>) -> bool {
    let surge = rollout.get_attr("strategy").and_then(Value::as_str) == Some("surge");
    if surge {
        for name in [
            "checkpoints",
            "checkpoint_delay",
            "bake_time",
            "alarms",
            "gate",
        ] {
            set_attr(rollout, name, Value::Null);
        }
        return false;
    }
    if attr_mut(rollout, "checkpoints").is_some() {
        let list = dice.one_of(CHECKPOINTS).iter().map(|p| Value::from(*p));
        set_attr(rollout, "checkpoints", Value::list(list));
    }
    for name in ["checkpoint_delay", "bake_time"] {
        if attr_mut(rollout, name).is_some() {
            set_attr(rollout, name, (*dice.one_of(PAUSES)).into());
        }
    }
    let Some(gate) = attr_mut(rollout, "gate") else {
        return false;
    };
    if attr_mut(gate, "window").is_some() {
        set_attr(gate, "window", (*dice.one_of(WINDOWS)).into());
    }
    let mut latency = attr_mut(gate, "max_latency_p99").is_some();
    let mut error_rate = attr_mut(gate, "max_error_rate").is_some();
    if !latency && !error_rate {
        (latency, error_rate) = if dice.one_in(2) {
            (true, false)
        } else {
            (false, true)
        };
    }
    if latency {
        set_attr(gate, "max_latency_p99", (*dice.one_of(LATENCIES)).into());
    }
    if error_rate {
        let rate = Number::from_f64(*dice.one_of(ERROR_RATES)).map_or(Value::Null, Value::Number);
        set_attr(gate, "max_error_rate", rate);
    }
    if rollout.get_attr("wait").and_then(Value::as_bool) == Some(false) {
        set_attr(
            rollout,
            "wait",
            if dice.one_in(2) {
                true.into()
            } else {
                Value::Null
            },
        );
    }
    true
}
