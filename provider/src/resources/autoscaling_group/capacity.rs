//! The desired capacity when the configuration leaves it out: AWS keeps the
//! group's current capacity, raised to a new `min_size` or lowered to a new
//! `max_size` (UpdateAutoScalingGroup's documented behaviour), so the plan
//! says exactly that; and the update sends a desired capacity only when it
//! changes, never a stale one next to new bounds.

use cty::Value;

use crate::framework::Plan;

/// Plans `desired_capacity` for a group whose config does not set it.
pub fn plan_desired(prior: &Value, config: &Value, plan: &mut Plan) {
    if prior.is_null()
        || config
            .get_attr("desired_capacity")
            .is_some_and(|v| !v.is_null())
    {
        return;
    }
    let planned = |name| plan.planned.get_attr(name).cloned().unwrap_or(Value::Null);
    let (min, max) = (planned("min_size"), planned("max_size"));
    let current = prior.get_attr("desired_capacity").and_then(Value::as_i64);
    let desired = match (min.as_i64(), max.as_i64(), current) {
        (Some(min), Some(max), Some(current)) if min <= max => Value::from(current.clamp(min, max)),
        _ if min.is_known() && max.is_known() && current.is_some() => return,
        _ => Value::Unknown,
    };
    if let Value::Object(fields) = &mut plan.planned {
        fields.insert("desired_capacity".into(), desired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(min: Value, max: Value, desired: Value) -> Value {
        Value::object([
            ("min_size".to_string(), min),
            ("max_size".to_string(), max),
            ("desired_capacity".to_string(), desired),
        ])
    }

    fn planned_desired(prior: &Value, config: &Value) -> Value {
        let mut plan = Plan {
            planned: config.clone(),
            requires_replace: Vec::new(),
        };
        plan_desired(prior, config, &mut plan);
        plan.planned
            .get_attr("desired_capacity")
            .cloned()
            .unwrap_or(Value::Null)
    }

    #[test]
    fn raising_min_size_raises_an_unset_desired_capacity() {
        let prior = group(2_i64.into(), 4_i64.into(), 2_i64.into());
        let config = group(3_i64.into(), 4_i64.into(), Value::Null);
        assert_eq!(planned_desired(&prior, &config).as_i64(), Some(3));
    }

    #[test]
    fn an_unchanged_group_keeps_its_capacity() {
        let prior = group(2_i64.into(), 4_i64.into(), 3_i64.into());
        let config = group(2_i64.into(), 4_i64.into(), Value::Null);
        assert_eq!(planned_desired(&prior, &config).as_i64(), Some(3));
    }

    #[test]
    fn unknown_bounds_make_the_capacity_unknown() {
        let prior = group(2_i64.into(), 4_i64.into(), 2_i64.into());
        let config = group(Value::Unknown, 4_i64.into(), Value::Null);
        assert!(planned_desired(&prior, &config).is_unknown());
    }

    #[test]
    fn a_configured_capacity_is_left_as_planned() {
        let prior = group(2_i64.into(), 4_i64.into(), 2_i64.into());
        let config = group(2_i64.into(), 4_i64.into(), 4_i64.into());
        assert_eq!(planned_desired(&prior, &config).as_i64(), Some(4));
    }
}
