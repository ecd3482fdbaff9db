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

from emulator import state
from emulator.elbv2.target_health import target_state


# Target states that pass the ELB health check. The live load balancers
# (live/lb_live.py) add "unused": Auto Scaling replaces only instances a load
# balancer reports unhealthy, and a target group no listener uses reports none.
PASSING_STATES = {"healthy"}
# A target in its first health checks (live load balancers): not yet healthy, so
# an instance refresh waits, but not failed either, so HealthStatus stays Healthy.
PENDING_STATES = {"initial"}
# How long an instance refresh waits for first health checks, in seconds scaled
# by the health_check_time_scale timing knob.
PENDING_LIMIT_SECONDS = 600.0


def uses_elb_checks(group: FakeAutoScalingGroup) -> bool:
    return "ELB" in (group.health_check_type or "").upper()


def _elb_states(group: FakeAutoScalingGroup, instance: Instance) -> list[str]:
    states = []
    for arn in group.target_group_arns:
        status = target_state(group.account_id, group.region, arn, instance.id)
        if status is not None:
            states.append(status)
    return states


def instance_is_healthy(group: FakeAutoScalingGroup, instance: Instance) -> bool:
    if instance.state != "running":
        return False
    if not uses_elb_checks(group):
        return True
    return all(status in PASSING_STATES for status in _elb_states(group, instance))


def checks_pending(group: FakeAutoScalingGroup, instances: list[Instance], waited: float) -> bool:
    """True when every one of these running instances is only waiting for its first
    load balancer health checks, and the wait has not exceeded its bound."""
    if waited >= PENDING_LIMIT_SECONDS * float(state.timing.get("health_check_time_scale", 1.0)):
        return False
    for instance in instances:
        if instance.state != "running" or not uses_elb_checks(group):
            return False
        states = _elb_states(group, instance)
        if not any(s in PENDING_STATES for s in states):
            return False
        if any(s not in PASSING_STATES | PENDING_STATES for s in states):
            return False
    return bool(instances)


def unhealthy_targets(group: FakeAutoScalingGroup, instance: Instance) -> list[str]:
    """Target group ARNs in which the instance is not healthy."""
    bad = []
    for arn in group.target_group_arns:
        status = target_state(group.account_id, group.region, arn, instance.id)
        if status is not None and status not in PASSING_STATES:
            bad.append(arn)
    return bad


def _get_health(self: InstanceState) -> str:
    stored = self.__dict__.get("_emu_health_status", "Healthy")
    if stored != "Healthy":
        return stored
    group = self.auto_scaling_group
    if group is not None and not instance_is_healthy(group, self.instance):
        if not checks_pending(group, [self.instance], 0.0):
            return "Unhealthy"
    return "Healthy"


def _set_health(self: InstanceState, value: str) -> None:
    self.__dict__["_emu_health_status"] = value


def install() -> None:
    InstanceState.health_status = property(_get_health, _set_health)  # type: ignore[assignment]
