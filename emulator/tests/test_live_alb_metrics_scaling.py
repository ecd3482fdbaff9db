"""Requests through a live load balancer drive a target tracking policy on
ALBRequestCountPerTarget: the load balancer's RequestCountPerTarget
(cloudwatch/alb_metrics.py) breaches the policy's AlarmHigh, CloudWatch's evaluation
puts it in ALARM and the group scales out (autoscaling/scaling_actions.py); when
the load falls it scales back in; no request fails. Instances are API-only with a small HTTP server in a network
namespace at their private IP (live_lb_support.Targets); traffic goes to loopback
and into those namespaces only."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from emulator.tests.aws_stack import al2023_images, group, target_health
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import LiveEmulator, Targets, exclusive_run, get, lb_url, skip_reason

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live request scaling tests: {_reason}")
pytestmark = [pytest.mark.skipif(_reason is not None, reason=_reason or ""), pytest.mark.xdist_group("live")]

BASE = f"/run/roundrobin-emulator/lb-scaling-test-{os.getpid()}"
OCTET = 16 + (os.getpid() + 57) % 200


@pytest.fixture(scope="module")
def emu():
    lock = exclusive_run()
    server = LiveEmulator(BASE)
    try:
        server.start().ok("POST", "/_emulator/timing", {"health_check_time_scale": 0.05, "metric_time_scale": 0.05})
        yield server.emu
    finally:
        server.stop()
        shutil.rmtree(BASE, ignore_errors=True)
        lock.close()


@pytest.fixture
def targets():
    made = Targets()
    try:
        yield made
    finally:
        made.close()


def test_request_load_scales_the_group_out_and_back_in_without_failed_requests(emu, targets):
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    vpc = ec2.create_vpc(CidrBlock=f"10.{OCTET}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{OCTET}.{16 * i}.0/20", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    tg = elbv2.create_target_group(
        Name="web-targets", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance", HealthCheckPath="/health",
        HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="web", Subnets=subnets, Type="application")["LoadBalancers"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData={
        "ImageId": al2023_images(ec2)[0], "InstanceType": "t3.micro"})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateName": "web", "Version": "1"},
        MinSize=1, MaxSize=3, DesiredCapacity=1, VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tg],
    )
    wired: set[str] = set()

    def wire_new_instances() -> None:
        for instance in group(autoscaling, "web")["Instances"]:
            if instance["InstanceId"] not in wired and instance["LifecycleState"] == "InService":
                targets.wire(ec2, instance["InstanceId"], name=instance["InstanceId"])
                wired.add(instance["InstanceId"])

    wire_new_instances()
    wait_for(lambda: {h["State"] for h in target_health(elbv2, tg).values()} == {"healthy"}, timeout=15)
    label = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1] + "/" + tg.rsplit(":", 1)[1]
    autoscaling.put_scaling_policy(
        AutoScalingGroupName="web", PolicyName="requests", PolicyType="TargetTrackingScaling",
        EstimatedInstanceWarmup=0,
        TargetTrackingConfiguration={"TargetValue": 20.0, "PredefinedMetricSpecification": {
            "PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}},
    )
    url = lb_url(emu, lb["DNSName"])
    answers: list[int] = []
    # Requests as fast as they go: far above 20 per 3-second period on one target
    # (the target is 20), so the alarm goes off after 3 periods and the group
    # grows. Bounded by time, not by a number of requests: a fast machine sends
    # thousands of them before three periods have passed. Bounded: 120 s.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        answers.extend(get(url)[0] for _ in range(20))
        wire_new_instances()
        if len(wired) >= 2 and group(autoscaling, "web")["DesiredCapacity"] >= 2:
            break
    assert group(autoscaling, "web")["DesiredCapacity"] >= 2
    wait_for(lambda: len({h["State"] for h in target_health(elbv2, tg).values()} - {"healthy"}) == 0
             and len(target_health(elbv2, tg)) >= 2, timeout=20)
    served_by = {get(url)[1] for _ in range(20)}
    assert len(served_by) >= 2  # the new instance takes requests
    assert set(answers) == {200}, [a for a in answers if a != 200][:10]

    # The load falls to a trickle: AlarmLow (15 periods below 90 % of the target),
    # then the group's DefaultCooldown after the last launch (300 s x 0.05), and the
    # group scales back in; the instances it removes drain first. Bounded: 1,000 requests.
    for _ in range(1000):
        answers.append(get(url)[0])
        if group(autoscaling, "web")["DesiredCapacity"] == 1:
            break
        time.sleep(0.2)
    assert group(autoscaling, "web")["DesiredCapacity"] == 1
    wait_for(lambda: len(group(autoscaling, "web")["Instances"]) == 1, timeout=60, interval=0.5)
    answers.extend(get(url)[0] for _ in range(10))
    assert set(answers) == {200}, [a for a in answers if a != 200][:10]
