"""Auto Scaling instance refresh (StartInstanceRefresh and friends)."""

from __future__ import annotations

from collections import Counter

import pytest
from botocore.exceptions import ClientError

from aws_stack import build_stack, group, instances, refresh, target_health
from conftest import wait_for

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
