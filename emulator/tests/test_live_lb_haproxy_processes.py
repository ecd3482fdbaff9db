"""The HAProxy processes of live load balancers belong to the emulator that
started them: the emulator's marks for unhealthy instances do not apply to
real health checks (and their time scale cannot be 0), a reset stops every
HAProxy and leaves only the owner file, a stop by SIGINT or SIGTERM removes
everything, and what an emulator killed with SIGKILL left is removed by the
next one at its start.

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

import os
import shutil
import signal

from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import LiveEmulator, haproxy_pids
from emulator.tests.live_lb_testbed import (
    BASE,
    LIVE_LB_MARKS,
    make_load_balancer,
    make_target_group,
    target_states,
    vpc_subnets,
    web_stack,
)
from emulator.tests.live_lb_testbed import emu, live, run_lock, targets  # noqa: F401 (fixtures)

pytestmark = LIVE_LB_MARKS


def test_marks_do_not_apply_and_reset_stops_haproxy(emu, live, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets, count=1)
    assert emu.control("POST", "/_emulator/timing", {"health_check_time_scale": 0})[0] == 400
    assert emu.ok("GET", "/_emulator/timing")["timing"]["health_check_time_scale"] == 0.05
    emu.ok("POST", "/_emulator/unhealthy-instances", {"instance_id": wired[0].instance_id})
    wait_for(lambda: target_states(elbv2, arn) == {wired[0].instance_id: "healthy"}, timeout=10)
    run_dir = os.path.join(BASE, f"rr-{live.proc.pid}")
    assert len(haproxy_pids(run_dir)) >= 1
    emu.reset()
    wait_for(lambda: not haproxy_pids(run_dir), timeout=10)
    assert sorted(os.listdir(run_dir)) == ["owner.pid"]
    assert emu.ok("GET", "/_emulator/load-balancers")["load_balancers"] == {}


def test_leftovers_swept_after_kill_9(run_lock):
    base = BASE + "-crash"
    first = LiveEmulator(base)
    emu = first.start()
    try:
        ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
        subnets = vpc_subnets(ec2)
        arn = make_target_group(elbv2, subnets[0]["VpcId"], "crash")
        make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
        run_dir = os.path.join(base, f"rr-{first.proc.pid}")
        leftover = haproxy_pids(run_dir)
        assert leftover
        first.stop(signal.SIGKILL)
        assert haproxy_pids(run_dir) == leftover  # nothing cleaned up a crash
    finally:
        first.stop(signal.SIGKILL)
    second = LiveEmulator(base)
    emu = second.start()
    second_dir = os.path.join(base, f"rr-{second.proc.pid}")
    try:
        assert not os.path.exists(run_dir)
        assert not haproxy_pids(run_dir)
        assert "removed leftovers" in second.stderr()
        ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
        subnets = vpc_subnets(ec2)
        arn = make_target_group(elbv2, subnets[0]["VpcId"], "clean")
        make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
        assert haproxy_pids(second_dir)
    finally:
        second.stop(signal.SIGINT)  # SIGINT as well as SIGTERM (the module fixture) cleans up
        assert not haproxy_pids(second_dir)
        left = os.listdir(second_dir) if os.path.exists(second_dir) else None
        assert left is None, (left, second.proc.returncode, second.stderr()[-2000:])  # a clean stop removes its files
        shutil.rmtree(base, ignore_errors=True)
