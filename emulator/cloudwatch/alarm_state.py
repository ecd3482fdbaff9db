"""The state of a CloudWatch alarm, as the emulator's readers see it.

Alarm state lives on moto's alarm objects (`state_value`: OK | ALARM |
INSUFFICIENT_DATA). The evaluator (alarm_evaluation.py, on the ticker) and
SetAlarmState change it; instance refreshes and scaling policies read it with
`state_of` only.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from emulator import state

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


def _alarm(account_id: str, region: str, name: str) -> Any | None:
    if account_id not in cloudwatch_backends:
        return None
    backend = cloudwatch_backends[account_id][region]
    return backend.alarms.get(name)


def state_of(account_id: str, region: str, name: str) -> str | None:
    """OK, ALARM or INSUFFICIENT_DATA; None when there is no alarm of that name."""
    with state.LOCK:
        alarm = _alarm(account_id, region, name)
        return None if alarm is None else str(alarm.state_value)


def reason_of(account_id: str, region: str, name: str) -> str | None:
    """The alarm's StateReason (e.g. for a refresh's StatusReason); None when there is no such alarm."""
    with state.LOCK:
        alarm = _alarm(account_id, region, name)
        return None if alarm is None else str(alarm.state_reason)


def set_state(alarm: Any, value: str, reason: str, reason_data: dict[str, Any], now: datetime.datetime) -> bool:
    """Change an alarm's state (caller holds LOCK); False when it already was in that state.

    As CloudWatch does, the reason and reason data are updated at each evaluation only
    when the state changes; StateUpdatedTimestamp is the time of the change
    (MetricAlarm reference: "The time stamp of the last update to the value of either
    the StateValue or EvaluationState parameters").
    """
    if value not in STATES:
        raise ValueError(f"unknown alarm state {value!r}")
    if alarm.state_value == value:
        return False
    alarm.update_state(reason, json.dumps(reason_data), value)
    alarm.state_updated_timestamp = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
    return True
