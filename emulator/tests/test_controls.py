"""The control endpoints themselves, and the plain moto endpoints next to them."""

from __future__ import annotations

import json
import urllib.request

from emulator.tests.aws_stack import al2023_images


def test_health_and_bad_requests(emu):
    assert emu.control("GET", "/_emulator/health") == (200, {"status": "ok"})
    assert emu.control("GET", "/_emulator/nothing-here")[0] == 404
    assert emu.control("PUT", "/_emulator/faults")[0] == 405
    status, payload = emu.control("POST", "/_emulator/faults", {"service": "dynamodb"})
    assert status == 400 and "service" in payload["error"]
    assert emu.control("POST", "/_emulator/timing", {"refresh_step_seconds": "fast"})[0] == 400
    assert emu.control("POST", "/_emulator/ssm/command-outcomes", {"status": "Maybe"})[0] == 400


def test_calls_counter(emu):
    ec2 = emu.client("ec2")
    emu.ok("POST", "/_emulator/calls/reset")
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    emu.client("autoscaling").describe_auto_scaling_groups()
    emu.client("ssm").list_commands()

    counted = emu.ok("GET", "/_emulator/calls")
    assert counted == {
        "calls": {
            "autoscaling:DescribeAutoScalingGroups": 1,
            "ec2:DescribeVpcs": 2,
            "ssm:ListCommands": 1,
        },
        "total": 4,
        "lagging": {},
    }
    assert emu.ok("POST", "/_emulator/calls/reset") == {"calls": {}, "total": 0, "lagging": {}}


def test_moto_reset_also_clears_the_extension(emu):
    ec2 = emu.client("ec2")
    ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)
    emu.ok("POST", "/_emulator/faults", {"service": "iam", "action": "ListRoles", "times": -1})
    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": "ami-12345678"})
    emu.ok("POST", "/_emulator/ssm/command-outcomes", {"match": "x", "status": "Failed"})
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 3, "instance_warmup_honored": True})
    with urllib.request.urlopen(emu.url + "/moto-api/data.json", timeout=10) as response:
        assert json.loads(response.read())["ec2"]["Instance"]

    emu.reset()
    assert emu.ok("GET", "/_emulator/faults") == {"faults": []}
    assert emu.ok("GET", "/_emulator/unhealthy-images") == {"images": []}
    assert emu.ok("GET", "/_emulator/ssm/command-outcomes") == {"outcomes": []}
    assert emu.ok("GET", "/_emulator/calls")["total"] == 0
    timing = emu.ok("GET", "/_emulator/timing")["timing"]
    assert timing["refresh_step_seconds"] == 0.2 and timing["instance_warmup_honored"] is False
    assert emu.client("iam").list_roles()["Roles"] == []


def test_aws_managed_policies_are_loaded(emu):
    policy = emu.client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    assert policy["Policy"]["PolicyName"] == "AmazonSSMManagedInstanceCore"
