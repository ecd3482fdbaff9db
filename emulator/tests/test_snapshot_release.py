"""DeleteSnapshot of a snapshot an image uses, or used a moment ago (ec2/snapshot_release.py)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images


def _image(ec2: Any, name: str = "baked") -> tuple[str, str]:
    instance = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    image_id = ec2.create_image(InstanceId=instance, Name=name)["ImageId"]
    [image] = ec2.describe_images(ImageIds=[image_id])["Images"]
    [snapshot] = [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]
    return image_id, snapshot


def _in_use(ec2: Any, snapshot: str) -> str:
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_snapshot(SnapshotId=snapshot)
    assert excinfo.value.response["Error"]["Code"] == "InvalidSnapshot.InUse"
    return excinfo.value.response["Error"]["Message"]


def test_a_snapshot_of_a_registered_image_is_in_use(emu):
    ec2 = emu.client("ec2")
    image_id, snapshot = _image(ec2)
    assert _in_use(ec2, snapshot) == f"The snapshot {snapshot} is currently in use by {image_id}"
    ec2.deregister_image(ImageId=image_id)
    ec2.delete_snapshot(SnapshotId=snapshot)  # default snapshot_release_seconds 0: free at once


def test_a_copy_s_snapshot_is_in_use_by_the_copy(emu):
    ec2 = emu.client("ec2")
    source, _ = _image(ec2)
    copy = ec2.copy_image(SourceImageId=source, SourceRegion="us-east-1", Name="copy")["ImageId"]
    [image] = ec2.describe_images(ImageIds=[copy])["Images"]
    [snapshot] = [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]
    assert copy in _in_use(ec2, snapshot)


def test_after_deregister_the_snapshot_stays_in_use_for_the_release_time(emu):
    ec2 = emu.client("ec2")
    status, _ = emu.control("POST", "/_emulator/timing", {"snapshot_release_seconds": 600})
    assert status == 200
    image_id, snapshot = _image(ec2)
    ec2.deregister_image(ImageId=image_id)
    assert _in_use(ec2, snapshot) == f"The snapshot {snapshot} is currently in use by {image_id}"
    # Once the release time is over (here: shortened), the snapshot can go.
    emu.control("POST", "/_emulator/timing", {"snapshot_release_seconds": 0})
    ec2.delete_snapshot(SnapshotId=snapshot)
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_snapshot(SnapshotId=snapshot)
    assert excinfo.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"


def test_the_realism_profile_holds_snapshots_after_deregister(emu):
    _, body = emu.control("POST", "/_emulator/realism", {"enabled": True})
    assert body["timing"]["snapshot_release_seconds"] > 0
