"""The CloudWatch alarms an instance refresh monitors (RefreshPreferences.AlarmSpecification).

Auto Scaling API reference, RefreshPreferences ("CloudWatch alarms can be used to
identify any issues and fail the operation if an alarm threshold is met") and
AlarmSpecification; user guide, "Undo changes with a manual or auto rollback"
("Auto rollback: Amazon EC2 Auto Scaling automatically reverses what was deployed
if the instance refresh fails for some reason or if any CloudWatch alarms you
specify go into the ALARM state").

* StartInstanceRefresh refuses alarm names that do not exist (ValidationError).
* While the refresh runs (Pending, InProgress, its checkpoint pauses, Baking) an
  alarm in ALARM fails it, with AutoRollback it rolls back. The rollback itself is
  not stopped by the alarms (it is what they ask for).
* An alarm deleted while the refresh monitors it fails the refresh too: the
  documents are silent, and a gate that no longer exists cannot pass (the stricter
  choice).

Alarm states are read only through CloudWatch's `alarm_state.state_of`, so
SetAlarmState and the alarm evaluation on the emulator's clock both count.
"""

from __future__ import annotations

from emulator.cloudwatch.alarm_state import state_of

MISSING = "missing"

def missing(account_id: str, region: str, names: list[str]) -> list[str]:
    return [n for n in names if state_of(account_id, region, n) is None]


def breaching(account_id: str, region: str, names: list[str]) -> dict[str, str]:
    """The alarms that stop a refresh: name -> "ALARM" or MISSING."""
    found: dict[str, str] = {}
    for name in names:
        value = state_of(account_id, region, name)
        if value is None:
            found[name] = MISSING
        elif value == "ALARM":
            found[name] = value
    return found


def failure_reason(found: dict[str, str]) -> str:
    in_alarm = [n for n, s in found.items() if s == "ALARM"]
    gone = [n for n, s in found.items() if s == MISSING]
    parts = []
    if in_alarm:
        parts.append(f"alarm(s) in ALARM state: {', '.join(in_alarm)}")
    if gone:
        parts.append(f"alarm(s) no longer exist: {', '.join(gone)}")
    return "Instance refresh failed: " + "; ".join(parts) + "."
