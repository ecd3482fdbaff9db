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

Also, as the reference says: "When you update an existing alarm, its state is left
unchanged"; a new alarm starts in INSUFFICIENT_DATA (moto started it in OK and
reset the state of an updated alarm).
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterCombination, ValidationError
from moto.cloudwatch.models import cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from emulator.cloudwatch import alarm_ticker, query_engine, statistics

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
INITIAL_REASON = "Unchecked: Initial alarm creation"

_installed = False


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


def _put_metric_alarm(original: Any) -> Any:
    def put_metric_alarm(self: CloudWatchResponse) -> Any:
        params = self._get_params()
        if params.get("AlarmRule") is None:  # composite alarms share this method in moto
            validate(params)
        backend = cloudwatch_backends[self.current_account][self.region]
        name = params.get("AlarmName")
        previous = backend.alarms.get(name)
        result = original(self)
        alarm = backend.alarms.get(name)
        if alarm is None:
            return result
        if previous is not None:
            alarm.state_value = previous.state_value
            alarm.state_reason = previous.state_reason
            alarm.state_reason_data = previous.state_reason_data
            alarm.state_updated_timestamp = previous.state_updated_timestamp
            alarm.history = previous.history
            for mark in ("state_transitioned_timestamp",):
                if hasattr(previous, mark):
                    setattr(alarm, mark, getattr(previous, mark))
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = INITIAL_REASON
        return result

    return put_metric_alarm


def _set_alarm_state(original: Any) -> Any:
    """SetAlarmState's state holds until the alarm's next evaluation (SetAlarmState reference:
    "the alarm state returns to its actual state ... the next time the alarm is evaluated"),
    not until a first evaluation that had not run yet."""

    def set_alarm_state(self: CloudWatchResponse) -> Any:
        result = original(self)
        alarm = cloudwatch_backends[self.current_account][self.region].alarms.get(self._get_param("AlarmName"))
        if alarm is not None:
            alarm_ticker.mark_evaluated(self.current_account, self.region, alarm)
        return result

    return set_alarm_state


ALARM_TYPES = ("MetricAlarm", "CompositeAlarm")


def describe_alarms(self: CloudWatchResponse) -> Any:
    """DescribeAlarms with its filters together (DescribeAlarms reference); moto used only the first.

    AlarmNames and AlarmNamePrefix exclude each other; AlarmTypes defaults to metric
    alarms only ("If you omit this parameter, only metric alarms are returned");
    StateValue and ActionPrefix narrow further. Alarms come sorted by name.
    """
    params = self._get_params()
    names = params.get("AlarmNames") or []
    prefix = params.get("AlarmNamePrefix")
    if names and prefix:
        raise InvalidParameterCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    for kind in types:
        if kind not in ALARM_TYPES:
            raise ValidationError(f"The value {kind} for parameter AlarmTypes is invalid.")
    state_value = params.get("StateValue")
    action_prefix = params.get("ActionPrefix")
    found = []
    for alarm in cloudwatch_backends[self.current_account][self.region].alarms.values():
        if names and alarm.name not in names:
            continue
        if prefix and not alarm.name.startswith(prefix):
            continue
        if state_value and alarm.state_value != state_value:
            continue
        if action_prefix and not any(a.startswith(action_prefix) for a in alarm.alarm_actions or []):
            continue
        found.append(alarm)
    found.sort(key=lambda a: a.name)
    metric_alarms = [a for a in found if a.rule is None] if "MetricAlarm" in types else []
    composite_alarms = [a for a in found if a.rule is not None] if "CompositeAlarm" in types else []
    return ActionResult({"MetricAlarms": metric_alarms, "CompositeAlarms": composite_alarms})


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    CloudWatchResponse.put_metric_alarm = _put_metric_alarm(CloudWatchResponse.put_metric_alarm)  # type: ignore[method-assign]
    CloudWatchResponse.set_alarm_state = _set_alarm_state(CloudWatchResponse.set_alarm_state)  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarms = describe_alarms  # type: ignore[method-assign]
