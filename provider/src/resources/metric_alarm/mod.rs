//! `roundrobin_metric_alarm`: a CloudWatch alarm on one metric or on metric
//! math, known by its name. A stack names it in an autoscaling group's
//! `rollout.alarms`, so that the group's instance refresh stops (and rolls
//! back) when it goes to ALARM. PutMetricAlarm writes every setting at once,
//! so an update rewrites the alarm in place; tags change separately.

mod model;
mod schema;
#[cfg(test)]
mod shaping;
mod validate;

use async_trait::async_trait;
use cty::{Path, Value};

use crate::aws::alarms::{self, AlarmView};
use crate::aws::ownership::{Existing, already_exists};
use crate::aws::{Aws, read_after_write};
use crate::framework::{ApplyError, ApplyResult, Diagnostics, Resource, Schema};
pub use model::MetricAlarm;

pub struct MetricAlarmResource;

const TYPE_NAME: &str = "roundrobin_metric_alarm";

#[async_trait]
impl Resource for MetricAlarmResource {
    type Model = MetricAlarm;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate::validate(config, diags);
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut crate::framework::Dice<'_>) {
        shaping::shape(config, dice);
    }

    async fn create(&self, aws: &Aws, planned: MetricAlarm) -> ApplyResult<MetricAlarm> {
        let name = planned.alarm_name.clone();
        if alarms::describe_alarm(aws, &name).await?.is_some() {
            return Err(already_exists(&Existing {
                kind: "alarm",
                name: &name,
                type_name: TYPE_NAME,
                import_id: &name,
                path: Path::root().attr("alarm_name"),
            })
            .into());
        }
        let tags = planned.tags.clone().unwrap_or_default();
        alarms::put_metric_alarm(aws, &planned.spec(), &tags).await?;
        let made = MetricAlarm {
            id: Some(name.clone()),
            ..planned.clone()
        };
        let view = read_after_write(aws, &format!("alarm {name:?}"), || {
            alarms::describe_alarm(aws, &name)
        })
        .await
        .map_err(|d| ApplyError::partial(made.clone(), d))?;
        with_tags(aws, view, &made)
            .await
            .map_err(|d| ApplyError::partial(made.clone(), d))
    }

    async fn read(
        &self,
        aws: &Aws,
        current: MetricAlarm,
    ) -> Result<Option<MetricAlarm>, Diagnostics> {
        let name = current.id.clone().unwrap_or(current.alarm_name.clone());
        match alarms::describe_alarm(aws, &name).await? {
            Some(view) => with_tags(aws, view, &current).await.map(Some),
            None => Ok(None),
        }
    }

    async fn update(
        &self,
        aws: &Aws,
        prior: MetricAlarm,
        planned: MetricAlarm,
    ) -> ApplyResult<MetricAlarm> {
        let name = planned.alarm_name.clone();
        let step = async {
            // Tags given with an update are ignored by PutMetricAlarm.
            alarms::put_metric_alarm(aws, &planned.spec(), &Default::default()).await?;
            let view = alarms::describe_alarm(aws, &name).await?.ok_or_else(|| {
                Diagnostics::error(
                    "Alarm vanished",
                    format!("The alarm {name:?} disappeared while it was being updated."),
                )
            })?;
            alarms::update_tags(
                aws,
                &view.arn,
                &prior.tags.clone().unwrap_or_default(),
                &planned.tags.clone().unwrap_or_default(),
            )
            .await?;
            with_tags(aws, view, &planned).await
        };
        step.await
            .map_err(|d| ApplyError::partial(prior.clone(), d))
    }

    async fn delete(&self, aws: &Aws, state: MetricAlarm) -> Result<(), Diagnostics> {
        alarms::delete_alarms(aws, &[state.alarm_name]).await
    }

    fn import(&self, id: &str) -> Result<MetricAlarm, Diagnostics> {
        if id.is_empty() || id.starts_with("arn:") {
            return Err(Diagnostics::error(
                "Invalid import id",
                format!("Import an alarm by its name, like web-5xx; got {id:?}."),
            ));
        }
        Ok(MetricAlarm {
            id: Some(id.to_string()),
            alarm_name: id.to_string(),
            ..MetricAlarm::default()
        })
    }
}

/// The alarm read, with its tags.
async fn with_tags(
    aws: &Aws,
    view: AlarmView,
    known: &MetricAlarm,
) -> Result<MetricAlarm, Diagnostics> {
    let tags = alarms::tags_of(aws, &view.arn).await?;
    Ok(MetricAlarm::from_view(view, tags, known))
}

#[cfg(test)]
mod tests;
