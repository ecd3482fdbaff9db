"""DescribeLaunchTemplates shows a template's tags as they are now.

AWS (Amazon EC2 API reference, DescribeLaunchTemplates: `LaunchTemplate.Tags`, "The
tags for the launch template"; CreateTags / DeleteTags accept a launch template id,
EC2 user guide "Tag your Amazon EC2 resources"): tags added or removed after the
create show in every later DescribeLaunchTemplates (and in ModifyLaunchTemplate's and
CreateLaunchTemplateVersion's answers). moto kept a copy of the tags taken at creation,
so a tag changed out of band never showed and drift in a template's tags went unseen.

The tags are read from EC2's tag store on every answer.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.launch_templates import LaunchTemplate

_installed = False


def _current_tags(template: LaunchTemplate) -> list[dict[str, str]]:
    stored = template.ec2_backend.tags.get(template.id, {})
    return [{"Key": key, "Value": value} for key, value in stored.items()]


def _ignore_copy(template: LaunchTemplate, _copy: Any) -> None:
    """moto assigns the creation-time copy in the constructor: the tag store is the truth."""


def install() -> None:
    """Make `LaunchTemplate.tags` read the tag store (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    LaunchTemplate.tags = property(_current_tags, _ignore_copy)  # type: ignore[assignment,method-assign]
