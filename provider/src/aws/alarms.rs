//! CloudWatch metric alarms: the calls both the alarm resource and the
//! rollout gate make. PutMetricAlarm creates an alarm or replaces every
//! setting of the one of that name; DescribeAlarms reads alarms by name (at
//! most 100 names a call); DeleteAlarms deletes them, and deletes none when
//! one name does not exist (CloudWatch API reference, DeleteAlarms). Tags
//! are set by PutMetricAlarm only when it creates the alarm ("If you are
//! using this operation to update an existing alarm, any tags you specify in
//! this parameter are ignored", PutMetricAlarm), so they change with
//! TagResource / UntagResource.

mod spec;

use aws_sdk_cloudwatch::types::{AlarmType, Tag};

pub use spec::{
    AlarmSource, AlarmSpec, AlarmView, Dimensions, MetricSpec, QueryMetric, QuerySpec, Statistic,
    sdk_query, view_of,
};

use super::tags::{Tags, diff};
use super::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

/// DescribeAlarms and DeleteAlarms take at most this many names a call.
const NAMES_PER_CALL: usize = 100;

/// Whether CloudWatch's error says the alarm (or tagged resource) is not there.
pub fn is_alarm_not_found(code: Option<&str>) -> bool {
    matches!(code, Some("ResourceNotFound" | "ResourceNotFoundException"))
}

/// Creates the alarm, or replaces every setting of the alarm of that name.
/// `tags` apply only when the alarm is created (see the module's note).
pub async fn put_metric_alarm(
    aws: &Aws,
    alarm: &AlarmSpec,
    tags: &Tags,
) -> Result<(), Diagnostics> {
    let mut put = aws
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&alarm.name)
        .set_alarm_description(alarm.description.clone())
        .actions_enabled(alarm.actions_enabled)
        .set_alarm_actions(Some(alarm.alarm_actions.clone()))
        .set_ok_actions(Some(alarm.ok_actions.clone()))
        .set_insufficient_data_actions(Some(alarm.insufficient_data_actions.clone()))
        .comparison_operator(spec::comparison(&alarm.comparison_operator))
        .set_threshold(alarm.threshold)
        .set_threshold_metric_id(alarm.threshold_metric_id.clone())
        .evaluation_periods(alarm.evaluation_periods)
        .set_datapoints_to_alarm(alarm.datapoints_to_alarm)
        .set_treat_missing_data(alarm.treat_missing_data.clone())
        .set_evaluate_low_sample_count_percentile(
            alarm.evaluate_low_sample_count_percentile.clone(),
        );
    if !tags.is_empty() {
        put = put.set_tags(Some(sdk_tags(tags)));
    }
    put = match &alarm.source {
        AlarmSource::Metric(metric) => {
            let put = put
                .namespace(&metric.namespace)
                .metric_name(&metric.metric_name)
                .set_dimensions(Some(spec::sdk_dimensions(&metric.dimensions)))
                .period(metric.period)
                .set_unit(metric.unit.as_deref().map(spec::unit));
            match &metric.statistic {
                Statistic::Standard(name) => put.statistic(spec::standard_statistic(name)),
                Statistic::Extended(name) => put.extended_statistic(name),
            }
        }
        AlarmSource::Queries(queries) => {
            put.set_metrics(Some(queries.iter().map(spec::sdk_query).collect()))
        }
    };
    put.send()
        .await
        .map(drop)
        .map_err(|e| aws_error(&format!("writing the alarm {:?}", alarm.name), &e))
}

/// The metric alarms of these names that exist; names not found are left
/// out (DescribeAlarms answers only the alarms it has).
pub async fn describe_alarms(aws: &Aws, names: &[String]) -> Result<Vec<AlarmView>, Diagnostics> {
    let mut found = Vec::new();
    for chunk in names.chunks(NAMES_PER_CALL) {
        let pages = aws
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(chunk.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| aws_error(&format!("reading the alarms {chunk:?}"), &e))?;
        found.extend(
            pages
                .iter()
                .flat_map(|page| page.metric_alarms())
                .filter(|a| a.alarm_name().is_some_and(|n| chunk.iter().any(|c| c == n)))
                .map(view_of),
        );
    }
    Ok(found)
}

/// The metric alarm of that name, when there is one.
pub async fn describe_alarm(aws: &Aws, name: &str) -> Result<Option<AlarmView>, Diagnostics> {
    let mut found = describe_alarms(aws, &[name.to_string()]).await?;
    Ok(found.pop())
}

/// Deletes the alarms of these names. Names that do not exist are not an
/// error: since DeleteAlarms then deletes nothing, the ones still there are
/// looked up and deleted again.
pub async fn delete_alarms(aws: &Aws, names: &[String]) -> Result<(), Diagnostics> {
    for chunk in names.chunks(NAMES_PER_CALL) {
        let what = format!("deleting the alarms {chunk:?}");
        match send_delete(aws, chunk).await {
            Ok(()) => {}
            Err(e) if is_alarm_not_found(e.code()) => {
                let left: Vec<String> = describe_alarms(aws, chunk)
                    .await?
                    .into_iter()
                    .map(|a| a.spec.name)
                    .collect();
                if !left.is_empty() {
                    send_delete(aws, &left)
                        .await
                        .map_err(|e| aws_error(&what, &e))?;
                }
            }
            Err(e) => return Err(aws_error(&what, &e)),
        }
    }
    Ok(())
}

async fn send_delete(aws: &Aws, names: &[String]) -> Result<(), impl AwsErrorDetail + use<>> {
    aws.cloudwatch
        .delete_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .map(drop)
}

/// The tags of the alarm with this ARN.
pub async fn tags_of(aws: &Aws, arn: &str) -> Result<Tags, Diagnostics> {
    let listed = aws
        .cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error(&format!("reading the tags of {arn}"), &e))?;
    Ok(listed
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

/// Changes the alarm's tags from `old` to `new`.
pub async fn update_tags(aws: &Aws, arn: &str, old: &Tags, new: &Tags) -> Result<(), Diagnostics> {
    let (upsert, remove) = diff(old, new);
    if !remove.is_empty() {
        aws.cloudwatch
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| aws_error(&format!("removing tags from {arn}"), &e))?;
    }
    if !upsert.is_empty() {
        aws.cloudwatch
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sdk_tags(&upsert)))
            .send()
            .await
            .map_err(|e| aws_error(&format!("tagging {arn}"), &e))?;
    }
    Ok(())
}

fn sdk_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}
