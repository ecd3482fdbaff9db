"""How an Auto Scaling group takes an instance out of service: deregister, drain, terminate.

Amazon EC2 Auto Scaling User Guide, "Use Elastic Load Balancing to distribute
incoming application traffic in your Auto Scaling group" (and "Set the
deregistration delay" / "Deregistration delay" in the ALB user guide): when the
group terminates an instance that is registered in its target groups, it first
deregisters the instance, waits for the deregistration to complete (the target
drains: requests in flight finish, no new ones arrive, for at most the target
group's deregistration delay) and only then terminates it. Meanwhile the instance
is `running` for EC2 and `Terminating` for Auto Scaling (DescribeAutoScalingGroups,
DescribeAutoScalingInstances); it no longer counts towards the desired capacity.

Every termination the group decides goes through `take_out`: scale-in
(SetDesiredCapacity, UpdateAutoScalingGroup), TerminateInstanceInAutoScalingGroup
and instance refresh replacements.

* Live load balancers (`--live-lb`, `--machines nspawn`): the wait is the longest
  deregistration delay of the group's target groups, times
  `health_check_time_scale`. AWS may finish a deregistration early once the target
  has no connection left; the emulator always waits the whole delay (a client
  never sees a termination sooner than AWS's latest).
* API-only mode: there is no traffic to drain; the order is kept (deregistered,
  then terminated) within the request, without a wait.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState
from moto.elbv2.models import elbv2_backends

from emulator import state

# Lifecycle states in which an instance belongs to the group's capacity and to its
# target groups (moto's launches are InService at once).
SERVING_STATES = ("InService", "Pending", "Pending:Wait", "Pending:Proceed")
TERMINATING = "Terminating"


@dataclass
class Draining:
    group: FakeAutoScalingGroup
    member: InstanceState
    until: float  # time.monotonic() at which the instance is terminated


# instance id -> its drain; an instance is in here from deregistration to termination
_draining: dict[str, Draining] = {}


@state.on_reset
def clear() -> None:
    _draining.clear()


def _live_load_balancers() -> bool:
    from emulator.live import lb_live

    return lb_live.manager is not None


def drain_seconds(group: FakeAutoScalingGroup) -> float:
    """How long a deregistered instance of the group drains before it is terminated."""
    if not _live_load_balancers():
        return 0.0
    backend = elbv2_backends[group.account_id][group.region]
    delays = []
    for arn in group.target_group_arns:
        target_group = backend.target_groups.get(arn)
        if target_group is not None:
            delays.append(float(target_group.attributes.get("deregistration_delay.timeout_seconds", 300)))
    return max(delays, default=0.0) * float(state.timing.get("health_check_time_scale", 1.0))


def _deregister(group: FakeAutoScalingGroup, instance_ids: list[str]) -> None:
    backend = elbv2_backends[group.account_id][group.region]
    for arn in group.target_group_arns:
        target_group = backend.target_groups.get(arn)
        if target_group is None:
            continue
        registered = [target_group.targets[i] for i in instance_ids if i in target_group.targets]
        if registered:
            target_group.deregister([{"Id": t["Id"], "Port": t["Port"]} for t in registered])


def _terminate(group: FakeAutoScalingGroup, members: list[InstanceState]) -> None:
    group.instance_states = [st for st in group.instance_states if all(st is not m for m in members)]
    ids = [m.instance.id for m in members if m.instance.state not in ("shutting-down", "terminated")]
    if ids:
        group.ec2_backend.terminate_instances(ids)


def take_out(group: FakeAutoScalingGroup, instance_ids: list[str]) -> list[str]:
    """Deregisters these instances of the group (those still serving) and terminates
    them once they drained. Returns the ids taken out. Call with state.LOCK held."""
    members = [
        st for st in group.instance_states if st.instance.id in instance_ids and st.lifecycle_state in SERVING_STATES
    ]
    if not members:
        return []
    for st in members:
        st.lifecycle_state = TERMINATING
    ids = [st.instance.id for st in members]
    _deregister(group, ids)
    wait = drain_seconds(group)
    if wait <= 0:
        _terminate(group, members)
        return ids
    until = time.monotonic() + wait
    for st in members:
        _draining[st.instance.id] = Draining(group, st, until)
    return ids


# How long past its deregistration delay an instance may wait for a live load
# balancer to report its target's drain over (reconciliation runs every 0.1 s).
DRAIN_REPORT_SLACK_SECONDS = 5.0


def _load_balancer_drains(group: FakeAutoScalingGroup, instance_id: str) -> bool:
    """Whether a live load balancer still drains the instance's target: the load
    balancer's own delay starts when it sees the deregistration, a moment later."""
    from emulator.live import lb_live

    manager = lb_live.manager
    if manager is None:
        return False
    return any(
        target["Id"] == instance_id for arn in group.target_group_arns for target in manager.draining(arn)
    )


def draining_in(group: FakeAutoScalingGroup) -> list[str]:
    """Instances of the group that are deregistered and not yet terminated."""
    return [i for i, d in _draining.items() if d.group is group]


def _member(group: FakeAutoScalingGroup, instance_id: str) -> InstanceState | None:
    """The group's current entry for the instance, found by id: code that rebuilds
    a group's member list may hold a new entry for the same instance."""
    return next((st for st in group.instance_states if st.instance.id == instance_id), None)


def _all_groups() -> list[FakeAutoScalingGroup]:
    from moto.autoscaling.models import autoscaling_backends

    groups: list[FakeAutoScalingGroup] = []
    for per_account in list(dict.values(autoscaling_backends)):
        for backend in list(dict.values(per_account)):
            groups.extend(backend.autoscaling_groups.values())
    return groups


def advance_due() -> None:
    """Terminates the instances whose drain is over. Call with state.LOCK held."""
    now = time.monotonic()
    for instance_id, drain in list(_draining.items()):
        member = _member(drain.group, instance_id)
        due = now >= drain.until and (
            now >= drain.until + DRAIN_REPORT_SLACK_SECONDS or not _load_balancer_drains(drain.group, instance_id)
        )
        if member is None or due:
            del _draining[instance_id]
            if member is not None:
                _terminate(drain.group, [member])
    # An instance its group shows Terminating is on its way out. One without a
    # drain (its group's members were rebuilt, or it was marked by code that did
    # not come through take_out) is terminated now: a group never keeps an
    # instance Terminating for ever, as AWS's never does.
    for group in _all_groups():
        stranded = [
            st
            for st in group.instance_states
            if st.lifecycle_state == TERMINATING and st.instance.id not in _draining
        ]
        if stranded:
            _terminate(group, stranded)
