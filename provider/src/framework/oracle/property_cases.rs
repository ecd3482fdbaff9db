//! One property-test case of a resource's plan logic against the oracle
//! (a plan with unknowns, the final plan once they are known, the settled
//! apply), and the run of many, from configurations generated from the
//! resource's schema and shaped toward what its validation accepts.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use cty::{Path, PathStep, Type, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};

use super::strategy::{self, Dice};
use super::variations;
use super::*;
use crate::framework::default_tags::{self, DefaultTags};
use crate::framework::resource::settle;
use crate::framework::schema::Block;

/// How many generated configurations a resource's validation may refuse
/// per case it accepts; past that the run stops and fails: a resource
/// whose configurations are mostly refused is barely exercised, and should
/// shape them (`Resource::shape_generated_config`).
pub(super) const REJECTS_PER_CASE: u32 = 3;

/// A path with element indices and keys left out, to group findings.
pub(super) fn shape(path: &Path) -> String {
    path.steps()
        .iter()
        .filter_map(|s| match s {
            PathStep::Attr(name) => Some(name.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Whether a strict finding is a `tags_all` that is exactly the merge of
/// the provider's `defaults` and the planned `tags`: not a value the
/// provider chooses but one the configuration (provider block and
/// resource) sets, which the apply writes and reports back.
fn is_configured_tags_all(v: &Violation, planned: &Value, defaults: &DefaultTags) -> bool {
    if shape(&v.path) != "tags_all" {
        return false;
    }
    let (Some(defaults), Some(all)) = (defaults, planned.get_attr("tags_all")) else {
        return false;
    };
    let mut merged = defaults.clone();
    merged.extend(default_tags::tag_map(planned.get_attr("tags")).unwrap_or_default());
    default_tags::tag_map(Some(all)).is_some_and(|all| all == merged)
}

/// The inputs of a case, for reports.
#[derive(Clone)]
pub(super) struct Case {
    prior: Value,
    saved_config: Value,
    final_config: Value,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "prior: {:?}\n    config at plan: {:?}\n    config at apply: {:?}",
            self.prior, self.saved_config, self.final_config
        )
    }
}

/// What a case exercises: a schema, its plan logic and its validation.
pub(super) struct Subject<'a> {
    pub block: &'a Block,
    pub ty: &'a Type,
    /// The plan logic at plan time.
    pub planner: &'a Planner<'a>,
    /// The plan logic at apply time (provider settings may be known by then).
    pub final_planner: &'a Planner<'a>,
    /// The provider's default tags the planners merge into `tags_all`.
    pub defaults: DefaultTags,
    /// The resource's shaping of a generated configuration toward validity.
    pub shape: &'a dyn Fn(&mut Value, &mut Dice<'_>),
}

/// Runs one case through a plan with unknowns, the final plan with them
/// known, and the settling of an apply result; every finding of
/// Terraform's rules is an error, strict findings are returned.
fn exercise(
    subject: &Subject<'_>,
    known: &Value,
    other: &Value,
    create: bool,
    bytes: &[u8],
    seen: &RefCell<BTreeMap<String, usize>>,
) -> Result<Vec<(String, Violation, Case)>, String> {
    let block = subject.block;
    let mut dice = Dice::new(bytes);
    let prior = if create {
        Value::Null
    } else if dice.one_in(3) {
        // What an earlier apply of this very configuration left.
        let created = plan_with(block, subject.final_planner, &Value::Null, known);
        variations::fill(&created.planned, subject.ty, &mut dice)
    } else {
        variations::prior_from(block, known, other, &mut dice)
    };
    // Blurring leaves a config of many attributes wholly known almost
    // never; a quarter of the cases plan with everything known.
    let blurred = if dice.one_in(4) {
        known.clone()
    } else {
        variations::blur(block, known, &mut dice)
    };
    let case = Case {
        prior: prior.clone(),
        saved_config: blurred.clone(),
        final_config: known.clone(),
    };
    let saved = plan_with(block, subject.planner, &prior, &blurred);
    let final_prior = match saved.action {
        Action::Create | Action::Replace => Value::Null,
        Action::NoOp | Action::Update => prior.clone(),
    };
    let last = plan_with(block, subject.final_planner, &final_prior, known);
    if !prior.is_null() {
        let destroy = plan_with(block, subject.planner, &prior, &Value::Null);
        all_destroy(&destroy)?;
    }
    let unknowns = if blurred.is_wholly_known() {
        ""
    } else {
        " with unknowns"
    };
    *seen
        .borrow_mut()
        .entry(format!(
            "{:?}{unknowns} then {:?}",
            saved.action, last.action
        ))
        .or_default() += 1;
    let mut all: Vec<(String, Violation)> = Vec::new();
    all.extend(
        saved
            .violations
            .iter()
            .map(|v| ("plan".to_string(), v.clone())),
    );
    all.extend(
        last.violations
            .iter()
            .map(|v| ("final plan".to_string(), v.clone())),
    );
    all.extend(
        check_final_plan(block, &saved, &last)
            .into_iter()
            .map(|v| ("final plan against saved plan".to_string(), v)),
    );
    if !last.planned.is_null() {
        let cloud = variations::fill(&last.planned, subject.ty, &mut dice);
        let cloud = variations::disturb(block, &cloud, &mut dice);
        let settled = settle(block, &last.planned, cloud.clone());
        all.extend(
            check_apply(block, &last.planned, &settled)
                .into_iter()
                .map(|v| (format!("apply (cloud reported {cloud:?})"), v)),
        );
    }
    let (core, strict): (Vec<_>, Vec<_>) = all
        .into_iter()
        .filter(|(stage, v)| {
            let planned = if stage == "plan" {
                &saved.planned
            } else {
                &last.planned
            };
            !is_configured_tags_all(v, planned, &subject.defaults)
        })
        .partition(|(_, v)| v.rule == Rule::Terraform);
    if let Some((stage, v)) = core.first() {
        return Err(format!(
            "{stage}: {v}\n  {case}\n  saved: {:?} {:?} replace={:?}\n  final: {:?} {:?}",
            saved.action, saved.planned, saved.requires_replace, last.action, last.planned,
        ));
    }
    Ok(strict
        .into_iter()
        .map(|(stage, v)| (stage, v, case.clone()))
        .collect())
}

/// A destroy plans a null state and nothing else.
fn all_destroy(step: &Step) -> Result<(), String> {
    match step.violations.first() {
        Some(v) => Err(format!("destroy plan: {v}")),
        None if !step.planned.is_null() => Err(format!("destroy plan: planned {:?}", step.planned)),
        None => Ok(()),
    }
}

/// What a run of cases found.
pub(super) struct Outcome {
    /// The first refusal by Terraform's rules, or the run stopped because
    /// too few generated configurations passed validation.
    pub result: Result<(), String>,
    /// The findings of the stricter rules.
    pub strict: Vec<(String, Violation, Case)>,
    /// Which actions the cases took, and how often.
    pub seen: BTreeMap<String, usize>,
    /// Configurations generated, and those validation accepted (the cases).
    pub generated: u32,
    pub accepted: u32,
}

/// Runs `cases` random cases, each from a generated configuration the
/// subject shaped and `validate` accepted.
pub(super) fn run_cases(
    subject: &Subject<'_>,
    validate: &dyn Fn(&Value) -> bool,
    cases: u32,
) -> Outcome {
    let mut runner = TestRunner::new(Config {
        cases,
        max_local_rejects: 1_000_000,
        max_global_rejects: cases.saturating_mul(REJECTS_PER_CASE),
        failure_persistence: None,
        ..Config::default()
    });
    let found = RefCell::new(Vec::new());
    let seen = RefCell::new(BTreeMap::new());
    let generated = Cell::new(0_u32);
    let accepted = Cell::new(0_u32);
    let shaped =
        (strategy::config(subject.block), vec(any::<u8>(), 32)).prop_map(|(mut config, bytes)| {
            (subject.shape)(&mut config, &mut Dice::new(&bytes));
            config
        });
    let inputs = (
        shaped,
        strategy::state(subject.block),
        proptest::bool::weighted(0.25),
        vec(any::<u8>(), 96),
    );
    let result = runner.run(&inputs, |(known, other, create, bytes)| {
        generated.set(generated.get() + 1);
        prop_assume!(validate(&known));
        accepted.set(accepted.get() + 1);
        match exercise(subject, &known, &other, create, &bytes, &seen) {
            Ok(strict) => {
                found.borrow_mut().extend(strict);
                Ok(())
            }
            Err(problem) => Err(TestCaseError::fail(problem)),
        }
    });
    let result = result.map_err(|e| match e {
        TestError::Abort(why) => format!(
            "{why}: validation accepted only {} of {} generated configurations (at most {REJECTS_PER_CASE} refusals per case); shape them toward validity in Resource::shape_generated_config",
            accepted.get(),
            generated.get()
        ),
        e => e.to_string(),
    });
    Outcome {
        result,
        strict: found.into_inner(),
        seen: seen.into_inner(),
        generated: generated.get(),
        accepted: accepted.get(),
    }
}
