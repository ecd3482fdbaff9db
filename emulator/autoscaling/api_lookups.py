"""What the Auto Scaling operations the emulator adds share: the group a request
names, refused as Auto Scaling refuses an unknown one, and the paging error."""

from __future__ import annotations

from moto.autoscaling.exceptions import AutoscalingClientError, ValidationError
from moto.autoscaling.models import FakeAutoScalingGroup
from moto.autoscaling.responses import AutoScalingResponse


class InvalidNextToken(AutoscalingClientError):
    code = "InvalidNextToken"


def named_group(self: AutoScalingResponse, name: str | None) -> FakeAutoScalingGroup:
    """The group `name` names; a ValidationError when there is none."""
    group = self.autoscaling_backend.autoscaling_groups.get(name or "")
    if group is None:
        raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
    return group
