//! Every resource's plan logic against the oracle, by proptest: plans with
//! unknowns, the final plan once they are known, and the settled apply.

use std::cell::RefCell;
use std::collections::BTreeMap;

use cty::{Path, PathStep, Type, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::strategy::{self, Dice};
use super::variations;
use super::*;
use crate::framework::default_tags::{self, DefaultTags};
use crate::framework::diagnostics::Diagnostics;
use crate::framework::resource::DynResource;
use crate::framework::resource::settle;
use crate::framework::schema::Block;

use super::tests::{block, obj, terraform_only};

const CASES: u32 = 96;

/// A path with element indices and keys left out, to group findings.
fn shape(path: &Path) -> String {
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
struct Case {
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
struct Subject<'a> {
    block: &'a Block,
    ty: &'a Type,
    /// The plan logic at plan time.
    planner: &'a Planner<'a>,
    /// The plan logic at apply time (provider settings may be known by then).
    final_planner: &'a Planner<'a>,
    /// The provider's default tags the planners merge into `tags_all`.
    defaults: DefaultTags,
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
    let blurred = variations::blur(block, known, &mut dice);
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

/// The findings of `cases` random cases: the first refusal by Terraform's
/// rules, else the strict findings; and which actions the cases took.
#[allow(clippy::type_complexity)]
fn run_cases(
    subject: &Subject<'_>,
    validate: &dyn Fn(&Value) -> bool,
    cases: u32,
) -> (
    Result<(), String>,
    Vec<(String, Violation, Case)>,
    BTreeMap<String, usize>,
) {
    let mut runner = TestRunner::new(Config {
        cases,
        max_local_rejects: 1_000_000,
        max_global_rejects: 1_000_000,
        failure_persistence: None,
        ..Config::default()
    });
    let found = RefCell::new(Vec::new());
    let seen = RefCell::new(BTreeMap::new());
    let inputs = (
        strategy::config(subject.block),
        strategy::state(subject.block),
        proptest::bool::weighted(0.25),
        vec(any::<u8>(), 96),
    );
    let result = runner.run(&inputs, |(known, other, create, bytes)| {
        prop_assume!(validate(&known));
        match exercise(subject, &known, &other, create, &bytes, &seen) {
            Ok(strict) => {
                found.borrow_mut().extend(strict);
                Ok(())
            }
            Err(problem) => Err(TestCaseError::fail(problem)),
        }
    });
    (
        result.map_err(|e| e.to_string()),
        found.into_inner(),
        seen.into_inner(),
    )
}

#[test]
fn every_resource_keeps_terraforms_plan_and_apply_rules() {
    let mut failures = Vec::new();
    let mut strict_report: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in crate::resources::all() {
        // As PlanResourceChange answers: the resource's plan, then the
        // provider-wide `tags_all`; default tags known when planning, or
        // only learned during apply.
        let known: DefaultTags = Some([("team".to_string(), "ops".to_string())].into());
        let with_tags =
            |defaults: &DefaultTags, prior: &Value, config: &Value, proposed: &Value| {
                let (mut plan, diags) = r.plan(prior, config, proposed);
                if default_tags::applies_to(&r.schema().block) {
                    default_tags::plan(defaults, &mut plan.planned);
                }
                (plan, diags)
            };
        let tags_known = |p: &Value, c: &Value, pr: &Value| with_tags(&known, p, c, pr);
        let tags_unknown = |p: &Value, c: &Value, pr: &Value| with_tags(&None, p, c, pr);
        let subjects = [
            (&tags_known as &Planner<'_>, CASES),
            (&tags_unknown as &Planner<'_>, CASES / 3),
        ];
        let validate = |config: &Value| !r.validate(config).has_errors();
        for (planner, cases) in subjects {
            let subject = Subject {
                block: &r.schema().block,
                ty: r.value_type(),
                planner,
                final_planner: &tags_known,
                defaults: known.clone(),
            };
            let (result, strict, seen) = run_cases(&subject, &validate, cases);
            // Which paths the cases took (shown with --nocapture).
            eprintln!("{}: {seen:?}", r.type_name());
            if let Err(e) = result {
                failures.push(format!("{}: {e}", r.type_name()));
            }
            for (stage, v, case) in strict {
                let key = (r.type_name().to_string(), shape(&v.path));
                strict_report
                    .entry(key)
                    .or_insert_with(|| format!("{stage}: {v}\n    {case}"));
            }
        }
    }
    for ((ty, path), example) in &strict_report {
        eprintln!("strict finding {ty} {path}: {example}\n");
    }
    let unexpected: Vec<String> = strict_report
        .iter()
        .map(|((ty, _), example)| format!("{ty}: {example}"))
        .collect();
    assert!(
        failures.is_empty(),
        "Terraform would refuse:\n{}",
        failures.join("\n\n")
    );
    assert!(
        unexpected.is_empty(),
        "stricter rules broken:\n{}",
        unexpected.join("\n\n")
    );
}

/// The generators find a known mistake: plan logic that lets an unknown
/// replace-forcing value plan an update, which the final plan then turns
/// into a replacement.
#[test]
fn the_property_test_catches_an_update_that_turns_into_a_replacement() {
    let block = block();
    let lenient = |prior: &Value, config: &Value, proposed: &Value| {
        let mut p = crate::framework::plan::plan(&block, prior, config, proposed);
        p.requires_replace
            .retain(|path| at_path(&p.planned, path).is_some_and(|v| v.is_wholly_known()));
        (p, Diagnostics::new())
    };
    let subject = Subject {
        block: &block,
        ty: &block.value_type(),
        planner: &lenient,
        final_planner: &lenient,
        defaults: None,
    };
    let (result, _, _) = run_cases(&subject, &|_| true, 256);
    let problem = result.expect_err("the mistake must be found");
    assert!(
        problem.contains("changed the planned action from Update to Replace"),
        "{problem}"
    );
}

/// The launch template's name is replace-forcing: not known yet, it plans a
/// replacement, which the final plan (a create) keeps.
#[test]
fn an_unknown_template_name_plans_a_replacement_the_final_plan_keeps() {
    let r = crate::resources::all()
        .into_iter()
        .find(|r| r.type_name() == "roundrobin_launch_template")
        .expect("the launch template resource");
    let prior = obj(&[
        ("id", "lt-1".into()),
        ("arn", "arn:aws:ec2:eu-west-1:1:launch-template/lt-1".into()),
        ("name", "app".into()),
        ("image_id", "ami-1".into()),
        ("update_default_version", true.into()),
        ("latest_version", 1_i64.into()),
        ("default_version", 1_i64.into()),
    ]);
    let config = |name: Value| {
        obj(&[
            ("name", name),
            ("image_id", "ami-1".into()),
            ("update_default_version", Value::Null),
        ])
    };
    let saved = plan_as_terraform(r.as_ref(), &prior, &config(Value::Unknown));
    assert!(saved.violations.is_empty(), "{:?}", saved.violations);
    assert_eq!(saved.action, Action::Replace);
    let last = plan_as_terraform(r.as_ref(), &Value::Null, &config("app".into()));
    assert!(last.violations.is_empty(), "{:?}", last.violations);
    let found = check_final_plan(&r.schema().block, &saved, &last);
    assert!(found.is_empty(), "{found:?}");
    let unchanged = plan_as_terraform(r.as_ref(), &prior, &config("app".into()));
    assert_eq!(unchanged.action, Action::NoOp, "{:?}", unchanged.planned);
}

/// Plans as PlanResourceChange answers, with the provider's default tags.
fn plan_with_defaults(
    r: &dyn DynResource,
    defaults: &DefaultTags,
    prior: &Value,
    config: &Value,
) -> Step {
    let planner = |prior: &Value, config: &Value, proposed: &Value| {
        let (mut plan, diags) = r.plan(prior, config, proposed);
        if default_tags::applies_to(&r.schema().block) {
            default_tags::plan(defaults, &mut plan.planned);
        }
        (plan, diags)
    };
    plan_with(&r.schema().block, &planner, prior, config)
}

/// Default tags not known at plan time (they depend on another resource)
/// make `tags_all` unknown; once known, the final plan agrees.
#[test]
fn default_tags_learned_during_apply_keep_the_final_plan_consistent() {
    let r = crate::resources::all()
        .into_iter()
        .find(|r| r.type_name() == "roundrobin_launch_template")
        .expect("the launch template resource");
    let tags =
        |pairs: &[(&str, &str)]| Value::map(pairs.iter().map(|(k, v)| (*k, Value::from(*v))));
    let prior = obj(&[
        ("id", "lt-1".into()),
        ("name", "app".into()),
        ("update_default_version", true.into()),
        ("latest_version", 1_i64.into()),
        ("default_version", 1_i64.into()),
        ("tags", tags(&[("app", "web")])),
        ("tags_all", tags(&[("app", "web"), ("team", "ops")])),
    ]);
    let config = obj(&[("name", "app".into()), ("tags", tags(&[("app", "web")]))]);
    let block = &r.schema().block;
    let saved = plan_with_defaults(r.as_ref(), &None, &prior, &config);
    assert!(saved.violations.is_empty(), "{:?}", saved.violations);
    assert_eq!(saved.action, Action::Update);
    for (team, action) in [("ops", Action::NoOp), ("dev", Action::Update)] {
        let defaults: DefaultTags = Some([("team".to_string(), team.to_string())].into());
        let last = plan_with_defaults(r.as_ref(), &defaults, &prior, &config);
        // A changed default is a new known `tags_all`: strict, and accepted.
        let core = terraform_only(last.violations.clone());
        assert!(core.is_empty(), "{core:?}");
        assert_eq!(last.action, action);
        let found = check_final_plan(block, &saved, &last);
        assert!(found.is_empty(), "{found:?}");
    }
}
