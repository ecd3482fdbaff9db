"""DescribeLaunchTemplates shows the tags a template has now (ec2/launch_template_tags.py)."""

from __future__ import annotations

from typing import Any

from emulator.tests.aws_stack import al2023_images


def _tags(ec2: Any, template_id: str) -> dict[str, str]:
    [template] = ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"]
    return {tag["Key"]: tag["Value"] for tag in template.get("Tags", [])}


def test_tags_changed_after_the_create_show_in_describe(emu):
    ec2 = emu.client("ec2")
    created = ec2.create_launch_template(
        LaunchTemplateName="web",
        LaunchTemplateData={"ImageId": al2023_images(ec2)[0]},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "app", "Value": "web"}]}],
    )["LaunchTemplate"]
    template_id = created["LaunchTemplateId"]
    assert {t["Key"]: t["Value"] for t in created["Tags"]} == {"app": "web"}

    ec2.create_tags(Resources=[template_id], Tags=[{"Key": "owner", "Value": "ops"}, {"Key": "app", "Value": "api"}])
    assert _tags(ec2, template_id) == {"app": "api", "owner": "ops"}

    ec2.delete_tags(Resources=[template_id], Tags=[{"Key": "owner"}])
    assert _tags(ec2, template_id) == {"app": "api"}
    # By name too, and in the answer to a change of the default version.
    [by_name] = ec2.describe_launch_templates(LaunchTemplateNames=["web"])["LaunchTemplates"]
    assert by_name["Tags"] == [{"Key": "app", "Value": "api"}]
    modified = ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion="1")["LaunchTemplate"]
    assert modified["Tags"] == [{"Key": "app", "Value": "api"}]


def test_a_template_made_without_tags_has_none_until_tagged(emu):
    ec2 = emu.client("ec2")
    template_id = ec2.create_launch_template(
        LaunchTemplateName="bare", LaunchTemplateData={"ImageId": al2023_images(ec2)[0]}
    )["LaunchTemplate"]["LaunchTemplateId"]
    assert _tags(ec2, template_id) == {}
    ec2.create_tags(Resources=[template_id], Tags=[{"Key": "app", "Value": "web"}])
    assert _tags(ec2, template_id) == {"app": "web"}
