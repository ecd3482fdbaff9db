"""Auto Scaling replaces unhealthy instances (healing.py): EC2 and ELB health checks,
the grace period, zone balance, the current template version, SetInstanceHealth."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group, instances, target_health
from emulator.tests.conftest import wait_for


@pytest.fixture
def emu_fast(emu):
    emu.ok("POST", "/_emulator/timing", {"asg_health_check_seconds": 0.1})
    return emu


def _clients(emu):
    return emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")


def _members(autoscaling) -> list[str]:
    return [i["InstanceId"] for i in group(autoscaling)["Instances"]]


def _replaced(autoscaling, gone: str, capacity: int):
    def check():
        members = _members(autoscaling)
        return gone not in members and len(members) == capacity and members

    return check


def test_a_stopped_instance_is_replaced_even_during_the_grace_period(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2, health_check_type="EC2")
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", HealthCheckGracePeriod=300)
    victim, other = _members(autoscaling)

    ec2.stop_instances(InstanceIds=[victim])
    members = wait_for(_replaced(autoscaling, victim, 2))

    assert other in members
    assert instances(ec2, [victim])[0]["State"]["Name"] == "terminated"
    health = target_health(elbv2, stack.target_group_arn)
    assert victim not in health and len(health) == 2
    assert all(i["HealthStatus"] == "Healthy" for i in group(autoscaling)["Instances"])


def test_an_elb_unhealthy_instance_is_replaced_only_after_the_grace_period(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=3, max_size=4, health_check_type="ELB")
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", HealthCheckGracePeriod=300)
    failing, stopped, _ = _members(autoscaling)
    emu_fast.ok("POST", "/_emulator/unhealthy-instances", {"instance_id": failing})
    assert target_health(elbv2, stack.target_group_arn)[failing]["State"] == "unhealthy"

    # Health checks run (the stopped instance is replaced at once), but within the
    # grace period the failed ELB check does not count: Healthy, kept.
    ec2.stop_instances(InstanceIds=[stopped])
    members = wait_for(_replaced(autoscaling, stopped, 3))
    assert failing in members
    statuses = {i["InstanceId"]: i["HealthStatus"] for i in group(autoscaling)["Instances"]}
    assert statuses[failing] == "Healthy"

    # Once the grace period is over, it is replaced and leaves the target group.
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", HealthCheckGracePeriod=0)
    wait_for(_replaced(autoscaling, failing, 3))
    assert failing not in target_health(elbv2, stack.target_group_arn)
    assert instances(ec2, [failing])[0]["State"]["Name"] == "terminated"


def test_ec2_health_checks_ignore_target_health(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2, health_check_type="EC2")
    failing, stopped = _members(autoscaling)
    emu_fast.ok("POST", "/_emulator/unhealthy-instances", {"instance_id": failing})

    ec2.stop_instances(InstanceIds=[stopped])
    members = wait_for(_replaced(autoscaling, stopped, 2))

    assert failing in members
    assert target_health(elbv2, stack.target_group_arn)[failing]["State"] == "unhealthy"
    statuses = {i["InstanceId"]: i["HealthStatus"] for i in group(autoscaling)["Instances"]}
    assert statuses[failing] == "Healthy"


def test_replacements_keep_the_zones_balanced(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    build_stack(ec2, elbv2, autoscaling, capacity=4, max_size=6, health_check_type="EC2")
    described = instances(ec2, _members(autoscaling))
    in_a = [i["InstanceId"] for i in described if i["Placement"]["AvailabilityZone"] == "us-east-1a"]
    assert len(in_a) == 2

    ec2.stop_instances(InstanceIds=in_a)

    def healed():
        members = _members(autoscaling)
        return len(members) == 4 and not set(in_a) & set(members) and members

    members = wait_for(healed)
    zones = Counter(i["Placement"]["AvailabilityZone"] for i in instances(ec2, members))
    assert zones == {"us-east-1a": 2, "us-east-1b": 2}


def test_a_replacement_uses_the_groups_current_template_version(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=1, health_check_type="EC2")
    (victim,) = _members(autoscaling)
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="app", LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "2"}
    )

    ec2.stop_instances(InstanceIds=[victim])
    (replacement,) = wait_for(_replaced(autoscaling, victim, 1))

    assert group(autoscaling)["Instances"][0]["LaunchTemplate"]["Version"] == "2"
    assert instances(ec2, [replacement])[0]["ImageId"] == stack.image_v2


def test_set_instance_health_unhealthy_is_replaced(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    build_stack(ec2, elbv2, autoscaling, capacity=2, health_check_type="EC2")
    autoscaling.update_auto_scaling_group(AutoScalingGroupName="app", HealthCheckGracePeriod=300)
    kept, forced = _members(autoscaling)

    # Within the grace period, a call that respects it (the default) is ignored.
    autoscaling.set_instance_health(InstanceId=kept, HealthStatus="Unhealthy")
    statuses = {i["InstanceId"]: i["HealthStatus"] for i in group(autoscaling)["Instances"]}
    assert statuses[kept] == "Healthy"

    autoscaling.set_instance_health(InstanceId=forced, HealthStatus="Unhealthy", ShouldRespectGracePeriod=False)
    members = wait_for(_replaced(autoscaling, forced, 2))
    assert kept in members
    assert instances(ec2, [forced])[0]["State"]["Name"] == "terminated"


def test_set_instance_health_rejects_bad_input(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    build_stack(ec2, elbv2, autoscaling, capacity=1, health_check_type="EC2")
    (member,) = _members(autoscaling)
    with pytest.raises(ClientError) as err:
        autoscaling.set_instance_health(InstanceId=member, HealthStatus="Sick")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as err:
        autoscaling.set_instance_health(InstanceId="i-0123456789abcdef0", HealthStatus="Unhealthy")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_suspended_replace_unhealthy_keeps_unhealthy_instances(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    build_stack(ec2, elbv2, autoscaling, capacity=2, health_check_type="EC2")
    autoscaling.suspend_processes(AutoScalingGroupName="app", ScalingProcesses=["ReplaceUnhealthy"])
    victim, _ = _members(autoscaling)
    ec2.stop_instances(InstanceIds=[victim])

    def reported_unhealthy():
        found = [i for i in group(autoscaling)["Instances"] if i["InstanceId"] == victim]
        return found and found[0]["HealthStatus"] == "Unhealthy"

    wait_for(reported_unhealthy)
    autoscaling.resume_processes(AutoScalingGroupName="app", ScalingProcesses=["ReplaceUnhealthy"])
    wait_for(_replaced(autoscaling, victim, 2))


def test_described_instance_status_of_a_running_instance_is_ok(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    build_stack(ec2, elbv2, autoscaling, capacity=1, health_check_type="EC2")
    (member,) = _members(autoscaling)
    (status,) = ec2.describe_instance_status(InstanceIds=[member])["InstanceStatuses"]
    assert status["InstanceStatus"]["Status"] == "ok"
    assert status["SystemStatus"]["Status"] == "ok"


def test_a_failed_refresh_leaves_instances_that_are_healed_from_the_groups_configuration(emu_fast):
    ec2, elbv2, autoscaling = _clients(emu_fast)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2, health_check_type="ELB")
    emu_fast.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
    )["InstanceRefreshId"]

    def finished():
        found = autoscaling.describe_instance_refreshes(
            AutoScalingGroupName="app", InstanceRefreshIds=[refresh_id]
        )["InstanceRefreshes"][0]
        return found["Status"] in ("Successful", "Failed") and found

    done = wait_for(finished)
    # The refresh judged its own batch: its reason names the target group.
    assert done["Status"] == "Failed"
    assert stack.target_group_arn in done["StatusReason"]

    def back_on_version_1():
        described = group(autoscaling)["Instances"]
        versions = [i["LaunchTemplate"]["Version"] for i in described]
        return versions == ["1", "1"] and described

    wait_for(back_on_version_1)
    health = target_health(elbv2, stack.target_group_arn)
    assert len(health) == 2 and all(h["State"] == "healthy" for h in health.values())
