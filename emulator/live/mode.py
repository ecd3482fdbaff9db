"""Turning the live backend on (`server.py --machines nspawn`) and off.

enable(): checks the host (root, systemd-nspawn, iproute2, nsenter, setpriv,
nft, cgroups) and the base rootfs, takes the host lock, sweeps what a killed
emulator left, checks that the default VPC's range is free on the host
(routes.py; a clash refuses the start), installs the filter table
(firewall.py), registers the base image and installs the hooks. shutdown()
(SIGINT/SIGTERM) and a reset (`POST /moto-api/reset`) kill every machine and
remove its overlay, namespace and veth, and every image disk the emulator made;
shutdown() also deletes the filter table, once no machine is left.

`GET /_emulator/live` lists the machines (instance id, state, booted, network
namespace, overlay root, console log) and the base image id of each region.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import IO, Any

from emulator import controls
from emulator import state
from emulator.live import ec2_hooks, firewall, host, images, instances, rootfs, ssm_live, sweep, vpc_hooks, vpcnet

# moto gives every region's default VPC this range (models/vpcs.py, create_default_vpc).
DEFAULT_VPC_RANGE = "172.31.0.0/16"
# Printed (with what it found) when something is still on the host after a stop.
STILL_THERE = "still on the host after stop:"


class LiveError(RuntimeError):
    pass


_active: dict[str, Any] = {}


def _check_rootfs(path: str) -> None:
    if not os.path.isdir(path):
        raise LiveError(f"--base-rootfs {path}: no such directory")
    if not os.path.exists(os.path.join(path, "usr/lib/systemd/systemd")):
        raise LiveError(f"--base-rootfs {path}: not a bootable rootfs (no usr/lib/systemd/systemd)")


def _register_in_existing_backends() -> None:
    from moto.ec2 import ec2_backends

    for account_id in list(ec2_backends.keys()):
        regions = ec2_backends[account_id]
        for region in list(regions.keys()):
            backend = regions[region]
            if images.base_image_id(region) not in backend.amis:
                images._register_base(backend)


def enable(live_dir: str, base_rootfs: str | None) -> list[str]:
    """Returns lines to print (what was swept, the base image)."""
    missing = host.missing_requirements()
    if missing:
        raise LiveError("cannot run live machines; missing:\n  - " + "\n  - ".join(missing))
    notes: list[str] = []
    if base_rootfs is None:
        print(f"live: preparing the base rootfs under {rootfs.cache_dir()} (first time: debootstrap, minutes)", file=sys.stderr, flush=True)
        try:
            built = rootfs.ensure_rootfs(log=sys.stderr)
        except rootfs.RootfsError as err:
            raise LiveError(str(err)) from None
        base_rootfs = built.path
    _check_rootfs(base_rootfs)
    os.makedirs(live_dir, exist_ok=True)
    if host.fs_type(live_dir) == "overlay":
        raise LiveError(
            f"--live-dir {live_dir} is on an overlay file system, which cannot hold overlay upper "
            "directories: use a directory on ext4, xfs, btrfs or tmpfs"
        )
    try:
        lock: IO[str] = sweep.take_host_lock()
    except sweep.Busy as err:
        raise LiveError(str(err)) from None
    _active.update(lock=lock, live_dir=live_dir, base_rootfs=os.path.realpath(base_rootfs))
    try:
        notes.extend(f"swept leftover {line}" for line in sweep.stale(live_dir))
        vpcnet.check_range("the default VPC", DEFAULT_VPC_RANGE)
        firewall.install()
    except (vpcnet.NetError, firewall.FirewallError) as err:
        _active.clear()
        lock.close()
        raise LiveError(str(err)) from None
    with open(os.path.join(live_dir, "emulator.pid"), "w") as pid_file:
        pid_file.write(f"{os.getpid()}\n")
    images.configure(live_dir, base_rootfs, os.path.realpath(base_rootfs))
    instances.configure(live_dir)
    images.install()
    ec2_hooks.install()
    vpc_hooks.install()  # after ec2_hooks: a clashing range is refused first
    ssm_live.install()
    _register_in_existing_backends()
    state.on_reset(_reset)
    controls.ROUTES["/_emulator/live"] = {"GET": _status}
    notes.append(
        f"live machines on: base image {images.BASE_NAME} ({images.base_image_id('us-east-1')} in us-east-1) "
        f"from {os.path.realpath(base_rootfs)}, live dir {live_dir}"
    )
    return notes


def _reset() -> None:
    """Runs under state.LOCK: kills (does not wait for) the machines."""
    instances.discard_all()
    images.forget_all()


def shutdown() -> None:
    if not _active:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    vpc_ids = sorted({live.vpc_id for live in instances.all_instances()})
    with state.LOCK:
        gone = instances.discard_all()
        images.forget_all()
    left = sweep.stale(_active["live_dir"], filter_table=False)
    try:
        firewall.remove()  # the machines are gone: nothing is left to confine
    except firewall.FirewallError as err:
        print(f"live: {err}", file=sys.stderr, flush=True)
    try:
        os.remove(os.path.join(_active["live_dir"], "emulator.pid"))
    except OSError:
        pass
    print(f"live: stopped {len(gone)} machine(s); removed {len(left)} leftover(s)", file=sys.stderr, flush=True)
    still = sweep.remaining(_active["live_dir"], gone, vpc_ids)
    if still:
        print(f"live: {STILL_THERE} " + "; ".join(still), file=sys.stderr, flush=True)
    _active.clear()


def _status(_: Any) -> tuple[int, Any]:
    machines = []
    for live in instances.all_instances():
        machines.append(
            {
                "instance_id": live.id,
                "state": live.instance.state,
                "booted": live.booted,
                "private_ip": live.private_ip,
                "hostname": live.machine.hostname,
                "netns": live.machine.netns,
                "root": live.machine.root,
                "upper": live.machine.upper,
                "console_log": os.path.join(live.machine.dir, "console.log"),
                "nspawn_pid": live.machine.proc.pid if live.machine.proc else None,
                "started_at": live.machine.started_at,
            }
        )
    import boto3

    regions = boto3.session.Session().get_available_regions("ec2")
    return 200, {
        "live_dir": _active.get("live_dir"),
        "base_rootfs": _active.get("base_rootfs"),
        "base_image_name": images.BASE_NAME,
        "base_image_ids": {r: images.base_image_id(r) for r in regions},
        "machines": machines,
    }
