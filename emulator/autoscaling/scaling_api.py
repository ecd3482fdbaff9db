"""PutScalingPolicy, DescribePolicies and DeletePolicy for target tracking policies.

Auto Scaling API reference (those operations; ScalingPolicy) and user guide, "Target
tracking scaling policies". Target tracking policies are the emulator's own
(scaling_model.py), with their alarms (scaling_alarms.py) and their actions
(scaling_actions.py); simple and step scaling policies stay moto's.

* PutScalingPolicy answers PolicyARN and the Alarms it created; a second call with
  the same group and name updates the policy (same ARN, same alarm names). Simple and
  step policies answer their PolicyARN too (moto's answer lost it).
* DescribePolicies lists both kinds, filtered by group, PolicyNames (names or ARNs)
  and PolicyTypes, MaxRecords 1-100 (default 50) with NextToken.
* DeletePolicy deletes the policy and its alarms; an unknown group or policy is a
  ValidationError. DeleteAutoScalingGroup deletes the group's policies and alarms
  ("When you delete an Auto Scaling group, its scaling policies and the CloudWatch
  alarms a target tracking policy created are deleted").
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult

from emulator.autoscaling.api_lookups import InvalidNextToken, named_group
from emulator.autoscaling import scaling_actions, scaling_alarms, scaling_model
from emulator.autoscaling.scaling_model import TargetTrackingPolicy, policies

POLICY_TYPES = ("SimpleScaling", "StepScaling", "TargetTrackingScaling", "PredictiveScaling")

_original_put: Any = None
_original_delete_group: Any = None


def _forget(policy: TargetTrackingPolicy) -> None:
    scaling_alarms.delete_alarms(policy)
    policies(policy.account_id, policy.region).pop((policy.group_name, policy.name), None)


def put_scaling_policy(self: AutoScalingResponse) -> ActionResult:
    params = self._get_params()
    name = params.get("PolicyName")
    if not name or len(name) > 255:
        raise ValidationError("PolicyName must be 1 to 255 characters long.")
    policy_type = params.get("PolicyType") or "SimpleScaling"
    if policy_type not in POLICY_TYPES:
        raise ValidationError(f"Invalid PolicyType {policy_type!r}: one of {', '.join(POLICY_TYPES)}.")
    group = named_group(self, params.get("AutoScalingGroupName"))
    mine = policies(self.current_account, self.region)
    previous = mine.get((group.name, name))
    if policy_type != "TargetTrackingScaling":
        if previous is not None:  # the policy changes type: its alarms go
            _forget(previous)
        _original_put(self)
        # moto answered `PolicyArn`, which the model's `PolicyARN` does not carry.
        return ActionResult({"PolicyARN": self.autoscaling_backend.policies[name].arn, "Alarms": []})
    policy = scaling_model.build(group, params, self.current_account, self.region)
    for other in mine.values():
        if other.group_name == group.name and other.name != name and other.metric_key() == policy.metric_key():
            raise ValidationError(
                f"Auto Scaling group {group.name} already has target tracking policy {other.name} on metric "
                f"{policy.metric.metric_name}; each target tracking policy of a group must track a different metric."
            )
    if previous is not None:
        policy.id = previous.id
        policy.last_action_at = previous.last_action_at
    moto_policy = self.autoscaling_backend.policies.get(name)
    if moto_policy is not None and moto_policy.auto_scaling_group_name == group.name:
        del self.autoscaling_backend.policies[name]  # was a simple or step policy of that name
    scaling_alarms.put_alarms(policy, previous)
    mine[(group.name, name)] = policy
    scaling_actions.ensure_ticker()
    alarms = [{"AlarmName": n, "AlarmARN": scaling_model.alarm_arn(policy, n)} for n in scaling_model.alarm_names(policy)]
    return ActionResult({"PolicyARN": policy.arn, "Alarms": alarms})


def _matches_name(wanted: list[str], name: str, arn: str) -> bool:
    return not wanted or name in wanted or arn in wanted


def describe_policies(self: AutoScalingResponse) -> ActionResult:
    group_name = self._get_param("AutoScalingGroupName")
    names = self._get_param("PolicyNames", []) or []
    types = self._get_param("PolicyTypes", []) or []
    max_records = self._get_int_param("MaxRecords") or 50
    if not 1 <= max_records <= 100:
        raise ValidationError("MaxRecords must be between 1 and 100.")
    items: list[tuple[str, Any]] = []
    for policy in self.autoscaling_backend.describe_policies(autoscaling_group_name=group_name):
        if _matches_name(names, policy.name, policy.arn) and (not types or policy.policy_type in types):
            items.append((f"{policy.auto_scaling_group_name}/{policy.name}", policy))
    for policy in policies(self.current_account, self.region).values():
        if group_name and policy.group_name != group_name:
            continue
        if _matches_name(names, policy.name, policy.arn) and (not types or "TargetTrackingScaling" in types):
            items.append((f"{policy.group_name}/{policy.name}", scaling_model.describe(policy)))
    items.sort(key=lambda item: item[0])
    start = 0
    token = self._get_param("NextToken")
    if token:
        position = next((n for n, (key, _) in enumerate(items) if key == token), None)
        if position is None:
            raise InvalidNextToken("The token is not valid.")
        start = position + 1
    page = items[start : start + max_records]
    result: dict[str, Any] = {"ScalingPolicies": [policy for _, policy in page]}
    if start + max_records < len(items):
        result["NextToken"] = page[-1][0]
    return ActionResult(result)


def delete_policy(self: AutoScalingResponse) -> EmptyResult:
    group_name = self._get_param("AutoScalingGroupName")
    wanted = self._get_param("PolicyName")
    if group_name:
        named_group(self, group_name)
    for policy in list(policies(self.current_account, self.region).values()):
        if (not group_name or policy.group_name == group_name) and wanted in (policy.name, policy.arn):
            _forget(policy)
            return EmptyResult()
    moto_policy = next(
        (
            p
            for p in self.autoscaling_backend.policies.values()
            if wanted in (p.name, p.arn) and (not group_name or p.auto_scaling_group_name == group_name)
        ),
        None,
    )
    if moto_policy is None:
        raise ValidationError(f"Scaling policy {wanted!r} not found" + (f" in group {group_name!r}." if group_name else "."))
    self.autoscaling_backend.policies.pop(moto_policy.name, None)
    return EmptyResult()


def _delete_group(self: AutoScalingBackend, group_name: str) -> None:
    _original_delete_group(self, group_name)
    for policy in list(policies(self.account_id, self.region_name).values()):
        if policy.group_name == group_name:
            _forget(policy)
    for name, policy in list(self.policies.items()):
        if policy.auto_scaling_group_name == group_name:
            del self.policies[name]


def install() -> None:
    global _original_put, _original_delete_group
    if _original_put is not None:
        return
    _original_put = AutoScalingResponse.put_scaling_policy  # simple and step scaling stay moto's
    _original_delete_group = AutoScalingBackend.delete_auto_scaling_group
    AutoScalingResponse.put_scaling_policy = put_scaling_policy  # type: ignore[method-assign]
    AutoScalingResponse.describe_policies = describe_policies  # type: ignore[method-assign]
    AutoScalingResponse.delete_policy = delete_policy  # type: ignore[method-assign]
    AutoScalingBackend.delete_auto_scaling_group = _delete_group  # type: ignore[method-assign]
