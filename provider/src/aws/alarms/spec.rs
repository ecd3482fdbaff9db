//! An alarm as the provider writes it (PutMetricAlarm's input) and reads it
//! back (DescribeAlarms' MetricAlarm), in plain types: either one metric
//! with a statistic, or a list of metric-math queries.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat, StandardUnit,
    Statistic as SdkStatistic,
};

/// Dimensions by name, as Terraform users write them.
pub type Dimensions = BTreeMap<String, String>;

/// Everything PutMetricAlarm takes that the provider sets. Tags are not
/// here: PutMetricAlarm applies them only when it creates the alarm (see
/// [`super::put_metric_alarm`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    pub description: Option<String>,
    pub actions_enabled: bool,
    pub alarm_actions: Vec<String>,
    pub ok_actions: Vec<String>,
    pub insufficient_data_actions: Vec<String>,
    /// `GreaterThanThreshold`, `LessThanOrEqualToThreshold`, ...
    pub comparison_operator: String,
    pub threshold: Option<f64>,
    /// For anomaly-detection alarms: the id of the query giving the band.
    pub threshold_metric_id: Option<String>,
    pub evaluation_periods: i32,
    pub datapoints_to_alarm: Option<i32>,
    /// `breaching`, `notBreaching`, `ignore`, `missing` (AWS's default).
    pub treat_missing_data: Option<String>,
    /// `evaluate` or `ignore`, for percentile statistics.
    pub evaluate_low_sample_count_percentile: Option<String>,
    pub source: AlarmSource,
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmSource {
    /// One metric and a statistic over `period` seconds.
    Metric(MetricSpec),
    /// Metric math: the query whose `return_data` is true is watched.
    Queries(Vec<QuerySpec>),
}

/// One metric of an alarm on a single metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Dimensions,
    pub statistic: Statistic,
    pub period: i32,
    pub unit: Option<String>,
}

/// A standard statistic (`Average`, `Sum`, ...) or an extended one (`p99`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statistic {
    Standard(String),
    Extended(String),
}

/// One query of a metric-math alarm: an expression or a metric.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    pub id: String,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub return_data: Option<bool>,
    /// Only for an expression (a metric has its own period).
    pub period: Option<i32>,
    pub account_id: Option<String>,
    pub metric: Option<QueryMetric>,
}

/// The metric a query reads, with the statistic (`stat`) over `period`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryMetric {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Dimensions,
    pub stat: String,
    pub period: i32,
    pub unit: Option<String>,
}

/// An alarm as DescribeAlarms shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmView {
    pub spec: AlarmSpec,
    pub arn: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: String,
    pub state_reason: Option<String>,
    /// CloudWatch's JSON about the last state change (its `recentDatapoints`
    /// are the figures the alarm judged).
    pub state_reason_data: Option<String>,
}

pub(super) fn sdk_dimensions(dimensions: &Dimensions) -> Vec<Dimension> {
    dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect()
}

fn dimensions_of(dimensions: &[Dimension]) -> Dimensions {
    dimensions
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
        .collect()
}

pub(super) fn comparison(operator: &str) -> ComparisonOperator {
    ComparisonOperator::from(operator)
}

pub(super) fn standard_statistic(name: &str) -> SdkStatistic {
    SdkStatistic::from(name)
}

pub(super) fn unit(name: &str) -> StandardUnit {
    StandardUnit::from(name)
}

/// The query as PutMetricAlarm's Metrics and GetMetricData take it.
pub fn sdk_query(query: &QuerySpec) -> MetricDataQuery {
    let stat = query.metric.as_ref().map(|m| {
        MetricStat::builder()
            .metric(
                Metric::builder()
                    .namespace(&m.namespace)
                    .metric_name(&m.metric_name)
                    .set_dimensions(Some(sdk_dimensions(&m.dimensions)))
                    .build(),
            )
            .stat(&m.stat)
            .period(m.period)
            .set_unit(m.unit.as_deref().map(unit))
            .build()
    });
    MetricDataQuery::builder()
        .id(&query.id)
        .set_expression(query.expression.clone())
        .set_label(query.label.clone())
        .set_return_data(query.return_data)
        .set_period(query.period)
        .set_account_id(query.account_id.clone())
        .set_metric_stat(stat)
        .build()
}

fn query_of(query: &MetricDataQuery) -> QuerySpec {
    let metric = query.metric_stat().map(|stat| {
        let metric = stat.metric();
        QueryMetric {
            namespace: metric
                .and_then(Metric::namespace)
                .unwrap_or_default()
                .to_string(),
            metric_name: metric
                .and_then(Metric::metric_name)
                .unwrap_or_default()
                .to_string(),
            dimensions: dimensions_of(metric.map(Metric::dimensions).unwrap_or_default()),
            stat: stat.stat().unwrap_or_default().to_string(),
            period: stat.period().unwrap_or_default(),
            unit: stat.unit().map(|u| u.as_str().to_string()),
        }
    });
    QuerySpec {
        id: query.id().unwrap_or_default().to_string(),
        expression: query.expression().map(str::to_string),
        label: query.label().map(str::to_string),
        return_data: query.return_data(),
        period: query.period(),
        account_id: query.account_id().map(str::to_string),
        metric,
    }
}

/// The alarm DescribeAlarms answered, in the provider's terms.
pub fn view_of(alarm: &MetricAlarm) -> AlarmView {
    let source = if alarm.metrics().is_empty() {
        let statistic = match (alarm.statistic(), alarm.extended_statistic()) {
            (_, Some(extended)) => Statistic::Extended(extended.to_string()),
            (Some(standard), None) => Statistic::Standard(standard.as_str().to_string()),
            (None, None) => Statistic::Standard(String::new()),
        };
        AlarmSource::Metric(MetricSpec {
            namespace: alarm.namespace().unwrap_or_default().to_string(),
            metric_name: alarm.metric_name().unwrap_or_default().to_string(),
            dimensions: dimensions_of(alarm.dimensions()),
            statistic,
            period: alarm.period().unwrap_or_default(),
            unit: alarm.unit().map(|u| u.as_str().to_string()),
        })
    } else {
        AlarmSource::Queries(alarm.metrics().iter().map(query_of).collect())
    };
    let text = |v: Option<&str>| v.map(str::to_string);
    AlarmView {
        spec: AlarmSpec {
            name: alarm.alarm_name().unwrap_or_default().to_string(),
            description: text(alarm.alarm_description()).filter(|d| !d.is_empty()),
            actions_enabled: alarm.actions_enabled().unwrap_or(true),
            alarm_actions: alarm.alarm_actions().to_vec(),
            ok_actions: alarm.ok_actions().to_vec(),
            insufficient_data_actions: alarm.insufficient_data_actions().to_vec(),
            comparison_operator: alarm
                .comparison_operator()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            threshold: alarm.threshold(),
            threshold_metric_id: text(alarm.threshold_metric_id()),
            evaluation_periods: alarm.evaluation_periods().unwrap_or_default(),
            datapoints_to_alarm: alarm.datapoints_to_alarm(),
            treat_missing_data: text(alarm.treat_missing_data()),
            evaluate_low_sample_count_percentile: text(
                alarm.evaluate_low_sample_count_percentile(),
            )
            .filter(|v| !v.is_empty()),
            source,
        },
        arn: alarm.alarm_arn().unwrap_or_default().to_string(),
        state: alarm
            .state_value()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        state_reason: text(alarm.state_reason()),
        state_reason_data: text(alarm.state_reason_data()),
    }
}
