"""Live mode is safe on the host it runs on (README, "Live machines", "Safety
on the host"):

* a VPC range that overlaps the host's addresses or routes is refused (at
  start for the default VPC; CreateVpc, CreateSubnet and RunInstances for
  others), naming the clash, and no bridge is made;
* the filter table keeps machine traffic within its VPC: nothing is forwarded
  out, no host service is reachable from a machine, the host (its load
  balancers) reaches the machines.

The clash and filter tests run in network namespaces they make (a stand-in
"host" with a dummy interface, an "outside" namespace as the target), so the
real host's network is never changed. Needs root, ip and nft.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from typing import IO, Any

import pytest

from emulator.live import firewall, mode, routes, sweep, vpcnet
from emulator.tests import live_machines_support as machines
from emulator.tests.conftest import SERVER, wait_for
from emulator.tests.live_safety_support import (
    delete_netns,
    emulator_in_netns,
    fake_rootfs,
    in_netns,
    links,
    make_netns,
    nft_tables,
    probe,
    run_python,
    sh,
    skip_reason,
    start_server,
    stop,
)

_reason = skip_reason()
needs_root = pytest.mark.skipif(_reason is not None, reason=_reason or "")
# Starts live emulators (one per host at a time): with the other live suites.
pytestmark = pytest.mark.xdist_group("live")

TAG = str(os.getpid() % 100000)
HOST_WAIT = 600.0


# -- the clash rule, on recorded `ip -j` answers (no root needed) ------------------

ADDR = [
    {"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
    {"ifname": "wg0", "addr_info": [{"family": "inet", "local": "10.8.0.2", "prefixlen": 24},
                                    {"family": "inet6", "local": "fd00::2", "prefixlen": 64}]},
]  # fmt: skip
ROUTES = [
    {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"},
    {"dst": "172.16.0.0/12", "gateway": "10.8.0.1", "dev": "wg0"},
    {"dst": "198.18.0.0/15", "type": "blackhole", "table": "main"},
    {"dst": "127.0.0.1", "type": "local", "dev": "lo", "table": "local"},
]  # fmt: skip


def test_a_range_overlapping_a_host_address_or_route_clashes_and_is_named():
    ranges = routes.addresses_of(ADDR) + routes.routes_of(ROUTES)
    found = routes.clashes("10.8.0.0/16", ranges)
    assert [str(c) for c in found] == ["10.8.0.0/16 overlaps the host's address 10.8.0.2/24 on wg0"]
    # The default VPC's range inside a VPN's route (another routing table counts too).
    (clash,) = routes.clashes("172.31.0.0/16", ranges)
    assert (clash.host.what, clash.host.interface) == ("route 172.16.0.0/12 in table main", "wg0")
    (blackhole,) = routes.clashes("198.19.0.0/16", ranges)
    assert blackhole.host.what == "route 198.18.0.0/15 (blackhole) in table main"
    assert routes.clashes("127.0.0.0/16", ranges)[0].host.interface == "lo"
    # A default route overlaps everything and is not a clash; neither is a free range.
    assert routes.clashes("10.9.0.0/16", ranges) == []
    # A VPC's own bridge is not a clash with itself.
    assert routes.clashes("10.8.0.0/16", ranges, ignore_interfaces=("wg0",)) == []


def test_the_filter_table_refuses_what_leaves_a_vpc_bridge():
    rules = firewall.ruleset()
    assert "table inet roundrobin_emulator" in rules
    assert 'iifname "rrb*" reject' in rules and 'oifname "rrb*" reject' in rules
    assert "iifname . oifname @same_bridge accept" in rules
    assert 'iifname "rrb*" ct state established,related accept' in rules


# -- a stand-in host: a network namespace the test makes ----------------------------


@pytest.fixture
def stand_in_host():
    """A network namespace with an interface `rrtd<tag>` (one end of a veth pair
    inside it), in which an emulator sees what a host with those addresses and
    routes would show."""
    name = f"rrt-h{TAG}"
    delete_netns(name)
    dummy = f"rrtd{TAG}"
    try:
        make_netns(name)
        sh("ip", "-n", name, "link", "add", dummy, "type", "veth", "peer", "name", f"rrtp{TAG}")
        sh("ip", "-n", name, "link", "set", dummy, "up")
        sh("ip", "-n", name, "link", "set", f"rrtp{TAG}", "up")
        yield name, dummy
    finally:
        delete_netns(name)


def _start_in(netns: str, live_dir: str, rootfs: str) -> subprocess.Popen[str]:
    argv = [*SERVER, "--port", "0", "--machines", "nspawn", "--live-dir", live_dir, "--base-rootfs", rootfs,
            "--lb-run-dir", os.path.join(live_dir, "lb")]  # fmt: skip
    return subprocess.Popen(
        emulator_in_netns(netns, *argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
    )


def _refused_start(netns: str, live_dir: str, rootfs: str) -> subprocess.CompletedProcess[str]:
    """Starts the emulator in `netns` until it is not refused because another
    live emulator holds the host (bounded); returns how it ended."""
    deadline = time.monotonic() + HOST_WAIT
    while True:
        proc = _start_in(netns, live_dir, rootfs)
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate(10)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        if "is running on this host" not in err or time.monotonic() > deadline:
            return done
        time.sleep(2)


@needs_root
def test_a_start_whose_default_vpc_range_clashes_is_refused_and_leaves_no_bridge(stand_in_host):
    netns, dummy = stand_in_host
    sh("ip", "-n", netns, "addr", "add", "172.31.7.1/24", "dev", dummy)
    work = tempfile.mkdtemp(prefix="rr-clash-", dir="/var/tmp")
    try:
        done = _refused_start(netns, os.path.join(work, "live"), fake_rootfs(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert done.returncode == 2, done.stderr
    assert "emulator ready" not in done.stdout
    assert "--machines nspawn refused" in done.stderr
    for name in ("172.31.0.0/16", "the default VPC", "address 172.31.7.1/24", f"interface {dummy}"):
        assert name in done.stderr, done.stderr
    assert not [link for link in links(netns) if link.startswith("rrb")]
    assert "roundrobin_emulator" not in nft_tables(netns)


CLIENT = """
import json, sys, boto3
from botocore.exceptions import ClientError
url, phase = sys.argv[1], sys.argv[2]
ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="testing", aws_secret_access_key="testing")
def error(call):
    try:
        call()
    except ClientError as e:
        return [e.response["Error"]["Code"], e.response["Error"]["Message"]]
    return None
out = {}
if phase == "create":
    out["vpc"] = error(lambda: ec2.create_vpc(CidrBlock="10.77.0.0/16"))
    out["free_vpc"] = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    out["subnet_id"] = ec2.create_subnet(VpcId=out["free_vpc"], CidrBlock="10.78.0.0/20",
                                         AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
else:
    free, subnet = sys.argv[3], sys.argv[4]
    out["subnet"] = error(lambda: ec2.create_subnet(VpcId=free, CidrBlock="10.78.128.0/20",
                                                    AvailabilityZone="us-east-1a"))
    image = ec2.describe_images(Owners=["amazon"],
                                Filters=[{"Name": "name", "Values": ["debian-12-amd64-roundrobin-base"]}])
    out["launch"] = error(lambda: ec2.run_instances(ImageId=image["Images"][0]["ImageId"], MinCount=1,
                                                     MaxCount=1, SubnetId=subnet))
    out["instances"] = len(ec2.describe_instances()["Reservations"])
    out["vpcs"] = sorted(v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"])
print(json.dumps(out))
"""


@needs_root
def test_create_vpc_create_subnet_and_a_launch_into_a_clashing_range_are_refused(stand_in_host):
    netns, dummy = stand_in_host
    sh("ip", "-n", netns, "addr", "add", "10.77.1.1/24", "dev", dummy)
    work = tempfile.mkdtemp(prefix="rr-clash-", dir="/var/tmp")
    proc = None
    try:
        deadline = time.monotonic() + HOST_WAIT
        while True:
            proc = _start_in(netns, os.path.join(work, "live"), fake_rootfs(work))
            assert proc.stdout is not None and proc.stderr is not None
            line = proc.stdout.readline()
            if line.startswith("emulator ready on "):
                url = line.split()[-1]
                break
            proc.wait(30)
            err = proc.stderr.read()
            if "is running on this host" not in err or time.monotonic() > deadline:
                raise AssertionError(f"the emulator did not start:\n{err[-4000:]}")
            time.sleep(2)
        out = run_python(netns, CLIENT, url, "create")
        # A route that comes up after CreateSubnet (a VPN, say) into the free VPC's range.
        sh("ip", "-n", netns, "route", "add", "10.78.128.0/17", "dev", dummy)
        out.update(run_python(netns, CLIENT, url, "later", out["free_vpc"], out["subnet_id"]))
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(90)
        shutil.rmtree(work, ignore_errors=True)
    code, message = out["vpc"]
    assert code == "InvalidVpc.Range"
    assert "10.77.0.0/16" in message and "address 10.77.1.1/24" in message and dummy in message
    code, message = out["subnet"]
    assert code == "InvalidSubnet.Range"
    assert "10.78.128.0/20" in message and "route 10.78.128.0/17" in message and dummy in message
    code, message = out["launch"]
    assert code == "Unsupported"
    assert out["free_vpc"] in message and "10.78.0.0/16" in message and "route 10.78.128.0/17" in message
    assert out["instances"] == 0
    assert "10.77.0.0/16" not in out["vpcs"]
    assert not [link for link in links(netns) if link.startswith("rrb")]
    assert "roundrobin_emulator" not in nft_tables(netns)  # the stop removed it


# -- the filter table, between namespaces the test makes ---------------------------

CONFINE = """
import json, subprocess, sys, time
from emulator.live import firewall, vpcnet
from emulator.tests.live_safety_support import make_netns, probe, sh, start_server, stop
tag, outside = sys.argv[1], sys.argv[2]
a, b = f"i-0rrt{tag}a", f"i-0rrt{tag}b"
vpc = f"vpc-0rrt{tag}"
results, servers = {}, []
try:
    sh("sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward")  # a host that forwards
    firewall.install()
    na = vpcnet.attach(a, vpc, "10.90.0.0/16", "10.90.0.10")
    nb = vpcnet.attach(b, vpc, "10.90.0.0/16", "10.90.0.11")
    bridge = vpcnet.bridge_name(vpc)
    results["bridge_forwarding"] = open(f"/proc/sys/net/ipv4/conf/{bridge}/forwarding").read().strip()
    # Only the filter table stands between the VPC and the outside from here on.
    sh("sh", "-c", f"echo 1 > /proc/sys/net/ipv4/conf/{bridge}/forwarding")
    veth = "rrto" + tag
    make_netns(outside)
    sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", outside)
    sh("ip", "addr", "add", "198.51.100.1/30", "dev", veth)
    sh("ip", "link", "set", veth, "up")
    sh("ip", "-n", outside, "addr", "add", "198.51.100.2/30", "dev", "eth0")
    sh("ip", "-n", outside, "link", "set", "eth0", "up")
    sh("ip", "-n", outside, "route", "add", "default", "via", "198.51.100.1")
    servers.append(start_server(outside, "0.0.0.0", 8080, "outside"))
    servers.append(start_server(nb, "0.0.0.0", 8080, "machine-b"))
    servers.append(start_server(na, "0.0.0.0", 8080, "machine-a"))
    # A service of the host (on every address of this namespace).
    servers.append(start_server(sys.argv[3], "0.0.0.0", 2222, "host-service"))
    results["to_outside"] = probe(na, "198.51.100.2", 8080)
    results["to_peer"] = probe(na, "10.90.0.11", 8080)
    results["to_gateway_service"] = probe(na, "10.90.255.254", 2222)
    results["to_host_service"] = probe(na, "198.51.100.1", 2222)
    results["outside_in"] = probe(outside, "10.90.0.10", 8080)
    results["host_to_machine"] = probe(None, "10.90.0.10", 8080)
    results["removed"] = firewall.remove()
    results["present_after"] = firewall.present()
    results["control_to_outside"] = probe(na, "198.51.100.2", 8080)
    results["control_to_host_service"] = probe(na, "10.90.255.254", 2222)
finally:
    for server in servers:
        stop(server)
    firewall.remove()
    vpcnet.detach(a)
    vpcnet.detach(b)
    sh("ip", "link", "del", vpcnet.bridge_name(vpc), check=False)
    sh("ip", "netns", "del", outside, check=False)
print(json.dumps(results))
"""


@needs_root
def test_the_filter_table_keeps_machine_traffic_within_its_vpc(stand_in_host):
    netns, _ = stand_in_host
    outside = f"rrt-o{TAG}"
    try:
        out = run_python(netns, CONFINE, TAG, outside, netns)
    finally:
        delete_netns(outside)
    assert out["bridge_forwarding"] == "0"  # the bridge itself does not forward
    refused = ("EHOSTUNREACH", "ECONNREFUSED", "ENETUNREACH", "EACCES", "EPERM")
    assert out["to_outside"] in refused, out
    assert out["outside_in"] in refused, out
    assert out["to_gateway_service"] in refused, out
    assert out["to_host_service"] in refused, out
    assert out["to_peer"] == "answer:machine-b"  # within the VPC (bridged)
    assert out["host_to_machine"] == "answer:machine-a"  # as the load balancers reach targets
    assert out["removed"] is True and out["present_after"] is False
    # Without the table the same paths are open: it was what refused them.
    assert out["control_to_outside"] == "answer:outside"
    assert out["control_to_host_service"] == "answer:host-service"


# -- real machines: the live emulator on this host ---------------------------------

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


@needs_root
def test_what_is_still_on_the_host_after_a_stop_is_named(tmp_path):
    """The emulator's check after its stop names each kind it finds: here a
    namespace and veth of an instance, and a bridge, that a test made."""
    instance_id, vpc_id = f"i-0rrtleft{TAG}", f"vpc-0rrtleft{TAG}"
    netns, veth, bridge = vpcnet.netns_name(instance_id), vpcnet.veth_name(instance_id), vpcnet.bridge_name(vpc_id)
    assert sweep.remaining(str(tmp_path), [instance_id], [vpc_id]) in ([], [f"filter table inet {firewall.TABLE}"])
    try:
        make_netns(netns)
        sh("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
        sh("ip", "link", "add", bridge, "type", "bridge")
        left = sweep.remaining(str(tmp_path), [instance_id], [vpc_id])
    finally:
        sh("ip", "link", "del", bridge, check=False)
        sh("ip", "link", "del", veth, check=False)
        delete_netns(netns)
    assert f"network namespace {netns}" in left
    assert f"veth {veth}" in left
    assert f"bridge {bridge}" in left
