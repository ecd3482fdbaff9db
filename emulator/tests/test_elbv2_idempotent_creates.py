"""ELBv2 creates are idempotent (elbv2/idempotent_creates.py): the same name and the
same settings answer the existing object; other settings are a Duplicate error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import two_subnets


def _load_balancer(elbv2: Any, subnets: list[str], **extra: Any) -> dict[str, Any]:
    return elbv2.create_load_balancer(Name="web", Subnets=subnets, **extra)["LoadBalancers"][0]


def _target_group(elbv2: Any, vpc: str, port: int = 80, **extra: Any) -> dict[str, Any]:
    return elbv2.create_target_group(Name="app", Protocol="HTTP", Port=port, VpcId=vpc, **extra)["TargetGroups"][0]


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_the_same_load_balancer_twice_is_one_load_balancer(emu):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = [s["SubnetId"] for s in two_subnets(ec2)]
    first = _load_balancer(elbv2, subnets, Tags=[{"Key": "stack", "Value": "a"}])
    # The order of a set parameter does not matter.
    again = _load_balancer(elbv2, list(reversed(subnets)), Tags=[{"Key": "stack", "Value": "a"}])
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1


@pytest.mark.parametrize(
    "different",
    [
        {"Scheme": "internal"},
        {"Tags": [{"Key": "stack", "Value": "b"}]},
        {"Tags": [{"Key": "stack", "Value": "a"}], "IpAddressType": "ipv4"},  # explicit default: still different
    ],
)
def test_a_load_balancer_name_with_other_settings_is_a_duplicate(emu, different):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = [s["SubnetId"] for s in two_subnets(ec2)]
    _load_balancer(elbv2, subnets, Tags=[{"Key": "stack", "Value": "a"}])
    with pytest.raises(ClientError) as excinfo:
        _load_balancer(elbv2, subnets, **different)
    assert _error(excinfo) == "DuplicateLoadBalancerName"
    assert "'web'" in excinfo.value.response["Error"]["Message"]
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1


def test_a_deleted_load_balancer_name_can_be_created_anew(emu):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = [s["SubnetId"] for s in two_subnets(ec2)]
    first = _load_balancer(elbv2, subnets)
    elbv2.delete_load_balancer(LoadBalancerArn=first["LoadBalancerArn"])
    second = _load_balancer(elbv2, subnets, Scheme="internal")
    assert second["LoadBalancerArn"] != first["LoadBalancerArn"]


def test_the_same_target_group_twice_is_one_target_group(emu):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    vpc = two_subnets(ec2)[0]["VpcId"]
    first = _target_group(elbv2, vpc, HealthCheckPath="/health")
    again = _target_group(elbv2, vpc, HealthCheckPath="/health")
    assert again["TargetGroupArn"] == first["TargetGroupArn"]
    assert len(elbv2.describe_target_groups()["TargetGroups"]) == 1


def test_a_target_group_name_with_other_settings_is_a_duplicate(emu):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    vpc = two_subnets(ec2)[0]["VpcId"]
    _target_group(elbv2, vpc, HealthCheckPath="/health")
    for different in ({"port": 8080, "HealthCheckPath": "/health"}, {"HealthCheckPath": "/"}):
        with pytest.raises(ClientError) as excinfo:
            _target_group(elbv2, vpc, **different)
        assert _error(excinfo) == "DuplicateTargetGroupName"


def _listener(elbv2: Any, lb_arn: str, tg_arn: str, port: int = 80) -> dict[str, Any]:
    return elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
    )["Listeners"][0]


def test_a_listener_on_the_same_port_is_the_same_listener_or_a_duplicate(emu):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = two_subnets(ec2)
    lb = _load_balancer(elbv2, [s["SubnetId"] for s in subnets])["LoadBalancerArn"]
    tg = _target_group(elbv2, subnets[0]["VpcId"])["TargetGroupArn"]
    other_tg = elbv2.create_target_group(Name="other", Protocol="HTTP", Port=80, VpcId=subnets[0]["VpcId"])[
        "TargetGroups"
    ][0]["TargetGroupArn"]

    first = _listener(elbv2, lb, tg)
    assert _listener(elbv2, lb, tg)["ListenerArn"] == first["ListenerArn"]
    with pytest.raises(ClientError) as excinfo:
        _listener(elbv2, lb, other_tg)
    assert _error(excinfo) == "DuplicateListener"
    assert len(elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]) == 1

    # Another port is another listener.
    assert _listener(elbv2, lb, tg, port=8080)["ListenerArn"] != first["ListenerArn"]
    assert len(elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]) == 2
