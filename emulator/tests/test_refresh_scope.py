"""Which instances an instance refresh replaces: SkipMatching, ScaleInProtectedInstances,
StandbyInstances, and the combinations StartInstanceRefresh refuses."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images, build_stack, group, instances, two_subnets
from emulator.tests.refresh_support import clients, desired, follow, start, unvalidated_autoscaling, until, versions

HONORED = {"instance_warmup_honored": True}


def _ids(autoscaling) -> set[str]:
    return {i["InstanceId"] for i in group(autoscaling)["Instances"]}


def test_skip_matching_counts_matching_instances_as_updated(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, group_version="2")
    on_v2 = _ids(autoscaling)
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="app",
        LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "1"},
        DesiredCapacity=4,
    )
    assert versions(group(autoscaling)) == ["1", "1", "2", "2"]
    # Steps of a second: the first description after Pending comes before any replacement.
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 1.0})

    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"SkipMatching": True, "MinHealthyPercentage": 100},
    )
    planned = until(autoscaling, refresh_id, lambda r: r["Status"] != "Pending")
    assert planned["PercentageComplete"] == 50 and planned["InstancesToUpdate"] == 2
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and done["PercentageComplete"] == 100
    assert on_v2 <= _ids(autoscaling) and versions(group(autoscaling)) == ["2", "2", "2", "2"]


def test_protected_instances_are_replaced_with_refresh(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    protected = sorted(_ids(autoscaling))[0]
    autoscaling.set_instance_protection(AutoScalingGroupName="app", InstanceIds=[protected], ProtectedFromScaleIn=True)

    refresh_id = start(
        autoscaling, DesiredConfiguration=desired(stack.template_id), Preferences={"ScaleInProtectedInstances": "Refresh"}
    )
    assert follow(autoscaling, refresh_id)["Status"] == "Successful"
    assert protected not in _ids(autoscaling) and versions(group(autoscaling)) == ["2", "2"]


def test_protected_instances_are_left_alone_with_ignore(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    protected = sorted(_ids(autoscaling))[0]
    autoscaling.set_instance_protection(AutoScalingGroupName="app", InstanceIds=[protected], ProtectedFromScaleIn=True)

    refresh_id = start(
        autoscaling, DesiredConfiguration=desired(stack.template_id), Preferences={"ScaleInProtectedInstances": "Ignore"}
    )
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and done["PercentageComplete"] == 100
    assert protected in _ids(autoscaling) and versions(group(autoscaling)) == ["1", "2"]


def test_protected_instances_fail_the_refresh_after_the_wait(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    protected = sorted(_ids(autoscaling))[0]
    autoscaling.set_instance_protection(AutoScalingGroupName="app", InstanceIds=[protected], ProtectedFromScaleIn=True)

    # Wait is the default; without the speed knob the hour is one step.
    refresh_id = start(autoscaling, DesiredConfiguration=desired(stack.template_id))
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Failed"
    assert f"{protected} (protected from scale in)" in done["StatusReason"]
    assert done["Preferences"]["ScaleInProtectedInstances"] == "Wait"
    # The unprotected instance was replaced first.
    assert protected in _ids(autoscaling) and versions(group(autoscaling)) == ["1", "2"]
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"


def test_a_refresh_goes_on_once_protection_is_removed(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    protected = sorted(_ids(autoscaling))[0]
    autoscaling.set_instance_protection(AutoScalingGroupName="app", InstanceIds=[protected], ProtectedFromScaleIn=True)
    emu.ok("POST", "/_emulator/timing", HONORED)

    refresh_id = start(autoscaling, DesiredConfiguration=desired(stack.template_id), Preferences={"InstanceWarmup": 0})
    waiting = until(autoscaling, refresh_id, lambda r: "Waiting for instances" in r.get("StatusReason", ""))
    assert waiting["Status"] == "InProgress" and protected in waiting["StatusReason"]
    autoscaling.set_instance_protection(AutoScalingGroupName="app", InstanceIds=[protected], ProtectedFromScaleIn=False)

    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and "StatusReason" not in done
    assert protected not in _ids(autoscaling) and versions(group(autoscaling)) == ["2", "2"]


def _standby_one(autoscaling) -> str:
    standby = sorted(_ids(autoscaling))[0]
    autoscaling.enter_standby(AutoScalingGroupName="app", InstanceIds=[standby], ShouldDecrementDesiredCapacity=True)
    return standby


def _lifecycle(autoscaling, instance_id: str) -> str | None:
    found = [i for i in group(autoscaling)["Instances"] if i["InstanceId"] == instance_id]
    return found[0]["LifecycleState"] if found else None


def test_standby_instances_are_terminated_with_terminate(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    standby = _standby_one(autoscaling)

    refresh_id = start(autoscaling, DesiredConfiguration=desired(stack.template_id), Preferences={"StandbyInstances": "Terminate"})
    assert follow(autoscaling, refresh_id)["Status"] == "Successful"
    assert _lifecycle(autoscaling, standby) is None
    assert instances(ec2, [standby])[0]["State"]["Name"] == "terminated"
    assert versions(group(autoscaling)) == ["2"]


def test_standby_instances_are_left_alone_with_ignore(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    standby = _standby_one(autoscaling)

    refresh_id = start(autoscaling, DesiredConfiguration=desired(stack.template_id), Preferences={"StandbyInstances": "Ignore"})
    assert follow(autoscaling, refresh_id)["Status"] == "Successful"
    assert _lifecycle(autoscaling, standby) == "Standby"
    assert versions(group(autoscaling)) == ["1", "2"]


def test_standby_instances_fail_the_refresh_after_the_wait(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    standby = _standby_one(autoscaling)

    refresh_id = start(autoscaling, DesiredConfiguration=desired(stack.template_id))
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Failed" and f"{standby} (in Standby)" in done["StatusReason"]
    assert done["Preferences"]["StandbyInstances"] == "Wait"
    assert _lifecycle(autoscaling, standby) == "Standby"


def test_a_standby_instance_back_in_service_is_replaced(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    standby = _standby_one(autoscaling)
    emu.ok("POST", "/_emulator/timing", HONORED)

    refresh_id = start(autoscaling, DesiredConfiguration=desired(stack.template_id), Preferences={"InstanceWarmup": 0})
    until(autoscaling, refresh_id, lambda r: "Waiting for instances" in r.get("StatusReason", ""))
    autoscaling.exit_standby(AutoScalingGroupName="app", InstanceIds=[standby])

    assert follow(autoscaling, refresh_id)["Status"] == "Successful"
    assert standby not in _ids(autoscaling) and versions(group(autoscaling)) == ["2", "2"]


def test_describe_shows_the_preferences_and_progress_as_documented(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    first = start(autoscaling, DesiredConfiguration=desired(stack.template_id))
    done = follow(autoscaling, first)
    # The defaults the user guide lists as values; MaxHealthyPercentage, InstanceWarmup,
    # BakeTime and AlarmSpecification are null unless given.
    assert done["Preferences"] == {
        "MinHealthyPercentage": 90,
        "SkipMatching": False,
        "AutoRollback": False,
        "ScaleInProtectedInstances": "Wait",
        "StandbyInstances": "Wait",
    }
    assert done["ProgressDetails"]["LivePoolProgress"] == {"PercentageComplete": 100, "InstancesToUpdate": 0}
    assert done["ProgressDetails"]["WarmPoolProgress"] == {"PercentageComplete": 0, "InstancesToUpdate": 0}

    given = {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 150, "InstanceWarmup": 5, "BakeTime": 0}
    second = start(autoscaling, DesiredConfiguration=desired(stack.template_id, "1"), Preferences=given)
    shown = follow(autoscaling, second)["Preferences"]
    assert {k: shown[k] for k in given} == given and "CheckpointDelay" not in shown


def test_auto_rollback_without_a_desired_configuration_is_refused(emu):
    ec2, elbv2, autoscaling = clients(emu)
    build_stack(ec2, elbv2, autoscaling)
    with pytest.raises(ClientError) as err:
        start(autoscaling, Preferences={"AutoRollback": True})
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "desired configuration" in err.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "preferences",
    [{"ScaleInProtectedInstances": "Replace"}, {"StandbyInstances": "Refresh"}, {"StandbyInstances": "wait"}],
)
def test_unknown_protected_and_standby_choices_are_refused(emu, preferences):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    with pytest.raises(ClientError) as err:
        start(unvalidated_autoscaling(emu), DesiredConfiguration=desired(stack.template_id), Preferences=preferences)
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_skip_matching_on_a_launch_configuration_group_needs_a_launch_template(emu):
    ec2, elbv2, autoscaling = clients(emu)
    build_stack(ec2, elbv2, autoscaling)
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="old-style", ImageId=al2023_images(ec2)[0], InstanceType="t3.micro"
    )
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="legacy",
        LaunchConfigurationName="old-style",
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        VPCZoneIdentifier=two_subnets(ec2)[0]["SubnetId"],
    )
    with pytest.raises(ClientError) as err:
        autoscaling.start_instance_refresh(AutoScalingGroupName="legacy", Preferences={"SkipMatching": True})
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "launch configuration" in err.value.response["Error"]["Message"]


def test_auto_rollback_to_a_template_with_a_parameter_image_is_refused(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    ec2.create_launch_template_version(
        LaunchTemplateId=stack.template_id,
        LaunchTemplateData={"ImageId": "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"},
    )
    ec2.create_launch_template_version(
        LaunchTemplateId=stack.template_id, LaunchTemplateData={"ImageId": stack.image_v2, "InstanceType": "t3.small"}
    )
    # The group's own (previous) configuration: version 3, whose image is a parameter.
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="app", LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "3"}
    )
    with pytest.raises(ClientError) as err:
        start(autoscaling, DesiredConfiguration=desired(stack.template_id, "4"), Preferences={"AutoRollback": True})
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "Systems Manager parameter" in err.value.response["Error"]["Message"]
