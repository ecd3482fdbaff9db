"""Live mode's filter table keeps machine traffic within its VPC (README, "Live
machines", "Safety on the host"): nothing is forwarded out of a VPC bridge or
into it from outside, no service of the host is reachable from a machine,
machines of one VPC reach each other, and the host (its load balancers)
reaches the machines. Without the table the same paths are open.

The tests run in network namespaces they make (a stand-in "host" with a
dummy interface; live_safety_testbed.py), so the real host's network is never
changed. Needs root, ip and nft.
"""

from __future__ import annotations

from emulator.live import firewall
from emulator.tests.live_safety_support import delete_netns, run_python
from emulator.tests.live_safety_testbed import LIVE_GROUP, TAG, needs_root
from emulator.tests.live_safety_testbed import stand_in_host  # noqa: F401 (fixture)

pytestmark = LIVE_GROUP


def test_the_filter_table_refuses_what_leaves_a_vpc_bridge():
    rules = firewall.ruleset()
    assert "table inet roundrobin_emulator" in rules
    assert 'iifname "rrb*" reject' in rules and 'oifname "rrb*" reject' in rules
    assert "iifname . oifname @same_bridge accept" in rules
    assert 'iifname "rrb*" ct state established,related accept' in rules


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
