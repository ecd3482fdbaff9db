//! The oracle against hand-made plans: it must catch what core catches.

use cty::{Path, Type, Value};

use super::*;
use crate::framework::plan::Plan;
use crate::framework::schema::{Attribute, Block, NestedBlock};

pub(super) fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().cloned().map(|(k, v)| (k.to_string(), v)))
}

pub(super) fn block() -> Block {
    Block::new("t")
        .attribute(Attribute::computed("id", Type::String))
        .attribute(Attribute::required("name", Type::String).requires_replace())
        .attribute(Attribute::optional("image", Type::String))
        .attribute(Attribute::optional_computed("size", Type::Number))
        .attribute(Attribute::optional("zones", Type::list(Type::String)))
        .block(NestedBlock::list(
            "rule",
            Block::new("r").attribute(Attribute::required("port", Type::Number)),
        ))
}

fn prior() -> Value {
    obj(&[
        ("id", "x-1".into()),
        ("name", "a".into()),
        ("image", "ami-1".into()),
        ("size", 2_i64.into()),
        ("zones", Value::list(["z1".into()])),
        ("rule", Value::list([obj(&[("port", 80_i64.into())])])),
    ])
}

fn config() -> Value {
    obj(&[
        ("id", Value::Null),
        ("name", "a".into()),
        ("image", "ami-2".into()),
        ("size", Value::Null),
        ("zones", Value::list(["z1".into(), Value::Unknown])),
        ("rule", Value::list([obj(&[("port", 80_i64.into())])])),
    ])
}

fn with(v: &Value, name: &str, value: Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(fields) = &mut v {
        fields.insert(name.to_string(), value);
    }
    v
}

pub(super) fn terraform_only(found: Vec<Violation>) -> Vec<Violation> {
    found
        .into_iter()
        .filter(|v| v.rule == Rule::Terraform)
        .collect()
}

#[test]
fn a_plan_following_the_config_passes() {
    let planned = proposed_new(&block(), &prior(), &config());
    assert!(check_plan(&block(), &prior(), &config(), &planned).is_empty());
    let planned = with(&planned, "id", Value::Unknown);
    let planned = with(&planned, "size", Value::Unknown);
    assert!(check_plan(&block(), &prior(), &config(), &planned).is_empty());
}

#[test]
fn a_plan_contradicting_the_config_is_refused() {
    let good = proposed_new(&block(), &prior(), &config());
    for (name, value) in [
        ("image", Value::from("ami-3")),
        ("image", Value::Unknown),
        ("zones", Value::list(["z1".into(), "z2".into()])),
    ] {
        let found = check_plan(
            &block(),
            &prior(),
            &config(),
            &with(&good, name, value.clone()),
        );
        assert_eq!(found.len(), 1, "{name} = {value:?}: {found:?}");
        assert_eq!(found[0].rule, Rule::Terraform);
        assert_eq!(found[0].path, Path::root().attr(name));
    }
    let two_rules = Value::list([
        obj(&[("port", 80_i64.into())]),
        obj(&[("port", 81_i64.into())]),
    ]);
    let found = check_plan(
        &block(),
        &prior(),
        &config(),
        &with(&good, "rule", two_rules),
    );
    assert_eq!(terraform_only(found).len(), 1);
    let found = check_plan(
        &block(),
        &prior(),
        &config(),
        &with(&good, "rule", Value::Null),
    );
    assert_eq!(terraform_only(found).len(), 1);
    let found = check_plan(
        &block(),
        &prior(),
        &config(),
        &with(&good, "image", Value::from(1_i64)),
    );
    assert!(
        !terraform_only(found).is_empty(),
        "a number where a string belongs"
    );
}

#[test]
fn a_new_computed_value_on_update_is_only_a_strict_finding() {
    let good = proposed_new(&block(), &prior(), &config());
    let found = check_plan(
        &block(),
        &prior(),
        &config(),
        &with(&good, "id", "x-2".into()),
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, Rule::Strict);
    let found = check_plan(
        &block(),
        &Value::Null,
        &config(),
        &with(&good, "id", "x-2".into()),
    );
    assert!(found.is_empty(), "anything goes on create: {found:?}");
}

#[test]
fn an_apply_must_keep_every_known_planned_value() {
    let planned = with(&prior(), "id", Value::Unknown);
    let applied = with(&prior(), "id", "x-9".into());
    assert!(check_apply(&block(), &planned, &applied).is_empty());
    assert_eq!(
        check_apply(&block(), &planned, &planned).len(),
        1,
        "unknown left"
    );
    let changed = with(&applied, "image", "ami-9".into());
    assert_eq!(check_apply(&block(), &planned, &changed).len(), 1);
    let more = with(&applied, "zones", Value::list(["z1".into(), "z2".into()]));
    assert_eq!(check_apply(&block(), &planned, &more).len(), 1);
    let no_rules = with(&applied, "rule", Value::List(Vec::new()));
    assert_eq!(check_apply(&block(), &planned, &no_rules).len(), 1);
}

#[test]
fn the_final_plan_may_only_turn_an_update_into_a_no_op() {
    let step = |action, planned: Value| Step {
        action,
        planned,
        requires_replace: Vec::new(),
        violations: Vec::new(),
    };
    let saved = step(Action::Update, with(&prior(), "image", Value::Unknown));
    let b = block();
    assert!(check_final_plan(&b, &saved, &step(Action::NoOp, prior())).is_empty());
    assert!(
        check_final_plan(
            &b,
            &saved,
            &step(Action::Update, with(&prior(), "image", "x".into()))
        )
        .is_empty()
    );
    assert_eq!(
        check_final_plan(&b, &saved, &step(Action::Replace, prior())).len(),
        1
    );
    let moved = with(&prior(), "size", 3_i64.into());
    assert_eq!(
        check_final_plan(&b, &saved, &step(Action::Update, moved)).len(),
        1
    );
    let replace = step(Action::Replace, prior());
    assert!(check_final_plan(&b, &replace, &step(Action::Create, prior())).is_empty());
    assert_eq!(
        check_final_plan(
            &b,
            &step(Action::NoOp, prior()),
            &step(Action::Update, prior())
        )
        .len(),
        1
    );
}

#[test]
fn the_action_follows_core() {
    let plan = |planned: Value, paths: Vec<Path>| Plan {
        planned,
        requires_replace: paths,
    };
    let name = || vec![Path::root().attr("name")];
    assert_eq!(action(&Value::Null, &plan(prior(), vec![])), Action::Create);
    assert_eq!(action(&prior(), &plan(prior(), name())), Action::NoOp);
    assert_eq!(
        action(&prior(), &plan(with(&prior(), "image", "b".into()), name())),
        Action::Update
    );
    assert_eq!(
        action(&prior(), &plan(with(&prior(), "name", "b".into()), name())),
        Action::Replace
    );
    assert_eq!(
        action(
            &prior(),
            &plan(with(&prior(), "name", Value::Unknown), name())
        ),
        Action::Replace
    );
}
