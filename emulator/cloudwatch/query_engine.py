"""The values of a list of metric data queries (GetMetricData, metric-math alarms).

A query is a MetricDataQuery as the API has it: `Id`, and either `MetricStat`
(`Metric` {Namespace, MetricName, Dimensions}, `Period`, `Stat`, `Unit`) or
`Expression` (metric_math.py) with an optional `Period`. Each query's value is a
time series: period start (epoch seconds) -> value.
"""

from __future__ import annotations

import re
from typing import Any

from emulator.cloudwatch import metric_math, series, statistics, timescale
from emulator.cloudwatch.metric_math_parser import MetricMathError, functions, parse, references

ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]*$")  # MetricDataQuery Id: "must start with a lowercase letter"
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 20, 30)


class QueryError(ValueError):
    """A request CloudWatch refuses (ValidationError), with AWS's wording where known."""


def check_period(period: Any, where: str, namespace: str | None = None) -> int:
    """A period as CloudWatch accepts it (GetMetricData / GetMetricStatistics references, Period)."""
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise QueryError(f"The parameter {where} must be a positive integer.")
    standard = namespace is not None and namespace.startswith("AWS/")
    if period % 60 == 0:
        return period
    if not standard and period in HIGH_RESOLUTION_PERIODS:
        return period
    raise QueryError(
        f"The parameter {where} must be a multiple of 60"
        + ("" if standard else ", or 1, 5, 10, 20 or 30 for high-resolution metrics")
        + f"; got {period}."
    )


def validate(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """Check ids, kinds, periods, statistics and expressions; the parsed expressions by id."""
    if not queries:
        raise QueryError("The parameter MetricDataQueries is required.")
    seen: set[str] = set()
    parsed: dict[str, Any] = {}
    for index, query in enumerate(queries, start=1):
        query_id = query.get("Id")
        if not isinstance(query_id, str) or not ID_PATTERN.match(query_id):
            raise QueryError(
                f"The value {query_id} for parameter MetricDataQueries.member.{index}.Id is invalid: "
                "it must start with a lowercase letter and hold only letters, digits and underscores."
            )
        if query_id in seen:
            raise QueryError(f"The value {query_id} for parameter MetricDataQueries.member.{index}.Id is duplicated.")
        seen.add(query_id)
        has_stat = "MetricStat" in query and query["MetricStat"] is not None
        has_expression = "Expression" in query and query["Expression"] is not None
        if has_stat == has_expression:
            raise QueryError(
                f"Exactly one of MetricStat and Expression must be given in MetricDataQueries.member.{index}."
            )
        if has_stat:
            stat = query["MetricStat"]
            metric = stat.get("Metric") or {}
            if not metric.get("Namespace") or not metric.get("MetricName"):
                raise QueryError(f"MetricDataQueries.member.{index}.MetricStat.Metric needs a Namespace and a MetricName.")
            check_period(stat.get("Period"), f"MetricDataQueries.member.{index}.MetricStat.Period", metric["Namespace"])
            try:
                statistics.parse(str(stat.get("Stat")))
            except ValueError as err:
                raise QueryError(f"MetricDataQueries.member.{index}.MetricStat.Stat: {err}") from None
        else:
            if query.get("Period") is not None:
                check_period(query["Period"], f"MetricDataQueries.member.{index}.Period")
            try:
                parsed[query_id] = parse(str(query["Expression"]))
            except MetricMathError as err:
                raise QueryError(f"MetricDataQueries.member.{index}.Expression: {err}") from None
            unsupported = sorted(functions(parsed[query_id]) - set(metric_math.SUPPORTED_FUNCTIONS))
            if unsupported:
                raise QueryError(
                    f"MetricDataQueries.member.{index}.Expression: the function {', '.join(unsupported)} is not "
                    f"supported by this emulator's metric math (supported: {', '.join(metric_math.SUPPORTED_FUNCTIONS)})."
                )
    for query_id, node in parsed.items():
        unknown = references(node) - seen
        if unknown:
            raise QueryError(f"The expression of {query_id} names unknown ids: {', '.join(sorted(unknown))}.")
    return parsed


class Evaluation:
    """Lazy values of the queries of one request over [start, end) (epoch seconds)."""

    def __init__(self, backend: Any, queries: list[dict[str, Any]], start: float, end: float):
        self.backend = backend
        self.by_id = {q["Id"]: q for q in queries}
        self.parsed = validate(queries)
        self.start = start
        self.end = end
        self.values: dict[str, metric_math.Series] = {}
        self.active: set[str] = set()

    def nominal_period(self, query_id: str, trail: frozenset[str] = frozenset()) -> int:
        query = self.by_id[query_id]
        if query.get("MetricStat"):
            return int(query["MetricStat"]["Period"])
        if query.get("Period"):
            return int(query["Period"])
        refs = references(self.parsed[query_id])
        if functions(self.parsed[query_id]) & {"METRICS", "METRICS(...)"}:
            refs |= set(self.metric_ids())
        periods = [
            self.nominal_period(ref, trail | {query_id})
            for ref in refs
            if ref not in trail and ref != query_id
        ]
        return min(periods) if periods else 60

    def metric_ids(self) -> list[str]:
        return [query_id for query_id, query in self.by_id.items() if query.get("MetricStat")]

    def grid(self, query_id: str) -> list[float]:
        real = timescale.real_seconds(self.nominal_period(query_id))
        start = timescale.period_start(self.start, real)
        return series.period_starts(start, self.end, real)

    def series_of(self, query_id: str) -> metric_math.Series:
        if query_id in self.values:
            return self.values[query_id]
        if query_id in self.active:
            raise QueryError(f"The expression of {query_id} refers to itself.")
        self.active.add(query_id)
        try:
            query = self.by_id[query_id]
            if query.get("MetricStat"):
                value = self._metric_stat(query["MetricStat"])
            else:
                grid = self.grid(query_id)
                context = metric_math.Context(grid, self.series_of, self.metric_ids())
                try:
                    value = metric_math.as_series(metric_math.evaluate(self.parsed[query_id], context), grid)
                except MetricMathError as err:
                    raise QueryError(f"The expression of {query_id}: {err}") from None
        finally:
            self.active.discard(query_id)
        self.values[query_id] = value
        return value

    def _metric_stat(self, stat: dict[str, Any]) -> metric_math.Series:
        metric = stat["Metric"]
        key = series.metric_key(metric["Namespace"], metric["MetricName"], metric.get("Dimensions"))
        real = timescale.real_seconds(int(stat["Period"]))
        start = timescale.period_start(self.start, real)
        statistic = statistics.parse(str(stat["Stat"]))
        found = series.samples(self.backend, key, start, self.end, real, stat.get("Unit"))
        result: metric_math.Series = {}
        for bucket, sample in sorted(found.items()):
            value = statistics.compute(statistic, sample)
            if value is not None:
                result[bucket] = value
        return result
