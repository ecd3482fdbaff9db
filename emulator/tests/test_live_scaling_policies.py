"""A target tracking policy scales a group of real machines (live mode): the
machines' CPU (cloudwatch/ec2_cpu.py) breaches the policy's AlarmHigh, CloudWatch's
evaluation puts it in ALARM, and the group launches more machines
(autoscaling/scaling_actions.py). Needs root and systemd-nspawn (skipped loudly
otherwise); traffic goes only to loopback."""

from __future__ import annotations

import pytest

from emulator.tests.aws_stack import group
from emulator.tests.conftest import wait_for
from emulator.tests.live_machines_support import (
    base_image_id,
    make_profile,
    ping,
    running_live_server,
    send,
    skip_reason,
    state_of,
)

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live scaling policy tests: {_reason}")
pytestmark = [pytest.mark.skipif(_reason is not None, reason=_reason or ""), pytest.mark.xdist_group("live")]


@pytest.fixture(scope="module")
def emu():
    with running_live_server("rr-live-scaling-") as server:
        server.emu.ok("POST", "/_emulator/timing", {"metric_time_scale": 0.1})  # 60 s periods last 6 s
        yield server.emu


def test_cpu_load_scales_a_group_of_machines_out(emu):
    ec2, ssm, autoscaling = emu.client("ec2"), emu.client("ssm"), emu.client("autoscaling")
    profile = make_profile(emu.client("iam"))
    ec2.create_launch_template(LaunchTemplateName="busy", LaunchTemplateData={
        "ImageId": base_image_id(ec2), "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile},
        "Monitoring": {"Enabled": True},
    })
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="busy", LaunchTemplate={"LaunchTemplateName": "busy", "Version": "1"},
        MinSize=1, MaxSize=3, DesiredCapacity=1, AvailabilityZones=["us-east-1a"],
    )
    first = group(autoscaling, "busy")["Instances"][0]["InstanceId"]
    wait_for(lambda: state_of(ec2, first) == "running", timeout=300, interval=0.5)
    wait_for(lambda: ping(ssm, first) == "Online", timeout=60, interval=0.5)
    answer = autoscaling.put_scaling_policy(
        AutoScalingGroupName="busy", PolicyName="cpu", PolicyType="TargetTrackingScaling", EstimatedInstanceWarmup=0,
        TargetTrackingConfiguration={"TargetValue": 5.0,
                                     "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}},
    )
    assert len(answer["Alarms"]) == 2
    # Both vCPUs busy for a while: CPUUtilization near 100 %, far above the 5 % target.
    send(ssm, first, ["for i in 1 2; do timeout 90 sh -c 'while :; do :; done' & done; wait; true"])
    wait_for(lambda: group(autoscaling, "busy")["DesiredCapacity"] >= 2, timeout=120, interval=0.5)

    def machines_running():
        ids = [i["InstanceId"] for i in group(autoscaling, "busy")["Instances"]]
        return len(ids) >= 2 and all(state_of(ec2, i) == "running" for i in ids)

    wait_for(machines_running, timeout=300, interval=1.0)
    assert group(autoscaling, "busy")["DesiredCapacity"] <= 3  # never above MaxSize
