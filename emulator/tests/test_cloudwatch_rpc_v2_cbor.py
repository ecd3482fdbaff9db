"""CloudWatch over Smithy RPC v2 CBOR (smithy.io, "RPC v2 CBOR protocol"), with a real CBOR client."""

from __future__ import annotations

import datetime
import gzip
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.tests.cloudwatch_support import cbor_client, decode_cbor, utc_now

PATH = "/service/GraniteServiceVersion20100801/operation/"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/monitoring/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def _raw(emu, operation: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    all_headers = {"Authorization": AUTH, "smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}
    all_headers.update(headers or {})
    request = urllib.request.Request(emu.url + PATH + operation, data=body, method="POST", headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def _alarm(cw, name: str = "cpu-high", **extra: Any) -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace="App",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=5.0,
        ComparisonOperator="GreaterThanThreshold",
        **extra,
    )


def test_requests_are_cbor_on_the_rpc_v2_path_and_answers_are_cbor(emu):
    cw = cbor_client(emu.url)
    sent: list[Any] = []
    cw.meta.events.register("before-send", lambda request, **_: sent.append(request))
    received: list[dict[str, Any]] = []
    cw.meta.events.register("after-call", lambda http_response, **_: received.append({k.lower(): v for k, v in http_response.headers.items()}))

    _alarm(cw)
    answer = cw.describe_alarms(AlarmNames=["cpu-high"])

    assert sent[-1].url.endswith(PATH + "DescribeAlarms")
    assert sent[-1].headers["smithy-protocol"] == b"rpc-v2-cbor"
    assert sent[-1].headers["Content-Type"] == b"application/cbor"
    assert received[-1]["smithy-protocol"] == "rpc-v2-cbor"
    assert received[-1]["content-type"] == "application/cbor"
    [alarm] = answer["MetricAlarms"]
    assert alarm["AlarmName"] == "cpu-high"
    assert alarm["Threshold"] == 5.0
    assert alarm["EvaluationPeriods"] == 1
    assert isinstance(alarm["StateUpdatedTimestamp"], datetime.datetime)


def test_put_describe_set_state_and_delete_alarms(emu):
    cw = cbor_client(emu.url)
    _alarm(cw, "one")
    _alarm(cw, "two", TreatMissingData="notBreaching", DatapointsToAlarm=1)

    names = {a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]}
    assert names == {"one", "two"}
    assert cw.describe_alarms(AlarmNames=["two"])["MetricAlarms"][0]["TreatMissingData"] == "notBreaching"

    cw.set_alarm_state(AlarmName="one", StateValue="ALARM", StateReason="by hand")
    [one] = cw.describe_alarms(AlarmNames=["one"])["MetricAlarms"]
    assert one["StateValue"] == "ALARM"
    assert one["StateReason"] == "by hand"

    cw.delete_alarms(AlarmNames=["one", "two"])
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_put_metric_data_then_statistics_and_metric_data(emu):
    cw = cbor_client(emu.url)
    when = utc_now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=2)
    cw.put_metric_data(
        Namespace="App",
        MetricData=[
            {"MetricName": "Latency", "Value": value, "Unit": "Seconds", "Timestamp": when}
            for value in (1.0, 2.0, 3.0)
        ],
    )

    stats = cw.get_metric_statistics(
        Namespace="App",
        MetricName="Latency",
        StartTime=when - datetime.timedelta(minutes=1),
        EndTime=when + datetime.timedelta(minutes=1),
        Period=60,
        Statistics=["Sum", "Maximum", "SampleCount"],
    )
    [point] = stats["Datapoints"]
    assert (point["Sum"], point["Maximum"], point["SampleCount"]) == (6.0, 3.0, 3.0)
    assert point["Timestamp"] == when

    data = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "latency",
                "MetricStat": {"Metric": {"Namespace": "App", "MetricName": "Latency"}, "Period": 60, "Stat": "Average"},
            }
        ],
        StartTime=when - datetime.timedelta(minutes=1),
        EndTime=when + datetime.timedelta(minutes=1),
    )
    [result] = data["MetricDataResults"]
    assert result["Id"] == "latency"
    assert result["Values"] == [2.0]
    assert result["Timestamps"] == [when]


def test_large_put_metric_data_may_arrive_gzipped(emu):
    cw = cbor_client(emu.url)
    # The model's requestCompression on PutMetricData: clients gzip bodies of 10 KiB or more.
    when = utc_now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=2)
    data = [{"MetricName": "Bulk", "Value": 1.0, "Unit": "Count", "Timestamp": when} for _ in range(500)]
    sent: list[Any] = []
    cw.meta.events.register("before-send", lambda request, **_: sent.append(request))
    cw.put_metric_data(Namespace="Bulk", MetricData=data)
    assert sent[-1].headers.get("Content-Encoding") == b"gzip"
    stats = cw.get_metric_statistics(
        Namespace="Bulk", MetricName="Bulk", StartTime=when, EndTime=when + datetime.timedelta(minutes=1),
        Period=60, Statistics=["SampleCount"],
    )
    assert [p["SampleCount"] for p in stats["Datapoints"]] == [500.0]


def test_modeled_error_has_type_status_and_query_code(emu):
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        cw.set_alarm_state(AlarmName="absent", StateValue="ALARM", StateReason="x")
    assert err.value.response["Error"]["Code"] == "ResourceNotFound"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    status, headers, body = _raw(emu, "SetAlarmState", _cbor_set_alarm_state("absent"))
    assert status == 404
    assert headers["smithy-protocol"] == "rpc-v2-cbor"
    assert headers["x-amzn-query-error"] == "ResourceNotFound;Sender"
    document = decode_cbor(body)
    assert document["__type"] == "com.amazonaws.cloudwatch#ResourceNotFound"
    assert "message" in document


def test_missing_required_member_is_missing_parameter(emu):
    # An empty map: PutMetricAlarm's AlarmName, EvaluationPeriods and ComparisonOperator are required.
    status, headers, body = _raw(emu, "PutMetricAlarm", b"\xa0")
    assert status == 400
    assert headers["x-amzn-query-error"] == "MissingParameter;Sender"
    document = decode_cbor(body)
    assert document["__type"] == "com.amazonaws.cloudwatch#MissingRequiredParameterException"
    assert "AlarmName" in document["message"]


def test_constraint_violation_is_validation_error(emu):
    # AlarmName has a minimum length of 1 (the model's constraint).
    status, headers, _ = _raw(emu, "DeleteAlarms", _cbor_delete_alarms([""]))
    assert status == 400
    assert headers["x-amzn-query-error"] == "ValidationError;Sender"


def test_malformed_body_and_missing_protocol_header_are_refused(emu):
    status, headers, body = _raw(emu, "DescribeAlarms", b"\xff\x00garbage")
    assert status == 400
    assert decode_cbor(body)["__type"].endswith("#SerializationException")

    status, _, _ = _raw(emu, "DescribeAlarms", b"\xa0", headers={"smithy-protocol": ""})
    assert status == 400

    status, _, _ = _raw(emu, "DescribeAlarms", b"\xa0", headers={"Content-Type": "application/json"})
    assert status == 400


def test_unknown_operation_is_404(emu):
    status, _, body = _raw(emu, "NoSuchOperation", b"\xa0")
    assert status == 404
    assert decode_cbor(body)["__type"].endswith("#UnknownOperationException")


def test_injected_fault_reaches_a_cbor_client_in_cbor(emu):
    emu.ok(
        "POST",
        "/_emulator/faults",
        {"service": "monitoring", "action": "DescribeAlarms", "error_code": "Throttling",
         "message": "Rate exceeded", "http_status": 400, "times": 1},
    )
    cw = cbor_client(emu.url)
    with pytest.raises(ClientError) as err:
        cw.describe_alarms()
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert err.value.response["Error"]["Message"] == "Rate exceeded"
    assert cw.describe_alarms()["MetricAlarms"] == []


def test_gzip_body_is_read(emu):
    _alarm(cbor_client(emu.url), "zipped")
    body = gzip.compress(_cbor_delete_alarms(["zipped"]))
    status, headers, data = _raw(emu, "DeleteAlarms", body, headers={"Content-Encoding": "gzip"})
    assert status == 200
    assert data == b"" and "content-type" not in headers  # DeleteAlarms has no output: no body
    assert cbor_client(emu.url).describe_alarms()["MetricAlarms"] == []


# Small hand-written CBOR requests (RFC 8949 major types 3, 4 and 5).

def _text(value: str) -> bytes:
    raw = value.encode()
    assert len(raw) < 24
    return bytes([0x60 | len(raw)]) + raw


def _cbor_set_alarm_state(name: str) -> bytes:
    return b"\xa3" + _text("AlarmName") + _text(name) + _text("StateValue") + _text("ALARM") + _text("StateReason") + _text("x")


def _cbor_delete_alarms(names: list[str]) -> bytes:
    return b"\xa1" + _text("AlarmNames") + bytes([0x80 | len(names)]) + b"".join(_text(n) for n in names)


def test_a_value_outside_its_enum_is_a_validation_error(emu):
    # StateValue must be OK, ALARM or INSUFFICIENT_DATA (the model's enum).
    status, headers, body = _raw(emu, "DescribeAlarms", b"\xa1" + _text("StateValue") + _text("BROKEN"))
    assert status == 400
    assert headers["x-amzn-query-error"] == "ValidationError;Sender"
    assert "enum" in decode_cbor(body)["message"]
