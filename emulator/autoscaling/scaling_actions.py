"""What target tracking policies do when their alarms fire.

Auto Scaling user guide, "Target tracking scaling policies" and "Set the default
instance warmup for an Auto Scaling group"; the states of the policy's alarms are
read with CloudWatch's `alarm_state.state_of` only (scaling_alarms.py makes them):

* Scale out when a policy's AlarmHigh is in ALARM, "proportionally to the metric":
  the new desired capacity is ceil(capacity x metric / target) ("we round up"),
  never less than the current one. The metric is the alarm's statistic over the
  last complete period (60 s x metric_time_scale). For the group aggregates
  (ASGAverageCPUUtilization, ...) capacity counts the InService instances that are
  not warming up ("we do not consider instances that are warming up as part of the
  current capacity"; instances still warming up "are counted as part of the
  desired capacity for the next scale-out"); for ALBRequestCountPerTarget and
  customized metrics every InService instance (they all take requests).
* Scale in "more gradually" when AlarmLow is in ALARM: to ceil(capacity x metric /
  target) ("if ... removing 1.5 instances increases your CPU utilization to above
  50 percent, we remove just one"), only if every policy of the group with scale-in
  enabled is ready to scale in, no policy wants to scale out, no instance is
  warming up ("blocks scale-in activities initiated by scaling policies until the
  instances finish warming up"), and not within the group's DefaultCooldown after a
  launch ("When default instance warmup is not enabled, the default cooldown might
  be applied when instances launch, and dynamic scaling scale-in activities will be
  blocked until the default cooldown period ends"; moto has no
  DefaultInstanceWarmup, so this always applies). ALBRequestCountPerTarget without a
  datapoint counts as 0 ("emits zeros for periods with no associated data"); other
  metrics without data do not scale in ("does not scale in ... when the specified
  metric has insufficient data").
* Warm-up: the policy's EstimatedInstanceWarmup, else the group's DefaultCooldown
  (the fallback the user guide gives when no default instance warmup is set).
* An alarm that stays in ALARM acts again each period (CloudWatch invokes an Auto
  Scaling action once per period while the alarm is in ALARM). Bounds: never above
  MaxSize nor below MinSize ("does not scale your group below the minimum capacity
  or above the maximum capacity"). Disabled policies (Enabled false) do nothing.
* While an instance refresh is active the policies wait: on AWS the scaling runs in
  parallel and launches with the refresh's desired configuration, which this
  emulator's refresh does not model (README, "Scaling policies").

Warm-up, cooldown and the period are nominal seconds scaled by metric_time_scale.
"""

from __future__ import annotations

import datetime
import math
import sys
import threading
import time
import traceback
from typing import Any

from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

from emulator import state
from emulator.autoscaling import health
from emulator.autoscaling.scaling_model import TargetTrackingPolicy, all_policies
from emulator.cloudwatch import alarm_state, timescale

TICK_SECONDS = 0.25
PERIOD = 60

_started = False
_start_lock = threading.Lock()


def state_of(account_id: str, region: str, name: str | None) -> str | None:
    """The one place alarm states are read."""
    return None if not name else alarm_state.state_of(account_id, region, name)


def _log(message: str) -> None:
    print(f"scaling: {message}", file=sys.stderr, flush=True)


def warmup_seconds(policy: TargetTrackingPolicy | None, group: FakeAutoScalingGroup) -> float:
    nominal = policy.estimated_warmup if policy is not None and policy.estimated_warmup is not None else None
    if nominal is None:
        nominal = int(group.default_cooldown or 300)
    return timescale.real_seconds(nominal)


def _in_service(group: FakeAutoScalingGroup) -> list[Any]:
    return [st for st in group.instance_states if st.lifecycle_state == "InService"]


def warming_up(group: FakeAutoScalingGroup, instance: Any) -> bool:
    """Whether an instance of the group is still warming up for the group's policies
    (the longest warm-up of them; the group's DefaultCooldown without a policy)."""
    policies = [p for p in all_policies() if p.group_name == group.name and p.account_id == group.account_id]
    warmup = max([warmup_seconds(p, group) for p in policies] or [warmup_seconds(None, group)])
    return health.seconds_since_launch(instance) < warmup


def _capacity(policy: TargetTrackingPolicy, group: FakeAutoScalingGroup) -> int:
    members = _in_service(group)
    if policy.metric.group_aggregate:
        warmup = warmup_seconds(policy, group)
        members = [st for st in members if health.seconds_since_launch(st.instance) >= warmup]
    return len(members)


def metric_value(policy: TargetTrackingPolicy, now: float) -> float | None:
    """The policy metric's statistic over the last complete period, None without data."""
    period = timescale.real_seconds(PERIOD)
    end = timescale.period_start(now, period)
    start = datetime.datetime.fromtimestamp(end - period, datetime.timezone.utc).replace(tzinfo=None)
    stop = datetime.datetime.fromtimestamp(end, datetime.timezone.utc).replace(tzinfo=None)
    wanted = sorted(policy.metric.dimensions.items())
    values: list[float] = []
    backend = cloudwatch_backends[policy.account_id][policy.region]
    for datum in backend.metric_data:
        if (
            isinstance(datum, MetricDatum)
            and datum.name == policy.metric.metric_name
            and datum.namespace == policy.metric.namespace
            and start <= datum.timestamp < stop
            and sorted((d.name, d.value) for d in datum.dimensions) == wanted
        ):
            values.append(float(datum.value))
    if not values:
        return 0.0 if policy.metric.metric_name == "RequestCountPerTarget" else None
    statistic = policy.metric.statistic
    if statistic == "Sum":
        return sum(values)
    if statistic == "Minimum":
        return min(values)
    if statistic == "Maximum":
        return max(values)
    if statistic == "SampleCount":
        return float(len(values))
    return sum(values) / len(values)


def _proposal(policy: TargetTrackingPolicy, group: FakeAutoScalingGroup, now: float) -> int | None:
    value = metric_value(policy, now)
    if value is None:
        return None
    # A tiny tolerance keeps float noise (e.g. 2.0000000001) from adding an instance.
    return math.ceil(_capacity(policy, group) * value / policy.target_value - 1e-9)


def _refresh_active(group: FakeAutoScalingGroup) -> bool:
    from emulator.autoscaling.refresh_model import active_refresh

    return active_refresh(group.account_id, group.region, group.name) is not None


def _set_desired(group: FakeAutoScalingGroup, desired: int, why: str) -> None:
    _log(f"{group.name}: desired capacity {group.desired_capacity} -> {desired} ({why})")
    autoscaling_backends[group.account_id][group.region].set_desired_capacity(group.name, desired)


def _scale_in_blocked(group: FakeAutoScalingGroup, policies: list[TargetTrackingPolicy]) -> bool:
    cooldown = timescale.real_seconds(int(group.default_cooldown or 300))
    for st in group.instance_states:
        if st.lifecycle_state not in ("InService", "Pending"):
            continue
        age = health.seconds_since_launch(st.instance)
        if age < cooldown or any(age < warmup_seconds(p, group) for p in policies):
            return True
    return False


def decide(group: FakeAutoScalingGroup, policies: list[TargetTrackingPolicy], now: float, tick: float) -> None:
    """One evaluation of a group's target tracking policies (caller holds state.LOCK)."""
    enabled = [p for p in policies if p.enabled]
    if not enabled or _refresh_active(group):
        return
    period = timescale.real_seconds(PERIOD)
    desired = int(group.desired_capacity or 0)
    out: list[tuple[TargetTrackingPolicy, int]] = []
    for policy in enabled:
        if state_of(policy.account_id, policy.region, policy.high_alarm) == "ALARM" and tick - policy.last_action_at >= period:
            proposal = _proposal(policy, group, now)
            if proposal is not None:
                out.append((policy, proposal))
    if out:
        for policy, _ in out:
            policy.last_action_at = tick
        wanted = min(int(group.max_size), max(desired, max(p for _, p in out)))
        if wanted > desired:
            _set_desired(group, wanted, "scale out: " + ", ".join(p.name for p, _ in out))
        return
    scaling_in = [p for p in enabled if not p.disable_scale_in]
    if not scaling_in or any(state_of(p.account_id, p.region, p.low_alarm) != "ALARM" for p in scaling_in):
        return
    if any(tick - p.last_action_at < period for p in scaling_in) or _scale_in_blocked(group, enabled):
        return
    proposals = [_proposal(p, group, now) for p in scaling_in]
    if any(p is None for p in proposals):
        return
    for policy in scaling_in:
        policy.last_action_at = tick
    wanted = max(int(group.min_size), max(p for p in proposals if p is not None))
    if wanted < desired:
        _set_desired(group, wanted, "scale in: " + ", ".join(p.name for p in scaling_in))


def evaluate_all() -> None:
    now, tick = time.time(), time.monotonic()
    with state.LOCK:
        by_group: dict[tuple[str, str, str], list[TargetTrackingPolicy]] = {}
        for policy in all_policies():
            by_group.setdefault((policy.account_id, policy.region, policy.group_name), []).append(policy)
        for (account_id, region, name), policies in by_group.items():
            group = autoscaling_backends[account_id][region].autoscaling_groups.get(name)
            if group is not None:
                decide(group, policies, now, tick)


def _run() -> None:
    while True:
        time.sleep(TICK_SECONDS)
        try:
            evaluate_all()
        except Exception:
            traceback.print_exc()


def ensure_ticker() -> None:
    """Starts the evaluation thread (once per process) when the first policy is put."""
    global _started
    with _start_lock:
        if not _started:
            threading.Thread(target=_run, name="scaling-policies", daemon=True).start()
            _started = True
