"""An instance refresh behind a live load balancer is judged by the real health
checks: it waits while a new instance is `initial`, fails when the new instance
turns unhealthy, and succeeds once new instances pass, after the replaced one
was deregistered, drained while still running, and terminated.

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

import time

from emulator.tests.aws_stack import al2023_images, target_health
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import get, lb_url
from emulator.tests.live_lb_testbed import (
    LIVE_LB_MARKS,
    group_members,
    instance_state,
    make_load_balancer,
    make_target_group,
    target_states,
    vpc_subnets,
)
from emulator.tests.live_lb_testbed import emu, live, run_lock, targets  # noqa: F401 (fixtures)

pytestmark = LIVE_LB_MARKS


def _refresh_stack(emu):
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    subnets = vpc_subnets(ec2)
    image_v1, image_v2 = al2023_images(ec2)[:2]
    # Interval 20 s x 0.05 = 1 s: healthy after 2 passing checks, unhealthy after 3 failing ones.
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "refresh-targets", HealthCheckIntervalSeconds=20,
                            HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2, UnhealthyThresholdCount=3)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}]
    )
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    data = {"ImageId": image_v1, "InstanceType": "t3.micro"}
    template = ec2.create_launch_template(LaunchTemplateName="web-template", LaunchTemplateData=data)[
        "LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={**data, "ImageId": image_v2})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=1, MaxSize=2, DesiredCapacity=1, VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        # The grace period keeps Auto Scaling from replacing the first instance
        # before the test wired it; the refresh judges its batches without it.
        TargetGroupARNs=[arn], HealthCheckType="ELB", HealthCheckGracePeriod=300,
    )
    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="web", DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": template, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
    )["InstanceRefreshId"]
    return ec2, elbv2, autoscaling, arn, lb, refresh_id


def _refresh(autoscaling, refresh_id):
    return autoscaling.describe_instance_refreshes(AutoScalingGroupName="web", InstanceRefreshIds=[refresh_id])[
        "InstanceRefreshes"][0]


def test_instance_refresh_waits_for_initial_then_fails_on_unhealthy(emu, targets):
    ec2, elbv2, autoscaling, arn, lb, refresh_id = _refresh_stack(emu)
    # The new instance is never wired up: its checks fail (no route to it).
    (old,) = target_states(elbv2, arn)
    new = wait_for(lambda: [i for i, s in target_states(elbv2, arn).items() if i != old and s == "initial"], timeout=10)
    assert _refresh(autoscaling, refresh_id)["Status"] == "InProgress"  # waits, not failed at once
    time.sleep(0.5)
    assert target_states(elbv2, arn)[new[0]] == "initial"
    assert _refresh(autoscaling, refresh_id)["Status"] == "InProgress"
    done = wait_for(lambda: (r := _refresh(autoscaling, refresh_id))["Status"] in ("Failed", "Successful") and r,
                    timeout=20)
    assert done["Status"] == "Failed"
    assert "failed health checks" in done["StatusReason"]


def test_instance_refresh_succeeds_when_new_instances_pass(emu, targets):
    ec2, elbv2, autoscaling, arn, lb, refresh_id = _refresh_stack(emu)
    (old,) = group_members(autoscaling)
    wired: set[str] = set()
    # (old instance's lifecycle state, its EC2 state, its target state, refresh status)
    seen: list[tuple[str, str, str, str]] = []

    def wire_new_instances():
        status = _refresh(autoscaling, refresh_id)["Status"]  # first: what follows is as new or newer
        members = group_members(autoscaling)
        for instance_id in members:
            if instance_id not in wired:
                wired.add(instance_id)
                targets.wire(ec2, instance_id, name=instance_id)
        seen.append((members.get(old, "-"), instance_state(ec2, old), target_states(elbv2, arn).get(old, "-"), status))
        return status not in ("Pending", "InProgress")

    try:
        wait_for(wire_new_instances, timeout=30, interval=0.05)
    except AssertionError:
        raise AssertionError((seen[-3:], _refresh(autoscaling, refresh_id), group_members(autoscaling),
                              target_health(elbv2, arn))) from None
    assert _refresh(autoscaling, refresh_id)["Status"] == "Successful"
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    (instance,) = group["Instances"]
    assert instance["LaunchTemplate"]["Version"] == "2"
    assert get(lb_url(emu, lb["DNSName"])) == (200, instance["InstanceId"])
    # The replaced instance was deregistered and drained while it still ran, and
    # the refresh ended only after it was terminated.
    assert ("Terminating", "running", "draining", "InProgress") in seen, seen
    assert seen[-1][0] == "-" and seen[-1][1] in ("shutting-down", "terminated"), seen
