"""Which instances an instance refresh replaces, skips, terminates or waits for.

Auto Scaling API reference, RefreshPreferences (SkipMatching,
ScaleInProtectedInstances, StandbyInstances); user guide, "Use an instance refresh
with skip matching", "Understand the default values for an instance refresh".

* SkipMatching: instances already on the desired configuration (template, version
  and instance type; without a DesiredConfiguration, the group's current one) are
  not replaced. They count as already updated: checkpoints and PercentageComplete
  are shares of the whole group ("percentages of the total number of instances in
  the Auto Scaling group"), so a refresh whose instances all match succeeds at once
  with 100 percent.
* ScaleInProtectedInstances: Refresh replaces protected instances like the others;
  Ignore leaves them alone (outside the refresh's count); Wait (default) replaces
  the unprotected ones first, then waits one hour for the protection to be removed,
  and fails the refresh if it is not.
* StandbyInstances: Terminate terminates instances in Standby (without replacement:
  they are outside the desired capacity); Ignore leaves them alone; Wait (default)
  waits one hour for them to return to service (they are then replaced), and fails
  the refresh otherwise.
* The hour is waited in real seconds with `instance_warmup_honored`, else it is one
  step, as the refresh's other waits.
"""

from __future__ import annotations

from collections.abc import Callable

from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState

from emulator import state
from emulator.autoscaling import termination
from emulator.autoscaling.refresh_model import Refresh

STANDBY = "Standby"
BLOCKED_WAIT_SECONDS = 3600.0


def members(group: FakeAutoScalingGroup) -> dict[str, InstanceState]:
    """The group's instances a refresh may still act on (serving or in Standby)."""
    return {
        st.instance.id: st
        for st in group.instance_states
        if st.lifecycle_state in termination.SERVING_STATES or st.lifecycle_state == STANDBY
    }


def _terminate_standby(group: FakeAutoScalingGroup, standby: list[InstanceState]) -> None:
    if not standby:
        return
    for st in standby:
        st.lifecycle_state = termination.TERMINATING
    termination._deregister(group, [st.instance.id for st in standby])
    termination._terminate(group, standby)


def plan(group: FakeAutoScalingGroup, r: Refresh, matches: Callable[[InstanceState], bool]) -> None:
    """Fill the refresh's queue (instances to replace), total and done (matching ones)."""
    protected_choice = r.preferences["ScaleInProtectedInstances"]
    standby_choice = r.preferences["StandbyInstances"]
    queue: list[str] = []
    matching = 0
    to_terminate: list[InstanceState] = []
    for st in members(group).values():
        if st.lifecycle_state not in ("InService", STANDBY):
            continue
        in_standby = st.lifecycle_state == STANDBY
        if in_standby and standby_choice == "Ignore":
            continue
        if in_standby and standby_choice == "Terminate":
            to_terminate.append(st)
            continue
        if not in_standby and st.protected_from_scale_in and protected_choice == "Ignore":
            continue
        if r.preferences["SkipMatching"] and matches(st):
            matching += 1
            continue
        queue.append(st.instance.id)
    _terminate_standby(group, to_terminate)
    r.queue = queue
    r.total = len(queue) + matching
    r.done = matching
    r.instances_to_update = len(queue)
    r.percentage_complete = 100 * matching // r.total if r.total else 0


def block_reason(r: Refresh, st: InstanceState) -> str | None:
    """Why the refresh may not replace this instance yet (a Wait preference), or None."""
    if st.lifecycle_state == STANDBY:
        return "in Standby" if r.preferences["StandbyInstances"] == "Wait" else None
    if st.protected_from_scale_in and r.preferences["ScaleInProtectedInstances"] == "Wait":
        return "protected from scale in"
    return None


def eligible(group: FakeAutoScalingGroup, r: Refresh) -> tuple[list[str], dict[str, str]]:
    """(queued instances that may be replaced now, queued instances waited for -> why)."""
    current = members(group)
    r.queue = [i for i in r.queue if i in current]
    ready: list[str] = []
    waiting: dict[str, str] = {}
    for instance_id in list(r.queue):
        st = current[instance_id]
        if st.lifecycle_state == STANDBY and r.preferences["StandbyInstances"] != "Wait":
            # Put in Standby after the refresh planned it: left out, as at the start.
            r.queue.remove(instance_id)
            r.total = max(r.total - 1, r.done)
            continue
        reason = block_reason(r, st)
        if reason is None:
            ready.append(instance_id)
        else:
            waiting[instance_id] = reason
    return ready, waiting


def wait_limit() -> float:
    return BLOCKED_WAIT_SECONDS if state.timing["instance_warmup_honored"] else 0.0


def waiting_reason(waiting: dict[str, str]) -> str:
    listed = ", ".join(f"{i} ({why})" for i, why in waiting.items())
    return f"Waiting for instances to become replaceable: {listed}."


def timeout_reason(waiting: dict[str, str]) -> str:
    listed = ", ".join(f"{i} ({why})" for i, why in waiting.items())
    return (
        f"Instance refresh failed: instances were not replaceable within {int(BLOCKED_WAIT_SECONDS)} seconds: "
        f"{listed}. Remove their scale-in protection or return them to service, or start the refresh with "
        "ScaleInProtectedInstances / StandbyInstances set to Refresh, Ignore or Terminate."
    )
