"""Instance refreshes: what is stored, how it is validated and how it is described.

Field names, defaults and limits are those of the Auto Scaling API reference
(StartInstanceRefresh, RefreshPreferences, DesiredConfiguration, InstanceRefresh,
RollbackDetails).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup

from emulator.autoscaling.refresh_preferences import described_preferences
from emulator.state import on_reset

ACTIVE = {"Pending", "InProgress", "Cancelling", "RollbackInProgress", "Baking"}
MANUAL_ROLLBACK_REASON = "Manual rollback"


class InstanceRefreshInProgress(AutoscalingClientError):
    code = "InstanceRefreshInProgress"
    message = "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh."


class ActiveInstanceRefreshNotFound(AutoscalingClientError):
    code = "ActiveInstanceRefreshNotFound"


class IrreversibleInstanceRefresh(AutoscalingClientError):
    code = "IrreversibleInstanceRefresh"


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class Batch:
    new_ids: list[str]
    terminate_after: list[str]
    launched_at: float
    healthy_since: float | None = None
    # Times this batch's unhealthy instances were replaced (refresh_replace_unhealthy).
    replacements: int = 0


@dataclass
class Refresh:
    account_id: str
    region: str
    group_name: str
    preferences: dict[str, Any]
    desired: dict[str, Any] | None
    previous_version: str | None
    strategy: str = "Rolling"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "Pending"
    status_reason: str | None = None
    start_time: datetime.datetime = field(default_factory=now_utc)
    end_time: datetime.datetime | None = None
    percentage_complete: int = 0
    instances_to_update: int = 0
    rollback_details: dict[str, Any] | None = None
    # progress
    next_step_at: float = 0.0
    queue: list[str] = field(default_factory=list)
    total: int = 0
    done: int = 0
    batch: Batch | None = None
    launched: list[str] = field(default_factory=list)
    rolling_back: bool = False
    rollback_total: int = 0
    rollback_done: int = 0
    bake_until: float | None = None
    # RefreshPreferences as given (Describe shows these beside the documented defaults)
    given_preferences: dict[str, Any] = field(default_factory=dict)
    # checkpoints (refresh_checkpoints.py): the highest passed, the end of the pause
    checkpoint_passed: int = 0
    checkpoint_until: float | None = None
    # since when only instances the refresh waits for are left (refresh_scope.py)
    blocked_since: float | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def finish(self, status: str, reason: str | None = None) -> None:
        self.status = status
        if reason is not None:
            self.status_reason = reason
        self.end_time = now_utc()
        self.batch = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "InstanceRefreshId": self.id,
            "AutoScalingGroupName": self.group_name,
            "Status": self.status,
            "StartTime": self.start_time,
            "PercentageComplete": self.percentage_complete,
            "InstancesToUpdate": self.instances_to_update,
            "ProgressDetails": {
                "LivePoolProgress": {
                    "PercentageComplete": self.percentage_complete,
                    "InstancesToUpdate": self.instances_to_update,
                },
                "WarmPoolProgress": {"PercentageComplete": 0, "InstancesToUpdate": 0},
            },
            "Preferences": described_preferences(self.preferences, self.given_preferences),
            "Strategy": self.strategy,
        }
        if self.status_reason:
            out["StatusReason"] = self.status_reason[:1023]
        if self.end_time is not None:
            out["EndTime"] = self.end_time
        if self.desired is not None:
            out["DesiredConfiguration"] = {"LaunchTemplate": dict(self.desired)}
        if self.rollback_details is not None:
            out["RollbackDetails"] = dict(self.rollback_details)
        return out


# (account, region) -> refreshes, oldest first
_registry: dict[tuple[str, str], list[Refresh]] = {}


@on_reset
def clear() -> None:
    _registry.clear()


def refreshes(account_id: str, region: str) -> list[Refresh]:
    return _registry.setdefault((account_id, region), [])


def all_refreshes() -> list[Refresh]:
    return [r for items in _registry.values() for r in items]


def active_refresh(account_id: str, region: str, group_name: str) -> Refresh | None:
    return next(
        (r for r in refreshes(account_id, region) if r.group_name == group_name and r.active),
        None,
    )


def validate_desired(group: FakeAutoScalingGroup, desired: dict[str, Any] | None) -> dict[str, Any] | None:
    """The DesiredConfiguration's launch template spec, checked against EC2."""
    if not desired:
        return None
    if desired.get("MixedInstancesPolicy"):
        raise ValidationError("A MixedInstancesPolicy desired configuration is not supported by this emulator.")
    spec = desired.get("LaunchTemplate")
    if not spec:
        raise ValidationError("A desired configuration must specify a LaunchTemplate or a MixedInstancesPolicy.")
    template_id, name = spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName")
    if bool(template_id) == bool(name):
        raise ValidationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    ec2 = group.ec2_backend
    template = ec2.launch_templates.get(template_id) if template_id else None
    if name:
        template = next((t for t in ec2.launch_templates.values() if t.name == name), None)
    if template is None:
        raise ValidationError(f"The specified launch template, {template_id or name}, does not exist.")
    version = spec.get("Version")
    try:
        template.get_version(str(version) if version is not None else "$Default")
    except Exception:
        raise ValidationError(
            f"The specified launch template version, {version}, does not exist for launch template {template.id}."
        ) from None
    out = {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name}
    if version is not None:
        out["Version"] = str(version)
    return out


def rollback_blocker(group: FakeAutoScalingGroup, desired: dict[str, Any] | None, version: str | None) -> str | None:
    """Why a rollback is not possible (the AutoRollback / RollbackInstanceRefresh rules)."""
    if desired is None:
        return "A rollback requires a desired configuration for the instance refresh."
    if group.ec2_launch_template is not None and version in (None, "$Latest", "$Default"):
        return (
            "A rollback is not supported when the Auto Scaling group uses the launch template's "
            "$Latest or $Default version."
        )
    template = group.ec2_launch_template
    if template is not None:
        # RefreshPreferences.AutoRollback: not supported when "the Auto Scaling group has a
        # launch template that uses an AWS Systems Manager parameter instead of an AMI ID".
        try:
            image_id = str(template.get_version(str(version)).image_id or "")
        except Exception:
            image_id = ""
        if image_id.startswith("resolve:ssm:"):
            return (
                "A rollback is not supported when the Auto Scaling group's launch template uses a "
                "Systems Manager parameter instead of an AMI ID for ImageId."
            )
    return None


def skip_matching_blocker(group: FakeAutoScalingGroup, desired: dict[str, Any] | None) -> str | None:
    """User guide, "Use an instance refresh with skip matching": skip matching cannot update
    a group that uses a launch configuration unless the desired configuration names a
    launch template."""
    if group.ec2_launch_template is None and desired is None:
        return (
            "SkipMatching cannot be used with an Auto Scaling group that uses a launch configuration "
            "unless the desired configuration specifies a launch template."
        )
    return None
