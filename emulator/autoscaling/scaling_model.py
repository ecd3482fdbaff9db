"""Target tracking scaling policies: what PutScalingPolicy stores and checks.

Follows the Auto Scaling API reference (PutScalingPolicy, TargetTrackingConfiguration,
PredefinedMetricSpecification, CustomizedMetricSpecification, ScalingPolicy) and the
user guide, "Target tracking scaling policies for Amazon EC2 Auto Scaling":

* TargetTrackingConfiguration needs TargetValue and exactly one of
  PredefinedMetricSpecification / CustomizedMetricSpecification; the parameters of
  simple and step scaling (AdjustmentType, ScalingAdjustment, Cooldown,
  MinAdjustmentStep, MinAdjustmentMagnitude, MetricAggregationType, StepAdjustments)
  are refused with it ("Valid only if the policy type is SimpleScaling/StepScaling").
* ResourceLabel is for ALBRequestCountPerTarget only and required with it, as
  `app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>`; the target group must be
  attached to the group ("You can't specify a resource label unless the target group
  is attached to the Auto Scaling group") and be the load balancer's (a listener of
  it forwards to the target group).
* A group's target tracking policies each track a different metric ("provided that
  each of them uses a different metric"); a second one on the same metric is refused.
* TargetValue must be greater than 0 (the documents are silent; a target of 0 or less
  cannot be tracked: the stricter choice).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup
from moto.elbv2.models import elbv2_backends

from emulator import state

PREDEFINED = {
    # PredefinedMetricType -> (namespace, metric name, statistic)
    "ASGAverageCPUUtilization": ("AWS/EC2", "CPUUtilization", "Average"),
    "ASGAverageNetworkIn": ("AWS/EC2", "NetworkIn", "Average"),
    "ASGAverageNetworkOut": ("AWS/EC2", "NetworkOut", "Average"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum"),
}
# Metrics aggregated over the group's instances: instances warming up are left out
# (user guide, "Set the default instance warmup": "Until its specified warm-up time
# has expired, an instance is not counted toward the aggregated metrics").
GROUP_AGGREGATES = {"ASGAverageCPUUtilization", "ASGAverageNetworkIn", "ASGAverageNetworkOut"}
STATISTICS = ("Average", "Minimum", "Maximum", "SampleCount", "Sum")
NOT_WITH_TARGET_TRACKING = (
    "AdjustmentType",
    "ScalingAdjustment",
    "Cooldown",
    "MinAdjustmentStep",
    "MinAdjustmentMagnitude",
    "MetricAggregationType",
    "StepAdjustments",
)
_LABEL = re.compile(r"^app/([^/]+)/([^/]+)/targetgroup/([^/]+)/([^/]+)$")


@dataclass
class MetricSpec:
    namespace: str
    metric_name: str
    dimensions: dict[str, str]
    statistic: str
    unit: str | None = None
    group_aggregate: bool = False


@dataclass
class TargetTrackingPolicy:
    account_id: str
    region: str
    group_name: str
    name: str
    configuration: dict[str, Any]  # as given (DescribePolicies echoes it)
    metric: MetricSpec
    target_value: float
    disable_scale_in: bool
    estimated_warmup: int | None
    enabled: bool
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    high_alarm: str = ""
    low_alarm: str | None = None
    last_action_at: float = 0.0  # monotonic time of the last evaluation that acted

    @property
    def arn(self) -> str:
        return (
            f"arn:aws:autoscaling:{self.region}:{self.account_id}:scalingPolicy:{self.id}:"
            f"autoScalingGroupName/{self.group_name}:policyName/{self.name}"
        )

    def metric_key(self) -> tuple[Any, ...]:
        return (self.metric.namespace, self.metric.metric_name, tuple(sorted(self.metric.dimensions.items())))


# (account, region) -> (group name, policy name) -> policy
_policies: dict[tuple[str, str], dict[tuple[str, str], TargetTrackingPolicy]] = {}


@state.on_reset
def clear() -> None:
    _policies.clear()


def policies(account_id: str, region: str) -> dict[tuple[str, str], TargetTrackingPolicy]:
    return _policies.setdefault((account_id, region), {})


def all_policies() -> list[TargetTrackingPolicy]:
    return [p for per_region in list(_policies.values()) for p in list(per_region.values())]


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a number.") from None


def _load_balancer_target_group(group: FakeAutoScalingGroup, label: str, account_id: str, region: str) -> None:
    match = _LABEL.match(label)
    if match is None:
        raise ValidationError(
            f"Invalid ResourceLabel {label!r}: expected app/<load-balancer-name>/<load-balancer-id>/"
            "targetgroup/<target-group-name>/<target-group-id>."
        )
    lb_suffix = f"app/{match.group(1)}/{match.group(2)}"
    tg_suffix = f"targetgroup/{match.group(3)}/{match.group(4)}"
    backend = elbv2_backends[account_id][region]
    target_group = next((tg for arn, tg in backend.target_groups.items() if arn.endswith(":" + tg_suffix)), None)
    if target_group is None:
        raise ValidationError(f"Target group {tg_suffix} in ResourceLabel {label!r} does not exist.")
    if target_group.arn not in (group.target_group_arns or []):
        raise ValidationError(
            f"Target group {tg_suffix} in ResourceLabel {label!r} is not attached to the Auto Scaling group "
            f"{group.name}."
        )
    balancer = next((lb for arn, lb in backend.load_balancers.items() if arn.endswith(":loadbalancer/" + lb_suffix)), None)
    if balancer is None:
        raise ValidationError(f"Load balancer {lb_suffix} in ResourceLabel {label!r} does not exist.")
    forwards = False
    for listener in balancer.listeners.values():
        for action in listener.default_actions:
            data = action.data
            arns = [data.get("TargetGroupArn")] + [
                g.get("TargetGroupArn") for g in (data.get("ForwardConfig") or {}).get("TargetGroups") or []
            ]
            forwards = forwards or target_group.arn in arns
    if not forwards:
        raise ValidationError(
            f"Target group {tg_suffix} in ResourceLabel {label!r} is not associated with load balancer {lb_suffix}."
        )


def metric_spec(group: FakeAutoScalingGroup, config: dict[str, Any], account_id: str, region: str) -> MetricSpec:
    predefined = config.get("PredefinedMetricSpecification")
    customized = config.get("CustomizedMetricSpecification")
    if bool(predefined) == bool(customized):
        raise ValidationError(
            "TargetTrackingConfiguration needs exactly one of PredefinedMetricSpecification and "
            "CustomizedMetricSpecification."
        )
    if predefined:
        kind = predefined.get("PredefinedMetricType")
        if kind not in PREDEFINED:
            raise ValidationError(
                f"Invalid PredefinedMetricType {kind!r}: one of {', '.join(sorted(PREDEFINED))}."
            )
        label = predefined.get("ResourceLabel")
        namespace, name, statistic = PREDEFINED[kind]
        if kind == "ALBRequestCountPerTarget":
            if not label:
                raise ValidationError("ResourceLabel is required for PredefinedMetricType ALBRequestCountPerTarget.")
            _load_balancer_target_group(group, label, account_id, region)
            lb, tg = label.split("/targetgroup/", 1)
            dimensions = {"LoadBalancer": lb, "TargetGroup": "targetgroup/" + tg}
        else:
            if label:
                raise ValidationError(
                    f"ResourceLabel is valid only for PredefinedMetricType ALBRequestCountPerTarget, not {kind}."
                )
            dimensions = {"AutoScalingGroupName": group.name}
        return MetricSpec(namespace, name, dimensions, statistic, None, kind in GROUP_AGGREGATES)
    if customized.get("Metrics"):
        raise ValidationError("CustomizedMetricSpecification with Metrics (metric math) is not supported by this emulator.")
    for key in ("MetricName", "Namespace", "Statistic"):
        if not customized.get(key):
            raise ValidationError(f"CustomizedMetricSpecification needs {key}.")
    if customized["Statistic"] not in STATISTICS:
        raise ValidationError(f"Invalid Statistic {customized['Statistic']!r}: one of {', '.join(STATISTICS)}.")
    dimensions = {d["Name"]: d["Value"] for d in customized.get("Dimensions") or []}
    return MetricSpec(
        customized["Namespace"], customized["MetricName"], dimensions, customized["Statistic"], customized.get("Unit")
    )


def build(
    group: FakeAutoScalingGroup, params: dict[str, Any], account_id: str, region: str
) -> TargetTrackingPolicy:
    """A target tracking policy from PutScalingPolicy's parameters (ValidationError when AWS refuses them)."""
    given = [key for key in NOT_WITH_TARGET_TRACKING if params.get(key) not in (None, [], "")]
    if given:
        raise ValidationError(f"{', '.join(given)} cannot be used with policy type TargetTrackingScaling.")
    config = params.get("TargetTrackingConfiguration")
    if not config:
        raise ValidationError("TargetTrackingConfiguration is required for policy type TargetTrackingScaling.")
    if config.get("TargetValue") is None:
        raise ValidationError("TargetValue is required in TargetTrackingConfiguration.")
    target = _number(config["TargetValue"], "TargetValue")
    if target <= 0:
        raise ValidationError("TargetValue must be greater than 0.")
    metric = metric_spec(group, config, account_id, region)
    warmup = params.get("EstimatedInstanceWarmup")
    if warmup is not None:
        warmup = int(_number(warmup, "EstimatedInstanceWarmup"))
        if warmup < 0:
            raise ValidationError("EstimatedInstanceWarmup must not be negative.")
    disable = str(config.get("DisableScaleIn", False)).lower() == "true"
    enabled = str(params.get("Enabled", True)).lower() != "false"
    stored = dict(config)
    stored["TargetValue"] = target
    stored["DisableScaleIn"] = disable
    return TargetTrackingPolicy(
        account_id=account_id,
        region=region,
        group_name=group.name,
        name=params["PolicyName"],
        configuration=stored,
        metric=metric,
        target_value=target,
        disable_scale_in=disable,
        estimated_warmup=warmup,
        enabled=enabled,
    )


def describe(policy: TargetTrackingPolicy) -> dict[str, Any]:
    """The ScalingPolicy shape of DescribePolicies."""
    out: dict[str, Any] = {
        "AutoScalingGroupName": policy.group_name,
        "PolicyName": policy.name,
        "PolicyARN": policy.arn,
        "PolicyType": "TargetTrackingScaling",
        "StepAdjustments": [],
        "Alarms": [{"AlarmName": n, "AlarmARN": alarm_arn(policy, n)} for n in alarm_names(policy)],
        "TargetTrackingConfiguration": policy.configuration,
        "Enabled": policy.enabled,
    }
    if policy.estimated_warmup is not None:
        out["EstimatedInstanceWarmup"] = policy.estimated_warmup
    return out


def alarm_names(policy: TargetTrackingPolicy) -> list[str]:
    return [n for n in (policy.high_alarm, policy.low_alarm) if n]


def alarm_arn(policy: TargetTrackingPolicy, name: str) -> str:
    return f"arn:aws:cloudwatch:{policy.region}:{policy.account_id}:alarm:{name}"
