//! A scaling policy missing from the state imports by `GROUP/POLICY`, with
//! an import block and a generated configuration (which names the resource
//! label) and with `terraform import`, and plans no change; an id of another
//! form is refused with the form named. A policy made elsewhere is never
//! taken over: the create is refused with the import that would adopt it.
//!
//! Emulated behaviour relied on: PutScalingPolicy / DescribePolicies with
//! TargetTrackingConfiguration, the ResourceLabel checked against the group's
//! target groups.

use anyhow::{Context, Result};
use aws_sdk_autoscaling::types::{
    MetricType, PredefinedMetricSpecification, TargetTrackingConfiguration,
};

use crate::autoscaling_policy_stack::{
    CPU_POLICY, GROUP, POLICY, Scaled, request_policy, tracking,
};
use crate::support::{assert_no_changes, assert_no_crash, eventually};

#[tokio::test]
async fn a_policy_imports_by_group_and_name_without_changes() -> Result<()> {
    let scaled = Scaled::applied().await?;
    scaled.write(&request_policy(120, false))?;
    scaled.workspace.apply()?;
    let address = "roundrobin_autoscaling_policy.requests";
    let id = format!("{GROUP}/{POLICY}");

    // An import block and a generated configuration (with the label).
    scaled.workspace.run(&["state", "rm", address])?;
    scaled.write(&format!(
        "\nimport {{\n  to = {address}\n  id = \"{id}\"\n}}\n"
    ))?;
    let generated = eventually("the policy visible to an import", || async {
        let out = scaled.workspace.run(&[
            "plan",
            "-generate-config-out=generated.tf",
            "-no-color",
            "-input=false",
        ])?;
        if out.success() {
            Ok(out)
        } else {
            let _ = std::fs::remove_file(scaled.workspace.path().join("generated.tf"));
            Err(anyhow::anyhow!("{out}"))
        }
    })
    .await?;
    let text = std::fs::read_to_string(scaled.workspace.path().join("generated.tf"))?;
    assert!(text.contains("resource_label"), "{generated}\n{text}");
    let plan = scaled.workspace.plan()?;
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}\n{text}"
    );
    scaled.workspace.apply()?;
    assert_no_changes(&scaled.workspace)?;

    // terraform import, into a configuration that names the label itself.
    scaled.workspace.run(&["state", "rm", address])?;
    std::fs::remove_file(scaled.workspace.path().join("generated.tf"))?;
    let label = scaled.expected_label().await?;
    let with_label = request_policy(120, false).replace(
        "target_group_arn          = roundrobin_lb_target_group.app.arn",
        &format!("resource_label            = \"{label}\""),
    );
    scaled.write(&with_label)?;
    scaled.workspace.import(address, &id)?;
    assert_no_changes(&scaled.workspace)?;

    let bad = scaled
        .workspace
        .run(&["import", "-no-color", address, POLICY])?;
    assert!(!bad.success());
    assert_no_crash(&bad);
    assert!(bad.combined().contains("GROUP/POLICY"), "{bad}");
    Ok(())
}

#[tokio::test]
async fn a_policy_made_elsewhere_is_not_taken_over() -> Result<()> {
    let scaled = Scaled::applied().await?;
    let spec = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::AsgAverageCpuUtilization)
        .build();
    scaled
        .asg
        .put_scaling_policy()
        .auto_scaling_group_name(GROUP)
        .policy_name("cpu")
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(
            TargetTrackingConfiguration::builder()
                .predefined_metric_specification(spec)
                .target_value(80.0)
                .build(),
        )
        .send()
        .await?;
    scaled.write(CPU_POLICY)?;
    let failed = scaled.workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains("scaling policy \"cpu\" already exists"),
        "{failed}"
    );
    assert!(
        text.contains(&format!(
            "terraform import 'roundrobin_autoscaling_policy.NAME' '{GROUP}/cpu'"
        )),
        "{failed}"
    );
    let kept = scaled.policy("cpu").await?.context("the policy is gone")?;
    assert_eq!(tracking(&kept)?.target_value(), Some(80.0));
    Ok(())
}
