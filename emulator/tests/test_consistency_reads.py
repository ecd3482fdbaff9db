"""Eventual consistency of reads: with consistency_delay_seconds set, a
just-created EC2, load balancing, Auto Scaling or IAM resource is not found by
a read that names it (each service's own NotFound error, in its own protocol;
Auto Scaling leaves the group out of the answer) while unfiltered lists show
it; once the delay is over every read finds it. The default is consistent.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from emulator.tests.aws_stack import al2023_images, two_subnets
from emulator.tests.conftest import wait_for
from emulator.tests.consistency_support import DELAY, client_error, quietly


TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def test_default_is_consistent(emu):
    assert emu.ok("GET", "/_emulator/timing")["timing"]["consistency_delay_seconds"] == 0
    ec2 = emu.client("ec2")
    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    assert ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["GroupId"] == group_id


def test_ec2_resources_are_not_found_right_after_creation(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    image = al2023_images(ec2)[0]
    first = time.monotonic()

    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    assert client_error(ec2.describe_security_groups, GroupIds=[group_id]) == (
        "InvalidGroup.NotFound",
        f"The security group '{group_id}' does not exist",
        400,
    )
    assert group_id in {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}

    template = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]
    template_id = template["LaunchTemplateId"]
    code, message, status = client_error(ec2.describe_launch_templates, LaunchTemplateIds=[template_id])
    assert (code, status) == ("InvalidLaunchTemplateId.NotFound", 400)
    assert "does not exist" in message
    code, _, _ = client_error(ec2.describe_launch_templates, LaunchTemplateNames=["web-template"])
    assert code == "InvalidLaunchTemplateName.NotFoundException"
    code, message, _ = client_error(ec2.describe_launch_template_versions, LaunchTemplateId=template_id)
    assert code == "InvalidLaunchTemplateId.NotFound" and template_id in message
    code, message, _ = client_error(ec2.describe_launch_template_versions, LaunchTemplateName="web-template")
    assert code == "InvalidLaunchTemplateName.NotFoundException" and "web-template" in message

    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    assert client_error(ec2.describe_instances, InstanceIds=[instance_id]) == (
        "InvalidInstanceID.NotFound",
        f"The instance ID '{instance_id}' does not exist",
        400,
    )

    image_id = ec2.create_image(InstanceId=instance_id, Name="web-image")["ImageId"]
    assert client_error(ec2.describe_images, ImageIds=[image_id]) == (
        "InvalidAMIID.NotFound",
        f"The image id '[{image_id}]' does not exist",
        400,
    )
    # Resources that are not young are visible as always.
    assert ec2.describe_images(ImageIds=[image])["Images"][0]["ImageId"] == image
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"

    # After the delay every one of them is there.
    wait_for(quietly(ec2.describe_images, ImageIds=[image_id]), timeout=DELAY + 5)
    assert ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    assert ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"]
    assert ec2.describe_launch_template_versions(LaunchTemplateName="web-template")["LaunchTemplateVersions"]
    assert ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]


def test_load_balancer_resources_are_not_found_right_after_creation(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = two_subnets(ec2)
    first = time.monotonic()

    target_group = elbv2.create_target_group(
        Name="web-targets", Protocol="HTTP", Port=80, VpcId=subnets[0]["VpcId"], TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    for kwargs in ({"TargetGroupArns": [target_group]}, {"Names": ["web-targets"]}):
        assert client_error(elbv2.describe_target_groups, **kwargs) == (
            "TargetGroupNotFound",
            "One or more target groups not found",
            400,
        )
    assert client_error(elbv2.describe_target_group_attributes, TargetGroupArn=target_group)[0] == "TargetGroupNotFound"

    balancer = elbv2.create_load_balancer(Name="web", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0]
    arn = balancer["LoadBalancerArn"]
    for kwargs in ({"LoadBalancerArns": [arn]}, {"Names": ["web"]}):
        assert client_error(elbv2.describe_load_balancers, **kwargs) == (
            "LoadBalancerNotFound",
            "One or more load balancers not found",
            400,
        )
    assert client_error(elbv2.describe_load_balancer_attributes, LoadBalancerArn=arn)[0] == "LoadBalancerNotFound"
    assert arn in {lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}

    listener = elbv2.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )["Listeners"][0]["ListenerArn"]
    assert client_error(elbv2.describe_listeners, ListenerArns=[listener]) == (
        "ListenerNotFound",
        "One or more listeners not found",
        400,
    )
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"

    wait_for(quietly(elbv2.describe_listeners, ListenerArns=[listener]), timeout=DELAY + 5)
    assert elbv2.describe_load_balancers(Names=["web"])["LoadBalancers"][0]["LoadBalancerArn"] == arn
    assert elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"]


def test_auto_scaling_group_is_left_out_of_describe_by_name(emu):
    delay = 1.5
    ec2, autoscaling = emu.client("ec2"), emu.client("autoscaling")
    template_id = ec2.create_launch_template(
        LaunchTemplateName="web-template",
        LaunchTemplateData={"ImageId": al2023_images(ec2)[0], "InstanceType": "t3.micro"},
    )["LaunchTemplate"]["LaunchTemplateId"]
    subnet = two_subnets(ec2)[0]["SubnetId"]

    def create(name):
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateId": template_id, "Version": "1"},
            MinSize=0,
            MaxSize=1,
            DesiredCapacity=0,
            VPCZoneIdentifier=subnet,
        )

    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": delay})
    create("old")
    names = lambda *n: [g["AutoScalingGroupName"] for g in autoscaling.describe_auto_scaling_groups(  # noqa: E731
        AutoScalingGroupNames=list(n))["AutoScalingGroups"]]
    assert names("old") == []  # no error: an unknown name is simply not listed
    wait_for(lambda: names("old") == ["old"], timeout=delay + 5)

    create("new")
    assert names("old", "new") == ["old"]
    assert names("new") == []
    assert sorted(g["AutoScalingGroupName"] for g in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]) == [
        "new",
        "old",
    ]
    wait_for(lambda: names("old", "new") == ["new", "old"] or names("old", "new") == ["old", "new"], timeout=delay + 5)


def test_iam_role_and_instance_profile_are_not_found_right_after_creation(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    iam = emu.client("iam")
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=TRUST)
    assert client_error(iam.get_role, RoleName="web-role") == (
        "NoSuchEntity",
        "The role with name web-role cannot be found.",
        404,
    )
    iam.create_instance_profile(InstanceProfileName="web-profile")
    assert client_error(iam.get_instance_profile, InstanceProfileName="web-profile") == (
        "NoSuchEntity",
        "Instance Profile web-profile cannot be found.",
        404,
    )
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["web-role"]

    wait_for(quietly(iam.get_instance_profile, InstanceProfileName="web-profile"), timeout=DELAY + 5)
    assert iam.get_role(RoleName="web-role")["Role"]["RoleName"] == "web-role"


def test_errors_use_the_service_protocol(emu):
    """The raw answers: EC2's <Response><Errors>, the query protocol's <ErrorResponse>."""
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2, iam = emu.client("ec2"), emu.client("iam")
    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=TRUST)

    def raw(service, body):
        request = urllib.request.Request(
            emu.url + "/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/{service}/aws4_request, "
                "SignedHeaders=host, Signature=0",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    status, body = raw("ec2", f"Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1={group_id}".encode())
    assert status == 400
    assert "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code>" in body and "<RequestID>" in body
    status, body = raw("iam", b"Action=GetRole&Version=2010-05-08&RoleName=web-role")
    assert status == 404
    assert "<ErrorResponse" in body and "<Type>Sender</Type><Code>NoSuchEntity</Code>" in body
