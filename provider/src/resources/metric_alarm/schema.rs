//! The alarm's attributes, named as in the AWS provider's
//! `aws_cloudwatch_metric_alarm` so users feel at home.

use cty::Type;

use crate::framework::{Attribute, Block, NestedBlock, Schema, Validator};

pub const COMPARISONS: &[&str] = &[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
/// The comparisons of anomaly detection alarms, against a band.
pub const BAND_COMPARISONS: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];
pub const STATISTICS: &[&str] = &["SampleCount", "Average", "Sum", "Minimum", "Maximum"];
pub const MISSING_DATA: &[&str] = &["breaching", "notBreaching", "ignore", "missing"];
pub const DEFAULT_MISSING_DATA: &str = "missing";
pub const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

pub fn schema() -> Schema {
    Schema::new(
        Block::new("A CloudWatch alarm on one metric or on metric math; its name can gate a rollout (`rollout.alarms` of an autoscaling group).")
            .attribute(Attribute::computed("id", Type::String).stable().describe("The alarm's name."))
            .attribute(Attribute::computed("arn", Type::String).stable().describe("ARN of the alarm."))
            .attribute(Attribute::required("alarm_name", Type::String).requires_replace().validate(Validator::LengthBetween(1, 255)).describe("Name of the alarm, unique in the account and region. Changing it creates a new alarm."))
            .attribute(Attribute::optional("alarm_description", Type::String).validate(Validator::LengthBetween(0, 1024)).describe("What the alarm is for."))
            .attribute(Attribute::required("comparison_operator", Type::String).validate(Validator::OneOf(COMPARISONS)).describe("How the statistic is compared with `threshold`, e.g. `GreaterThanThreshold`; the last three compare with an anomaly detection band (`threshold_metric_id`)."))
            .attribute(Attribute::required("evaluation_periods", Type::Number).validate(Validator::IntBetween(1, 100_000)).describe("How many of the latest periods are evaluated (N of \"M out of N\")."))
            .attribute(Attribute::optional("datapoints_to_alarm", Type::Number).validate(Validator::IntBetween(1, 100_000)).describe("How many of them must breach for the alarm to go to ALARM (M of \"M out of N\"); `evaluation_periods` when left out."))
            .attribute(Attribute::optional("threshold", Type::Number).describe("The value the statistic is compared with; required unless `threshold_metric_id` is set."))
            .attribute(Attribute::optional("threshold_metric_id", Type::String).describe("For anomaly detection alarms: the `id` of the `metric_query` whose ANOMALY_DETECTION_BAND is the threshold."))
            .attribute(Attribute::optional("namespace", Type::String).validate(Validator::LengthBetween(1, 255)).describe("Namespace of the metric, e.g. `AWS/ApplicationELB` (single-metric alarms)."))
            .attribute(Attribute::optional("metric_name", Type::String).validate(Validator::LengthBetween(1, 255)).describe("Name of the metric, e.g. `HTTPCode_Target_5XX_Count` (single-metric alarms)."))
            .attribute(Attribute::optional("dimensions", Type::map(Type::String)).describe("Dimensions of the metric, e.g. `{ LoadBalancer = roundrobin_lb.web.arn_suffix }` (single-metric alarms)."))
            .attribute(Attribute::optional("statistic", Type::String).validate(Validator::OneOf(STATISTICS)).describe("`SampleCount`, `Average`, `Sum`, `Minimum` or `Maximum`; or set `extended_statistic` (single-metric alarms)."))
            .attribute(Attribute::optional("extended_statistic", Type::String).validate(Validator::LengthBetween(2, 64)).describe("A percentile such as `p99` or `p99.9` (or `tm90`, `wm90`, ...) instead of `statistic` (single-metric alarms)."))
            .attribute(Attribute::optional("period", Type::Number).describe("Seconds of each evaluated period: 10, 20, 30 or a multiple of 60 (single-metric alarms)."))
            .attribute(Attribute::optional("unit", Type::String).validate(Validator::OneOf(UNITS)).describe("Unit of the metric's datapoints to evaluate, e.g. `Seconds`; all units when left out."))
            .attribute(Attribute::defaulted("treat_missing_data", Type::String, DEFAULT_MISSING_DATA).validate(Validator::OneOf(MISSING_DATA)).describe("How a period without data counts: `missing` (AWS's default), `ignore`, `breaching` or `notBreaching`."))
            .attribute(Attribute::optional("evaluate_low_sample_count_percentiles", Type::String).validate(Validator::OneOf(&["evaluate", "ignore"])).describe("For percentiles: `evaluate` them with few datapoints too, or `ignore` such periods."))
            .attribute(Attribute::defaulted("actions_enabled", Type::Bool, true).describe("Whether the alarm's actions run when its state changes."))
            .attribute(Attribute::optional("alarm_actions", Type::set(Type::String)).describe("ARNs of what to notify or do when the alarm goes to ALARM."))
            .attribute(Attribute::optional("ok_actions", Type::set(Type::String)).describe("ARNs of what to notify or do when the alarm goes to OK."))
            .attribute(Attribute::optional("insufficient_data_actions", Type::set(Type::String)).describe("ARNs of what to notify or do when the alarm goes to INSUFFICIENT_DATA."))
            .attribute(Attribute::optional("tags", Type::map(Type::String)).describe("Tags of the alarm."))
            .block(NestedBlock::list("metric_query", query_block())),
    )
}

fn query_block() -> Block {
    Block::new("One metric or expression of a metric-math alarm; exactly one query returns the value the alarm watches.")
        .attribute(Attribute::required("id", Type::String).validate(Validator::LengthBetween(1, 255)).describe("Short name of the query for expressions to use: a lowercase letter, then letters, digits and underscores."))
        .attribute(Attribute::optional("expression", Type::String).validate(Validator::LengthBetween(1, 2048)).describe("A metric math expression over the other queries' ids, e.g. `errors / requests`; or set `metric`."))
        .attribute(Attribute::optional("label", Type::String).describe("A name for the result, shown in graphs."))
        .attribute(Attribute::optional("return_data", Type::Bool).describe("True for the one query the alarm watches; set false on every other (AWS takes a query without it as true)."))
        .attribute(Attribute::optional("period", Type::Number).describe("For an expression: seconds of its periods (10, 20, 30 or a multiple of 60)."))
        .attribute(Attribute::optional("account_id", Type::String).describe("The account the metric is in, for cross-account alarms."))
        .block(NestedBlock::single("metric", metric_block()))
}

fn metric_block() -> Block {
    Block::new("The metric a query reads, and the statistic taken over each period.")
        .attribute(
            Attribute::required("namespace", Type::String)
                .validate(Validator::LengthBetween(1, 255))
                .describe("Namespace of the metric."),
        )
        .attribute(
            Attribute::required("metric_name", Type::String)
                .validate(Validator::LengthBetween(1, 255))
                .describe("Name of the metric."),
        )
        .attribute(
            Attribute::optional("dimensions", Type::map(Type::String))
                .describe("Dimensions of the metric."),
        )
        .attribute(
            Attribute::required("period", Type::Number)
                .describe("Seconds of each period: 10, 20, 30 or a multiple of 60."),
        )
        .attribute(
            Attribute::required("stat", Type::String)
                .validate(Validator::LengthBetween(1, 64))
                .describe("The statistic: `Sum`, `Average`, `p99`, ..."),
        )
        .attribute(
            Attribute::optional("unit", Type::String)
                .validate(Validator::OneOf(UNITS))
                .describe("Unit of the datapoints to use; all units when left out."),
        )
}
