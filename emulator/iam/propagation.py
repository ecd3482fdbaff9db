"""IAM propagation: a new instance profile cannot be used by EC2 at once.

AWS documents that IAM changes take time to reach the services that use them (IAM
User Guide, "Changes that I make are not always immediately visible"); launching an
instance with an instance profile created seconds earlier fails. With the timing
knob `iam_propagation_seconds` > 0, an instance profile younger than that is refused:

* EC2 RunInstances naming it (IamInstanceProfile.Name / .Arn, or through the launch
  template's IamInstanceProfile): `InvalidParameterValue`, "Value (NAME) for parameter
  iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name" (for an ARN:
  "... parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN").
* Auto Scaling CreateAutoScalingGroup / UpdateAutoScalingGroup whose launch template
  (or mixed instances policy template) version names it: `ValidationError`, "You must
  use a valid fully-formed launch template. " followed by the EC2 message.
* Instances an existing group launches (scale-out, replacement, instance refresh
  batches) from such a template: the launch fails and no instance is added. As Auto
  Scaling retries failed launches, the emulator launches the missing instances
  (group below its desired capacity) at the first API request after the profile has
  propagated.

Profile ages come from consistency.py's record of creations.
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends
from moto.autoscaling.responses import AutoScalingResponse
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses.instances import InstanceResponse

from emulator.autoscaling import launch as asg_launch
from emulator import consistency
from emulator import state
from emulator.state import LOCK, on_reset

FULLY_FORMED = "You must use a valid fully-formed launch template. "

# (account, region, group name) of groups with a launch that failed for a young profile
_failed: set[tuple[str, str, str]] = set()


@on_reset
def clear() -> None:
    _failed.clear()


def _window() -> float:
    return float(state.timing.get("iam_propagation_seconds", 0) or 0)


def refusal(profile: dict[str, Any] | None) -> str | None:
    """EC2's message refusing this IamInstanceProfile spec, or None if it may be used."""
    window = _window()
    if window <= 0 or not profile:
        return None
    name, arn = profile.get("Name"), profile.get("Arn")
    if name and consistency.is_young("profile", None, name, window):
        return f"Value ({name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
    if arn and (
        consistency.is_young("profile-arn", None, arn, window)
        or consistency.is_young("profile", None, arn.rsplit("/", 1)[-1], window)
    ):
        return f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN"
    return None


def _version_profile(template: Any, version: Any) -> dict[str, Any]:
    try:
        data = asg_launch.template_version(template, version).data
    except Exception:
        return {}
    return data.get("IamInstanceProfile") or {}


def _find_template(ec2_backend: Any, spec: dict[str, Any]) -> Any:
    template_id, name = spec.get("LaunchTemplateId"), spec.get("LaunchTemplateName")
    if template_id:
        return ec2_backend.launch_templates.get(template_id)
    if name:
        return next((t for t in ec2_backend.launch_templates.values() if t.name == name), None)
    return None


# --- EC2 RunInstances ------------------------------------------------------------------


def _check_run_instances(self: InstanceResponse) -> None:
    if _window() > 0:
        profile = {
            "Name": self._get_param("IamInstanceProfile.Name"),
            "Arn": self._get_param("IamInstanceProfile.Arn"),
        }
        if not (profile["Name"] or profile["Arn"]):
            spec = self._get_param("LaunchTemplate", {}) or {}
            template = _find_template(self.ec2_backend, spec) if spec else None
            profile = _version_profile(template, spec.get("Version")) if template is not None else {}
        message = refusal(profile)
        if message:
            raise EC2ClientError("InvalidParameterValue", message)


# --- Auto Scaling Create/UpdateAutoScalingGroup ------------------------------------------


def _check_group_template(self: AutoScalingResponse) -> None:
    if _window() <= 0:
        return
    spec = self._get_param("LaunchTemplate") or {}
    if not spec:
        policy = self._get_param("MixedInstancesPolicy") or {}
        spec = (policy.get("LaunchTemplate") or {}).get("LaunchTemplateSpecification") or {}
    if not spec:
        return
    template = _find_template(self.autoscaling_backend.ec2_backend, spec)
    if template is None:
        return
    message = refusal(_version_profile(template, spec.get("Version")))
    if message:
        raise ValidationError(FULLY_FORMED + message)


# --- instances launched by a group --------------------------------------------------------


def _group_key(group: FakeAutoScalingGroup) -> tuple[str, str, str]:
    return (group.account_id, group.region, group.name)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original_create = AutoScalingResponse.create_auto_scaling_group
    original_update = AutoScalingResponse.update_auto_scaling_group
    original_launch = asg_launch.launch_into_group
    original_run_instances = InstanceResponse.run_instances

    def run_instances(self: InstanceResponse) -> Any:
        _check_run_instances(self)
        return original_run_instances(self)

    def create_auto_scaling_group(self: AutoScalingResponse) -> Any:
        _check_group_template(self)
        return original_create(self)

    def update_auto_scaling_group(self: AutoScalingResponse) -> Any:
        _check_group_template(self)
        return original_update(self)

    def launch_into_group(
        group: FakeAutoScalingGroup,
        count: int,
        template: Any = None,
        version: Any = None,
        exclude: set[str] | None = None,
    ) -> list[Any]:
        if count > 0 and _window() > 0:
            source, source_version = template, version
            if source is None and not group.mixed_instances_policy:
                source, source_version = group.ec2_launch_template, group.launch_template_version
            if source is not None and refusal(_version_profile(source, source_version)):
                _failed.add(_group_key(group))
                return []
        return original_launch(group, count, template, version, exclude)

    InstanceResponse.run_instances = run_instances  # type: ignore[method-assign]
    AutoScalingResponse.create_auto_scaling_group = create_auto_scaling_group  # type: ignore[method-assign]
    AutoScalingResponse.update_auto_scaling_group = update_auto_scaling_group  # type: ignore[method-assign]
    asg_launch.launch_into_group = launch_into_group  # type: ignore[assignment]


def retry_failed_launches() -> None:
    """Launch what groups could not launch, once their instance profile has propagated."""
    if not _failed:
        return
    with LOCK:
        for key in list(_failed):
            account, region, name = key
            group = autoscaling_backends[account][region].autoscaling_groups.get(name)
            if group is None:
                _failed.discard(key)
                continue
            template = group.ec2_launch_template
            if template is not None and refusal(_version_profile(template, group.launch_template_version)):
                continue  # not yet
            _failed.discard(key)
            if len(group.active_instances()) < (group.desired_capacity or 0):
                group.set_desired_capacity(group.desired_capacity)
