//! The `surge` rollout: the seed's method, kept as an explicit choice.

use super::health::{describe_group, wait_healthy};
use super::rollout::{Rollback, RolledOut, new_instance_problems, template};
use super::schema::Group;
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

/// The seed's method, explicitly: 2× capacity on the new version, wait for
/// health, scale back in removing the old template's instances first.
pub async fn surge(aws: &Aws, prior: &Group, planned: &Group) -> Result<RolledOut, Diagnostics> {
    let name = planned.name.as_str();
    let desired = planned.desired();
    let max = planned.max_size.unwrap_or(desired);
    let surged = (desired * 2).min(max);
    if surged <= desired {
        return Err(Diagnostics::error(
            "No room to surge",
            format!(
                "The surge rollout needs max_size above desired_capacity ({desired}); max_size is {max}. Raise max_size (2× desired is best) or use strategy = \"instance_refresh\"."
            ),
        ));
    }
    let (old, new) = (prior.template(), planned.template());
    set_group(aws, name, &new.id, &new.version, surged).await?;
    let healthy = wait_healthy(
        aws,
        name,
        desired,
        &planned.target_groups(),
        Some(&new.version),
        planned.timeout("update"),
    )
    .await;
    if let Err(failure) = healthy {
        let problems = new_instance_problems(aws, planned, &new.version).await;
        let rollback = if planned.rollout().rolls_back() {
            let back = async {
                set_group(aws, name, &old.id, &old.version, surged).await?;
                terminate_version(aws, name, &new.version).await?;
                set_group(aws, name, &old.id, &old.version, desired).await
            };
            match back.await {
                Ok(()) => Rollback::Done,
                Err(d) => Rollback::Failed(d.summary_line()),
            }
        } else {
            Rollback::Off
        };
        let mut d = Diagnostics::error(
            format!("Rollout of launch template version {} failed", new.version),
            format!(
                "{problems}{}",
                rollback.describe(name, &old.version, &new.version)
            ),
        );
        d.extend(failure);
        return Err(d);
    }
    set_group(aws, name, &new.id, &new.version, desired).await?;
    Ok(RolledOut::successful())
}

async fn set_group(
    aws: &Aws,
    name: &str,
    id: &str,
    version: &str,
    desired: i64,
) -> Result<(), Diagnostics> {
    aws.autoscaling
        .update_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(template(id, version))
        .desired_capacity(i32::try_from(desired).unwrap_or(i32::MAX))
        .send()
        .await
        .map(drop)
        .map_err(|e| aws_error(&format!("updating {name}"), &e))
}

async fn terminate_version(aws: &Aws, name: &str, version: &str) -> Result<(), Diagnostics> {
    let Some(group) = describe_group(aws, name).await? else {
        return Ok(());
    };
    for instance in group.instances() {
        if instance.launch_template().and_then(|t| t.version()) != Some(version) {
            continue;
        }
        let Some(id) = instance.instance_id() else {
            continue;
        };
        aws.autoscaling
            .terminate_instance_in_auto_scaling_group()
            .instance_id(id)
            .should_decrement_desired_capacity(true)
            .send()
            .await
            .map_err(|e| aws_error(&format!("terminating {id}"), &e))?;
    }
    Ok(())
}
