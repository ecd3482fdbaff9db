"""Builders for the AWS resources the emulator tests need (via boto3 only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_images: list[str] = []


def al2023_images(ec2: Any) -> list[str]:
    """Ids of Amazon Linux 2023 AMIs from moto's built-in catalogue (cached)."""
    if not _images:
        found = ec2.describe_images(
            Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*x86_64"]}]
        )["Images"]
        _images.extend(sorted(i["ImageId"] for i in found))
    assert len(_images) >= 2
    return _images


def two_subnets(ec2: Any) -> list[dict[str, str]]:
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: s for s in subnets}
    return [by_zone["us-east-1a"], by_zone["us-east-1b"]]


def instance_profile(iam: Any, name: str = "ssm-profile") -> str:
    role = f"{name}-role"
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    iam.attach_role_policy(
        RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    )
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    return name


@dataclass
class Stack:
    group: str
    template_id: str
    target_group_arn: str
    image_v1: str
    image_v2: str
    subnets: list[str]


def build_stack(
    ec2: Any,
    elbv2: Any,
    autoscaling: Any,
    capacity: int = 2,
    max_size: int = 4,
    health_check_type: str = "ELB",
    group_version: str = "1",
    profile: str | None = None,
) -> Stack:
    """A launch template with versions 1 (image A) and 2 (image B), a target group and
    an Auto Scaling group on version `group_version` over two subnets in two zones."""
    image_v1, image_v2 = al2023_images(ec2)[:2]
    subnets = two_subnets(ec2)
    data: dict[str, Any] = {"ImageId": image_v1, "InstanceType": "t3.micro"}
    if profile:
        data["IamInstanceProfile"] = {"Name": profile}
    template = ec2.create_launch_template(LaunchTemplateName="app-template", LaunchTemplateData=data)
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(
        LaunchTemplateId=template_id, LaunchTemplateData={**data, "ImageId": image_v2, "InstanceType": "t3.small"}
    )
    vpc_id = subnets[0]["VpcId"]
    target_group = elbv2.create_target_group(
        Name="app-targets", Protocol="HTTP", Port=80, VpcId=vpc_id, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="app",
        LaunchTemplate={"LaunchTemplateId": template_id, "Version": group_version},
        MinSize=1,
        MaxSize=max_size,
        DesiredCapacity=capacity,
        VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        TargetGroupARNs=[target_group],
        HealthCheckType=health_check_type,
        HealthCheckGracePeriod=0,
    )
    return Stack("app", template_id, target_group, image_v1, image_v2, [s["SubnetId"] for s in subnets])


def group(autoscaling: Any, name: str = "app") -> dict[str, Any]:
    return autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def instances(ec2: Any, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    reservations = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def target_health(elbv2: Any, arn: str) -> dict[str, dict[str, Any]]:
    described = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"] for d in described}


def refresh(autoscaling: Any, refresh_id: str, name: str = "app") -> dict[str, Any]:
    return autoscaling.describe_instance_refreshes(
        AutoScalingGroupName=name, InstanceRefreshIds=[refresh_id]
    )["InstanceRefreshes"][0]
