"""The live emulator's packet filter: machines talk only within their VPC.

An nftables table of the emulator's own, `inet roundrobin_emulator` (IPv4 and
IPv6), installed when live machines are turned on and deleted on stop and by
the sweep after a crash (nft(8): a table is the unit that is added and deleted
whole, so nothing of the host's own rule set is touched). Its base chains run
just before the usual filter priority (`filter - 10`) and only ever refuse: on
a hook, every base chain of every table must accept a packet, so a refusal here
holds whatever the host's own rules say, and an accept here grants nothing.

* forward: a packet that enters from a VPC bridge (`rrb…`) or would leave
  through one is refused unless it stays on that same bridge (the set
  `same_bridge` holds `bridge . bridge` for every bridge the emulator made:
  with br_netfilter loaded, frames bridged between two machines of a VPC pass
  the IP forward hook with the bridge as both input and output interface).
  So nothing from a machine is routed to the host's other interfaces, the
  internet or another VPC, even on a host with IP forwarding on.
* input: from a VPC bridge the host accepts only packets of connections it
  opened itself (the load balancers' requests and health checks, conntrack
  state established/related); a machine reaches no service of the host (not
  the emulator's API, not a load balancer's port, not sshd). The host's
  loopback addresses are out of reach anyway: a packet for 127.0.0.0/8 that
  arrives on another interface is a martian and dropped (route_localnet is 0).

Refusals are `reject with icmpx type admin-prohibited`: the machine's connect()
fails at once (EHOSTUNREACH) instead of hanging until its timeout.
"""

from __future__ import annotations

import shutil
import subprocess

from emulator.live.vpcnet import BRIDGE_PREFIX

FAMILY = "inet"
TABLE = "roundrobin_emulator"
_TIMEOUT = 30
_REFUSE = "reject with icmpx type admin-prohibited"


class FirewallError(RuntimeError):
    pass


def ruleset() -> str:
    """The table, as `nft -f` reads it."""
    bridges = f'"{BRIDGE_PREFIX}*"'
    return f"""table {FAMILY} {TABLE} {{
    set same_bridge {{
        type ifname . ifname
    }}
    chain forward {{
        type filter hook forward priority filter - 10; policy accept;
        iifname . oifname @same_bridge accept
        iifname {bridges} {_REFUSE}
        oifname {bridges} {_REFUSE}
    }}
    chain input {{
        type filter hook input priority filter - 10; policy accept;
        iifname {bridges} ct state established,related accept
        iifname {bridges} {_REFUSE}
    }}
}}
"""


def _nft(args: list[str], stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    argv = ["nft", *args]
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise FirewallError(f"`{' '.join(argv)}` failed: {err}") from None
    if check and done.returncode != 0:
        raise FirewallError(f"`{' '.join(argv)}` exited with {done.returncode}: {done.stderr.strip()}")
    return done


def present() -> bool:
    if shutil.which("nft") is None:
        return False
    return _nft(["list", "table", FAMILY, TABLE], check=False).returncode == 0


def install() -> None:
    """Installs the table afresh (one transaction: a table left by a killed run
    is replaced, never doubled)."""
    remove()
    _nft(["-f", "-"], stdin=ruleset())


def allow_bridge(bridge: str) -> None:
    """Lets frames bridged within this VPC bridge pass (idempotent). No-op when
    the table is not installed (the live load balancer tests make bridges of
    their own without machines)."""
    if not present():
        return
    _nft(["add", "element", FAMILY, TABLE, "same_bridge", f'{{ "{bridge}" . "{bridge}" }}'])


def remove() -> bool:
    """Deletes the table; True when there was one."""
    if not present():
        return False
    _nft(["delete", "table", FAMILY, TABLE])
    return True
