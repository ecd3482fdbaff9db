"""Live mode refuses a VPC range that clashes with the host (README, "Live
machines", "Safety on the host"): a range that overlaps the host's addresses
or routes is refused, at start for the default VPC and by CreateVpc,
CreateSubnet and RunInstances for others, naming the clash, and no bridge is
made. The clash rule itself is tested on recorded `ip -j` answers (no root
needed).

The tests run in network namespaces they make (a stand-in "host" with a
dummy interface; live_safety_testbed.py), so the real host's network is never
changed. Needs root, ip and nft.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time

from emulator.live import routes
from emulator.tests.conftest import SERVER
from emulator.tests.live_safety_support import emulator_in_netns, fake_rootfs, links, nft_tables, run_python, sh
from emulator.tests.live_safety_testbed import LIVE_GROUP, needs_root
from emulator.tests.live_safety_testbed import stand_in_host  # noqa: F401 (fixture)

pytestmark = LIVE_GROUP

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


# -- a start and API calls in a stand-in host -------------------------------------


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
