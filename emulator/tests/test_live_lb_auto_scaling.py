"""An Auto Scaling group with a live load balancer: with ELB health checks the
group sees the instance its target group found unhealthy, and an instance the
group takes out (TerminateInstanceInAutoScalingGroup, scale-in) is deregistered
and drains for the deregistration delay, `Terminating` but still running,
before it is terminated.

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

import threading
import time

import pytest

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


def test_asg_with_elb_checks_sees_unhealthy_instance(emu, targets):
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    subnets = vpc_subnets(ec2)
    image = al2023_images(ec2)[0]
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "asg-targets")
    elbv2.modify_target_group_attributes(  # 20 s x 0.05 = 1 s of draining
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}]
    )
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    template = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=1, MaxSize=2, DesiredCapacity=2, VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        TargetGroupARNs=[arn], HealthCheckType="ELB", HealthCheckGracePeriod=0,
    )
    # What the group sees is checked here; healing would replace the sick instance
    # (test_healing.py; the live story's chaos stage).
    autoscaling.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    sick_id, well_id = sorted(i["InstanceId"] for i in group["Instances"])
    targets.wire(ec2, well_id, name="well")
    targets.wire(ec2, sick_id, serve=False)  # nothing listens: connection refused

    def health():
        found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
        return {i["InstanceId"]: i["HealthStatus"] for i in found["Instances"]}

    wait_for(lambda: target_states(elbv2, arn) == {sick_id: "unhealthy", well_id: "healthy"}, timeout=10)
    assert health() == {sick_id: "Unhealthy", well_id: "Healthy"}
    assert {get(lb_url(emu, lb["DNSName"]))[1] for _ in range(6)} == {"well"}

    # Scale-in takes the instance out of the load balancer (it drains, then is gone).
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=sick_id, ShouldDecrementDesiredCapacity=True)
    wait_for(lambda: sick_id not in target_health(elbv2, arn), timeout=10)


def test_auto_scaling_deregisters_and_drains_before_it_terminates(emu, targets):
    """AWS's order (EC2 Auto Scaling user guide, Elastic Load Balancing chapter):
    deregister, let the target drain for the deregistration delay with the instance
    `Terminating` but still running, then terminate it."""
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    subnets = vpc_subnets(ec2)
    image = al2023_images(ec2)[0]
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "asg-targets")
    elbv2.modify_target_group_attributes(  # 60 s x 0.05 = 3 s of draining
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "60"}]
    )
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    template = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=0, MaxSize=3, DesiredCapacity=3, VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        TargetGroupARNs=[arn],  # EC2 health checks: nothing is replaced before it is wired
    )
    ids = sorted(group_members(autoscaling))
    for instance_id in ids:
        targets.wire(ec2, instance_id, name=instance_id)
    wait_for(lambda: set(target_states(elbv2, arn).values()) == {"healthy"} and len(target_states(elbv2, arn)) == 3,
             timeout=10)
    url = lb_url(emu, lb["DNSName"])

    # A slow request in flight on the instance that is taken out (strict rotation:
    # after the instance that served one request, the next one in the order serves).
    order = [get(url)[1] for _ in range(3)]
    victim = order[0]
    slow: dict[str, object] = {}
    thread = threading.Thread(target=lambda: slow.update(result=get(url + "/slow?seconds=1.5")))
    thread.start()
    time.sleep(0.3)
    with pytest.raises(Exception) as unknown:
        autoscaling.terminate_instance_in_auto_scaling_group(InstanceId="i-00000000000000000",
                                                             ShouldDecrementDesiredCapacity=True)
    assert "ValidationError" in str(unknown.value)
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=True)

    # Deregistered at once, but not terminated: Terminating for Auto Scaling,
    # running for EC2, draining for the load balancer, which sends it nothing new.
    assert group_members(autoscaling)[victim] == "Terminating"
    assert instance_state(ec2, victim) == "running"
    assert target_states(elbv2, arn)[victim] == "draining"
    assert victim not in {get(url)[1] for _ in range(6)}
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2
    thread.join(timeout=15)
    assert slow.get("result") == (200, victim)  # the request in flight finished
    # Terminated only once the drain is over; until then it never stopped running.
    seen: list[tuple[str, str]] = []

    def terminated():
        members = group_members(autoscaling)
        seen.append((members.get(victim, "-"), instance_state(ec2, victim)))
        return victim not in members and seen[-1][1] in ("shutting-down", "terminated")

    wait_for(terminated, timeout=15, interval=0.05)
    while_member = [ec2_state for lifecycle, ec2_state in seen if lifecycle == "Terminating"]
    assert while_member and set(while_member) == {"running"}, seen
    assert victim not in target_states(elbv2, arn)

    # Scale-in takes the same path: Terminating and draining first.
    autoscaling.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    members = group_members(autoscaling)
    leaving = [i for i, s in members.items() if s == "Terminating"]
    assert len(leaving) == 1 and list(members.values()).count("InService") == 1
    assert instance_state(ec2, leaving[0]) == "running" and target_states(elbv2, arn)[leaving[0]] == "draining"
    wait_for(lambda: list(group_members(autoscaling).values()) == ["InService"], timeout=15)
    assert instance_state(ec2, leaving[0]) in ("shutting-down", "terminated")
