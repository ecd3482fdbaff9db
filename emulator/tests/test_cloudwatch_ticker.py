"""The alarm ticker: bounded work per tick, each alarm once per period, stops when told."""

from __future__ import annotations

import threading

from moto.cloudwatch.models import cloudwatch_backends

from emulator.cloudwatch import alarm_ticker

ACCOUNT = "210987654321"
REGION = "ap-southeast-2"


def _make(count: int) -> list[str]:
    backend = cloudwatch_backends[ACCOUNT][REGION]
    names = [f"bounded-{n:03d}" for n in range(count)]
    for name in names:
        backend.put_metric_alarm(
            name=name, namespace="App", metric_name="Errors", comparison_operator="GreaterThanThreshold",
            evaluation_periods=1, period=3600, threshold=1.0, statistic="Sum", description="", dimensions=[],
            alarm_actions=[], treat_missing_data="breaching",
        )
    return names


def test_each_tick_evaluates_a_bounded_number_of_alarms_once_a_period():
    names = _make(alarm_ticker.MAX_PER_TICK + 50)
    backend = cloudwatch_backends[ACCOUNT][REGION]
    try:
        assert alarm_ticker.tick() == alarm_ticker.MAX_PER_TICK
        assert alarm_ticker.tick() == 50
        assert alarm_ticker.tick() == 0  # an hour-long period: nothing new to evaluate
        assert {backend.alarms[name].state_value for name in names} == {"ALARM"}
    finally:
        backend.delete_alarms(names)


def test_the_ticker_thread_stops():
    before = set(threading.enumerate())
    stop = alarm_ticker.start_ticker()
    [thread] = [t for t in threading.enumerate() if t not in before and t.name == "cloudwatch-alarms"]
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
