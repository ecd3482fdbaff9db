"""The background evaluation of CloudWatch alarms.

CloudWatch evaluates each metric alarm once a period, on the period's completion
("Using Amazon CloudWatch alarms"). A ticker thread looks every TICK_SECONDS (fewer
when periods are scaled down) for alarms whose last complete period has moved on,
and evaluates at most MAX_PER_TICK of them per tick (the rest wait for the next
tick), each under the global lock. It stops when the server stops. Tests can
evaluate every alarm at once with `evaluate_all` (control
`POST /_emulator/cloudwatch/evaluate`).

Composite alarms (AlarmRule) are not evaluated.
"""

from __future__ import annotations

import datetime
import logging
import threading
from typing import Any

from moto.cloudwatch.models import cloudwatch_backends

from emulator import state
from emulator.cloudwatch import alarm_evaluation, alarm_state, query_engine, timescale

TICK_SECONDS = 0.5
MIN_TICK_SECONDS = 0.05
MAX_PER_TICK = 200
SETTLE_SECONDS = 1.0

_log = logging.getLogger(__name__)
# (account, region, alarm name) -> start of the last period evaluated.
_evaluated: dict[tuple[str, str, str], float] = {}


@state.on_reset
def _forget() -> None:
    _evaluated.clear()


def _alarms() -> list[tuple[str, str, Any, Any]]:
    found = []
    for account_id, region, backend in cloudwatch_backends.iter_backends():
        for alarm in list(backend.alarms.values()):
            if alarm.rule is None:
                found.append((account_id, region, backend, alarm))
    return found


def _apply(account_id: str, region: str, backend: Any, alarm: Any, at: datetime.datetime) -> str:
    """Evaluate on the periods complete at `at`; a change is stamped with the time it is made."""
    now = datetime.datetime.now(datetime.timezone.utc)
    try:
        verdict = alarm_evaluation.evaluate(backend, alarm, at, query_time=now)
    except (query_engine.QueryError, ValueError, StopIteration) as err:
        _log.warning("alarm %s cannot be evaluated: %s", alarm.name, err)
        return str(alarm.state_value)
    if verdict.state is not None:
        alarm_state.set_state(alarm, verdict.state, verdict.reason, verdict.reason_data, now)
    return str(alarm.state_value)


def evaluate_all(names: list[str] | None = None) -> dict[str, str]:
    """Evaluate every metric alarm (or those named) now; their states by name."""
    now = datetime.datetime.now(datetime.timezone.utc)
    states: dict[str, str] = {}
    with state.LOCK:
        for account_id, region, backend, alarm in _alarms():
            if names is not None and alarm.name not in names:
                continue
            states[alarm.name] = _apply(account_id, region, backend, alarm, now)
            _evaluated[(account_id, region, alarm.name)] = _boundary(alarm, now)[0]
    return states


def mark_evaluated(account_id: str, region: str, alarm: Any) -> None:
    """Count the current period as evaluated (after SetAlarmState: the state holds until the next one)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    _evaluated[(account_id, region, alarm.name)] = _boundary(alarm, now)[0]


def _boundary(alarm: Any, now: datetime.datetime) -> tuple[float, float]:
    """The start of the alarm's last period due for evaluation at `now`, and the settle time.

    A period is evaluated once it ended and its last datapoints had time to arrive.
    """
    period_real = timescale.real_seconds(_period_or_default(alarm))
    settle = min(SETTLE_SECONDS, 0.1 * period_real)
    return timescale.period_start(now.timestamp() - settle, period_real), settle


def _period_or_default(alarm: Any) -> int:
    try:
        return alarm_evaluation.nominal_period(alarm)
    except (query_engine.QueryError, ValueError, StopIteration, TypeError):
        return 60


def tick() -> int:
    """One round: evaluate the alarms whose last complete period is new; how many were evaluated."""
    now = datetime.datetime.now(datetime.timezone.utc)
    done = 0
    with state.LOCK:
        for account_id, region, backend, alarm in _alarms():
            if done >= MAX_PER_TICK:
                break
            boundary, settle = _boundary(alarm, now)
            key = (account_id, region, alarm.name)
            if _evaluated.get(key) == boundary:
                continue
            _evaluated[key] = boundary
            _apply(account_id, region, backend, alarm, timescale.from_epoch(now.timestamp() - settle))
            done += 1
    return done


def _interval() -> float:
    return max(MIN_TICK_SECONDS, min(TICK_SECONDS, TICK_SECONDS * timescale.scale()))


def start_ticker() -> threading.Event:
    """Start the evaluation thread; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(_interval()):
            try:
                tick()
            except Exception:  # a broken alarm must not stop the evaluation of the others
                _log.exception("alarm evaluation failed")

    threading.Thread(target=run, name="cloudwatch-alarms", daemon=True).start()
    return stop
