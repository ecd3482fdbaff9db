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

mod proposed;
mod strategy;
mod tests;

use std::fmt;

use cty::{Path, PathStep, Type, Value};

pub use proposed::proposed_new;

use super::diagnostics::Diagnostics;
use super::plan::Plan;
use super::resource::DynResource;
use super::schema::{Attribute, Block, Mode, Nesting};

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

// ---------------------------------------------------------------------------
// PlanResourceChange

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

// ---------------------------------------------------------------------------
// ApplyResourceChange, and the final plan against the saved one

/// Terraform's checks of an applied state against the planned one: it is
/// wholly known, of the schema's type, and every known planned value is in
/// it unchanged.
pub fn check_apply(block: &Block, planned: &Value, applied: &Value) -> Vec<Violation> {
    let mut found = Findings::default();
    if let Err((path, problem)) = conform(applied, &block.value_type(), &Path::root()) {
        found.terraform(
            &path,
            format!("applied value does not conform to the schema: {problem}"),
        );
    }
    if let Some(path) = first_unknown(applied, &Path::root()) {
        found.terraform(&path, "the applied state has an unknown value");
    }
    compatible_object(block, planned, applied, &Path::root(), &mut found);
    found.0
}

/// Whether `actual` is a valid completion of `planned` (core's check of
/// both an applied state and a final plan against a saved plan).
fn compatible_object(
    block: &Block,
    planned: &Value,
    actual: &Value,
    path: &Path,
    found: &mut Findings,
) {
    match (planned.is_null(), actual.is_null()) {
        (true, false) => return found.terraform(path, "was absent, but now present"),
        (false, true) => return found.terraform(path, "was present, but now absent"),
        (true, true) => return,
        (false, false) => {}
    }
    for attr in &block.attributes {
        let at = path.attr(attr.name);
        compatible_value(
            &part(planned, attr.name),
            &part(actual, attr.name),
            &at,
            found,
        );
    }
    for nested in &block.blocks {
        let here = path.attr(nested.name);
        let (p, a) = (part(planned, nested.name), part(actual, nested.name));
        match nested.nesting {
            Nesting::Single => {
                if p.is_unknown() && a.is_null() {
                    continue;
                }
                compatible_object(&nested.block, &p, &a, &here, found);
            }
            Nesting::List => {
                if p.is_unknown() || a.is_unknown() || p.is_null() || a.is_null() {
                    continue;
                }
                let (ps, acts) = (
                    p.as_elements().unwrap_or(&[]),
                    a.as_elements().unwrap_or(&[]),
                );
                if ps.len() != acts.len() {
                    found.terraform(
                        &here,
                        format!("block count changed from {} to {}", ps.len(), acts.len()),
                    );
                    continue;
                }
                for (i, (pe, ae)) in ps.iter().zip(acts).enumerate() {
                    let at = here.index(i64::try_from(i).unwrap_or(i64::MAX));
                    compatible_object(&nested.block, pe, ae, &at, found);
                }
            }
            Nesting::Set => {
                if p.is_unknown() || a.is_unknown() || p.is_null() || a.is_null() {
                    continue;
                }
                let (ps, acts) = (
                    p.as_elements().unwrap_or(&[]),
                    a.as_elements().unwrap_or(&[]),
                );
                correlate_sets(ps, acts, &here, found, |pe, ae| {
                    let mut inner = Findings::default();
                    compatible_object(&nested.block, pe, ae, &here, &mut inner);
                    inner.0.is_empty()
                });
                if ps.len() < acts.len() {
                    found.terraform(
                        &here,
                        format!(
                            "block set length changed from {} to {}",
                            ps.len(),
                            acts.len()
                        ),
                    );
                }
            }
        }
    }
}

fn compatible_value(planned: &Value, actual: &Value, path: &Path, found: &mut Findings) {
    if planned.is_unknown() {
        return;
    }
    match (planned.is_null(), actual.is_null()) {
        (true, true) => return,
        (false, true) => return found.terraform(path, format!("was {planned:?}, but now null")),
        (true, false) => return found.terraform(path, format!("was null, but now {actual:?}")),
        (false, false) => {}
    }
    if actual.is_unknown() {
        return found.terraform(path, "was known, but now unknown");
    }
    match (planned.unwrap_dynamic(), actual.unwrap_dynamic()) {
        (Value::List(ps), Value::List(acts)) | (Value::Tuple(ps), Value::Tuple(acts)) => {
            for (i, p) in ps.iter().enumerate() {
                let at = path.index(i64::try_from(i).unwrap_or(i64::MAX));
                match acts.get(i) {
                    Some(a) => compatible_value(p, a, &at, found),
                    None => found.terraform(path, format!("element {i} has vanished")),
                }
            }
            for i in ps.len()..acts.len() {
                found.terraform(path, format!("new element {i} has appeared"));
            }
        }
        (Value::Map(ps), Value::Map(acts)) => {
            for (k, p) in ps {
                match acts.get(k) {
                    Some(a) => compatible_value(p, a, &path.key(k.clone()), found),
                    None => found.terraform(path, format!("element {k:?} has vanished")),
                }
            }
            for k in acts.keys().filter(|k| !ps.contains_key(*k)) {
                found.terraform(path, format!("new element {k:?} has appeared"));
            }
        }
        (Value::Object(ps), Value::Object(acts)) => {
            for name in ps
                .keys()
                .chain(acts.keys().filter(|k| !ps.contains_key(*k)))
            {
                compatible_value(
                    &part(planned, name),
                    &part(actual, name),
                    &path.attr(name.clone()),
                    found,
                );
            }
        }
        (Value::Set(ps), Value::Set(acts)) => {
            correlate_sets(ps, acts, path, found, |p, a| {
                let mut inner = Findings::default();
                compatible_value(p, a, path, &mut inner);
                inner.0.is_empty()
            });
            if ps.len() < acts.len() {
                found.terraform(
                    path,
                    format!("length changed from {} to {}", ps.len(), acts.len()),
                );
            }
        }
        (p, a) => {
            if !same(p, a) {
                found.terraform(path, format!("was {p:?}, but now {a:?}"));
            }
        }
    }
}

/// Every planned set element must match some actual element and the other
/// way round (set elements have no identity to pair them by).
fn correlate_sets(
    planned: &[Value],
    actual: &[Value],
    path: &Path,
    found: &mut Findings,
    matches: impl Fn(&Value, &Value) -> bool,
) {
    let mut planned_ok = vec![false; planned.len()];
    let mut actual_ok = vec![false; actual.len()];
    for (i, p) in planned.iter().enumerate() {
        for (j, a) in actual.iter().enumerate() {
            if !(planned_ok[i] && actual_ok[j]) && matches(p, a) {
                planned_ok[i] = true;
                actual_ok[j] = true;
            }
        }
    }
    if let Some(i) = planned_ok.iter().position(|ok| !ok) {
        return found.terraform(
            path,
            format!(
                "planned set element {:?} does not correlate with any element in actual",
                planned[i]
            ),
        );
    }
    if let Some(j) = actual_ok.iter().position(|ok| !ok) {
        found.terraform(
            path,
            format!(
                "actual set element {:?} does not correlate with any element in plan",
                actual[j]
            ),
        );
    }
}

/// What core does with a planned change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    NoOp,
    Update,
    Replace,
}

/// The action core derives from a plan: NoOp when the planned state is
/// known and equals the prior one; Replace when a `requires_replace` path
/// has a value that differs from the prior one or is not yet known.
pub fn action(prior: &Value, plan: &Plan) -> Action {
    if prior.is_null() {
        return Action::Create;
    }
    if plan.planned.is_wholly_known() && same(&plan.planned, prior) {
        return Action::NoOp;
    }
    let forced = plan.requires_replace.iter().any(|path| {
        let before = at_path(prior, path).unwrap_or(Value::Null);
        let after = at_path(&plan.planned, path).unwrap_or(Value::Null);
        !after.is_wholly_known() || !same(&after, &before)
    });
    if forced {
        Action::Replace
    } else {
        Action::Update
    }
}

/// One planning of a resource as core does it.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    /// The planned new state core saves (for a replacement, the plan made
    /// from a null prior state).
    pub planned: Value,
    pub requires_replace: Vec<Path>,
    pub violations: Vec<Violation>,
}

/// Plans a change of `resource` from `prior` to `config` the way core does:
/// proposed new state, PlanResourceChange, the plan checks, the action;
/// and for a replacement a second plan from a null prior state, whose
/// result is what core saves.
pub fn plan_as_terraform(resource: &dyn DynResource, prior: &Value, config: &Value) -> Step {
    plan_with(
        &resource.schema().block,
        &|prior, config, proposed| resource.plan(prior, config, proposed),
        prior,
        config,
    )
}

/// What PlanResourceChange does: prior, config and proposed new state in,
/// plan out.
pub type Planner<'a> = dyn Fn(&Value, &Value, &Value) -> (Plan, Diagnostics) + 'a;

/// [`plan_as_terraform`] for any plan logic over `block`.
pub fn plan_with(block: &Block, planner: &Planner<'_>, prior: &Value, config: &Value) -> Step {
    // A destroy plan is sent a null proposed state.
    let plan_once = |prior: &Value| {
        let proposed = if config.is_null() {
            Value::Null
        } else {
            proposed_new(block, prior, config)
        };
        planner(prior, config, &proposed)
    };
    let (plan, diags) = plan_once(prior);
    let mut violations = check_plan(block, prior, config, &plan.planned);
    note_errors(&diags, &mut violations);
    for path in &plan.requires_replace {
        if !prior.is_null()
            && at_path(prior, path).is_none()
            && at_path(&plan.planned, path).is_none()
        {
            violations.push(Violation {
                rule: Rule::Terraform,
                path: path.clone(),
                message: "requires_replace names a path that exists in neither the prior nor the planned state".into(),
            });
        }
    }
    let action = action(prior, &plan);
    if action != Action::Replace {
        return Step {
            action,
            planned: plan.planned,
            requires_replace: plan.requires_replace,
            violations,
        };
    }
    let (create, diags) = plan_once(&Value::Null);
    violations.extend(check_plan(block, &Value::Null, config, &create.planned));
    note_errors(&diags, &mut violations);
    Step {
        action,
        planned: create.planned,
        requires_replace: plan.requires_replace,
        violations,
    }
}

fn note_errors(diags: &Diagnostics, violations: &mut Vec<Violation>) {
    for d in diags
        .0
        .iter()
        .filter(|d| d.severity == super::diagnostics::Severity::Error)
    {
        violations.push(Violation {
            rule: Rule::Terraform,
            path: Path::root(),
            message: format!("planning failed: {}: {}", d.summary, d.detail),
        });
    }
}

/// Core's comparison of the final plan, made at apply time with every
/// config value known, against the saved plan: the action stays (an update
/// may become a no-op; a replacement is planned again as a create), and
/// every value known in the saved plan is unchanged.
pub fn check_final_plan(block: &Block, saved: &Step, last: &Step) -> Vec<Violation> {
    let mut found = Findings::default();
    let allowed = saved.action == last.action
        || (saved.action == Action::Update && last.action == Action::NoOp)
        || (saved.action == Action::Replace && last.action == Action::Create);
    if !allowed {
        found.terraform(
            &Path::root(),
            format!(
                "changed the planned action from {:?} to {:?}",
                saved.action, last.action
            ),
        );
    }
    compatible_object(
        block,
        &saved.planned,
        &last.planned,
        &Path::root(),
        &mut found,
    );
    found.0
}
