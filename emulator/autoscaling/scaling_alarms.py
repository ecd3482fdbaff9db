"""The CloudWatch alarms a target tracking policy owns.

Auto Scaling user guide, "Target tracking scaling policies" ("Amazon EC2 Auto Scaling
creates and manages the CloudWatch alarms that trigger the scaling policy ... deleted
automatically when you delete the scaling policies"; "Do not edit or delete the
CloudWatch alarms that are configured for the target tracking scaling policy") and
the PutScalingPolicy reference's example answer (`TargetTracking-<group>-AlarmHigh-<uuid>`,
`TargetTracking-<group>-AlarmLow-<uuid>`):

| alarm | comparison | threshold | period | evaluation periods / datapoints to alarm |
| --- | --- | --- | --- | --- |
| AlarmHigh | GreaterThanThreshold | TargetValue | 60 s | 3 / 3 |
| AlarmLow (not with DisableScaleIn) | LessThanThreshold | 0.9 x TargetValue | 60 s | 15 / 15 |

Both watch the policy's metric with its statistic, name the policy's ARN as their
action, start in INSUFFICIENT_DATA as every new alarm does, and live in moto's
CloudWatch backend, so DescribeAlarms lists them. An update of the policy keeps
the alarms' names and rewrites them.
"""

from __future__ import annotations

import uuid

from moto.cloudwatch.models import cloudwatch_backends

from emulator.autoscaling.scaling_model import TargetTrackingPolicy

PERIOD = 60
HIGH_EVALUATION_PERIODS = 3
LOW_EVALUATION_PERIODS = 15
LOW_THRESHOLD_FACTOR = 0.9


def _backend(policy: TargetTrackingPolicy):  # type: ignore[no-untyped-def]
    return cloudwatch_backends[policy.account_id][policy.region]


def _put(policy: TargetTrackingPolicy, name: str, operator: str, threshold: float, periods: int) -> None:
    backend = _backend(policy)
    existing = backend.alarms.get(name)
    metric = policy.metric
    alarm = backend.put_metric_alarm(
        name=name,
        namespace=metric.namespace,
        metric_name=metric.metric_name,
        comparison_operator=operator,
        evaluation_periods=periods,
        period=PERIOD,
        threshold=threshold,
        statistic=metric.statistic,
        description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {policy.arn}.",
        dimensions=[{"Name": k, "Value": v} for k, v in sorted(metric.dimensions.items())],
        alarm_actions=[policy.arn],
        datapoints_to_alarm=periods,
        unit=metric.unit,
        actions_enabled=True,
    )
    if existing is None:
        alarm.state_value = "INSUFFICIENT_DATA"
        alarm.state_reason = "Unchecked: Initial alarm creation"
    else:  # an update of the policy: the alarm keeps its state until it is evaluated again
        alarm.state_value = existing.state_value
        alarm.state_reason = existing.state_reason


def put_alarms(policy: TargetTrackingPolicy, previous: TargetTrackingPolicy | None) -> None:
    """Creates (or rewrites, for an update) the policy's alarms; caller holds state.LOCK."""
    prefix = f"TargetTracking-{policy.group_name}"
    policy.high_alarm = previous.high_alarm if previous else f"{prefix}-AlarmHigh-{uuid.uuid4()}"
    _put(policy, policy.high_alarm, "GreaterThanThreshold", policy.target_value, HIGH_EVALUATION_PERIODS)
    if policy.disable_scale_in:
        policy.low_alarm = None
        if previous is not None and previous.low_alarm:
            _backend(policy).delete_alarms([previous.low_alarm])
        return
    policy.low_alarm = (previous.low_alarm if previous else None) or f"{prefix}-AlarmLow-{uuid.uuid4()}"
    _put(
        policy,
        policy.low_alarm,
        "LessThanThreshold",
        round(policy.target_value * LOW_THRESHOLD_FACTOR, 6),
        LOW_EVALUATION_PERIODS,
    )


def delete_alarms(policy: TargetTrackingPolicy) -> None:
    names = [n for n in (policy.high_alarm, policy.low_alarm) if n]
    if policy.account_id in cloudwatch_backends:
        _backend(policy).delete_alarms(names)
