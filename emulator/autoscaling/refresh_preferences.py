"""RefreshPreferences: validated as StartInstanceRefresh does, defaults filled in, described back.

Auto Scaling API reference, RefreshPreferences and AlarmSpecification; user guide,
"Understand the default values for an instance refresh", "Add checkpoints to an
instance refresh", "Use an instance refresh with skip matching".

Limits from the reference: MinHealthyPercentage 0-100 (default 90);
MaxHealthyPercentage 100-200 (default 100, shown as null), only with
MinHealthyPercentage and at most 100 above it; BakeTime and CheckpointDelay
0-172800; CheckpointPercentages each 1-100 ("NonZeroIntPercent"), ascending and
unique ("Threshold values for each checkpoint in ascending order. Each number must
be unique"), the last one 100 to replace every instance, less for a partial
refresh; CheckpointDelay only with CheckpointPercentages, default 3600;
ScaleInProtectedInstances Refresh | Ignore | Wait (default Wait); StandbyInstances
Terminate | Ignore | Wait (default Wait); AlarmSpecification.Alarms up to 10 names
of 1-255 characters.
"""

from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import ValidationError

DEFAULT_MIN_HEALTHY = 90
DEFAULT_MAX_HEALTHY = 100
DEFAULT_CHECKPOINT_DELAY = 3600
MAX_WAIT_SECONDS = 172800
MAX_ALARMS = 10
SCALE_IN_PROTECTED_CHOICES = ("Refresh", "Ignore", "Wait")
STANDBY_CHOICES = ("Terminate", "Ignore", "Wait")


def _int(prefs: dict[str, Any], key: str) -> int | None:
    value = prefs.get(key)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{key} must be an integer.") from None


def _bool(prefs: dict[str, Any], key: str) -> bool:
    value = prefs.get(key, False)
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _healthy_percentages(prefs: dict[str, Any]) -> tuple[int | None, int | None]:
    min_healthy = _int(prefs, "MinHealthyPercentage")
    max_healthy = _int(prefs, "MaxHealthyPercentage")
    if min_healthy is not None and not 0 <= min_healthy <= 100:
        raise ValidationError("MinHealthyPercentage must be between 0 and 100.")
    if max_healthy is not None:
        if not 100 <= max_healthy <= 200:
            raise ValidationError("MaxHealthyPercentage must be between 100 and 200.")
        if min_healthy is None:
            raise ValidationError("If you specify MaxHealthyPercentage, you must also specify MinHealthyPercentage.")
        if max_healthy - min_healthy > 100:
            raise ValidationError(
                "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot be greater than 100."
            )
    return min_healthy, max_healthy


def _checkpoints(prefs: dict[str, Any]) -> list[int] | None:
    """CheckpointPercentages, checked. An empty list is refused: the reference
    gives no meaning to it (the stricter choice)."""
    raw = prefs.get("CheckpointPercentages")
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise ValidationError("CheckpointPercentages must contain at least one percentage.")
    try:
        values = [int(v) for v in raw]
    except (TypeError, ValueError):
        raise ValidationError("CheckpointPercentages must be integers.") from None
    if any(not 1 <= v <= 100 for v in values):
        raise ValidationError("Each of the CheckpointPercentages must be between 1 and 100.")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValidationError("CheckpointPercentages must be unique and in ascending order.")
    return values


def _alarm_names(prefs: dict[str, Any]) -> list[str] | None:
    spec = prefs.get("AlarmSpecification")
    if spec is None:
        return None
    names = spec.get("Alarms") if isinstance(spec, dict) else None
    # An AlarmSpecification naming no alarm is refused: nothing to monitor (the stricter choice).
    if not isinstance(names, list) or not names:
        raise ValidationError("AlarmSpecification must name at least one alarm in Alarms.")
    if len(names) > MAX_ALARMS:
        raise ValidationError(f"AlarmSpecification can name up to {MAX_ALARMS} alarms.")
    if any(not isinstance(n, str) or not 1 <= len(n) <= 255 for n in names):
        raise ValidationError("Each alarm name in AlarmSpecification must be 1 to 255 characters long.")
    if len(set(names)) != len(names):
        raise ValidationError("AlarmSpecification names an alarm more than once.")
    return list(names)


def _choice(prefs: dict[str, Any], key: str, choices: tuple[str, ...]) -> str:
    value = prefs.get(key) or "Wait"
    if value not in choices:
        raise ValidationError(f"{key} must be one of {', '.join(choices)}; got {value}.")
    return str(value)


def effective_preferences(prefs: dict[str, Any]) -> dict[str, Any]:
    """Validate RefreshPreferences and fill in AWS's defaults (what the refresh runs by)."""
    min_healthy, max_healthy = _healthy_percentages(prefs)
    warmup = _int(prefs, "InstanceWarmup")
    if warmup is not None and warmup < 0:
        raise ValidationError("InstanceWarmup must not be negative.")
    bake = _int(prefs, "BakeTime")
    if bake is not None and not 0 <= bake <= MAX_WAIT_SECONDS:
        raise ValidationError(f"BakeTime must be between 0 and {MAX_WAIT_SECONDS}.")
    checkpoints = _checkpoints(prefs)
    delay = _int(prefs, "CheckpointDelay")
    if delay is not None:
        if checkpoints is None:
            raise ValidationError("CheckpointDelay requires CheckpointPercentages.")
        if not 0 <= delay <= MAX_WAIT_SECONDS:
            raise ValidationError(f"CheckpointDelay must be between 0 and {MAX_WAIT_SECONDS}.")
    alarms = _alarm_names(prefs)
    out: dict[str, Any] = {
        "MinHealthyPercentage": DEFAULT_MIN_HEALTHY if min_healthy is None else min_healthy,
        "MaxHealthyPercentage": DEFAULT_MAX_HEALTHY if max_healthy is None else max_healthy,
        "SkipMatching": _bool(prefs, "SkipMatching"),
        "AutoRollback": _bool(prefs, "AutoRollback"),
        "ScaleInProtectedInstances": _choice(prefs, "ScaleInProtectedInstances", SCALE_IN_PROTECTED_CHOICES),
        "StandbyInstances": _choice(prefs, "StandbyInstances", STANDBY_CHOICES),
        "BakeTime": bake or 0,
    }
    if warmup is not None:
        out["InstanceWarmup"] = warmup
    if checkpoints is not None:
        out["CheckpointPercentages"] = checkpoints
        out["CheckpointDelay"] = DEFAULT_CHECKPOINT_DELAY if delay is None else delay
    if alarms is not None:
        out["AlarmSpecification"] = {"Alarms": alarms}
    return out


def described_preferences(effective: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Preferences as DescribeInstanceRefreshes shows them: the defaults the user
    guide lists as values (MinHealthyPercentage, SkipMatching, AutoRollback,
    ScaleInProtectedInstances, StandbyInstances, CheckpointDelay with checkpoints),
    and what was given; MaxHealthyPercentage, InstanceWarmup, BakeTime and
    AlarmSpecification only when given (their defaults are "null")."""
    shown = {
        key: effective[key]
        for key in ("MinHealthyPercentage", "SkipMatching", "AutoRollback", "ScaleInProtectedInstances", "StandbyInstances")
    }
    for key in ("MaxHealthyPercentage", "InstanceWarmup", "BakeTime"):
        if given.get(key) is not None:
            shown[key] = effective[key]
    for key in ("CheckpointPercentages", "CheckpointDelay", "AlarmSpecification"):
        if key in effective:
            shown[key] = effective[key]
    return shown
