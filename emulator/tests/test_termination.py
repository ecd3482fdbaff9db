"""How an Auto Scaling group takes an instance out in API-only mode (termination.py):
deregistered from its target groups, then terminated, in the same request (no
traffic to drain). The live drain is tested in test_live_lb_auto_scaling.py."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group, instances, target_health


def _clients(emu):
    return emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")


def test_terminate_instance_without_decrement_replaces_it_and_never_registers_it_again(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2)
    victim = group(autoscaling)["Instances"][0]["InstanceId"]

    activity = autoscaling.terminate_instance_in_auto_scaling_group(
        InstanceId=victim, ShouldDecrementDesiredCapacity=False
    )["Activity"]
    assert victim in activity["Description"]
    members = {i["InstanceId"]: i["LifecycleState"] for i in group(autoscaling)["Instances"]}
    assert victim not in members and len(members) == 2 and set(members.values()) == {"InService"}
    assert group(autoscaling)["DesiredCapacity"] == 2
    assert instances(ec2, [victim])[0]["State"]["Name"] == "terminated"
    assert set(target_health(elbv2, stack.target_group_arn)) == set(members)

    # A later scale-out registers the group's serving members, not the terminated one.
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=3)
    registered = set(target_health(elbv2, stack.target_group_arn))
    assert victim not in registered and len(registered) == 3


def test_scale_in_deregisters_and_terminates_the_chosen_instances(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=3)
    before = {i["InstanceId"] for i in group(autoscaling)["Instances"]}

    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=1)
    (kept,) = [i["InstanceId"] for i in group(autoscaling)["Instances"]]
    gone = sorted(before - {kept})
    assert {i["State"]["Name"] for i in instances(ec2, gone)} == {"terminated"}
    assert set(target_health(elbv2, stack.target_group_arn)) == {kept}


def test_terminating_an_instance_of_no_group_is_a_validation_error(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    build_stack(ec2, elbv2, autoscaling, capacity=1)
    with pytest.raises(ClientError) as err:
        autoscaling.terminate_instance_in_auto_scaling_group(
            InstanceId="i-0123456789abcdef0", ShouldDecrementDesiredCapacity=True
        )
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "i-0123456789abcdef0" in err.value.response["Error"]["Message"]
