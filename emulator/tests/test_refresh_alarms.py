"""Instance refresh alarms (RefreshPreferences.AlarmSpecification) and auto rollback on them.

Alarm states are driven with CloudWatch SetAlarmState, as a user tests alarm actions.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group
from emulator.tests.refresh_support import clients, desired, follow, start, unvalidated_autoscaling, until, versions

HONORED = {"instance_warmup_honored": True}


def _alarm(cloudwatch, name: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"Name": "LoadBalancer", "Value": "app/web/0123456789abcdef"}],
        Statistic="Sum",
        # A state set by SetAlarmState holds until the alarm's next period is
        # evaluated: a day-long period keeps the test's state for the test.
        Period=86400,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
    )


def _set(cloudwatch, name: str, value: str) -> None:
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=value, StateReason="set by the test")


def _paused_refresh(emu, autoscaling, stack, **preferences):
    """A refresh with alarms, paused at its 50 percent checkpoint for an hour."""
    emu.ok("POST", "/_emulator/timing", HONORED)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={
            "MinHealthyPercentage": 50,
            "InstanceWarmup": 0,
            "CheckpointPercentages": [50, 100],
            "AlarmSpecification": {"Alarms": ["errors", "latency"]},
            **preferences,
        },
    )
    until(autoscaling, refresh_id, lambda r: "Checkpoint" in r.get("StatusReason", ""))
    return refresh_id


@pytest.mark.parametrize(
    "alarms, message",
    [
        (["errors", "nope"], "nope"),
        ([], "at least one alarm"),
        ([f"a{n}" for n in range(11)], "up to 10"),
    ],
)
def test_start_refuses_unknown_or_too_many_alarms(emu, alarms, message):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    _alarm(emu.client("cloudwatch"), "errors")
    with pytest.raises(ClientError) as err:
        start(
            unvalidated_autoscaling(emu),
            DesiredConfiguration=desired(stack.template_id),
            Preferences={"AlarmSpecification": {"Alarms": alarms}},
        )
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert message in err.value.response["Error"]["Message"]
    assert autoscaling.describe_instance_refreshes(AutoScalingGroupName="app")["InstanceRefreshes"] == []


def test_an_alarm_in_alarm_at_a_checkpoint_fails_the_refresh(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    cloudwatch = emu.client("cloudwatch")
    _alarm(cloudwatch, "errors")
    _alarm(cloudwatch, "latency")
    refresh_id = _paused_refresh(emu, autoscaling, stack)

    _set(cloudwatch, "latency", "ALARM")
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Failed"
    assert "latency" in done["StatusReason"] and "ALARM" in done["StatusReason"]
    assert "errors" not in done["StatusReason"]
    assert "RollbackDetails" not in done
    assert done["Preferences"]["AlarmSpecification"] == {"Alarms": ["errors", "latency"]}
    g = group(autoscaling)
    assert g["LaunchTemplate"]["Version"] == "1" and versions(g) == ["1", "2"]


def test_with_auto_rollback_an_alarm_rolls_the_refresh_back(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    cloudwatch = emu.client("cloudwatch")
    _alarm(cloudwatch, "errors")
    _alarm(cloudwatch, "latency")
    refresh_id = _paused_refresh(emu, autoscaling, stack, AutoRollback=True)

    _set(cloudwatch, "errors", "ALARM")
    seen: list[dict] = []
    done = follow(autoscaling, refresh_id, seen)
    assert done["Status"] == "RollbackSuccessful"
    assert "RollbackInProgress" in {r["Status"] for r in seen}
    details = done["RollbackDetails"]
    assert "errors" in details["RollbackReason"] and details["RollbackReason"].startswith("Auto rollback")
    assert details["PercentageCompleteOnRollback"] == 50 and details["InstancesToUpdateOnRollback"] == 1
    assert details["ProgressDetailsOnRollback"]["LivePoolProgress"] == {"PercentageComplete": 50, "InstancesToUpdate": 1}
    assert done["PercentageComplete"] == 0
    g = group(autoscaling)
    assert g["LaunchTemplate"]["Version"] == "1" and versions(g) == ["1", "1"]


def test_an_alarm_during_bake_time_fails_the_refresh(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    cloudwatch = emu.client("cloudwatch")
    _alarm(cloudwatch, "errors")
    emu.ok("POST", "/_emulator/timing", HONORED)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0, "BakeTime": 3600, "AlarmSpecification": {"Alarms": ["errors"]}},
    )
    until(autoscaling, refresh_id, lambda r: r["Status"] == "Baking")

    _set(cloudwatch, "errors", "ALARM")
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Failed" and "errors" in done["StatusReason"]
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"


def test_an_alarm_deleted_during_the_refresh_fails_it(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    cloudwatch = emu.client("cloudwatch")
    _alarm(cloudwatch, "errors")
    _alarm(cloudwatch, "latency")
    refresh_id = _paused_refresh(emu, autoscaling, stack)

    cloudwatch.delete_alarms(AlarmNames=["errors"])
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Failed"
    assert "no longer exist: errors" in done["StatusReason"]


def test_alarms_that_stay_ok_let_the_refresh_succeed(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    cloudwatch = emu.client("cloudwatch")
    _alarm(cloudwatch, "errors")
    _set(cloudwatch, "errors", "OK")
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"CheckpointPercentages": [50, 100], "BakeTime": 60, "AlarmSpecification": {"Alarms": ["errors"]}},
    )
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and versions(group(autoscaling)) == ["2", "2"]
