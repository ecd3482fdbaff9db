"""Injected faults: once, every time, per service protocol."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images


def _raw(emu, service, body=b"", headers=None, method="POST", path="/"):
    """Send a request signed-looking enough for routing; return (status, headers, body)."""
    all_headers = {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0",
        **(headers or {}),
    }
    request = urllib.request.Request(emu.url + path, data=body or None, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def test_fault_on_run_instances_fails_exactly_once(emu):
    ec2 = emu.client("ec2")
    image = al2023_images(ec2)[0]
    emu.ok(
        "POST",
        "/_emulator/faults",
        {"service": "ec2", "action": "RunInstances", "error_code": "InternalError", "message": "injected",
         "http_status": 500, "times": 1},
    )

    with pytest.raises(ClientError) as err:
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)
    assert err.value.response["Error"] == {"Code": "InternalError", "Message": "injected"}
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)
    ec2.describe_instances()
    assert emu.ok("GET", "/_emulator/faults")["faults"] == []
    counted = emu.ok("GET", "/_emulator/calls")["calls"]
    assert counted["ec2:RunInstances"] == 2 and counted["ec2:DescribeInstances"] == 1


def test_throttling_every_time_until_cleared(emu):
    autoscaling = emu.client("autoscaling", retries=2)
    emu.ok(
        "POST",
        "/_emulator/faults",
        {"service": "autoscaling", "action": "DescribeAutoScalingGroups", "error_code": "Throttling",
         "message": "Rate exceeded", "http_status": 400, "times": -1},
    )
    emu.ok("POST", "/_emulator/calls/reset")

    with pytest.raises(ClientError) as err:
        autoscaling.describe_auto_scaling_groups()
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert emu.ok("GET", "/_emulator/calls")["calls"] == {"autoscaling:DescribeAutoScalingGroups": 2}  # the SDK retried once
    status, _, body = _raw(
        emu,
        "autoscaling",
        b"Action=DescribeAutoScalingGroups&Version=2011-01-01",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400 and "<Type>Sender</Type><Code>Throttling</Code>" in body
    assert body.startswith('<?xml') and "<ErrorResponse" in body and "<RequestId>" in body

    emu.ok("DELETE", "/_emulator/faults")
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_error_shapes_of_each_protocol(emu):
    injected = [
        ("ec2", "DescribeVpcs", "RequestLimitExceeded", 400),
        ("iam", "ListRoles", "Throttling", 400),
        ("ssm", "SendCommand", "ThrottlingException", 400),
        ("s3", "ListBuckets", "SlowDown", 503),
        ("elasticloadbalancing", None, "Throttling", 400),  # no action: any operation
    ]
    for service, action, code, status in injected:
        emu.ok(
            "POST",
            "/_emulator/faults",
            {"service": service, "action": action, "error_code": code, "message": "slow down", "http_status": status},
        )

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = _raw(emu, "ec2", b"Action=DescribeVpcs&Version=2016-11-15", form)
    assert status == 400
    assert "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>slow down</Message>" in body
    assert "<RequestID>" in body

    status, _, body = _raw(emu, "iam", b"Action=ListRoles&Version=2010-05-08", form)
    assert status == 400 and "<Type>Sender</Type><Code>Throttling</Code>" in body

    status, headers, body = _raw(
        emu, "ssm", b"{}", {"X-Amz-Target": "AmazonSSM.SendCommand", "Content-Type": "application/x-amz-json-1.1"}
    )
    assert status == 400 and json.loads(body) == {"__type": "ThrottlingException", "message": "slow down"}
    assert {k.lower(): v for k, v in headers.items()}["x-amzn-errortype"] == "ThrottlingException"

    with pytest.raises(ClientError) as err:
        emu.client("s3").list_buckets()
    assert err.value.response["Error"]["Code"] == "SlowDown"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    with pytest.raises(ClientError) as err:
        emu.client("elbv2").describe_load_balancers()
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert emu.ok("GET", "/_emulator/faults")["faults"] == []
