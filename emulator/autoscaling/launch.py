"""How an Auto Scaling group launches and terminates instances.

* Launches are spread over the group's Availability Zones: each new instance goes
  to the zone (and that zone's subnet from VPCZoneIdentifier) with the fewest
  instances, as Auto Scaling's AZ rebalancing does.
* Each instance is launched from an explicit launch template version and keeps it:
  DescribeAutoScalingGroups / DescribeAutoScalingInstances report the version the
  instance was really launched from, and the instance carries the
  aws:ec2launchtemplate:version tag of that version.
* New instances are registered in the group's target groups at once.
* Scale-in follows the default termination policy: the zone with the most
  instances first, then instances not on the group's current launch template
  version (oldest version first), then the oldest instance. The chosen instances
  are deregistered, drain and are terminated afterwards (termination.py), as is
  the instance of a TerminateInstanceInAutoScalingGroup (unknown instance:
  ValidationError, as on AWS). A `Terminating` instance is no longer registered
  again in the group's target groups and does not count for the zone balance.
* SetDesiredCapacity outside [MinSize, MaxSize] is a ValidationError, as are
  CreateAutoScalingGroup / UpdateAutoScalingGroup with a DesiredCapacity outside
  the group's bounds, or with MinSize above MaxSize. UpdateAutoScalingGroup without
  a DesiredCapacity raises the desired capacity to a new MinSize above it and lowers
  it to a new MaxSize below it (API reference, UpdateAutoScalingGroup).
* HealthCheckGracePeriod defaults to 0, as through the API (moto used 300).
"""

from __future__ import annotations

import itertools
from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import (
    ASG_NAME_TAG,
    AutoScalingBackend,
    FakeAutoScalingGroup,
    InstanceState,
    TerminateInstanceActivity,
)
from moto.autoscaling.responses import AutoScalingResponse
from moto.ec2.models.launch_templates import LaunchTemplate, LaunchTemplateVersion

from emulator.autoscaling import termination

_sequence = itertools.count(1)
_original_replace = FakeAutoScalingGroup.replace_autoscaling_group_instances
_original_set_desired = FakeAutoScalingGroup.set_desired_capacity
_original_lt_property = InstanceState.launch_template
_original_response_set_desired = AutoScalingResponse.set_desired_capacity
_original_response_create = AutoScalingResponse.create_auto_scaling_group
_original_response_update = AutoScalingResponse.update_auto_scaling_group
_original_update_target_groups = AutoScalingBackend.update_attached_target_groups


def template_version(template: LaunchTemplate, version: str | int | None) -> LaunchTemplateVersion:
    return template.get_version(str(version) if version is not None else "$Default")


def _zone(instance: Any) -> str:
    return instance._placement.zone


def _zones(group: FakeAutoScalingGroup) -> list[tuple[str, str | None]]:
    """(zone, subnet) pairs in the group's order, one per zone."""
    pairs: list[tuple[str, str | None]] = []
    if group.vpc_zone_identifier:
        subnet_ids = [s.strip() for s in group.vpc_zone_identifier.split(",") if s.strip()]
        subnets = {s.id: s for s in group.ec2_backend.describe_subnets(subnet_ids=subnet_ids)}
        for subnet_id in subnet_ids:
            zone = subnets[subnet_id].availability_zone
            if all(zone != z for z, _ in pairs):
                pairs.append((zone, subnet_id))
    else:
        for zone in group.availability_zones:
            if all(zone != z for z, _ in pairs):
                pairs.append((zone, None))
    return pairs


def _pick_zone(group: FakeAutoScalingGroup, exclude: set[str]) -> tuple[str, str | None]:
    pairs = _zones(group)
    counts = {zone: 0 for zone, _ in pairs}
    for st in group.instance_states:
        if st.lifecycle_state == termination.TERMINATING:
            continue
        if st.instance.id not in exclude and _zone(st.instance) in counts:
            counts[_zone(st.instance)] += 1
    return min(pairs, key=lambda pair: counts[pair[0]])


def _register(group: FakeAutoScalingGroup, instance_ids: list[str]) -> None:
    backend = group.autoscaling_backend.elbv2_backend
    for arn in group.target_group_arns:
        target_group = backend.target_groups.get(arn)
        if target_group is not None and instance_ids:
            backend.register_targets(arn, [{"Id": i, "Port": target_group.port} for i in instance_ids])


def launch_into_group(
    group: FakeAutoScalingGroup,
    count: int,
    template: LaunchTemplate | None = None,
    version: str | int | None = None,
    exclude: set[str] | None = None,
) -> list[InstanceState]:
    """Launch `count` instances into the group from a template version (default: the group's)."""
    if count <= 0:
        return []
    if template is None:
        if group.ec2_launch_template is None or group.mixed_instances_policy:
            before = {st.instance.id for st in group.instance_states}
            _original_replace(group, count, group.get_propagated_tags())
            return [st for st in group.instance_states if st.instance.id not in before]
        template = group.ec2_launch_template
        version = group.launch_template_version
    lt_version = template_version(template, version)
    tags = group.get_propagated_tags()
    tags[ASG_NAME_TAG] = group.name
    tags.update(lt_version.instance_tags)
    exclude = set(exclude or ())
    launched: list[InstanceState] = []
    for _ in range(count):
        zone, subnet_id = _pick_zone(group, exclude)
        reservation = group.ec2_backend.run_instances(
            lt_version.image_id,
            1,
            lt_version.user_data,
            lt_version.security_groups,
            instance_type=lt_version.instance_type or "m1.small",
            tags={"instance": dict(tags)},
            placement=zone,
            region_name=group.region,
            launch_template={"LaunchTemplateId": template.id, "Version": str(lt_version.number)},
            is_instance_type_default=False,
            associate_public_ip=None,
            subnet_id=subnet_id,
        )
        for instance in reservation.instances:
            instance.autoscaling_group = group
            st = InstanceState(
                instance,
                protected_from_scale_in=group.new_instances_protected_from_scale_in,
                autoscaling_group=group,
            )
            st.emu_launch_template = {
                "LaunchTemplateId": template.id,
                "LaunchTemplateName": template.name,
                "Version": str(lt_version.number),
            }
            st.emu_sequence = next(_sequence)
            group.instance_states.append(st)
            launched.append(st)
    _register(group, [st.instance.id for st in launched])
    return launched


def _replace(self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]) -> None:
    launch_into_group(self, count_needed)


def _version_rank(group: FakeAutoScalingGroup, st: InstanceState) -> tuple[int, int]:
    """(0 if not on the group's current template version else 1, version number)."""
    spec = getattr(st, "emu_launch_template", None)
    if spec is None or group.ec2_launch_template is None:
        return (1, 0)
    current = template_version(group.ec2_launch_template, group.launch_template_version)
    same = spec["LaunchTemplateId"] == group.ec2_launch_template.id and spec["Version"] == str(current.number)
    return (1 if same else 0, int(spec["Version"]))


def choose_victims(group: FakeAutoScalingGroup, count: int) -> list[InstanceState]:
    remaining = list(group.active_instances())
    victims: list[InstanceState] = []
    for _ in range(count):
        candidates = [st for st in remaining if not st.protected_from_scale_in]
        if not candidates:
            break
        per_zone: dict[str, int] = {}
        for st in remaining:
            per_zone[_zone(st.instance)] = per_zone.get(_zone(st.instance), 0) + 1
        busiest = max(per_zone[_zone(st.instance)] for st in candidates)
        in_zone = [st for st in candidates if per_zone[_zone(st.instance)] == busiest]
        victim = min(
            in_zone,
            key=lambda st: (*_version_rank(group, st), getattr(st, "emu_sequence", 0)),
        )
        victims.append(victim)
        remaining.remove(victim)
    return victims


def _set_desired(self: FakeAutoScalingGroup, new_capacity: int | None) -> None:
    target = self.min_size if new_capacity is None else new_capacity
    surplus = len(self.active_instances()) - (target or 0)
    if surplus > 0 and not self.mixed_instances_policy:
        # Deregistered and drained before they are terminated; no longer InService,
        # so moto's own scale-in below finds nothing left to remove.
        termination.take_out(self, [st.instance.id for st in choose_victims(self, surplus)])
    _original_set_desired(self, new_capacity)
    self.instance_states.sort(key=lambda st: getattr(st, "emu_sequence", 0))


def _update_attached_target_groups(self: AutoScalingBackend, group_name: str) -> None:
    """Registers the group's serving instances (moto registered every member, so a
    draining instance would have been registered again)."""
    group = self.autoscaling_groups[group_name]
    everyone = group.instance_states
    group.instance_states = [st for st in everyone if st.lifecycle_state in termination.SERVING_STATES]
    try:
        _original_update_target_groups(self, group_name)
    finally:
        group.instance_states = everyone


def _terminate_instance(self: AutoScalingBackend, instance_id: str, should_decrement: bool) -> TerminateInstanceActivity:
    """TerminateInstanceInAutoScalingGroup: deregister, drain, terminate; with
    ShouldDecrementDesiredCapacity false a replacement is launched at once."""
    member = next(
        (st for group in self.autoscaling_groups.values() for st in group.instance_states if st.instance.id == instance_id),
        None,
    )
    if member is None:
        raise ValidationError(f"Instance Id not found - No managed instance found for instance ID: {instance_id}")
    group = member.instance.autoscaling_group
    original = group.desired_capacity
    if termination.take_out(group, [instance_id]) and should_decrement:
        group.desired_capacity = (original or 0) - 1
    group.set_desired_capacity(group.desired_capacity)
    return TerminateInstanceActivity(member.instance, original)


def _instance_launch_template(self: InstanceState) -> dict[str, Any] | None:
    spec = getattr(self, "emu_launch_template", None)
    if spec is not None:
        return dict(spec)
    lt = _original_lt_property.fget(self)  # type: ignore[attr-defined]
    if lt is not None:
        lt["Version"] = str(lt["Version"])
    return lt


def _check_bounds(desired: int | None, min_size: int | None, max_size: int | None) -> None:
    if desired is None or min_size is None or max_size is None:
        return
    if not min_size <= desired <= max_size:
        raise ValidationError(
            f"Desired capacity:{desired} must be between the specified min size:{min_size} "
            f"and max size:{max_size}"
        )


def _response_set_desired(self: AutoScalingResponse) -> Any:
    name = self._get_param("AutoScalingGroupName")
    desired = self._get_int_param("DesiredCapacity")
    group = self.autoscaling_backend.autoscaling_groups.get(name)
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    if group.max_size is not None and desired > group.max_size:
        raise ValidationError(
            f"New SetDesiredCapacity value {desired} is above max value {group.max_size} "
            "for the AutoScalingGroup."
        )
    if group.min_size is not None and desired < group.min_size:
        raise ValidationError(
            f"New SetDesiredCapacity value {desired} is below min value {group.min_size} "
            "for the AutoScalingGroup."
        )
    return _original_response_set_desired(self)


def _check_min_max(min_size: int | None, max_size: int | None) -> None:
    if min_size is not None and max_size is not None and min_size > max_size:
        raise ValidationError(f"Max bound, {max_size}, must be greater than or equal to min bound, {min_size}")


def _response_create(self: AutoScalingResponse) -> Any:
    _check_min_max(self._get_int_param("MinSize"), self._get_int_param("MaxSize"))
    _check_bounds(
        self._get_int_param("DesiredCapacity"),
        self._get_int_param("MinSize"),
        self._get_int_param("MaxSize"),
    )
    result = _original_response_create(self)
    # moto stores an omitted or 0 HealthCheckGracePeriod as 300; through the API the
    # default is 0 (user guide, "Set the health check grace period").
    group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
    if group is not None:
        group.health_check_grace_period = self._get_int_param("HealthCheckGracePeriod") or 0
    return result


def _response_update(self: AutoScalingResponse) -> Any:
    group = self.autoscaling_backend.autoscaling_groups.get(self._get_param("AutoScalingGroupName"))
    if group is not None:
        min_size = self._get_int_param("MinSize")
        max_size = self._get_int_param("MaxSize")
        new_min = group.min_size if min_size is None else min_size
        new_max = group.max_size if max_size is None else max_size
        _check_min_max(new_min, new_max)
        desired = self._get_int_param("DesiredCapacity")
        _check_bounds(desired, new_min, new_max)
        if desired is None and (min_size is not None or max_size is not None):
            # UpdateAutoScalingGroup: a new MinSize above the desired capacity raises it
            # to MinSize, a new MaxSize below it lowers it to MaxSize (moto compared the
            # bounds with the number of instances, not with the desired capacity).
            current = group.desired_capacity or 0
            target = current
            if min_size is not None and min_size > target:
                target = min_size
            if max_size is not None and max_size < target:
                target = max_size
            count = len(group.instance_states)
            moto_would_change = (min_size is not None and min_size > count) or (
                max_size is not None and max_size < count
            )
            if target != current or moto_would_change:
                self.params["DesiredCapacity"] = target
    return _original_response_update(self)


def install() -> None:
    FakeAutoScalingGroup.replace_autoscaling_group_instances = _replace  # type: ignore[method-assign]
    FakeAutoScalingGroup.set_desired_capacity = _set_desired  # type: ignore[method-assign]
    InstanceState.launch_template = property(_instance_launch_template)  # type: ignore[method-assign,assignment]
    AutoScalingResponse.set_desired_capacity = _response_set_desired  # type: ignore[method-assign]
    AutoScalingResponse.create_auto_scaling_group = _response_create  # type: ignore[method-assign]
    AutoScalingResponse.update_auto_scaling_group = _response_update  # type: ignore[method-assign]
    AutoScalingBackend.update_attached_target_groups = _update_attached_target_groups  # type: ignore[method-assign]
    AutoScalingBackend.terminate_instance = _terminate_instance  # type: ignore[method-assign]
