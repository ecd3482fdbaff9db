"""The `metric_time_scale` knob and `alarm_state.state_of`."""

from __future__ import annotations

from moto.cloudwatch.models import cloudwatch_backends

from emulator.cloudwatch import alarm_state, timescale
from emulator import state

ACCOUNT = "123456789012"
REGION = "eu-west-3"


def test_metric_time_scale_defaults_to_one_and_is_validated(emu):
    assert emu.ok("GET", "/_emulator/timing")["timing"]["metric_time_scale"] == 1.0
    assert emu.ok("POST", "/_emulator/timing", {"metric_time_scale": 0.1})["timing"]["metric_time_scale"] == 0.1
    for bad in (0, -1, "fast", True):
        status, payload = emu.control("POST", "/_emulator/timing", {"metric_time_scale": bad})
        assert status == 400, payload
    emu.reset()
    assert emu.ok("GET", "/_emulator/timing")["timing"]["metric_time_scale"] == 1.0


def test_realism_profile_leaves_metric_periods_real(emu):
    emu.ok("POST", "/_emulator/realism", {"enabled": True})
    assert emu.ok("GET", "/_emulator/timing")["timing"]["metric_time_scale"] == 1.0


def test_real_seconds_follow_the_scale():
    saved = dict(state.timing)
    try:
        state.set_timing({"metric_time_scale": 0.1})
        assert timescale.real_seconds(60) == 6.0
        assert timescale.period_start(125.0, 6.0) == 120.0
    finally:
        state.timing.clear()
        state.timing.update(saved)


def test_state_of_reads_the_alarm_state():
    backend = cloudwatch_backends[ACCOUNT][REGION]
    backend.put_metric_alarm(
        name="reader-sees-it", namespace="App", metric_name="Errors", comparison_operator="GreaterThanThreshold",
        evaluation_periods=1, period=60, threshold=1.0, statistic="Sum", description="", dimensions=[],
        alarm_actions=[],
    )
    try:
        backend.set_alarm_state("reader-sees-it", "by hand", None, "ALARM")
        assert alarm_state.state_of(ACCOUNT, REGION, "reader-sees-it") == "ALARM"
        assert alarm_state.reason_of(ACCOUNT, REGION, "reader-sees-it") == "by hand"
        assert alarm_state.state_of(ACCOUNT, REGION, "no-such-alarm") is None
        assert alarm_state.state_of("000000000000", REGION, "reader-sees-it") is None
    finally:
        backend.delete_alarms(["reader-sees-it"])
