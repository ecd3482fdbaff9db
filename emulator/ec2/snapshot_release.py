"""DeleteSnapshot of a snapshot an image uses, or used a moment ago.

EC2 API reference, DeleteSnapshot: "You cannot delete a snapshot of the root device
of an EBS volume used by a registered AMI. You must first de-register the AMI before
you can delete the snapshot." The answer is `InvalidSnapshot.InUse` "The snapshot
snap-… is currently in use by ami-…".

* moto refuses only the root snapshot that CreateImage made for an image (its
  `from_ami`); here every snapshot that a registered image of the region maps
  (DescribeImages' BlockDeviceMappings: copies, the extra volumes of
  block_devices.py) is refused the same way, in API-only and live mode alike.
* After DeregisterImage, AWS needs a while before the image's snapshots are free
  (EC2 user guide, "Deregister your AMI": the snapshots are not deleted with the
  image, and a DeleteSnapshot right after DeregisterImage can still fail with
  `InvalidSnapshot.InUse`). For `snapshot_release_seconds` after DeregisterImage
  each snapshot the image mapped still answers `InvalidSnapshot.InUse` naming that
  image. The default 0 frees them at once (a speed knob for tests); the realism
  profile sets it to a few seconds. AWS publishes no duration.
"""

from __future__ import annotations

import time
from typing import Any

from moto.ec2.exceptions import InvalidSnapshotInUse
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.elastic_block_store import EBSBackend

from emulator import state
from emulator.state import on_reset

_originals: dict[str, Any] = {}
# (account, region, snapshot id) -> (image id, monotonic time of its DeregisterImage).
_released: dict[tuple[str, str, str], tuple[str, float]] = {}


@on_reset
def clear() -> None:
    _released.clear()


def snapshots_of(image: Any) -> list[str]:
    """The snapshot ids an image maps, as DescribeImages reports them."""
    ids = []
    for mapping in image.block_device_mappings:
        snapshot = (mapping.get("Ebs") or {}).get("SnapshotId")
        if snapshot:
            ids.append(snapshot)
    return ids


def _image_using(backend: Any, snapshot_id: str) -> str | None:
    for image in list(backend.amis.values()):
        if getattr(image, "ebs_snapshot", None) is None:
            continue
        if snapshot_id in snapshots_of(image):
            return str(image.id)
    return None


def _recently_released(backend: Any, snapshot_id: str) -> str | None:
    key = (backend.account_id, backend.region_name, snapshot_id)
    released = _released.get(key)
    if released is None:
        return None
    image_id, at = released
    if time.monotonic() < at + float(state.timing.get("snapshot_release_seconds", 0) or 0):
        return image_id
    del _released[key]
    return None


def _delete_snapshot(self: Any, snapshot_id: str) -> Any:
    if snapshot_id in self.snapshots:
        image_id = _image_using(self, snapshot_id) or _recently_released(self, snapshot_id)
        if image_id is not None:
            raise InvalidSnapshotInUse(snapshot_id, image_id)
    return _originals["delete_snapshot"](self, snapshot_id)


def _deregister_image(self: Any, ami_id: str) -> None:
    image = self.amis.get(ami_id)
    snapshots = snapshots_of(image) if image is not None and getattr(image, "ebs_snapshot", None) else []
    _originals["deregister_image"](self, ami_id)
    now = time.monotonic()
    for snapshot_id in snapshots:
        _released[(self.account_id, self.region_name, snapshot_id)] = (ami_id, now)


def install() -> None:
    if _originals:
        return
    _originals.update(
        delete_snapshot=EBSBackend.delete_snapshot,
        deregister_image=AmiBackend.deregister_image,
    )
    EBSBackend.delete_snapshot = _delete_snapshot  # type: ignore[method-assign]
    AmiBackend.deregister_image = _deregister_image  # type: ignore[method-assign]
