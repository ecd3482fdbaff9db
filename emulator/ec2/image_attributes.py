"""Image and instance attributes Packer's amazon-ebs sets: ImdsSupport, EnaSupport, SriovNetSupport.

moto 5.2 has none of them on images (its `sriov` is never reported) and reports every
instance as `SriovNetSupport = simple`. As the EC2 API reference and user guide
describe them:

* ModifyImageAttribute `ImdsSupport` (`v2.0` is the only value; "after you set the
  value to v2.0, you can't undo it") sets the image's `ImdsSupport`, which
  DescribeImages reports (and DescribeImageAttribute `imdsSupport`). Any other value
  is `InvalidParameterValue`. An image without it reports none.
* ModifyInstanceAttribute `EnaSupport` (true / false) and `SriovNetSupport`
  (`simple`) change an instance's enhanced networking attributes; the instance must
  be stopped (EC2 user guide, "Enable enhanced networking with ENA" and "… with the
  Intel 82599 VF interface": stop the instance, then modify it), else
  `IncorrectInstanceState`. Another SriovNetSupport value is `InvalidParameterValue`.
* An instance starts with its image's `EnaSupport` and `SriovNetSupport`; CreateImage
  records the instance's in the image (DescribeImages `EnaSupport`,
  `SriovNetSupport`). An attribute that was never set is not reported.

Simplified: the images moto ships keep moto's `SriovNetSupport = simple` and report no
`EnaSupport`; RegisterImage's `EnaSupport` / `SriovNetSupport` / `ImdsSupport` are
not read.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import EmptyResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.models.instances import Instance, InstanceBackend
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.responses.instances import InstanceResponse

_installed = False
IMDS_VALUES = ("v2.0",)
SRIOV_VALUES = ("simple",)


class InvalidValue(EC2ClientError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterValue", message)


class NotStopped(EC2ClientError):
    def __init__(self, instance_id: str):
        super().__init__("IncorrectInstanceState", f"The instance '{instance_id}' is not in the 'stopped' state.")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise InvalidValue(f"Value ({value}) for parameter EnaSupport is invalid. Expected a boolean.")
    return text == "true"


def _wrap_modify_image() -> None:
    original = AmisResponse.modify_image_attribute

    def modify_image_attribute(self: Any) -> Any:
        imds = self._get_param("ImdsSupport.Value")
        if imds is None:
            return original(self)
        if imds not in IMDS_VALUES:
            raise InvalidValue(f"Value ({imds}) for parameter ImdsSupport is invalid. The only valid value is v2.0.")
        self.error_on_dryrun()
        ami = self.ec2_backend.describe_images(ami_ids=[self._get_param("ImageId")])[0]
        ami.imds_support = imds
        return EmptyResult()

    AmisResponse.modify_image_attribute = modify_image_attribute  # type: ignore[method-assign]


def _wrap_modify_instance() -> None:
    original = InstanceResponse.modify_instance_attribute

    def modify_instance_attribute(self: Any) -> Any:
        ena = self._get_param("EnaSupport.Value")
        sriov = self._get_param("SriovNetSupport.Value")
        if ena is None and sriov is None:
            return original(self)
        instance = self.ec2_backend.get_instance(self._get_param("InstanceId"))
        if sriov is not None and sriov not in SRIOV_VALUES:
            raise InvalidValue(f"Value ({sriov}) for parameter SriovNetSupport is invalid. The only valid value is simple.")
        enabled = _boolean(ena) if ena is not None else None
        if instance.state != "stopped":
            raise NotStopped(instance.id)
        self.error_on_dryrun()
        if enabled is not None:
            instance.ena_support = enabled
        if sriov is not None:
            instance.sriov_net_support = sriov
        return EmptyResult()

    InstanceResponse.modify_instance_attribute = modify_instance_attribute  # type: ignore[method-assign]


def _wrap_launch() -> None:
    original = InstanceBackend.run_instances

    def run_instances(
        self: Any, image_id: str, count: int, user_data: Any, security_group_names: list[str], **kwargs: Any
    ) -> Any:
        reservation = original(self, image_id, count, user_data, security_group_names, **kwargs)
        images = self.describe_images(filters={"image-id": image_id}) if image_id else []
        image = images[0] if images else None
        for instance in reservation.instances:
            instance.ena_support = getattr(image, "ena_support", None)
            instance.sriov_net_support = getattr(image, "sriov_net_support", None)
        return reservation

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _wrap_create_image() -> None:
    original = AmiBackend.create_image

    def create_image(self: Any, instance_id: str, *args: Any, **kwargs: Any) -> Any:
        ami = original(self, instance_id, *args, **kwargs)
        instance = self.get_instance(instance_id)
        ami.ena_support = getattr(instance, "ena_support", None)
        ami.sriov = getattr(instance, "sriov_net_support", None)
        return ami

    AmiBackend.create_image = create_image  # type: ignore[method-assign]


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    # Reported by DescribeImages / DescribeInstances under their AWS names; None is
    # left out of the answer.
    Ami.imds_support = None  # type: ignore[attr-defined]
    Ami.imds = property(lambda self: self.imds_support)  # type: ignore[attr-defined]
    Ami.ena_support = None  # type: ignore[attr-defined]
    Ami.sriov_net_support = property(lambda self: self.sriov)  # type: ignore[attr-defined]
    Instance.ena_support = None  # type: ignore[attr-defined]
    _wrap_modify_image()
    _wrap_modify_instance()
    _wrap_launch()
    _wrap_create_image()
