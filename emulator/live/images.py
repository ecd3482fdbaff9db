"""Images with disks.

Every bootable image has a disk: a stack of read-only directories, top first.
The base image's disk is the cached Debian rootfs (rootfs.py); an image made by
CreateImage is its parent's layers plus a frozen copy of the instance's own
changes, under `<live dir>/images/<ami id>/layer`. Images without a disk (moto's
built-in catalogue) cannot boot.

The base image is registered in every EC2 backend when moto creates it (each
region, again after a reset) as an Amazon-owned public AMI, with an id derived
from the region and the rootfs (stable between runs on one host).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.ec2.models.amis import Ami, AmiBackend

from emulator.live import overlay

BASE_NAME = "debian-12-amd64-roundrobin-base"
BASE_DESCRIPTION = "Debian 12 (bookworm) amd64 minbase with systemd, openssh-server, nodejs, iproute2, curl"
# The account id Amazon's own public images carry (as in moto's catalogue).
AMAZON_OWNER_ID = "137112412989"


@dataclass
class Disk:
    image_id: str
    layers: list[str]
    # The directory this image added on top of its parent's (None for the base).
    own_layer: str | None = None
    ready: bool = True
    deregistered: bool = False
    ami: Any = field(default=None, repr=False)


_lock = threading.Lock()
_disks: dict[str, Disk] = {}
_config: dict[str, str] = {}
_original_load_amis = AmiBackend._load_amis


def configure(live_dir: str, base_rootfs: str, base_key: str) -> None:
    _config.update(live_dir=live_dir, base_rootfs=os.path.realpath(base_rootfs), base_key=base_key)


def images_dir() -> str:
    return os.path.join(_config["live_dir"], "images")


def base_image_id(region: str) -> str:
    digest = hashlib.sha256(f"{region}:{_config['base_key']}".encode()).hexdigest()
    return "ami-" + digest[:17]


def disk(image_id: str | None) -> Disk | None:
    with _lock:
        found = _disks.get(image_id or "")
        return None if found is None or found.deregistered else found


def _register_base(backend: Any) -> None:
    ami_id = base_image_id(backend.region_name)
    ami = Ami(
        backend,
        ami_id,
        name=BASE_NAME,
        description=BASE_DESCRIPTION,
        owner_id=AMAZON_OWNER_ID,
        owner_alias="amazon",
        public=True,
        virtualization_type="hvm",
        architecture="x86_64",
        state="available",
        image_location=f"amazon/{BASE_NAME}",
        hypervisor="xen",
        root_device_type="ebs",
        root_device_name="/dev/xvda",
        region_name=backend.region_name,
        boot_mode="uefi-preferred",
    )
    backend.amis[ami_id] = ami
    with _lock:
        _disks[ami_id] = Disk(ami_id, [_config["base_rootfs"]], ami=ami)


def _load_amis(self: AmiBackend) -> None:
    _original_load_amis(self)
    if _config:
        _register_base(self)


def new_image(ami: Any, parent_layers: list[str]) -> Disk:
    """A disk for an image being made: `pending` until finish()."""
    layer = os.path.join(images_dir(), ami.id, "layer")
    made = Disk(ami.id, [layer, *parent_layers], own_layer=layer, ready=False, ami=ami)
    with _lock:
        _disks[ami.id] = made
    return made


def mark_deregistered(image_id: str) -> None:
    with _lock:
        found = _disks.get(image_id)
        if found is not None:
            found.deregistered = True


def layers_in_use() -> set[str]:
    with _lock:
        return {layer for d in _disks.values() if not d.deregistered for layer in d.layers}


def collect(extra_in_use: set[str]) -> list[str]:
    """Removes image layers no registered image and no instance uses; returns them."""
    in_use = layers_in_use() | extra_in_use
    removed = []
    with _lock:
        gone = [d for d in _disks.values() if d.deregistered and d.own_layer not in in_use]
        for d in gone:
            del _disks[d.image_id]
    for d in gone:
        if d.own_layer is not None:
            image_dir = os.path.dirname(d.own_layer)
            if overlay.remove_tree(image_dir):
                removed.append(image_dir)
    return removed


def forget_all() -> None:
    """Drops every image disk this emulator made (moto's images are gone: a
    reset) and removes their layers. Base images keep theirs: moto registers
    them again whenever it recreates a backend."""
    with _lock:
        for image_id in [i for i, d in _disks.items() if d.own_layer is not None]:
            del _disks[image_id]
    if _config:
        overlay.remove_tree(images_dir())


def install() -> None:
    AmiBackend._load_amis = _load_amis  # type: ignore[method-assign]
