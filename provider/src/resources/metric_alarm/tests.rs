use cty::{Path, Value};

use super::validate::validate;
use crate::framework::Diagnostics;

fn object(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn paths(config: &Value) -> Vec<Path> {
    let mut diags = Diagnostics::new();
    validate(config, &mut diags);
    diags.0.into_iter().filter_map(|d| d.path).collect()
}

fn single(extra: &[(&str, Value)]) -> Value {
    let mut pairs = vec![
        ("comparison_operator", Value::from("GreaterThanThreshold")),
        ("evaluation_periods", Value::from(2_i64)),
        ("threshold", Value::from(10_i64)),
        ("namespace", Value::from("AWS/ApplicationELB")),
        ("metric_name", Value::from("HTTPCode_Target_5XX_Count")),
        ("statistic", Value::from("Sum")),
        ("period", Value::from(60_i64)),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        pairs.push((k, v.clone()));
    }
    object(&pairs)
}

fn query(id: &str, returns: Value, expression: Option<&str>) -> Value {
    let metric = match expression {
        Some(_) => Value::Null,
        None => object(&[
            ("namespace", Value::from("AWS/ApplicationELB")),
            ("metric_name", Value::from("RequestCount")),
            ("period", Value::from(60_i64)),
            ("stat", Value::from("Sum")),
        ]),
    };
    object(&[
        ("id", Value::from(id)),
        ("expression", expression.map_or(Value::Null, Value::from)),
        ("return_data", returns),
        ("metric", metric),
    ])
}

fn math(queries: Vec<Value>) -> Value {
    object(&[
        ("comparison_operator", Value::from("GreaterThanThreshold")),
        ("evaluation_periods", Value::from(1_i64)),
        ("threshold", Value::from(1_i64)),
        ("metric_query", Value::list(queries)),
    ])
}

#[test]
fn a_complete_single_metric_alarm_passes() {
    assert!(paths(&single(&[])).is_empty());
}

#[test]
fn a_period_that_is_not_a_minute_multiple_is_refused() {
    assert_eq!(
        paths(&single(&[("period", Value::from(90_i64))])),
        [Path::root().attr("period")]
    );
    assert!(paths(&single(&[("period", Value::from(10_i64))])).is_empty());
}

#[test]
fn more_than_a_day_of_short_periods_is_refused() {
    let long = single(&[("evaluation_periods", Value::from(1441_i64))]);
    assert_eq!(paths(&long), [Path::root().attr("evaluation_periods")]);
    let hourly = single(&[
        ("period", Value::from(3600_i64)),
        ("evaluation_periods", Value::from(168_i64)),
    ]);
    assert!(paths(&hourly).is_empty());
}

#[test]
fn datapoints_beyond_the_periods_are_refused() {
    let config = single(&[("datapoints_to_alarm", Value::from(3_i64))]);
    assert_eq!(paths(&config), [Path::root().attr("datapoints_to_alarm")]);
}

#[test]
fn both_statistics_or_none_are_refused() {
    let both = single(&[("extended_statistic", Value::from("p99"))]);
    assert_eq!(paths(&both), [Path::root().attr("extended_statistic")]);
    let none = single(&[("statistic", Value::Null)]);
    assert_eq!(paths(&none), [Path::root().attr("statistic")]);
    let bad = single(&[
        ("statistic", Value::Null),
        ("extended_statistic", Value::from("p101")),
    ]);
    assert_eq!(paths(&bad), [Path::root().attr("extended_statistic")]);
}

#[test]
fn a_band_comparison_needs_a_threshold_metric() {
    let config = single(&[(
        "comparison_operator",
        Value::from("LessThanLowerOrGreaterThanUpperThreshold"),
    )]);
    assert_eq!(
        paths(&config),
        [
            Path::root().attr("threshold_metric_id"),
            Path::root().attr("threshold")
        ]
    );
}

#[test]
fn a_threshold_metric_needs_metric_queries() {
    let config = single(&[
        (
            "comparison_operator",
            Value::from("LessThanLowerOrGreaterThanUpperThreshold"),
        ),
        ("threshold_metric_id", Value::from("band")),
        ("threshold", Value::Null),
    ]);
    assert_eq!(paths(&config), [Path::root().attr("threshold_metric_id")]);
}

#[test]
fn metric_math_with_one_returning_query_passes() {
    let config = math(vec![
        query("requests", Value::from(false), None),
        query("rate", Value::Null, Some("requests / 60")),
    ]);
    assert!(paths(&config).is_empty());
}

#[test]
fn two_returning_queries_are_refused() {
    let config = math(vec![
        query("requests", Value::Null, None),
        query("rate", Value::Null, Some("requests / 60")),
    ]);
    assert_eq!(paths(&config), [Path::root().attr("metric_query")]);
}

#[test]
fn metric_math_with_a_single_metric_attribute_is_refused() {
    let mut config = math(vec![query("rate", Value::Null, Some("1"))]);
    if let Value::Object(fields) = &mut config {
        fields.insert("namespace".into(), Value::from("AWS/EC2"));
    }
    assert_eq!(paths(&config), [Path::root().attr("namespace")]);
}

#[test]
fn query_ids_are_checked() {
    let config = math(vec![
        query("Requests", Value::from(false), None),
        query("rate", Value::from(false), Some("1")),
        query("rate", Value::Null, Some("2")),
    ]);
    let found = paths(&config);
    let queries = Path::root().attr("metric_query");
    assert!(found.contains(&queries.index(0).attr("id")));
    assert!(found.contains(&queries.index(2).attr("id")));
}

#[test]
fn a_threshold_metric_must_name_a_query() {
    let mut config = math(vec![query("rate", Value::Null, Some("1"))]);
    if let Value::Object(fields) = &mut config {
        fields.insert(
            "comparison_operator".into(),
            Value::from("GreaterThanUpperThreshold"),
        );
        fields.insert("threshold".into(), Value::Null);
        fields.insert("threshold_metric_id".into(), Value::from("band"));
    }
    assert_eq!(paths(&config), [Path::root().attr("threshold_metric_id")]);
}

mod reading {
    use super::super::model::{MetricAlarm, MetricQuery};
    use crate::aws::alarms::{AlarmSource, AlarmSpec, AlarmView, QuerySpec};

    fn view(queries: Vec<QuerySpec>) -> AlarmView {
        AlarmView {
            spec: AlarmSpec {
                name: "web".into(),
                description: None,
                actions_enabled: true,
                alarm_actions: Vec::new(),
                ok_actions: Vec::new(),
                insufficient_data_actions: Vec::new(),
                comparison_operator: "GreaterThanThreshold".into(),
                threshold: Some(1.0),
                threshold_metric_id: None,
                evaluation_periods: 2,
                datapoints_to_alarm: Some(2),
                treat_missing_data: None,
                evaluate_low_sample_count_percentile: None,
                source: AlarmSource::Queries(queries),
            },
            arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web".into(),
            state: "OK".into(),
            state_reason: None,
            state_reason_data: None,
        }
    }

    fn expression(id: &str, returns: Option<bool>) -> QuerySpec {
        QuerySpec {
            id: id.into(),
            expression: Some("1".into()),
            label: None,
            return_data: returns,
            period: None,
            account_id: None,
            metric: None,
        }
    }

    #[test]
    fn defaults_aws_fills_in_read_as_the_configuration_left_them() {
        let known = MetricAlarm {
            alarm_name: "web".into(),
            metric_query: vec![
                MetricQuery {
                    id: "a".into(),
                    ..MetricQuery::default()
                },
                MetricQuery {
                    id: "b".into(),
                    return_data: Some(false),
                    ..MetricQuery::default()
                },
            ],
            ..MetricAlarm::default()
        };
        let read = MetricAlarm::from_view(
            view(vec![
                expression("a", Some(true)),
                expression("b", Some(false)),
            ]),
            Default::default(),
            &known,
        );
        assert_eq!(read.metric_query[0].return_data, None);
        assert_eq!(read.metric_query[1].return_data, Some(false));
        assert_eq!(read.datapoints_to_alarm, None);
        assert_eq!(read.treat_missing_data.as_deref(), Some("missing"));
    }

    #[test]
    fn an_import_reads_every_value() {
        let known = MetricAlarm {
            alarm_name: "web".into(),
            datapoints_to_alarm: Some(2),
            ..MetricAlarm::default()
        };
        let read = MetricAlarm::from_view(
            view(vec![expression("a", None)]),
            Default::default(),
            &known,
        );
        assert_eq!(read.metric_query[0].return_data, Some(true));
        assert_eq!(read.datapoints_to_alarm, Some(2));
    }
}
