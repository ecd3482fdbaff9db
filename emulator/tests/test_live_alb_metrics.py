"""AWS/ApplicationELB metrics from the requests a live load balancer serves
(cloudwatch/alb_metrics.py), as the ELB user guide's "CloudWatch metrics for your
Application Load Balancer" defines them.

Targets are API-only instances whose private IP lives in a network namespace with
a small server answering the status it is asked for (metrics_support.STATUS_SERVER);
all traffic goes to loopback or into those namespaces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from emulator.tests.aws_stack import al2023_images, target_health
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import LiveEmulator, Targets, exclusive_run, get, lb_url, skip_reason, wait_port
from emulator.tests.metrics_support import STATUS_SERVER, extended, metric_names, statistics, total

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live load balancer metrics tests: {_reason}")
pytestmark = [
    pytest.mark.skipif(_reason is not None, reason=_reason or ""),
    pytest.mark.xdist_group("live"),
]

BASE = f"/run/roundrobin-emulator/lb-metrics-test-{os.getpid()}"
OCTET = 16 + (os.getpid() + 101) % 200
NS = "AWS/ApplicationELB"


@pytest.fixture(scope="module")
def live():
    lock = exclusive_run()
    server = LiveEmulator(BASE)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(BASE, ignore_errors=True)
        lock.close()


@pytest.fixture
def emu(live):
    live.emu.reset()
    live.emu.ok("POST", "/_emulator/timing", {"health_check_time_scale": 0.05})
    # The metrics' time scale (state.py) shortens the health samples; older
    # emulators without the key sample every 10 s.
    live.emu.control("POST", "/_emulator/timing", {"metric_time_scale": 0.05})
    return live.emu


@pytest.fixture
def targets():
    made = Targets()
    try:
        yield made
    finally:
        made.close()


def _serve_statuses(target, port: int) -> None:
    proc = subprocess.Popen(
        ["ip", "netns", "exec", target.netns, sys.executable, "-c", STATUS_SERVER, target.ip, str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    target.extra.append(proc)
    wait_port(target.ip, port)


def _stack(emu, targets, traffic_ports, idle_timeout=None):
    """Targets that pass health checks on 8080 (status server) with their traffic
    on `traffic_ports[i]` (a port nothing listens on refuses the traffic)."""
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock=f"10.{OCTET}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{OCTET}.{16 * i}.0/20", AvailabilityZone=zone)["Subnet"]
        for i, zone in enumerate(("us-east-1a", "us-east-1b"))
    ]
    image = al2023_images(ec2)[0]
    wired = []
    for i in range(len(traffic_ports)):
        instance_id = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnets[i % 2]["SubnetId"])[
            "Instances"
        ][0]["InstanceId"]
        target = targets.wire(ec2, instance_id, serve=False)
        _serve_statuses(target, 8080)
        wired.append(target)
    tg = elbv2.create_target_group(
        Name="web-targets", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance",
        HealthCheckPath="/health", HealthCheckPort="8080", HealthCheckIntervalSeconds=5,
        HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]
    lb = elbv2.create_load_balancer(Name="web", Subnets=[s["SubnetId"] for s in subnets], Type="application")[
        "LoadBalancers"
    ][0]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    if idle_timeout is not None:
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": str(idle_timeout)}],
        )
    elbv2.register_targets(
        TargetGroupArn=tg, Targets=[{"Id": t.instance_id, "Port": p} for t, p in zip(wired, traffic_ports)]
    )
    wait_for(lambda: {h["State"] for h in target_health(elbv2, tg).values()} == {"healthy"}, timeout=15)
    lb_dim = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
    tg_dim = tg.rsplit(":", 1)[1]
    return elbv2, tg, lb_url(emu, lb["DNSName"]), lb_dim, tg_dim, wired


def test_target_responses_count_per_load_balancer_and_target_group(emu, targets):
    elbv2, tg, url, lb_dim, tg_dim, _ = _stack(emu, targets, [8080])
    paths = ["/status/200"] * 6 + ["/status/302"] + ["/status/404"] * 2 + ["/status/500"] * 3 + ["/sleep/300"] * 2
    for path in paths:
        get(url + path)
    lb_only = {"LoadBalancer": lb_dim}
    per_tg = {"TargetGroup": tg_dim, "LoadBalancer": lb_dim}
    wait_for(lambda: total(emu.url, NS, "RequestCount", per_tg) == len(paths), timeout=10)
    for dims in (lb_only, per_tg):
        assert total(emu.url, NS, "RequestCount", dims) == 14
        assert total(emu.url, NS, "HTTPCode_Target_2XX_Count", dims) == 8
        assert total(emu.url, NS, "HTTPCode_Target_3XX_Count", dims) == 1
        assert total(emu.url, NS, "HTTPCode_Target_4XX_Count", dims) == 2
        assert total(emu.url, NS, "HTTPCode_Target_5XX_Count", dims) == 3
        counts = statistics(emu.url, NS, "HTTPCode_Target_5XX_Count", dims)
        assert counts is not None and counts["Average"] == counts["Minimum"] == counts["Maximum"] == 1.0
        latency = statistics(emu.url, NS, "TargetResponseTime", dims)
        assert latency is not None and latency["SampleCount"] == 14
        assert 0.3 <= latency["Maximum"] < 5.0  # seconds, measured to the target's response headers
        # Percentiles come from the per-request values: 2 of 14 took 300 ms, so p99 is one of them.
        assert max(extended(emu.url, NS, "TargetResponseTime", dims, "p99")) >= 0.3
    assert total(emu.url, NS, "HTTPCode_ELB_5XX_Count", lb_only) == 0  # the targets' 500s are theirs
    listed = metric_names(emu.url, NS)
    assert ("RequestCount", (("LoadBalancer", lb_dim),)) in listed
    assert ("RequestCount", (("LoadBalancer", lb_dim), ("TargetGroup", tg_dim))) in listed
    # ELB codes are per load balancer only
    assert not any(name.startswith("HTTPCode_ELB") and len(dims) > 1 for name, dims in listed)


def test_load_balancer_errors_count_as_elb_codes(emu, targets):
    # t0 serves; t1 passes its checks on 8080 but refuses its traffic port 9090.
    elbv2, tg, url, lb_dim, tg_dim, wired = _stack(emu, targets, [8080, 9090], idle_timeout=1)
    statuses = [get(url + "/status/200")[0] for _ in range(4)]
    assert sorted(statuses) == [200, 200, 502, 502]
    assert get(url + "/sleep/2500")[0] in (502, 504)  # round robin: t0 answers late (504) or t1 refuses (502)
    lb_only = {"LoadBalancer": lb_dim}
    per_tg = {"TargetGroup": tg_dim, "LoadBalancer": lb_dim}
    wait_for(lambda: total(emu.url, NS, "RequestCount", per_tg) == 5, timeout=10)
    elb_502 = total(emu.url, NS, "HTTPCode_ELB_502_Count", lb_only)
    elb_504 = total(emu.url, NS, "HTTPCode_ELB_504_Count", lb_only)
    assert (elb_502, elb_504) in ((2, 1), (3, 0))
    assert total(emu.url, NS, "HTTPCode_ELB_5XX_Count", lb_only) == 3
    assert total(emu.url, NS, "TargetConnectionErrorCount", per_tg) == elb_502
    assert total(emu.url, NS, "HTTPCode_Target_2XX_Count", per_tg) == 2
    assert statistics(emu.url, NS, "HTTPCode_ELB_502_Count", per_tg) is None

    # No target to choose: 503 from the load balancer, not a request (RequestCount
    # counts only requests a target was chosen for).
    elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": t.instance_id} for t in wired])
    assert get(url + "/status/200")[0] == 503
    wait_for(lambda: total(emu.url, NS, "HTTPCode_ELB_503_Count", lb_only) == 1, timeout=10)
    assert total(emu.url, NS, "HTTPCode_ELB_5XX_Count", lb_only) == 4
    assert total(emu.url, NS, "RequestCount", lb_only) == 5


def test_host_counts_and_requests_per_target(emu, targets):
    elbv2, tg, url, lb_dim, tg_dim, wired = _stack(emu, targets, [8080, 8080])
    per_tg = {"TargetGroup": tg_dim, "LoadBalancer": lb_dim}

    def host_counts():
        healthy = statistics(emu.url, NS, "HealthyHostCount", per_tg)
        return healthy is not None and healthy["Maximum"] == 2.0

    wait_for(host_counts, timeout=40)
    for _ in range(10):
        get(url + "/status/200")
    # 10 requests over 2 healthy targets: RequestCountPerTarget's Sum is 5.
    wait_for(lambda: total(emu.url, NS, "RequestCountPerTarget", {"TargetGroup": tg_dim}) >= 5.0, timeout=10)
    assert total(emu.url, NS, "RequestCountPerTarget", {"TargetGroup": tg_dim}) == 5.0
    assert total(emu.url, NS, "RequestCountPerTarget", per_tg) == 5.0

    wired[1].stop()  # its checks fail: one healthy, one unhealthy
    wait_for(lambda: {h["State"] for h in target_health(elbv2, tg).values()} == {"healthy", "unhealthy"}, timeout=15)

    def one_unhealthy():
        unhealthy = statistics(emu.url, NS, "UnHealthyHostCount", per_tg)
        return unhealthy is not None and unhealthy["Maximum"] == 1.0

    wait_for(one_unhealthy, timeout=40)
    # No request for a while: RequestCountPerTarget reports zeros, not nothing.
    listed = statistics(emu.url, NS, "RequestCountPerTarget", {"TargetGroup": tg_dim})
    assert listed is not None and listed["Minimum"] == 0.0
