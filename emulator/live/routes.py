"""The host's own IPv4 ranges, and whether an emulated VPC range clashes with them.

A VPC bridge puts an address and a connected route for the VPC's whole range
on the host (vpcnet.py). If that range overlaps one the host already uses (an
address of one of its interfaces, or a route in any routing table: a LAN, a
VPN, a container network, another VPC bridge), the new route would take the
host's traffic for those addresses into the emulated VPC, or the VPC's into the
host's network. So a range is checked against `ip -j addr` and
`ip -j route show table all` before its bridge is made, and refused on a clash
(see ip-address(8), ip-route(8); default routes overlap everything and are not
counted: the VPC's connected route is more specific and only covers the VPC).
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass

_TIMEOUT = 30


class RoutesError(RuntimeError):
    pass


@dataclass(frozen=True)
class HostRange:
    """One range the host uses: `what` says how (an address or a route)."""

    network: ipaddress.IPv4Network
    what: str
    interface: str


@dataclass(frozen=True)
class Clash:
    cidr: str
    host: HostRange

    def __str__(self) -> str:
        return f"{self.cidr} overlaps the host's {self.host.what} on {self.host.interface}"


def _ip_json(*args: str) -> list[dict]:
    argv = ["ip", "-j", *args]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RoutesError(f"`{' '.join(argv)}` failed: {err}") from None
    if done.returncode != 0:
        raise RoutesError(f"`{' '.join(argv)}` exited with {done.returncode}: {done.stderr.strip()}")
    try:
        parsed = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as err:
        raise RoutesError(f"`{' '.join(argv)}` printed no JSON: {err}") from None
    return parsed if isinstance(parsed, list) else []


def addresses_of(links: list[dict]) -> list[HostRange]:
    """IPv4 addresses of `ip -j addr` as their networks (address/prefix)."""
    found = []
    for link in links:
        for info in link.get("addr_info", []):
            if info.get("family") != "inet" or "local" not in info:
                continue
            cidr = f"{info['local']}/{info.get('prefixlen', 32)}"
            network = ipaddress.ip_network(cidr, strict=False)
            found.append(HostRange(network, f"address {cidr}", link.get("ifname", "?")))
    return found


def routes_of(routes: list[dict]) -> list[HostRange]:
    """IPv4 routes of `ip -j route show table all`, default routes left out."""
    found = []
    for route in routes:
        dst = route.get("dst", "")
        if not dst or dst == "default":
            continue
        try:
            network = ipaddress.ip_network(dst, strict=False)
        except ValueError:
            continue
        if network.version != 4 or network.prefixlen == 0:
            continue
        kind = route.get("type", "unicast")
        table = route.get("table", "main")
        what = f"route {dst}" + ("" if kind == "unicast" else f" ({kind})") + f" in table {table}"
        interface = route.get("dev") or f"no interface ({kind})"
        found.append(HostRange(network, what, interface))
    return found


def host_ranges() -> list[HostRange]:
    """Every IPv4 range the host (this network namespace) uses now."""
    links = _ip_json("addr", "show")
    routes = _ip_json("-4", "route", "show", "table", "all")
    return addresses_of(links) + routes_of(routes)


def clashes(cidr: str, ranges: list[HostRange], ignore_interfaces: tuple[str, ...] = ()) -> list[Clash]:
    network = ipaddress.ip_network(cidr, strict=False)
    return [
        Clash(str(network), r) for r in ranges if r.interface not in ignore_interfaces and network.overlaps(r.network)
    ]


def first_clash(cidr: str, ignore_interfaces: tuple[str, ...] = ()) -> Clash | None:
    """The first way `cidr` overlaps what the host uses now, or None."""
    found = clashes(cidr, host_ranges(), ignore_interfaces)
    return found[0] if found else None
