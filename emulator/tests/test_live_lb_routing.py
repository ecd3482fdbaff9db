"""Live load balancers (`server.py --live-lb`) route as an ALB does: HAProxy
really serves each listener, round robin over a target group's healthy targets
with the X-Forwarded-* headers, and a forward action's weights split the
requests between target groups (a listener change takes effect at once, on the
same port).

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

from collections import Counter

from emulator.tests.aws_stack import al2023_images
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import get, lb_url
from emulator.tests.live_lb_testbed import (
    LIVE_LB_MARKS,
    make_load_balancer,
    make_target_group,
    target_states,
    vpc_subnets,
    web_stack,
)
from emulator.tests.live_lb_testbed import emu, live, run_lock, targets  # noqa: F401 (fixtures)

pytestmark = LIVE_LB_MARKS


def test_listing_and_round_robin(emu, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets)
    listing = emu.ok("GET", "/_emulator/load-balancers")
    assert listing["live"] is True
    entry = listing["load_balancers"][lb["DNSName"]]
    assert entry == listing["load_balancers"][lb["LoadBalancerArn"]]
    url = entry["listeners"]["80"]
    assert url.startswith("http://127.0.0.1:")

    wait_for(lambda: set(target_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    bodies = [get(url)[1] for _ in range(8)]
    assert set(bodies) == {"t0", "t1"}
    assert all(a != b for a, b in zip(bodies, bodies[1:])), bodies  # strict alternation
    status, headers = get(url + "/headers")
    assert status == 200
    assert set(headers.lower().splitlines()) == {"x-forwarded-for: 127.0.0.1", "x-forwarded-proto: http",
                                                 "x-forwarded-port: 80"}


def test_forward_weights_split_across_target_groups(emu, targets):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = vpc_subnets(ec2)
    image = al2023_images(ec2)[0]
    blue, green = (targets.launch(ec2, image, subnets[0]["SubnetId"], n) for n in ("blue", "green"))
    vpc = subnets[0]["VpcId"]
    blue_tg, green_tg = make_target_group(elbv2, vpc, "blue"), make_target_group(elbv2, vpc, "green")
    elbv2.register_targets(TargetGroupArn=blue_tg, Targets=[{"Id": blue.instance_id}])
    elbv2.register_targets(TargetGroupArn=green_tg, Targets=[{"Id": green.instance_id}])
    forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue_tg, "Weight": 80}, {"TargetGroupArn": green_tg, "Weight": 20}]}}
    lb, listener = make_load_balancer(elbv2, subnets, [forward])
    wait_for(lambda: target_states(elbv2, blue_tg) == {blue.instance_id: "healthy"}
             and target_states(elbv2, green_tg) == {green.instance_id: "healthy"}, timeout=10)
    url = lb_url(emu, lb["DNSName"])
    counts = Counter(get(url)[1] for _ in range(400))
    assert set(counts) == {"blue", "green"}
    assert 0.70 <= counts["blue"] / 400 <= 0.90, counts

    # Canary finished: everything to green, at once (listener modified -> reload).
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": blue_tg, "Weight": 0}, {"TargetGroupArn": green_tg, "Weight": 1}]}}])
    assert lb_url(emu, lb["DNSName"]) == url  # the port survives the reload
    assert {get(url)[1] for _ in range(20)} == {"green"}
