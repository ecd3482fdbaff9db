"""PutMetricAlarm's rules (CloudWatch API reference, PutMetricAlarm and MetricDataQuery).

* A metric alarm names MetricName and Namespace with either Statistic or
  ExtendedStatistic, not both, and a Period; a metric-math alarm has `Metrics`
  instead and none of Namespace, MetricName, Dimensions, Period, Unit, Statistic,
  ExtendedStatistic ("If you use the Metrics parameter, you cannot include ...").
* Period: 10, 30 or a multiple of 60 ("Valid values are 10, 30, and any multiple of
  60"); Period x EvaluationPeriods at most one day (86,400 s; seven days for periods
  of an hour or more).
* DatapointsToAlarm between 1 and EvaluationPeriods.
* ExtendedStatistic: a percentile p0.0 to p100.
* Metrics: exactly one item with ReturnData true (ReturnData defaults to true, so
  every other item must say false), ids starting with a lowercase letter, each item
  either a MetricStat or an Expression, at most 10 metrics; all MetricStats of an
  alarm use the same Period (where AWS does not say, the stricter reading).
* TreatMissingData: breaching, notBreaching, ignore or missing; ComparisonOperator
  one of the four threshold comparisons; Threshold required.
* Anomaly-detection alarms (ThresholdMetricId, the LessThanLower... operators) and
  metric-math functions the emulator does not evaluate are refused with a
  ValidationError that says so.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterCombination, ValidationError

from emulator.cloudwatch import query_engine, statistics

COMPARISONS = {
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
}
ANOMALY_COMPARISONS = {
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
}
TREAT_MISSING = {"breaching", "notBreaching", "ignore", "missing"}
MAX_ALARM_METRICS = 10
ONE_DAY = 86_400
SEVEN_DAYS = 604_800


def check_alarm_period(period: Any, where: str) -> int:
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValidationError(f"The parameter {where} is required and must be a positive integer.")
    if period not in (10, 30) and period % 60 != 0:
        raise ValidationError(f"The parameter {where} must be 10, 30 or a multiple of 60; got {period}.")
    return period


def validate(params: dict[str, Any]) -> None:
    metrics = params.get("Metrics") or []
    evaluation_periods = params.get("EvaluationPeriods")
    if not isinstance(evaluation_periods, int) or evaluation_periods < 1:
        raise ValidationError("The parameter EvaluationPeriods must be at least 1.")
    datapoints = params.get("DatapointsToAlarm")
    if datapoints is not None and not 1 <= datapoints <= evaluation_periods:
        raise ValidationError(
            f"DatapointsToAlarm ({datapoints}) must be between 1 and EvaluationPeriods ({evaluation_periods})."
        )
    operator = params.get("ComparisonOperator")
    if operator in ANOMALY_COMPARISONS or params.get("ThresholdMetricId"):
        raise ValidationError("Anomaly detection alarms (ThresholdMetricId) are not supported by this emulator.")
    if operator not in COMPARISONS:
        raise ValidationError(f"The value {operator} for parameter ComparisonOperator is invalid.")
    if params.get("Threshold") is None:
        raise ValidationError("The parameter Threshold is required.")
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING:
        raise ValidationError(
            f"The value {treat} for parameter TreatMissingData is invalid: use breaching, notBreaching, ignore or missing."
        )
    if metrics:
        period = _validate_metrics(params, metrics)
    else:
        period = _validate_metric(params)
    limit = SEVEN_DAYS if period >= 3600 else ONE_DAY
    if period * evaluation_periods > limit:
        raise ValidationError(
            f"The evaluation period (Period x EvaluationPeriods = {period * evaluation_periods} s) "
            f"must not exceed {limit} seconds."
        )


def _validate_metric(params: dict[str, Any]) -> int:
    if not params.get("MetricName") or not params.get("Namespace"):
        raise ValidationError("A metric alarm needs MetricName and Namespace, or Metrics for a metric math alarm.")
    statistic = params.get("Statistic")
    extended = params.get("ExtendedStatistic")
    if (statistic is None) == (extended is None):
        raise InvalidParameterCombination("You must specify either Statistic or ExtendedStatistic, but not both.")
    if extended is not None:
        try:
            parsed = statistics.parse(extended)
        except ValueError as err:
            raise ValidationError(f"ExtendedStatistic: {err}") from None
        if parsed.percentile is None:
            raise ValidationError(f"The value {extended} for parameter ExtendedStatistic is not a percentile.")
    return check_alarm_period(params.get("Period"), "Period")


def _validate_metrics(params: dict[str, Any], metrics: list[dict[str, Any]]) -> int:
    clash = [
        name
        for name in ("Namespace", "MetricName", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic")
        if params.get(name) not in (None, [], "")
    ]
    if clash:
        raise InvalidParameterCombination(
            f"With the Metrics parameter, PutMetricAlarm cannot include {', '.join(clash)}."
        )
    returned = [m for m in metrics if m.get("ReturnData", True) is not False]
    if len(returned) != 1:
        raise ValidationError(
            f"Exactly one element of the Metrics list must return data (ReturnData true); found {len(returned)}."
        )
    stats = [m for m in metrics if m.get("MetricStat")]
    if len(stats) > MAX_ALARM_METRICS:
        raise ValidationError(f"A metric math alarm can use at most {MAX_ALARM_METRICS} metrics.")
    periods = set()
    for index, metric in enumerate(metrics, start=1):
        if metric.get("MetricStat"):
            periods.add(check_alarm_period(metric["MetricStat"].get("Period"), f"Metrics.member.{index}.MetricStat.Period"))
        elif metric.get("Period") is not None:
            periods.add(check_alarm_period(metric["Period"], f"Metrics.member.{index}.Period"))
    if len(periods) > 1:
        raise ValidationError("All metrics of a metric math alarm must use the same Period.")
    try:
        query_engine.validate(metrics)
    except query_engine.QueryError as err:
        raise ValidationError(str(err)) from None
    if not periods:
        raise ValidationError("A metric math alarm needs a Period on its expression or its metrics.")
    return periods.pop()
