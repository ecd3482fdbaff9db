//! The resource's model, and how it becomes the alarm PutMetricAlarm takes
//! and comes back from DescribeAlarms.

use serde::{Deserialize, Serialize};

use super::schema::DEFAULT_MISSING_DATA;
use crate::aws::alarms::{
    AlarmSource, AlarmSpec, AlarmView, Dimensions, MetricSpec, QueryMetric, QuerySpec, Statistic,
};
use crate::aws::tags::Tags;
use crate::framework::null_as_default;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MetricAlarm {
    pub id: Option<String>,
    pub arn: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub alarm_name: String,
    pub alarm_description: Option<String>,
    pub comparison_operator: Option<String>,
    pub evaluation_periods: Option<i64>,
    pub datapoints_to_alarm: Option<i64>,
    pub threshold: Option<f64>,
    pub threshold_metric_id: Option<String>,
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    pub dimensions: Option<Dimensions>,
    pub statistic: Option<String>,
    pub extended_statistic: Option<String>,
    pub period: Option<i64>,
    pub unit: Option<String>,
    pub treat_missing_data: Option<String>,
    pub evaluate_low_sample_count_percentiles: Option<String>,
    pub actions_enabled: Option<bool>,
    pub alarm_actions: Option<Vec<String>>,
    pub ok_actions: Option<Vec<String>>,
    pub insufficient_data_actions: Option<Vec<String>>,
    pub tags: Option<Tags>,
    #[serde(deserialize_with = "null_as_default")]
    pub metric_query: Vec<MetricQuery>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MetricQuery {
    #[serde(deserialize_with = "null_as_default")]
    pub id: String,
    pub expression: Option<String>,
    pub label: Option<String>,
    pub return_data: Option<bool>,
    pub period: Option<i64>,
    pub account_id: Option<String>,
    pub metric: Option<QueryMetricModel>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryMetricModel {
    #[serde(deserialize_with = "null_as_default")]
    pub namespace: String,
    #[serde(deserialize_with = "null_as_default")]
    pub metric_name: String,
    pub dimensions: Option<Dimensions>,
    pub period: Option<i64>,
    #[serde(deserialize_with = "null_as_default")]
    pub stat: String,
    pub unit: Option<String>,
}

fn int(n: Option<i64>) -> Option<i32> {
    n.and_then(|n| i32::try_from(n).ok())
}

impl MetricAlarm {
    /// The alarm to write.
    pub fn spec(&self) -> AlarmSpec {
        let source = if self.metric_query.is_empty() {
            let statistic = match &self.extended_statistic {
                Some(extended) => Statistic::Extended(extended.clone()),
                None => Statistic::Standard(self.statistic.clone().unwrap_or_default()),
            };
            AlarmSource::Metric(MetricSpec {
                namespace: self.namespace.clone().unwrap_or_default(),
                metric_name: self.metric_name.clone().unwrap_or_default(),
                dimensions: self.dimensions.clone().unwrap_or_default(),
                statistic,
                period: int(self.period).unwrap_or_default(),
                unit: self.unit.clone(),
            })
        } else {
            AlarmSource::Queries(self.metric_query.iter().map(query_spec).collect())
        };
        AlarmSpec {
            name: self.alarm_name.clone(),
            description: self.alarm_description.clone(),
            actions_enabled: self.actions_enabled.unwrap_or(true),
            alarm_actions: self.alarm_actions.clone().unwrap_or_default(),
            ok_actions: self.ok_actions.clone().unwrap_or_default(),
            insufficient_data_actions: self.insufficient_data_actions.clone().unwrap_or_default(),
            comparison_operator: self.comparison_operator.clone().unwrap_or_default(),
            threshold: self.threshold,
            threshold_metric_id: self.threshold_metric_id.clone(),
            evaluation_periods: int(self.evaluation_periods).unwrap_or(1),
            datapoints_to_alarm: int(self.datapoints_to_alarm),
            treat_missing_data: self.treat_missing_data.clone(),
            evaluate_low_sample_count_percentile: self
                .evaluate_low_sample_count_percentiles
                .clone(),
            source,
        }
    }

    /// The alarm as read, in the model; `known` is what the state held, so
    /// that values AWS fills in by default read as the configuration left
    /// them (a returning query without `return_data`, `datapoints_to_alarm`
    /// equal to `evaluation_periods`).
    pub fn from_view(view: AlarmView, tags: Tags, known: &MetricAlarm) -> MetricAlarm {
        let spec = view.spec;
        let mut alarm = MetricAlarm {
            id: Some(spec.name.clone()),
            arn: Some(view.arn),
            alarm_name: spec.name,
            alarm_description: spec.description,
            comparison_operator: Some(spec.comparison_operator),
            evaluation_periods: Some(i64::from(spec.evaluation_periods)),
            datapoints_to_alarm: spec.datapoints_to_alarm.map(i64::from),
            threshold: spec.threshold,
            threshold_metric_id: spec.threshold_metric_id,
            treat_missing_data: Some(
                spec.treat_missing_data
                    .unwrap_or_else(|| DEFAULT_MISSING_DATA.into()),
            ),
            evaluate_low_sample_count_percentiles: spec.evaluate_low_sample_count_percentile,
            actions_enabled: Some(spec.actions_enabled),
            alarm_actions: Some(spec.alarm_actions),
            ok_actions: Some(spec.ok_actions),
            insufficient_data_actions: Some(spec.insufficient_data_actions),
            tags: Some(tags),
            ..MetricAlarm::default()
        };
        if known.datapoints_to_alarm.is_none()
            && known.alarm_name == alarm.alarm_name
            && alarm.datapoints_to_alarm == alarm.evaluation_periods
        {
            alarm.datapoints_to_alarm = None;
        }
        match spec.source {
            AlarmSource::Metric(metric) => {
                alarm.namespace = Some(metric.namespace);
                alarm.metric_name = Some(metric.metric_name);
                alarm.dimensions = Some(metric.dimensions);
                match metric.statistic {
                    Statistic::Standard(s) => alarm.statistic = Some(s),
                    Statistic::Extended(s) => alarm.extended_statistic = Some(s),
                }
                alarm.period = Some(i64::from(metric.period));
                alarm.unit = metric.unit;
            }
            AlarmSource::Queries(queries) => {
                alarm.metric_query = queries
                    .into_iter()
                    .enumerate()
                    .map(|(i, q)| query_model(q, known.metric_query.get(i)))
                    .collect();
            }
        }
        alarm
    }
}

fn query_spec(query: &MetricQuery) -> QuerySpec {
    QuerySpec {
        id: query.id.clone(),
        expression: query.expression.clone(),
        label: query.label.clone(),
        return_data: query.return_data,
        period: int(query.period),
        account_id: query.account_id.clone(),
        metric: query.metric.as_ref().map(|m| QueryMetric {
            namespace: m.namespace.clone(),
            metric_name: m.metric_name.clone(),
            dimensions: m.dimensions.clone().unwrap_or_default(),
            stat: m.stat.clone(),
            period: int(m.period).unwrap_or_default(),
            unit: m.unit.clone(),
        }),
    }
}

fn query_model(query: QuerySpec, known: Option<&MetricQuery>) -> MetricQuery {
    let known = known.filter(|k| k.id == query.id);
    // AWS takes a query without ReturnData as returning data.
    let returns = query.return_data.unwrap_or(true);
    let return_data = match known {
        Some(k) if k.return_data.is_none() && returns => None,
        _ => Some(returns),
    };
    let known_dimensions = known
        .and_then(|k| k.metric.as_ref())
        .and_then(|m| m.dimensions.as_ref());
    MetricQuery {
        id: query.id,
        expression: query.expression,
        label: query.label,
        return_data,
        period: query.period.map(i64::from),
        account_id: query.account_id,
        metric: query.metric.map(|m| QueryMetricModel {
            namespace: m.namespace,
            metric_name: m.metric_name,
            // No dimensions read as the configuration wrote them: none or {}.
            dimensions: match (m.dimensions.is_empty(), known_dimensions) {
                (true, None) if known.is_some() => None,
                _ => Some(m.dimensions),
            },
            period: Some(i64::from(m.period)),
            stat: m.stat,
            unit: m.unit,
        }),
    }
}
