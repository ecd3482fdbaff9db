"""Spot builders launched by RunInstances, as EC2 reports them.

moto accepts RunInstances with `InstanceMarketOptions` (MarketType=spot) and marks the
instance internally, but DescribeInstances shows it as on-demand and no Spot request
exists. On AWS such a launch makes a one-time Spot Instance request: the instance
carries `InstanceLifecycle = spot` and its `SpotInstanceRequestId`; the request
(`sir-…`) is `active` while the instance lives and `closed` once it is terminated;
CancelSpotInstanceRequests cancels it (the instance keeps running) and answers
`InvalidSpotInstanceRequestID.NotFound` for an id it does not know.

StopInstances refuses an instance of a one-time Spot request (EC2 user guide,
"Stop a Spot Instance" / "Interrupt a Spot Instance": only an instance of a
`persistent` request can be stopped; for a one-time request AWS answers
`UnsupportedOperation`). The whole call fails before any instance stops. moto
stopped them. A spot instance whose request the emulator cannot find counts as
one-time (the stricter reading).

Simplified: the request's price is the MaxPrice asked for (empty when none was given,
where AWS shows the on-demand price); a cancelled request leaves the listing at once.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.instances import Instance, InstanceBackend
from moto.ec2.models.spot_requests import SpotInstanceRequest, SpotRequestBackend
from moto.ec2.responses.instances import InstanceResponse
from moto.ec2.utils import random_spot_request_id

_installed = False
# The market options of the RunInstances being handled (requests run one at a time,
# under the emulator's lock).
_market: dict[str, Any] = {}


class SpotRequestNotFound(EC2ClientError):
    def __init__(self, request_id: str):
        super().__init__(
            "InvalidSpotInstanceRequestID.NotFound",
            f"The spot instance request ID '{request_id}' does not exist",
        )


class LaunchedSpotRequest(SpotInstanceRequest):
    """The one-time request RunInstances made for an instance it launched itself."""

    # moto's model registry keys models by the service in their module path.
    __module__ = "moto.ec2.models.spot_requests"

    def __init__(self, backend: Any, instance: Any, options: dict[str, Any]) -> None:
        self._launched = instance
        spot = options.get("SpotOptions") or {}
        super().__init__(
            ec2_backend=backend,
            spot_request_id=random_spot_request_id(),
            price=spot.get("MaxPrice", ""),
            image_id=instance.image_id,
            spot_instance_type=spot.get("SpotInstanceType", "one-time"),
            valid_from=None,
            valid_until=None,
            launch_group=None,
            availability_zone_group=None,
            key_name=instance.key_name,
            security_groups=[g.id for g in instance.security_groups],
            user_data=None,
            instance_type=instance.instance_type,
            placement=instance.placement,
            kernel_id=None,
            ramdisk_id=None,
            monitoring_enabled=False,
            subnet_id=instance.subnet_id,
            tags={},
            spot_fleet_id=None,
            instance_interruption_behaviour=spot.get("InstanceInterruptionBehavior"),
        )

    def launch_instance(self) -> Any:
        return self._launched

    def _closed(self) -> bool:
        return self._launched.state == "terminated"

    @property
    def state(self) -> str:  # type: ignore[override]
        return "closed" if self._closed() else "active"

    @state.setter
    def state(self, value: str) -> None:
        pass  # follows the instance

    @property
    def status(self) -> dict[str, Any]:
        code = "instance-terminated-by-user" if self._closed() else "fulfilled"
        return {"Code": code, "Message": "", "UpdateTime": "2015-01-01T00:00:00.000Z"}


def _wrap_response() -> None:
    original = InstanceResponse.run_instances

    def run_instances(self: Any) -> Any:
        _market.clear()
        _market.update(self._get_param("InstanceMarketOptions", {}) or {})
        try:
            return original(self)
        finally:
            _market.clear()

    InstanceResponse.run_instances = run_instances  # type: ignore[method-assign]


def _wrap_backend() -> None:
    original = InstanceBackend.run_instances

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, security_group_names: list[str], **kwargs: Any) -> Any:
        reservation = original(self, image_id, count, user_data, security_group_names, **kwargs)
        if kwargs.get("instance_market_options") == "spot" and _market.get("MarketType") == "spot":
            for instance in reservation.instances:
                request = LaunchedSpotRequest(self, instance, dict(_market))
                self.spot_instance_requests[request.id] = request
                instance.spot_instance_request_id = request.id
        return reservation

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


class SpotStopUnsupported(EC2ClientError):
    def __init__(self, instance_id: str):
        super().__init__(
            "UnsupportedOperation",
            f"You can't stop the Spot Instance '{instance_id}' because it is associated with a one-time "
            "Spot Instance request. You can only stop Spot Instances associated with persistent Spot "
            "Instance requests.",
        )


def _request_of(backend: Any, instance: Any) -> Any:
    request_id = getattr(instance, "spot_instance_request_id", None)
    if request_id and request_id in backend.spot_instance_requests:
        return backend.spot_instance_requests[request_id]
    return next(
        (r for r in backend.spot_instance_requests.values() if getattr(r, "instance", None) is instance),
        None,
    )


def may_stop(backend: Any, instance: Any) -> bool:
    """Whether StopInstances may stop this instance: on-demand, or spot with a persistent request."""
    if getattr(instance, "lifecycle", None) != "spot":
        return True
    request = _request_of(backend, instance)
    return request is not None and request.type == "persistent"


def _wrap_stop() -> None:
    original = InstanceBackend.stop_instances

    def stop_instances(self: Any, instance_ids: list[str]) -> Any:
        for instance in self.get_multi_instances_by_id(instance_ids):
            if not may_stop(self, instance):
                raise SpotStopUnsupported(instance.id)
        return original(self, instance_ids)

    InstanceBackend.stop_instances = stop_instances  # type: ignore[method-assign]


def _wrap_cancel() -> None:
    original = SpotRequestBackend.cancel_spot_instance_requests

    def cancel(self: Any, request_ids: list[str]) -> Any:
        for request_id in request_ids:
            if request_id not in self.spot_instance_requests:
                raise SpotRequestNotFound(request_id)
        return original(self, request_ids)

    SpotRequestBackend.cancel_spot_instance_requests = cancel  # type: ignore[method-assign]


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    # What DescribeInstances and RunInstances render as InstanceLifecycle.
    Instance.instance_lifecycle = property(lambda self: self.lifecycle)  # type: ignore[attr-defined]
    Instance.spot_instance_request_id = None  # type: ignore[attr-defined]
    _wrap_response()
    _wrap_backend()
    _wrap_cancel()
    _wrap_stop()
