"""Real machines of a live emulator on this host are safe for it (README, "Live
machines", "Safety on the host"): a machine reaches the machines of its VPC
and is reached by the load balancer (HAProxy on the host), but reaches
nothing beyond the VPC and no service of the host, even on a host that
forwards; after the stop the machines, the filter table and the bridge are
gone.

The place beyond the VPC is a network namespace the test makes, on a veth of
its own with a TEST-NET range the host does not use. Needs root,
systemd-nspawn, ip, nft and haproxy.
"""

from __future__ import annotations

import fcntl
import tempfile
import urllib.request
from typing import IO, Any

import pytest

from emulator.live import mode, routes, sweep, vpcnet
from emulator.tests import live_machines_support as machines
from emulator.tests.conftest import wait_for
from emulator.tests.live_safety_support import (
    delete_netns,
    links,
    make_netns,
    nft_tables,
    probe,
    sh,
    start_server,
    stop,
)
from emulator.tests.live_safety_testbed import LIVE_GROUP, TAG, needs_root

pytestmark = LIVE_GROUP

OUTSIDE_CANDIDATES = ("198.51.100.0/30", "198.51.100.4/30", "203.0.113.0/30", "203.0.113.4/30")


@pytest.fixture
def outside():
    """A test-made namespace beyond the VPC, on a veth of its own from the host
    with a TEST-NET /30 the host does not use; a server in it answers `outside`."""
    free = next((c for c in OUTSIDE_CANDIDATES if not routes.first_clash(c)), None)
    if free is None:
        pytest.skip(f"every test range {OUTSIDE_CANDIDATES} is in use on this host")
    network = routes.ipaddress.ip_network(free)
    near, far = (str(a) for a in list(network.hosts())[:2])
    name, veth = f"rrt-x{TAG}", f"rrtx{TAG}"
    delete_netns(name)
    server = None
    try:
        make_netns(name)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name)
        sh("ip", "addr", "add", f"{near}/30", "dev", veth)
        sh("ip", "link", "set", veth, "up")
        sh("ip", "-n", name, "addr", "add", f"{far}/30", "dev", "eth0")
        sh("ip", "-n", name, "link", "set", "eth0", "up")
        sh("ip", "-n", name, "route", "add", "default", "via", near)
        server = start_server(name, far, 8080, "outside")
        yield far, veth
    finally:
        if server is not None:
            stop(server)
        sh("ip", "link", "del", veth, check=False)
        delete_netns(name)


def _host_lock_free() -> IO[str] | None:
    """The live host lock, if no live emulator holds it now (close() frees it)."""
    handle = open(sweep.LOCK_PATH, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _curl(ssm: Any, instance_id: str, url: str) -> dict[str, Any]:
    return machines.run(ssm, instance_id, [f"curl -sS --max-time 5 {url}"])


def _http_get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.read().decode()
    except OSError:
        return None


def _setting(path: str, value: str) -> None:
    with open(path, "w") as setting:
        setting.write(value)


@needs_root
@pytest.mark.skipif(machines.skip_reason() is not None, reason=machines.skip_reason() or "")
def test_machines_reach_their_vpc_and_are_reached_by_the_load_balancer_but_nothing_else(outside):
    far, veth = outside
    assert probe(None, far, 8080) == "answer:outside"  # the outside namespace answers the host
    live_dir = tempfile.mkdtemp(prefix="rr-live-safety-", dir="/var/tmp")
    server = machines.LiveServer(live_dir, machines.base_rootfs())
    try:
        emu = server.start()
        ec2, ssm = emu.client("ec2"), emu.client("ssm")
        profile, image = machines.make_profile(emu.client("iam")), machines.base_image_id(ec2)
        first = machines.launch(ec2, ssm, image, profile)
        second = machines.launch(ec2, ssm, image, profile)
        described = {
            i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
        }
        vpc_id = described[first]["VpcId"]
        bridge = vpcnet.bridge_name(vpc_id)
        assert "roundrobin_emulator" in nft_tables()
        listen = "nohup node -e 'require(\"http\").createServer((q, r) => r.end(require(\"os\").hostname()))" \
                 ".listen(8080)' > /dev/null 2>&1 &"
        for instance_id in (first, second):
            assert machines.run(ssm, instance_id, [listen])["Status"] == "Success"
        second_ip = described[second]["PrivateIpAddress"]
        for address in (described[first]["PrivateIpAddress"], second_ip):  # the host reaches both
            wait_for(lambda: _http_get(f"http://{address}:8080/"), timeout=20, interval=0.2)
        # A host that forwards (as with ip_forward=1): only the filter table is left to refuse.
        _setting(f"/proc/sys/net/ipv4/conf/{bridge}/forwarding", "1")
        _setting(f"/proc/sys/net/ipv4/conf/{veth}/forwarding", "1")
        out = _curl(ssm, first, f"http://{far}:8080/")
        assert out["Status"] == "Failed" and out["ResponseCode"] == 7, out  # curl: could not connect
        # A service of the host on its address in the VPC is out of reach too.
        gateway = str(vpcnet.gateway(ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"]))
        host_service = start_server(None, gateway, 8089, "host")
        try:
            assert probe(None, gateway, 8089) == "answer:host"  # it serves the host
            refused = _curl(ssm, first, f"http://{gateway}:8089/")
            assert refused["Status"] == "Failed" and refused["ResponseCode"] == 7, refused
        finally:
            stop(host_service)
        peer = _curl(ssm, first, f"http://{second_ip}:8080/")
        assert (peer["Status"], peer["StandardOutputContent"]) == ("Success", described[second]["PrivateDnsName"].split(".")[0])
        # The load balancer (HAProxy on the host) reaches its target and answers.
        emu.ok("POST", "/_emulator/timing", {"health_check_time_scale": 0.1})
        elbv2 = emu.client("elbv2")
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]]
        group = elbv2.create_target_group(
            Name="safety", Protocol="HTTP", Port=8080, VpcId=vpc_id, HealthCheckPath="/",
            HealthCheckIntervalSeconds=5, HealthyThresholdCount=2,
        )["TargetGroups"][0]["TargetGroupArn"]  # fmt: skip
        elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": first}])
        balancer = elbv2.create_load_balancer(Name="safety", Subnets=subnets[:2])["LoadBalancers"][0]
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"], Protocol="HTTP", Port=80,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
        )  # fmt: skip

        def healthy() -> bool:
            health = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
            return health[0]["TargetHealth"]["State"] == "healthy"

        wait_for(healthy, timeout=60, interval=0.25)
        url = emu.ok("GET", "/_emulator/load-balancers")["load_balancers"][balancer["DNSName"]]["listeners"]["80"]
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.read().decode() == described[first]["PrivateDnsName"].split(".")[0]
    finally:
        server.stop()
        machines.remove_live_dir(live_dir)
    assert "live: stopped 2 machine(s)" in server.final_stderr
    assert mode.STILL_THERE not in server.final_stderr, server.final_stderr
    lock = _host_lock_free()
    if lock is not None:  # else another live emulator started meanwhile, with a table of its own
        try:
            assert "roundrobin_emulator" not in nft_tables()
        finally:
            lock.close()
    assert bridge not in links()
