"""ImdsSupport, EnaSupport and SriovNetSupport of images and instances (ec2/image_attributes.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images


def _stopped_instance(ec2) -> str:
    instance = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance])
    return instance


def _image(ec2, image_id: str) -> dict:
    return ec2.describe_images(ImageIds=[image_id])["Images"][0]


def test_imds_support_is_v2_only_and_reported(emu):
    ec2 = emu.client("ec2")
    image = ec2.create_image(InstanceId=_stopped_instance(ec2), Name="imds")["ImageId"]
    assert "ImdsSupport" not in _image(ec2, image)
    with pytest.raises(ClientError) as refused:
        ec2.modify_image_attribute(ImageId=image, ImdsSupport={"Value": "v1.0"})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    ec2.modify_image_attribute(ImageId=image, ImdsSupport={"Value": "v2.0"})
    assert _image(ec2, image)["ImdsSupport"] == "v2.0"
    attribute = ec2.describe_image_attribute(ImageId=image, Attribute="imdsSupport")
    assert attribute["ImdsSupport"]["Value"] == "v2.0"


def test_enhanced_networking_needs_a_stopped_instance_and_reaches_the_image(emu):
    ec2 = emu.client("ec2")
    running = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as refused:
        ec2.modify_instance_attribute(InstanceId=running, EnaSupport={"Value": True})
    assert refused.value.response["Error"]["Code"] == "IncorrectInstanceState"

    stopped = _stopped_instance(ec2)
    with pytest.raises(ClientError) as refused:
        ec2.modify_instance_attribute(InstanceId=stopped, SriovNetSupport={"Value": "complex"})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    ec2.modify_instance_attribute(InstanceId=stopped, EnaSupport={"Value": True})
    ec2.modify_instance_attribute(InstanceId=stopped, SriovNetSupport={"Value": "simple"})
    described = ec2.describe_instances(InstanceIds=[stopped])["Reservations"][0]["Instances"][0]
    assert described["EnaSupport"] is True
    image = _image(ec2, ec2.create_image(InstanceId=stopped, Name="ena")["ImageId"])
    assert image["EnaSupport"] is True
    assert image["SriovNetSupport"] == "simple"


def test_an_image_made_without_them_reports_none(emu):
    ec2 = emu.client("ec2")
    stopped = _stopped_instance(ec2)
    ec2.modify_instance_attribute(InstanceId=stopped, EnaSupport={"Value": False})
    image = _image(ec2, ec2.create_image(InstanceId=stopped, Name="plain")["ImageId"])
    assert image["EnaSupport"] is False
    plain = ec2.run_instances(ImageId=image["ImageId"], MinCount=1, MaxCount=1)["Instances"][0]
    assert plain["EnaSupport"] is False
