"""How an instance refresh progresses, one time step at a time.

Rolling strategy, as the Amazon EC2 Auto Scaling User Guide describes it
("How an instance refresh works", "Instance maintenance policies"):

* Pending -> InProgress: the instances to replace are chosen (refresh_scope.py:
  SkipMatching, ScaleInProtectedInstances, StandbyInstances).
* Checkpoints pace the batches and pause the refresh for CheckpointDelay; the last
  one ends the replacements (refresh_checkpoints.py). The alarms of the
  AlarmSpecification are read at every step: one in ALARM fails the refresh, or
  rolls it back with AutoRollback (refresh_alarms.py).
* Batches are bounded by the healthy percentages of the desired capacity D:
  at least ceil(D * Min / 100) instances stay in service and at most
  floor(D * Max / 100) run at once. With MaxHealthyPercentage > 100 the
  replacements are launched first and the old instances terminated once the new
  ones are healthy; otherwise old instances are terminated first. When neither
  bound leaves room (Min = Max = 100), one instance is replaced at a time.
* New instances come from the desired launch template version, spread over the
  group's zones and registered in its target groups. A batch is done when its
  instances pass the group's health checks (asg_health); with the
  `instance_warmup_honored` control the InstanceWarmup (default: the group's
  HealthCheckGracePeriod) must also have passed, and failed checks within the
  HealthCheckGracePeriod after launch do not count yet.
* An unhealthy batch fails the refresh (Failed, StatusReason naming the
  instances); with the `refresh_replace_unhealthy` control its unhealthy instances
  are first replaced REPLACE_ATTEMPTS times. With AutoRollback the refresh goes
  RollbackInProgress and replaces the instances it launched with ones from the
  group's previous configuration, then RollbackSuccessful (or RollbackFailed if those are unhealthy too).
* An instance the refresh replaces is taken out as every termination of the
  group (termination.py): deregistered, drained for the deregistration delay
  (live load balancers), then terminated; the next batch, and the end of the
  refresh, wait until the instances it replaced are terminated.
* On success (after Baking for BakeTime, if set) the group's launch template and
  version become the DesiredConfiguration; on failure, cancel or rollback the
  group keeps its previous configuration.
"""

from __future__ import annotations

import math
import threading
import time
import traceback

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends

from emulator.autoscaling import health as asg_health
from emulator.autoscaling import launch as asg_launch
from emulator.autoscaling import refresh_alarms, refresh_checkpoints, refresh_scope, termination
from emulator import state
from emulator.autoscaling.refresh_model import MANUAL_ROLLBACK_REASON, Batch, Refresh, all_refreshes, now_utc


def _group(r: Refresh) -> FakeAutoScalingGroup | None:
    return autoscaling_backends[r.account_id][r.region].autoscaling_groups.get(r.group_name)


def _desired_target(group: FakeAutoScalingGroup, r: Refresh) -> tuple[object, str | None]:
    """(template, version) new instances come from."""
    if r.rolling_back or r.desired is None:
        return group.ec2_launch_template, group.launch_template_version
    template = group.ec2_backend.get_launch_template(r.desired["LaunchTemplateId"])
    return template, r.desired.get("Version")


def _matches(group: FakeAutoScalingGroup, r: Refresh, st: object) -> bool:
    template, version = _desired_target(group, r)
    spec = st.launch_template  # type: ignore[attr-defined]
    if template is None or not spec:
        return False
    target = asg_launch.template_version(template, version)  # type: ignore[arg-type]
    return (
        spec["LaunchTemplateId"] == template.id  # type: ignore[attr-defined]
        and str(spec["Version"]) == str(target.number)
        and st.instance.instance_type == (target.instance_type or st.instance.instance_type)  # type: ignore[attr-defined]
    )


def _in_group(group: FakeAutoScalingGroup) -> dict[str, object]:
    """The group's instances that serve (not those already Terminating)."""
    return {st.instance.id: st for st in group.instance_states if st.lifecycle_state in termination.SERVING_STATES}


def _terminate(group: FakeAutoScalingGroup, instance_ids: list[str]) -> None:
    """Deregistered first, terminated once drained (termination.py)."""
    termination.take_out(group, instance_ids)


def _trim_to_desired(group: FakeAutoScalingGroup) -> None:
    if len(group.active_instances()) > (group.desired_capacity or 0):
        group.set_desired_capacity(group.desired_capacity)


def _plan(group: FakeAutoScalingGroup, r: Refresh) -> None:
    """Scope (SkipMatching, ScaleInProtectedInstances, StandbyInstances): refresh_scope.py."""
    refresh_scope.plan(group, r, lambda st: _matches(group, r, st))
    refresh_checkpoints.pass_initial(r)


def _start_batch(group: FakeAutoScalingGroup, r: Refresh, now: float, candidates: list[str]) -> None:
    """Replace the next batch of `candidates` (queued instances that may be replaced now)."""
    desired = max(group.desired_capacity or 0, 1)
    min_in_service = math.ceil(desired * r.preferences["MinHealthyPercentage"] / 100)
    max_running = math.floor(desired * r.preferences["MaxHealthyPercentage"] / 100)
    surge = max(0, max_running - desired)
    unavailable = max(0, desired - min_in_service)
    size = min(len(candidates), max(1, surge + unavailable))
    cap = None if r.rolling_back else refresh_checkpoints.batch_cap(r)
    if cap is not None:
        size = min(size, cap)  # paced so as not to go past the next checkpoint
    terminate_first = min(size, unavailable) if surge + unavailable else 1
    old = candidates[:size]
    r.queue = [i for i in r.queue if i not in old]
    _terminate(group, old[:terminate_first])
    template, version = _desired_target(group, r)
    new = asg_launch.launch_into_group(group, size, template, version, exclude=set(old))  # type: ignore[arg-type]
    new_ids = [st.instance.id for st in new]
    if not r.rolling_back:
        r.launched.extend(new_ids)
    r.batch = Batch(new_ids=new_ids, terminate_after=old[terminate_first:], launched_at=now)


def _warmup_seconds(group: FakeAutoScalingGroup, r: Refresh) -> float:
    warmup = r.preferences.get("InstanceWarmup")
    if warmup is None:
        warmup = group.health_check_grace_period or 0
    return float(warmup)


# With refresh_replace_unhealthy: how many times a batch's unhealthy instances are
# replaced before the refresh fails. Auto Scaling replaces instances that fail their
# health checks and fails a refresh whose replacements keep failing, without
# publishing the number of attempts; three keeps a doomed refresh short while
# showing a client that unhealthy instances come and go before the failure.
REPLACE_ATTEMPTS = 3


def _replace_unhealthy(group: FakeAutoScalingGroup, r: Refresh, unhealthy: list[str], now: float) -> None:
    """Terminate a batch's unhealthy instances and launch as many new ones."""
    batch = r.batch
    assert batch is not None
    _terminate(group, unhealthy)
    template, version = _desired_target(group, r)
    new = asg_launch.launch_into_group(group, len(unhealthy), template, version)  # type: ignore[arg-type]
    new_ids = [st.instance.id for st in new]
    if not r.rolling_back:
        r.launched.extend(new_ids)
    batch.new_ids = [i for i in batch.new_ids if i not in unhealthy] + new_ids
    batch.launched_at = now
    batch.healthy_since = None
    batch.replacements += 1


def _check_batch(group: FakeAutoScalingGroup, r: Refresh, now: float) -> None:
    batch = r.batch
    assert batch is not None
    members = _in_group(group)
    if any(i in members and members[i].instance.state == "pending" for i in batch.new_ids):
        return  # still booting (live machines): not in service yet, but not unhealthy either
    unhealthy = [
        i for i in batch.new_ids if i not in members or not asg_health.instance_is_healthy(group, members[i].instance)  # type: ignore[attr-defined]
    ]
    if unhealthy:
        grace = float(group.health_check_grace_period or 0)
        if state.timing["instance_warmup_honored"] and now < batch.launched_at + grace:
            return  # health checks do not count during the grace period
        if all(i in members for i in unhealthy) and asg_health.checks_pending(
            group, [members[i].instance for i in unhealthy], now - batch.launched_at  # type: ignore[attr-defined]
        ):
            return  # live load balancer: first health checks still running (`initial`)
        if state.timing["refresh_replace_unhealthy"] and batch.replacements < REPLACE_ATTEMPTS:
            _replace_unhealthy(group, r, unhealthy, now)
            return
        _fail(group, r, unhealthy)
        return
    if state.timing["instance_warmup_honored"]:
        if batch.healthy_since is None:
            batch.healthy_since = now
        if now < batch.healthy_since + _warmup_seconds(group, r):
            return
    _terminate(group, batch.terminate_after)
    count = len(batch.new_ids)
    r.batch = None
    if r.rolling_back:
        r.rollback_done += count
        start_pct = (r.rollback_details or {}).get("PercentageCompleteOnRollback", 0)
        left = max(r.rollback_total - r.rollback_done, 0)
        r.percentage_complete = math.floor(start_pct * left / r.rollback_total) if r.rollback_total else 0
    else:
        r.done += count
        r.instances_to_update = len(r.queue)
        r.percentage_complete = math.floor(100 * r.done / r.total) if r.total else 100
        refresh_checkpoints.after_batch(r, now)


def _describe_failure(group: FakeAutoScalingGroup, ids: list[str]) -> str:
    members = _in_group(group)
    parts = []
    for instance_id in ids:
        st = members.get(instance_id)
        if st is None:
            parts.append(f"{instance_id} (terminated)")
            continue
        bad = asg_health.unhealthy_targets(group, st.instance)  # type: ignore[attr-defined]
        where = f" in target group(s) {', '.join(bad)}" if bad else ""
        parts.append(f"{instance_id} failed health checks{where}")
    return "; ".join(parts)


def start_rollback(group: FakeAutoScalingGroup, r: Refresh, reason: str) -> None:
    r.rollback_details = {
        "RollbackReason": reason,
        "RollbackStartTime": now_utc(),
        "PercentageCompleteOnRollback": r.percentage_complete,
        "InstancesToUpdateOnRollback": r.instances_to_update,
        "ProgressDetailsOnRollback": {
            "LivePoolProgress": {
                "PercentageComplete": r.percentage_complete,
                "InstancesToUpdate": r.instances_to_update,
            },
            "WarmPoolProgress": {"PercentageComplete": 0, "InstancesToUpdate": 0},
        },
    }
    r.status = "RollbackInProgress"
    r.rolling_back = True
    r.batch = None
    members = _in_group(group)
    queue = [i for i in r.launched if i in members]
    excess = len(group.active_instances()) - (group.desired_capacity or 0)
    if excess > 0:  # launched ahead of terminations: drop the newest surplus outright
        _terminate(group, queue[-excess:])
        queue = queue[:-excess]
    r.queue = queue
    r.rollback_total = len(queue)
    r.rollback_done = 0
    if not queue:
        r.percentage_complete = 0


def _fail(group: FakeAutoScalingGroup, r: Refresh, unhealthy: list[str]) -> None:
    detail = _describe_failure(group, unhealthy)
    if r.rolling_back:
        r.finish("RollbackFailed", f"{r.status_reason or ''} Rollback failed: {detail}.".strip())
        _trim_to_desired(group)
        return
    reason = f"Instance refresh failed: {detail}."
    _fail_with(group, r, reason, f"Auto rollback triggered due to instance refresh failure. {reason}")


def _fail_with(group: FakeAutoScalingGroup, r: Refresh, reason: str, rollback_reason: str) -> None:
    """Fail the refresh, or roll it back with AutoRollback."""
    r.status_reason = reason
    r.checkpoint_until = None
    if r.preferences.get("AutoRollback"):
        start_rollback(group, r, rollback_reason)
        return
    r.finish("Failed", reason)
    _trim_to_desired(group)


# While these run, the monitored alarms can stop the refresh (a rollback is not stopped).
ALARM_WATCHED = ("Pending", "InProgress", "Baking")


def _alarm_stopped(group: FakeAutoScalingGroup, r: Refresh) -> bool:
    """AlarmSpecification: an alarm in ALARM (or deleted) fails the refresh (refresh_alarms.py)."""
    names = r.preferences.get("AlarmSpecification", {}).get("Alarms", [])
    if not names or r.rolling_back or r.status not in ALARM_WATCHED:
        return False
    found = refresh_alarms.breaching(r.account_id, r.region, names)
    if not found:
        return False
    reason = refresh_alarms.failure_reason(found)
    _fail_with(group, r, reason, f"Auto rollback triggered due to CloudWatch alarm(s). {reason}")
    return True


def _wait_for_blocked(group: FakeAutoScalingGroup, r: Refresh, now: float, waiting: dict[str, str]) -> None:
    """Only instances a Wait preference holds back are left: wait for them, then fail."""
    if r.blocked_since is None:
        r.blocked_since = now
        r.status_reason = refresh_scope.waiting_reason(waiting)
        return
    if now < r.blocked_since + refresh_scope.wait_limit():
        return
    reason = refresh_scope.timeout_reason(waiting)
    _fail_with(group, r, reason, f"Auto rollback triggered due to instance refresh failure. {reason}")


def _next_batch(group: FakeAutoScalingGroup, r: Refresh, now: float) -> None:
    """Start the next batch, wait for held-back instances, or complete."""
    if r.rolling_back:
        members = _in_group(group)
        r.queue = [i for i in r.queue if i in members]
        if r.queue:
            _start_batch(group, r, now, r.queue)
        else:
            _complete(group, r, now)
        return
    if r.status == "Baking" or r.done >= refresh_checkpoints.goal(r):
        _complete(group, r, now)
        return
    ready, waiting = refresh_scope.eligible(group, r)
    if ready:
        if r.blocked_since is not None:
            r.blocked_since = None
            r.status_reason = None
        _start_batch(group, r, now, ready)
    elif waiting:
        _wait_for_blocked(group, r, now, waiting)
    else:
        _complete(group, r, now)


def _complete(group: FakeAutoScalingGroup, r: Refresh, now: float) -> None:
    if r.rolling_back:
        r.percentage_complete = 0
        reason = r.rollback_details["RollbackReason"] if r.rollback_details else MANUAL_ROLLBACK_REASON
        r.finish("RollbackSuccessful", r.status_reason or reason)
        return
    bake = float(r.preferences.get("BakeTime") or 0)
    if bake > 0 and r.status != "Baking":
        r.status = "Baking"
        r.bake_until = now + bake if state.timing["instance_warmup_honored"] else now
        return
    if r.status == "Baking" and r.bake_until is not None and now < r.bake_until:
        return
    if r.desired is not None:
        spec = {"LaunchTemplateId": r.desired["LaunchTemplateId"], "Version": r.desired.get("Version")}
        group._set_launch_configuration(None, spec, None)
    if r.done >= r.total:
        r.percentage_complete = 100
    r.instances_to_update = 0  # a partial refresh (last checkpoint below 100) is complete too
    r.finish("Successful")


def step(r: Refresh, now: float) -> None:
    group = _group(r)
    if group is None:
        r.finish("Failed", "The Auto Scaling group was deleted during the instance refresh.")
        return
    if _alarm_stopped(group, r):
        return
    if r.status == "Pending":
        r.status = "InProgress"
        _plan(group, r)
        return
    if r.status == "Cancelling":
        r.finish("Cancelled")
        _trim_to_desired(group)
        return
    if r.batch is not None:
        _check_batch(group, r, now)
        return
    if termination.draining_in(group):
        return  # replaced instances still drain: the next batch (or the end) waits
    if not r.rolling_back and refresh_checkpoints.paused(r, now):
        return  # at a checkpoint: CheckpointDelay
    _next_batch(group, r, now)


def advance_due() -> None:
    """Run every step that is due. Call with state.LOCK held."""
    now = time.monotonic()
    interval = float(state.timing["refresh_step_seconds"])
    for r in all_refreshes():
        if r.active and now >= r.next_step_at:
            try:
                step(r, now)
            except Exception as err:  # keep the ticker alive; make the failure visible
                traceback.print_exc()
                r.finish("Failed", f"Emulator error while refreshing: {err!r}")
            r.next_step_at = now + interval


def _ticker(stop: threading.Event) -> None:
    while not stop.is_set():
        interval = float(state.timing["refresh_step_seconds"])
        stop.wait(min(interval / 4, 0.05))
        with state.LOCK:
            termination.advance_due()
            advance_due()


def start_ticker() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=_ticker, args=(stop,), name="instance-refresh", daemon=True).start()
    return stop
