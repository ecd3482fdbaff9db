"""Target health as Elastic Load Balancing reports it (DescribeTargetHealth).

* A terminated instance leaves every target group it was registered in (an Auto
  Scaling group deregisters the instances it terminates; a terminated instance
  cannot stay a target), so a DescribeTargetHealth without Targets no longer lists it.
* A registered, running instance from an image marked unhealthy (or an instance
  marked unhealthy) fails its health checks: State `unhealthy`, Reason
  `Target.FailedHealthChecks`; otherwise it is `healthy`.
* A registered instance id that is not a running instance is `unused` with Reason
  `Target.InvalidState` (stopped or terminated), never `healthy`.
* RegisterTargets accepts a `pending` instance (moto refused it): only stopped and
  terminated instances are `InvalidTarget`.

Reason codes and states: the TargetHealth shape of the ELBv2 API reference.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.instances import Instance
from moto.elbv2.exceptions import TargetNotRunning
from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup, elbv2_backends

from emulator import state

_original_terminate = Instance.terminate
_original_health_for = FakeTargetGroup.health_for


def _terminate(self: Instance) -> Any:
    previous = _original_terminate(self)
    backend = elbv2_backends[self.ec2_backend.account_id][self.ec2_backend.region_name]
    for target_group in backend.target_groups.values():
        target_group.deregister_terminated_instances([self.id])
    return previous


def instance_fails_checks(instance: Instance) -> bool:
    return state.image_is_unhealthy(instance.image_id) or instance.id in state.unhealthy_instances


def _health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
    status = _original_health_for(self, target, ec2_backend)
    registered = self.targets.get(target["Id"])
    if registered is None or status.status != "healthy" or not target["Id"].startswith("i-"):
        return status
    instance = ec2_backend.get_instance_by_id(target["Id"])
    port = registered["Port"]
    if instance is None or instance.state in ("terminated", "shutting-down"):
        return FakeHealthStatus(
            target["Id"],
            port,
            self.health_check_port,
            "unused",
            "Target.InvalidState",
            "Target is in the terminated state",
        )
    if instance.state != "running":
        return FakeHealthStatus(
            target["Id"],
            port,
            self.health_check_port,
            "unused",
            "Target.InvalidState",
            f"Target is in the {instance.state} state",
        )
    if instance_fails_checks(instance):
        return FakeHealthStatus(
            target["Id"],
            port,
            self.health_check_port,
            "unhealthy",
            "Target.FailedHealthChecks",
            "Health checks failed",
        )
    return status


def target_state(account_id: str, region: str, target_group_arn: str, instance_id: str) -> str | None:
    """The State DescribeTargetHealth would report, or None if the group is gone."""
    backend = elbv2_backends[account_id][region]
    target_group = backend.target_groups.get(target_group_arn)
    if target_group is None:
        return None
    return target_group.health_for({"Id": instance_id}, backend.ec2_backend).status


def _register(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
    """RegisterTargets as AWS accepts it: an instance that is still `pending`
    (just launched, booting) may be registered, and is checked once it runs;
    only a stopped or terminated one is refused (`InvalidTarget`). moto
    refused every instance that was not `running` yet, which an Auto Scaling
    group with a target group hits as soon as launches take real time."""
    for target in targets:
        instance = self.ec2_backend.get_instance_by_id(target["Id"])
        if instance is not None and instance.state not in ("running", "pending"):
            raise TargetNotRunning(instance_id=target["Id"])
        self.targets[target["Id"]] = {"Id": target["Id"], "Port": target.get("Port", self.port)}
        self.deregistered_targets.pop(target["Id"], None)


def install() -> None:
    Instance.terminate = _terminate  # type: ignore[method-assign]
    FakeTargetGroup.register = _register  # type: ignore[method-assign]
    FakeTargetGroup.health_for = _health_for  # type: ignore[method-assign]
