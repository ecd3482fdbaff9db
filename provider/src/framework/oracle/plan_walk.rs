//! One PlanResourceChange the way core drives it: the proposed new state,
//! the plan checks, the action core derives, the second plan of a
//! replacement, and the final plan at apply time against the saved one.

use cty::{Path, Value};

use super::apply_checks::compatible_object;
use super::{Findings, Rule, Violation, at_path, check_plan, proposed_new, same};
use crate::framework::diagnostics::{Diagnostics, Severity};
use crate::framework::plan::Plan;
use crate::framework::resource::DynResource;
use crate::framework::schema::Block;

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
    for d in diags.0.iter().filter(|d| d.severity == Severity::Error) {
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
