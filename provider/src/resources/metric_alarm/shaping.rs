//! For property tests: a configuration drawn attribute by attribute from
//! the schema, shaped toward the rules `validate` checks across attributes.
//! The dice choose the alarm's form (one metric, or metric math when the
//! draw has queries), which statistic, threshold or threshold metric, the
//! periods and which query returns data; what the rules leave free stays as
//! drawn. Evaluation periods and datapoints are brought within their limits,
//! sometimes exactly onto them.

use cty::Value;

use super::schema::{BAND_COMPARISONS, COMPARISONS, STATISTICS};
use crate::framework::{Dice, set_attr};

/// Valid periods, under and over an hour.
const PERIODS: &[i64] = &[10, 30, 60, 300, 3_600, 21_600];
const PERCENTILES: &[&str] = &["p99", "p99.9", "p0", "tm90", "IQM"];
const SINGLE_METRIC_ONLY: &[&str] = &[
    "namespace",
    "metric_name",
    "dimensions",
    "statistic",
    "extended_statistic",
    "period",
    "unit",
];

pub fn shape(config: &mut Value, dice: &mut Dice<'_>) {
    let mut queries: Vec<Value> = config
        .get_attr("metric_query")
        .and_then(Value::as_elements)
        .map(<[Value]>::to_vec)
        .unwrap_or_default();
    let period = if queries.is_empty() {
        single_metric(config, dice)
    } else {
        let period = metric_math(config, &mut queries, dice);
        set_attr(config, "metric_query", Value::List(queries));
        period
    };
    evaluation(config, period, dice);
}

fn attr<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.get_attr(name).filter(|v| !v.is_null())
}

fn comparison(config: &Value) -> Option<&str> {
    config
        .get_attr("comparison_operator")
        .and_then(Value::as_str)
}

/// One metric: its name, a valid period and one of the two statistics; a
/// plain threshold (the band comparisons compare with a metric query).
fn single_metric(config: &mut Value, dice: &mut Dice<'_>) -> Option<i64> {
    for (name, fallback) in [("namespace", "AWS/EC2"), ("metric_name", "CPUUtilization")] {
        if attr(config, name).is_none() {
            set_attr(config, name, fallback.into());
        }
    }
    let period = *dice.one_of(PERIODS);
    set_attr(config, "period", period.into());
    if dice.one_in(2) {
        set_attr(config, "statistic", Value::Null);
        set_attr(
            config,
            "extended_statistic",
            (*dice.one_of(PERCENTILES)).into(),
        );
    } else {
        if attr(config, "statistic").is_none() {
            set_attr(config, "statistic", (*dice.one_of(STATISTICS)).into());
        }
        set_attr(config, "extended_statistic", Value::Null);
        set_attr(config, "evaluate_low_sample_count_percentiles", Value::Null);
    }
    if comparison(config).is_some_and(|c| BAND_COMPARISONS.contains(&c)) {
        let plain: Vec<&str> = COMPARISONS
            .iter()
            .copied()
            .filter(|c| !BAND_COMPARISONS.contains(c))
            .collect();
        set_attr(config, "comparison_operator", (*dice.one_of(&plain)).into());
    }
    plain_threshold(config);
    Some(period)
}

fn plain_threshold(config: &mut Value) {
    if attr(config, "threshold").is_none() {
        set_attr(config, "threshold", Value::from(1_i64));
    }
    set_attr(config, "threshold_metric_id", Value::Null);
}

/// Metric math: none of the single metric's attributes, queries with
/// unique well-formed ids, each an expression or a metric, exactly one
/// returning data; answers the returning query's period when it has one.
fn metric_math(config: &mut Value, queries: &mut [Value], dice: &mut Dice<'_>) -> Option<i64> {
    for name in SINGLE_METRIC_ONLY {
        set_attr(config, name, Value::Null);
    }
    let returning = dice.pick(queries.len());
    let mut periods = Vec::new();
    for (i, query) in queries.iter_mut().enumerate() {
        let metric = attr(query, "metric").cloned();
        let period = match metric {
            Some(mut metric) if dice.pick(3) > 0 => {
                let period = *dice.one_of(PERIODS);
                set_attr(&mut metric, "period", period.into());
                set_attr(query, "id", format!("m{i}").into());
                set_attr(query, "metric", metric);
                set_attr(query, "expression", Value::Null);
                set_attr(query, "period", Value::Null);
                Some(period)
            }
            _ => {
                set_attr(query, "id", format!("e{i}").into());
                set_attr(query, "metric", Value::Null);
                if attr(query, "expression").is_none() {
                    set_attr(query, "expression", "SUM(METRICS())".into());
                }
                let period = attr(query, "period").map(|_| *dice.one_of(PERIODS));
                set_attr(query, "period", period.map_or(Value::Null, Value::from));
                period
            }
        };
        periods.push(period);
        let return_data = match (i == returning, dice.one_in(2)) {
            (true, true) => Value::Null,
            (true, false) => true.into(),
            (false, _) => false.into(),
        };
        set_attr(query, "return_data", return_data);
    }
    if comparison(config).is_some_and(|c| BAND_COMPARISONS.contains(&c)) {
        let band = &queries[dice.pick(queries.len())];
        let id = band.get_attr("id").cloned().unwrap_or(Value::Null);
        set_attr(config, "threshold_metric_id", id);
        set_attr(config, "threshold", Value::Null);
    } else {
        plain_threshold(config);
    }
    periods.get(returning).copied().flatten()
}

/// Evaluation periods within the day (periods under an hour) or the week
/// CloudWatch evaluates, and datapoints to alarm within them.
fn evaluation(config: &mut Value, period: Option<i64>, dice: &mut Dice<'_>) {
    let Some(mut periods) = config
        .get_attr("evaluation_periods")
        .and_then(Value::as_i64)
    else {
        return;
    };
    if let Some(period) = period {
        let limit = if period < 3_600 { 86_400 } else { 604_800 };
        let most = limit / period;
        if periods > most {
            periods = if dice.one_in(2) { most } else { 1 };
            set_attr(config, "evaluation_periods", periods.into());
        }
    }
    let datapoints = config
        .get_attr("datapoints_to_alarm")
        .and_then(Value::as_i64);
    if datapoints.is_some_and(|d| d > periods) {
        let fitting = if dice.one_in(2) {
            Value::from(periods)
        } else {
            Value::Null
        };
        set_attr(config, "datapoints_to_alarm", fitting);
    }
}
