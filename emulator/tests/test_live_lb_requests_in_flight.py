"""A request in flight on a live load balancer finishes: on a target that is
draining after its deregistration (which gets no new requests, and leaves the
group when the deregistration delay is over), across a reload of HAProxy for
a listener change (health carried over), and when the listener or the load
balancer is deleted (new connections are refused).

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

import threading
import time

import pytest

from emulator.tests.aws_stack import target_health
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import get, lb_url
from emulator.tests.live_lb_testbed import LIVE_LB_MARKS, target_states, web_stack
from emulator.tests.live_lb_testbed import emu, live, run_lock, targets  # noqa: F401 (fixtures)

pytestmark = LIVE_LB_MARKS


def test_draining_keeps_in_flight_requests(emu, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets)
    # 60 s x 0.05 = 3 s of draining.
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "60"}]
    )
    wait_for(lambda: set(target_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    url = lb_url(emu, lb["DNSName"])
    # Strict rotation: the request after one served by X goes to the other target.
    served_first = get(url)[1]
    leaving, staying = (wired[1], wired[0]) if served_first == "t0" else (wired[0], wired[1])
    leaving_name, staying_name = ("t1", "t0") if served_first == "t0" else ("t0", "t1")

    slow: dict[str, object] = {}
    thread = threading.Thread(target=lambda: slow.update(result=get(url + "/slow?seconds=1.5")))
    thread.start()
    time.sleep(0.3)  # the slow request is in flight on the leaving target
    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": leaving.instance_id}])
    health = target_health(elbv2, arn)
    assert health[leaving.instance_id]["State"] == "draining"
    assert health[leaving.instance_id]["Reason"] == "Target.DeregistrationInProgress"
    assert {get(url)[1] for _ in range(6)} == {staying_name}  # no new requests to the draining target

    thread.join(timeout=15)
    assert slow.get("result") == (200, leaving_name)
    assert leaving.instance_id in target_health(elbv2, arn)  # still draining (3 s)
    wait_for(lambda: leaving.instance_id not in target_health(elbv2, arn), timeout=10)
    assert target_states(elbv2, arn) == {staying.instance_id: "healthy"}


def test_reload_and_deletion_keep_in_flight_requests(emu, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets, count=1)
    wait_for(lambda: set(target_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    url = lb_url(emu, lb["DNSName"])
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]

    def slow_during(change):
        result: dict[str, object] = {}
        thread = threading.Thread(target=lambda: result.update(r=get(url + "/slow?seconds=1")))
        thread.start()
        time.sleep(0.3)
        change()
        thread.join(timeout=15)
        return result.get("r")

    # A listener change reloads HAProxy; the request in flight finishes on the old process.
    weighted = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn, "Weight": 5}]}}
    assert slow_during(lambda: elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[weighted])) \
        == (200, "t0")
    assert get(url) == (200, "t0")  # health carried over the reload: no initial phase again
    assert target_states(elbv2, arn) == {wired[0].instance_id: "healthy"}
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain",
                                                               "MessageBody": "teapot"}}
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[fixed])
    assert get(url) == (418, "teapot")
    assert target_states(elbv2, arn) == {wired[0].instance_id: "unused"}  # Target.NotInUse

    # Deleting the load balancer stops accepting but lets the request finish.
    elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    assert emu.ok("GET", "/_emulator/load-balancers")["load_balancers"] == {}
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": arn}])
    url = lb_url(emu, lb["DNSName"])
    wait_for(lambda: get(url)[0] == 200, timeout=10)
    assert slow_during(lambda: elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])) == (200, "t0")
    with pytest.raises(OSError):
        get(url, timeout=2)
