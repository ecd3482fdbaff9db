"""CloudWatch's alarm operations where moto differs from the API reference.

* PutMetricAlarm is checked first (alarm_validation.py). As the reference says, "When
  you update an existing alarm, its state is left unchanged"; a new alarm starts in
  INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"). moto started alarms in OK
  and reset the state of an updated one.
* SetAlarmState's state holds until the alarm's next evaluation.
* DescribeAlarms applies all its filters together.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.exceptions import InvalidParameterCombination, ValidationError
from moto.cloudwatch.models import cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult

from emulator.cloudwatch import alarm_ticker
from emulator.cloudwatch.alarm_validation import validate

INITIAL_REASON = "Unchecked: Initial alarm creation"

_installed = False


def _put_metric_alarm(original: Any) -> Any:
    def put_metric_alarm(self: CloudWatchResponse) -> Any:
        params = self._get_params()
        if params.get("AlarmRule") is None:  # composite alarms share this method in moto
            validate(params)
        backend = cloudwatch_backends[self.current_account][self.region]
        name = params.get("AlarmName")
        previous = backend.alarms.get(name)
        result = original(self)
        alarm = backend.alarms.get(name)
        if alarm is None:
            return result
        if previous is not None:
            alarm.state_value = previous.state_value
            alarm.state_reason = previous.state_reason
            alarm.state_reason_data = previous.state_reason_data
            alarm.state_updated_timestamp = previous.state_updated_timestamp
            alarm.history = previous.history
            for mark in ("state_transitioned_timestamp",):
                if hasattr(previous, mark):
                    setattr(alarm, mark, getattr(previous, mark))
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = INITIAL_REASON
        return result

    return put_metric_alarm


def _set_alarm_state(original: Any) -> Any:
    """SetAlarmState's state holds until the alarm's next evaluation (SetAlarmState reference:
    "the alarm state returns to its actual state ... the next time the alarm is evaluated"),
    not until a first evaluation that had not run yet."""

    def set_alarm_state(self: CloudWatchResponse) -> Any:
        result = original(self)
        alarm = cloudwatch_backends[self.current_account][self.region].alarms.get(self._get_param("AlarmName"))
        if alarm is not None:
            alarm_ticker.mark_evaluated(self.current_account, self.region, alarm)
        return result

    return set_alarm_state


ALARM_TYPES = ("MetricAlarm", "CompositeAlarm")


def describe_alarms(self: CloudWatchResponse) -> Any:
    """DescribeAlarms with its filters together (DescribeAlarms reference); moto used only the first.

    AlarmNames and AlarmNamePrefix exclude each other; AlarmTypes defaults to metric
    alarms only ("If you omit this parameter, only metric alarms are returned");
    StateValue and ActionPrefix narrow further. Alarms come sorted by name.
    """
    params = self._get_params()
    names = params.get("AlarmNames") or []
    prefix = params.get("AlarmNamePrefix")
    if names and prefix:
        raise InvalidParameterCombination("AlarmNames and AlarmNamePrefix cannot be specified together.")
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    for kind in types:
        if kind not in ALARM_TYPES:
            raise ValidationError(f"The value {kind} for parameter AlarmTypes is invalid.")
    state_value = params.get("StateValue")
    action_prefix = params.get("ActionPrefix")
    found = []
    for alarm in cloudwatch_backends[self.current_account][self.region].alarms.values():
        if names and alarm.name not in names:
            continue
        if prefix and not alarm.name.startswith(prefix):
            continue
        if state_value and alarm.state_value != state_value:
            continue
        if action_prefix and not any(a.startswith(action_prefix) for a in alarm.alarm_actions or []):
            continue
        found.append(alarm)
    found.sort(key=lambda a: a.name)
    metric_alarms = [a for a in found if a.rule is None] if "MetricAlarm" in types else []
    composite_alarms = [a for a in found if a.rule is not None] if "CompositeAlarm" in types else []
    return ActionResult({"MetricAlarms": metric_alarms, "CompositeAlarms": composite_alarms})


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    CloudWatchResponse.put_metric_alarm = _put_metric_alarm(CloudWatchResponse.put_metric_alarm)  # type: ignore[method-assign]
    CloudWatchResponse.set_alarm_state = _set_alarm_state(CloudWatchResponse.set_alarm_state)  # type: ignore[method-assign]
    CloudWatchResponse.describe_alarms = describe_alarms  # type: ignore[method-assign]
