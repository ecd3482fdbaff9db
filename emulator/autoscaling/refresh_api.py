"""The instance refresh operations on moto's Auto Scaling response class.

StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh and
RollbackInstanceRefresh, with the errors the Auto Scaling API reference lists for
them (InstanceRefreshInProgress, ActiveInstanceRefreshNotFound,
IrreversibleInstanceRefresh, ValidationError). Responses are serialized by moto
from the botocore service model, so the XML shape is AWS's.
"""

from __future__ import annotations

import time
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult

from emulator.autoscaling.api_lookups import InvalidNextToken, named_group
from emulator.autoscaling import instance_refresh, refresh_alarms
from emulator import state
from emulator.autoscaling.refresh_model import (
    MANUAL_ROLLBACK_REASON,
    ActiveInstanceRefreshNotFound,
    InstanceRefreshInProgress,
    IrreversibleInstanceRefresh,
    Refresh,
    active_refresh,
    refreshes,
    rollback_blocker,
    skip_matching_blocker,
    validate_desired,
)
from emulator.autoscaling.refresh_preferences import effective_preferences


def start_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    name = self._get_param("AutoScalingGroupName")
    group = named_group(self, name)
    if active_refresh(self.current_account, self.region, name) is not None:
        raise InstanceRefreshInProgress()
    strategy = self._get_param("Strategy") or "Rolling"
    if strategy != "Rolling":
        raise ValidationError(
            f"The {strategy} strategy requires a mixed instances policy with ImageId overrides, "
            "which this emulator does not support."
        )
    given = self._get_param("Preferences") or {}
    preferences = effective_preferences(given)
    desired = validate_desired(group, self._get_param("DesiredConfiguration") or None)
    previous_version = group.provided_launch_template_version if group.ec2_launch_template else None
    if preferences["AutoRollback"]:
        blocker = rollback_blocker(group, desired, previous_version)
        if blocker:
            raise ValidationError(blocker)
    if preferences["SkipMatching"]:
        blocker = skip_matching_blocker(group, desired)
        if blocker:
            raise ValidationError(blocker)
    alarms = preferences.get("AlarmSpecification", {}).get("Alarms", [])
    unknown = refresh_alarms.missing(self.current_account, self.region, alarms)
    if unknown:
        # AlarmSpecification: the alarms are looked up when the refresh starts.
        raise ValidationError(f"The following alarm(s) do not exist: {', '.join(unknown)}.")
    refresh = Refresh(
        account_id=self.current_account,
        region=self.region,
        group_name=name,
        preferences=preferences,
        desired=desired,
        previous_version=previous_version,
        strategy=strategy,
        given_preferences=dict(given),
    )
    refresh.next_step_at = time.monotonic() + float(state.timing["refresh_step_seconds"])
    refreshes(self.current_account, self.region).append(refresh)
    return ActionResult({"InstanceRefreshId": refresh.id})


def describe_instance_refreshes(self: AutoScalingResponse) -> ActionResult:
    instance_refresh.advance_due()
    name = self._get_param("AutoScalingGroupName")
    ids = self._get_param("InstanceRefreshIds") or []
    items = [
        r
        for r in reversed(refreshes(self.current_account, self.region))
        if r.group_name == name and (not ids or r.id in ids)
    ]
    max_records = self._get_int_param("MaxRecords") or 50
    if not 1 <= max_records <= 100:
        raise ValidationError("MaxRecords must be between 1 and 100.")
    start = 0
    token = self._get_param("NextToken")
    if token:
        position = next((n for n, r in enumerate(items) if r.id == token), None)
        if position is None:
            raise InvalidNextToken("The token is not valid.")
        start = position + 1
    page = items[start : start + max_records]
    result: dict[str, Any] = {"InstanceRefreshes": [r.describe() for r in page]}
    if start + max_records < len(items):
        result["NextToken"] = page[-1].id
    return ActionResult(result)


def cancel_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    name = self._get_param("AutoScalingGroupName")
    named_group(self, name)
    refresh = active_refresh(self.current_account, self.region, name)
    if refresh is None or refresh.status == "Cancelling":
        raise ActiveInstanceRefreshNotFound(
            f"No in progress or pending Instance Refresh found for Auto Scaling group {name}"
        )
    refresh.status = "Cancelling"
    return ActionResult({"InstanceRefreshId": refresh.id})


def rollback_instance_refresh(self: AutoScalingResponse) -> ActionResult:
    name = self._get_param("AutoScalingGroupName")
    group = named_group(self, name)
    refresh = active_refresh(self.current_account, self.region, name)
    if refresh is None or refresh.status not in ("Pending", "InProgress", "Baking"):
        raise ActiveInstanceRefreshNotFound(
            f"No in progress or pending Instance Refresh found for Auto Scaling group {name}"
        )
    blocker = rollback_blocker(group, refresh.desired, refresh.previous_version)
    if blocker:
        raise IrreversibleInstanceRefresh(blocker)
    instance_refresh.start_rollback(group, refresh, MANUAL_ROLLBACK_REASON)
    return ActionResult({"InstanceRefreshId": refresh.id})


def install() -> None:
    AutoScalingResponse.start_instance_refresh = start_instance_refresh  # type: ignore[attr-defined]
    AutoScalingResponse.describe_instance_refreshes = describe_instance_refreshes  # type: ignore[attr-defined]
    AutoScalingResponse.cancel_instance_refresh = cancel_instance_refresh  # type: ignore[attr-defined]
    AutoScalingResponse.rollback_instance_refresh = rollback_instance_refresh  # type: ignore[attr-defined]
