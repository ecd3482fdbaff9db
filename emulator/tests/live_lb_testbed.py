"""The test bed of the live load balancer tests (test_live_lb_*.py): their marks,
the fixtures that start a live emulator (`--live-lb`) once per test module and
give each test fresh HTTP targets, and the VPC, target group and load balancer
they send traffic through.

Targets are API-only instances whose private IP lives in a network namespace
(live/vpcnet.py) with a small Python HTTP server in it; all traffic goes to
loopback or into those namespaces. Health check intervals run at 0.05 x their
configured value (HealthCheckIntervalSeconds=5 -> 0.25 s).

A test module takes the fixtures by importing them (`emu`, `live`, `run_lock`,
`targets`); pytest then gives that module a live emulator of its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.tests.aws_stack import al2023_images, target_health
from emulator.tests.conftest import Emulator
from emulator.tests.live_lb_support import LiveEmulator, Targets, exclusive_run, skip_reason

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live load balancer tests: {_reason}")
# One live emulator per host: live suites share one test worker (pytest-xdist).
LIVE_LB_MARKS = [
    pytest.mark.skipif(_reason is not None, reason=_reason or ""),
    pytest.mark.xdist_group("live"),
]

BASE = f"/run/roundrobin-emulator/lb-test-{os.getpid()}"
OCTET = 16 + os.getpid() % 200


@pytest.fixture(scope="module")
def run_lock() -> Iterator[None]:
    lock = exclusive_run()  # two suites at once would fight over namespaces and routes
    try:
        yield
    finally:
        lock.close()


@pytest.fixture(scope="module")
def live(run_lock: None) -> Iterator[LiveEmulator]:
    server = LiveEmulator(BASE)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(BASE, ignore_errors=True)


@pytest.fixture
def emu(live: LiveEmulator) -> Emulator:
    live.emu.reset()
    live.emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.05, "health_check_time_scale": 0.05})
    return live.emu


@pytest.fixture
def targets() -> Iterator[Targets]:
    made = Targets()
    try:
        yield made
    finally:
        made.close()


def vpc_subnets(ec2: Any) -> tuple[dict[str, Any], ...]:
    """Two subnets of a fresh VPC whose CIDR no other run uses (its bridge gets a host route)."""
    vpc = ec2.create_vpc(CidrBlock=f"10.{OCTET}.0.0/16")["Vpc"]["VpcId"]
    return tuple(
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{OCTET}.{16 * i}.0/20", AvailabilityZone=zone)["Subnet"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    )


def make_target_group(elbv2: Any, vpc_id: str, name: str, **extra: Any) -> str:
    """An HTTP target group on port 8080 checking /health (fast checks unless `extra` says otherwise)."""
    params = dict(
        Name=name, Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="instance",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )  # fmt: skip
    params.update(extra)
    return elbv2.create_target_group(**params)["TargetGroups"][0]["TargetGroupArn"]


def make_load_balancer(
    elbv2: Any, subnets: tuple[dict[str, Any], ...], actions: list[dict[str, Any]], name: str = "web"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An application load balancer with an HTTP listener on port 80; returns both."""
    lb = elbv2.create_load_balancer(Name=name, Subnets=[s["SubnetId"] for s in subnets], Type="application")
    lb = lb["LoadBalancers"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=actions
    )["Listeners"][0]
    return lb, listener


def target_states(elbv2: Any, arn: str) -> dict[str, str]:
    return {i: h["State"] for i, h in target_health(elbv2, arn).items()}


def web_stack(
    emu: Emulator, targets: Targets, count: int = 2, **tg: Any
) -> tuple[Any, Any, str, dict[str, Any], list[Any]]:
    """`count` targets named t0, t1, ... registered in one target group behind a load
    balancer; returns (ec2, elbv2, target group ARN, load balancer, targets)."""
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = vpc_subnets(ec2)
    image = al2023_images(ec2)[0]
    wired = [targets.launch(ec2, image, subnets[i % 2]["SubnetId"], f"t{i}") for i in range(count)]
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "web-targets", **tg)
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": t.instance_id} for t in wired])
    return ec2, elbv2, arn, lb, wired


def group_members(autoscaling: Any, name: str = "web") -> dict[str, str]:
    """The group's instances and their lifecycle states."""
    found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i["LifecycleState"] for i in found["Instances"]}


def instance_state(ec2: Any, instance_id: str) -> str:
    """The instance's EC2 state (running, shutting-down, terminated, ...)."""
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
