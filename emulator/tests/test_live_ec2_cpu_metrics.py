"""AWS/EC2 CPUUtilization of live machines (cloudwatch/ec2_cpu.py), from the CPU
time of each machine's cgroup. Needs root and systemd-nspawn (skipped loudly
otherwise); traffic goes only to loopback."""

from __future__ import annotations

import pytest

from emulator.tests.conftest import wait_for
from emulator.tests.live_machines_support import (
    base_image_id,
    make_profile,
    ping,
    running_live_server,
    send,
    skip_reason,
    wait_state,
)
from emulator.tests.metrics_support import statistics

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live CPU metrics tests: {_reason}")
pytestmark = [pytest.mark.skipif(_reason is not None, reason=_reason or ""), pytest.mark.xdist_group("live")]


@pytest.fixture(scope="module")
def emu():
    with running_live_server("rr-live-cpu-") as server:
        server.emu.ok("POST", "/_emulator/timing", {"metric_time_scale": 0.1})  # 60 s periods last 6 s
        yield server.emu


def test_a_busy_machine_shows_its_cpu_utilization(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    profile = make_profile(emu.client("iam"))
    instance_id = ec2.run_instances(
        ImageId=base_image_id(ec2), MinCount=1, MaxCount=1, InstanceType="t3.micro",
        IamInstanceProfile={"Name": profile}, Monitoring={"Enabled": True},
    )["Instances"][0]["InstanceId"]
    wait_state(ec2, instance_id, "running")
    wait_for(lambda: ping(ssm, instance_id) == "Online", timeout=30, interval=0.25)
    dims = {"InstanceId": instance_id}
    # Detailed monitoring: one datapoint per (scaled) minute, while idle too.
    wait_for(lambda: statistics(emu.url, "AWS/EC2", "CPUUtilization", dims) is not None, timeout=30, interval=0.5)
    send(ssm, instance_id, ["timeout 20 sh -c 'while :; do :; done' || true"])

    def busy():
        found = statistics(emu.url, "AWS/EC2", "CPUUtilization", dims)
        return found is not None and found["Maximum"] >= 20.0  # one busy core of t3.micro's 2 vCPUs: up to 50 %

    wait_for(busy, timeout=40, interval=0.5)
    found = statistics(emu.url, "AWS/EC2", "CPUUtilization", dims)
    assert found is not None and found["Maximum"] <= 100.0
