"""Target tracking scaling policies (autoscaling/scaling_*.py): PutScalingPolicy,
DescribePolicies, DeletePolicy, the alarms AWS creates for them, and what the
policies do when those alarms are in ALARM. Alarm states are set with SetAlarmState
and the metrics injected with POST /_emulator/cloudwatch/metrics, in every period
around the test, so that CloudWatch's own evaluation agrees with the state set."""

from __future__ import annotations

import math
import time

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import build_stack, group
from emulator.tests.conftest import wait_for

SCALE = 0.01  # a period of 60 s lasts 0.6 s; a DefaultCooldown of 300 s, 3 s


@pytest.fixture
def stack(emu):
    emu.ok("POST", "/_emulator/timing", {"metric_time_scale": SCALE})
    ec2, elbv2, autoscaling = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    built = build_stack(ec2, elbv2, autoscaling, capacity=2, max_size=5, health_check_type="EC2")
    vpc = ec2.describe_subnets(SubnetIds=built.subnets[:1])["Subnets"][0]["VpcId"]
    assert vpc
    lb = elbv2.create_load_balancer(Name="app-lb", Subnets=built.subnets, Type="application")["LoadBalancers"][0]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": built.target_group_arn}],
    )
    label = lb["LoadBalancerArn"].split(":loadbalancer/", 1)[1] + "/" + built.target_group_arn.rsplit(":", 1)[1]
    return emu, autoscaling, emu.client("cloudwatch"), built, label


def _alb_policy(autoscaling, label, name="requests", target=100.0, **extra):
    config = {
        "TargetValue": target,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label},
    }
    config.update(extra.pop("config", {}))
    return autoscaling.put_scaling_policy(
        AutoScalingGroupName="app", PolicyName=name, PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration=config, **extra,
    )


def _inject(emu, metric, dimensions, value, unit="Count", namespace="AWS/ApplicationELB"):
    """One datapoint of `value` in each period from 20 periods ago to 20 ahead."""
    period = 60 * SCALE
    start = math.floor(time.time() / period) * period
    for n in range(-20, 21):
        emu.ok("POST", "/_emulator/cloudwatch/metrics", {
            "namespace": namespace, "metric_name": metric, "dimensions": dimensions, "values": [value],
            "unit": unit, "timestamp": start + n * period + period / 2,
        })


def _rcpt_dimensions(label):
    lb, tg = label.split("/targetgroup/", 1)
    return {"LoadBalancer": lb, "TargetGroup": "targetgroup/" + tg}


def _error(call):
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response["Error"]


def test_put_creates_the_high_and_low_alarms_aws_creates(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    answer = _alb_policy(autoscaling, label)
    arn = answer["PolicyARN"]
    assert arn.startswith("arn:aws:autoscaling:us-east-1:") and arn.endswith(":autoScalingGroupName/app:policyName/requests")
    names = sorted(a["AlarmName"] for a in answer["Alarms"])
    assert names[0].startswith("TargetTracking-app-AlarmHigh-") and names[1].startswith("TargetTracking-app-AlarmLow-")
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]}
    high, low = alarms[names[0]], alarms[names[1]]
    for alarm in (high, low):
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"], alarm["Period"]) == (
            "AWS/ApplicationELB", "RequestCountPerTarget", "Sum", 60)
        assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == _rcpt_dimensions(label)
        assert alarm["AlarmActions"] == [arn]
    assert (high["ComparisonOperator"], high["Threshold"], high["EvaluationPeriods"], high["DatapointsToAlarm"]) == (
        "GreaterThanThreshold", 100.0, 3, 3)
    assert (low["ComparisonOperator"], low["Threshold"], low["EvaluationPeriods"], low["DatapointsToAlarm"]) == (
        "LessThanThreshold", 90.0, 15, 15)

    described = autoscaling.describe_policies(AutoScalingGroupName="app")["ScalingPolicies"]
    assert [(p["PolicyName"], p["PolicyType"], p["PolicyARN"]) for p in described] == [
        ("requests", "TargetTrackingScaling", arn)]
    config = described[0]["TargetTrackingConfiguration"]
    assert config["TargetValue"] == 100.0 and config["DisableScaleIn"] is False
    assert config["PredefinedMetricSpecification"]["ResourceLabel"] == label
    assert sorted(a["AlarmName"] for a in described[0]["Alarms"]) == names

    # An update keeps the ARN and the alarm names; DisableScaleIn drops the low alarm.
    again = _alb_policy(autoscaling, label, target=200.0, config={"DisableScaleIn": True})
    assert again["PolicyARN"] == arn and [a["AlarmName"] for a in again["Alarms"]] == [names[0]]
    assert cloudwatch.describe_alarms(AlarmNames=[names[0]])["MetricAlarms"][0]["Threshold"] == 200.0
    assert cloudwatch.describe_alarms(AlarmNames=[names[1]])["MetricAlarms"] == []


def test_cpu_policy_watches_the_groups_average_cpu(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    answer = autoscaling.put_scaling_policy(
        AutoScalingGroupName="app", PolicyName="cpu", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"TargetValue": 50.0,
                                     "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}},
    )
    high = cloudwatch.describe_alarms(AlarmNames=[answer["Alarms"][0]["AlarmName"]])["MetricAlarms"][0]
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == ("AWS/EC2", "CPUUtilization", "Average")
    assert high["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "app"}]


@pytest.mark.parametrize(
    "spec, extra, needle",
    [
        ({"PredefinedMetricType": "ALBRequestCountPerTarget"}, {}, "ResourceLabel is required"),
        ({"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": "app/x/1/tg/y/2"}, {}, "Invalid ResourceLabel"),
        ({"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": "app/x/1/targetgroup/nope/2"}, {}, "does not exist"),
        ({"PredefinedMetricType": "ASGAverageCPUUtilization", "ResourceLabel": "LABEL"}, {}, "only for PredefinedMetricType ALBRequestCountPerTarget"),
        ({"PredefinedMetricType": "ASGAverageCPUUtilization"}, {"Cooldown": 60}, "Cooldown cannot be used"),
    ],
)
def test_put_refuses_what_aws_refuses(stack, spec, extra, needle):
    emu, autoscaling, cloudwatch, built, label = stack
    spec = {k: (label if v == "LABEL" else v) for k, v in spec.items()}
    error = _error(lambda: autoscaling.put_scaling_policy(
        AutoScalingGroupName="app", PolicyName="p", PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={"TargetValue": 10.0, "PredefinedMetricSpecification": spec}, **extra))
    assert error["Code"] == "ValidationError" and needle in error["Message"], error


def test_resource_label_needs_the_target_group_attached_and_behind_that_load_balancer(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    elbv2 = emu.client("elbv2")
    other_tg = elbv2.create_target_group(
        Name="other", Protocol="HTTP", Port=80, VpcId=emu.client("ec2").describe_subnets(
            SubnetIds=built.subnets[:1])["Subnets"][0]["VpcId"], TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    lb_part = label.split("/targetgroup/", 1)[0]
    error = _error(lambda: _alb_policy(autoscaling, lb_part + "/" + other_tg.rsplit(":", 1)[1]))
    assert "is not attached to the Auto Scaling group" in error["Message"]
    autoscaling.attach_load_balancer_target_groups(AutoScalingGroupName="app", TargetGroupARNs=[other_tg])
    error = _error(lambda: _alb_policy(autoscaling, lb_part + "/" + other_tg.rsplit(":", 1)[1]))
    assert "is not associated with load balancer" in error["Message"]
    assert _error(lambda: _alb_policy(autoscaling, label, target=0.0))["Message"] == "TargetValue must be greater than 0."
    _alb_policy(autoscaling, label)
    error = _error(lambda: _alb_policy(autoscaling, label, name="second"))
    assert "must track a different metric" in error["Message"]


def test_delete_policy_and_group_delete_the_alarms(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    names = [a["AlarmName"] for a in _alb_policy(autoscaling, label)["Alarms"]]
    autoscaling.delete_policy(AutoScalingGroupName="app", PolicyName="requests")
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    assert autoscaling.describe_policies(AutoScalingGroupName="app")["ScalingPolicies"] == []
    assert _error(lambda: autoscaling.delete_policy(AutoScalingGroupName="app", PolicyName="requests"))["Code"] == "ValidationError"

    names = [a["AlarmName"] for a in _alb_policy(autoscaling, label)["Alarms"]]
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName="app", ForceDelete=True)
    assert cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    assert autoscaling.describe_policies()["ScalingPolicies"] == []


def test_alarm_high_scales_out_proportionally_up_to_max_size(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    answer = _alb_policy(autoscaling, label, EstimatedInstanceWarmup=0)
    high = next(a["AlarmName"] for a in answer["Alarms"] if "AlarmHigh" in a["AlarmName"])
    _inject(emu, "RequestCountPerTarget", _rcpt_dimensions(label), 250.0)  # 2 x 250 / 100 -> 5
    cloudwatch.set_alarm_state(AlarmName=high, StateValue="ALARM", StateReason="test")
    wait_for(lambda: group(autoscaling)["DesiredCapacity"] == 5, timeout=10)
    _inject(emu, "RequestCountPerTarget", _rcpt_dimensions(label), 1000.0)
    cloudwatch.set_alarm_state(AlarmName=high, StateValue="ALARM", StateReason="test")
    time.sleep(1.5)  # two periods: the policy acts again, bounded by MaxSize
    assert group(autoscaling)["DesiredCapacity"] == 5


def test_alarm_low_scales_in_conservatively_not_below_min_size(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=4)
    answer = _alb_policy(autoscaling, label, EstimatedInstanceWarmup=0)
    low = next(a["AlarmName"] for a in answer["Alarms"] if "AlarmLow" in a["AlarmName"])
    _inject(emu, "RequestCountPerTarget", _rcpt_dimensions(label), 55.0)  # 4 x 55 / 100 = 2.2 -> 3
    cloudwatch.set_alarm_state(AlarmName=low, StateValue="ALARM", StateReason="test")
    # Blocked for the DefaultCooldown (300 s x 0.01) after the launches, then one step.
    wait_for(lambda: group(autoscaling)["DesiredCapacity"] == 3, timeout=15)


def test_disable_scale_in_and_warmup_block_scale_in(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    autoscaling.set_desired_capacity(AutoScalingGroupName="app", DesiredCapacity=4)
    answer = _alb_policy(autoscaling, label, EstimatedInstanceWarmup=3600)
    low = next(a["AlarmName"] for a in answer["Alarms"] if "AlarmLow" in a["AlarmName"])
    _inject(emu, "RequestCountPerTarget", _rcpt_dimensions(label), 0.0)
    cloudwatch.set_alarm_state(AlarmName=low, StateValue="ALARM", StateReason="test")
    time.sleep(4.0)  # past the cooldown: the instances still warm up (3600 s x 0.01 = 36 s)
    assert group(autoscaling)["DesiredCapacity"] == 4

    answer = _alb_policy(autoscaling, label, EstimatedInstanceWarmup=0, config={"DisableScaleIn": True})
    assert len(answer["Alarms"]) == 1
    time.sleep(1.0)
    assert group(autoscaling)["DesiredCapacity"] == 4


def test_cpu_scale_out_leaves_warming_instances_out_of_the_capacity(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    answer = autoscaling.put_scaling_policy(
        AutoScalingGroupName="app", PolicyName="cpu", PolicyType="TargetTrackingScaling", EstimatedInstanceWarmup=3600,
        TargetTrackingConfiguration={"TargetValue": 40.0,
                                     "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}},
    )
    high = answer["Alarms"][0]["AlarmName"]
    _inject(emu, "CPUUtilization", {"AutoScalingGroupName": "app"}, 80.0, unit="Percent", namespace="AWS/EC2")
    cloudwatch.set_alarm_state(AlarmName=high, StateValue="ALARM", StateReason="test")
    time.sleep(1.5)  # every instance is warming up: no capacity to scale from
    assert group(autoscaling)["DesiredCapacity"] == 2

    autoscaling.put_scaling_policy(
        AutoScalingGroupName="app", PolicyName="cpu", PolicyType="TargetTrackingScaling", EstimatedInstanceWarmup=0,
        TargetTrackingConfiguration={"TargetValue": 40.0,
                                     "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"}},
    )
    cloudwatch.set_alarm_state(AlarmName=high, StateValue="ALARM", StateReason="test")
    wait_for(lambda: group(autoscaling)["DesiredCapacity"] == 4, timeout=10)  # 2 x 80 / 40


def test_simple_scaling_policies_stay_and_are_listed_beside_target_tracking(stack):
    emu, autoscaling, cloudwatch, built, label = stack
    simple = autoscaling.put_scaling_policy(
        AutoScalingGroupName="app", PolicyName="add-one", PolicyType="SimpleScaling",
        AdjustmentType="ChangeInCapacity", ScalingAdjustment=1,
    )["PolicyARN"]
    tracking = _alb_policy(autoscaling, label)["PolicyARN"]
    described = autoscaling.describe_policies(AutoScalingGroupName="app")["ScalingPolicies"]
    assert [(p["PolicyName"], p["PolicyType"]) for p in described] == [
        ("add-one", "SimpleScaling"), ("requests", "TargetTrackingScaling")]
    assert {p["PolicyARN"] for p in described} == {simple, tracking}
    only = autoscaling.describe_policies(AutoScalingGroupName="app", PolicyTypes=["TargetTrackingScaling"])
    assert [p["PolicyName"] for p in only["ScalingPolicies"]] == ["requests"]
    page = autoscaling.describe_policies(AutoScalingGroupName="app", MaxRecords=1)
    assert len(page["ScalingPolicies"]) == 1 and page["NextToken"]
    rest = autoscaling.describe_policies(AutoScalingGroupName="app", MaxRecords=1, NextToken=page["NextToken"])
    assert [p["PolicyName"] for p in rest["ScalingPolicies"]] == ["requests"] and "NextToken" not in rest
