"""Where moto's EC2 meets the machines.

* RunInstances: every launch (the API, an Auto Scaling group, an instance
  refresh) goes through `InstanceBackend.run_instances`; the image must have a
  disk (else InvalidAMIID.Unavailable, before anything is created), and each new
  instance starts `pending` with a machine booting in the background.
* Stop / Start / Reboot / Terminate: moto's `Instance` methods (the API and Auto
  Scaling both end there) hand the work to the instance's worker; the state
  moves on when the machine really did it.
* CreateImage snapshots the instance's disk into a new image that is `pending`
  while copying, rebooting the instance first unless NoReboot (as AWS does).
* DeregisterImage frees the image's disk once no instance or other image needs it.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from moto.ec2.exceptions import EC2ClientError, InvalidAMIIdError
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.instances import Instance, InstanceBackend, InstanceState
from moto.ec2.responses.amis import AmisResponse

from emulator import state
from emulator.live import images, instances

_originals: dict[str, Any] = {}
_request = threading.local()


def _image_of(backend: Any, image_id: str | None, kwargs: dict[str, Any]) -> str | None:
    if not image_id and kwargs.get("launch_template"):
        return backend._get_template_from_args(kwargs["launch_template"]).image_id
    return image_id


def bootable_disk(backend: Any, image_id: str | None) -> images.Disk:
    if not image_id or image_id not in backend.amis:
        raise InvalidAMIIdError(image_id or "")
    found = images.disk(image_id)
    if found is None:
        raise EC2ClientError(
            "InvalidAMIID.Unavailable",
            f"The image id '[{image_id}]' has no disk: with --machines nspawn only images "
            f"with a disk boot (the base image {images.BASE_NAME}, and images created from "
            "instances launched from it)",
        )
    if not found.ready:
        raise EC2ClientError("InvalidAMIID.Unavailable", f"The image id '[{image_id}]' is not available yet (pending)")
    return found


def _run_instances(self: Any, image_id: str, count: int, user_data: Any, security_group_names: list[str], **kwargs: Any) -> Any:
    found = bootable_disk(self, _image_of(self, image_id, kwargs))
    if not kwargs.get("subnet_id") and not kwargs.get("nics"):
        # As AWS does (and moto does not: it makes up a 10.x address outside the
        # VPC), launch into the default subnet of the zone, with an address from it.
        zone = kwargs.get("placement") or self.region_name + "a"
        default = self.get_default_subnets().get(zone)
        if default is not None:
            kwargs["subnet_id"] = default.id
    reservation = _originals["run_instances"](self, image_id, count, user_data, security_group_names, **kwargs)
    for instance in reservation.instances:
        cidr = self.get_vpc(instance.vpc_id).cidr_block
        instance._state.name, instance._state.code = "pending", instances.CODES["pending"]
        instances.LiveInstance(instance, found.layers, cidr).submit("launch")
    return reservation


def _incorrect_state(instance: Instance, action: str) -> EC2ClientError:
    return EC2ClientError(
        "IncorrectInstanceState",
        f"The instance '{instance.id}' is not in a state from which it can be {action}.",
    )


def _start(self: Instance) -> InstanceState:
    live = instances.get(self.id)
    if live is None:
        return _originals["start"](self)
    if self.state in ("stopping", "shutting-down", "terminated"):
        raise _incorrect_state(self, "started")
    if self.state != "stopped":
        return copy.copy(self._state)
    previous = _originals["start"](self)
    live.set_state("pending")
    live.submit("start")
    return previous


def _stop(self: Instance) -> InstanceState:
    live = instances.get(self.id)
    if live is None:
        return _originals["stop"](self)
    if self.state in ("shutting-down", "terminated"):
        raise _incorrect_state(self, "stopped")
    if self.state in ("stopping", "stopped"):
        return copy.copy(self._state)
    previous = _originals["stop"](self)
    live.set_state("stopping")
    live.submit("stop")
    return previous


def _terminate(self: Instance) -> InstanceState:
    live = instances.get(self.id)
    if live is None:
        return _originals["terminate"](self)
    if self.state == "shutting-down":
        return copy.copy(self._state)
    drain = _drain_seconds(self)
    previous = _originals["terminate"](self)
    live.set_state("shutting-down")
    if drain > 0:
        live.submit("drain", drain)
    live.submit("terminate")
    return previous


def _drain_seconds(instance: Instance) -> float:
    """The longest deregistration delay (scaled like the health checks) of
    the target groups the instance is registered in: how long it keeps
    serving the requests in flight once it is deregistered."""
    from moto.elbv2.models import elbv2_backends

    backend = elbv2_backends[instance.ec2_backend.account_id][instance.ec2_backend.region_name]
    delays = [
        float(tg.attributes.get("deregistration_delay.timeout_seconds", 300))
        for tg in backend.target_groups.values()
        if instance.id in tg.targets
    ]
    scale = float(state.timing.get("health_check_time_scale", 1.0))
    return max(delays, default=0.0) * scale


def _reboot(self: Instance) -> None:
    live = instances.get(self.id)
    if live is None:
        _originals["reboot"](self)
    elif self.state == "running":
        live.submit("reboot")


def _create_image_response(self: AmisResponse) -> Any:
    _request.no_reboot = bool(self._get_bool_param("NoReboot", False))
    try:
        return _originals["create_image_response"](self)
    finally:
        _request.no_reboot = False


def _create_image(self: Any, instance_id: str, name: str, description: str, tag_specifications: list[dict[str, Any]]) -> Any:
    live = instances.get(instance_id)
    if live is not None and self.get_instance(instance_id).state not in ("running", "stopped"):
        raise EC2ClientError(
            "IncorrectInstanceState",
            f"The instance '{instance_id}' is not in a state from which it can be imaged.",
        )
    ami = _originals["create_image"](self, instance_id, name, description, tag_specifications)
    if live is not None:
        ami.state = "pending"
        made = images.new_image(ami, live.machine.layers)
        live.submit("snapshot", made, getattr(_request, "no_reboot", False))
    return ami


def _collect_later() -> None:
    threading.Thread(target=lambda: images.collect(instances.layers_in_use()), daemon=True).start()


def _deregister_image(self: Any, ami_id: str) -> None:
    _originals["deregister_image"](self, ami_id)
    images.mark_deregistered(ami_id)
    _collect_later()


def install() -> None:
    """Wraps whatever is installed at the time (the emulator's own fixes included)."""
    if _originals:
        return
    _originals.update(
        run_instances=InstanceBackend.run_instances,
        start=Instance.start,
        stop=Instance.stop,
        terminate=Instance.terminate,
        reboot=Instance.reboot,
        create_image_response=AmisResponse.create_image,
        create_image=AmiBackend.create_image,
        deregister_image=AmiBackend.deregister_image,
    )
    InstanceBackend.run_instances = _run_instances  # type: ignore[method-assign]
    Instance.start = _start  # type: ignore[method-assign]
    Instance.stop = _stop  # type: ignore[method-assign]
    Instance.terminate = _terminate  # type: ignore[method-assign]
    Instance.reboot = _reboot  # type: ignore[method-assign]
    AmisResponse.create_image = _create_image_response  # type: ignore[method-assign]
    AmiBackend.create_image = _create_image  # type: ignore[method-assign]
    AmiBackend.deregister_image = _deregister_image  # type: ignore[method-assign]
