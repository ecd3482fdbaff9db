"""The emulated VPC's wiring on the host.

One Linux bridge per VPC in the host's namespace, holding the VPC's gateway
address (the last usable address of the VPC's CIDR, so it never collides with
an address an instance can get from a subnet); one network namespace per
instance, joined to the bridge by a veth pair whose inner end is `eth0` with the
instance's private IP and a default route via the gateway. The host, and so the
load balancers running on it, reach every instance directly; instances reach
each other over the bridge. Nothing is forwarded beyond the VPC.

Safety on the host (see the README's "Live machines"):
* a VPC's range must not overlap any address or route of the host (routes.py):
  the bridge is not made when it does (ClashError names the clash);
* the bridge does not forward (net.ipv4.conf.<bridge>.forwarding = 0) and has
  no IPv6 (disable_ipv6 = 1, also on each veth's host end), and the filter
  table (firewall.py) refuses whatever would leave the VPC anyway.

Names (all at most 15 characters, the kernel's limit for interfaces):
  bridge     rrb<last 8 chars of the vpc id>
  namespace  rri-<instance id without "i-">
  host veth  rrh<last 12 chars of the instance id>
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import threading

PREFIX = "rr"
NETNS_PREFIX = "rri-"
BRIDGE_PREFIX = "rrb"
VETH_PREFIX = "rrh"
_TIMEOUT = 30


class NetError(RuntimeError):
    pass


class ClashError(NetError):
    """A VPC range overlaps a range the host uses; the message names both."""


def _ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = ["ip"]
    if netns:
        argv += ["-n", netns]
    argv += list(args)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT)
    if check and done.returncode != 0:
        raise NetError(f"`{' '.join(argv)}` failed: {done.stderr.strip()}")
    return done


def bridge_name(vpc_id: str) -> str:
    return BRIDGE_PREFIX + vpc_id[-8:]


def netns_name(instance_id: str) -> str:
    return NETNS_PREFIX + instance_id.removeprefix("i-")


def veth_name(instance_id: str) -> str:
    return VETH_PREFIX + instance_id[-12:]


def gateway(cidr: str) -> ipaddress.IPv4Address:
    network = ipaddress.ip_network(cidr, strict=False)
    return network.broadcast_address - 1


def _link_exists(name: str) -> bool:
    return os.path.exists(f"/sys/class/net/{name}")


# Machines boot on threads of their own: two first instances of a VPC must
# not both create its bridge.
_BRIDGES = threading.Lock()


def _sysctl(path: str, value: str) -> None:
    """Writes a per-interface setting of this network namespace (ip-sysctl docs);
    IPv6 settings are skipped on a host without IPv6."""
    if path.startswith("/proc/sys/net/ipv6/") and not os.path.isdir("/proc/sys/net/ipv6"):
        return
    try:
        with open(path, "w") as setting:
            setting.write(value)
    except OSError as err:
        raise NetError(f"setting {path} to {value}: {err}") from None


def check_range(vpc_id: str, cidr: str) -> None:
    """ClashError when the VPC's range overlaps an address or route of the host
    (the VPC's own bridge, if it exists, does not count)."""
    from emulator.live import routes

    try:
        clash = routes.first_clash(cidr, ignore_interfaces=(bridge_name(vpc_id),))
    except routes.RoutesError as err:
        raise NetError(f"cannot read the host's addresses and routes: {err}") from None
    if clash is not None:
        raise ClashError(
            f"the range {clash.cidr} of {vpc_id} overlaps the host's {clash.host.what} on "
            f"interface {clash.host.interface}: its bridge would take over that traffic"
        )


def ensure_vpc(vpc_id: str, cidr: str) -> str:
    """Creates the VPC's bridge with its gateway address (idempotent, thread-safe),
    after checking its range against the host's (ClashError)."""
    from emulator.live import firewall

    bridge = bridge_name(vpc_id)
    with _BRIDGES:
        if not _link_exists(bridge):
            check_range(vpc_id, cidr)
            network = ipaddress.ip_network(cidr, strict=False)
            _ip("link", "add", bridge, "type", "bridge")
            try:
                _sysctl(f"/proc/sys/net/ipv4/conf/{bridge}/forwarding", "0")
                _sysctl(f"/proc/sys/net/ipv6/conf/{bridge}/disable_ipv6", "1")
                firewall.allow_bridge(bridge)
                _ip("addr", "add", f"{gateway(cidr)}/{network.prefixlen}", "dev", bridge)
                _ip("link", "set", bridge, "up")
            except Exception:
                _ip("link", "del", bridge, check=False)
                raise
    return bridge


def attach(instance_id: str, vpc_id: str, cidr: str, private_ip: str) -> str:
    """Creates the instance's namespace wired to the VPC; returns its name."""
    bridge = ensure_vpc(vpc_id, cidr)
    netns = netns_name(instance_id)
    veth = veth_name(instance_id)
    prefix = ipaddress.ip_network(cidr, strict=False).prefixlen
    detach(instance_id)
    try:
        _ip("netns", "add", netns)
        _ip("link", "set", "lo", "up", netns=netns)
        _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
        _sysctl(f"/proc/sys/net/ipv6/conf/{veth}/disable_ipv6", "1")
        _ip("link", "set", veth, "master", bridge)
        _ip("link", "set", veth, "up")
        _ip("addr", "add", f"{private_ip}/{prefix}", "dev", "eth0", netns=netns)
        _ip("link", "set", "eth0", "up", netns=netns)
        _ip("route", "add", "default", "via", str(gateway(cidr)), netns=netns)
    except (NetError, OSError, subprocess.TimeoutExpired):
        detach(instance_id)
        raise
    return netns


def detach(instance_id: str) -> None:
    """Removes the instance's namespace and veth (idempotent)."""
    netns = netns_name(instance_id)
    if os.path.exists(f"/run/netns/{netns}"):
        _ip("netns", "del", netns, check=False)
    veth = veth_name(instance_id)
    if _link_exists(veth):
        _ip("link", "del", veth, check=False)


def sweep() -> list[str]:
    """Removes every namespace, veth and bridge this module names; returns them."""
    removed: list[str] = []
    if os.path.isdir("/run/netns"):
        for name in sorted(os.listdir("/run/netns")):
            if name.startswith(NETNS_PREFIX):
                _ip("netns", "del", name, check=False)
                removed.append(name)
    if os.path.isdir("/sys/class/net"):
        for name in sorted(os.listdir("/sys/class/net")):
            if name.startswith(VETH_PREFIX) or name.startswith(BRIDGE_PREFIX):
                _ip("link", "del", name, check=False)
                removed.append(name)
    return removed
