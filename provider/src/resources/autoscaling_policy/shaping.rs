//! For property tests: a configuration drawn attribute by attribute from
//! the schema, shaped toward the rules `validate` checks across attributes:
//! requests per target count one target group, named by its ARN or by a
//! well-formed resource label (the dice choose), and CPU takes neither.

use cty::Value;

use super::{ALB_REQUESTS, CPU};
use crate::framework::{Dice, set_attr};

const LABELS: &[&str] = &[
    "app/web/50dc6c495c0c9188/targetgroup/web/943f017f100becff",
    "app/api/1/targetgroup/api-blue/2",
];
const TARGET_GROUP_ARN: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/943f017f100becff";

fn is_set(config: &Value, name: &str) -> bool {
    config.get_attr(name).is_some_and(|v| !v.is_null())
}

pub fn shape(config: &mut Value, dice: &mut Dice<'_>) {
    match config.get_attr("predefined_metric").and_then(Value::as_str) {
        Some(ALB_REQUESTS) => {
            let mut by_label = is_set(config, "resource_label");
            if by_label == is_set(config, "target_group_arn") {
                by_label = dice.one_in(2);
            }
            if by_label {
                set_attr(config, "target_group_arn", Value::Null);
                set_attr(config, "resource_label", (*dice.one_of(LABELS)).into());
            } else {
                if !is_set(config, "target_group_arn") {
                    set_attr(config, "target_group_arn", TARGET_GROUP_ARN.into());
                }
                set_attr(config, "resource_label", Value::Null);
            }
        }
        Some(CPU) => {
            set_attr(config, "target_group_arn", Value::Null);
            set_attr(config, "resource_label", Value::Null);
        }
        _ => {}
    }
}
