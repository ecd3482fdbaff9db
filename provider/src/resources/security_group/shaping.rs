//! For property tests: a configuration drawn attribute by attribute from
//! the schema, shaped toward what `validate` checks of each rule: ports in
//! order, and someone it allows (a source, which the dice choose when the
//! draw has none).

use cty::Value;

use crate::framework::{Dice, attr_mut, set_attr};

const SOURCES: [(&str, &str); 4] = [
    ("cidr_blocks", "10.0.0.0/16"),
    ("ipv6_cidr_blocks", "::/0"),
    ("prefix_list_ids", "pl-1"),
    ("security_groups", "sg-1"),
];

pub fn shape(config: &mut Value, dice: &mut Dice<'_>) {
    for block in ["ingress", "egress"] {
        if let Some(Value::List(rules)) = attr_mut(config, block) {
            for rule in rules.iter_mut() {
                shape_rule(rule, dice);
            }
        }
    }
}

fn shape_rule(rule: &mut Value, dice: &mut Dice<'_>) {
    let port = |rule: &Value, name| rule.get_attr(name).and_then(Value::as_i64);
    if let (Some(from), Some(to)) = (port(rule, "from_port"), port(rule, "to_port"))
        && from > to
    {
        set_attr(rule, "from_port", to.into());
        set_attr(rule, "to_port", from.into());
    }
    let has_source = SOURCES.iter().any(|(name, _)| {
        rule.get_attr(name)
            .and_then(Value::as_elements)
            .is_some_and(|items| !items.is_empty())
    });
    if !has_source {
        let (name, source) = dice.one_of(&SOURCES);
        set_attr(rule, name, Value::list([Value::from(*source)]));
    }
}
