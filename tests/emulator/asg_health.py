"""Auto Scaling health checks of group instances.

An instance is healthy for its group when it is running (EC2 status checks) and, if
the group's HealthCheckType includes ELB, when every target group of the group
reports it `healthy` (Amazon EC2 Auto Scaling User Guide, "Health checks for
instances in an Auto Scaling group": with only EC2 health checks, load balancer
health is not considered). DescribeAutoScalingGroups/Instances report the result
as HealthStatus; an instance refresh waits on it.
"""

from __future__ import annotations

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState
from moto.ec2.models.instances import Instance

from target_health import target_state


def uses_elb_checks(group: FakeAutoScalingGroup) -> bool:
    return "ELB" in (group.health_check_type or "").upper()


def instance_is_healthy(group: FakeAutoScalingGroup, instance: Instance) -> bool:
    if instance.state != "running":
        return False
    if not uses_elb_checks(group):
        return True
    for arn in group.target_group_arns:
        status = target_state(group.account_id, group.region, arn, instance.id)
        if status is not None and status != "healthy":
            return False
    return True


def unhealthy_targets(group: FakeAutoScalingGroup, instance: Instance) -> list[str]:
    """Target group ARNs in which the instance is not healthy."""
    bad = []
    for arn in group.target_group_arns:
        status = target_state(group.account_id, group.region, arn, instance.id)
        if status is not None and status != "healthy":
            bad.append(arn)
    return bad


def _get_health(self: InstanceState) -> str:
    stored = self.__dict__.get("_emu_health_status", "Healthy")
    if stored != "Healthy":
        return stored
    group = self.auto_scaling_group
    if group is not None and not instance_is_healthy(group, self.instance):
        return "Unhealthy"
    return "Healthy"


def _set_health(self: InstanceState, value: str) -> None:
    self.__dict__["_emu_health_status"] = value


def install() -> None:
    InstanceState.health_status = property(_get_health, _set_health)  # type: ignore[assignment]
