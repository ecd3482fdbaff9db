"""Spot launches through RunInstances (ec2_spot.py): lifecycle, request, cancel."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images

SPOT = {
    "MarketType": "spot",
    "SpotOptions": {
        "MaxPrice": "0.05",
        "SpotInstanceType": "one-time",
        "InstanceInterruptionBehavior": "terminate",
    },
}


def _requests(ec2):
    return ec2.describe_spot_instance_requests()["SpotInstanceRequests"]


def test_a_spot_launch_is_a_spot_instance_with_a_one_time_request(emu):
    ec2 = emu.client("ec2")
    image = al2023_images(ec2)[0]
    launched = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", InstanceMarketOptions=SPOT
    )["Instances"][0]
    request_id = launched["SpotInstanceRequestId"]
    assert launched["InstanceLifecycle"] == "spot" and request_id.startswith("sir-")

    described = ec2.describe_instances(InstanceIds=[launched["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["InstanceLifecycle"] == "spot"
    assert described["SpotInstanceRequestId"] == request_id
    [request] = _requests(ec2)
    assert request["SpotInstanceRequestId"] == request_id
    assert request["InstanceId"] == launched["InstanceId"]
    assert request["State"] == "active" and request["Type"] == "one-time"
    assert float(request["SpotPrice"]) == pytest.approx(0.05)

    ec2.terminate_instances(InstanceIds=[launched["InstanceId"]])
    [request] = _requests(ec2)
    assert request["State"] == "closed"
    assert request["Status"]["Code"] == "instance-terminated-by-user"


def test_an_on_demand_launch_has_no_lifecycle_and_no_request(emu):
    ec2 = emu.client("ec2")
    launched = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]
    assert "InstanceLifecycle" not in launched and "SpotInstanceRequestId" not in launched
    assert _requests(ec2) == []


def test_cancel_keeps_the_instance_and_an_unknown_id_is_not_found(emu):
    ec2 = emu.client("ec2")
    launched = ec2.run_instances(
        ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1, InstanceMarketOptions={"MarketType": "spot"}
    )["Instances"][0]
    cancelled = ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[launched["SpotInstanceRequestId"]])
    assert cancelled["CancelledSpotInstanceRequests"][0]["State"] == "cancelled"
    state = ec2.describe_instances(InstanceIds=[launched["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert state["State"]["Name"] in ("pending", "running")
    with pytest.raises(ClientError) as err:
        ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=["sir-0000000000000000"])
    assert err.value.response["Error"]["Code"] == "InvalidSpotInstanceRequestID.NotFound"


def _spot_instance(ec2, spot_options):
    return ec2.run_instances(
        ImageId=al2023_images(ec2)[0],
        MinCount=1,
        MaxCount=1,
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": spot_options},
    )["Instances"][0]["InstanceId"]


def _state(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_an_instance_of_a_one_time_request_cannot_be_stopped(emu):
    ec2 = emu.client("ec2")
    spot = _spot_instance(ec2, {"SpotInstanceType": "one-time"})
    on_demand = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as err:
        ec2.stop_instances(InstanceIds=[on_demand, spot])
    assert err.value.response["Error"]["Code"] == "UnsupportedOperation"
    assert f"'{spot}'" in err.value.response["Error"]["Message"]
    assert "one-time Spot Instance request" in err.value.response["Error"]["Message"]
    # The whole call failed: nothing stopped.
    assert _state(ec2, spot) == "running" and _state(ec2, on_demand) == "running"
    # The default SpotInstanceType is one-time too, and so is a cancelled request's instance.
    default = _spot_instance(ec2, {})
    ec2.cancel_spot_instance_requests(
        SpotInstanceRequestIds=[ec2.describe_instances(InstanceIds=[default])["Reservations"][0]["Instances"][0]["SpotInstanceRequestId"]]
    )
    with pytest.raises(ClientError) as err:
        ec2.stop_instances(InstanceIds=[default])
    assert err.value.response["Error"]["Code"] == "UnsupportedOperation"
    # Terminating a one-time spot instance works as for any instance.
    ec2.terminate_instances(InstanceIds=[spot, default])


def test_an_instance_of_a_persistent_request_can_be_stopped(emu):
    ec2 = emu.client("ec2")
    spot = _spot_instance(ec2, {"SpotInstanceType": "persistent", "InstanceInterruptionBehavior": "stop"})
    stopping = ec2.stop_instances(InstanceIds=[spot])["StoppingInstances"][0]
    assert stopping["InstanceId"] == spot
    assert _state(ec2, spot) in ("stopping", "stopped")
