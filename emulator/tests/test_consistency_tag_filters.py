"""Eventual consistency of tag-filtered lists: with consistency_delay_seconds
set, a list filtered by a tag (`tag:<key>`, `tag-key`) leaves out instances,
security groups and images created within the delay, while lists without a
tag filter show them; once the delay is over the filtered lists show them too.
"""

from __future__ import annotations

import time

from emulator.tests.aws_stack import al2023_images
from emulator.tests.conftest import wait_for
from emulator.tests.consistency_support import DELAY, quietly


def test_tag_filtered_lists_leave_young_resources_out(emu):
    ec2 = emu.client("ec2")
    base = al2023_images(ec2)[0]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "app", "Value": "web"}]}]
    emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": DELAY})
    old_instance = ec2.run_instances(ImageId=base, MinCount=1, MaxCount=1, TagSpecifications=tags)["Instances"][0][
        "InstanceId"
    ]
    wait_for(quietly(ec2.describe_instances, InstanceIds=[old_instance]), timeout=DELAY + 5)
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
