"""Auto Scaling instance refresh (StartInstanceRefresh and friends)."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group, instances, refresh, target_health
from emulator.tests.conftest import wait_for

FINAL = {"Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"}


def _clients(emu):
    return emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")


def _finished(autoscaling, refresh_id, seen=None):
    def check():
        r = refresh(autoscaling, refresh_id)
        if seen is not None:
            seen.append(r["Status"])
        return r if r["Status"] in FINAL else None

    return wait_for(check)


def test_refresh_moves_group_to_new_version(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    old_ids = {i["InstanceId"] for i in group(autoscaling)["Instances"]}

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 50, "InstanceWarmup": 0},
    )["InstanceRefreshId"]
    seen: list[str] = []
    done = _finished(autoscaling, refresh_id, seen)

    assert done["Status"] == "Successful"
    assert done["PercentageComplete"] == 100 and done["InstancesToUpdate"] == 0
    assert "EndTime" in done and done["Preferences"]["MinHealthyPercentage"] == 50
    assert done["DesiredConfiguration"]["LaunchTemplate"]["Version"] == "2"
    assert "InProgress" in seen
    g = group(autoscaling)
    assert g["LaunchTemplate"]["Version"] == "2"
    new_ids = [i["InstanceId"] for i in g["Instances"]]
    assert len(new_ids) == 2 and not set(new_ids) & old_ids
    assert {i["LaunchTemplate"]["Version"] for i in g["Instances"]} == {"2"}
    described = instances(ec2, new_ids)
    assert {i["ImageId"] for i in described} == {stack.image_v2}
    assert {i["InstanceType"] for i in described} == {"t3.small"}
    assert Counter(i["Placement"]["AvailabilityZone"] for i in described) == {"us-east-1a": 1, "us-east-1b": 1}
    health = target_health(elbv2, stack.target_group_arn)
    assert set(health) == set(new_ids)
    assert {h["State"] for h in health.values()} == {"healthy"}
    old = instances(ec2, sorted(old_ids))
    assert {i["State"]["Name"] for i in old} == {"terminated"}


def test_refresh_to_unhealthy_image_rolls_back(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
        Preferences={"AutoRollback": True},
    )["InstanceRefreshId"]
    seen: list[str] = []
    done = _finished(autoscaling, refresh_id, seen)

    assert done["Status"] == "RollbackSuccessful"
    assert "RollbackInProgress" in seen
    assert "failed health checks" in done["StatusReason"]
    assert done["RollbackDetails"]["RollbackReason"].startswith("Auto rollback")
    assert done["PercentageComplete"] == 0
    g = group(autoscaling)
    assert g["LaunchTemplate"]["Version"] == "1"
    ids = [i["InstanceId"] for i in g["Instances"]]
    assert len(ids) == 2
    assert {i["ImageId"] for i in instances(ec2, ids)} == {stack.image_v1}
    assert {i["LaunchTemplate"]["Version"] for i in g["Instances"]} == {"1"}
    health = target_health(elbv2, stack.target_group_arn)
    assert set(health) == set(ids) and {h["State"] for h in health.values()} == {"healthy"}


def test_refresh_to_unhealthy_image_fails_and_names_instances(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    # What the failure leaves is checked here; healing would replace it (test_healing.py).
    autoscaling.suspend_processes(AutoScalingGroupName="app", ScalingProcesses=["ReplaceUnhealthy"])
    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
    )["InstanceRefreshId"]
    done = _finished(autoscaling, refresh_id)

    assert done["Status"] == "Failed"
    assert "RollbackDetails" not in done
    bad = [i for i in group(autoscaling)["Instances"] if i["LaunchTemplate"]["Version"] == "2"]
    assert bad and all(i["InstanceId"] in done["StatusReason"] for i in bad)
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"
    assert len(group(autoscaling)["Instances"]) == 2


def test_refresh_with_ec2_health_checks_ignores_target_health(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, health_check_type="EC2")
    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
    )["InstanceRefreshId"]

    assert _finished(autoscaling, refresh_id)["Status"] == "Successful"
    states = {h["State"] for h in target_health(elbv2, stack.target_group_arn).values()}
    assert states == {"unhealthy"}


def test_second_refresh_while_one_is_active_is_rejected(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 1.0})
    desired = {"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}}
    first = autoscaling.start_instance_refresh(AutoScalingGroupName="app", DesiredConfiguration=desired)

    with pytest.raises(ClientError) as err:
        autoscaling.start_instance_refresh(AutoScalingGroupName="app", DesiredConfiguration=desired)
    assert err.value.response["Error"]["Code"] == "InstanceRefreshInProgress"

    cancelled = autoscaling.cancel_instance_refresh(AutoScalingGroupName="app")
    assert cancelled["InstanceRefreshId"] == first["InstanceRefreshId"]
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.05})
    assert _finished(autoscaling, first["InstanceRefreshId"])["Status"] == "Cancelled"
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"
    with pytest.raises(ClientError) as err:
        autoscaling.cancel_instance_refresh(AutoScalingGroupName="app")
    assert err.value.response["Error"]["Code"] == "ActiveInstanceRefreshNotFound"


def test_max_healthy_above_100_launches_before_terminating(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.2})
    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200},
    )["InstanceRefreshId"]
    sizes: list[int] = []

    def sample():
        sizes.append(len(group(autoscaling)["Instances"]))
        return refresh(autoscaling, refresh_id)["Status"] in FINAL

    wait_for(sample, interval=0.02)
    assert refresh(autoscaling, refresh_id)["Status"] == "Successful"
    assert min(sizes) == 2 and max(sizes) == 4
    assert len(group(autoscaling)["Instances"]) == 2


def test_manual_rollback_and_its_preconditions(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.3})
    desired = {"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}}
    refresh_id = autoscaling.start_instance_refresh(AutoScalingGroupName="app", DesiredConfiguration=desired)[
        "InstanceRefreshId"
    ]
    wait_for(lambda: refresh(autoscaling, refresh_id)["PercentageComplete"] >= 50)

    assert autoscaling.rollback_instance_refresh(AutoScalingGroupName="app")["InstanceRefreshId"] == refresh_id
    emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.05})
    done = _finished(autoscaling, refresh_id)
    assert done["Status"] == "RollbackSuccessful"
    assert done["RollbackDetails"]["RollbackReason"] == "Manual rollback"
    assert done["RollbackDetails"]["PercentageCompleteOnRollback"] >= 50
    g = group(autoscaling)
    assert {i["LaunchTemplate"]["Version"] for i in g["Instances"]} == {"1"} and len(g["Instances"]) == 2

    with pytest.raises(ClientError) as err:
        autoscaling.rollback_instance_refresh(AutoScalingGroupName="app")
    assert err.value.response["Error"]["Code"] == "ActiveInstanceRefreshNotFound"
    autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="app", LaunchTemplate={"LaunchTemplateId": stack.template_id, "Version": "$Latest"}
    )
    with pytest.raises(ClientError) as err:
        autoscaling.start_instance_refresh(
            AutoScalingGroupName="app", DesiredConfiguration=desired, Preferences={"AutoRollback": True}
        )
    assert err.value.response["Error"]["Code"] == "ValidationError"
    autoscaling.start_instance_refresh(AutoScalingGroupName="app", DesiredConfiguration=desired)
    with pytest.raises(ClientError) as err:
        autoscaling.rollback_instance_refresh(AutoScalingGroupName="app")
    assert err.value.response["Error"]["Code"] == "IrreversibleInstanceRefresh"


def test_preferences_are_validated(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    build_stack(ec2, elbv2, autoscaling)
    bad = [
        {"MaxHealthyPercentage": 150},
        {"MinHealthyPercentage": 50, "MaxHealthyPercentage": 160},
        {"MinHealthyPercentage": 90, "MaxHealthyPercentage": 250},
    ]
    for preferences in bad:
        with pytest.raises(ClientError) as err:
            autoscaling.start_instance_refresh(AutoScalingGroupName="app", Preferences=preferences)
        assert err.value.response["Error"]["Code"] == "ValidationError", preferences
    with pytest.raises(ClientError) as err:
        autoscaling.start_instance_refresh(AutoScalingGroupName="nope")
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_skip_matching_leaves_matching_instances(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling, group_version="2")
    before = sorted(i["InstanceId"] for i in group(autoscaling)["Instances"])
    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
        Preferences={"SkipMatching": True},
    )["InstanceRefreshId"]

    done = _finished(autoscaling, refresh_id)
    assert done["Status"] == "Successful" and done["PercentageComplete"] == 100
    assert sorted(i["InstanceId"] for i in group(autoscaling)["Instances"]) == before
    listed = autoscaling.describe_instance_refreshes(AutoScalingGroupName="app")["InstanceRefreshes"]
    assert [r["InstanceRefreshId"] for r in listed] == [refresh_id]


def test_instance_warmup_is_waited_after_each_batch(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    desired = {"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}}
    # MinHealthyPercentage 50 of 2: two batches of one instance each.
    preferences = {"MinHealthyPercentage": 50, "InstanceWarmup": 1}

    started = time.monotonic()
    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app", DesiredConfiguration=desired, Preferences=preferences
    )["InstanceRefreshId"]
    assert _finished(autoscaling, refresh_id)["Status"] == "Successful"
    quick = time.monotonic() - started
    assert quick < 1.5  # by default a warmup is one step

    emu.ok("POST", "/_emulator/timing", {"instance_warmup_honored": True})
    desired["LaunchTemplate"]["Version"] = "1"
    started = time.monotonic()
    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app", DesiredConfiguration=desired, Preferences=preferences
    )["InstanceRefreshId"]
    progress = []

    def check():
        r = refresh(autoscaling, refresh_id)
        progress.append((time.monotonic() - started, r["PercentageComplete"]))
        return r if r["Status"] in FINAL else None

    done = wait_for(check)
    elapsed = time.monotonic() - started
    assert done["Status"] == "Successful"
    assert elapsed >= 2.0  # one second of warmup after each of the two batches
    # The first batch's instance is healthy at once but counts only after its warmup.
    assert all(pct == 0 for t, pct in progress if t < 1.0)


def test_unhealthy_instances_are_replaced_before_the_refresh_fails(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    # The refresh's own replacements are counted; healing would add more afterwards.
    autoscaling.suspend_processes(AutoScalingGroupName="app", ScalingProcesses=["ReplaceUnhealthy"])
    emu.ok("POST", "/_emulator/timing", {"refresh_replace_unhealthy": True})
    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 50},
    )["InstanceRefreshId"]
    done = _finished(autoscaling, refresh_id)

    assert done["Status"] == "Failed"
    launched = ec2.describe_instances(Filters=[{"Name": "image-id", "Values": [stack.image_v2]}])["Reservations"]
    launched = [i for r in launched for i in r["Instances"]]
    # The first batch's instance, then REPLACE_ATTEMPTS (3) replacements.
    assert len(launched) == 4
    assert sorted(i["State"]["Name"] for i in launched) == ["running", "terminated", "terminated", "terminated"]
    survivor = next(i["InstanceId"] for i in launched if i["State"]["Name"] == "running")
    assert survivor in done["StatusReason"]
    assert group(autoscaling)["LaunchTemplate"]["Version"] == "1"


def test_a_replacement_that_turns_healthy_lets_the_refresh_succeed(emu):
    ec2, elbv2, autoscaling = _clients(emu)
    stack = build_stack(ec2, elbv2, autoscaling)
    emu.ok("POST", "/_emulator/timing", {"refresh_replace_unhealthy": True, "refresh_step_seconds": 0.3})
    emu.ok("POST", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})

    refresh_id = autoscaling.start_instance_refresh(
        AutoScalingGroupName="app",
        DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateId": stack.template_id, "Version": "2"}},
        Preferences={"MinHealthyPercentage": 50},
    )["InstanceRefreshId"]

    def v2_instances():
        found = ec2.describe_instances(Filters=[{"Name": "image-id", "Values": [stack.image_v2]}])["Reservations"]
        return [i for r in found for i in r["Instances"]]

    # Wait for the first replacement (an unhealthy instance terminated), then heal the image.
    wait_for(lambda: any(i["State"]["Name"] == "terminated" for i in v2_instances()), interval=0.02)
    emu.ok("DELETE", "/_emulator/unhealthy-images", {"image_id": stack.image_v2})
    done = _finished(autoscaling, refresh_id)

    assert done["Status"] == "Successful"
    g = group(autoscaling)
    assert g["LaunchTemplate"]["Version"] == "2" and len(g["Instances"]) == 2
    assert {i["LaunchTemplate"]["Version"] for i in g["Instances"]} == {"2"}
