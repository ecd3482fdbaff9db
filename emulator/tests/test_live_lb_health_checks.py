"""A live load balancer's health checks decide its targets' states as
DescribeTargetHealth shows them: `initial` until the healthy threshold is met,
`unhealthy` with Target.FailedHealthChecks after failing checks, healthy again
once the target serves, and Target.ResponseCodeMismatch when the answer's code
is not the matcher's.

The test bed (targets in network namespaces, traffic only to loopback or into
them, health checks at 0.05 x their interval) is live_lb_testbed.py.
"""

from __future__ import annotations

from emulator.tests.aws_stack import al2023_images, target_health
from emulator.tests.conftest import wait_for
from emulator.tests.live_lb_support import get, lb_url
from emulator.tests.live_lb_testbed import (
    LIVE_LB_MARKS,
    make_load_balancer,
    make_target_group,
    target_states,
    vpc_subnets,
    web_stack,
)
from emulator.tests.live_lb_testbed import emu, live, run_lock, targets  # noqa: F401 (fixtures)

pytestmark = LIVE_LB_MARKS


def test_health_transitions(emu, targets):
    ec2, elbv2 = emu.client("ec2"), emu.client("elbv2")
    subnets = vpc_subnets(ec2)
    target = targets.launch(ec2, al2023_images(ec2)[0], subnets[0]["SubnetId"], "only")
    # Slow checks (interval 20 s x 0.05 = 1 s, three to become healthy) so `initial` is observable.
    arn = make_target_group(elbv2, subnets[0]["VpcId"], "slow-checks", HealthCheckIntervalSeconds=20,
                            HealthCheckTimeoutSeconds=5, HealthyThresholdCount=3)
    lb, _ = make_load_balancer(elbv2, subnets, [{"Type": "forward", "TargetGroupArn": arn}])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": target.instance_id}])

    first = target_health(elbv2, arn)[target.instance_id]
    assert first["State"] == "initial"
    assert first["Reason"] in ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")
    wait_for(lambda: target_states(elbv2, arn)[target.instance_id] == "healthy", timeout=10)

    target.stop()
    wait_for(lambda: target_states(elbv2, arn)[target.instance_id] == "unhealthy", timeout=10)
    assert target_health(elbv2, arn)[target.instance_id]["Reason"] == "Target.FailedHealthChecks"

    target.start("only")
    wait_for(lambda: target_states(elbv2, arn)[target.instance_id] == "healthy", timeout=10)
    assert get(lb_url(emu, lb["DNSName"])) == (200, "only")


def test_response_code_mismatch(emu, targets):
    ec2, elbv2, arn, lb, wired = web_stack(emu, targets, count=1, Matcher={"HttpCode": "204"})
    wait_for(lambda: target_states(elbv2, arn)[wired[0].instance_id] == "unhealthy", timeout=10)
    health = target_health(elbv2, arn)[wired[0].instance_id]
    assert health["Reason"] == "Target.ResponseCodeMismatch"
    assert "200" in health["Description"]
