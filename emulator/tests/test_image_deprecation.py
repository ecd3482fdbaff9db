"""AMI deprecation: EnableImageDeprecation / DisableImageDeprecation and DeprecationTime."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images


def _image(ec2) -> str:
    instance = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]
    return ec2.create_image(InstanceId=instance["InstanceId"], Name="deprecated-image")["ImageId"]


def _describe(ec2, image_id: str) -> dict:
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def test_an_image_has_no_deprecation_time_until_one_is_set(emu):
    ec2 = emu.client("ec2")
    image_id = _image(ec2)
    assert "DeprecationTime" not in _describe(ec2, image_id)


def test_the_deprecation_time_is_rounded_to_the_minute_and_reported(emu):
    ec2 = emu.client("ec2")
    image_id = _image(ec2)
    base = (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0)
    down = base.replace(second=29)
    assert ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=down)["Return"] is True
    assert _describe(ec2, image_id)["DeprecationTime"] == down.strftime("%Y-%m-%dT%H:%M:00.000Z")

    up = base.replace(second=30)
    ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=up)
    expected = (up.replace(second=0) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:00.000Z")
    assert _describe(ec2, image_id)["DeprecationTime"] == expected
    # Listing the account's images shows it too.
    mine = {i["ImageId"]: i for i in ec2.describe_images(Owners=["self"])["Images"]}
    assert mine[image_id]["DeprecationTime"] == expected


def test_disable_clears_the_deprecation_time(emu):
    ec2 = emu.client("ec2")
    image_id = _image(ec2)
    ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=datetime.now(timezone.utc) + timedelta(days=1))
    assert ec2.disable_image_deprecation(ImageId=image_id)["Return"] is True
    assert "DeprecationTime" not in _describe(ec2, image_id)


def test_times_in_the_past_or_too_far_ahead_are_refused(emu):
    ec2 = emu.client("ec2")
    image_id = _image(ec2)
    now = datetime.now(timezone.utc)
    past = now - timedelta(hours=1)
    assert _code(ec2.enable_image_deprecation, ImageId=image_id, DeprecateAt=past) == "InvalidParameterValue"
    far = now + timedelta(days=11 * 366)
    assert _code(ec2.enable_image_deprecation, ImageId=image_id, DeprecateAt=far) == "InvalidParameterValue"
    assert "DeprecationTime" not in _describe(ec2, image_id)

    # A public image: at most 2 years after its creation.
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    three_years = now + timedelta(days=3 * 366)
    assert _code(ec2.enable_image_deprecation, ImageId=image_id, DeprecateAt=three_years) == "InvalidParameterValue"
    ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=now + timedelta(days=365))
    assert "DeprecationTime" in _describe(ec2, image_id)


def test_an_unknown_image_is_not_found(emu):
    ec2 = emu.client("ec2")
    later = datetime.now(timezone.utc) + timedelta(days=1)
    assert _code(ec2.enable_image_deprecation, ImageId="ami-0123456789abcdef0", DeprecateAt=later) == (
        "InvalidAMIID.NotFound"
    )


def test_a_copy_starts_without_the_source_s_deprecation_time(emu):
    ec2 = emu.client("ec2")
    image_id = _image(ec2)
    ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=datetime.now(timezone.utc) + timedelta(days=1))
    west = emu.client("ec2", region="us-west-2")
    copy_id = west.copy_image(SourceImageId=image_id, SourceRegion="us-east-1", Name="deprecated-image")["ImageId"]
    assert "DeprecationTime" not in _describe(west, copy_id)
