//! `roundrobin_autoscaling_group`: the group, its capacity waits, and its
//! rollouts of new launch template versions (see [`rollout`]).

mod capacity;
mod gate;
mod gate_alarms;
mod gate_validation;
mod gate_watch;
mod health;
mod read;
mod refresh_in_progress;
mod rollout;
mod rollout_config;
mod schema;
mod settings;
#[cfg(test)]
mod shaping;
mod surge;

use async_trait::async_trait;
use aws_sdk_autoscaling::types::LaunchTemplateSpecification;
use cty::Value;

use crate::aws::consistency::{is_profile_propagation, retry_while_lagging};
use crate::aws::ownership::{Existing, already_exists, is_duplicate};
use crate::aws::wait::{Backoff, WaitError, until};
use crate::aws::{Aws, AwsErrorDetail, aws_error, read_after_write};
use crate::resources::existing;

const TYPE_NAME: &str = "roundrobin_autoscaling_group";
use crate::framework::{ApplyError, ApplyResult, Diagnostics, Plan, Resource, Schema};
use health::{describe_group, wait_healthy};
use read::read_group;
pub use schema::Group;
use settings::{check_zones, current_desired, int, tags_of, update_settings};

pub struct AutoscalingGroupResource;

#[async_trait]
impl Resource for AutoscalingGroupResource {
    type Model = Group;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    fn modify_plan(&self, prior: &Value, config: &Value, plan: &mut Plan) {
        capacity::plan_desired(prior, config, plan);
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut crate::framework::Dice<'_>) {
        shaping::shape(config, dice);
    }

    async fn create(&self, aws: &Aws, planned: Group) -> ApplyResult<Group> {
        check_zones(aws, &planned.vpc_zone_identifier).await?;
        let taken = |name: &str| {
            let kind = "autoscaling group";
            already_exists(&Existing::named(kind, TYPE_NAME, name, name))
        };
        if let Some(name) = existing::autoscaling_group(aws, &planned.name).await? {
            return Err(taken(&name).into());
        }
        let lt = planned.template();
        let desired = planned.desired();
        let request = aws
            .autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(&planned.name)
            .launch_template(
                LaunchTemplateSpecification::builder()
                    .launch_template_id(&lt.id)
                    .version(&lt.version)
                    .build(),
            )
            .min_size(int(planned.min_size))
            .max_size(int(planned.max_size))
            .desired_capacity(int(Some(desired)))
            .vpc_zone_identifier(planned.vpc_zone_identifier.join(","))
            .set_target_group_arns(planned.target_group_arns.clone())
            .set_health_check_type(planned.health_check_type.clone())
            .set_health_check_grace_period(
                planned
                    .health_check_grace_period
                    .and_then(|n| i32::try_from(n).ok()),
            )
            .set_termination_policies(planned.termination_policies.clone())
            .set_tags(Some(tags_of(&planned.name, &planned.tag)));
        // A new instance profile in the template is refused for a while.
        // The name is taken atomically: a group made since the look-up fails
        // the create with AlreadyExists, which then names it.
        let created =
            retry_while_lagging(&aws.stop, is_profile_propagation, || request.clone().send()).await;
        match created {
            Ok(_) => {}
            Err(e) if is_duplicate(e.code()) => return Err(taken(&planned.name).into()),
            Err(e) => {
                let what = format!("creating autoscaling group {:?}", planned.name);
                return Err(aws_error(&what, &e).into());
            }
        }
        let made = Group {
            id: Some(planned.name.clone()),
            desired_capacity: Some(desired),
            ..planned.clone()
        };
        let settle = async {
            if planned.rollout().waits() {
                wait_healthy(
                    aws,
                    &planned.name,
                    desired,
                    &planned.target_groups(),
                    None,
                    planned.timeout("create"),
                )
                .await?;
            }
            let what = format!("autoscaling group {}", planned.name);
            read_after_write(aws, &what, || read_group(aws, &made)).await
        };
        settle
            .await
            .map_err(|d| ApplyError::partial(made.clone(), d))
    }

    async fn read(&self, aws: &Aws, current: Group) -> Result<Option<Group>, Diagnostics> {
        read_group(aws, &current).await
    }

    async fn update(&self, aws: &Aws, prior: Group, planned: Group) -> ApplyResult<Group> {
        let name = prior.name.clone();
        // Everything but the template first: the group keeps its old version
        // until the rollout has proven the new one.
        let mut applied = Group {
            launch_template: prior.launch_template.clone(),
            ..planned.clone()
        };
        let step = async {
            if prior.vpc_zone_identifier != planned.vpc_zone_identifier {
                check_zones(aws, &planned.vpc_zone_identifier).await?;
            }
            update_settings(aws, &prior, &planned).await?;
            // Planned unknown (left out of the config): whatever AWS holds
            // now, which the rollout then keeps.
            let desired = match planned.desired_capacity {
                Some(desired) => desired,
                None => current_desired(aws, &name)
                    .await?
                    .unwrap_or(prior.desired()),
            };
            if prior.desired() != desired && planned.rollout().waits() {
                wait_healthy(
                    aws,
                    &name,
                    desired,
                    &planned.target_groups(),
                    None,
                    planned.timeout("update"),
                )
                .await?;
            }
            Ok::<_, Diagnostics>(desired)
        };
        let planned = match step.await {
            Ok(desired) => Group {
                desired_capacity: Some(desired),
                ..planned
            },
            Err(d) => return Err(ApplyError::partial(prior.clone(), d)),
        };
        let mut warnings = Diagnostics::new();
        if prior.template() != planned.template() {
            match rollout::roll_out(aws, &prior, &planned).await {
                Ok(done) => {
                    applied.launch_template = planned.launch_template.clone();
                    applied.last_rollout_status = Some(done.status);
                    warnings = done.warnings;
                }
                Err(d) => {
                    applied.last_rollout_status = Some("Failed".into());
                    return Err(ApplyError::partial(applied, d));
                }
            }
        }
        match read_group(aws, &applied).await {
            // Warnings alone keep the apply a success (the state is saved).
            Ok(Some(group)) if !warnings.0.is_empty() => Err(ApplyError::partial(group, warnings)),
            Ok(Some(group)) => Ok(group),
            Ok(None) => Err(ApplyError::partial(
                applied,
                Diagnostics::error(
                    "Autoscaling group vanished",
                    format!("{name} disappeared during the update."),
                ),
            )),
            Err(d) => Err(ApplyError::partial(applied, d)),
        }
    }

    async fn delete(&self, aws: &Aws, state: Group) -> Result<(), Diagnostics> {
        let name = state.name.as_str();
        let request = aws
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .force_delete(true);
        // A scaling activity still running makes AWS refuse the delete for a
        // while; it is sent again until the activity is over.
        let busy = |e: &aws_sdk_autoscaling::error::SdkError<_, _>| {
            matches!(
                e.code(),
                Some("ScalingActivityInProgress" | "ResourceInUse")
            )
        };
        match retry_while_lagging(&aws.stop, busy, || request.clone().send()).await {
            Ok(_) => {}
            // Already being deleted (by an earlier, interrupted destroy):
            // wait for it below like for our own.
            Err(e)
                if e.describe().contains("Delete in progress")
                    || e.describe().contains("pending delete") => {}
            Err(e)
                if e.describe().contains("not found")
                    || e.code() == Some("ValidationError")
                        && e.describe().contains("not found") =>
            {
                return Ok(());
            }
            Err(e) => return Err(aws_error(&format!("deleting autoscaling group {name}"), &e)),
        }
        let instance_ids: Vec<String> = state
            .instances
            .iter()
            .flatten()
            .map(|i| i.id.clone())
            .collect();
        let gone = until(Backoff::new(state.timeout("delete")), &aws.stop, || async {
            let group_left = describe_group(aws, name).await?.is_some();
            let instances_left = running_instances(aws, &instance_ids).await?;
            Ok::<_, Diagnostics>((!group_left && instances_left == 0).then_some(()))
        })
        .await;
        match gone {
            Ok(()) => Ok(()),
            Err(WaitError::Failed(d)) => Err(d),
            Err(WaitError::Stopped) => Err(Diagnostics::error(
                "Interrupted",
                format!("Stopped while waiting for {name} to be deleted."),
            )),
            Err(WaitError::TimedOut(t)) => Err(Diagnostics::error(
                "Autoscaling group not deleted",
                format!("{name} or its instances were still there after {t:?}."),
            )),
        }
    }

    fn import(&self, id: &str) -> Result<Group, Diagnostics> {
        if id.is_empty() {
            return Err(Diagnostics::error(
                "Invalid import id",
                "Import an autoscaling group by its name.",
            ));
        }
        Ok(Group {
            id: Some(id.to_string()),
            name: id.to_string(),
            ..Group::default()
        })
    }
}

async fn running_instances(aws: &Aws, ids: &[String]) -> Result<usize, Diagnostics> {
    if ids.is_empty() {
        return Ok(0);
    }
    let out = match aws
        .ec2
        .describe_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if e.code() == Some("InvalidInstanceID.NotFound") => return Ok(0),
        Err(e) => return Err(aws_error("reading the group's instances", &e)),
    };
    Ok(out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter(|i| {
            i.state()
                .and_then(|s| s.name())
                .is_none_or(|n| n.as_str() != "terminated")
        })
        .count())
}
