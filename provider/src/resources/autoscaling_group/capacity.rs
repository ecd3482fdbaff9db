//! The desired capacity when the configuration leaves it out. AWS, a
//! scaling policy or a person may change it at any time (SetDesiredCapacity),
//! also between a plan and its apply, and an update changes it too when new
//! bounds clamp it (UpdateAutoScalingGroup's documented behaviour). A known
//! planned value must be exactly what the apply returns (Terraform's
//! AssertObjectCompatible: "Provider produced inconsistent result after
//! apply"), while for a computed attribute the configuration leaves null any
//! planned value is valid, unknown included (AssertPlanValid). So:
//!
//! - a group with nothing to change keeps the prior value: the plan is empty
//!   and no apply runs for it, so nothing can disagree;
//! - a group that is updated plans it unknown ("known after apply"), and the
//!   update sends no desired capacity at all: AWS keeps the current one,
//!   within the new bounds, and the state records what AWS then holds.

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
    let prior_desired = prior
        .get_attr("desired_capacity")
        .cloned()
        .unwrap_or(Value::Null);
    let Value::Object(fields) = &mut plan.planned else {
        return;
    };
    fields.insert("desired_capacity".into(), prior_desired);
    if plan.planned.semantic_eq(prior) {
        return;
    }
    if let Value::Object(fields) = &mut plan.planned {
        fields.insert("desired_capacity".into(), Value::Unknown);
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
    fn new_bounds_make_an_unset_capacity_unknown() {
        let prior = group(2_i64.into(), 4_i64.into(), 2_i64.into());
        let config = group(3_i64.into(), 4_i64.into(), Value::Null);
        assert!(planned_desired(&prior, &config).is_unknown());
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
