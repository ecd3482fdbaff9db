//! The policy's attributes, the checks that need several of them, and how
//! the derived `resource_label` is planned.

use cty::{Path, Type, Value};

use super::label;
use super::{ALB_REQUESTS, CPU};
use crate::framework::{Attribute, Block, Diagnostics, Plan, Schema, Validator};

pub fn schema() -> Schema {
    Schema::new(
        Block::new("Target tracking scaling of an autoscaling group: Auto Scaling adds and removes instances to keep a metric at a target value.")
            .attribute(Attribute::computed("id", Type::String).stable().describe("`GROUP/POLICY`: the group's name and the policy's."))
            .attribute(Attribute::computed("arn", Type::String).stable().describe("ARN of the policy."))
            .attribute(Attribute::required("autoscaling_group_name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 255)).describe("Name of the autoscaling group the policy scales. Changing it creates a new policy."))
            .attribute(Attribute::required("name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 255)).describe("Name of the policy, unique within its group. Changing it creates a new policy."))
            .attribute(Attribute::required("target_value", Type::Number).describe("The value to keep the metric at: requests per instance per minute, or percent CPU."))
            .attribute(Attribute::required("predefined_metric", Type::String).validate(Validator::OneOf(&[ALB_REQUESTS, CPU])).describe("`ALBRequestCountPerTarget` (requests per instance, from the load balancer) or `ASGAverageCPUUtilization`."))
            .attribute(Attribute::optional("target_group_arn", Type::String).validate(Validator::Prefix("arn:")).describe("For `ALBRequestCountPerTarget`: the target group whose requests count; the resource label is derived from it and its load balancer."))
            .attribute(Attribute::optional_computed("resource_label", Type::String).describe("For `ALBRequestCountPerTarget`: `app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID`. Derived from `target_group_arn` when that is set; set it yourself instead when the target group serves several load balancers."))
            .attribute(Attribute::defaulted("disable_scale_in", Type::Bool, false).describe("When true, the policy only adds instances; removing them is left to you."))
            .attribute(Attribute::optional("estimated_instance_warmup", Type::Number).validate(Validator::IntBetween(0, 86400)).describe("Seconds a new instance needs before its metrics count; the group's default instance warmup when left out."))
            .attribute(Attribute::computed("alarm_arns", Type::list(Type::String)).describe("The CloudWatch alarms Auto Scaling made for the policy (high and low).")),
    )
}

/// Set (known or not yet known), as opposed to null.
fn is_set(config: &Value, name: &str) -> bool {
    config.get_attr(name).is_some_and(|v| !v.is_null())
}

/// Which of `target_group_arn` and `resource_label` each metric takes, the
/// label's shape and a positive target value (Auto Scaling API reference,
/// PredefinedMetricSpecification and TargetTrackingConfiguration).
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let metric = config.get_attr("predefined_metric").and_then(Value::as_str);
    let arn = is_set(config, "target_group_arn");
    let label_set = is_set(config, "resource_label");
    match metric {
        Some(ALB_REQUESTS) if arn && label_set => diags.push_attribute_error(
            Path::root().attr("resource_label"),
            "Conflicting resource label",
            "Set either target_group_arn (the label is derived from it) or resource_label, not both.",
        ),
        Some(ALB_REQUESTS) if !arn && !label_set => diags.push_attribute_error(
            Path::root().attr("target_group_arn"),
            "Missing target group",
            "ALBRequestCountPerTarget counts the requests of one target group: set target_group_arn (or resource_label).",
        ),
        Some(CPU) => {
            for name in ["target_group_arn", "resource_label"] {
                if is_set(config, name) {
                    diags.push_attribute_error(
                        Path::root().attr(name),
                        format!("{name} not used by {CPU}"),
                        format!("{name} is only for ALBRequestCountPerTarget; {CPU} averages the CPU of the group's instances. Remove it."),
                    );
                }
            }
        }
        _ => {}
    }
    if let Some(text) = config.get_attr("resource_label").and_then(Value::as_str)
        && !label::is_well_formed(text)
    {
        diags.push_attribute_error(
            Path::root().attr("resource_label"),
            "Invalid resource label",
            format!("resource_label must be app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID (the ends of the load balancer's and the target group's ARNs), got {text:?}."),
        );
    }
    if let Some(value) = config
        .get_attr("target_value")
        .and_then(Value::as_number)
        .map(|n| n.as_f64())
        && value <= 0.0
    {
        diags.push_attribute_error(
            Path::root().attr("target_value"),
            "Invalid target value",
            format!("target_value must be greater than 0, got {value}."),
        );
    }
}

/// `resource_label` when the configuration leaves it out: none for CPU; for
/// requests, derived from `target_group_arn` at apply time, so unknown when
/// that changes and the prior label otherwise.
pub fn plan_resource_label(prior: &Value, config: &Value, plan: &mut Plan) {
    if is_set(config, "resource_label") {
        return;
    }
    let metric = config.get_attr("predefined_metric");
    let label = match metric.and_then(Value::as_str) {
        Some(CPU) => Value::Null,
        Some(ALB_REQUESTS) => {
            let arn = config.get_attr("target_group_arn").cloned();
            let prior_arn = prior.get_attr("target_group_arn").cloned();
            let prior_label = prior.get_attr("resource_label").cloned();
            match (prior.is_null(), prior_label) {
                (false, Some(l)) if arn == prior_arn && !l.is_null() => l,
                _ => Value::Unknown,
            }
        }
        _ => Value::Unknown,
    };
    if let Value::Object(fields) = &mut plan.planned {
        fields.insert("resource_label".into(), label);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(metric: &str, arn: Value, label: Value) -> Value {
        Value::object([
            ("predefined_metric".to_string(), Value::from(metric)),
            ("target_group_arn".to_string(), arn),
            ("resource_label".to_string(), label),
            ("target_value".to_string(), Value::from(100_i64)),
        ])
    }

    fn paths(config: &Value) -> Vec<Path> {
        let mut diags = Diagnostics::new();
        validate(config, &mut diags);
        diags.0.into_iter().filter_map(|d| d.path).collect()
    }

    #[test]
    fn requests_need_a_target_group_or_a_label() {
        let none = config(ALB_REQUESTS, Value::Null, Value::Null);
        assert_eq!(paths(&none), [Path::root().attr("target_group_arn")]);
        let arn = config(ALB_REQUESTS, Value::Unknown, Value::Null);
        assert!(paths(&arn).is_empty());
    }

    #[test]
    fn cpu_takes_neither() {
        let with_arn = config(CPU, Value::from("arn:x"), Value::Null);
        assert_eq!(paths(&with_arn), [Path::root().attr("target_group_arn")]);
    }

    #[test]
    fn a_label_of_the_wrong_shape_is_refused() {
        let bad = config(ALB_REQUESTS, Value::Null, Value::from("app/web/1"));
        assert_eq!(paths(&bad), [Path::root().attr("resource_label")]);
    }

    #[test]
    fn an_unchanged_target_group_keeps_its_label() {
        let arn = Value::from("arn:tg");
        let label = Value::from("app/a/1/targetgroup/b/2");
        let prior = config(ALB_REQUESTS, arn.clone(), label.clone());
        let cfg = config(ALB_REQUESTS, arn, Value::Null);
        let mut plan = Plan {
            planned: cfg.clone(),
            requires_replace: Vec::new(),
        };
        plan_resource_label(&prior, &cfg, &mut plan);
        assert_eq!(plan.planned.get_attr("resource_label"), Some(&label));
        let moved = config(ALB_REQUESTS, Value::from("arn:other"), Value::Null);
        plan_resource_label(&prior, &moved, &mut plan);
        assert!(
            plan.planned
                .get_attr("resource_label")
                .is_some_and(Value::is_unknown)
        );
    }
}
