"""Auto Scaling replaces the instances its health checks find unhealthy.

Amazon EC2 Auto Scaling User Guide, "Health checks for instances in an Auto
Scaling group" (what is unhealthy: see health.py) and "View the reason for health
check failures" (how it is replaced):

* Every `asg_health_check_seconds` (a timing knob, default 1 s, on in every mode)
  each group's InService instances are checked. An unhealthy one gets
  HealthStatus `Unhealthy` and is taken out as every termination of the group
  (termination.py: `Terminating`, deregistered from the group's target groups,
  drained for the deregistration delay with live load balancers, then
  terminated), and while it terminates a
  replacement is launched to bring the group back to its desired capacity. The
  launch uses the group's current launch template version and goes to the zone
  with the fewest instances (launch.py), so the zones stay balanced.
* A replacement that cannot be launched (a failed RunInstances) is retried at
  the next check, as Auto Scaling retries a failed launch activity.
* The grace period (health.py): a non-running instance is replaced at once;
  failed status checks and ELB health checks count only after it.
* SetInstanceHealth (API reference): HealthStatus Healthy or Unhealthy (else
  ValidationError); an instance that is not in a group → ValidationError.
  Unhealthy is replaced at the next check. With ShouldRespectGracePeriod (the
  default) the call is ignored while the instance is in its group's grace
  period; False applies it at once.
* Suspended processes (SuspendProcesses): with `HealthCheck` suspended nothing is
  checked; with `ReplaceUnhealthy` suspended unhealthy instances stay.
* During an instance refresh, the instances of the batch being checked are the
  refresh's to judge (it fails, rolls back or, with `refresh_replace_unhealthy`,
  replaces them itself); every other instance of the group is healed as here.
  The instances a failed refresh leaves behind are healed afterwards, with the
  group's configuration (which a failed refresh did not change).
"""

from __future__ import annotations

import sys
import threading
import traceback
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState, autoscaling_backends
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import EmptyResult

from emulator import state
from emulator.autoscaling import health as asg_health
from emulator.autoscaling import launch as asg_launch
from emulator.autoscaling import termination
from emulator.autoscaling.refresh_model import active_refresh

CHECK_KEY = "asg_health_check_seconds"
# Registered here so that the knob lives with the behaviour it paces; a reset
# restores it from DEFAULT_TIMING like every other knob.
state.DEFAULT_TIMING.setdefault(CHECK_KEY, 1.0)
state.timing.setdefault(CHECK_KEY, state.DEFAULT_TIMING[CHECK_KEY])

# (account, region, group name) -> launches still owed to reach the desired
# capacity after a replacement whose launch failed.
_owed: dict[tuple[str, str, str], int] = {}


@state.on_reset
def _clear() -> None:
    _owed.clear()


def log(message: str) -> None:
    print(f"autoscaling: {message}", file=sys.stderr, flush=True)


def _groups() -> list[FakeAutoScalingGroup]:
    """Every group of every backend moto has created (creates no backend)."""
    out: list[FakeAutoScalingGroup] = []
    for per_account in list(dict.values(autoscaling_backends)):
        for backend in list(dict.values(per_account)):
            out.extend(list(backend.autoscaling_groups.values()))
    return out


def _suspended(group: FakeAutoScalingGroup) -> bool:
    names = {p["ProcessName"] for p in group.suspended_processes}
    return bool(names & {"HealthCheck", "ReplaceUnhealthy"})


def _refresh_owned(group: FakeAutoScalingGroup) -> set[str]:
    """Instances an active instance refresh is judging right now."""
    refresh = active_refresh(group.account_id, group.region, group.name)
    if refresh is None or refresh.batch is None:
        return set()
    return set(refresh.batch.new_ids) | set(refresh.batch.terminate_after)


def unhealthy_instances(group: FakeAutoScalingGroup) -> list[tuple[InstanceState, str]]:
    """(instance, why) for each InService instance the health checks fail."""
    skip = _refresh_owned(group)
    found = []
    for st in group.active_instances():
        if st.instance.id in skip:
            continue
        if asg_health.stored_status(st) == "Unhealthy":
            found.append((st, "a user health-check"))
            continue
        why = asg_health.failed_check(group, st.instance)
        if why is not None:
            found.append((st, why))
    return found


def _take_out(group: FakeAutoScalingGroup, st: InstanceState) -> None:
    """As every termination of the group (termination.py): Terminating,
    deregistered, drained, then terminated."""
    termination.take_out(group, [st.instance.id])


def _key(group: FakeAutoScalingGroup) -> tuple[str, str, str]:
    return (group.account_id, group.region, group.name)


def _launch_owed(group: FakeAutoScalingGroup) -> None:
    owed = _owed.get(_key(group), 0)
    missing = (group.desired_capacity or 0) - len(group.active_instances())
    count = min(owed, missing)
    if count <= 0:
        _owed.pop(_key(group), None)
        return
    try:
        launched = asg_launch.launch_into_group(group, count)
    except Exception as err:  # a failed launch activity: tried again at the next check
        log(f"{group.name}: launching {count} replacement(s) failed: {err}")
        return
    left = owed - len(launched)
    if left > 0:
        _owed[_key(group)] = left
    else:
        _owed.pop(_key(group), None)
    for st in launched:
        log(f"{group.name}: launched {st.instance.id} to replace an unhealthy instance")


def heal_group(group: FakeAutoScalingGroup) -> list[str]:
    """One health check of a group; returns the ids of the instances replaced."""
    if _suspended(group):
        return []
    replaced = []
    for st, why in unhealthy_instances(group):
        st.health_status = "Unhealthy"
        log(f"{group.name}: {st.instance.id} taken out of service in response to {why}")
        _take_out(group, st)
        _owed[_key(group)] = _owed.get(_key(group), 0) + 1
        replaced.append(st.instance.id)
    if _key(group) in _owed:
        _launch_owed(group)
    return replaced


def check_all() -> None:
    """One health check of every group. Call with state.LOCK held."""
    for group in _groups():
        try:
            heal_group(group)
        except Exception:  # keep the ticker alive; make the failure visible
            traceback.print_exc()


def _ticker(stop: threading.Event) -> None:
    while not stop.is_set():
        stop.wait(max(0.05, float(state.timing.get(CHECK_KEY, 1.0))))
        with state.LOCK:
            if stop.is_set():  # checked under the lock: nothing launches after a shutdown began
                return
            check_all()


def start_ticker() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=_ticker, args=(stop,), name="autoscaling-health", daemon=True).start()
    return stop


# -- SetInstanceHealth ---------------------------------------------------------

def _group_instance(backend: Any, instance_id: str) -> InstanceState:
    for group in backend.autoscaling_groups.values():
        for st in group.instance_states:
            if st.instance.id == instance_id:
                return st
    raise ValidationError(f"Instance Id not found - No managed instance found for instance ID: {instance_id}")


def _set_instance_health(self: AutoScalingResponse) -> Any:
    instance_id = self._get_param("InstanceId")
    status = self._get_param("HealthStatus")
    if status not in ("Healthy", "Unhealthy"):
        raise ValidationError("Valid instance health states are: [Healthy, Unhealthy].")
    respect_grace = self._get_param("ShouldRespectGracePeriod")
    respect_grace = respect_grace is None or str(respect_grace).lower() == "true"
    st = _group_instance(self.autoscaling_backend, instance_id)
    group = st.auto_scaling_group
    if status == "Unhealthy" and respect_grace and asg_health.in_grace_period(group, st.instance):
        return EmptyResult()  # the grace period is respected: not marked
    st.health_status = status
    return EmptyResult()


def install() -> None:
    AutoScalingResponse.set_instance_health = _set_instance_health  # type: ignore[method-assign]
