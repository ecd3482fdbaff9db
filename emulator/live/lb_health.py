"""DescribeTargetHealth from the live load balancers (live mode only).

For a registered target that can take traffic (a running instance, or an IP
target) the state comes from the HAProxy health checks of the load balancer
whose listener forwards to the target group (lb_manager.verdict):
`initial` (Elb.RegistrationInProgress, then Elb.InitialHealthChecking) until
the first verdict, then `healthy` or `unhealthy` (Target.FailedHealthChecks,
Target.Timeout, Target.ResponseCodeMismatch). A target group that no live load
balancer forwards to reports `unused` / Target.NotInUse, as ELB does. A
deregistered target is `draining` (Target.DeregistrationInProgress) during its
deregistration delay, listed by DescribeTargetHealth, and gone afterwards.
Stopped, terminated and unknown instances keep the API-only answers
(target_health). The unhealthy-images / unhealthy-instances marks do not apply.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup

from emulator.live.lb_manager import Manager

_manager: Manager | None = None
_previous_health_for = FakeTargetGroup.health_for
_previous_describe = ELBv2Backend.describe_target_health


def _health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
    manager = _manager
    if manager is None:
        return _previous_health_for(self, target, ec2_backend)
    target_id = target["Id"]
    registered = self.targets.get(target_id)
    if registered is None:
        for draining in manager.draining(self.arn):
            if draining["Id"] == target_id and str(target.get("Port", draining["Port"])) == str(draining["Port"]):
                return FakeHealthStatus(
                    target_id,
                    draining["Port"],
                    self.health_check_port,
                    "draining",
                    "Target.DeregistrationInProgress",
                    "Target deregistration is in progress",
                )
        return _previous_health_for(self, target, ec2_backend)
    if target_id.startswith("i-"):
        instance = ec2_backend.get_instance_by_id(target_id)
        if instance is None or instance.state != "running":
            return _previous_health_for(self, target, ec2_backend)
    elif self.target_type != "ip":
        return _previous_health_for(self, target, ec2_backend)
    port = registered["Port"]
    found = manager.target_health(self.arn, target_id, int(port))
    if found is None:
        found = ("unused", "Target.NotInUse", "Target group is not configured to receive traffic from the load balancer")
    return FakeHealthStatus(target_id, port, self.health_check_port, *found)


def _describe_target_health(self: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]) -> list[FakeHealthStatus]:
    manager = _manager
    if not targets and manager is not None:
        target_group = self.target_groups.get(target_group_arn)
        if target_group is not None:
            targets = list(target_group.targets.values()) + [
                t for t in manager.draining(target_group_arn) if t["Id"] not in target_group.targets
            ]
    return _previous_describe(self, target_group_arn, targets)


def install(manager: Manager) -> None:
    global _manager, _previous_health_for, _previous_describe
    _manager = manager
    _previous_health_for = FakeTargetGroup.health_for
    _previous_describe = ELBv2Backend.describe_target_health
    FakeTargetGroup.health_for = _health_for  # type: ignore[method-assign]
    ELBv2Backend.describe_target_health = _describe_target_health  # type: ignore[method-assign]
