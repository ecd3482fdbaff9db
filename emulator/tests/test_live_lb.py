"""Live load balancers (`server.py --live-lb`): HAProxy really serves each listener.

Targets are API-only instances whose private IP lives in a network namespace
(live/vpcnet.py) with a small Python HTTP server in it; all traffic goes to
loopback or into those namespaces. Health check intervals run at 0.05 x their
configured value (HealthCheckIntervalSeconds=5 -> 0.25 s).
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections import Counter

import pytest

from emulator.tests.aws_stack import al2023_images, target_health
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import LiveEmulator, Targets, exclusive_run, get, haproxy_pids, lb_url, skip_reason

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live load balancer tests: {_reason}")
# One live emulator per host: live suites share one test worker (pytest-xdist).
pytestmark = [
    pytest.mark.skipif(_reason is not None, reason=_reason or ""),
    pytest.mark.xdist_group("live"),
]

BASE = f"/run/roundrobin-emulator/lb-test-{os.getpid()}"
OCTET = 16 + os.getpid() % 200


@pytest.fixture(scope="module")
def run_lock():
    lock = exclusive_run()  # two suites at once would fight over namespaces and routes
    try:
        yield
    finally:
        lock.close()


@pytest.fixture(scope="module")
def live(run_lock):
    server = LiveEmulator(BASE)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(BASE, ignore_errors=True)


@pytest.fixture
def emu(live):
    live.emu.reset()
    live.emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.05, "health_check_time_scale": 0.05})
    return live.emu


@pytest.fixture
def targets():
    made = Targets()
    try:
        yield made
    finally:
        made.close()


def _subnet(ec2):
    """Two subnets of a fresh VPC whose CIDR no other run uses (its bridge gets a host route)."""
    vpc = ec2.create_vpc(CidrBlock=f"10.{OCTET}.0.0/16")["Vpc"]["VpcId"]
    return tuple(
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{OCTET}.{16 * i}.0/20", AvailabilityZone=zone)["Subnet"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    )


def _target_group(elbv2, vpc_id, name, **extra):
    params = dict(
        Name=name, Protocol="HTTP", Port=8080, VpcId=vpc_id, TargetType="instance",
        HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
        HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )
    params.update(extra)
    return elbv2.create_target_group(**params)["TargetGroups"][0]["TargetGroupArn"]


def _load_balancer(elbv2, subnets, actions, name="web"):
    lb = elbv2.create_load_balancer(Name=name, Subnets=[s["SubnetId"] for s in subnets], Type="application")
    lb = lb["LoadBalancers"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=actions
    )["Listeners"][0]
    return lb, listener


def _states(elbv2, arn):
    return {i: h["State"] for i, h in target_health(elbv2, arn).items()}


def _stack(emu, targets, count=2, **tg):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = _subnet(ec2)
    image = al2023_images(ec2)[0]
    wired = [targets.launch(ec2, image, subnets[i % 2]["SubnetId"], f"t{i}") for i in range(count)]
    arn = _target_group(elbv2, subnets[0]["VpcId"], "web-targets", **tg)
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": t.instance_id} for t in wired])
    return ec2, elbv2, arn, lb, wired


def test_listing_and_round_robin(emu, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets)
    listing = emu.ok("GET", "/_emulator/load-balancers")
    assert listing["live"] is True
    entry = listing["load_balancers"][lb["DNSName"]]
    assert entry == listing["load_balancers"][lb["LoadBalancerArn"]]
    url = entry["listeners"]["80"]
    assert url.startswith("http://127.0.0.1:")

    wait_for(lambda: set(_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    bodies = [get(url)[1] for _ in range(8)]
    assert set(bodies) == {"t0", "t1"}
    assert all(a != b for a, b in zip(bodies, bodies[1:])), bodies  # strict alternation
    status, headers = get(url + "/headers")
    assert status == 200
    assert set(headers.lower().splitlines()) == {"x-forwarded-for: 127.0.0.1", "x-forwarded-proto: http",
                                                 "x-forwarded-port: 80"}


def test_forward_weights_split_across_target_groups(emu, targets):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = _subnet(ec2)
    image = al2023_images(ec2)[0]
    blue, green = (targets.launch(ec2, image, subnets[0]["SubnetId"], n) for n in ("blue", "green"))
    vpc = subnets[0]["VpcId"]
    blue_tg, green_tg = _target_group(elbv2, vpc, "blue"), _target_group(elbv2, vpc, "green")
    elbv2.register_targets(TargetGroupArn=blue_tg, Targets=[{"Id": blue.instance_id}])
    elbv2.register_targets(TargetGroupArn=green_tg, Targets=[{"Id": green.instance_id}])
    forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue_tg, "Weight": 80}, {"TargetGroupArn": green_tg, "Weight": 20}]}}
    lb, listener = _load_balancer(elbv2, subnets, [forward])
    wait_for(lambda: _states(elbv2, blue_tg) == {blue.instance_id: "healthy"}
             and _states(elbv2, green_tg) == {green.instance_id: "healthy"}, timeout=10)
    url = lb_url(emu, lb["DNSName"])
    counts = Counter(get(url)[1] for _ in range(400))
    assert set(counts) == {"blue", "green"}
    assert 0.70 <= counts["blue"] / 400 <= 0.90, counts

    # Canary finished: everything to green, at once (listener modified -> reload).
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": blue_tg, "Weight": 0}, {"TargetGroupArn": green_tg, "Weight": 1}]}}])
    assert lb_url(emu, lb["DNSName"]) == url  # the port survives the reload
    assert {get(url)[1] for _ in range(20)} == {"green"}


def test_no_healthy_target_answers_503(emu, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets, count=1)
    url = lb_url(emu, lb["DNSName"])
    wired[0].stop()
    wait_for(lambda: _states(elbv2, arn) == {wired[0].instance_id: "unhealthy"}, timeout=10)
    assert get(url)[0] == 503

    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": wired[0].instance_id}])
    assert get(url)[0] == 503  # no target at all


def _checked_on_8080(emu, targets, traffic_ports):
    """Targets whose health checks pass (port 8080 serves) while their traffic goes
    to `traffic_ports[i]`; returns (elbv2, target group ARN, URL, wired targets)."""
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = _subnet(ec2)
    image = al2023_images(ec2)[0]
    wired = [targets.launch(ec2, image, subnets[i % 2]["SubnetId"], f"t{i}") for i in range(len(traffic_ports))]
    arn = _target_group(elbv2, subnets[0]["VpcId"], "web-targets", HealthCheckPort="8080")
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(
        TargetGroupArn=arn, Targets=[{"Id": t.instance_id, "Port": p} for t, p in zip(wired, traffic_ports)]
    )
    wait_for(lambda: set(_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
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
    # its pool; the second (on a new client connection) goes over that pooled
    # connection (`http-reuse always`), and the target closes it unanswered. A
    # retry on a new connection would be answered 200 "first"; the client gets 502.
    elbv2, arn, url, wired = _checked_on_8080(emu, targets, [9090])
    wired[0].misbehave("second", 9090)
    assert get(url) == (200, "first")
    assert get(url)[0] == 502


def test_no_registered_target_answers_503(emu, targets):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = _subnet(ec2)
    arn = _target_group(elbv2, subnets[0]["VpcId"], "empty")
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    status, body = get(lb_url(emu, lb["DNSName"]))
    assert status == 503 and "503" in body


def test_a_target_that_does_not_answer_within_the_idle_timeout_gives_504(emu, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets, count=1)
    # The load balancer's idle timeout (1 s, the least AWS accepts) bounds the wait
    # for the target's answer; the target answers /slow?seconds=3 after 3 s.
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "1"}]
    )
    wait_for(lambda: set(_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
    url = lb_url(emu, lb["DNSName"])
    assert get(url) == (200, "t0")
    assert get(url + "/slow?seconds=3")[0] == 504
    assert get(url) == (200, "t0")


def test_health_transitions(emu, targets):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = _subnet(ec2)
    target = targets.launch(ec2, al2023_images(ec2)[0], subnets[0]["SubnetId"], "only")
    # Slow checks (interval 20 s x 0.05 = 1 s, three to become healthy) so `initial` is observable.
    arn = _target_group(elbv2, subnets[0]["VpcId"], "slow-checks", HealthCheckIntervalSeconds=20,
                        HealthCheckTimeoutSeconds=5, HealthyThresholdCount=3)
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": target.instance_id}])

    first = target_health(elbv2, arn)[target.instance_id]
    assert first["State"] == "initial"
    assert first["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")
    wait_for(lambda: _states(elbv2, arn)[target.instance_id] == "healthy", timeout=10)

    target.stop()
    wait_for(lambda: _states(elbv2, arn)[target.instance_id] == "unhealthy", timeout=10)
    assert target_health(elbv2, arn)[target.instance_id]["Reason"] == "Target.FailedHealthChecks"

    target.start("only")
    wait_for(lambda: _states(elbv2, arn)[target.instance_id] == "healthy", timeout=10)
    assert get(lb_url(emu, lb["DNSName"])) == (200, "only")


def test_response_code_mismatch(emu, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets, count=1, Matcher={"HttpCode": "204"})
    wait_for(lambda: _states(elbv2, arn)[wired[0].instance_id] == "unhealthy", timeout=10)
    health = target_health(elbv2, arn)[wired[0].instance_id]
    assert health["Reason"] == "Target.ResponseCodeMismatch"
    assert "200" in health["Description"]


def test_draining_keeps_in_flight_requests(emu, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets)
    # 60 s x 0.05 = 3 s of draining.
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "60"}]
    )
    wait_for(lambda: set(_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
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
    assert _states(elbv2, arn) == {staying.instance_id: "healthy"}


def test_asg_with_elb_checks_sees_unhealthy_instance(emu, targets):
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    subnets = _subnet(ec2)
    image = al2023_images(ec2)[0]
    arn = _target_group(elbv2, subnets[0]["VpcId"], "asg-targets")
    elbv2.modify_target_group_attributes(  # 20 s x 0.05 = 1 s of draining
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "20"}]
    )
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    template = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=1, MaxSize=2, DesiredCapacity=2, VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        TargetGroupARNs=[arn], HealthCheckType="ELB", HealthCheckGracePeriod=0,
    )
    # What the group sees is checked here; healing would replace the sick instance
    # (test_healing.py; the live story's chaos stage).
    autoscaling.suspend_processes(AutoScalingGroupName="web", ScalingProcesses=["ReplaceUnhealthy"])
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    sick_id, well_id = sorted(i["InstanceId"] for i in group["Instances"])
    targets.wire(ec2, well_id, name="well")
    targets.wire(ec2, sick_id, serve=False)  # nothing listens: connection refused

    def health():
        found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
        return {i["InstanceId"]: i["HealthStatus"] for i in found["Instances"]}

    wait_for(lambda: _states(elbv2, arn) == {sick_id: "unhealthy", well_id: "healthy"}, timeout=10)
    assert health() == {sick_id: "Unhealthy", well_id: "Healthy"}
    assert {get(lb_url(emu, lb["DNSName"]))[1] for _ in range(6)} == {"well"}

    # Scale-in takes the instance out of the load balancer (it drains, then is gone).
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=sick_id, ShouldDecrementDesiredCapacity=True)
    wait_for(lambda: sick_id not in target_health(elbv2, arn), timeout=10)


def test_marks_do_not_apply_and_reset_stops_haproxy(emu, live, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets, count=1)
    assert emu.control("POST", "/_emulator/timing", {"health_check_time_scale": 0})[0] == 400
    assert emu.ok("GET", "/_emulator/timing")["timing"]["health_check_time_scale"] == 0.05
    emu.ok("POST", "/_emulator/unhealthy-instances", {"instance_id": wired[0].instance_id})
    wait_for(lambda: _states(elbv2, arn) == {wired[0].instance_id: "healthy"}, timeout=10)
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
        subnets = _subnet(ec2)
        arn = _target_group(elbv2, subnets[0]["VpcId"], "crash")
        _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
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
        subnets = _subnet(ec2)
        arn = _target_group(elbv2, subnets[0]["VpcId"], "clean")
        _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
        assert haproxy_pids(second_dir)
    finally:
        second.stop(signal.SIGINT)  # SIGINT as well as SIGTERM (the module fixture) cleans up
        assert not haproxy_pids(second_dir)
        left = os.listdir(second_dir) if os.path.exists(second_dir) else None
        assert left is None, (left, second.proc.returncode, second.stderr()[-2000:])  # a clean stop removes its files
        shutil.rmtree(base, ignore_errors=True)


def _refresh_stack(emu):
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    subnets = _subnet(ec2)
    image_v1, image_v2 = al2023_images(ec2)[:2]
    # Interval 20 s x 0.05 = 1 s: healthy after 2 passing checks, unhealthy after 3 failing ones.
    arn = _target_group(elbv2, subnets[0]["VpcId"], "refresh-targets", HealthCheckIntervalSeconds=20,
                        HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2, UnhealthyThresholdCount=3)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}]
    )
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    data = {"ImageId": image_v1, "InstanceType": "t3.micro"}
    template = ec2.create_launch_template(LaunchTemplateName="web-template", LaunchTemplateData=data)[
        "LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=template, LaunchTemplateData={**data, "ImageId": image_v2})
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=1, MaxSize=2, DesiredCapacity=1, VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        # The grace period keeps Auto Scaling from replacing the first instance
        # before the test wired it; the refresh judges its batches without it.
        TargetGroupARNs=[arn], HealthCheckType="ELB", HealthCheckGracePeriod=300,
    )
    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="web", DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": template, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
    )["InstanceRefreshId"]
    return ec2, elbv2, autoscaling, arn, lb, refresh_id


def _refresh(autoscaling, refresh_id):
    return autoscaling.describe_instance_refreshes(AutoScalingGroupName="web", InstanceRefreshIds=[refresh_id])[
        "InstanceRefreshes"][0]


def test_instance_refresh_waits_for_initial_then_fails_on_unhealthy(emu, targets):
    ec2, elbv2, autoscaling, arn, lb, refresh_id = _refresh_stack(emu)
    # The new instance is never wired up: its checks fail (no route to it).
    (old,) = _states(elbv2, arn)
    new = wait_for(lambda: [i for i, s in _states(elbv2, arn).items() if i != old and s == "initial"], timeout=10)
    assert _refresh(autoscaling, refresh_id)["Status"] == "InProgress"  # waits, not failed at once
    time.sleep(0.5)
    assert _states(elbv2, arn)[new[0]] == "initial"
    assert _refresh(autoscaling, refresh_id)["Status"] == "InProgress"
    done = wait_for(lambda: (r := _refresh(autoscaling, refresh_id))["Status"] in ("Failed", "Successful") and r,
                    timeout=20)
    assert done["Status"] == "Failed"
    assert "failed health checks" in done["StatusReason"]


def test_instance_refresh_succeeds_when_new_instances_pass(emu, targets):
    ec2, elbv2, autoscaling, arn, lb, refresh_id = _refresh_stack(emu)
    (old,) = _group_members(autoscaling)
    wired: set[str] = set()
    # (old instance's lifecycle state, its EC2 state, its target state, refresh status)
    seen: list[tuple[str, str, str, str]] = []

    def wire_new_instances():
        status = _refresh(autoscaling, refresh_id)["Status"]  # first: what follows is as new or newer
        members = _group_members(autoscaling)
        for instance_id in members:
            if instance_id not in wired:
                wired.add(instance_id)
                targets.wire(ec2, instance_id, name=instance_id)
        seen.append((members.get(old, "-"), _ec2_state(ec2, old), _states(elbv2, arn).get(old, "-"), status))
        return status not in ("Pending", "InProgress")

    try:
        wait_for(wire_new_instances, timeout=30, interval=0.05)
    except AssertionError:
        raise AssertionError((seen[-3:], _refresh(autoscaling, refresh_id), _group_members(autoscaling),
                              target_health(elbv2, arn))) from None
    assert _refresh(autoscaling, refresh_id)["Status"] == "Successful"
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    (instance,) = group["Instances"]
    assert instance["LaunchTemplate"]["Version"] == "2"
    assert get(lb_url(emu, lb["DNSName"])) == (200, instance["InstanceId"])
    # The replaced instance was deregistered and drained while it still ran, and
    # the refresh ended only after it was terminated.
    assert ("Terminating", "running", "draining", "InProgress") in seen, seen
    assert seen[-1][0] == "-" and seen[-1][1] in ("shutting-down", "terminated"), seen


def test_reload_and_deletion_keep_in_flight_requests(emu, targets):
    ec2, elbv2, arn, lb, wired = _stack(emu, targets, count=1)
    wait_for(lambda: set(_states(elbv2, arn).values()) == {"healthy"}, timeout=10)
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
    assert _states(elbv2, arn) == {wired[0].instance_id: "healthy"}
    fixed = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain",
                                                               "MessageBody": "teapot"}}
    elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=[fixed])
    assert get(url) == (418, "teapot")
    assert _states(elbv2, arn) == {wired[0].instance_id: "unused"}  # Target.NotInUse

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


def _group_members(autoscaling, name="web"):
    found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i["LifecycleState"] for i in found["Instances"]}


def _ec2_state(ec2, instance_id):
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_auto_scaling_deregisters_and_drains_before_it_terminates(emu, targets):
    """AWS's order (EC2 Auto Scaling user guide, Elastic Load Balancing chapter):
    deregister, let the target drain for the deregistration delay with the instance
    `Terminating` but still running, then terminate it."""
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    subnets = _subnet(ec2)
    image = al2023_images(ec2)[0]
    arn = _target_group(elbv2, subnets[0]["VpcId"], "asg-targets")
    elbv2.modify_target_group_attributes(  # 60 s x 0.05 = 3 s of draining
        TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "60"}]
    )
    lb, _ = _load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    template = ec2.create_launch_template(
        LaunchTemplateName="web-template", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateId": template, "Version": "1"},
        MinSize=0, MaxSize=3, DesiredCapacity=3, VPCZoneIdentifier=",".join(s["SubnetId"] for s in subnets),
        TargetGroupARNs=[arn],  # EC2 health checks: nothing is replaced before it is wired
    )
    ids = sorted(_group_members(autoscaling))
    for instance_id in ids:
        targets.wire(ec2, instance_id, name=instance_id)
    wait_for(lambda: set(_states(elbv2, arn).values()) == {"healthy"} and len(_states(elbv2, arn)) == 3, timeout=10)
    url = lb_url(emu, lb["DNSName"])

    # A slow request in flight on the instance that is taken out (strict rotation:
    # after the instance that served one request, the next one in the order serves).
    order = [get(url)[1] for _ in range(3)]
    victim = order[0]
    slow: dict[str, object] = {}
    thread = threading.Thread(target=lambda: slow.update(result=get(url + "/slow?seconds=1.5")))
    thread.start()
    time.sleep(0.3)
    with pytest.raises(Exception) as unknown:
        autoscaling.terminate_instance_in_auto_scaling_group(InstanceId="i-00000000000000000",
                                                             ShouldDecrementDesiredCapacity=True)
    assert "ValidationError" in str(unknown.value)
    autoscaling.terminate_instance_in_auto_scaling_group(InstanceId=victim, ShouldDecrementDesiredCapacity=True)

    # Deregistered at once, but not terminated: Terminating for Auto Scaling,
    # running for EC2, draining for the load balancer, which sends it nothing new.
    assert _group_members(autoscaling)[victim] == "Terminating"
    assert _ec2_state(ec2, victim) == "running"
    assert _states(elbv2, arn)[victim] == "draining"
    assert victim not in {get(url)[1] for _ in range(6)}
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 2
    thread.join(timeout=15)
    assert slow.get("result") == (200, victim)  # the request in flight finished
    # Terminated only once the drain is over; until then it never stopped running.
    seen: list[tuple[str, str]] = []

    def terminated():
        members = _group_members(autoscaling)
        seen.append((members.get(victim, "-"), _ec2_state(ec2, victim)))
        return victim not in members and seen[-1][1] in ("shutting-down", "terminated")

    wait_for(terminated, timeout=15, interval=0.05)
    while_member = [ec2_state for lifecycle, ec2_state in seen if lifecycle == "Terminating"]
    assert while_member and set(while_member) == {"running"}, seen
    assert victim not in _states(elbv2, arn)

    # Scale-in takes the same path: Terminating and draining first.
    autoscaling.set_desired_capacity(AutoScalingGroupName="web", DesiredCapacity=1)
    members = _group_members(autoscaling)
    leaving = [i for i, s in members.items() if s == "Terminating"]
    assert len(leaving) == 1 and list(members.values()).count("InService") == 1
    assert _ec2_state(ec2, leaving[0]) == "running" and _states(elbv2, arn)[leaving[0]] == "draining"
    wait_for(lambda: list(_group_members(autoscaling).values()) == ["InService"], timeout=15)
    assert _ec2_state(ec2, leaving[0]) in ("shutting-down", "terminated")
