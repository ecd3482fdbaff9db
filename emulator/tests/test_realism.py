"""The realism switch: POST /_emulator/realism and the server's --realism flag."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading

import pytest
from botocore.exceptions import ClientError

from emulator.tests.conftest import SERVER, Emulator, _drain, _wait_ready

PROFILE = {
    "consistency_delay_seconds": 2.0,
    "iam_propagation_seconds": 5.0,
    "refresh_replace_unhealthy": True,
    "instance_warmup_honored": True,
    "snapshot_release_seconds": 3.0,
}
DEFAULTS = {
    "consistency_delay_seconds": 0.0,
    "iam_propagation_seconds": 0.0,
    "refresh_replace_unhealthy": False,
    "instance_warmup_honored": False,
    "snapshot_release_seconds": 0.0,
}


def _subset(timing, keys):
    return {k: timing[k] for k in keys}


def test_switch_applies_and_removes_the_profile(emu):
    shown = emu.ok("GET", "/_emulator/realism")
    # Other keys may join the profile; these must be in it with these values.
    assert shown["enabled"] is False and _subset(shown["profile"], PROFILE) == PROFILE

    on = emu.ok("POST", "/_emulator/realism", {"enabled": True})
    assert on["enabled"] is True and _subset(on["timing"], PROFILE) == PROFILE
    assert _subset(emu.ok("GET", "/_emulator/timing")["timing"], PROFILE) == PROFILE
    assert on["timing"]["refresh_step_seconds"] == 0.05  # other knobs are left alone

    # The profile is live: a new security group is not found by id at once.
    ec2 = emu.client("ec2")
    group_id = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    with pytest.raises(ClientError) as err:
        ec2.describe_security_groups(GroupIds=[group_id])
    assert err.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
    # Writes naming it fail the same way (eventual consistency of writes).
    with pytest.raises(ClientError) as err:
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
    assert err.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
    assert emu.ok("GET", "/_emulator/calls")["lagging"]["ec2:AuthorizeSecurityGroupIngress"] == 1

    off = emu.ok("POST", "/_emulator/realism", {"enabled": False})
    assert off["enabled"] is False and _subset(off["timing"], DEFAULTS) == DEFAULTS
    assert ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]

    emu.ok("POST", "/_emulator/realism", {"enabled": True})
    emu.reset()
    assert emu.ok("GET", "/_emulator/realism")["enabled"] is False
    assert _subset(emu.ok("GET", "/_emulator/timing")["timing"], DEFAULTS) == DEFAULTS

    assert emu.control("POST", "/_emulator/realism", {"enabled": "yes"})[0] == 400
    assert emu.control("POST", "/_emulator/realism", {})[0] == 400
    assert emu.control("DELETE", "/_emulator/realism")[0] == 405


def test_new_timing_keys_are_validated(emu):
    assert emu.control("POST", "/_emulator/timing", {"consistency_delay_seconds": -1})[0] == 400
    assert emu.control("POST", "/_emulator/timing", {"iam_propagation_seconds": True})[0] == 400
    assert emu.control("POST", "/_emulator/timing", {"refresh_replace_unhealthy": 1})[0] == 400
    timing = emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": 1, "refresh_replace_unhealthy": True})
    assert timing["timing"]["consistency_delay_seconds"] == 1.0
    assert timing["timing"]["refresh_replace_unhealthy"] is True


def test_server_flag_starts_realistic_and_reset_keeps_it():
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [*SERVER, "--port", "0", "--realism"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        emu = Emulator(_wait_ready(proc))
        threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
        shown = emu.ok("GET", "/_emulator/realism")
        assert shown["enabled"] is True and _subset(shown["timing"], PROFILE) == PROFILE
        # A reset goes back to the start-up state, which is the realistic profile here.
        emu.ok("POST", "/_emulator/timing", {"consistency_delay_seconds": 0})
        emu.reset()
        assert emu.ok("GET", "/_emulator/realism")["enabled"] is True
        # Switching it off still works.
        assert emu.ok("POST", "/_emulator/realism", {"enabled": False})["enabled"] is False
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()
