"""Eventual consistency: consistency_delay_seconds hides just-created resources from reads by id,
from writes that name them and from tag-filtered lists."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images, two_subnets
from emulator.tests.conftest import wait_for

DELAY = 3.0
TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)


def _error(call, *args, **kwargs):
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def _quietly(call, *args, **kwargs):
    """For wait_for: the call's answer, or None while it fails."""

    def attempt():
        try:
            return call(*args, **kwargs)
        except ClientError:
            return None

    return attempt


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
    assert _error(ec2.describe_security_groups, GroupIds=[group_id]) == (
        "InvalidGroup.NotFound",
        f"The security group '{group_id}' does not exist",
        400,
    )
    assert group_id in {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}

    template = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]
    template_id = template["LaunchTemplateId"]
    code, message, status = _error(ec2.describe_launch_templates, LaunchTemplateIds=[template_id])
    assert (code, status) == ("InvalidLaunchTemplateId.NotFound", 400)
    assert "does not exist" in message
    code, _, _ = _error(ec2.describe_launch_templates, LaunchTemplateNames=["web-template"])
    assert code == "InvalidLaunchTemplateName.NotFoundException"
    code, message, _ = _error(ec2.describe_launch_template_versions, LaunchTemplateId=template_id)
    assert code == "InvalidLaunchTemplateId.NotFound" and template_id in message
    code, message, _ = _error(ec2.describe_launch_template_versions, LaunchTemplateName="web-template")
    assert code == "InvalidLaunchTemplateName.NotFoundException" and "web-template" in message

    instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    assert _error(ec2.describe_instances, InstanceIds=[instance_id]) == (
        "InvalidInstanceID.NotFound",
        f"The instance ID '{instance_id}' does not exist",
        400,
    )

    image_id = ec2.create_image(InstanceId=instance_id, Name="web-image")["ImageId"]
    assert _error(ec2.describe_images, ImageIds=[image_id]) == (
        "InvalidAMIID.NotFound",
        f"The image id '[{image_id}]' does not exist",
        400,
    )
    # Resources that are not young are visible as always.
    assert ec2.describe_images(ImageIds=[image])["Images"][0]["ImageId"] == image
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"

    # After the delay every one of them is there.
    wait_for(_quietly(ec2.describe_images, ImageIds=[image_id]), timeout=DELAY + 5)
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
        assert _error(elbv2.describe_target_groups, **kwargs) == (
            "TargetGroupNotFound",
            "One or more target groups not found",
            400,
        )
    assert _error(elbv2.describe_target_group_attributes, TargetGroupArn=target_group)[0] == "TargetGroupNotFound"

    balancer = elbv2.create_load_balancer(Name="web", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0]
    arn = balancer["LoadBalancerArn"]
    for kwargs in ({"LoadBalancerArns": [arn]}, {"Names": ["web"]}):
        assert _error(elbv2.describe_load_balancers, **kwargs) == (
            "LoadBalancerNotFound",
            "One or more load balancers not found",
            400,
        )
    assert _error(elbv2.describe_load_balancer_attributes, LoadBalancerArn=arn)[0] == "LoadBalancerNotFound"
    assert arn in {lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]}

    listener = elbv2.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )["Listeners"][0]["ListenerArn"]
    assert _error(elbv2.describe_listeners, ListenerArns=[listener]) == (
        "ListenerNotFound",
        "One or more listeners not found",
        400,
    )
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"

    wait_for(_quietly(elbv2.describe_listeners, ListenerArns=[listener]), timeout=DELAY + 5)
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
    assert _error(iam.get_role, RoleName="web-role") == (
        "NoSuchEntity",
        "The role with name web-role cannot be found.",
        404,
    )
    iam.create_instance_profile(InstanceProfileName="web-profile")
    assert _error(iam.get_instance_profile, InstanceProfileName="web-profile") == (
        "NoSuchEntity",
        "Instance Profile web-profile cannot be found.",
        404,
    )
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["web-role"]

    wait_for(_quietly(iam.get_instance_profile, InstanceProfileName="web-profile"), timeout=DELAY + 5)
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


# --- writes and tag-filtered lists ---------------------------------------------------

RULE = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]


def _lagging(emu):
    return emu.ok("GET", "/_emulator/calls")["lagging"]


def test_default_mode_writes_to_a_new_resource_work_at_once(emu):
    ec2 = emu.client("ec2")
    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=RULE)
    ec2.create_tags(Resources=[group_id], Tags=[{"Key": "app", "Value": "web"}])
    assert ec2.describe_security_groups(Filters=[{"Name": "tag:app", "Values": ["web"]}])["SecurityGroups"]
    assert _lagging(emu) == {}


def test_security_group_rule_changes_fail_while_the_group_is_young(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    first = time.monotonic()
    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    expected = ("InvalidGroup.NotFound", f"The security group '{group_id}' does not exist", 400)
    for call in (
        ec2.authorize_security_group_ingress,
        ec2.authorize_security_group_egress,
        ec2.revoke_security_group_ingress,
        ec2.revoke_security_group_egress,
    ):
        assert _error(call, GroupId=group_id, IpPermissions=RULE) == expected
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"
    assert _lagging(emu) == {
        "ec2:AuthorizeSecurityGroupEgress": 1,
        "ec2:AuthorizeSecurityGroupIngress": 1,
        "ec2:RevokeSecurityGroupEgress": 1,
        "ec2:RevokeSecurityGroupIngress": 1,
    }
    # Bounded: once the lag is over the same call works.
    wait_for(_quietly(ec2.authorize_security_group_ingress, GroupId=group_id, IpPermissions=RULE), timeout=DELAY + 5)
    rules = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]
    assert [r["FromPort"] for r in rules] == [80]


def test_tag_writes_on_a_new_id_answer_that_ids_not_found_code(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    old_image = al2023_images(ec2)[0]
    tag = [{"Key": "app", "Value": "web"}]
    first = time.monotonic()
    instance_id = ec2.run_instances(ImageId=old_image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    template_id = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": old_image}
    )["LaunchTemplate"]["LaunchTemplateId"]
    image_id = ec2.create_image(InstanceId=instance_id, Name="web-image")["ImageId"]

    for call in (ec2.create_tags, ec2.delete_tags):
        assert _error(call, Resources=[instance_id], Tags=tag) == (
            "InvalidInstanceID.NotFound",
            f"The instance ID '{instance_id}' does not exist",
            400,
        )
    assert _error(ec2.create_tags, Resources=[group_id], Tags=tag)[0] == "InvalidGroup.NotFound"
    code, message, _ = _error(ec2.create_tags, Resources=[template_id], Tags=tag)
    assert code == "InvalidLaunchTemplateId.NotFound" and template_id in message
    assert _error(ec2.create_tags, Resources=[image_id], Tags=tag)[:2] == (
        "InvalidAMIID.NotFound",
        f"The image id '[{image_id}]' does not exist",
    )
    # One young id fails the whole call; an old one alone is tagged at once.
    assert _error(ec2.create_tags, Resources=[old_image, group_id], Tags=tag)[0] == "InvalidGroup.NotFound"
    ec2.create_tags(Resources=[old_image], Tags=tag)
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"
    assert _lagging(emu)["ec2:CreateTags"] == 5

    wait_for(_quietly(ec2.create_tags, Resources=[image_id], Tags=tag), timeout=DELAY + 5)
    ec2.create_tags(Resources=[instance_id, group_id, template_id], Tags=tag)
    ec2.delete_tags(Resources=[instance_id], Tags=tag)


def test_terminate_of_a_fresh_instance_is_not_found_until_its_lag_is_over(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    instance_id = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    assert _error(ec2.terminate_instances, InstanceIds=[instance_id]) == (
        "InvalidInstanceID.NotFound",
        f"The instance ID '{instance_id}' does not exist",
        400,
    )
    assert _lagging(emu) == {"ec2:TerminateInstances": 1}
    # The failed call changed nothing: the instance still runs.
    states = ec2.describe_instances()["Reservations"][0]["Instances"]
    assert [i["State"]["Name"] for i in states] == ["running"]
    wait_for(_quietly(ec2.terminate_instances, InstanceIds=[instance_id]), timeout=DELAY + 5)
    state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("shutting-down", "terminated")


def test_load_balancer_writes_fail_while_the_resource_is_young(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = two_subnets(ec2)
    first = time.monotonic()
    target_group = elbv2.create_target_group(
        Name="web-targets", Protocol="HTTP", Port=80, VpcId=subnets[0]["VpcId"], TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    arn = elbv2.create_load_balancer(Name="web", Subnets=[s["SubnetId"] for s in subnets])["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    idle = [{"Key": "idle_timeout.timeout_seconds", "Value": "30"}]
    slow = [{"Key": "slow_start.duration_seconds", "Value": "30"}]
    tag = [{"Key": "app", "Value": "web"}]
    lb_missing = ("LoadBalancerNotFound", "One or more load balancers not found", 400)
    tg_missing = ("TargetGroupNotFound", "One or more target groups not found", 400)
    assert _error(elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn, Attributes=idle) == lb_missing
    assert _error(elbv2.modify_target_group_attributes, TargetGroupArn=target_group, Attributes=slow) == tg_missing
    assert _error(elbv2.modify_target_group, TargetGroupArn=target_group, HealthCheckPath="/health") == tg_missing
    assert _error(elbv2.add_tags, ResourceArns=[arn], Tags=tag) == lb_missing
    assert _error(elbv2.add_tags, ResourceArns=[target_group], Tags=tag) == tg_missing
    assert _error(elbv2.remove_tags, ResourceArns=[target_group], TagKeys=["app"]) == tg_missing
    assert _error(elbv2.register_targets, TargetGroupArn=target_group, Targets=[{"Id": "i-0123456789abcdef0"}]) == (
        tg_missing
    )
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"
    assert _lagging(emu) == {
        "elasticloadbalancing:AddTags": 2,
        "elasticloadbalancing:ModifyLoadBalancerAttributes": 1,
        "elasticloadbalancing:ModifyTargetGroup": 1,
        "elasticloadbalancing:ModifyTargetGroupAttributes": 1,
        "elasticloadbalancing:RegisterTargets": 1,
        "elasticloadbalancing:RemoveTags": 1,
    }

    wait_for(
        _quietly(elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn, Attributes=idle), timeout=DELAY + 5
    )
    elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=slow)
    elbv2.add_tags(ResourceArns=[arn, target_group], Tags=tag)
    assert {d["ResourceArn"] for d in elbv2.describe_tags(ResourceArns=[arn, target_group])["TagDescriptions"]} == {
        arn,
        target_group,
    }


def test_tag_filtered_lists_leave_young_resources_out(emu):
    ec2 = emu.client("ec2")
    base = al2023_images(ec2)[0]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "web"}]}]
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    old_instance = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1, TagSpecifications=tags)["Instances"][0][
        "InstanceId"
    ]
    wait_for(_quietly(ec2.describe_instances, InstanceIds=[old_instance]), timeout=DELAY + 5)
    first = time.monotonic()
    new_instances = [
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=base, MinCount=2, MaxCount=2, TagSpecifications=tags)["Instances"]
    ]
    group_id = ec2.create_security_group(
        GroupName="web",
        Description="web",
        TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "app", "Value": "web"}]}],
    )["GroupId"]
    image_id = ec2.create_image(
        InstanceId=old_instance,
        Name="web-image",
        TagSpecifications=[{"ResourceType": "image", "Tags": [{"Key": "app", "Value": "web"}]}],
    )["ImageId"]

    def instances(**kwargs):
        return sorted(i["InstanceId"] for r in ec2.describe_instances(**kwargs)["Reservations"] for i in r["Instances"])

    by_tag = [{"Name": "tag:app", "Values": ["web"]}]
    by_key = [{"Name": "tag-key", "Values": ["app"]}]
    assert instances(Filters=by_tag) == [old_instance]
    assert instances(Filters=by_key + [{"Name": "instance-state-name", "Values": ["running"]}]) == [old_instance]
    assert instances() == sorted([old_instance, *new_instances])  # no filter: everything
    assert instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}]) == sorted(
        [old_instance, *new_instances]
    )
    groups = lambda f: [g["GroupId"] for g in ec2.describe_security_groups(Filters=f)["SecurityGroups"]]  # noqa: E731
    assert groups(by_tag) == [] and groups(by_key) == []
    assert group_id in groups([{"Name": "group-name", "Values": ["web"]}])
    images = lambda f: [i["ImageId"] for i in ec2.describe_images(Owners=["self"], Filters=f)["Images"]]  # noqa: E731
    assert images(by_tag) == []
    assert images([{"Name": "name", "Values": ["web-image"]}]) == [image_id]
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"

    wait_for(lambda: images(by_tag) == [image_id], timeout=DELAY + 5)
    assert instances(Filters=by_tag) == sorted([old_instance, *new_instances])
    assert groups(by_key) == [group_id]


def test_each_resource_has_its_own_lag(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    older = ec2.create_security_group(GroupName="older", Description="older")["GroupId"]
    wait_for(_quietly(ec2.authorize_security_group_ingress, GroupId=older, IpPermissions=RULE), timeout=DELAY + 5)
    newer = ec2.create_security_group(GroupName="newer", Description="newer")["GroupId"]
    ec2.create_tags(Resources=[older], Tags=[{"Key": "app", "Value": "web"}])
    assert _error(ec2.create_tags, Resources=[newer], Tags=[{"Key": "app", "Value": "web"}])[0] == (
        "InvalidGroup.NotFound"
    )
    wait_for(_quietly(ec2.create_tags, Resources=[newer], Tags=[{"Key": "app", "Value": "web"}]), timeout=DELAY + 5)
