"""Shared state of the emulator extension: one lock, the timing knobs, health marks.

Every request that reaches moto and every background step of an instance refresh
runs under LOCK, so moto's in-memory backends are never mutated by two threads at
once. Each module that keeps state registers a reset hook; `reset_all()` runs them
(on `POST /moto-api/reset`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

LOCK = threading.RLock()

DEFAULT_TIMING = {
    # Seconds between two steps of an instance refresh (Pending -> InProgress,
    # one batch launch, one batch health check, ...).
    "refresh_step_seconds": 0.2,
    # Seconds after launch before SSM reports an instance with a profile Online.
    "ssm_online_delay_seconds": 0.0,
    # Seconds after SendCommand during which an invocation is still InProgress.
    "ssm_command_delay_seconds": 0.0,
    # When true, an instance refresh waits InstanceWarmup (or the group's health
    # check grace period) in real seconds after a batch becomes healthy, and the
    # BakeTime at the end; when false each of those waits takes one step.
    "instance_warmup_honored": False,
}

timing: dict[str, float | bool] = dict(DEFAULT_TIMING)

# AMI ids whose instances fail their load balancer health checks.
unhealthy_images: set[str] = set()
# Instance ids that fail their load balancer health checks.
unhealthy_instances: set[str] = set()

_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    _reset_hooks.append(hook)
    return hook


def set_timing(values: dict[str, object]) -> dict[str, float | bool]:
    """Validate and apply a partial timing update; raises ValueError on bad input."""
    update: dict[str, float | bool] = {}
    for key, value in values.items():
        if key not in DEFAULT_TIMING:
            raise ValueError(f"unknown timing key {key!r}")
        if key == "instance_warmup_honored":
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be a boolean")
            update[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number")
        if value < 0:
            raise ValueError(f"{key} must not be negative")
        if key == "refresh_step_seconds" and value == 0:
            raise ValueError("refresh_step_seconds must be greater than 0")
        update[key] = float(value)
    timing.update(update)
    return dict(timing)


def image_is_unhealthy(image_id: str | None) -> bool:
    return bool(image_id) and image_id in unhealthy_images


@on_reset
def _reset_state() -> None:
    timing.clear()
    timing.update(DEFAULT_TIMING)
    unhealthy_images.clear()
    unhealthy_instances.clear()


def reset_all() -> None:
    with LOCK:
        for hook in _reset_hooks:
            hook()
