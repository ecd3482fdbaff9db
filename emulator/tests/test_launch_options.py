"""RunInstances' metadata options and shutdown behavior (ec2/launch_options.py)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images


def _launch(ec2, **extra):
    return ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1, **extra)["Instances"][0]


def _count(ec2) -> int:
    return sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"])


@pytest.mark.parametrize(
    "options",
    [
        {"HttpTokens": "sometimes"},
        {"HttpEndpoint": "on"},
        {"InstanceMetadataTags": "yes"},
        {"HttpPutResponseHopLimit": 0},
        {"HttpPutResponseHopLimit": 65},
    ],
)
def test_metadata_options_outside_the_reference_are_refused(emu, options):
    ec2 = emu.client("ec2")
    with pytest.raises(ClientError) as refused:
        _launch(ec2, MetadataOptions=options)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert next(iter(options)) in refused.value.response["Error"]["Message"]
    assert _count(ec2) == 0


def test_metadata_options_within_the_reference_are_kept(emu):
    ec2 = emu.client("ec2")
    options = {
        "HttpTokens": "required",
        "HttpEndpoint": "enabled",
        "HttpPutResponseHopLimit": 64,
        "InstanceMetadataTags": "enabled",
    }
    launched = _launch(ec2, MetadataOptions=options)
    described = ec2.describe_instances(InstanceIds=[launched["InstanceId"]])["Reservations"][0]["Instances"][0]
    for name, value in options.items():
        assert described["MetadataOptions"][name] == value


def test_an_image_that_needs_imdsv2_makes_it_the_default(emu):
    ec2 = emu.client("ec2")
    source = _launch(ec2)
    image = ec2.create_image(InstanceId=source["InstanceId"], Name="imds-v2")["ImageId"]
    ec2.modify_image_attribute(ImageId=image, ImdsSupport={"Value": "v2.0"})
    launched = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
    assert launched["MetadataOptions"]["HttpTokens"] == "required"
    assert launched["MetadataOptions"]["HttpPutResponseHopLimit"] == 2


def test_shutdown_behavior_is_stop_or_terminate_and_never_stop_for_spot(emu):
    ec2 = emu.client("ec2")
    with pytest.raises(ClientError) as refused:
        _launch(ec2, InstanceInitiatedShutdownBehavior="hibernate")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(ClientError) as refused:
        _launch(ec2, InstanceInitiatedShutdownBehavior="stop", InstanceMarketOptions={"MarketType": "spot"})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterCombination"
    assert _count(ec2) == 0

    spot = _launch(ec2, InstanceInitiatedShutdownBehavior="terminate", InstanceMarketOptions={"MarketType": "spot"})
    on_demand = _launch(ec2, InstanceInitiatedShutdownBehavior="terminate")
    for instance in (spot, on_demand):
        attribute = ec2.describe_instance_attribute(
            InstanceId=instance["InstanceId"], Attribute="instanceInitiatedShutdownBehavior"
        )
        assert attribute["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
