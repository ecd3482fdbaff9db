"""What a client of a live load balancer gets when its targets cannot serve:
503 with no healthy or no registered target, 502 when the target refuses,
resets or closes the connection without an answer (and the request is not sent
again to another target or over a new connection), 504 when the target does
not answer within the load balancer's idle timeout.

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

import pytest

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


def test_no_healthy_target_answers_503(emu, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets, count=1)
    url = lb_url(emu, lb["DNSName"])
    wired[0].stop()
    wait_for(lambda: target_states(elbv2, arn) == {wired[0].instance_id: "unhealthy"}, timeout=10)
    assert get(url)[0] == 503

    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": wired[0].instance_id}])
    assert get(url)[0] == 503  # no target at all


def _checked_on_8080(emu, targets, traffic_ports):
    """Targets whose health checks pass (port 8080 serves) while their traffic goes
    to `traffic_ports[i]`; returns (elbv2, target group ARN, URL, wired targets)."""
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = vpc_subnets(ec2)
    image = al2023_images(ec2)[0]
    wired = [targets.launch(ec2, image, subnets[i % 2]["SubnetId"], f"t{i}") for i in range(len(traffic_ports))]
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "web-targets", HealthCheckPort="8080")
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(
        TargetGroupArn=arn, Targets=[{"Id": t.instance_id, "Port": p} for t, p in zip(wired, traffic_ports)]
    )
    wait_for(lambda: set(target_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    return elbv2, arn, lb_url(emu, lb["DNSName"]), wired


def test_a_refusing_target_gives_502_and_the_request_is_not_retried(emu, targets):
    # t0 serves its traffic port; t1 passes its health checks but refuses the
    # traffic port (nothing listens on 9090). Round robin alternates: an ALB
    # answers the request that went to t1 with 502 and does not try t0 instead.
    elbv2, arn, url, wired = _checked_on_8080(emu, targets, [8080, 9090])
    answers = [get(url) for _ in range(10)]
    assert sorted(set(answers)) == [(200, "t0"), (502, "<html><body><h1>502 Bad Gateway</h1></body></html>")]
    assert [status for status, _ in answers].count(502) == 5, answers
    assert all(a[0] != b[0] for a, b in zip(answers, answers[1:])), answers


@pytest.mark.parametrize("mode", ["reset", "close"])
def test_a_target_that_resets_or_closes_without_answer_gives_502(emu, targets, mode):
    elbv2, arn, url, wired = _checked_on_8080(emu, targets, [9090])
    wired[0].misbehave(mode, 9090)
    assert [get(url)[0] for _ in range(4)] == [502] * 4


def test_a_request_on_a_reused_connection_the_target_closed_is_not_sent_again(emu, targets):
    # The first request opens a connection to the target, which HAProxy keeps in
    # its pool; the next (on a new client connection) goes over that pooled
    # connection (`http-reuse always`), and the target closes it unanswered: the
    # client gets 502. A retry on a new connection would be answered 200, and the
    # target's answer says how many requests it dropped before ("dropped=1").
    # HAProxy closes idle pooled connections after 0.5 s (`pool-purge-delay`) and
    # pools them per thread: the next request may find none and open a new one,
    # which answers "dropped=0"; a request after it then reuses a pooled one.
    elbv2, arn, url, wired = _checked_on_8080(emu, targets, [9090])
    wired[0].misbehave("second", 9090)
    assert get(url) == (200, "first dropped=0")
    for _ in range(5):
        answer = get(url)
        if answer[0] == 502:
            _assert_the_drop_was_counted(url)
            return
        assert answer == (200, "first dropped=0"), f"a dropped request was sent again: {answer}"
    pytest.fail("five requests in a row found no pooled connection to reuse")


def _assert_the_drop_was_counted(url: str) -> None:
    """A new connection's answer counts the dropped request. Idle connections are
    pooled per HAProxy thread, so another pooled one may fail first, likewise."""
    for _ in range(5):
        status, body = get(url)
        if status == 200:
            assert body.startswith("first dropped=") and body != "first dropped=0", body
            return
        assert status == 502, (status, body)
    pytest.fail("five requests in a row found only pooled connections")


def test_no_registered_target_answers_503(emu, targets):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = vpc_subnets(ec2)
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "empty")
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    status, body = get(lb_url(emu, lb["DNSName"]))
    assert status == 503 and "503" in body


def test_a_target_that_does_not_answer_within_the_idle_timeout_gives_504(emu, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets, count=1)
    # The load balancer's idle timeout (1 s, the least AWS accepts) bounds the wait
    # for the target's answer; the target answers /slow?seconds=3 after 3 s.
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "1"}]
    )
    wait_for(lambda: set(target_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    url = lb_url(emu, lb["DNSName"])
    assert get(url) == (200, "t0")
    assert get(url + "/slow?seconds=3")[0] == 504
    assert get(url) == (200, "t0")
