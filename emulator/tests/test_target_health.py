"""DescribeTargetHealth: unhealthy images and instances, unknown targets, ASG HealthStatus."""

from __future__ import annotations

from emulator.tests.aws_stack import al2023_images, build_stack, group, target_health


def _clients(emu):
    return emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")


def test_instances_from_an_unhealthy_image_fail_health_checks(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2)
    # Target health is what is checked here; healing would replace the failing
    # instances (test_healing.py).
    autoscaling.suspend_processes(AutoScalingGroupName="app", ScalingProcesses=["ReplaceUnhealthy"])
    assert {h["State"] for h in target_health(elbv2, stack.target_group_arn).values()} == {"healthy"}

    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v1})
    health = target_health(elbv2, stack.target_group_arn)
    assert {h["State"] for h in health.values()} == {"unhealthy"}
    assert {h["Reason"] for h in health.values()} == {"Target.FailedHealthChecks"}
    assert {i["HealthStatus"] for i in group(autoscaling)["Instances"]} == {"Unhealthy"}

    emu.ok("DELETE", "/_emulator/unhealthy-images", {"image_id": stack.image_v1})
    assert {h["State"] for h in target_health(elbv2, stack.target_group_arn).values()} == {"healthy"}
    assert {i["HealthStatus"] for i in group(autoscaling)["Instances"]} == {"Healthy"}


def test_a_single_instance_can_be_marked_unhealthy(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=2)
    # Target health is what is checked here; healing would replace the failing
    # instances (test_healing.py).
    autoscaling.suspend_processes(AutoScalingGroupName="app", ScalingProcesses=["ReplaceUnhealthy"])
    sick, well = [i["InstanceId"] for i in group(autoscaling)["Instances"]]

    emu.ok("POST", "/_emulator/unhealthy-instances", {"instance_id": sick})
    health = target_health(elbv2, stack.target_group_arn)
    assert health[sick]["State"] == "unhealthy" and health[well]["State"] == "healthy"


def test_unknown_and_stopped_targets_are_never_healthy(emu):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    arn = elbv2.create_target_group(Name="loose", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0][
        "TargetGroupArn"
    ]
    image = al2023_images(ec2)[0]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "i-0123456789abcdef0"}, {"Id": instance}])

    health = target_health(elbv2, arn)
    assert health["i-0123456789abcdef0"]["State"] == "unused"
    assert health["i-0123456789abcdef0"]["Reason"] == "Target.InvalidState"
    assert health[instance]["State"] == "healthy"

    ec2.stop_instances(InstanceIds=[instance])
    assert target_health(elbv2, arn)[instance]["State"] == "unused"
    ec2.terminate_instances(InstanceIds=[instance])
    assert instance not in target_health(elbv2, arn)
