"""Auto Scaling health checks of group instances.

Amazon EC2 Auto Scaling User Guide, "Health checks for instances in an Auto
Scaling group" and "Set the health check grace period for an Auto Scaling group":

* EC2 health checks (always on): an instance in any state other than `running`
  (stopping, stopped, shutting-down, terminated) is unhealthy at once, also
  during the health check grace period; an instance that fails its EC2 status
  checks (ec2/status_checks.py) is unhealthy once the grace period is over.
* ELB health checks (only when the group's HealthCheckType includes ELB): an
  instance that a target group of the group reports unhealthy is unhealthy once
  the grace period is over. With only EC2 health checks, load balancer health is
  not considered.
* The grace period starts when the instance is launched (here: its launch time).
* SetInstanceHealth (a custom health check) sets the status outright; see
  healing.py for how it treats the grace period.

DescribeAutoScalingGroups/Instances report the result as HealthStatus; healing.py
replaces unhealthy instances; an instance refresh waits on `instance_is_healthy`.
"""

from __future__ import annotations

import datetime

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState
from moto.ec2.models.instances import Instance

from emulator import state
from emulator.ec2 import status_checks
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
# EC2 states in which an instance is neither running nor on its way to running.
NOT_RUNNING_STATES = {"stopping", "stopped", "shutting-down", "terminated"}


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
    if instance.state != "running" or status_checks.is_impaired(instance):
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


def failing_target_groups(group: FakeAutoScalingGroup, instance: Instance) -> list[str]:
    """Target group ARNs that report the instance failed (not healthy and not in
    its first health checks)."""
    bad = []
    for arn in group.target_group_arns:
        status = target_state(group.account_id, group.region, arn, instance.id)
        if status is not None and status not in PASSING_STATES | PENDING_STATES:
            bad.append(arn)
    return bad


def seconds_since_launch(instance: Instance) -> float:
    launched = instance.launch_time
    if isinstance(launched, str):
        launched = datetime.datetime.fromisoformat(launched.replace("Z", "+00:00"))
    if launched.tzinfo is None:
        launched = launched.replace(tzinfo=datetime.timezone.utc)
    return (datetime.datetime.now(datetime.timezone.utc) - launched).total_seconds()


def in_grace_period(group: FakeAutoScalingGroup, instance: Instance) -> bool:
    grace = float(group.health_check_grace_period or 0)
    return grace > 0 and seconds_since_launch(instance) < grace


def failed_check(group: FakeAutoScalingGroup, instance: Instance) -> str | None:
    """Why the group's health checks find this instance unhealthy, or None.

    A `pending` instance is launching: not checked yet."""
    if instance.state in NOT_RUNNING_STATES:
        return f"an EC2 health check indicating it is {instance.state}"
    if instance.state != "running" or in_grace_period(group, instance):
        return None
    if status_checks.is_impaired(instance):
        return "an EC2 health check indicating it has impaired status"
    if uses_elb_checks(group):
        failing = failing_target_groups(group, instance)
        if failing:
            return f"an ELB health check failure in target group(s) {', '.join(failing)}"
    return None


def stored_status(st: InstanceState) -> str:
    """The status a SetInstanceHealth call gave, else Healthy."""
    return st.__dict__.get("_emu_health_status", "Healthy")


def _get_health(self: InstanceState) -> str:
    stored = stored_status(self)
    if stored != "Healthy":
        return stored
    group = self.auto_scaling_group
    if group is None:
        return "Healthy"
    if self.instance.state == "pending":
        return "Unhealthy"  # booting (live machines): not in service yet
    return "Unhealthy" if failed_check(group, self.instance) else "Healthy"


def _set_health(self: InstanceState, value: str) -> None:
    self.__dict__["_emu_health_status"] = value


def install() -> None:
    from emulator.autoscaling import healing

    InstanceState.health_status = property(_get_health, _set_health)  # type: ignore[assignment]
    status_checks.install()
    healing.install()
