"""What a killed emulator left behind (kill -9 skips every cleanup): machines
still running in their cgroups, overlays still mounted, network namespaces,
veths and bridges, machine and image directories.

Only what the emulator made is touched, found by its own names and records:
machine cgroups under `roundrobin-emulator/`; the machine directories under
the live dir (`<live dir>/machines/<instance id>/`, holding `nspawn.pid` and
`vpc`), whose nspawn is killed (only if that PID still is a systemd-nspawn) and
whose namespace `rri-<id>` and veth go; a VPC bridge `rrb…` only once no
interface is attached to it; mounts below the live dir; the emulator's filter
table (`inet roundrobin_emulator`, firewall.py). Namespaces that other code
made with vpcnet (and no record here) are left alone. A host lock
(`/run/roundrobin-emulator-live.lock`) makes sure no other live emulator is
running while this happens.
"""

from __future__ import annotations

import fcntl
import os
import signal
from typing import IO

from emulator.live import firewall, host, overlay, vpcnet

LOCK_PATH = "/run/roundrobin-emulator-live.lock"


class Busy(RuntimeError):
    pass


def take_host_lock() -> IO[str]:
    """Held for the emulator's lifetime; Busy when another live emulator runs."""
    handle = open(LOCK_PATH, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise Busy(f"another emulator with --machines nspawn is running on this host (pid {owner}; lock {LOCK_PATH})") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _kill_recorded_nspawns(machines: str, done: list[str]) -> None:
    if not os.path.isdir(machines):
        return
    for entry in sorted(os.listdir(machines)):
        pid_file = os.path.join(machines, entry, "nspawn.pid")
        try:
            with open(pid_file) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if any(os.path.basename(part) == "systemd-nspawn" for part in host.cmdline(pid)):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            host.wait_dead(pid, 10)
            done.append(f"systemd-nspawn pid {pid} ({entry})")


def remove_bridge_if_unused(vpc_id: str) -> str | None:
    """Deletes the VPC's bridge when nothing is attached to it any more."""
    bridge = vpcnet.bridge_name(vpc_id)
    ports = f"/sys/class/net/{bridge}/brif"
    if not os.path.isdir(ports) or os.listdir(ports):
        return None
    host.run(["ip", "link", "del", bridge], "deleting an unused VPC bridge", check=False)
    return bridge


def _recorded_networks(machines: str, done: list[str]) -> None:
    if not os.path.isdir(machines):
        return
    vpcs = set()
    for instance_id in sorted(os.listdir(machines)):
        if not instance_id.startswith("i-"):
            continue
        netns = vpcnet.netns_name(instance_id)
        if os.path.exists(f"/run/netns/{netns}") or os.path.exists(f"/sys/class/net/{vpcnet.veth_name(instance_id)}"):
            vpcnet.detach(instance_id)
            done.append(f"network namespace {netns}")
        try:
            with open(os.path.join(machines, instance_id, "vpc")) as f:
                vpcs.add(f.read().strip())
        except OSError:
            pass
    for vpc_id in sorted(v for v in vpcs if v):
        bridge = remove_bridge_if_unused(vpc_id)
        if bridge:
            done.append(f"bridge {bridge}")


def stale(live_dir: str, filter_table: bool = True) -> list[str]:
    """Removes what earlier runs left; returns a line per thing removed. With
    `filter_table`, the emulator's filter table too (after a crash; a running
    emulator deletes its own once its machines are gone)."""
    done: list[str] = []
    machines = os.path.join(live_dir, "machines")
    _kill_recorded_nspawns(machines, done)
    for name in host.cgroup_names():
        host.kill_cgroups(name)
        done.append(f"machine cgroup {host.CGROUP_PARENT}/{name}")
    host.remove_cgroup_parents()
    for target in overlay.mounts_under(live_dir):
        overlay.unmount(target)
        done.append(f"mount {target}")
    _recorded_networks(machines, done)
    if filter_table and firewall.remove():
        done.append(f"filter table {firewall.FAMILY} {firewall.TABLE}")
    for sub in ("machines", "images"):
        path = os.path.join(live_dir, sub)
        if os.path.isdir(path) and os.listdir(path):
            if overlay.remove_tree(path):
                done.append(f"directory {path}")
            else:
                done.append(f"directory {path} (still mounted: left in place)")
    return done


def remaining(live_dir: str, instance_ids: list[str], vpc_ids: list[str]) -> list[str]:
    """What is still on the host of this emulator after its stop, one line each:
    mounts below the live dir, machine cgroups, the namespaces and veths of
    `instance_ids`, the bridges of `vpc_ids`, the filter table."""
    left = [f"mount {target}" for target in overlay.mounts_under(live_dir)]
    left += [f"machine cgroup {host.CGROUP_PARENT}/{name}" for name in host.cgroup_names()]
    for instance_id in instance_ids:
        netns, veth = vpcnet.netns_name(instance_id), vpcnet.veth_name(instance_id)
        if os.path.exists(f"/run/netns/{netns}"):
            left.append(f"network namespace {netns}")
        if os.path.exists(f"/sys/class/net/{veth}"):
            left.append(f"veth {veth}")
    for vpc_id in vpc_ids:
        bridge = vpcnet.bridge_name(vpc_id)
        if os.path.exists(f"/sys/class/net/{bridge}"):
            left.append(f"bridge {bridge}")
    if firewall.present():
        left.append(f"filter table {firewall.FAMILY} {firewall.TABLE}")
    return left
