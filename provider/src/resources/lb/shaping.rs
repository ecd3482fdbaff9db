//! For property tests: a configuration drawn attribute by attribute from
//! the schema, shaped toward what `validate` checks: at least two subnets.

use cty::Value;

use crate::framework::{Dice, attr_mut};

const SUBNETS: [&str; 3] = ["subnet-1", "subnet-2", "subnet-3"];

pub fn shape(config: &mut Value, dice: &mut Dice<'_>) {
    let Some(Value::Set(subnets)) = attr_mut(config, "subnets") else {
        return;
    };
    let mut spare: Vec<Value> = SUBNETS
        .into_iter()
        .map(Value::from)
        .filter(|s| !subnets.iter().any(|have| have.semantic_eq(s)))
        .collect();
    while subnets.len() < 2 && !spare.is_empty() {
        subnets.push(spare.remove(dice.pick(spare.len())));
    }
}
