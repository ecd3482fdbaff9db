"""Live machines that go away by themselves (live/instances.py) and Auto Scaling
replacing them (autoscaling/healing.py): a machine powered off from inside is
`stopped`; a crashed one (POST /_emulator/live/crash) stays `running` with failed
status checks; a group replaces it. Root and systemd-nspawn, else skipped loudly."""

from __future__ import annotations

import pytest

from emulator.tests.conftest import wait_for
from emulator.tests.live_machines_support import (
    STOP_TIMEOUT,
    base_image_id,
    launch,
    machine_of,
    make_profile,
    ping,
    running_live_server,
    send,
    skip_reason,
    state_of,
    wait_state,
)

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live healing tests (NOT RUN, nothing about machine failures was checked): {_reason}")
pytestmark = [pytest.mark.skipif(_reason is not None, reason=_reason or ""), pytest.mark.xdist_group("live")]


@pytest.fixture(scope="module")
def live():
    with running_live_server("rr-live-test-") as server:
        yield server


@pytest.fixture
def aws(live):
    emu = live.emu
    emu.reset()
    emu.ok("POST", "/_emulator/timing", {"asg_health_check_seconds": 0.2})
    ec2, ssm, iam = emu.client("ec2"), emu.client("ssm"), emu.client("iam")
    return emu, ec2, ssm, make_profile(iam), base_image_id(ec2)


def _status(ec2, instance_id: str) -> dict:
    found = ec2.describe_instance_status(InstanceIds=[instance_id], IncludeAllInstances=True)["InstanceStatuses"]
    return found[0]


def test_a_machine_powered_off_from_inside_is_stopped(aws):
    emu, ec2, ssm, profile, image = aws
    instance_id = launch(ec2, ssm, image, profile)
    send(ssm, instance_id, ["systemctl poweroff"])
    wait_state(ec2, instance_id, "stopped", timeout=STOP_TIMEOUT)
    described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert described["StateReason"]["Code"] == "Client.InstanceInitiatedShutdown"
    assert ping(ssm, instance_id) == "ConnectionLost"


def test_a_crashed_machine_stays_running_with_failed_status_checks(aws):
    emu, ec2, ssm, profile, image = aws
    instance_id = launch(ec2, ssm, image, profile)
    assert _status(ec2, instance_id)["InstanceStatus"]["Status"] == "ok"

    assert emu.ok("POST", "/_emulator/live/crash", {"instance_id": instance_id})["crashed"] is True
    wait_for(lambda: _status(ec2, instance_id)["InstanceStatus"]["Status"] == "impaired", timeout=10)
    status = _status(ec2, instance_id)
    assert status["SystemStatus"]["Status"] == "impaired"
    assert status["InstanceStatus"]["Details"] == [{"Name": "reachability", "Status": "failed"}]
    assert state_of(ec2, instance_id) == "running"
    assert ping(ssm, instance_id) == "ConnectionLost"
    assert not machine_of(emu, instance_id)["booted"]

    assert emu.control("POST", "/_emulator/live/crash", {"instance_id": instance_id})[0] == 400
    assert emu.control("POST", "/_emulator/live/crash", {"instance_id": "i-0123456789abcdef0"})[0] == 404
    assert emu.control("POST", "/_emulator/live/crash", {"instance": instance_id})[0] == 400


def test_a_group_replaces_its_crashed_machine(aws):
    emu, ec2, ssm, profile, image = aws
    ec2.create_launch_template(
        LaunchTemplateName="live",
        LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile}},
    )
    asg = emu.client("autoscaling")
    asg.create_auto_scaling_group(
        AutoScalingGroupName="live", MinSize=1, MaxSize=1, DesiredCapacity=1,
        LaunchTemplate={"LaunchTemplateName": "live", "Version": "1"}, AvailabilityZones=["us-east-1a"],
    )
    (first,) = [i["InstanceId"] for i in asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]]
    wait_state(ec2, first, "running")
    emu.ok("POST", "/_emulator/live/crash", {"instance_id": first})

    def replaced():
        members = [i["InstanceId"] for i in asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"]]
        return members if first not in members and len(members) == 1 else None

    (second,) = wait_for(replaced, timeout=30, interval=0.25)
    wait_state(ec2, first, "terminated", timeout=STOP_TIMEOUT)
    wait_state(ec2, second, "running")
    assert machine_of(emu, second)["booted"]
