"""IAM propagation: iam_propagation_seconds makes a new instance profile unusable for a while."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images, build_stack, group, instance_profile, two_subnets
from emulator.tests.conftest import wait_for

WINDOW = 2.0


def _error(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def _quietly(call, **kwargs):
    def attempt():
        try:
            return call(**kwargs)
        except ClientError:
            return None

    return attempt


def _invalid(name, field="name", what="name"):
    return f"Value ({name}) for parameter iamInstanceProfile.{field} is invalid. Invalid IAM Instance Profile {what}"


def test_run_instances_refuses_a_new_profile_until_it_propagates(emu):
    ec2, iam = emu.client("ec2"), emu.client("iam")
    image = al2023_images(ec2)[0]
    emu.ok("POST", "/_emulator/timing", {"iam_propagation_seconds": WINDOW})
    profile = instance_profile(iam, "web-profile")
    arn = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]

    assert _error(
        ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": profile}
    ) == ("InvalidParameterValue", _invalid(profile))
    assert _error(
        ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Arn": arn}
    ) == ("InvalidParameterValue", _invalid(arn, "arn", "ARN"))
    template = ec2.create_launch_template(
        LaunchTemplateName="web-template",
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile}},
    )["LaunchTemplate"]["LaunchTemplateId"]
    assert _error(
        ec2.run_instances, MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template, "Version": "1"}
    ) == ("InvalidParameterValue", _invalid(profile))
    assert ec2.describe_instances()["Reservations"] == []
    # An instance without a profile is not affected.
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)

    launched = wait_for(
        _quietly(ec2.run_instances, ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": profile}),
        timeout=WINDOW + 5,
        interval=0.2,
    )
    assert launched["Instances"][0]["IamInstanceProfile"]["Arn"] == arn


def test_auto_scaling_refuses_a_template_with_a_new_profile(emu):
    ec2, iam, autoscaling = emu.client("ec2"), emu.client("iam"), emu.client("autoscaling")
    image = al2023_images(ec2)[0]
    subnet = two_subnets(ec2)[0]["SubnetId"]
    emu.ok("POST", "/_emulator/timing", {"iam_propagation_seconds": WINDOW})
    profile = instance_profile(iam, "web-profile")
    template = ec2.create_launch_template(
        LaunchTemplateName="web-template",
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile}},
    )["LaunchTemplate"]["LaunchTemplateId"]
    create = dict(
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=1,
        MaxSize=2,
        VPCZoneIdentifier=subnet,
    )

    code, message = _error(autoscaling.create_auto_scaling_group, **create)
    assert code == "ValidationError"
    assert message == "You must use a valid fully-formed launch template. " + _invalid(profile)
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    wait_for(_quietly(autoscaling.create_auto_scaling_group, **create), timeout=WINDOW + 5, interval=0.2)
    assert len(group(autoscaling, "web")["Instances"]) == 1

    # UpdateAutoScalingGroup onto a version with another new profile is refused too.
    other = instance_profile(iam, "other-profile")
    ec2.create_launch_template_version(
        LaunchTemplateId=template,
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": other}},
    )
    code, message = _error(
        autoscaling.update_auto_scaling_group,
        AutoScalingGroupName="web",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "2"},
    )
    assert (code, message) == ("ValidationError", "You must use a valid fully-formed launch template. " + _invalid(other))
    assert group(autoscaling, "web")["LaunchTemplate"]["Version"] == "1"


def test_group_launches_fail_until_the_profile_propagates(emu):
    ec2, elbv2, autoscaling, iam = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling"), emu.client("iam")
    stack = build_stack(ec2, elbv2, autoscaling, capacity=1, group_version="$Latest")
    emu.ok("POST", "/_emulator/timing", {"iam_propagation_seconds": WINDOW})
    profile = instance_profile(iam, "late-profile")
    image = al2023_images(ec2)[0]
    ec2.create_launch_template_version(
        LaunchTemplateId=stack.template_id,
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile}},
    )

    # The scale-out is accepted, but its launch fails: the group stays short.
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=2)
    described = group(autoscaling)
    assert described["DesiredCapacity"] == 2 and len(described["Instances"]) == 1

    # Auto Scaling retries; once the profile has propagated the instance is launched.
    wait_for(lambda: len(group(autoscaling)["Instances"]) == 2, timeout=WINDOW + 5, interval=0.2)
    newest = [i for i in group(autoscaling)["Instances"] if i["LaunchTemplate"]["Version"] == "3"]
    assert len(newest) == 1
    reservation = ec2.describe_instances(InstanceIds=[newest[0]["InstanceId"]])["Reservations"][0]
    assert reservation["Instances"][0]["IamInstanceProfile"]["Arn"].endswith("/late-profile")
