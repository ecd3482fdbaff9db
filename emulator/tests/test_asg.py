"""Auto Scaling group fixes: AZ balance, per-instance template version, deregistration, bounds."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group, instances, target_health


def _clients(emu):
    return emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")


def _zones(ec2, autoscaling):
    ids = [i["InstanceId"] for i in group(autoscaling)["Instances"]]
    return Counter(i["Placement"]["AvailabilityZone"] for i in instances(ec2, ids))


def test_instances_are_balanced_across_zones(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=4, max_size=6)
    assert _zones(ec2, autoscaling) == {"us-east-1a": 2, "us-east-1b": 2}
    subnets = {i["SubnetId"] for i in instances(ec2, [i["InstanceId"] for i in group(autoscaling)["Instances"]])}
    assert subnets == set(stack.subnets)

    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=5)
    assert sorted(_zones(ec2, autoscaling).values()) == [2, 3]
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=2)
    assert _zones(ec2, autoscaling) == {"us-east-1a": 1, "us-east-1b": 1}
    described = group(autoscaling)["Instances"]
    assert {i["AvailabilityZone"] for i in described} == {"us-east-1a", "us-east-1b"}


def test_instances_report_the_template_version_they_were_launched_from(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=1)
    first = group(autoscaling)["Instances"][0]["InstanceId"]
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="app", LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "2"}
    )
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=2)

    versions = {i["InstanceId"]: i["LaunchTemplate"]["Version"] for i in group(autoscaling)["Instances"]}
    assert versions[first] == "1"
    second = next(i for i in versions if i != first)
    assert versions[second] == "2"
    described = {i["InstanceId"]: i for i in instances(ec2, [first, second])}
    assert described[second]["ImageId"] == stack.image_v2
    tags = {t["Key"]: t["Value"] for t in described[second]["Tags"]}
    assert tags["aws:ec2launchtemplate:version"] == "2"
    assert tags["aws:autoscaling:groupName"] == "app"
    listed = autoscaling.describe_auto_scaling_instances(InstanceIds=[second])["AutoScalingInstances"]
    assert listed[0]["LaunchTemplate"]["Version"] == "2"

    # Scale-in removes the instance that is not on the group's current version.
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=1)
    assert [i["InstanceId"] for i in group(autoscaling)["Instances"]] == [second]


def test_scale_in_deregisters_terminated_instances(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=3)
    assert len(target_health(elbv2, stack.target_group_arn)) == 3

    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=1)
    remaining = [i["InstanceId"] for i in group(autoscaling)["Instances"]]
    health = target_health(elbv2, stack.target_group_arn)
    assert list(health) == remaining and health[remaining[0]]["State"] == "healthy"


def test_terminate_instance_in_group_deregisters_it(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2)
    victim = group(autoscaling)["Instances"][0]["InstanceId"]

    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=True)
    assert victim not in target_health(elbv2, stack.target_group_arn)
    assert len(target_health(elbv2, stack.target_group_arn)) == 1

    # An instance terminated directly through EC2 is replaced and deregistered too.
    other = group(autoscaling)["Instances"][0]["InstanceId"]
    ec2.terminate_instances(InstanceIds=[other])
    health = target_health(elbv2, stack.target_group_arn)
    assert other not in health and len(health) == 1


def test_desired_capacity_outside_bounds_is_rejected(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    build_stack(ec2, elbv2, autoscaling, capacity=2, max_size=3)
    for desired in (4, 0):
        with pytest.raises(ClientError) as err:
            autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=desired)
        assert err.value.response["Error"]["Code"] == "ValidationError"
        assert f"value {desired}" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", DesiredCapacity=9)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert group(autoscaling)["DesiredCapacity"] == 2


def test_new_bounds_move_the_desired_capacity(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    build_stack(ec2, elbv2, autoscaling, capacity=2, max_size=4)

    # A new MinSize above the desired capacity raises it (UpdateAutoScalingGroup).
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", MinSize=3)
    g = group(autoscaling)
    assert (g["MinSize"], g["DesiredCapacity"], len(g["Instances"])) == (3, 3, 3)
    # A new MinSize at or below it leaves it alone.
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", MinSize=1)
    assert group(autoscaling)["DesiredCapacity"] == 3
    # A new MaxSize below it lowers it.
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", MaxSize=2)
    g = group(autoscaling)
    assert (g["MaxSize"], g["DesiredCapacity"], len(g["Instances"])) == (2, 2, 2)
    # An explicit DesiredCapacity wins over both rules.
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", MaxSize=4, DesiredCapacity=1)
    assert group(autoscaling)["DesiredCapacity"] == 1


def test_min_size_above_max_size_is_rejected(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2, max_size=3)
    with pytest.raises(ClientError) as err:
        autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", MinSize=4)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["Error"]["Message"] == "Max bound, 3, must be greater than or equal to min bound, 4"
    with pytest.raises(ClientError) as err:
        autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", MinSize=2, MaxSize=1)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as err:
        autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", DesiredCapacity=0)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    g = group(autoscaling)
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (1, 3, 2)

    with pytest.raises(ClientError) as err:
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName="other",
            LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "1"},
            MinSize=3,
            MaxSize=2,
            VPCZoneIdentifier=stack.subnets[0],
        )
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert [x["AutoScalingGroupName"] for x in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]] == ["app"]


def test_health_check_grace_period_defaults_to_zero(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=1)
    assert group(autoscaling)["HealthCheckGracePeriod"] == 0
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="other",
        LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "1"},
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=stack.subnets[0],
    )
    assert group(autoscaling, "other")["HealthCheckGracePeriod"] == 0
