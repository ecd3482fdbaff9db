//! Terraform's checks of a planned state against the prior state and the
//! config (core's `AssertPlanValid`), with this provider's stricter rules.

use cty::{Path, Value};

use super::{Findings, Violation, conform, part, same};
use crate::framework::schema::{Attribute, Block, Mode, Nesting};

/// Terraform's checks of a planned state (and this provider's stricter
/// ones, as [`Rule::Strict`]), for a resource whose values are `prior`
/// (null on create) and `config`.
pub fn check_plan(block: &Block, prior: &Value, config: &Value, planned: &Value) -> Vec<Violation> {
    let mut found = Findings::default();
    if let Err((path, problem)) = conform(planned, &block.value_type(), &Path::root()) {
        found.terraform(
            &path,
            format!("planned value does not conform to the schema: {problem}"),
        );
    }
    plan_object(block, prior, config, planned, &Path::root(), &mut found);
    found.0
}

fn plan_object(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &Path,
    found: &mut Findings,
) {
    match (config.is_null(), planned.is_null()) {
        (false, true) => {
            return found.terraform(path, "planned for absence but config wants existence");
        }
        (true, false) => {
            return found.terraform(path, "planned for existence but config wants absence");
        }
        (true, true) => return,
        (false, false) => {}
    }
    for attr in &block.attributes {
        plan_attribute(
            attr,
            &part(prior, attr.name),
            &part(config, attr.name),
            &part(planned, attr.name),
            !prior.is_null(),
            &path.attr(attr.name),
            found,
        );
    }
    for nested in &block.blocks {
        let here = path.attr(nested.name);
        let (prior_v, config_v, planned_v) = (
            part(prior, nested.name),
            part(config, nested.name),
            part(planned, nested.name),
        );
        if nested.nesting != Nesting::Single && planned_v.is_null() {
            found.terraform(
                &here,
                "a collection of nested blocks must be empty to mean no blocks, not null",
            );
            continue;
        }
        if same(&planned_v, &config_v) {
            continue;
        }
        if config_v.is_unknown() {
            found.terraform(
                &here,
                format!("planned value {planned_v:?} for an unknown dynamic block"),
            );
            continue;
        }
        if planned_v.is_unknown() {
            found.terraform(&here, "planned unknown value for a non-computed block");
            continue;
        }
        match nested.nesting {
            Nesting::Single => {
                plan_object(&nested.block, &prior_v, &config_v, &planned_v, &here, found)
            }
            Nesting::List => {
                let planned_items = planned_v.as_elements().unwrap_or(&[]);
                let config_items = config_v.as_elements().unwrap_or(&[]);
                if planned_items.len() != config_items.len() {
                    found.terraform(
                        &here,
                        format!(
                            "block count in plan ({}) disagrees with count in config ({})",
                            planned_items.len(),
                            config_items.len()
                        ),
                    );
                    continue;
                }
                let prior_items = prior_v.as_elements().unwrap_or(&[]);
                for (i, (p, c)) in planned_items.iter().zip(config_items).enumerate() {
                    let at = here.index(i64::try_from(i).unwrap_or(i64::MAX));
                    if p.is_unknown() {
                        found.terraform(&at, "a nested block element must not be unknown itself");
                        continue;
                    }
                    let before = prior_items.get(i).cloned().unwrap_or(Value::Null);
                    plan_object(&nested.block, &before, c, p, &at, found);
                }
            }
            Nesting::Set => {
                for (i, p) in planned_v.as_elements().unwrap_or(&[]).iter().enumerate() {
                    if p.is_unknown() {
                        let at = here.index(i64::try_from(i).unwrap_or(i64::MAX));
                        found.terraform(&at, "a nested block element must not be unknown itself");
                    }
                }
            }
        }
    }
}

fn plan_attribute(
    attr: &Attribute,
    prior: &Value,
    config: &Value,
    planned: &Value,
    prior_exists: bool,
    path: &Path,
    found: &mut Findings,
) {
    if same(planned, config) {
        return;
    }
    // The provider may keep a prior value it finds equivalent to the config.
    if same(planned, prior) && !prior.is_null() && !config.is_null() {
        return;
    }
    let provider_chooses = match attr.mode {
        Mode::Computed => true,
        Mode::OptionalComputed => config.is_null(),
        Mode::Required | Mode::Optional => false,
    };
    if provider_chooses {
        let kept = planned.is_unknown()
            || same(planned, prior)
            || attr.default.as_ref().is_some_and(|d| same(planned, d));
        if prior_exists && !kept {
            found.strict(
                path,
                format!(
                    "planned {planned:?} for a computed value the config leaves out; the prior value was {prior:?}: keep it, take the default, or plan unknown"
                ),
            );
        }
        return;
    }
    if config.is_null() {
        return found.terraform(
            path,
            format!("planned value {planned:?} for a non-computed attribute"),
        );
    }
    if prior.is_null() {
        found.terraform(
            path,
            format!("planned value {planned:?} does not match config value {config:?}"),
        );
    } else {
        found.terraform(
            path,
            format!(
                "planned value {planned:?} does not match config value {config:?} nor prior value {prior:?}"
            ),
        );
    }
}
