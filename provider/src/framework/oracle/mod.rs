//! Terraform core's own checks of what a provider returns, as a test oracle.
//!
//! Core refuses a plan or an applied state that breaks its rules ("Provider
//! produced invalid plan", "Provider produced inconsistent final plan",
//! "Provider produced inconsistent result after apply"). The rules are
//! restated here from Terraform's behaviour (its `objchange` package and the
//! final-plan comparison of the apply walk), so that property tests can run
//! every resource's plan logic against them without a Terraform binary:
//!
//! - [`check_plan`]: a planned state against the prior state and config;
//! - [`check_apply`]: an applied state against the planned one;
//! - [`action`] and [`check_final_plan`]: the action core derives from a
//!   plan, and what may change between the saved plan and the final plan
//!   made at apply time once unknown config values are known;
//! - [`plan_as_terraform`]: one PlanResourceChange the way core drives it
//!   (proposed new state, checks, and the second, null-prior plan of a
//!   replacement).
//!
//! Besides Terraform's rules, [`Rule::Strict`] findings hold the plan to a
//! stricter standard this provider wants: on an update, a computed value the
//! config does not set keeps its prior value, takes its schema default, or
//! becomes unknown. Core accepts any value there, but a new known value is a
//! promise the apply must keep exactly.

mod apply_checks;
#[cfg(test)]
mod emulator_apply;
#[cfg(test)]
mod emulator_configs;
mod plan_checks;
mod plan_walk;
mod property_cases;
mod proposed;
mod resource_properties;
mod strategy;
mod tests;
mod variations;

use std::fmt;

use cty::{Path, PathStep, Type, Value};

pub use apply_checks::check_apply;
pub use plan_checks::check_plan;
pub use plan_walk::{
    Action, Planner, Step, action, check_final_plan, plan_as_terraform, plan_with,
};
pub use proposed::proposed_new;
pub use strategy::{Dice, attr_mut, set_attr};

/// Whose rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Terraform core rejects the result.
    Terraform,
    /// Accepted by core, refused by this provider's stricter standard.
    Strict,
}

/// One broken rule, at a path of the checked value.
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: Rule,
    pub path: Path,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.path.is_root() {
            "(root)".to_string()
        } else {
            self.path.to_string()
        };
        write!(f, "[{:?}] {at}: {}", self.rule, self.message)
    }
}

/// Collects findings.
#[derive(Default)]
struct Findings(Vec<Violation>);

impl Findings {
    fn terraform(&mut self, path: &Path, message: impl Into<String>) {
        self.0.push(Violation {
            rule: Rule::Terraform,
            path: path.clone(),
            message: message.into(),
        });
    }
    fn strict(&mut self, path: &Path, message: impl Into<String>) {
        self.0.push(Violation {
            rule: Rule::Strict,
            path: path.clone(),
            message: message.into(),
        });
    }
}

/// Equality as core compares planned values: unknown equals unknown, and
/// numbers and sets compare by value.
fn same(a: &Value, b: &Value) -> bool {
    a.semantic_eq(b)
}

/// A part of an object value: null inside null, unknown inside unknown.
fn part(v: &Value, name: &str) -> Value {
    if v.is_unknown() {
        Value::Unknown
    } else {
        v.get_attr(name).cloned().unwrap_or(Value::Null)
    }
}

/// Whether `v` has the shape of `ty`; null and unknown fit anywhere.
pub fn conform(v: &Value, ty: &Type, path: &Path) -> Result<(), (Path, String)> {
    let v = v.unwrap_dynamic();
    if v.is_null() || v.is_unknown() {
        return Ok(());
    }
    let wrong = || {
        Err((
            path.clone(),
            format!("a {} where {ty} belongs", v.kind_name()),
        ))
    };
    match (ty, v) {
        (Type::Dynamic, _)
        | (Type::Bool, Value::Bool(_))
        | (Type::Number, Value::Number(_))
        | (Type::String, Value::String(_)) => Ok(()),
        (Type::List(t), Value::List(items)) | (Type::Set(t), Value::Set(items)) => {
            items.iter().enumerate().try_for_each(|(i, item)| {
                conform(item, t, &path.index(i64::try_from(i).unwrap_or(i64::MAX)))
            })
        }
        (Type::Map(t), Value::Map(entries)) => entries
            .iter()
            .try_for_each(|(k, item)| conform(item, t, &path.key(k.clone()))),
        (Type::Object(attrs), Value::Object(fields)) => {
            if let Some(extra) = fields.keys().find(|k| !attrs.contains_key(*k)) {
                return Err((path.attr(extra.clone()), "not in the schema".into()));
            }
            attrs
                .iter()
                .try_for_each(|(name, t)| conform(&part(v, name), t, &path.attr(name.clone())))
        }
        (Type::Tuple(types), Value::Tuple(items)) if types.len() == items.len() => types
            .iter()
            .zip(items)
            .enumerate()
            .try_for_each(|(i, (t, item))| {
                conform(item, t, &path.index(i64::try_from(i).unwrap_or(i64::MAX)))
            }),
        _ => wrong(),
    }
}

/// The path of the first unknown inside `v`, if any.
fn first_unknown(v: &Value, path: &Path) -> Option<Path> {
    match v.unwrap_dynamic() {
        Value::Unknown => Some(path.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            items.iter().enumerate().find_map(|(i, item)| {
                first_unknown(item, &path.index(i64::try_from(i).unwrap_or(i64::MAX)))
            })
        }
        Value::Map(entries) => entries
            .iter()
            .find_map(|(k, item)| first_unknown(item, &path.key(k.clone()))),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(k, item)| first_unknown(item, &path.attr(k.clone()))),
        _ => None,
    }
}

/// The value at `path` inside `v`, if the path leads anywhere.
pub fn at_path(v: &Value, path: &Path) -> Option<Value> {
    let mut here = v.clone();
    for step in path.steps() {
        here = match (step, here.unwrap_dynamic()) {
            (PathStep::Attr(name), Value::Object(fields)) => {
                fields.get(name).cloned().unwrap_or(Value::Null)
            }
            (PathStep::Index(i), Value::List(items) | Value::Tuple(items)) => {
                items.get(usize::try_from(*i).ok()?)?.clone()
            }
            (PathStep::Key(k), Value::Map(entries)) => entries.get(k)?.clone(),
            _ => return None,
        };
    }
    Some(here)
}
