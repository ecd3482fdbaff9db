"""With live machines, an emulated VPC's range becomes a bridge and a route on
the host (vpcnet.py), so a range the host already uses is refused where it
first appears, naming the clash (routes.py):

* CreateVpc → `InvalidVpc.Range`, CreateSubnet → `InvalidSubnet.Range` (the
  codes AWS gives a range it cannot use: EC2 API reference, "Error codes for
  the Amazon EC2 API"; AWS has no host to clash with, so this refusal is the
  emulator's own and stricter than AWS), before anything is created. The default VPC (172.31.0.0/16 in every region) is checked once
  when the emulator starts (mode.py): a clash refuses the start.
* RunInstances into a VPC that has no bridge yet → `Unsupported` (same
  reference: "The specified request is unsupported"), before any instance is
  made: the range may have become the host's since CreateVpc (a
  VPN came up), or be another VPC's bridge (every region's default VPC has the
  same range, and one host can carry only one of them).
"""

from __future__ import annotations

import os
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.models.subnets import SubnetBackend
from moto.ec2.models.vpcs import VPCBackend

from emulator.live import vpcnet

_originals: dict[str, Any] = {}


def _clash(vpc_id: str, cidr: str) -> str | None:
    try:
        vpcnet.check_range(vpc_id, cidr)
    except vpcnet.ClashError as err:
        return str(err)
    return None


def _create_vpc(self: Any, cidr_block: str, *args: Any, **kwargs: Any) -> Any:
    if not kwargs.get("is_default"):
        clash = _clash("the new VPC", cidr_block)
        if clash:
            raise EC2ClientError("InvalidVpc.Range", f"The CIDR '{cidr_block}' is invalid on this emulator: {clash}.")
    return _originals["create_vpc"](self, cidr_block, *args, **kwargs)


def _create_subnet(self: Any, vpc_id: str, cidr_block: str, *args: Any, **kwargs: Any) -> Any:
    try:
        default = self.get_vpc(vpc_id).is_default  # its range is checked at start and at launch
    except EC2ClientError:
        default = False  # moto answers the unknown VPC itself
    clash = None if default else _clash(vpc_id, cidr_block)
    if clash:
        raise EC2ClientError("InvalidSubnet.Range", f"The CIDR '{cidr_block}' is invalid on this emulator: {clash}.")
    return _originals["create_subnet"](self, vpc_id, cidr_block, *args, **kwargs)


def _target_vpc(backend: Any, kwargs: dict[str, Any]) -> Any:
    subnet_id = kwargs.get("subnet_id")
    if subnet_id:
        try:
            return backend.get_vpc(backend.get_subnet(subnet_id).vpc_id)
        except EC2ClientError:
            return None  # moto answers the unknown subnet itself
    if kwargs.get("nics"):
        return None
    return backend.get_default_vpc()


def _run_instances(self: Any, *args: Any, **kwargs: Any) -> Any:
    vpc = _target_vpc(self, kwargs)
    if vpc is not None and not os.path.exists(f"/sys/class/net/{vpcnet.bridge_name(vpc.id)}"):
        clash = _clash(vpc.id, vpc.cidr_block)
        if clash:
            raise EC2ClientError(
                "Unsupported", f"The requested configuration is currently not supported on this emulator: {clash}."
            )
    return _originals["run_instances"](self, *args, **kwargs)


def install() -> None:
    """After ec2_hooks.install(): the range is checked before a launch begins."""
    if _originals:
        return
    _originals.update(
        create_vpc=VPCBackend.create_vpc,
        create_subnet=SubnetBackend.create_subnet,
        run_instances=InstanceBackend.run_instances,
    )
    VPCBackend.create_vpc = _create_vpc  # type: ignore[method-assign]
    SubnetBackend.create_subnet = _create_subnet  # type: ignore[method-assign]
    InstanceBackend.run_instances = _run_instances  # type: ignore[method-assign]
