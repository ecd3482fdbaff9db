"""GetMetricStatistics, GetMetricData and PutMetricData as the CloudWatch API reference defines them.

moto 5.2.1 grouped GetMetricStatistics datapoints from the first datapoint's time
instead of period boundaries, matched dimensions as a subset, had no percentiles
(ExtendedStatistics) and evaluated few metric-math expressions. These handlers
replace moto's; the datapoints stay in moto's backend.

GetMetricStatistics (API reference): Statistics or ExtendedStatistics, not both, at
least one (InvalidParameterCombination); at most 1,440 datapoints per call
(InvalidParameterCombination); Period 1, 5, 10, 20, 30 or a multiple of 60 (only
multiples of 60 for the standard-resolution `AWS/` metrics); StartTime before EndTime.
GetMetricData (API reference): at most 500 queries, ids starting with a lowercase
letter, exactly one of MetricStat / Expression per query, ScanBy
TimestampDescending (default) or TimestampAscending. PutMetricData refuses namespaces
starting with `AWS/` (reserved for AWS services; the API reference's Namespace).
ListMetrics lists each metric once (moto listed one per datapoint). DeleteAlarms
deletes nothing when a name does not exist (ResourceNotFound; moto ignored it).

Periods last `period x metric_time_scale` real seconds (timescale.py).
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.exceptions import (
    InvalidParameterCombination,
    InvalidParameterValue,
    ResourceNotFound,
    ValidationError,
)
from moto.cloudwatch.models import cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from emulator.cloudwatch import query_engine, series, statistics, timescale

MAX_STATISTICS_DATAPOINTS = 1440
MAX_QUERIES = 500

_installed = False


def _backend(response: CloudWatchResponse) -> Any:
    return cloudwatch_backends[response.current_account][response.region]


def _statistic_list(names: list[str], extended: bool) -> list[statistics.Statistic]:
    parsed: list[statistics.Statistic] = []
    for name in names:
        try:
            statistic = statistics.parse(name)
        except ValueError as err:
            raise InvalidParameterValue(str(err)) from None
        if extended != (statistic.percentile is not None):
            where = "ExtendedStatistics" if extended else "Statistics"
            raise InvalidParameterValue(f"The value {name} for parameter {where} is not supported.")
        parsed.append(statistic)
    return parsed


def get_metric_statistics(self: CloudWatchResponse) -> ActionResult:
    params = self._get_params()
    namespace = params.get("Namespace")
    metric_name = params.get("MetricName")
    basic = params.get("Statistics") or []
    extended = params.get("ExtendedStatistics") or []
    if basic and extended:
        raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics, but not both.")
    if not basic and not extended:
        raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
    wanted = _statistic_list(basic, False) + _statistic_list(extended, True)
    try:
        period = query_engine.check_period(params.get("Period"), "Period", namespace)
    except query_engine.QueryError as err:
        raise InvalidParameterValue(str(err)) from None
    start, end = params["StartTime"], params["EndTime"]
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    real = timescale.real_seconds(period)
    first, last = series.aligned_range(start, end, real)
    requested = len(series.period_starts(first, last, real))
    if requested > MAX_STATISTICS_DATAPOINTS:
        raise InvalidParameterCombination(
            f"You have requested up to {requested} datapoints, which exceeds the limit of "
            f"{MAX_STATISTICS_DATAPOINTS}. You may reduce the datapoints requested by increasing "
            "Period, or decreasing the time range."
        )
    unit = params.get("Unit")
    backend = _backend(self)
    key = series.metric_key(namespace, metric_name, params.get("Dimensions"))
    found = series.samples(backend, key, first, last, real, unit)
    data_unit = unit or next(iter(sorted(series.units(backend, key, first, last))), "None")
    datapoints = []
    for bucket, sample in sorted(found.items()):
        fields = statistics.datapoint_fields(wanted, sample)
        if not fields:
            continue
        datapoints.append({"Timestamp": timescale.from_epoch(bucket), "Unit": data_unit, **fields})
    return ActionResult({"Label": metric_name, "Datapoints": datapoints})


def get_metric_data(self: CloudWatchResponse) -> ActionResult:
    params = self._get_params()
    queries = params.get("MetricDataQueries") or []
    if len(queries) > MAX_QUERIES:
        raise ValidationError(f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")
    start, end = params["StartTime"], params["EndTime"]
    if start >= end:
        raise ValidationError("The parameter StartTime must be less than the parameter EndTime.")
    scan_by = params.get("ScanBy") or "TimestampDescending"
    if scan_by not in ("TimestampDescending", "TimestampAscending"):
        raise ValidationError(f"The value {scan_by} for parameter ScanBy is invalid.")
    try:
        evaluation = query_engine.Evaluation(
            _backend(self), queries, timescale.epoch(start), timescale.epoch(end)
        )
        results = []
        for query in queries:
            if query.get("ReturnData", True) is False:
                continue
            values = evaluation.series_of(query["Id"])
            stamps = sorted(values, reverse=scan_by == "TimestampDescending")
            label = query.get("Label") or (
                query["MetricStat"]["Metric"]["MetricName"] if query.get("MetricStat") else query["Id"]
            )
            results.append(
                {
                    "Id": query["Id"],
                    "Label": label,
                    "Timestamps": [timescale.from_epoch(ts) for ts in stamps],
                    "Values": [values[ts] for ts in stamps],
                    "StatusCode": "Complete",
                    "Messages": [],
                }
            )
    except query_engine.QueryError as err:
        raise ValidationError(str(err)) from None
    return ActionResult({"MetricDataResults": results, "Messages": []})


LIST_PAGE = 500


def list_metrics(self: CloudWatchResponse) -> ActionResult:
    """ListMetrics: each metric once (moto listed one per datapoint), 500 a page.

    Dimensions filters keep the metrics that have each named dimension, with that
    value when one is given (ListMetrics reference, DimensionFilter).
    """
    params = self._get_params()
    namespace = params.get("Namespace")
    metric_name = params.get("MetricName")
    filters = params.get("Dimensions") or []
    token = params.get("NextToken")
    found = []
    for key in series.metric_keys(_backend(self)):
        ns, name, dimensions = key
        if namespace and ns != namespace or metric_name and name != metric_name:
            continue
        names = dict(dimensions)
        if any(f["Name"] not in names or (f.get("Value") is not None and names[f["Name"]] != f["Value"]) for f in filters):
            continue
        found.append((ns, name, tuple(sorted(dimensions))))
    found.sort()
    start = 0
    if token:
        if not token.isdigit() or int(token) > len(found):
            raise InvalidParameterValue("Request parameter NextToken is invalid")
        start = int(token)
    page = found[start:start + LIST_PAGE]
    metrics = [
        {"Namespace": ns, "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}
        for ns, name, dims in page
    ]
    result: dict[str, Any] = {"Metrics": metrics}
    if start + LIST_PAGE < len(found):
        result["NextToken"] = str(start + LIST_PAGE)
    return ActionResult(result)


def _delete_alarms_all_or_none(original: Any) -> Any:
    """DeleteAlarms names only alarms that exist, else nothing is deleted and the answer is
    ResourceNotFound (DeleteAlarms reference: "If you specify an incorrect alarm name or make
    any other error in the operation, no alarms are deleted"; error ResourceNotFound)."""

    def delete_alarms(self: CloudWatchResponse) -> Any:
        names = self._get_param("AlarmNames") or []
        alarms = _backend(self).alarms
        missing = [name for name in names if name not in alarms]
        if missing:
            raise ResourceNotFound(f"{', '.join(missing)} not found")
        return original(self)

    return delete_alarms


def _guard_put_metric_data(original: Any) -> Any:
    def put_metric_data(self: CloudWatchResponse) -> Any:
        namespace = self._get_param("Namespace") or ""
        if namespace.startswith("AWS/"):
            raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
        return original(self)

    return put_metric_data


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    CloudWatchResponse.get_metric_statistics = get_metric_statistics  # type: ignore[method-assign]
    CloudWatchResponse.get_metric_data = get_metric_data  # type: ignore[method-assign]
    CloudWatchResponse.put_metric_data = _guard_put_metric_data(CloudWatchResponse.put_metric_data)  # type: ignore[method-assign]
    CloudWatchResponse.list_metrics = list_metrics  # type: ignore[method-assign]
    CloudWatchResponse.delete_alarms = _delete_alarms_all_or_none(CloudWatchResponse.delete_alarms)  # type: ignore[method-assign]
