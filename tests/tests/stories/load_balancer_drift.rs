//! The load balancer's settings changed behind Terraform's back: a target
//! group's algorithm, the listener deleted, the load balancer's tags (with
//! and without the listener, whose presence changes how the tags are read).
//! Each is planned back, applied, and the next plan says "No changes".
//!
//! Emulated behaviour relied on (moto 5.2): ModifyTargetGroupAttributes,
//! DeleteListener and AddTags taking effect at once for the next Describe.

use anyhow::Result;
use aws_sdk_elasticloadbalancingv2::Client as Elb;

use crate::load_balancer::{
    Applied, apply_stack, listener_weights, load_balancer_arn, pair, target_group_arn,
    web_listener_arn,
};
use crate::support::assert_no_changes;

#[tokio::test]
async fn changes_behind_terraforms_back_are_planned_back() -> Result<()> {
    let Applied {
        workspace,
        elb,
        moto: _moto,
    } = apply_stack(100, 0).await?;
    let blue = target_group_arn(&elb, "blue").await?;
    elb.modify_target_group_attributes()
        .target_group_arn(&blue)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                .key("load_balancing.algorithm.type")
                .value("least_outstanding_requests")
                .build(),
        )
        .send()
        .await?;
    let lb = load_balancer_arn(&elb).await?;
    let listener = web_listener_arn(&elb, &lb).await?;
    elb.delete_listener().listener_arn(&listener).send().await?;
    // The load balancer's tags (read with the target groups' in one call).
    set_app_tag(&elb, &lb, "by-hand").await?;

    let plan = workspace.plan_detailed()?;
    assert!(
        plan.stdout
            .contains("roundrobin_lb.web will be updated in-place"),
        "{plan}"
    );
    assert!(plan.stdout.contains("\"by-hand\" -> \"nodeapp\""), "{plan}");
    assert_eq!(plan.code, Some(2), "expected changes:\n{plan}");
    assert!(
        plan.stdout
            .contains("roundrobin_lb_target_group.blue will be updated in-place"),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("\"least_outstanding_requests\" -> \"round_robin\""),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("roundrobin_lb_listener.http will be created"),
        "{plan}"
    );

    workspace.apply()?;
    assert_eq!(
        listener_weights(&elb).await?,
        [pair("blue", 100), pair("green", 0)]
    );
    assert_no_changes(&workspace)?;

    // With the listener back, the target groups' refresh reads the load
    // balancer's tags for it: a tag changed by hand is still drift.
    set_app_tag(&elb, &lb, "again-by-hand").await?;
    let plan = workspace.plan_detailed()?;
    assert!(
        plan.stdout.contains("\"again-by-hand\" -> \"nodeapp\""),
        "{plan}"
    );
    workspace.apply()?;
    assert_no_changes(&workspace)
}

/// Sets the load balancer's `app` tag by hand, as in the console.
async fn set_app_tag(elb: &Elb, lb: &str, value: &str) -> Result<()> {
    elb.add_tags()
        .resource_arns(lb)
        .tags(
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key("app")
                .value(value)
                .build(),
        )
        .send()
        .await?;
    Ok(())
}
