"""Instance refresh checkpoints (CheckpointPercentages, CheckpointDelay) and BakeTime."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group
from emulator.tests.refresh_support import clients, desired, follow, start, unvalidated_autoscaling, until, versions

HONORED = {"instance_warmup_honored": True}


def test_refresh_pauses_at_a_checkpoint_with_its_reason_and_percentage(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=4, max_size=8)
    emu.ok("POST", "/_emulator/timing", HONORED)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0, "CheckpointPercentages": [50, 100], "CheckpointDelay": 2},
    )

    paused = until(autoscaling, refresh_id, lambda r: "Checkpoint" in r.get("StatusReason", ""))
    assert paused["Status"] == "InProgress"
    assert paused["PercentageComplete"] == 50 and paused["InstancesToUpdate"] == 2
    assert "Checkpoint 1 of 2 reached at 50 percent" in paused["StatusReason"]
    assert "Waiting 2 seconds" in paused["StatusReason"]
    assert paused["ProgressDetails"]["LivePoolProgress"] == {"PercentageComplete": 50, "InstancesToUpdate": 2}
    assert versions(group(autoscaling)) == ["1", "1", "2", "2"]
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"

    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and done["PercentageComplete"] == 100
    assert done["Preferences"]["CheckpointPercentages"] == [50, 100] and done["Preferences"]["CheckpointDelay"] == 2
    assert versions(group(autoscaling)) == ["2", "2", "2", "2"]


def test_batches_are_paced_so_as_not_to_pass_the_next_checkpoint(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=4, max_size=8)
    emu.ok("POST", "/_emulator/timing", HONORED)
    # MinHealthyPercentage 0 would replace all four at once; the 25 percent checkpoint cuts it to one.
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 0, "InstanceWarmup": 0, "CheckpointPercentages": [25, 100], "CheckpointDelay": 2},
    )

    paused = until(autoscaling, refresh_id, lambda r: "Checkpoint" in r.get("StatusReason", ""))
    assert paused["PercentageComplete"] == 25
    assert versions(group(autoscaling)) == ["1", "1", "1", "2"]
    assert follow(autoscaling, refresh_id)["Status"] == "Successful"


def test_a_batch_past_two_checkpoints_reaches_the_higher_one(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", HONORED)
    # Two instances: the first replacement makes 50 percent, past 10 and 40 ("skips the first checkpoint").
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0, "CheckpointPercentages": [10, 40, 100], "CheckpointDelay": 2},
    )
    seen: list[dict] = []
    until(autoscaling, refresh_id, lambda r: seen.append(r) or "Checkpoint" in r.get("StatusReason", ""))
    done = follow(autoscaling, refresh_id, seen)

    reasons = {r["StatusReason"] for r in seen if "Checkpoint" in r.get("StatusReason", "")}
    assert len(reasons) == 1 and "Checkpoint 2 of 3 reached at 40 percent" in reasons.pop()
    assert done["Status"] == "Successful"


def test_checkpoint_delay_defaults_to_an_hour(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", HONORED)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0, "CheckpointPercentages": [50, 100]},
    )

    paused = until(autoscaling, refresh_id, lambda r: "Checkpoint" in r.get("StatusReason", ""))
    assert paused["Preferences"]["CheckpointDelay"] == 3600
    assert "Waiting 3600 seconds" in paused["StatusReason"]
    autoscaling.cancel_instance_refresh(AutoScalingGroupName="app")
    assert follow(autoscaling, refresh_id)["Status"] == "Cancelled"
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"


def test_a_last_checkpoint_below_100_is_a_partial_refresh(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, capacity=4, max_size=8)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 75, "CheckpointPercentages": [50]},
    )

    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful"
    assert done["PercentageComplete"] == 50 and done["InstancesToUpdate"] == 0
    g = group(autoscaling)
    assert versions(g) == ["1", "1", "2", "2"]
    assert g["LaunchTemplate"]["Version"] == "2"  # the desired configuration, once the refresh succeeds


def test_without_the_speed_knob_a_checkpoint_is_one_step(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 50, "CheckpointPercentages": [50, 100], "CheckpointDelay": 172800},
    )
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and versions(group(autoscaling)) == ["2", "2"]


@pytest.mark.parametrize(
    "preferences",
    [
        {"CheckpointPercentages": [50, 50, 100]},
        {"CheckpointPercentages": [60, 40]},
        {"CheckpointPercentages": [0, 100]},
        {"CheckpointPercentages": [50, 101]},
        {"CheckpointPercentages": []},
        {"CheckpointDelay": 60},
        {"CheckpointPercentages": [100], "CheckpointDelay": 172801},
        {"BakeTime": 172801},
    ],
)
def test_checkpoint_and_bake_preferences_are_validated(emu, preferences):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    with pytest.raises(ClientError) as err:
        start(unvalidated_autoscaling(emu), DesiredConfiguration=desired(stack.template_id), Preferences=preferences)
    assert err.value.response["Error"]["Code"] == "ValidationError", preferences


def test_bake_time_waits_in_baking_before_the_group_changes(emu):
    ec2, elbv2, autoscaling = clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", HONORED)
    refresh_id = start(
        autoscaling,
        DesiredConfiguration=desired(stack.template_id),
        Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0, "BakeTime": 2},
    )

    baking = until(autoscaling, refresh_id, lambda r: r["Status"] == "Baking")
    assert baking["PercentageComplete"] == 100 and "EndTime" not in baking
    assert versions(group(autoscaling)) == ["2", "2"]
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"
    done = follow(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and done["Preferences"]["BakeTime"] == 2
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "2"
