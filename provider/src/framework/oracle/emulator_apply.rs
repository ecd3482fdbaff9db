//! The oracle's apply half with the resources' own code: generated
//! configurations are planned as core plans them (partly unknown at plan
//! time, known at apply time), then created, updated, read and deleted
//! through each resource against the project's emulator. Core's rules are
//! checked on what AWS really returned (AssertObjectCompatible for the
//! apply, the final plan against the saved one), and a read followed by a
//! plan of the same configuration must change nothing.

use cty::Value;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::emulator_configs::*;
use super::strategy::Dice;
use super::variations;
use super::*;
use crate::aws::Aws;
use crate::framework::default_tags::{self, DefaultTags};
use crate::framework::resource::DynResource;
use crate::framework::schema::{Block, Nesting};

/// Cases per resource: each is a create, an update and a delete, so a few
/// cover the paths within the time a test may take; fewer when the
/// emulator runs in its realism mode, where each write waits out AWS's lag.
fn cases() -> u32 {
    let realism = std::env::var(e2e::moto::REALISM_ENV).is_ok_and(|v| v == "1");
    if realism { 2 } else { 6 }
}

/// `partial` with every attribute and block of `block` it leaves out set to
/// null (or an empty list of blocks), as a configuration reaches the provider.
fn full(block: &Block, partial: &Value) -> Value {
    let mut fields = Vec::new();
    for a in &block.attributes {
        let v = partial.get_attr(a.name).cloned().unwrap_or(Value::Null);
        fields.push((a.name.to_string(), v));
    }
    for b in &block.blocks {
        let given = partial.get_attr(b.name);
        let v = match (b.nesting, given.and_then(Value::as_elements)) {
            (Nesting::Single, _) => given
                .filter(|v| !v.is_null())
                .map(|v| full(&b.block, v))
                .unwrap_or(Value::Null),
            (Nesting::List, items) => {
                Value::list(items.unwrap_or(&[]).iter().map(|i| full(&b.block, i)))
            }
            (Nesting::Set, items) => {
                Value::set(items.unwrap_or(&[]).iter().map(|i| full(&b.block, i)))
            }
        };
        fields.push((b.name.to_string(), v));
    }
    Value::object(fields)
}

/// Plans as PlanResourceChange answers, with the provider's default tags.
fn plan(r: &dyn DynResource, defaults: &DefaultTags, prior: &Value, config: &Value) -> Step {
    let planner = |prior: &Value, config: &Value, proposed: &Value| {
        let (mut plan, diags) = r.plan(prior, config, proposed);
        if default_tags::applies_to(&r.schema().block) {
            default_tags::plan(defaults, &mut plan.planned);
        }
        (plan, diags)
    };
    plan_with(&r.schema().block, &planner, prior, config)
}

/// ApplyResourceChange as the server answers it: the resource's apply with
/// the provider's default tags taken out and put back.
async fn apply(
    r: &dyn DynResource,
    aws: &Aws,
    prior: &Value,
    planned: &Value,
) -> (Value, crate::framework::Diagnostics) {
    if !default_tags::applies_to(&r.schema().block) {
        return r.apply(aws, prior, planned).await;
    }
    let (seen_prior, seen_planned) = (
        default_tags::for_apply(prior),
        default_tags::for_apply(planned),
    );
    let (mut state, diags) = r.apply(aws, &seen_prior, &seen_planned).await;
    if diags.has_errors() {
        let before = if planned.is_null() { prior } else { planned };
        default_tags::after_read(&aws.default_tags, before, &mut state);
    } else {
        default_tags::after_apply(planned, &mut state);
    }
    (state, diags)
}

/// ReadResource as the server answers it.
async fn read(
    r: &dyn DynResource,
    aws: &Aws,
    current: &Value,
) -> (Value, crate::framework::Diagnostics) {
    let (mut state, diags) = r.read(aws, current).await;
    if default_tags::applies_to(&r.schema().block) {
        default_tags::after_read(&aws.default_tags, current, &mut state);
    }
    (state, diags)
}

/// Core's findings only; strict ones are the property test's business.
fn core_rules(stage: &str, found: Vec<Violation>) -> Result<(), String> {
    match found.into_iter().find(|v| v.rule == Rule::Terraform) {
        Some(v) => Err(format!("{stage}: {v}")),
        None => Ok(()),
    }
}

/// Moves `state` to `config` as core does: a saved plan with parts of the
/// configuration unknown, the final plan at apply time, the apply through
/// the resource's code, then a read and a plan that must change nothing.
async fn converge(
    r: &dyn DynResource,
    aws: &Aws,
    state: Value,
    config: &Value,
    dice: &mut Dice<'_>,
) -> Result<Value, String> {
    let block = &r.schema().block;
    let defaults = &aws.default_tags;
    let blurred = variations::blur(block, config, dice);
    let saved = plan(r, defaults, &state, &blurred);
    core_rules("saved plan", saved.violations.clone())?;
    let prior = match saved.action {
        Action::Replace => Value::Null,
        _ => state.clone(),
    };
    if saved.action == Action::Replace {
        let (gone, diags) = apply(r, aws, &state, &Value::Null).await;
        if diags.has_errors() || !gone.is_null() {
            return Err(format!("delete for a replacement: {diags:?}"));
        }
    }
    let last = plan(r, defaults, &prior, config);
    core_rules("final plan", last.violations.clone())?;
    core_rules(
        "final plan against saved plan",
        check_final_plan(block, &saved, &last),
    )?;
    let applied = if last.action == Action::NoOp {
        prior
    } else {
        let (applied, diags) = apply(r, aws, &prior, &last.planned).await;
        if diags.has_errors() {
            return Err(format!("apply of {:?}: {diags:?}", last.planned));
        }
        core_rules(
            &format!("apply (AWS gave {applied:?})"),
            check_apply(block, &last.planned, &applied),
        )?;
        applied
    };
    let (read, diags) = read(r, aws, &applied).await;
    if diags.has_errors() || read.is_null() {
        return Err(format!("read after apply: {diags:?}"));
    }
    let again = plan(r, defaults, &read, config);
    if again.action != Action::NoOp {
        return Err(format!(
            "a read then a plan is not empty ({:?}):\n  read: {read:?}\n  planned: {:?}",
            again.action, again.planned
        ));
    }
    Ok(read)
}

/// One case: create from one configuration, update to another, delete.
async fn lifecycle(
    r: &dyn DynResource,
    aws: &Aws,
    configs: [Value; 2],
    dice: &mut Dice<'_>,
) -> Result<(), String> {
    let block = &r.schema().block;
    let mut state = Value::Null;
    for config in configs {
        let config = full(block, &config);
        let diags = r.validate(&config);
        if diags.has_errors() {
            return Err(format!(
                "a generated configuration is invalid: {config:?}: {diags:?}"
            ));
        }
        state = converge(r, aws, state, &config, dice).await?;
    }
    let (gone, diags) = apply(r, aws, &state, &Value::Null).await;
    if diags.has_errors() || !gone.is_null() {
        return Err(format!("delete: {diags:?}"));
    }
    let (after, diags) = read(r, aws, &state).await;
    if diags.has_errors() || !after.is_null() {
        return Err(format!(
            "a deleted object still reads as {after:?} {diags:?}"
        ));
    }
    Ok(())
}

async fn connect(moto: &e2e::MotoServer) -> Aws {
    let config = moto.sdk_config().await;
    Aws {
        region: "us-east-1".into(),
        ec2: aws_sdk_ec2::Client::new(&config),
        autoscaling: aws_sdk_autoscaling::Client::new(&config),
        elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
        cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
        stop: Default::default(),
        default_tags: Some([("team".to_string(), "ops".to_string())].into()),
        shared_tags: Default::default(),
    }
}

#[test]
fn resources_keep_terraforms_rules_on_what_the_emulator_returns() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime");
    let moto = e2e::MotoServer::start().expect("the emulator starts");
    let aws = runtime.block_on(connect(&moto));
    let image = runtime
        .block_on(e2e::ec2::amazon_image_ids(&aws.ec2, 1))
        .expect("the emulator lists images")
        .remove(0);
    let (vpc, subnets) = runtime
        .block_on(default_network(&aws))
        .expect("the emulator has a default network");
    let fixture = runtime
        .block_on(listener_fixture(&aws, &vpc, &subnets))
        .expect("a load balancer and target groups for the listeners");
    let template = runtime
        .block_on(group_template(&aws, &image))
        .expect("a launch template for the groups");
    let resources = crate::resources::all();
    let find = |name: &str| {
        resources
            .iter()
            .find(|r| r.type_name() == name)
            .expect("a resource of that type")
    };
    type Generator<'a> = Box<dyn Fn(usize, &mut Dice<'_>) -> Value + 'a>;
    let subjects: Vec<(&str, Generator<'_>)> = vec![
        ("roundrobin_security_group", Box::new(security_group)),
        (
            "roundrobin_launch_template",
            Box::new(|case, dice: &mut Dice<'_>| launch_template(case, &image, dice)),
        ),
        (
            "roundrobin_lb_target_group",
            Box::new(|case, dice: &mut Dice<'_>| target_group(case, &vpc, dice)),
        ),
        (
            "roundrobin_lb",
            Box::new(|case, dice: &mut Dice<'_>| load_balancer(case, &subnets, dice)),
        ),
        (
            "roundrobin_lb_listener",
            Box::new(|case, dice: &mut Dice<'_>| {
                listener(case, &fixture.load_balancer, &fixture.target_groups, dice)
            }),
        ),
        ("roundrobin_instance_profile", Box::new(instance_profile)),
        (
            "roundrobin_autoscaling_group",
            Box::new(|case, dice: &mut Dice<'_>| {
                autoscaling_group(case, &template, &subnets, dice)
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, generate) in &subjects {
        let r = find(name).as_ref();
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            // A failing case is reported as found: shrinking would replay
            // it against an emulator that already holds its objects.
            max_shrink_iters: 0,
            ..Config::default()
        });
        let case = std::cell::Cell::new(0);
        let result = runner.run(&vec(any::<u8>(), 64), |bytes| {
            case.set(case.get() + 1);
            let mut dice = Dice::new(&bytes);
            let configs = [
                generate(case.get(), &mut dice),
                generate(case.get(), &mut dice),
            ];
            runtime
                .block_on(lifecycle(r, &aws, configs, &mut dice))
                .map_err(TestCaseError::fail)
        });
        if let Err(e) = result {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
