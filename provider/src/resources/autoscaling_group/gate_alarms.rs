//! The gate's alarms in CloudWatch: found targets, created before the
//! instance refresh, deleted after it whatever its end.

use std::collections::BTreeMap;

use super::gate::{GateAlarm, Source, Target, alarms};
use super::rollout_config::Gate;
use crate::aws::alarms::{
    AlarmSource, AlarmSpec, QueryMetric, QuerySpec, delete_alarms, put_metric_alarm,
};
use crate::aws::tags::Tags;
use crate::aws::{Aws, aws_error};
use crate::framework::Diagnostics;

/// The target groups' dimensions, each with its load balancer; a target
/// group behind no load balancer gets no traffic the gate could judge.
pub async fn targets(aws: &Aws, arns: &[String]) -> Result<Vec<Target>, Diagnostics> {
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let found = aws
        .elb
        .describe_target_groups()
        .set_target_group_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(|e| aws_error("reading the target groups of the rollout gate", &e))?;
    let mut made = Vec::new();
    for arn in arns {
        let group = found
            .target_groups()
            .iter()
            .find(|t| t.target_group_arn() == Some(arn.as_str()));
        let balancers = group.map(|g| g.load_balancer_arns()).unwrap_or_default();
        if balancers.is_empty() {
            return Err(Diagnostics::error(
                "The rollout gate has nothing to measure",
                format!(
                    "Target group {arn} is not behind a load balancer (no listener forwards to it), so no request would ever reach the gate's alarms. Attach it to a listener, or remove the gate."
                ),
            ));
        }
        made.extend(balancers.iter().map(|lb| Target::from_arns(arn, lb)));
    }
    Ok(made)
}

/// Creates the gate's alarms; on failure, the ones made are deleted again.
pub async fn create(
    aws: &Aws,
    group: &str,
    gate: &Gate,
    target_group_arns: &[String],
) -> Result<Vec<GateAlarm>, Diagnostics> {
    let problems = super::gate_validation::check_known(group, target_group_arns, gate);
    if problems.has_errors() {
        return Err(problems);
    }
    let found = targets(aws, target_group_arns).await?;
    let wanted = alarms(group, gate, &found)
        .map_err(|why| Diagnostics::error("Cannot build the rollout gate", format!("{why}.")))?;
    let mut made: Vec<GateAlarm> = Vec::new();
    for alarm in &wanted {
        if let Err(mut d) = put_metric_alarm(aws, &spec_of(alarm), &Tags::default()).await {
            d.extend(remove(aws, &made).await);
            return Err(d);
        }
        made.push(alarm.clone());
    }
    tracing::info!(
        group,
        alarms = ?names(&made),
        "rollout gate alarms created"
    );
    Ok(made)
}

/// Deletes the gate's alarms; a warning naming them when that fails, so
/// that nobody is left wondering what they are.
pub async fn remove(aws: &Aws, made: &[GateAlarm]) -> Diagnostics {
    if made.is_empty() {
        return Diagnostics::new();
    }
    let names = names(made);
    match delete_alarms(aws, &names).await {
        Ok(()) => {
            tracing::info!(alarms = ?names, "rollout gate alarms deleted");
            Diagnostics::new()
        }
        Err(d) => {
            let mut warning = Diagnostics::new();
            warning.push_warning(
                "The rollout gate's alarms were left behind",
                format!(
                    "Deleting {} failed ({}). Delete them with: aws cloudwatch delete-alarms --alarm-names {}",
                    names.join(", "),
                    d.summary_line(),
                    names.join(" ")
                ),
            );
            warning
        }
    }
}

pub fn names(made: &[GateAlarm]) -> Vec<String> {
    made.iter().map(|a| a.name.clone()).collect()
}

/// The PutMetricAlarm input of a gate alarm.
pub fn spec_of(alarm: &GateAlarm) -> AlarmSpec {
    AlarmSpec {
        name: alarm.name.clone(),
        description: Some(alarm.description.clone()),
        actions_enabled: false,
        alarm_actions: Vec::new(),
        ok_actions: Vec::new(),
        insufficient_data_actions: Vec::new(),
        comparison_operator: "GreaterThanThreshold".into(),
        threshold: Some(alarm.threshold),
        threshold_metric_id: None,
        evaluation_periods: 1,
        datapoints_to_alarm: Some(1),
        treat_missing_data: Some("notBreaching".into()),
        evaluate_low_sample_count_percentile: None,
        source: AlarmSource::Queries(queries_of(alarm)),
    }
}

/// The alarm's queries as CloudWatch takes them (PutMetricAlarm's Metrics,
/// GetMetricData's MetricDataQueries).
pub fn queries_of(alarm: &GateAlarm) -> Vec<QuerySpec> {
    alarm
        .queries
        .iter()
        .map(|q| {
            let (expression, metric) = match &q.source {
                Source::Expression(e) => (Some(e.clone()), None),
                Source::Metric {
                    name,
                    dimensions,
                    stat,
                } => (
                    None,
                    Some(QueryMetric {
                        namespace: super::gate::NAMESPACE.into(),
                        metric_name: (*name).into(),
                        dimensions: dimensions
                            .iter()
                            .map(|(k, v)| ((*k).to_string(), v.clone()))
                            .collect::<BTreeMap<_, _>>(),
                        stat: (*stat).into(),
                        period: alarm.period,
                        unit: None,
                    }),
                ),
            };
            QuerySpec {
                id: q.id.clone(),
                expression,
                label: q.label.map(str::to_string),
                return_data: Some(q.return_data),
                period: None,
                account_id: None,
                metric,
            }
        })
        .collect()
}
