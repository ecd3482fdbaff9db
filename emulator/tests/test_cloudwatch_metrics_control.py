"""`POST /_emulator/cloudwatch/metrics`: datapoints AWS services would publish, injected in API mode."""

from __future__ import annotations

import datetime

from emulator.tests.cloudwatch_support import cbor_client, utc_now


def _minute_ago() -> datetime.datetime:
    return utc_now().replace(second=0, microsecond=0) - datetime.timedelta(minutes=1)


def test_injected_values_are_answered_by_get_metric_statistics(emu):
    when = _minute_ago()
    payload = emu.ok(
        "POST",
        "/_emulator/cloudwatch/metrics",
        {
            "namespace": "AWS/ApplicationELB",
            "metric_name": "RequestCount",
            "dimensions": {"LoadBalancer": "app/web/0123456789abcdef"},
            "values": [1, 1, 1, 1],
            "unit": "Count",
            "timestamp": when.isoformat(),
        },
    )
    assert payload["published"] == 4
    cw = cbor_client(emu.url)
    stats = cw.get_metric_statistics(
        Namespace="AWS/ApplicationELB",
        MetricName="RequestCount",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"}],
        StartTime=when,
        EndTime=when + datetime.timedelta(minutes=1),
        Period=60,
        Statistics=["Sum"],
    )
    assert [p["Sum"] for p in stats["Datapoints"]] == [4.0]
    listed = cw.list_metrics(Namespace="AWS/ApplicationELB")["Metrics"]
    assert {"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"} in listed[0]["Dimensions"]


def test_region_and_epoch_timestamp(emu):
    when = _minute_ago()
    emu.ok(
        "POST",
        "/_emulator/cloudwatch/metrics",
        {"namespace": "AWS/EC2", "metric_name": "CPUUtilization", "dimensions": {"InstanceId": "i-1"},
         "values": [40.0], "unit": "Percent", "timestamp": when.timestamp(), "region": "eu-west-1"},
    )
    west = cbor_client(emu.url, region="eu-west-1")
    east = cbor_client(emu.url)
    assert west.list_metrics(Namespace="AWS/EC2")["Metrics"]
    assert east.list_metrics(Namespace="AWS/EC2")["Metrics"] == []


def test_bad_injections_are_refused(emu):
    good = {"namespace": "AWS/EC2", "metric_name": "CPUUtilization", "values": [1.0], "unit": "Percent"}
    for bad in (
        {**good, "values": []},
        {**good, "values": ["1"]},
        {**good, "unit": "Furlongs"},
        {**good, "namespace": ""},
        {**good, "dimensions": {"InstanceId": 3}},
        {**good, "timestamp": "yesterday"},
    ):
        status, payload = emu.control("POST", "/_emulator/cloudwatch/metrics", bad)
        assert status == 400, (bad, payload)
