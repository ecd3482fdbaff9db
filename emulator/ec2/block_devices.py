"""Block device mappings of RunInstances and CreateImage, as AWS applies them.

moto 5.2 drops parts of them:

* RunInstances: `Iops` and `Throughput` never reach the volumes (and an io1/io2
  mapping fails, since the volume is created without its required Iops); a
  mapping with only `VirtualName` (an instance store volume) is refused; and
  when the request maps any device, the image's root volume is not created. On
  AWS the request's mappings are merged with the image's: the root volume
  exists unless the request maps the root device itself; instance store
  volumes get no EBS volume (DescribeVolumes does not show them).
* CreateImage: `BlockDeviceMappings` is ignored; the image always has the one
  root snapshot. On AWS the image's mappings are the instance's plus the
  request's: a new EBS volume (size, type, iops, throughput, encryption,
  DeleteOnTermination) is recorded as given, an instance store volume by its
  `VirtualName`, a suppressed device as `NoDevice`; of the root device only
  `DeleteOnTermination` can be changed.

Simplification kept: CreateImage still snapshots only the root (moto's fresh
volume), not other EBS volumes attached to the instance.
"""

from __future__ import annotations

import contextvars
import copy
from typing import Any

from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.models.instances import Instance, InstanceBackend
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.responses.instances import InstanceResponse

# Iops / Throughput by device name, for the RunInstances being handled.
_launch_extras: contextvars.ContextVar[dict[str, dict[str, Any]]] = contextvars.ContextVar(
    "launch_extras", default={}
)
# The BlockDeviceMappings of the CreateImage being handled.
_image_request: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar(
    "image_request", default=None
)

_EBS_KEYS = ("SnapshotId", "VolumeSize", "VolumeType", "Iops", "Throughput", "Encrypted", "KmsKeyId", "DeleteOnTermination")


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _bool(value: Any) -> bool | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _ebs(raw: dict[str, Any]) -> dict[str, Any]:
    """An Ebs structure of a request, typed, with only what was given."""
    out: dict[str, Any] = {}
    for key in _EBS_KEYS:
        value = raw.get(key)
        if value in (None, ""):
            continue
        if key in ("VolumeSize", "Iops", "Throughput"):
            value = _int(value)
        elif key in ("Encrypted", "DeleteOnTermination"):
            value = _bool(value)
        out[key] = value
    return out


def _is_instance_store(mapping: dict[str, Any]) -> bool:
    return bool(mapping.get("VirtualName")) and "Ebs" not in mapping and "NoDevice" not in mapping


# --- RunInstances -----------------------------------------------------------

def _install_run_instances() -> None:
    original_validate = InstanceResponse._validate_block_device_mapping
    original_parse = InstanceResponse._parse_block_device_mapping
    original_add = Instance.add_block_device
    original_run = InstanceBackend.run_instances

    def validate(device_mapping: dict[str, Any]) -> None:
        if _is_instance_store(device_mapping):
            return
        original_validate(device_mapping)

    def parse(self: Any) -> list[dict[str, Any]]:
        # One template per request mapping, in order (validated by `validate`):
        # instance store ones dropped, Throughput added to the others.
        requested = self._get_param("BlockDeviceMappings", [])
        out = []
        for asked, parsed in zip(requested, original_parse(self)):
            if _is_instance_store(asked):
                continue
            parsed["Ebs"]["Throughput"] = _ebs(asked.get("Ebs") or {}).get("Throughput")
            out.append(parsed)
        return out

    def add_block_device(self: Any, size: int, device_path: str, *args: Any, **kwargs: Any) -> None:
        extra = _launch_extras.get().get(device_path)
        if not extra:
            return original_add(self, size, device_path, *args, **kwargs)
        snapshot_id, encrypted, delete_on_termination, kms_key_id = args[:4]
        volume = self.ec2_backend.create_volume(
            size=size,
            zone_name=self._placement.zone,
            snapshot_id=snapshot_id,
            encrypted=encrypted,
            kms_key_id=kms_key_id,
            volume_type=kwargs.get("volume_type"),
            iops=extra.get("Iops"),
            throughput=extra.get("Throughput"),
        )
        self.ec2_backend.attach_volume(volume.id, self.id, device_path, delete_on_termination)

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, security_group_names: list[str], **kwargs: Any) -> Any:
        mappings = kwargs.get("block_device_mappings")
        if not mappings:
            kwargs.pop("block_device_mappings", None)
            return original_run(self, image_id, count, user_data, security_group_names, **kwargs)
        root = _root_device(self, image_id)
        if root and all(m.get("DeviceName") != root for m in mappings):
            # The image's root volume, as moto makes it without mappings.
            root_mapping = {"DeviceName": root, "VirtualName": None, "NoDevice": None,
                            "Ebs": {"VolumeSize": 8, "DeleteOnTermination": True, "Encrypted": False}}
            kwargs["block_device_mappings"] = [root_mapping, *mappings]
        extras = {
            m["DeviceName"]: {"Iops": _int(m["Ebs"].get("Iops")), "Throughput": _int(m["Ebs"].get("Throughput"))}
            for m in mappings
            if m.get("Ebs") and (m["Ebs"].get("Iops") or m["Ebs"].get("Throughput"))
        }
        token = _launch_extras.set(extras)
        try:
            return original_run(self, image_id, count, user_data, security_group_names, **kwargs)
        finally:
            _launch_extras.reset(token)

    InstanceResponse._validate_block_device_mapping = staticmethod(validate)  # type: ignore[method-assign]
    InstanceResponse._parse_block_device_mapping = parse  # type: ignore[method-assign]
    Instance.add_block_device = add_block_device  # type: ignore[method-assign]
    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _root_device(backend: Any, image_id: str) -> str | None:
    try:
        return backend.describe_images(ami_ids=[image_id])[0].root_device_name
    except Exception:
        return None


# --- CreateImage ------------------------------------------------------------

def _install_create_image() -> None:
    original_response = AmisResponse.create_image
    original_backend = AmiBackend.create_image
    original_mappings = Ami.block_device_mappings

    def response(self: Any) -> Any:
        token = _image_request.set(self._get_param("BlockDeviceMappings", []) or None)
        try:
            return original_response(self)
        finally:
            _image_request.reset(token)

    def backend(self: Any, *args: Any, **kwargs: Any) -> Any:
        ami = original_backend(self, *args, **kwargs)
        requested = _image_request.get()
        if requested:
            ami.requested_mappings = copy.deepcopy(requested)
        return ami

    def mappings(self: Any) -> list[dict[str, Any]]:
        base = original_mappings.fget(self)
        requested = getattr(self, "requested_mappings", None)
        if not requested:
            return base
        wanted = {m.get("DeviceName"): m for m in requested}
        out = []
        for mapping in base:
            asked = wanted.pop(mapping["DeviceName"], None)
            if asked is not None and "Ebs" in mapping:
                change = _ebs(asked.get("Ebs") or {}).get("DeleteOnTermination")
                if change is not None:
                    mapping = copy.deepcopy(mapping)
                    mapping["Ebs"]["DeleteOnTermination"] = change
            out.append(mapping)
        for name, asked in wanted.items():
            if "NoDevice" in asked:
                out.append({"DeviceName": name, "NoDevice": ""})
            elif asked.get("VirtualName"):
                out.append({"DeviceName": name, "VirtualName": asked["VirtualName"]})
            elif asked.get("Ebs"):
                out.append({"DeviceName": name, "Ebs": _ebs(asked["Ebs"])})
        return out

    AmisResponse.create_image = response  # type: ignore[method-assign]
    AmiBackend.create_image = backend  # type: ignore[method-assign]
    Ami.block_device_mappings = property(mappings)  # type: ignore[method-assign,assignment]


def install() -> None:
    _install_run_instances()
    _install_create_image()
