"""CreateAutoScalingGroup refuses a name that a group of the account and region has.

AWS (Amazon EC2 Auto Scaling API reference, CreateAutoScalingGroup, "Errors"):
`AlreadyExists` — "You already have an Auto Scaling group or launch configuration
with this name." (HTTP 400). moto replaced the existing group with the new one,
silently: a second stack of the same name took the first one's group over.

A group that is being deleted still exists until its deletion ends; the emulator
removes a group at once on DeleteAutoScalingGroup, so the name is free right after.
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import AutoscalingClientError
from moto.autoscaling.models import AutoScalingBackend

_installed = False


class AlreadyExists(AutoscalingClientError):
    code = "AlreadyExists"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"AutoScalingGroup by this name already exists - A group with the name {name} already exists"
        )


def install() -> None:
    """Wrap moto's create so it refuses a name in use (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = AutoScalingBackend.create_auto_scaling_group

    def create_auto_scaling_group(self: AutoScalingBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        if name in self.autoscaling_groups:
            raise AlreadyExists(name)
        return original(self, name, *args, **kwargs)

    create_auto_scaling_group.__wrapped__ = original  # type: ignore[attr-defined]
    AutoScalingBackend.create_auto_scaling_group = create_auto_scaling_group  # type: ignore[method-assign]
