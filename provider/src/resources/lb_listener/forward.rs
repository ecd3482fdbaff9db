//! The `forward` block of a listener: weighted target groups and
//! stickiness, as the user writes them and as AWS's ForwardConfig holds them.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, ForwardActionConfig, TargetGroupStickinessConfig, TargetGroupTuple,
};
use cty::{Path, Type, Value};
use serde::{Deserialize, Serialize};

use crate::framework::{Attribute, Block, Diagnostics, NestedBlock, Validator, null_as_default};

const DEFAULT_DURATION: i64 = 3600;
const MAX_TARGET_GROUPS: usize = 5;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightedTargetGroup {
    #[serde(deserialize_with = "null_as_default")]
    pub arn: String,
    pub weight: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stickiness {
    pub enabled: Option<bool>,
    pub duration: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Forward {
    #[serde(deserialize_with = "null_as_default")]
    pub target_group: Vec<WeightedTargetGroup>,
    pub stickiness: Option<Stickiness>,
}

impl Forward {
    /// The listener's default action: forward by weight.
    pub fn to_action(&self) -> Action {
        let groups = self
            .target_group
            .iter()
            .map(|g| {
                TargetGroupTuple::builder()
                    .target_group_arn(&g.arn)
                    .set_weight(g.weight.and_then(|w| i32::try_from(w).ok()))
                    .build()
            })
            .collect();
        let sticky = self.stickiness.clone().unwrap_or_default();
        let stickiness = TargetGroupStickinessConfig::builder()
            .enabled(sticky.enabled.unwrap_or(false))
            .set_duration_seconds(
                sticky
                    .duration
                    .or(Some(DEFAULT_DURATION))
                    .and_then(|d| i32::try_from(d).ok()),
            )
            .build();
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(
                ForwardActionConfig::builder()
                    .set_target_groups(Some(groups))
                    .target_group_stickiness_config(stickiness)
                    .build(),
            )
            .build()
    }

    /// The forward action as AWS has it; target groups in the order
    /// `prior` lists them, so that a refresh reports only real changes.
    pub fn from_aws(action: &Action, prior: &Forward) -> Forward {
        let config = action.forward_config();
        let mut actual: Vec<WeightedTargetGroup> = match config {
            Some(c) if !c.target_groups().is_empty() => c
                .target_groups()
                .iter()
                .map(|t| WeightedTargetGroup {
                    arn: t.target_group_arn().unwrap_or_default().to_string(),
                    weight: Some(t.weight().map_or(1, i64::from)),
                })
                .collect(),
            _ => action
                .target_group_arn()
                .map(|arn| {
                    vec![WeightedTargetGroup {
                        arn: arn.to_string(),
                        weight: Some(1),
                    }]
                })
                .unwrap_or_default(),
        };
        let mut ordered = Vec::new();
        for wanted in &prior.target_group {
            if let Some(i) = actual.iter().position(|g| g.arn == wanted.arn) {
                ordered.push(actual.remove(i));
            }
        }
        ordered.extend(actual);
        let sticky = config.and_then(|c| c.target_group_stickiness_config());
        let enabled = sticky.and_then(|s| s.enabled()).unwrap_or(false);
        // AWS leaves out the duration of disabled stickiness: keep the one we know.
        let duration = sticky
            .and_then(|s| s.duration_seconds())
            .map(i64::from)
            .or_else(|| prior.stickiness.as_ref().and_then(|s| s.duration))
            .unwrap_or(DEFAULT_DURATION);
        let stickiness = Stickiness {
            enabled: Some(enabled),
            duration: Some(duration),
        };
        let is_default = !enabled && duration == DEFAULT_DURATION;
        Forward {
            target_group: ordered,
            stickiness: (prior.stickiness.is_some() || !is_default).then_some(stickiness),
        }
    }
}

pub fn block() -> Block {
    let target_group = Block::new("A target group to forward to, and its share of the requests.")
        .attribute(
            Attribute::required("arn", Type::String)
                .validate(Validator::Prefix("arn:"))
                .describe("ARN of the target group."),
        )
        .attribute(
            Attribute::defaulted("weight", Type::Number, 1)
                .validate(Validator::IntBetween(0, 999))
                .describe("Relative share of requests (0–999); a group with weight 0 gets none."),
        );
    let stickiness =
        Block::new("Whether a client keeps going to the same target group. Off by default.")
            .attribute(
                Attribute::defaulted("enabled", Type::Bool, false)
                    .describe("Keep clients on one target group."),
            )
            .attribute(
                Attribute::defaulted("duration", Type::Number, DEFAULT_DURATION)
                    .validate(Validator::IntBetween(1, 604_800))
                    .describe("Seconds a client stays on its target group."),
            );
    Block::new("Forward requests to one or more target groups by weight.")
        .block(NestedBlock::list("target_group", target_group))
        .block(NestedBlock::single("stickiness", stickiness))
}

pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let path = Path::root().attr("forward");
    // A listener without a forward block has another default action
    // (checked with the others in `actions`).
    let Some(forward) = config.get_attr("forward").filter(|v| !v.is_null()) else {
        return;
    };
    let Some(groups) = forward
        .get_attr("target_group")
        .and_then(Value::as_elements)
    else {
        return;
    };
    let here = path.attr("target_group");
    if groups.is_empty() {
        diags.push_attribute_error(
            here,
            "No target group",
            "The forward block needs at least one target_group block.",
        );
        return;
    }
    if groups.len() > MAX_TARGET_GROUPS {
        diags.push_attribute_error(
            here.clone(),
            "Too many target groups",
            format!(
                "A forward action takes at most {MAX_TARGET_GROUPS} target groups; got {}.",
                groups.len()
            ),
        );
    }
    let mut seen = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        let Some(arn) = group.get_attr("arn").and_then(Value::as_str) else {
            continue;
        };
        if seen.contains(&arn) {
            let index = i64::try_from(i).unwrap_or(i64::MAX);
            diags.push_attribute_error(
                here.index(index).attr("arn"),
                "Duplicate target group",
                format!("{arn} is listed more than once; give it one block with its weight."),
            );
        }
        seen.push(arn);
    }
}
