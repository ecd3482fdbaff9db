"""Idempotent ELBv2 creates: CreateLoadBalancer, CreateTargetGroup, CreateListener.

The ELBv2 API reference says of each of these operations: "This operation is
idempotent, which means that it completes at most one time. If you attempt to
create multiple load balancers [target groups, listeners] with the same settings,
each call succeeds." A second create of the same name with other settings fails
with DuplicateLoadBalancerName / DuplicateTargetGroupName, and a second listener
on a load balancer's port with other settings with DuplicateListener.

moto 5.2.1 gets all three wrong: a second CreateLoadBalancer of a name makes a
second load balancer (its ARN check compares random ARNs), a second
CreateTargetGroup of a name always fails with DuplicateTargetGroupName, and a
second CreateListener on a port makes a second listener (its check looks for the
port among the listener ARNs).

"The same settings" are the request's own parameters, as sent: every parameter
but Action and Version, Tags included, compared after parsing (the order of the
query string does not matter). The reference does not say which parameters count,
so the stricter reading holds: any difference is a Duplicate error, also a
parameter given in one request and left to its default in the other. Subnets,
SecurityGroups and SubnetMappings are sets in ELBv2's model and compare as sets.
An object the emulator has no request for (one made before this module was
installed) never matches.

* load balancer: the same Name in the account and region;
* target group: the same Name in the account and region;
* listener: the same LoadBalancerArn and Port.

A matching create answers the existing object as it is now (same ARN), like a
Describe; nothing is created or changed.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.responses import ActionResult
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.responses import ELBV2Response

from emulator.state import on_reset

# ARN of each object created through the API -> the settings its create asked for.
_settings: dict[str, str] = {}
_originals: dict[str, Any] = {}

# Parameters that are sets in ELBv2's model: their order carries no meaning.
_SET_PARAMETERS = ("Subnets", "SecurityGroups", "SubnetMappings")


class DuplicateLoadBalancerName(ELBClientError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "DuplicateLoadBalancerName",
            f"A load balancer with the same name '{name}' exists, but with different settings",
        )


class DuplicateTargetGroupName(ELBClientError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "DuplicateTargetGroupName",
            f"A target group with the same name '{name}' exists, but with different settings",
        )


class DuplicateListener(ELBClientError):
    def __init__(self, load_balancer_arn: str, port: str) -> None:
        super().__init__(
            "DuplicateListener",
            f"A listener already exists on port {port} of load balancer '{load_balancer_arn}' "
            "with different settings",
        )


@on_reset
def clear() -> None:
    _settings.clear()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def settings_of(params: dict[str, Any]) -> str:
    """The request's settings as one comparable string."""
    settings = {key: _canonical(value) for key, value in params.items() if key not in ("Action", "Version")}
    for key in _SET_PARAMETERS:
        if isinstance(settings.get(key), list):
            settings[key] = sorted(settings[key], key=lambda item: json.dumps(item, sort_keys=True))
    return json.dumps(settings, sort_keys=True, default=str)


def _same_settings(arn: str, settings: str) -> bool:
    return _settings.get(arn) == settings


def _create_load_balancer(self: ELBV2Response) -> ActionResult:
    params = self._get_params()
    settings = settings_of(params)
    name = params.get("Name")
    existing = next((lb for lb in self.elbv2_backend.load_balancers.values() if lb.name == name), None)
    if existing is not None:
        if not _same_settings(existing.arn, settings):
            raise DuplicateLoadBalancerName(str(name))
        return ActionResult({"LoadBalancers": [existing]})
    result = _originals["create_load_balancer"](self)
    for created in self.elbv2_backend.load_balancers.values():
        if created.name == name:
            _settings[created.arn] = settings
    return result


def _create_target_group(self: ELBV2Response) -> ActionResult:
    params = self._get_params()
    settings = settings_of(params)
    name = params.get("Name")
    existing = next((tg for tg in self.elbv2_backend.target_groups.values() if tg.name == name), None)
    if existing is not None:
        if not _same_settings(existing.arn, settings):
            raise DuplicateTargetGroupName(str(name))
        return ActionResult({"TargetGroups": [existing]})
    result = _originals["create_target_group"](self)
    for created in self.elbv2_backend.target_groups.values():
        if created.name == name:
            _settings[created.arn] = settings
    return result


def _listeners_on_port(load_balancer: Any, port: Any) -> list[Any]:
    return [item for item in load_balancer.listeners.values() if str(item.port) == str(port)]


def _create_listener(self: ELBV2Response) -> ActionResult:
    params = self._get_params()
    settings = settings_of(params)
    lb_arn = params.get("LoadBalancerArn")
    port = params.get("Port")
    load_balancer = self.elbv2_backend.load_balancers.get(lb_arn)
    if load_balancer is not None and port is not None:
        existing = _listeners_on_port(load_balancer, port)
        if existing:
            if not _same_settings(existing[0].arn, settings):
                raise DuplicateListener(str(lb_arn), str(port))
            return ActionResult({"Listeners": [existing[0]]})
    result = _originals["create_listener"](self)
    if load_balancer is not None:
        for created in _listeners_on_port(load_balancer, port):
            _settings[created.arn] = settings
    return result


def install() -> None:
    if _originals:
        return
    _originals.update(
        create_load_balancer=ELBV2Response.create_load_balancer,
        create_target_group=ELBV2Response.create_target_group,
        create_listener=ELBV2Response.create_listener,
    )
    ELBV2Response.create_load_balancer = _create_load_balancer  # type: ignore[method-assign]
    ELBV2Response.create_target_group = _create_target_group  # type: ignore[method-assign]
    ELBV2Response.create_listener = _create_listener  # type: ignore[method-assign]
