"""CloudWatch alarms that evaluate ("Using Amazon CloudWatch alarms"; PutMetricAlarm reference)."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.tests.cloudwatch_support import cbor_client, utc_now
from emulator.tests.conftest import wait_for

LB = "app/web/0123456789abcdef"
TG = "targetgroup/web/fedcba9876543210"
DIMS = {"LoadBalancer": LB, "TargetGroup": TG}


def _minute(offset: int) -> datetime.datetime:
    """Half a minute into the complete minute `offset` minutes before the current one."""
    return utc_now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=offset) + datetime.timedelta(seconds=30)


def _inject(emu, metric: str, values: list[float], when: datetime.datetime, unit: str = "Count",
            dimensions: dict[str, str] | None = None) -> None:
    emu.ok("POST", "/_emulator/cloudwatch/metrics", {
        "namespace": "AWS/ApplicationELB", "metric_name": metric, "unit": unit, "values": values,
        "dimensions": DIMS if dimensions is None else dimensions, "timestamp": when.isoformat(),
    })


def _settle_in_this_minute() -> None:
    """Keep what follows inside one minute, so the ticker has no new period to evaluate meanwhile."""
    if utc_now().second >= 54:
        time.sleep(60.5 - utc_now().second - utc_now().microsecond / 1e6)


def _evaluate(emu, *names: str) -> dict[str, str]:
    body = {"alarm_names": list(names)} if names else {}
    return emu.ok("POST", "/_emulator/cloudwatch/evaluate", body)["states"]


def _alarm(cw, name: str, **settings: Any) -> None:
    params: dict[str, Any] = {
        "AlarmName": name,
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "HTTPCode_Target_5XX_Count",
        "Dimensions": [{"Name": k, "Value": v} for k, v in DIMS.items()],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    params.update(settings)
    params = {k: v for k, v in params.items() if v is not None}
    cw.put_metric_alarm(**params)


def _describe(cw, name: str) -> dict[str, Any]:
    return cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def test_a_new_alarm_is_insufficient_data_and_an_update_keeps_the_state(emu):
    cw = cbor_client(emu.url)
    _settle_in_this_minute()
    _alarm(cw, "fresh", TreatMissingData="ignore")
    alarm = _describe(cw, "fresh")
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    _evaluate(emu, "fresh")  # this minute's evaluation is done: the ticker leaves it alone
    cw.set_alarm_state(AlarmName="fresh", StateValue="ALARM", StateReason="by hand")
    _alarm(cw, "fresh", Threshold=9.0, TreatMissingData="ignore")
    alarm = _describe(cw, "fresh")
    assert (alarm["StateValue"], alarm["StateReason"], alarm["Threshold"]) == ("ALARM", "by hand", 9.0)


@pytest.mark.parametrize(
    "settings, code",
    [
        ({"Period": 45}, "ValidationError"),
        ({"Period": 600, "EvaluationPeriods": 150}, "ValidationError"),  # more than a day
        ({"ExtendedStatistic": "p99"}, "InvalidParameterCombination"),  # with Statistic
        ({"Statistic": None, "ExtendedStatistic": "p100.5"}, "ValidationError"),
        ({"Statistic": None, "ExtendedStatistic": "TM99"}, "ValidationError"),
        ({"EvaluationPeriods": 2, "DatapointsToAlarm": 3}, "ValidationError"),
        ({"TreatMissingData": "sometimes"}, "ValidationError"),
        ({"ComparisonOperator": "GreaterThanUpperThreshold"}, "ValidationError"),
        ({"ThresholdMetricId": "band"}, "ValidationError"),
    ],
)
def test_put_metric_alarm_validation(emu, settings, code):
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        _alarm(cw, "invalid", **settings)
    assert err.value.response["Error"]["Code"] == code
    assert cw.describe_alarms(AlarmNames=["invalid"])["MetricAlarms"] == []


def _stat(query_id: str, metric: str, stat: str = "Sum", period: int = 60, dimensions: dict[str, str] | None = None,
          return_data: bool | None = False) -> dict[str, Any]:
    query: dict[str, Any] = {
        "Id": query_id,
        "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": metric,
                       "Dimensions": [{"Name": k, "Value": v} for k, v in (dimensions or DIMS).items()]},
            "Period": period,
            "Stat": stat,
        },
    }
    if return_data is not None:
        query["ReturnData"] = return_data
    return query


ERROR_RATE = "IF(FILL(req_0, 0) >= 20, (FILL(tgt5xx_0, 0) + FILL(elb5xx_0, 0)) / FILL(req_0, 0))"


def _gate_metrics(return_data_default: bool = False) -> list[dict[str, Any]]:
    return [
        _stat("req_0", "RequestCount"),
        _stat("tgt5xx_0", "HTTPCode_Target_5XX_Count"),
        _stat("elb5xx_0", "HTTPCode_ELB_5XX_Count", dimensions={"LoadBalancer": LB},
              return_data=None if return_data_default else False),
        {"Id": "error_rate", "Expression": ERROR_RATE, "Label": "5xx answers per request", "ReturnData": True},
    ]


def _gate_alarm(cw, name: str, metrics: list[dict[str, Any]], **settings: Any) -> None:
    params: dict[str, Any] = {
        "AlarmName": name, "Metrics": metrics, "EvaluationPeriods": 1, "DatapointsToAlarm": 1,
        "Threshold": 0.01, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
        "ActionsEnabled": False,
    }
    params.update(settings)
    cw.put_metric_alarm(**params)


@pytest.mark.parametrize(
    "metrics, settings, code",
    [
        (_gate_metrics(return_data_default=True), {}, "ValidationError"),  # ReturnData defaults to true: two
        (_gate_metrics()[:3] + [{"Id": "e", "Expression": "req_0", "ReturnData": False}], {}, "ValidationError"),
        (_gate_metrics(), {"MetricName": "RequestCount", "Namespace": "AWS/ApplicationELB"}, "InvalidParameterCombination"),
        ([_stat("req_0", "RequestCount"), _stat("b", "RequestCount", period=120),
          {"Id": "e", "Expression": "req_0 + b", "ReturnData": True}], {}, "ValidationError"),
        ([_stat("req_0", "RequestCount", period=90), {"Id": "e", "Expression": "req_0", "ReturnData": True}], {}, "ValidationError"),
        ([_stat("req_0", "RequestCount"), {"Id": "e", "Expression": "RATE(req_0)", "ReturnData": True}], {}, "ValidationError"),
        ([_stat("req_0", "RequestCount"), {"Id": "E", "Expression": "req_0", "ReturnData": True}], {}, "ValidationError"),
        ([_stat(f"m{i}", "RequestCount") for i in range(11)] + [{"Id": "e", "Expression": "m0", "ReturnData": True}], {}, "ValidationError"),
    ],
)
def test_metric_math_alarm_validation(emu, metrics, settings, code):
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        _gate_alarm(cw, "bad-gate", metrics, **settings)
    assert err.value.response["Error"]["Code"] == code


def test_threshold_crossed_goes_to_alarm_with_reason_and_timestamp(emu):
    cw = cbor_client(emu.url)
    _alarm(cw, "errors")
    before = _describe(cw, "errors")["StateUpdatedTimestamp"]
    _inject(emu, "HTTPCode_Target_5XX_Count", [1] * 7, _minute(1))
    assert _evaluate(emu, "errors") == {"errors": "ALARM"}
    alarm = _describe(cw, "errors")
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [7 (")
    assert "greater than the threshold (5)" in alarm["StateReason"]
    assert alarm["StateUpdatedTimestamp"] >= before
    assert alarm["StateUpdatedTimestamp"] >= alarm["AlarmConfigurationUpdatedTimestamp"]
    data = json.loads(alarm["StateReasonData"])
    assert data["recentDatapoints"] == [7.0] and data["threshold"] == 5.0 and data["statistic"] == "Sum"


def test_the_running_period_is_not_evaluated(emu):
    cw = cbor_client(emu.url)
    _alarm(cw, "not-yet")
    _settle_in_this_minute()  # keep the injection and the evaluation in the same minute
    _inject(emu, "HTTPCode_Target_5XX_Count", [1] * 7, utc_now())
    assert _evaluate(emu, "not-yet") == {"not-yet": "INSUFFICIENT_DATA"}


def test_m_out_of_n(emu):
    cw = cbor_client(emu.url)
    _alarm(cw, "two-of-three", EvaluationPeriods=3, DatapointsToAlarm=2)
    _inject(emu, "HTTPCode_Target_5XX_Count", [9], _minute(3))
    _inject(emu, "HTTPCode_Target_5XX_Count", [1], _minute(2))
    _inject(emu, "HTTPCode_Target_5XX_Count", [1], _minute(1))
    assert _evaluate(emu, "two-of-three") == {"two-of-three": "OK"}
    _inject(emu, "HTTPCode_Target_5XX_Count", [9], _minute(1))  # minute 1 now sums to 10
    assert _evaluate(emu, "two-of-three") == {"two-of-three": "ALARM"}


@pytest.mark.parametrize(
    "treat, expected",
    [(None, "INSUFFICIENT_DATA"), ("missing", "INSUFFICIENT_DATA"), ("notBreaching", "OK"),
     ("breaching", "ALARM"), ("ignore", "ALARM")],
)
def test_treat_missing_data_without_any_datapoint(emu, treat, expected):
    cw = cbor_client(emu.url)
    _alarm(cw, "quiet", TreatMissingData=treat)
    cw.set_alarm_state(AlarmName="quiet", StateValue="ALARM", StateReason="by hand")
    assert _evaluate(emu, "quiet") == {"quiet": expected}


@pytest.mark.parametrize(
    "treat, breaching_value, expected",
    [
        ("missing", 9.0, "ALARM"),  # judged on the one real datapoint
        ("missing", 1.0, "OK"),
        ("notBreaching", 9.0, "OK"),  # 1 breaching + 2 good < 3
        ("breaching", 1.0, "ALARM"),  # 0 breaching + 2 missing treated as breaching >= 2
        ("ignore", 9.0, "INSUFFICIENT_DATA"),  # never into ALARM on partial data: the state stays
        ("ignore", 1.0, "OK"),
    ],
)
def test_treat_missing_data_with_some_datapoints(emu, treat, breaching_value, expected):
    cw = cbor_client(emu.url)
    _alarm(cw, "sparse", EvaluationPeriods=3, DatapointsToAlarm=2 if treat == "breaching" else 3, TreatMissingData=treat)
    _inject(emu, "HTTPCode_Target_5XX_Count", [breaching_value], _minute(1))
    assert _evaluate(emu, "sparse") == {"sparse": expected}


def test_percentile_alarm(emu):
    cw = cbor_client(emu.url)
    _alarm(cw, "slow", MetricName="TargetResponseTime", Statistic=None, ExtendedStatistic="p99", Threshold=0.25)
    _inject(emu, "TargetResponseTime", [0.01] * 98 + [0.4, 0.4], _minute(1), unit="Seconds")
    assert _evaluate(emu, "slow") == {"slow": "ALARM"}
    assert json.loads(_describe(cw, "slow")["StateReasonData"])["extendedStatistic"] == "p99"


def test_gate_alarm_on_error_rate(emu):
    cw = cbor_client(emu.url)
    _gate_alarm(cw, "gate", _gate_metrics())
    assert _evaluate(emu, "gate") == {"gate": "OK"}  # no data, notBreaching
    _inject(emu, "RequestCount", [1] * 40, _minute(1))
    _inject(emu, "HTTPCode_Target_5XX_Count", [1] * 6, _minute(1))
    _inject(emu, "HTTPCode_ELB_5XX_Count", [1] * 2, _minute(1), dimensions={"LoadBalancer": LB})
    assert _evaluate(emu, "gate") == {"gate": "ALARM"}
    assert "[0.2 (" in _describe(cw, "gate")["StateReason"]


def test_gate_alarm_gives_no_verdict_below_min_requests(emu):
    cw = cbor_client(emu.url)
    _gate_alarm(cw, "gate-quiet", _gate_metrics())
    _inject(emu, "RequestCount", [1] * 10, _minute(1))
    _inject(emu, "HTTPCode_Target_5XX_Count", [1] * 5, _minute(1))
    assert _evaluate(emu, "gate-quiet") == {"gate-quiet": "OK"}


def test_set_alarm_state_lasts_until_the_next_evaluation(emu):
    cw = cbor_client(emu.url)
    _settle_in_this_minute()
    _alarm(cw, "manual", TreatMissingData="notBreaching")
    assert _evaluate(emu, "manual") == {"manual": "OK"}  # this minute's evaluation is done
    cw.set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="testing the pager")
    assert _describe(cw, "manual")["StateValue"] == "ALARM"
    assert _evaluate(emu, "manual") == {"manual": "OK"}


def test_the_ticker_evaluates_on_its_own(emu):
    emu.ok("POST", "/_emulator/timing", {"metric_time_scale": 0.05})  # a 60 s period lasts 3 s
    cw = cbor_client(emu.url)
    _alarm(cw, "by-itself", TreatMissingData="breaching")
    wait_for(lambda: _describe(cw, "by-itself")["StateValue"] == "ALARM", timeout=20)


def test_delete_alarms_with_an_unknown_name_deletes_nothing(emu):
    cw = cbor_client(emu.url)
    _alarm(cw, "kept")
    with pytest.raises(ClientError) as err:
        cw.delete_alarms(AlarmNames=["kept", "never-made"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["kept"]
    cw.delete_alarms(AlarmNames=["kept"])
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_describe_alarms_applies_its_filters_together(emu):
    cw = cbor_client(emu.url)
    for name in ("web-errors", "web-latency", "db-errors"):
        _alarm(cw, name, TreatMissingData="ignore")
    _evaluate(emu)
    cw.set_alarm_state(AlarmName="web-latency", StateValue="ALARM", StateReason="by hand")
    names = lambda answer: [a["AlarmName"] for a in answer["MetricAlarms"]]  # noqa: E731
    assert names(cw.describe_alarms()) == ["db-errors", "web-errors", "web-latency"]
    assert names(cw.describe_alarms(AlarmNamePrefix="web-", StateValue="ALARM")) == ["web-latency"]
    assert names(cw.describe_alarms(AlarmNames=["db-errors", "web-latency"], StateValue="INSUFFICIENT_DATA")) == ["db-errors"]
    assert cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    with pytest.raises(ClientError) as err:
        cw.describe_alarms(AlarmNames=["db-errors"], AlarmNamePrefix="web-")
    assert err.value.response["Error"]["Code"] == "InvalidParameterCombination"
