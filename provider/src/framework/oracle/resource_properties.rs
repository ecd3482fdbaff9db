//! Every resource's plan logic against the oracle, by proptest: plans with
//! unknowns, the final plan once they are known, and the settled apply.

use std::collections::BTreeMap;

use cty::Value;

use super::property_cases::{REJECTS_PER_CASE, Subject, run_cases, shape as shape_of};
use super::*;
use crate::framework::default_tags::{self, DefaultTags};
use crate::framework::diagnostics::Diagnostics;
use crate::framework::resource::DynResource;

use super::tests::{block, obj, terraform_only};

const CASES: u32 = 96;

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
        let shape = |config: &mut Value, dice: &mut Dice<'_>| {
            r.shape_generated_config(config, dice);
        };
        for (planner, cases) in subjects {
            let subject = Subject {
                block: &r.schema().block,
                ty: r.value_type(),
                planner,
                final_planner: &tags_known,
                defaults: known.clone(),
                shape: &shape,
            };
            let outcome = run_cases(&subject, &validate, cases);
            // How many generated configurations were cases, and which paths
            // the cases took (shown with --nocapture).
            eprintln!(
                "{}: {} of {} generated configurations valid; {:?}",
                r.type_name(),
                outcome.accepted,
                outcome.generated,
                outcome.seen
            );
            if let Err(e) = outcome.result {
                failures.push(format!("{}: {e}", r.type_name()));
            }
            for (stage, v, case) in outcome.strict {
                let key = (r.type_name().to_string(), shape_of(&v.path));
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
        "Terraform would refuse, or a resource was barely exercised:\n{}",
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
        shape: &|_, _| {},
    };
    let outcome = run_cases(&subject, &|_| true, 256);
    let problem = outcome.result.expect_err("the mistake must be found");
    assert!(
        problem.contains("changed the planned action from Update to Replace"),
        "{problem}"
    );
}

/// A resource whose validation refuses most generated configurations is
/// not exercised: the run stops early and says so, instead of passing on a
/// handful of cases or searching for valid ones for minutes.
#[test]
fn a_resource_that_refuses_most_generated_configurations_fails_loudly() {
    let block = block();
    let planner = |prior: &Value, config: &Value, proposed: &Value| {
        let p = crate::framework::plan::plan(&block, prior, config, proposed);
        (p, Diagnostics::new())
    };
    let subject = Subject {
        block: &block,
        ty: &block.value_type(),
        planner: &planner,
        final_planner: &planner,
        defaults: None,
        shape: &|_, _| {},
    };
    let refuse_all = run_cases(&subject, &|_| false, 32);
    let problem = refuse_all.result.expect_err("a starved run must fail");
    assert!(problem.contains("0 of"), "{problem}");
    assert!(refuse_all.generated <= 32 * REJECTS_PER_CASE + 1);
    // Shaping toward what validation wants lets the same run pass.
    let wants_name =
        |config: &Value| config.get_attr("name").and_then(Value::as_str) == Some("web");
    let shape_name = |config: &mut Value, _: &mut Dice<'_>| set_attr(config, "name", "web".into());
    let shaped = Subject {
        shape: &shape_name,
        ..subject
    };
    let outcome = run_cases(&shaped, &wants_name, 32);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(outcome.accepted, 32);
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
