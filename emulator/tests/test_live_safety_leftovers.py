"""What is still on the host after a live emulator's stop is named (README,
"Live machines", "Safety on the host"): the check after the stop names each
kind it finds, here a network namespace and a veth of an instance and a
bridge of a VPC that the test made itself. Needs root and ip.
"""

from __future__ import annotations

from emulator.live import firewall, sweep, vpcnet
from emulator.tests.live_safety_support import delete_netns, make_netns, sh
from emulator.tests.live_safety_testbed import LIVE_GROUP, TAG, needs_root

pytestmark = LIVE_GROUP


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
