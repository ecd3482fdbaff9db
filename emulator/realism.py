"""The realism switch: one setting for the timing knobs that make the emulator behave
like a real AWS account rather than an instant, always-consistent one.

    GET  /_emulator/realism                  {"enabled": bool, "profile": {...}, "timing": {...}}
    POST /_emulator/realism {"enabled": b}   apply the profile (true) or put its keys
                                             back to their defaults (false)
    server.py --realism                      apply the profile at start

PROFILE's values are modest on purpose: long enough that a client which does not
retry a read after a create, or a launch with a new instance profile, fails every
time, short enough for end-to-end tests. `POST /moto-api/reset` puts the timing
knobs back to the server's start-up state: the built-in defaults, or this profile
when the server was started with `--realism`.
"""

from __future__ import annotations

from typing import Any

from emulator import state
from emulator.state import LOCK, on_reset

PROFILE: dict[str, float | bool] = {
    # A created resource is invisible to Describe/Get by id for 2 s.
    "consistency_delay_seconds": 2.0,
    # A new instance profile is refused by EC2 / Auto Scaling for 5 s.
    "iam_propagation_seconds": 5.0,
    # DeleteSnapshot answers InvalidSnapshot.InUse for 3 s after DeregisterImage.
    "snapshot_release_seconds": 3.0,
    # Instance refresh replaces unhealthy instances a few times before failing.
    "refresh_replace_unhealthy": True,
    # Instance refresh waits InstanceWarmup / BakeTime / the health check grace
    # period in real seconds.
    "instance_warmup_honored": True,
}

_enabled_at_start = False


def is_enabled() -> bool:
    return all(state.timing.get(key) == value for key, value in PROFILE.items())


def set_enabled(enabled: bool) -> None:
    with LOCK:
        if enabled:
            state.set_timing(dict(PROFILE))
        else:
            state.set_timing({key: state.DEFAULT_TIMING[key] for key in PROFILE})


def enable_at_start() -> None:
    """Make the realistic profile the server's start-up (and after-reset) state."""
    global _enabled_at_start
    _enabled_at_start = True
    set_enabled(True)


@on_reset
def _reapply() -> None:
    if _enabled_at_start:
        state.timing.update(PROFILE)


def describe() -> dict[str, Any]:
    with LOCK:
        return {"enabled": is_enabled(), "profile": dict(PROFILE), "timing": dict(state.timing)}


def handle_post(body: dict[str, Any]) -> dict[str, Any]:
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise ValueError("enabled must be a boolean")
    set_enabled(enabled)
    return describe()
