//! The whole example stack (`terraform/`), and a new AMI rolled into it: the
//! apply waits for the rollout, a rollout that cannot become healthy is rolled
//! back, and the group scales out and back in.
//!
//! Emulated behaviour relied on (emulator): instance refresh with AWS's
//! semantics (desired configuration applied only on success, auto rollback),
//! instances spread over the group's subnets, each instance's real launch
//! template version, target health from the `unhealthy-images` control, and
//! terminated instances leaving the target group.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use aws_sdk_autoscaling::types::AutoScalingGroup;
use e2e::ec2::amazon_image_ids;
use e2e::{MotoServer, Workspace, example_dir};
use serde_json::json;

use crate::support::{assert_no_changes, assert_no_crash};

pub(crate) struct Stack {
    pub(crate) workspace: Workspace,
    pub(crate) asg: aws_sdk_autoscaling::Client,
    pub(crate) elb: aws_sdk_elasticloadbalancingv2::Client,
    pub(crate) ec2: aws_sdk_ec2::Client,
    pub(crate) images: Vec<String>,
    pub(crate) moto: MotoServer,
}

impl Stack {
    /// The example stack applied with the first of three Amazon images.
    pub(crate) async fn applied() -> Result<Stack> {
        let moto = MotoServer::start()?;
        let config = moto.sdk_config().await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let images = amazon_image_ids(&ec2, 3).await?;
        let mut workspace = Workspace::new(&moto)?;
        workspace.copy_config_from(&example_dir())?;
        workspace.set_var("image_id", &images[0]);
        // Amazon images, not baked by baker: no app-port / health-path tags.
        workspace.set_var("app_port", "8080");
        workspace.set_var("health_path", "/health");
        workspace.apply()?;
        Ok(Stack {
            workspace,
            asg: aws_sdk_autoscaling::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            ec2,
            images,
            moto,
        })
    }

    pub(crate) async fn group(&self) -> Result<AutoScalingGroup> {
        let out = self
            .asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names("nodeapp")
            .send()
            .await?;
        out.auto_scaling_groups()
            .first()
            .cloned()
            .context("no autoscaling group nodeapp")
    }

    /// Whether the emulated instance refresh waits each batch's warm-up
    /// (30 s in the example stack), as AWS does, or moves on at once.
    pub(crate) fn honor_warmups(&self, honored: bool) -> Result<()> {
        self.moto.control(
            "POST",
            "timing",
            json!({ "instance_warmup_honored": honored }),
        )?;
        Ok(())
    }

    /// The launch template version the group is configured with, in AWS.
    pub(crate) async fn configured_version(&self) -> Result<String> {
        Ok(self
            .group()
            .await?
            .launch_template()
            .and_then(|t| t.version())
            .unwrap_or_default()
            .to_string())
    }

    /// The group's launch template version as saved in Terraform's state.
    pub(crate) fn saved_template_version(&self) -> Result<String> {
        let state = self.workspace.show_json()?;
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .context("no resources in the state")?;
        let group = resources
            .iter()
            .find(|r| r["address"] == "roundrobin_autoscaling_group.app")
            .context("no autoscaling group in the state")?;
        let template = &group["values"]["launch_template"];
        let template = template.get(0).unwrap_or(template);
        Ok(template["version"].as_str().unwrap_or_default().to_string())
    }

    /// (instance id, launch template version, image id) of each instance.
    pub(crate) async fn instances(&self) -> Result<Vec<(String, String, String)>> {
        let group = self.group().await?;
        let mut rows = Vec::new();
        for i in group.instances() {
            let id = i.instance_id().unwrap_or_default().to_string();
            let version = i
                .launch_template()
                .and_then(|t| t.version())
                .unwrap_or_default()
                .to_string();
            let image = self.image_of(&id).await?;
            rows.push((id, version, image));
        }
        Ok(rows)
    }

    async fn image_of(&self, instance: &str) -> Result<String> {
        let out = self
            .ec2
            .describe_instances()
            .instance_ids(instance)
            .send()
            .await?;
        let image = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| i.image_id());
        Ok(image.unwrap_or_default().to_string())
    }

    /// Instance ids registered (and not draining) in the stack's target group.
    async fn registered(&self) -> Result<BTreeSet<String>> {
        let groups = self
            .elb
            .describe_target_groups()
            .names("nodeapp")
            .send()
            .await?;
        let arn = groups
            .target_groups()
            .first()
            .and_then(|g| g.target_group_arn())
            .context("no target group")?;
        let health = self
            .elb
            .describe_target_health()
            .target_group_arn(arn)
            .send()
            .await?;
        Ok(health
            .target_health_descriptions()
            .iter()
            .filter_map(|d| d.target().and_then(|t| t.id()).map(str::to_string))
            .collect())
    }
}

#[tokio::test]
async fn the_stack_runs_two_instances_in_two_zones_behind_the_load_balancer() -> Result<()> {
    let stack = Stack::applied().await?;
    assert_no_changes(&stack.workspace)?;

    let group = stack.group().await?;
    let zones: BTreeSet<&str> = group
        .instances()
        .iter()
        .filter_map(|i| i.availability_zone())
        .collect();
    assert_eq!(group.instances().len(), 2, "{group:?}");
    assert_eq!(zones.len(), 2, "instances in two zones: {zones:?}");
    let ids: BTreeSet<String> = group
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    assert_eq!(
        stack.registered().await?,
        ids,
        "both instances registered in the target group"
    );

    let outputs = stack.workspace.output_json()?;
    assert_eq!(outputs["ami_id"]["value"], stack.images[0].as_str());
    assert!(
        outputs["alb_url"]["value"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://")),
        "{outputs}"
    );
    Ok(())
}

#[tokio::test]
async fn a_new_ami_is_rolled_out_and_apply_waits_for_it() -> Result<()> {
    let mut stack = Stack::applied().await?;
    let new_image = stack.images[1].clone();
    stack.workspace.set_var("image_id", &new_image);

    let plan = stack.workspace.plan()?;
    assert!(
        plan.stdout
            .contains("roundrobin_launch_template.app will be updated in-place"),
        "{plan}"
    );
    assert!(
        plan.stdout
            .contains("roundrobin_autoscaling_group.app will be updated in-place"),
        "{plan}"
    );
    assert!(!plan.stdout.contains("must be replaced"), "{plan}");

    stack.workspace.apply()?;
    // apply returned: the rollout is over, not merely started.
    let instances = stack.instances().await?;
    assert_eq!(instances.len(), 2, "{instances:?}");
    for (id, version, image) in &instances {
        assert_eq!(version, "2", "{id} runs the new template version");
        assert_eq!(image, &new_image, "{id} runs the new AMI");
    }
    let group = stack.group().await?;
    assert_eq!(group.launch_template().and_then(|t| t.version()), Some("2"));
    let ids: BTreeSet<String> = instances.iter().map(|i| i.0.clone()).collect();
    assert_eq!(
        stack.registered().await?,
        ids,
        "old instances left the target group"
    );
    let outputs = stack.workspace.output_json()?;
    assert_eq!(outputs["launch_template_version"]["value"], "2");
    assert_no_changes(&stack.workspace)?;
    Ok(())
}

#[tokio::test]
async fn a_rollout_that_cannot_become_healthy_is_rolled_back() -> Result<()> {
    let mut stack = Stack::applied().await?;
    let broken = stack.images[2].clone();
    stack
        .moto
        .control("POST", "unhealthy-images", json!({ "image_id": broken }))?;
    stack.workspace.set_var("rollout_timeout", "2m");
    stack.workspace.set_var("image_id", &broken);

    let failed = stack.workspace.apply_expecting_failure()?;
    assert_no_crash(&failed);
    let text = failed.combined();
    assert!(
        text.contains("Rollout of launch template version 2 failed"),
        "{failed}"
    );
    assert!(text.contains("rolled back"), "{failed}");

    let group = stack.group().await?;
    assert_eq!(
        group.launch_template().and_then(|t| t.version()),
        Some("1"),
        "the group is back on version 1"
    );
    for (id, version, image) in stack.instances().await? {
        assert_eq!(version, "1", "{id}");
        assert_eq!(image, stack.images[0], "{id} runs the previous AMI");
    }
    // The state saved with the error says what runs: version 1, not the
    // planned 2 (read without a refresh, which would hide a false state).
    assert_eq!(stack.saved_template_version()?, "1");
    // So the rollout is proposed again.
    assert_eq!(stack.workspace.plan_exit_code()?, 2);
    Ok(())
}

#[tokio::test]
async fn raising_min_size_above_an_unset_desired_capacity_works() -> Result<()> {
    let mut stack = Stack::applied().await?;
    // The group as a user writes it who lets min_size drive the capacity.
    stack.workspace.write_file(
        "capacity_override.tf",
        "resource \"roundrobin_autoscaling_group\" \"app\" {\n  desired_capacity = null\n}\n",
    )?;
    assert_no_changes(&stack.workspace)?;

    stack.workspace.set_var("min_size", "3");
    let plan = stack.workspace.plan()?;
    assert!(plan.stdout.contains("desired_capacity"), "{plan}");
    stack.workspace.apply()?;
    let group = stack.group().await?;
    assert_eq!(group.min_size(), Some(3));
    assert_eq!(
        group.desired_capacity(),
        Some(3),
        "AWS raised it to min_size"
    );
    assert_eq!(group.instances().len(), 3);
    assert_no_changes(&stack.workspace)?;
    Ok(())
}

#[tokio::test]
async fn the_group_scales_out_and_back_in() -> Result<()> {
    let mut stack = Stack::applied().await?;
    stack.workspace.set_var("desired_capacity", "4");
    stack.workspace.apply()?;
    assert_eq!(stack.group().await?.instances().len(), 4);
    assert_eq!(stack.registered().await?.len(), 4);
    assert_no_changes(&stack.workspace)?;

    stack.workspace.set_var("desired_capacity", "2");
    stack.workspace.apply()?;
    assert_eq!(stack.group().await?.instances().len(), 2);
    assert_eq!(
        stack.registered().await?.len(),
        2,
        "scaled-in instances left the target group"
    );
    assert_no_changes(&stack.workspace)?;
    Ok(())
}
