"""Evaluating a CloudWatch alarm, as "Using Amazon CloudWatch alarms" (user guide) describes it.

* Period, EvaluationPeriods (N), DatapointsToAlarm (M, default N): the alarm goes to
  ALARM when at least M of the last N datapoints breach the threshold
  ("Evaluating an alarm", "M out of N").
* A datapoint is the alarm's statistic (Statistic or ExtendedStatistic) of one
  complete period, or the value of the metric-math expression with ReturnData for
  that period. The period still running is not evaluated: its value is not final
  (the stricter reading: a verdict never comes from a partial period).
* The evaluation range is N + 2 periods, as the user guide's missing-data examples
  show five periods for three evaluation periods ("Configuring how CloudWatch alarms
  treat missing data"):
  - with at least N real datapoints in the range, the most recent N are evaluated and
    TreatMissingData plays no part;
  - with none, `missing` (the default) -> INSUFFICIENT_DATA, `breaching` -> ALARM,
    `notBreaching` -> OK, `ignore` -> the state stays;
  - with some, the missing ones are filled as TreatMissingData says, as few as
    possible: `breaching` counts them as breaching, `notBreaching` as not;
    `missing` judges on the real datapoints alone (ALARM when all M needed, or all
    the real ones if fewer, breach); `ignore` likewise, except that it never moves
    the alarm into ALARM on partial data (the state stays).
* StateReason and StateReasonData are written as CloudWatch writes them ("Threshold
  Crossed: ..."); StateUpdatedTimestamp is the time of the change.

Periods last `period x metric_time_scale` real seconds (timescale.py).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from emulator.cloudwatch import query_engine, series, statistics, timescale

EXTRA_PERIODS = 2
_OPERATOR_WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


@dataclass
class Verdict:
    state: str | None  # None: the state stays
    reason: str
    reason_data: dict[str, Any]


def breaches(operator: str, value: float, threshold: float) -> bool:
    if operator == "GreaterThanThreshold":
        return value > threshold
    if operator == "GreaterThanOrEqualToThreshold":
        return value >= threshold
    if operator == "LessThanThreshold":
        return value < threshold
    if operator == "LessThanOrEqualToThreshold":
        return value <= threshold
    raise ValueError(f"unsupported comparison {operator}")


def _query_from_moto(query: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"Id": query.id, "ReturnData": query.return_data}
    if query.expression:
        item["Expression"] = query.expression
        if query.period:
            item["Period"] = int(query.period)
    elif query.metric_stat is not None:
        stat = query.metric_stat
        item["MetricStat"] = {
            "Metric": {
                "Namespace": stat.metric.namespace,
                "MetricName": stat.metric.metric_name,
                "Dimensions": [{"Name": d.name, "Value": d.value} for d in stat.metric.dimensions],
            },
            "Period": int(stat.period),
            "Stat": stat.stat,
        }
        if stat.unit:
            item["MetricStat"]["Unit"] = stat.unit
    return item


def _returns(query: Any) -> bool:
    value = query.return_data
    return value is None or value is True or str(value).lower() == "true"


def nominal_period(alarm: Any) -> int:
    if alarm.metric_data_queries:
        queries = [_query_from_moto(q) for q in alarm.metric_data_queries]
        evaluation = query_engine.Evaluation(None, queries, 0.0, 0.0)
        returned = next(q for q in alarm.metric_data_queries if _returns(q))
        return evaluation.nominal_period(returned.id)
    return int(alarm.period)


def datapoints(backend: Any, alarm: Any, start: float, end: float, period_real: float) -> dict[float, float]:
    """The alarm's datapoints (period start -> value) of the complete periods in [start, end)."""
    if alarm.metric_data_queries:
        queries = [_query_from_moto(q) for q in alarm.metric_data_queries]
        for query in queries:
            query["ReturnData"] = query["ReturnData"] is None or str(query["ReturnData"]).lower() == "true"
        returned = next(q["Id"] for q in queries if q["ReturnData"])
        evaluation = query_engine.Evaluation(backend, queries, start, end)
        return {ts: v for ts, v in evaluation.series_of(returned).items() if start <= ts < end}
    key = series.metric_key(
        alarm.namespace, alarm.metric_name, [{"Name": d.name, "Value": d.value} for d in alarm.dimensions]
    )
    statistic = statistics.parse(alarm.extended_statistic or alarm.statistic)
    found = series.samples(backend, key, start, end, period_real, alarm.unit)
    values: dict[float, float] = {}
    for bucket, sample in found.items():
        value = statistics.compute(statistic, sample)
        if value is not None:
            values[bucket] = value
    return values


def _stamp(seconds: float) -> str:
    return timescale.from_epoch(seconds).strftime("%d/%m/%y %H:%M:%S")


def _iso(seconds: float) -> str:
    return timescale.from_epoch(seconds).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def evaluate(
    backend: Any, alarm: Any, now: datetime.datetime, query_time: datetime.datetime | None = None
) -> Verdict:
    """The alarm's verdict at `now` on the complete periods before it."""
    period = nominal_period(alarm)
    period_real = timescale.real_seconds(period)
    n = int(alarm.evaluation_periods)
    m = int(alarm.datapoints_to_alarm or n)
    end = timescale.period_start(timescale.epoch(now), period_real)
    start = end - (n + EXTRA_PERIODS) * period_real
    values = datapoints(backend, alarm, start, end, period_real)
    real = sorted(values.items())
    threshold = float(alarm.threshold)
    operator = alarm.comparison_operator
    treat = alarm.treat_missing_data or "missing"
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(timescale.epoch(query_time or now)),
        "startDate": _iso(start),
        "period": period,
        "recentDatapoints": [round(v, 10) for _, v in real],
        "threshold": threshold,
    }
    if alarm.metric_data_queries:
        data["evaluatedDatapoints"] = []
    else:
        data["statistic" if not alarm.extended_statistic else "extendedStatistic"] = (
            alarm.extended_statistic or alarm.statistic
        )
    words = _OPERATOR_WORDS[operator]

    if len(real) >= n:
        recent = real[-n:]
        breaching = [(ts, v) for ts, v in recent if breaches(operator, v, threshold)]
        data["evaluatedDatapoints"] = [{"timestamp": _iso(ts), "value": v} for ts, v in reversed(recent)]
        listed = ", ".join(f"{v:g} ({_stamp(ts)})" for ts, v in reversed(recent))
        if len(breaching) >= m:
            reason = (
                f"Threshold Crossed: {len(breaching)} out of the last {n} datapoints [{listed}] "
                f"{'was' if len(breaching) == 1 else 'were'} {words} the threshold ({threshold:g}) "
                f"(minimum {m} datapoint{'s' if m != 1 else ''} for OK -> ALARM transition)."
            )
            return Verdict("ALARM", reason, data)
        reason = (
            f"Threshold Crossed: {n - len(breaching)} out of the last {n} datapoints [{listed}] "
            f"{'was' if n - len(breaching) == 1 else 'were'} not {words} the threshold ({threshold:g}) "
            f"(minimum {n - m + 1} datapoint{'s' if n - m + 1 != 1 else ''} for ALARM -> OK transition)."
        )
        return Verdict("OK", reason, data)

    if not real:
        received = (
            f"no datapoints were received for {n} period{'s' if n != 1 else ''} and {n} missing "
            f"datapoint{'s were' if n != 1 else ' was'} treated as"
        )
        if treat == "breaching":
            return Verdict("ALARM", f"Threshold Crossed: {received} [Breaching].", data)
        if treat == "notBreaching":
            return Verdict("OK", f"Threshold Crossed: {received} [NonBreaching].", data)
        if treat == "ignore":
            return Verdict(None, "", data)
        return Verdict("INSUFFICIENT_DATA", f"Insufficient Data: {n} datapoint{'s were' if n != 1 else ' was'} unknown.", data)

    missing = n - len(real)
    breaching_real = sum(1 for _, v in real if breaches(operator, v, threshold))
    listed = ", ".join(f"{v:g} ({_stamp(ts)})" for ts, v in reversed(real))
    data["evaluatedDatapoints"] = [{"timestamp": _iso(ts), "value": v} for ts, v in reversed(real)]
    if treat == "breaching":
        count, needed = breaching_real + missing, m
        label = "Breaching"
    elif treat == "notBreaching":
        count, needed = breaching_real, m
        label = "NonBreaching"
    else:
        count, needed = breaching_real, min(m, len(real))
        label = "Missing"
    if count >= needed:
        if treat == "ignore":
            return Verdict(None, "", data)
        reason = (
            f"Threshold Crossed: {count} out of the last {n} datapoints [{listed}] "
            f"{'was' if count == 1 else 'were'} {words} the threshold ({threshold:g}) "
            f"({missing} missing datapoint{'s' if missing != 1 else ''} treated as [{label}]; "
            f"minimum {m} datapoint{'s' if m != 1 else ''} for OK -> ALARM transition)."
        )
        return Verdict("ALARM", reason, data)
    reason = (
        f"Threshold Crossed: {n - count} out of the last {n} datapoints [{listed}] "
        f"{'was' if n - count == 1 else 'were'} not {words} the threshold ({threshold:g}) "
        f"({missing} missing datapoint{'s' if missing != 1 else ''} treated as [{label}])."
    )
    return Verdict("OK", reason, data)
