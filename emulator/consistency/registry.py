"""When each resource was created, as moto's backends create it.

A resource's lag is its own: it starts when that resource is created and ends
`consistency_delay_seconds` later, after which every request sees it (AWS: "Eventual
consistency in the Amazon EC2 API" — the resource becomes visible within a short
time). Creations are recorded on moto's backends, so instances an Auto Scaling
group launches are young too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from emulator.state import on_reset

# (kind, region or "", key) -> time.monotonic() of creation
_created: dict[tuple[str, str, str], float] = {}

GLOBAL_KINDS = {"role", "profile", "profile-arn"}


@on_reset
def clear() -> None:
    _created.clear()


def record(kind: str, region: str | None, *keys: str | None) -> None:
    now = time.monotonic()
    scope = "" if kind in GLOBAL_KINDS else (region or "")
    for key in keys:
        if key:
            _created[(kind, scope, key)] = now


def age(kind: str, region: str | None, key: str) -> float | None:
    """Seconds since the resource was created, or None if its creation was not seen."""
    scope = "" if kind in GLOBAL_KINDS else (region or "")
    created = _created.get((kind, scope, key))
    return None if created is None else time.monotonic() - created


def is_young(kind: str, region: str | None, key: str, window: float) -> bool:
    """True while the resource is within its lag (bounded: false once `window` has passed)."""
    seconds = age(kind, region, key)
    return seconds is not None and window > 0 and seconds < window


def _wrap(cls: type, method: str, on_result: Callable[[Any, Any], None]) -> None:
    original = getattr(cls, method)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        try:
            on_result(self, result)
        except Exception:  # recording must never break the call itself
            pass
        return result

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(cls, method, wrapper)


def _region(backend: Any) -> str:
    return getattr(backend, "region_name", "") or ""


_installed = False


def install() -> None:
    """Record creations on moto's backends (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    from moto.autoscaling.models import AutoScalingBackend
    from moto.ec2.models.amis import AmiBackend
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.models.launch_templates import LaunchTemplateBackend
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.elbv2.models import ELBv2Backend
    from moto.iam.models import IAMBackend

    def security_group(backend: Any, group: Any) -> None:
        if not getattr(group, "is_default", False) and group.name != "default":
            record("sg", _region(backend), group.id)

    def launch_template(backend: Any, template: Any) -> None:
        record("lt", _region(backend), template.id)
        record("lt-name", _region(backend), template.name)

    def reservation(backend: Any, result: Any) -> None:
        record("instance", _region(backend), *(i.id for i in result.instances))

    def image(backend: Any, ami: Any) -> None:
        record("image", _region(backend), ami.id)

    def load_balancer(backend: Any, lb: Any) -> None:
        record("lb", _region(backend), lb.arn)
        record("lb-name", _region(backend), lb.name)

    def target_group(backend: Any, tg: Any) -> None:
        record("tg", _region(backend), tg.arn)
        record("tg-name", _region(backend), tg.name)

    def listener(backend: Any, item: Any) -> None:
        record("listener", _region(backend), item.arn)

    def group(backend: Any, item: Any) -> None:
        record("asg", _region(backend), item.name)

    def role(backend: Any, item: Any) -> None:
        record("role", None, item.name)

    def profile(backend: Any, item: Any) -> None:
        record("profile", None, item.name)
        record("profile-arn", None, item.arn)

    _wrap(SecurityGroupBackend, "create_security_group", security_group)
    _wrap(LaunchTemplateBackend, "create_launch_template", launch_template)
    _wrap(InstanceBackend, "run_instances", reservation)
    for method in ("create_image", "copy_image", "register_image"):
        _wrap(AmiBackend, method, image)
    _wrap(ELBv2Backend, "create_load_balancer", load_balancer)
    _wrap(ELBv2Backend, "create_target_group", target_group)
    _wrap(ELBv2Backend, "create_listener", listener)
    _wrap(AutoScalingBackend, "create_auto_scaling_group", group)
    _wrap(IAMBackend, "create_role", role)
    _wrap(IAMBackend, "create_instance_profile", profile)
