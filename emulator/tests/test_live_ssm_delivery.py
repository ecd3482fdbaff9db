"""Live machines: a command sent while the machine still boots is Pending, then runs
once the agent is Online (live/ssm_live.py, ssm/delivery.py). Skipped, loudly,
without root or systemd-nspawn, like test_live_machines.py."""

from __future__ import annotations

import tempfile

import pytest

from emulator.tests.live_machines_support import (
    STOP_TIMEOUT,
    LiveServer,
    base_image_id,
    base_rootfs,
    finished,
    launch,
    make_profile,
    remove_live_dir,
    send,
    skip_reason,
    wait_state,
)

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live SSM delivery tests (NOT RUN): {_reason}")
pytestmark = [pytest.mark.xdist_group("live"), pytest.mark.skipif(_reason is not None, reason=_reason or "")]


@pytest.fixture(scope="module")
def emu():
    live_dir = tempfile.mkdtemp(prefix="rr-live-test-", dir="/var/tmp")
    server = LiveServer(live_dir, base_rootfs())
    try:
        server.start()
        yield server.emu
    finally:
        server.stop()
        remove_live_dir(live_dir)


def test_a_command_sent_while_the_machine_boots_waits_and_then_runs(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    profile = make_profile(emu.client("iam"))
    instance_id = launch(ec2, ssm, base_image_id(ec2), profile, wait=False)
    command_id = send(ssm, instance_id, ["echo delivered-$(hostname)"])
    first = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
    assert first["Status"] in ("Pending", "Delayed"), first
    done = finished(ssm, command_id, instance_id, timeout=300)
    assert done["Status"] == "Success", done
    assert done["StandardOutputContent"].startswith("delivered-ip-")
    ec2.terminate_instances(InstanceIds=[instance_id])
    wait_state(ec2, instance_id, "terminated", timeout=STOP_TIMEOUT)
