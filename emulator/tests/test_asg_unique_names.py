"""CreateAutoScalingGroup refuses a name in use (autoscaling/unique_names.py)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images


def _template(ec2: Any) -> str:
    return ec2.create_launch_template(
        LaunchTemplateName="web", LaunchTemplateData={"ImageId": al2023_images(ec2)[0]}
    )["LaunchTemplate"]["LaunchTemplateId"]


def _create(autoscaling: Any, template: str, max_size: int) -> None:
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="app",
        MinSize=0,
        MaxSize=max_size,
        LaunchTemplate={"LaunchTemplateId": template},
        AvailabilityZones=["us-east-1a"],
    )


def test_a_second_group_of_the_same_name_is_refused_and_the_first_is_untouched(emu):
    ec2, autoscaling = emu.client("ec2"), emu.client("autoscaling")
    template = _template(ec2)
    _create(autoscaling, template, max_size=1)
    with pytest.raises(ClientError) as excinfo:
        _create(autoscaling, template, max_size=3)
    error = excinfo.value.response["Error"]
    assert error["Code"] == "AlreadyExists"
    assert "app" in error["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["app"])["AutoScalingGroups"]
    assert group["MaxSize"] == 1


def test_a_deleted_groups_name_can_be_used_again(emu):
    ec2, autoscaling = emu.client("ec2"), emu.client("autoscaling")
    template = _template(ec2)
    _create(autoscaling, template, max_size=1)
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName="app", ForceDelete=True)
    _create(autoscaling, template, max_size=2)
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["app"])["AutoScalingGroups"]
    assert group["MaxSize"] == 2
