"""SSM: managed nodes (DescribeInstanceInformation) and Run Command outcomes."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from emulator.tests.aws_stack import al2023_images, build_stack, group, instance_profile
from emulator.tests.conftest import wait_for


def _launch(ec2, profile=None):
    args = {"ImageId": al2023_images(ec2)[0], "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"}
    if profile:
        args["IamInstanceProfile"] = {"Name": profile}
    return ec2.run_instances(**args)["Instances"][0]["InstanceId"]


def _nodes(ssm, **kwargs):
    return ssm.describe_instance_information(**kwargs)["InstanceInformationList"]


def test_only_instances_with_a_profile_are_online(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    profile = instance_profile(emu.client("iam"))
    managed, unmanaged = _launch(ec2, profile), _launch(ec2)

    nodes = {n["InstanceId"]: n for n in _nodes(ssm)}
    assert set(nodes) == {managed}
    node = nodes[managed]
    assert node["PingStatus"] == "Online" and node["PlatformType"] == "Linux"
    assert node["ResourceType"] == "EC2Instance" and node["AgentVersion"]
    by_filter = _nodes(ssm, Filters=[{"Key": "InstanceIds", "Values": [managed, unmanaged]}])
    assert [n["InstanceId"] for n in by_filter] == [managed]
    legacy = _nodes(ssm, InstanceInformationFilterList=[{"key": "InstanceIds", "valueSet": [unmanaged]}])
    assert legacy == []
    with pytest.raises(ClientError) as err:
        _nodes(ssm, Filters=[{"Key": "Colour", "Values": ["blue"]}])
    assert err.value.response["Error"]["Code"] == "InvalidFilterKey"

    ec2.stop_instances(InstanceIds=[managed])
    assert _nodes(ssm)[0]["PingStatus"] == "ConnectionLost"
    ec2.terminate_instances(InstanceIds=[managed])
    assert _nodes(ssm) == []


def test_online_delay_and_group_instances_from_a_template_profile(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    profile = instance_profile(emu.client("iam"))
    emu.ok("POST", "/_emulator/timing", {"ssm_online_delay_seconds": 1.0})
    build_stack(ec2, emu.client("elbv2"), emu.client("autoscaling"), capacity=2, profile=profile)
    ids = sorted(i["InstanceId"] for i in group(emu.client("autoscaling"))["Instances"])
    by_ids = [{"Key": "InstanceIds", "Values": ids}]

    assert _nodes(ssm, Filters=by_ids) == []
    nodes = wait_for(lambda: (found := _nodes(ssm, Filters=by_ids)) and len(found) == 2 and found, timeout=5)
    assert {n["PingStatus"] for n in nodes} == {"Online"}


def test_send_command_needs_an_instance_that_can_be_a_managed_node(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    unmanaged = _launch(ec2)
    for target in (unmanaged, "i-0123456789abcdef0"):
        with pytest.raises(ClientError) as err:
            ssm.send_command(
                InstanceIds=[target], DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]}
            )
        assert err.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_command_outcome_control(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    emu.ok(
        "POST",
        "/_emulator/ssm/command-outcomes",
        {"match": "install.sh", "status": "Failed", "stdout": "step 1", "stderr": "boom", "exit_code": 3},
    )

    def run(command):
        sent = ssm.send_command(
            InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": [command]}
        )["Command"]["CommandId"]
        return sent, ssm.get_command_invocation(CommandId=sent, InstanceId=instance)

    failed_id, failed = run("sudo bash /tmp/install.sh")
    assert failed["Status"] == "Failed" and failed["StatusDetails"] == "Failed"
    assert failed["ResponseCode"] == 3
    assert failed["StandardOutputContent"] == "step 1" and failed["StandardErrorContent"] == "boom"
    listed = ssm.list_commands(CommandId=failed_id)["Commands"][0]
    assert listed["Status"] == "Failed" and listed["Parameters"]["commands"] == ["sudo bash /tmp/install.sh"]

    _, ok = run("systemctl is-active nodeapp")
    assert ok["Status"] == "Success" and ok["ResponseCode"] == 0 and ok["StandardOutputContent"] == ""

    emu.ok("DELETE", "/_emulator/ssm/command-outcomes")
    _, again = run("sudo bash /tmp/install.sh")
    assert again["Status"] == "Success"


def test_command_in_progress_then_done_and_unknown_invocations(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    other = _launch(ec2, instance_profile(emu.client("iam"), "other-profile"))
    emu.ok("POST", "/_emulator/timing", {"ssm_command_delay_seconds": 0.3})
    command_id = ssm.send_command(
        InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": ["uptime"]}
    )["Command"]["CommandId"]

    first = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance)
    assert first["Status"] == "InProgress" and first["ResponseCode"] == -1
    wait_for(lambda: ssm.get_command_invocation(CommandId=command_id, InstanceId=instance)["Status"] == "Success")

    for command, target in ((command_id, other), (str(uuid.uuid4()), instance)):
        with pytest.raises(ClientError) as err:
            ssm.get_command_invocation(CommandId=command, InstanceId=target)
        assert err.value.response["Error"]["Code"] == "InvocationDoesNotExist"


def _send(ssm, instance, command="true", **extra):
    return ssm.send_command(
        InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": [command]}, **extra
    )["Command"]["CommandId"]


def _invocation(ssm, command_id, instance):
    return ssm.get_command_invocation(CommandId=command_id, InstanceId=instance)


def test_a_command_to_a_terminated_instance_is_refused(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    ec2.terminate_instances(InstanceIds=[instance])
    with pytest.raises(ClientError) as err:
        _send(ssm, instance)
    assert err.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_a_command_to_a_booting_instance_is_pending_then_delayed_then_runs(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    profile = instance_profile(emu.client("iam"))
    emu.ok("POST", "/_emulator/timing", {"ssm_online_delay_seconds": 2.5})
    emu.ok("POST", "/_emulator/ssm/command-outcomes", {"match": "install", "status": "Success", "stdout": "done"})
    instance = _launch(ec2, profile)
    assert _nodes(ssm) == []  # not registered yet, but SendCommand accepts it

    command_id = _send(ssm, instance, "install")
    first = _invocation(ssm, command_id, instance)
    assert first["Status"] == "Pending" and first["ResponseCode"] == -1 and first["StandardOutputContent"] == ""
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Pending"

    delayed = wait_for(lambda: (got := _invocation(ssm, command_id, instance))["Status"] == "Delayed" and got, timeout=5)
    assert delayed["StatusDetails"] == "Delayed"

    done = wait_for(lambda: (got := _invocation(ssm, command_id, instance))["Status"] == "Success" and got, timeout=10)
    assert done["StandardOutputContent"] == "done" and done["ResponseCode"] == 0
    assert ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == "Success"


def test_a_command_to_a_stopped_instance_waits_and_ends_when_its_instance_is_terminated(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    ec2.stop_instances(InstanceIds=[instance])
    command_id = _send(ssm, instance)
    assert _invocation(ssm, command_id, instance)["Status"] == "Pending"
    ec2.terminate_instances(InstanceIds=[instance])
    gone = _invocation(ssm, command_id, instance)
    assert gone["Status"] == "Failed" and gone["StatusDetails"] == "Undeliverable"


def test_an_undelivered_command_with_a_delivery_timeout_is_pending(emu):
    ec2, ssm = emu.client("ec2"), emu.client("ssm")
    emu.ok("POST", "/_emulator/timing", {"ssm_online_delay_seconds": 3600})
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    command_id = ssm.send_command(
        InstanceIds=[instance],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": ["true"], "executionTimeout": ["0"]},
        TimeoutSeconds=30,
    )["Command"]["CommandId"]
    assert _invocation(ssm, command_id, instance)["Status"] == "Pending"
    # The deadline (TimeoutSeconds + executionTimeout) is 30 s away: a test does not
    # wait for it; the unit below checks the rule itself.


def test_delivery_rules():
    from emulator.ssm import delivery

    waiting = delivery.Delivery(sent_at=100.0, deadline=delivery.delivery_deadline(100.0, 30, {"executionTimeout": ["5"]}), final={"Status": "Success"})
    assert waiting.deadline == 135.0
    assert delivery.delivery_deadline(0.0, None, None) == 7200.0  # AWS's defaults: 3600 + 3600

    class Instance:
        state = "running"

    invocation: dict = {}
    assert not delivery.step(waiting, invocation, Instance(), False, 100.5)
    assert invocation["Status"] == "Pending"
    assert not delivery.step(waiting, invocation, Instance(), False, 102.0)
    assert invocation["Status"] == "Delayed"
    assert delivery.step(waiting, invocation, Instance(), False, 135.0)
    assert (invocation["Status"], invocation["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")
    delivered: dict = {}
    assert delivery.step(waiting, delivered, Instance(), True, 120.0)
    assert delivered["Status"] == "Success"


def test_the_whole_output_goes_to_the_output_bucket_once_the_command_ends(emu):
    """GetCommandInvocation cuts stdout at 24,000 characters; with an output
    bucket SSM uploads the whole of each stream under
    <prefix>/<command>/<instance>/awsrunShellScript/0.awsrunShellScript/."""
    ec2, ssm, s3 = emu.client("ec2"), emu.client("ssm"), emu.client("s3")
    s3.create_bucket(Bucket="command-output")
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    long = "".join(f"{n}\n" for n in range(1, 20001))
    emu.ok(
        "POST",
        "/_emulator/ssm/command-outcomes",
        {"match": "seq", "status": "Failed", "stdout": long, "stderr": "boom\n", "exit_code": 3},
    )
    command = ssm.send_command(
        InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": ["seq 1 20000"]},
        OutputS3BucketName="command-output", OutputS3KeyPrefix="runs/",
    )["Command"]["CommandId"]
    invocation = ssm.get_command_invocation(CommandId=command, InstanceId=instance)
    assert len(invocation["StandardOutputContent"]) == 24000
    base = f"runs/{command}/{instance}/awsrunShellScript/0.awsrunShellScript"
    stdout = s3.get_object(Bucket="command-output", Key=f"{base}/stdout")["Body"].read().decode()
    assert stdout == long
    stderr = s3.get_object(Bucket="command-output", Key=f"{base}/stderr")["Body"].read().decode()
    assert stderr == "boom\n"


def test_a_missing_output_bucket_gets_nothing_and_the_command_is_unchanged(emu):
    ec2, ssm, s3 = emu.client("ec2"), emu.client("ssm"), emu.client("s3")
    instance = _launch(ec2, instance_profile(emu.client("iam")))
    command = ssm.send_command(
        InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": ["true"]},
        OutputS3BucketName="no-such-bucket",
    )["Command"]["CommandId"]
    assert ssm.get_command_invocation(CommandId=command, InstanceId=instance)["Status"] == "Success"
    assert "no-such-bucket" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
