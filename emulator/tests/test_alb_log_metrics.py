"""What one HAProxy request line counts as in AWS/ApplicationELB (cloudwatch/alb_log.py),
and the publish function every producer uses (cloudwatch/publish.py)."""

from __future__ import annotations

import datetime

import pytest
from moto.cloudwatch.models import cloudwatch_backends

from emulator.cloudwatch import alb_log
from emulator.cloudwatch.publish import publish


def _outcome(text: str) -> alb_log.Outcome:
    line = alb_log.parse(text)
    assert line is not None
    return alb_log.outcome(line)


def test_the_format_names_the_load_balancer_and_parses_back():
    assert alb_log.log_format("abc") == "RRLB1 abc %b %s %ST %Tr %tsc"
    line = alb_log.parse("RRLB1 abc tg_web_1 i-1_8080 200 12 ----\n")
    assert line == alb_log.LogLine("abc", "tg_web_1", "i-1_8080", 200, 12, "----")
    assert alb_log.parse("Server tg_web_1/i-1_8080 is UP") is None  # HAProxy's own notices
    assert alb_log.parse("RRLB1 abc tg x notanumber 1 ----") is None


def test_a_target_response_is_the_target_status_and_its_response_time():
    result = _outcome("RRLB1 k tg s 500 250 ----")
    assert result == alb_log.Outcome(True, 500, None, 0.25, False)


@pytest.mark.parametrize(
    "text, status, connection_error",
    [
        ("RRLB1 k tg s 503 -1 SC--", 502, True),  # refused: HAProxy logs 503, the client got 502
        ("RRLB1 k tg s 502 -1 SH--", 502, False),  # reset or closed without an answer
        ("RRLB1 k tg s 504 -1 sH--", 504, False),  # no answer within the idle timeout
        ("RRLB1 k tg s -1 -1 CH--", 460, False),  # the client closed first
    ],
)
def test_a_chosen_target_without_response_is_the_load_balancers_answer(text, status, connection_error):
    result = _outcome(text)
    assert result.target_chosen and result.target_status is None and result.response_seconds is None
    assert (result.elb_status, result.connection_error) == (status, connection_error)


def test_no_target_chosen_is_not_a_request():
    result = _outcome("RRLB1 k tg <NOSRV> 503 -1 LR--")
    assert result == alb_log.Outcome(False, None, 503, None, False)


def test_publish_stores_one_datapoint_per_value_in_moto():
    backend = cloudwatch_backends["111122223333"]["eu-west-1"]
    before = len(backend.metric_data)
    when = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)
    publish("111122223333", "eu-west-1", "AWS/ApplicationELB", "RequestCount",
            {"TargetGroup": "targetgroup/t/1", "LoadBalancer": "app/l/2"}, [1.0, 1.0], "Count", when)
    stored = backend.metric_data[before:]
    assert [d.value for d in stored] == [1.0, 1.0]
    assert all(d.timestamp == datetime.datetime(2026, 1, 1, 12, 0) for d in stored)  # naive UTC, as moto keeps
    assert [(x.name, x.value) for x in stored[0].dimensions] == [("LoadBalancer", "app/l/2"), ("TargetGroup", "targetgroup/t/1")]
    with pytest.raises(ValueError):
        publish("111122223333", "eu-west-1", "AWS/EC2", "CPUUtilization", {}, [1.0], "Percents")
