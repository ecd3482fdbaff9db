//! Plan-time checks across attributes, as the PutMetricAlarm API reference
//! states them, each reported on the attribute to fix:
//! - an alarm watches either one metric (`namespace`, `metric_name`,
//!   `period` and one of `statistic` / `extended_statistic`) or metric math
//!   (`metric_query` blocks), never both;
//! - "Valid values are 10, 20, 30, and any multiple of 60" for a period;
//!   "Period multiplied by EvaluationPeriods can't be more than 604,800
//!   seconds. For alarms with a period of less than one hour (3,600
//!   seconds), the total evaluation period can't be longer than one day
//!   (86,400 seconds)";
//! - DatapointsToAlarm is at most EvaluationPeriods;
//! - a threshold, or for the band comparisons a ThresholdMetricId;
//! - of the metric queries, exactly one has ReturnData true (a query that
//!   leaves it out counts as true: "If you omit this, the default of true is
//!   used"), ids are unique and start with a lowercase letter, and each
//!   query is an expression or a metric.

use std::collections::BTreeSet;

use cty::{Path, Value};

use super::schema::BAND_COMPARISONS;
use crate::framework::Diagnostics;

const ONE_DAY: i64 = 86_400;
const SEVEN_DAYS: i64 = 604_800;
const ONE_HOUR: i64 = 3_600;

fn attr<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    value.get_attr(name).filter(|v| !v.is_null())
}

/// Set: known or unknown, but not null; an empty map counts as unset (a
/// generated configuration writes `dimensions = {}`).
fn is_set(value: &Value, name: &str) -> bool {
    attr(value, name).is_some_and(|v| !v.as_map().is_some_and(|m| m.is_empty()))
}

fn int(value: &Value, name: &str) -> Option<i64> {
    attr(value, name).and_then(Value::as_i64)
}

/// The problem with a period, if any.
fn period_problem(period: i64) -> Option<String> {
    let valid = matches!(period, 10 | 20 | 30) || (period > 0 && period % 60 == 0);
    (!valid).then(|| format!("must be 10, 20, 30 or a multiple of 60 seconds, got {period}"))
}

fn check_period(value: &Value, name: &str, path: Path, diags: &mut Diagnostics) {
    if let Some(v) = attr(value, name)
        && v.is_known()
    {
        match v.as_i64() {
            Some(period) => {
                if let Some(problem) = period_problem(period) {
                    diags.push_attribute_error(
                        path.clone(),
                        "Invalid period",
                        format!("{path} {problem}."),
                    );
                }
            }
            None => diags.push_attribute_error(
                path.clone(),
                "Invalid period",
                format!("{path} must be a whole number of seconds."),
            ),
        }
    }
}

pub fn validate(config: &Value, diags: &mut Diagnostics) {
    let queries: &[Value] = config
        .get_attr("metric_query")
        .and_then(Value::as_elements)
        .unwrap_or(&[]);
    let queries_unknown = config
        .get_attr("metric_query")
        .is_some_and(Value::is_unknown);
    let period = if queries.is_empty() && !queries_unknown {
        single_metric(config, diags)
    } else {
        metric_math(config, queries, diags)
    };
    threshold(config, diags);
    evaluation(config, period, diags);
}

/// The single-metric form; answers its period when known.
fn single_metric(config: &Value, diags: &mut Diagnostics) -> Option<i64> {
    // PutMetricAlarm: ThresholdMetricId is the id of the ANOMALY_DETECTION_BAND
    // query in Metrics; an alarm on one metric has no queries to name.
    if is_set(config, "threshold_metric_id") {
        diags.push_attribute_error(
            Path::root().attr("threshold_metric_id"),
            "threshold_metric_id needs metric_query",
            "threshold_metric_id names the metric_query with the ANOMALY_DETECTION_BAND expression; an alarm on one metric has none. Use metric_query blocks for an anomaly detection alarm.",
        );
    }
    for name in ["namespace", "metric_name", "period"] {
        if !is_set(config, name) {
            diags.push_attribute_error(
                Path::root().attr(name),
                format!("Missing {name}"),
                format!("An alarm on one metric needs namespace, metric_name, period and a statistic; {name} is not set. For metric math, use metric_query blocks instead."),
            );
        }
    }
    match (is_set(config, "statistic"), is_set(config, "extended_statistic")) {
        (true, true) => diags.push_attribute_error(
            Path::root().attr("extended_statistic"),
            "Conflicting statistics",
            "Set either statistic or extended_statistic, not both.",
        ),
        (false, false) => diags.push_attribute_error(
            Path::root().attr("statistic"),
            "Missing statistic",
            "Set statistic (SampleCount, Average, Sum, Minimum, Maximum) or extended_statistic (a percentile such as p99).",
        ),
        _ => {}
    }
    if let Some(text) = attr(config, "extended_statistic").and_then(Value::as_str)
        && let Some(problem) = extended_statistic_problem(text)
    {
        diags.push_attribute_error(
            Path::root().attr("extended_statistic"),
            "Invalid extended statistic",
            format!("extended_statistic {problem}."),
        );
    }
    if is_set(config, "evaluate_low_sample_count_percentiles")
        && !is_set(config, "extended_statistic")
    {
        diags.push_attribute_error(
            Path::root().attr("evaluate_low_sample_count_percentiles"),
            "Only for percentiles",
            "evaluate_low_sample_count_percentiles applies to alarms on a percentile (extended_statistic) only.",
        );
    }
    check_period(config, "period", Path::root().attr("period"), diags);
    int(config, "period")
}

/// A percentile `pNN` / `pNN.N` between 0 and 100, or one of CloudWatch's
/// other percentile-family statistics (`tm`, `wm`, `tc`, `ts`, `pr`, `iqm`).
fn extended_statistic_problem(text: &str) -> Option<String> {
    if let Some(rest) = text.strip_prefix('p')
        && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return match rest.parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => None,
            _ => Some(format!(
                "must be a percentile between p0 and p100, such as p99 or p99.9, got {text:?}"
            )),
        };
    }
    let family = [
        "tm", "wm", "tc", "ts", "pr", "TM", "WM", "TC", "TS", "PR", "IQM", "iqm",
    ];
    if family.iter().any(|f| text.starts_with(f)) {
        return None;
    }
    Some(format!(
        "must be a percentile such as p99 (or tm90, wm90, tc90, ts90, pr(10:90), IQM), got {text:?}; the standard statistics go in statistic"
    ))
}

/// The metric-math form; answers the returning query's period when known.
fn metric_math(config: &Value, queries: &[Value], diags: &mut Diagnostics) -> Option<i64> {
    for name in [
        "namespace",
        "metric_name",
        "dimensions",
        "statistic",
        "extended_statistic",
        "period",
        "unit",
    ] {
        if is_set(config, name) {
            diags.push_attribute_error(
                Path::root().attr(name),
                format!("{name} not used with metric_query"),
                format!("A metric-math alarm takes its metrics from its metric_query blocks; {name} belongs in a query's metric block. Remove it here."),
            );
        }
    }
    let mut ids = BTreeSet::new();
    let mut returning = Vec::new();
    let mut all_known = true;
    for (i, query) in queries.iter().enumerate() {
        let here = Path::root()
            .attr("metric_query")
            .index(i64::try_from(i).unwrap_or(i64::MAX));
        if let Some(id) = attr(query, "id").and_then(Value::as_str) {
            let well_formed = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !well_formed {
                diags.push_attribute_error(
                    here.attr("id"),
                    "Invalid query id",
                    format!("{} must start with a lowercase letter and hold only letters, digits and underscores, got {id:?}.", here.attr("id")),
                );
            }
            if !ids.insert(id.to_string()) {
                diags.push_attribute_error(
                    here.attr("id"),
                    "Duplicate query id",
                    format!("Another metric_query has the id {id:?}; ids must be unique."),
                );
            }
        }
        match (is_set(query, "expression"), is_set(query, "metric")) {
            (true, true) => diags.push_attribute_error(
                here.attr("expression"),
                "Expression and metric both set",
                format!("{here} must have either an expression or a metric block, not both."),
            ),
            (false, false) => diags.push_attribute_error(
                here.clone(),
                "Empty metric query",
                format!("{here} needs an expression or a metric block."),
            ),
            _ => {}
        }
        if is_set(query, "metric") && is_set(query, "period") {
            diags.push_attribute_error(
                here.attr("period"),
                "Period of a metric query",
                format!(
                    "{} is for expressions; a metric's period goes in its metric block.",
                    here.attr("period")
                ),
            );
        }
        check_period(query, "period", here.attr("period"), diags);
        if let Some(metric) = attr(query, "metric") {
            check_period(metric, "period", here.attr("metric").attr("period"), diags);
        }
        match query.get_attr("return_data") {
            Some(v) if !v.is_known() => all_known = false,
            Some(Value::Bool(false)) => {}
            _ => returning.push(i),
        }
    }
    if all_known && returning.len() != 1 {
        diags.push_attribute_error(
            Path::root().attr("metric_query"),
            "Exactly one query must return data",
            format!(
                "The alarm watches the one metric_query with return_data = true; {} do (a query without return_data counts as true). Set return_data = false on the others.",
                returning.len()
            ),
        );
    }
    if let Some(id) = attr(config, "threshold_metric_id").and_then(Value::as_str)
        && queries
            .iter()
            .all(|q| q.get_attr("id").is_some_and(Value::is_known))
        && !ids.contains(id)
    {
        diags.push_attribute_error(
            Path::root().attr("threshold_metric_id"),
            "Unknown threshold metric",
            format!("threshold_metric_id {id:?} names no metric_query; it must be the id of the query with the ANOMALY_DETECTION_BAND expression."),
        );
    }
    let [only] = returning[..] else {
        return None;
    };
    let query = &queries[only];
    int(query, "period").or_else(|| attr(query, "metric").and_then(|m| int(m, "period")))
}

/// A threshold for the plain comparisons, a threshold metric for the band ones.
fn threshold(config: &Value, diags: &mut Diagnostics) {
    let Some(operator) = attr(config, "comparison_operator").and_then(Value::as_str) else {
        return;
    };
    let band = BAND_COMPARISONS.contains(&operator);
    let (needed, unused) = if band {
        ("threshold_metric_id", "threshold")
    } else {
        ("threshold", "threshold_metric_id")
    };
    if !is_set(config, needed) {
        diags.push_attribute_error(
            Path::root().attr(needed),
            format!("Missing {needed}"),
            format!("comparison_operator {operator} compares with {needed}; set it."),
        );
    }
    if is_set(config, unused) {
        diags.push_attribute_error(
            Path::root().attr(unused),
            format!("{unused} not used"),
            format!("comparison_operator {operator} compares with {needed}; remove {unused}."),
        );
    }
}

/// Datapoints within the evaluation periods, and the total time evaluated.
fn evaluation(config: &Value, period: Option<i64>, diags: &mut Diagnostics) {
    let Some(periods) = int(config, "evaluation_periods") else {
        return;
    };
    if let Some(datapoints) = int(config, "datapoints_to_alarm")
        && datapoints > periods
    {
        diags.push_attribute_error(
            Path::root().attr("datapoints_to_alarm"),
            "Too many datapoints to alarm",
            format!(
                "datapoints_to_alarm ({datapoints}) must not exceed evaluation_periods ({periods})."
            ),
        );
    }
    let Some(period) = period.filter(|p| period_problem(*p).is_none()) else {
        return;
    };
    let limit = if period < ONE_HOUR {
        ONE_DAY
    } else {
        SEVEN_DAYS
    };
    let total = period.saturating_mul(periods);
    if total > limit {
        diags.push_attribute_error(
            Path::root().attr("evaluation_periods"),
            "Evaluation too long",
            format!(
                "evaluation_periods ({periods}) × period ({period}s) is {total}s; CloudWatch evaluates at most {limit}s ({}).",
                if limit == ONE_DAY { "one day for periods under an hour" } else { "seven days" }
            ),
        );
    }
}
