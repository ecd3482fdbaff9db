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
    # Seconds after its creation during which a resource is not yet visible to a
    # Describe/Get that names it (eventual consistency; see consistency.py).
    "consistency_delay_seconds": 0.0,
    # Seconds after its creation during which an instance profile is refused by
    # EC2 and Auto Scaling launches (IAM propagation; see iam_propagation.py).
    "iam_propagation_seconds": 0.0,
    # Seconds a copied image (CopyImage) stays `pending` before it is `available`
    # (see image_copy.py).
    "image_copy_seconds": 0.0,
    # Seconds after DeregisterImage during which the image's snapshots still answer
    # InvalidSnapshot.InUse to DeleteSnapshot (see ec2/snapshot_release.py).
    "snapshot_release_seconds": 0.0,
    # When true, an instance refresh replaces a batch's unhealthy instances a few
    # times before it fails (see instance_refresh.py).
    "refresh_replace_unhealthy": False,
    # Live load balancers (--live-lb): factor applied to target group health check
    # intervals and timeouts and to deregistration delays (0.1: ten times faster).
    "health_check_time_scale": 1.0,
    # CloudWatch: factor on the length of a metric period (0.1: ten times faster). A
    # period of P seconds lasts P x scale real seconds, for alarm evaluation and for
    # GetMetricData / GetMetricStatistics buckets; Auto Scaling cooldowns and warmups
    # are scaled too. Validation (multiples of 60, ...) uses the nominal periods.
    "metric_time_scale": 1.0,
}

BOOLEAN_TIMING = {"instance_warmup_honored", "refresh_replace_unhealthy"}

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
        if key in BOOLEAN_TIMING:
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be a boolean")
            update[key] = value
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number")
        if value < 0:
            raise ValueError(f"{key} must not be negative")
        if key in ("refresh_step_seconds", "health_check_time_scale", "metric_time_scale") and value == 0:
            raise ValueError(f"{key} must be greater than 0")
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
