"""Statistics and metric math as CloudWatch defines them (GetMetricStatistics, GetMetricData)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.tests.cloudwatch_support import cbor_client, utc_now

LB = "app/web/0123456789abcdef"
TG = "targetgroup/web/fedcba9876543210"


def _inject(emu, metric: str, values: list[float], when: datetime.datetime, unit: str = "Count",
            dimensions: dict[str, str] | None = None) -> None:
    emu.ok(
        "POST",
        "/_emulator/cloudwatch/metrics",
        {"namespace": "AWS/ApplicationELB", "metric_name": metric,
         "dimensions": dimensions if dimensions is not None else {"LoadBalancer": LB, "TargetGroup": TG},
         "values": values, "unit": unit, "timestamp": when.isoformat()},
    )


def _dims(dimensions: dict[str, str] | None = None) -> list[dict[str, str]]:
    pairs = dimensions if dimensions is not None else {"LoadBalancer": LB, "TargetGroup": TG}
    return [{"Name": k, "Value": v} for k, v in pairs.items()]


def _base() -> datetime.datetime:
    return utc_now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=10)


def _stats(cw, metric: str, start: datetime.datetime, minutes: int, **extra: Any) -> list[dict[str, Any]]:
    answer = cw.get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=extra.pop("Dimensions", _dims()),
        StartTime=start, EndTime=start + datetime.timedelta(minutes=minutes), Period=extra.pop("Period", 60), **extra,
    )
    return sorted(answer["Datapoints"], key=lambda p: p["Timestamp"])


def test_periods_are_aligned_on_the_clock_not_on_the_first_datapoint(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "RequestCount", [1, 1], base + datetime.timedelta(seconds=50))
    _inject(emu, "RequestCount", [1, 1, 1], base + datetime.timedelta(seconds=70))
    points = _stats(cw, "RequestCount", base, 3, Statistics=["Sum", "SampleCount"])
    assert [(p["Timestamp"], p["Sum"]) for p in points] == [
        (base, 2.0),
        (base + datetime.timedelta(minutes=1), 3.0),
    ]
    assert all(p["Unit"] == "Count" for p in points)


def test_basic_statistics(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "TargetResponseTime", [0.1, 0.2, 0.6], base, unit="Seconds")
    [point] = _stats(cw, "TargetResponseTime", base, 1,
                     Statistics=["Sum", "Average", "Minimum", "Maximum", "SampleCount"])
    assert point["SampleCount"] == 3.0
    assert point["Sum"] == pytest.approx(0.9)
    assert point["Average"] == pytest.approx(0.3)
    assert (point["Minimum"], point["Maximum"]) == (0.1, 0.6)


def test_percentiles_take_the_nearest_rank(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "TargetResponseTime", [float(v) for v in range(1, 101)], base, unit="Seconds")
    [point] = _stats(cw, "TargetResponseTime", base, 1, ExtendedStatistics=["p99", "p50", "p99.5", "p100", "p0.0"])
    assert point["ExtendedStatistics"] == {"p99": 99.0, "p50": 50.0, "p99.5": 100.0, "p100": 100.0, "p0.0": 1.0}


def test_statistics_and_extended_statistics_together_are_refused(emu):
    cw = cbor_client(emu.url)
    base = _base()
    with pytest.raises(ClientError) as err:
        _stats(cw, "RequestCount", base, 1, Statistics=["Sum"], ExtendedStatistics=["p99"])
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"


@pytest.mark.parametrize("name", ["p101", "pXX", "TM99", "Median"])
def test_bad_or_unsupported_extended_statistics_are_refused(emu, name):
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        _stats(cw, "TargetResponseTime", _base(), 1, ExtendedStatistics=[name])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_periods_follow_the_resolution_rules(emu):
    cw = cbor_client(emu.url)
    base = _base()
    for period in (45, 90, 30):  # AWS/ metrics are standard resolution: multiples of 60 only
        with pytest.raises(ClientError) as err:
            _stats(cw, "RequestCount", base, 5, Statistics=["Sum"], Period=period)
        assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    answer = cw.get_metric_statistics(
        Namespace="App", MetricName="Fast", StartTime=base, EndTime=base + datetime.timedelta(minutes=1),
        Period=10, Statistics=["Sum"],
    )
    assert answer["Datapoints"] == []


def test_more_than_1440_datapoints_are_refused(emu):
    cw = cbor_client(emu.url)
    base = _base()
    with pytest.raises(ClientError) as err:
        _stats(cw, "RequestCount", base - datetime.timedelta(days=2), 2 * 24 * 60, Statistics=["Sum"])
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"


def test_a_metric_is_its_exact_set_of_dimensions(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "RequestCount", [1, 1], base)
    _inject(emu, "RequestCount", [1], base, dimensions={"LoadBalancer": LB})
    per_lb = _stats(cw, "RequestCount", base, 1, Statistics=["Sum"], Dimensions=_dims({"LoadBalancer": LB}))
    assert [p["Sum"] for p in per_lb] == [1.0]
    assert _stats(cw, "RequestCount", base, 1, Statistics=["Sum"], Dimensions=_dims({"TargetGroup": TG})) == []


def test_put_metric_data_refuses_aws_namespaces(emu):
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        cw.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{"MetricName": "RequestCount", "Value": 1.0}])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"


def _query(query_id: str, metric: str, stat: str, dimensions: dict[str, str] | None = None,
           return_data: bool = False) -> dict[str, Any]:
    return {
        "Id": query_id,
        "ReturnData": return_data,
        "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric, "Dimensions": _dims(dimensions)},
            "Period": 60,
            "Stat": stat,
        },
    }


def _metric_data(cw, queries: list[dict[str, Any]], start: datetime.datetime, minutes: int, **extra: Any) -> dict[str, Any]:
    answer = cw.get_metric_data(
        MetricDataQueries=queries, StartTime=start, EndTime=start + datetime.timedelta(minutes=minutes), **extra
    )
    return {r["Id"]: r for r in answer["MetricDataResults"]}


def test_get_metric_data_stats_percentiles_and_scan_order(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "TargetResponseTime", [0.1] * 99 + [2.0], base, unit="Seconds")
    _inject(emu, "TargetResponseTime", [0.3], base + datetime.timedelta(minutes=1), unit="Seconds")
    queries = [_query("p99", "TargetResponseTime", "p99", return_data=True),
               _query("avg", "TargetResponseTime", "Average", return_data=True)]
    results = _metric_data(cw, queries, base, 2)
    assert results["p99"]["Values"] == [0.3, 0.1]  # TimestampDescending by default
    assert results["p99"]["Timestamps"] == [base + datetime.timedelta(minutes=1), base]
    ascending = _metric_data(cw, queries, base, 2, ScanBy="TimestampAscending")
    assert ascending["avg"]["Values"] == [pytest.approx(0.119), 0.3]


def test_gate_error_rate_expression(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "RequestCount", [1] * 40, base)
    _inject(emu, "HTTPCode_Target_5XX_Count", [1] * 6, base)
    _inject(emu, "HTTPCode_ELB_5XX_Count", [1] * 2, base, dimensions={"LoadBalancer": LB})
    _inject(emu, "RequestCount", [1] * 10, base + datetime.timedelta(minutes=1))  # too few: no verdict
    queries = [
        _query("req_0", "RequestCount", "Sum"),
        _query("tgt5xx_0", "HTTPCode_Target_5XX_Count", "Sum"),
        _query("elb5xx_0", "HTTPCode_ELB_5XX_Count", "Sum", {"LoadBalancer": LB}),
        {"Id": "error_rate", "ReturnData": True, "Label": "5xx answers per request",
         "Expression": "IF(FILL(req_0, 0) >= 20, (FILL(tgt5xx_0, 0) + FILL(elb5xx_0, 0)) / FILL(req_0, 0))"},
    ]
    results = _metric_data(cw, queries, base, 3)
    assert set(results) == {"error_rate"}
    assert results["error_rate"]["Values"] == [pytest.approx(0.2)]
    assert results["error_rate"]["Timestamps"] == [base]
    assert results["error_rate"]["Label"] == "5xx answers per request"


def test_gate_latency_expression_takes_the_worst_target_group(emu):
    cw = cbor_client(emu.url)
    base = _base()
    other = "targetgroup/other/0011223344556677"
    _inject(emu, "RequestCount", [1] * 30, base)
    _inject(emu, "TargetResponseTime", [0.1] * 30, base, unit="Seconds")
    _inject(emu, "TargetResponseTime", [0.5], base, unit="Seconds", dimensions={"LoadBalancer": LB, "TargetGroup": other})
    queries = [
        _query("req_0", "RequestCount", "Sum"),
        _query("req_1", "RequestCount", "Sum", {"LoadBalancer": LB, "TargetGroup": other}),
        _query("p99_0", "TargetResponseTime", "p99"),
        _query("p99_1", "TargetResponseTime", "p99", {"LoadBalancer": LB, "TargetGroup": other}),
        {"Id": "latency_p99", "ReturnData": True,
         "Expression": "IF((FILL(req_0, 0) + FILL(req_1, 0)) >= 20, MAX([p99_0, p99_1]))"},
    ]
    assert _metric_data(cw, queries, base, 1)["latency_p99"]["Values"] == [0.5]


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("m * 2 + 1", [7.0, 21.0]),
        ("IF(m > 5, m, 0)", [0.0, 10.0]),
        ("IF(m > 5, m)", [10.0]),
        ("m / (m - 3)", [10.0 / 7.0]),  # 3 / 0: no datapoint
        ("FILL(m, 7) - m", [0.0, 0.0]),
        ("SUM(m) + MIN(m) * 0", [13.0, 13.0, 13.0]),
        ("AVG([m, m * 3])", [6.0, 20.0]),
        ("m >= 10 AND NOT (m == 3)", [0.0, 1.0]),
        ("SUM(METRICS())", [3.0, 10.0]),
    ],
)
def test_metric_math_functions(emu, expression, expected):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "RequestCount", [3], base)
    _inject(emu, "RequestCount", [10], base + datetime.timedelta(minutes=1))
    queries = [_query("m", "RequestCount", "Sum"), {"Id": "e", "Expression": expression}]
    values = _metric_data(cw, queries, base, 3, ScanBy="TimestampAscending")["e"]["Values"]
    assert values == [pytest.approx(v) for v in expected]


@pytest.mark.parametrize(
    "expression",
    ["ANOMALY_DETECTION_BAND(m)", "SEARCH('x', 'Sum', 60)", "m +", "q * 2", "RATE(m)", "METRICS(m)",
     "SELECT AVG(RequestCount) FROM \"AWS/ApplicationELB\"", "m > 1 > 0"],
)
def test_unsupported_or_invalid_expressions_are_validation_errors(emu, expression):
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        _metric_data(cw, [_query("m", "RequestCount", "Sum"), {"Id": "e", "Expression": expression}], _base(), 1)
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_periods_shrink_with_the_time_scale(emu):
    emu.ok("POST", "/_emulator/timing", {"metric_time_scale": 0.1})  # a 60 s period lasts 6 s
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "RequestCount", [1], base)
    _inject(emu, "RequestCount", [1, 1], base + datetime.timedelta(seconds=6))
    _inject(emu, "RequestCount", [1, 1, 1], base + datetime.timedelta(seconds=13))
    points = _stats(cw, "RequestCount", base, 1, Statistics=["Sum"])
    assert [(p["Timestamp"], p["Sum"]) for p in points] == [
        (base, 1.0),
        (base + datetime.timedelta(seconds=6), 2.0),
        (base + datetime.timedelta(seconds=12), 3.0),
    ]


def test_list_metrics_lists_each_metric_once_with_filters_and_pages(emu):
    cw = cbor_client(emu.url)
    base = _base()
    _inject(emu, "RequestCount", [1, 1, 1], base)
    _inject(emu, "RequestCount", [1], base + datetime.timedelta(minutes=1))
    _inject(emu, "RequestCount", [1], base, dimensions={"LoadBalancer": LB})
    listed = cw.list_metrics(Namespace="AWS/ApplicationELB", MetricName="RequestCount")["Metrics"]
    assert len(listed) == 2
    by_tg = cw.list_metrics(Namespace="AWS/ApplicationELB", Dimensions=[{"Name": "TargetGroup"}])["Metrics"]
    assert [{d["Name"] for d in m["Dimensions"]} for m in by_tg] == [{"LoadBalancer", "TargetGroup"}]
    assert cw.list_metrics(Dimensions=[{"Name": "LoadBalancer", "Value": "app/other/1"}])["Metrics"] == []
    for n in range(501):
        emu.ok("POST", "/_emulator/cloudwatch/metrics", {"namespace": "Many", "metric_name": f"m{n:03d}",
                                                         "values": [1], "unit": "Count"})
    first = cw.list_metrics(Namespace="Many")
    assert len(first["Metrics"]) == 500
    second = cw.list_metrics(Namespace="Many", NextToken=first["NextToken"])
    assert [m["MetricName"] for m in second["Metrics"]] == ["m500"] and "NextToken" not in second
