"""CopyImage: encrypted copies (Encrypted / KmsKeyId) and copies that stay pending a while."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images
from emulator.tests.conftest import wait_for


def _image(ec2, name: str = "copied-image") -> str:
    instance = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]
    return ec2.create_image(InstanceId=instance["InstanceId"], Name=name)["ImageId"]


def _ebs(ec2, image_id: str) -> dict:
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]


def test_a_plain_copy_is_not_encrypted_and_available_at_once(emu):
    east = emu.client("ec2")
    image_id = _image(east)
    west = emu.client("ec2", region="us-west-2")
    copy_id = west.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name="copied-image")["ImageId"]
    copy = west.describe_images(ImageIds=[copy_id])["Images"][0]
    assert copy["State"] == "available"
    assert copy["Name"] == "copied-image"
    assert copy["Tags"] == []  # tags are not copied
    assert _ebs(west, copy_id)["Encrypted"] is False
    assert _ebs(east, image_id)["Encrypted"] is False
    # The copy lives in the destination region only.
    assert copy_id not in {i["ImageId"] for i in east.describe_images(Owners=["self"])["Images"]}


def test_an_encrypted_copy_uses_the_given_key_or_the_region_s_default(emu):
    east = emu.client("ec2")
    image_id = _image(east)
    west = emu.client("ec2", region="us-west-2")
    keyed = west.copy_image(
        SourceImageId=image_id, SourceRegion="us-east-1", Name="copied-image", Encrypted=True, KmsKeyId="alias/west"
    )["ImageId"]
    ebs = _ebs(west, keyed)
    assert (ebs["Encrypted"], ebs["KmsKeyId"]) == (True, "alias/west")
    snapshot = west.describe_snapshots(SnapshotIds=[ebs["SnapshotId"]])["Snapshots"][0]
    assert (snapshot["Encrypted"], snapshot["KmsKeyId"]) == (True, "alias/west")

    default = west.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name="copied-image", Encrypted=True)
    ebs = _ebs(west, default["ImageId"])
    assert ebs["Encrypted"] is True
    aws_ebs = emu.client("kms", region="us-west-2").describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
    assert ebs["KmsKeyId"] == aws_ebs

    # A copy of an encrypted image is encrypted, even without Encrypted.
    back = east.copy_image(SourceImageId=keyed, SourceRegion="us-west-2", Name="copied-back")["ImageId"]
    assert _ebs(east, back)["Encrypted"] is True


def test_a_key_without_encrypted_is_refused(emu):
    east = emu.client("ec2")
    image_id = _image(east)
    west = emu.client("ec2", region="us-west-2")
    with pytest.raises(ClientError) as err:
        west.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name="copied-image", KmsKeyId="alias/west")
    assert err.value.response["Error"]["Code"] == "InvalidParameterDependency"


def test_with_image_copy_seconds_a_copy_is_pending_then_available(emu):
    emu.ok("POST", "/_emulator/timing", {"image_copy_seconds": 1.0})
    east = emu.client("ec2")
    image_id = _image(east)
    assert east.describe_images(ImageIds=[image_id])["Images"][0]["State"] == "available"  # CreateImage unchanged
    west = emu.client("ec2", region="us-west-2")
    copy_id = west.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name="copied-image")["ImageId"]
    assert west.describe_images(ImageIds=[copy_id])["Images"][0]["State"] == "pending"
    wait_for(lambda: west.describe_images(ImageIds=[copy_id])["Images"][0]["State"] == "available", timeout=10)


def test_a_pending_copy_can_be_deregistered_with_its_snapshot(emu):
    emu.ok("POST", "/_emulator/timing", {"image_copy_seconds": 60})
    east = emu.client("ec2")
    image_id = _image(east)
    west = emu.client("ec2", region="us-west-2")
    copy_id = west.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name="copied-image")["ImageId"]
    snapshot = _ebs(west, copy_id)["SnapshotId"]
    west.deregister_image(ImageId=copy_id)
    west.delete_snapshot(SnapshotId=snapshot)
    assert west.describe_images(Owners=["self"])["Images"] == []
    assert snapshot not in {s["SnapshotId"] for s in west.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
