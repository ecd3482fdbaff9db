"""CopyImage as AWS does it: encryption of the copy, and a copy that takes time.

moto copies an image (also across regions) but ignores `Encrypted` and `KmsKeyId`,
and the copy is `available` at once. As the EC2 API reference (CopyImage, EbsBlockDevice)
and the user guide ("Copy an AMI") describe it:

* `Encrypted=true` encrypts the copy's snapshots with `KmsKeyId`, or with the
  destination region's default EBS key (`alias/aws/ebs`) when no key is given. A copy
  of an encrypted image is encrypted too (there is no unencrypted copy of an encrypted
  snapshot). `KmsKeyId` without `Encrypted` → `InvalidParameterDependency`.
* DescribeImages reports `Encrypted` on each EBS mapping, with `KmsKeyId` when it is.
* With the timing knob `image_copy_seconds` > 0 a copy is `pending` that long, then
  `available` (a cross-region copy takes minutes on AWS).

Launch permissions, tags and the deprecation time are not copied (moto already leaves
them out, as AWS does).
"""

from __future__ import annotations

import time
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidParameterDependency
from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.responses.amis import AmisResponse

from emulator import state
from emulator.state import on_reset

# (region, image id) -> time.monotonic() when the copy becomes available
_pending: dict[tuple[str, str], float] = {}

_original_describe_images = AmiBackend.describe_images
_original_mappings = Ami.block_device_mappings


@on_reset
def clear() -> None:
    _pending.clear()


def _settle(backend: Any) -> None:
    now = time.monotonic()
    region = getattr(backend, "region_name", "")
    for key, ready_at in list(_pending.items()):
        if key[0] == region and now >= ready_at:
            del _pending[key]
            ami = backend.amis.get(key[1])
            if ami is not None and ami.state == "pending":
                ami.state = "available"


def _describe_images(self: Any, *args: Any, **kwargs: Any) -> Any:
    _settle(self)
    return _original_describe_images(self, *args, **kwargs)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _copy_image(self: Any) -> ActionResult:
    source_image_id = self._get_param("SourceImageId")
    source_region = self._get_param("SourceRegion")
    encrypted = _truthy(self._get_param("Encrypted"))
    kms_key_id = self._get_param("KmsKeyId") or None
    self.error_on_dryrun()
    if kms_key_id and not encrypted:
        raise InvalidParameterDependency("KmsKeyId", "Encrypted")

    backend = self.ec2_backend
    image = backend.copy_image(
        source_image_id, source_region, self._get_param("Name"), self._get_param("Description")
    )
    from moto.ec2.models import ec2_backends

    source = ec2_backends[backend.account_id][source_region].amis.get(source_image_id)
    source_encrypted = bool(source is not None and source.ebs_snapshot.encrypted)
    if encrypted or source_encrypted:
        if not kms_key_id:
            kms_key_id = backend.default_kms_key_id or backend._create_default_encryption_key()
        image.ebs_snapshot.encrypted = True
        image.ebs_snapshot.kms_key_id = kms_key_id

    delay = float(state.timing.get("image_copy_seconds", 0) or 0)
    if delay > 0:
        image.state = "pending"
        _pending[(backend.region_name, image.id)] = time.monotonic() + delay
    return ActionResult({"ImageId": image.id})


def _mappings(self: Any) -> list[dict[str, Any]]:
    mappings = _original_mappings.fget(self)  # type: ignore[attr-defined]
    snapshot = self.ebs_snapshot
    for mapping in mappings:
        ebs = mapping.get("Ebs")
        if ebs is None or ebs.get("SnapshotId") != snapshot.id:
            continue
        ebs["Encrypted"] = bool(snapshot.encrypted)
        if snapshot.encrypted and snapshot.kms_key_id:
            ebs["KmsKeyId"] = snapshot.kms_key_id
    return mappings


def install() -> None:
    AmiBackend.describe_images = _describe_images  # type: ignore[method-assign]
    AmisResponse.copy_image = _copy_image  # type: ignore[method-assign]
    Ami.block_device_mappings = property(_mappings)  # type: ignore[method-assign,assignment]
