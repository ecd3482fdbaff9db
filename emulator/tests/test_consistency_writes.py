"""Eventual consistency of writes: with consistency_delay_seconds set, a write
that names a just-created resource (security group rules, tags, termination,
load balancer and target group changes) fails with the NotFound error a read
would give, changes nothing, and is counted as lagging in /_emulator/calls;
each resource has its own lag, and once it is over the same call works. By
default writes to a new resource work at once.
"""

from __future__ import annotations

import time

from emulator.tests.aws_stack import al2023_images, two_subnets
from emulator.tests.conftest import wait_for
from emulator.tests.consistency_support import DELAY, client_error, quietly


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
        assert client_error(call, GroupId=group_id, IpPermissions=RULE) == expected
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"
    assert _lagging(emu) == {
        "ec2:AuthorizeSecurityGroupEgress": 1,
        "ec2:AuthorizeSecurityGroupIngress": 1,
        "ec2:RevokeSecurityGroupEgress": 1,
        "ec2:RevokeSecurityGroupIngress": 1,
    }
    # Bounded: once the lag is over the same call works.
    wait_for(quietly(ec2.authorize_security_group_ingress, GroupId=group_id, IpPermissions=RULE), timeout=DELAY + 5)
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
        assert client_error(call, Resources=[instance_id], Tags=tag) == (
            "InvalidInstanceID.NotFound",
            f"The instance ID '{instance_id}' does not exist",
            400,
        )
    assert client_error(ec2.create_tags, Resources=[group_id], Tags=tag)[0] == "InvalidGroup.NotFound"
    code, message, _ = client_error(ec2.create_tags, Resources=[template_id], Tags=tag)
    assert code == "InvalidLaunchTemplateId.NotFound" and template_id in message
    assert client_error(ec2.create_tags, Resources=[image_id], Tags=tag)[:2] == (
        "InvalidAMIID.NotFound",
        f"The image id '[{image_id}]' does not exist",
    )
    # One young id fails the whole call; an old one alone is tagged at once.
    assert client_error(ec2.create_tags, Resources=[old_image, group_id], Tags=tag)[0] == "InvalidGroup.NotFound"
    ec2.create_tags(Resources=[old_image], Tags=tag)
    assert time.monotonic() - first < DELAY, "the checks above took longer than the delay"
    assert _lagging(emu)["ec2:CreateTags"] == 5

    wait_for(quietly(ec2.create_tags, Resources=[image_id], Tags=tag), timeout=DELAY + 5)
    ec2.create_tags(Resources=[instance_id, group_id, template_id], Tags=tag)
    ec2.delete_tags(Resources=[instance_id], Tags=tag)


def test_terminate_of_a_fresh_instance_is_not_found_until_its_lag_is_over(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    instance_id = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    assert client_error(ec2.terminate_instances, InstanceIds=[instance_id]) == (
        "InvalidInstanceID.NotFound",
        f"The instance ID '{instance_id}' does not exist",
        400,
    )
    assert _lagging(emu) == {"ec2:TerminateInstances": 1}
    # The failed call changed nothing: the instance still runs.
    states = ec2.describe_instances()["Reservations"][0]["Instances"]
    assert [i["State"]["Name"] for i in states] == ["running"]
    wait_for(quietly(ec2.terminate_instances, InstanceIds=[instance_id]), timeout=DELAY + 5)
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
    assert client_error(elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn, Attributes=idle) == lb_missing
    assert (
        client_error(elbv2.modify_target_group_attributes, TargetGroupArn=target_group, Attributes=slow)
        == tg_missing
    )
    assert client_error(elbv2.modify_target_group, TargetGroupArn=target_group, HealthCheckPath="/health") == tg_missing
    assert client_error(elbv2.add_tags, ResourceArns=[arn], Tags=tag) == lb_missing
    assert client_error(elbv2.add_tags, ResourceArns=[target_group], Tags=tag) == tg_missing
    assert client_error(elbv2.remove_tags, ResourceArns=[target_group], TagKeys=["app"]) == tg_missing
    assert (
        client_error(elbv2.register_targets, TargetGroupArn=target_group, Targets=[{"Id": "i-0123456789abcdef0"}])
        == tg_missing
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
        quietly(elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn, Attributes=idle), timeout=DELAY + 5
    )
    elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=slow)
    elbv2.add_tags(ResourceArns=[arn, target_group], Tags=tag)
    assert {d["ResourceArn"] for d in elbv2.describe_tags(ResourceArns=[arn, target_group])["TagDescriptions"]} == {
        arn,
        target_group,
    }


def test_each_resource_has_its_own_lag(emu):
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    ec2 = emu.client("ec2")
    older = ec2.create_security_group(GroupName="older", Description="older")["GroupId"]
    wait_for(quietly(ec2.authorize_security_group_ingress, GroupId=older, IpPermissions=RULE), timeout=DELAY + 5)
    newer = ec2.create_security_group(GroupName="newer", Description="newer")["GroupId"]
    ec2.create_tags(Resources=[older], Tags=[{"Key": "app", "Value": "web"}])
    assert client_error(ec2.create_tags, Resources=[newer], Tags=[{"Key": "app", "Value": "web"}])[0] == (
        "InvalidGroup.NotFound"
    )
    wait_for(quietly(ec2.create_tags, Resources=[newer], Tags=[{"Key": "app", "Value": "web"}]), timeout=DELAY + 5)
