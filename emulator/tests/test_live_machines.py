"""Live machines (`server.py --machines nspawn`): instances are systemd-nspawn
machines booted from image disks, and SSM Run Command really runs.

Needs root and systemd-nspawn (else every test but the refusal one is skipped,
loudly); the first run builds the base rootfs with debootstrap (minutes, then
cached). Traffic goes only to loopback and to the instances' namespaces.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.request

import pytest
from botocore.exceptions import ClientError

from emulator.tests.conftest import SERVER, wait_for
from emulator.live.host import cmdline, is_dead
from emulator.tests.live_machines_support import (
    STOP_TIMEOUT,
    LiveServer,
    base_image_id,
    base_rootfs,
    gone,
    launch,
    live_status,
    machine_of,
    make_profile,
    mounted,
    remove_live_dir,
    ping,
    run,
    running_live_server,
    send,
    skip_reason,
    state_of,
    wait_state,
)

_reason = skip_reason()
if _reason:
    print(f"\nSKIPPING live machine tests (NOT RUN, nothing about live machines was checked): {_reason}")
needs_machines = pytest.mark.skipif(_reason is not None, reason=_reason or "")
# One live emulator per host: live suites share one test worker (pytest-xdist).
pytestmark = pytest.mark.xdist_group("live")


@pytest.fixture(scope="class")
def live():
    with running_live_server("rr-live-test-") as server:
        yield server


@pytest.fixture
def emu(live):
    live.emu.reset()
    return live.emu


@pytest.fixture
def aws(emu):
    ec2, ssm, iam = emu.client("ec2"), emu.client("ssm"), emu.client("iam")
    return ec2, ssm, make_profile(iam), base_image_id(ec2)


@needs_machines
class TestLiveMachines:
    def test_the_base_image_is_amazon_owned_and_found_by_name(self, emu):
        ec2 = emu.client("ec2")
        image = ec2.describe_images(ImageIds=[base_image_id(ec2)])["Images"][0]
        assert image["State"] == "available"
        assert image["ImageOwnerAlias"] == "amazon"
        assert image["Name"] == "debian-12-amd64-roundrobin-base"
        assert live_status(emu)["base_image_ids"]["us-east-1"] == image["ImageId"]

    def test_an_image_without_a_disk_does_not_boot(self, emu):
        ec2 = emu.client("ec2")
        others = [i for i in ec2.describe_images(Owners=["amazon"])["Images"] if i["Name"] != "debian-12-amd64-roundrobin-base"]
        with pytest.raises(ClientError) as err:
            ec2.run_instances(ImageId=others[0]["ImageId"], MinCount=1, MaxCount=1)
        assert err.value.response["Error"]["Code"] == "InvalidAMIID.Unavailable"
        assert "has no disk" in err.value.response["Error"]["Message"]
        assert ec2.describe_instances()["Reservations"] == []

    def test_a_machine_boots_and_answers(self, aws):
        ec2, ssm, profile, image = aws
        instance_id = launch(ec2, ssm, image, profile, wait=False)
        assert state_of(ec2, instance_id) == "pending"
        wait_state(ec2, instance_id, "running")
        wait_for(lambda: ping(ssm, instance_id) == "Online", timeout=30)
        node = ssm.describe_instance_information()["InstanceInformationList"][0]
        assert (node["PlatformName"], node["PlatformVersion"]) == ("Debian GNU/Linux", "12")
        described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        address = described["PrivateIpAddress"]
        out = run(ssm, instance_id, ["hostname", "ip -4 addr show eth0"])
        assert out["Status"] == "Success", out
        assert out["StandardOutputContent"].splitlines()[0] == described["PrivateDnsName"].split(".")[0]
        assert f"inet {address}/" in out["StandardOutputContent"]
        server = (
            "nohup node -e 'require(\"http\").createServer((q, r) => r.end(require(\"os\").hostname() + \"\\n\"))"
            ".listen(8080)' > /dev/null 2>&1 &"
        )
        assert run(ssm, instance_id, [server])["Status"] == "Success"

        def answer():
            try:
                with urllib.request.urlopen(f"http://{address}:8080/", timeout=2) as response:
                    return response.read().decode().strip()
            except OSError:
                return None

        assert wait_for(answer, timeout=20, interval=0.2) == described["PrivateDnsName"].split(".")[0]

    def test_an_auto_scaling_group_launches_machines(self, aws, emu):
        ec2, ssm, profile, image = aws
        ec2.create_launch_template(
            LaunchTemplateName="live",
            LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": profile}},
        )
        asg = emu.client("autoscaling")
        asg.create_auto_scaling_group(
            AutoScalingGroupName="live", MinSize=1, MaxSize=1, DesiredCapacity=1,
            LaunchTemplate={"LaunchTemplateName": "live", "Version": "$Latest"}, AvailabilityZones=["us-east-1a"],
        )
        instance_id = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
        wait_state(ec2, instance_id, "running")
        assert machine_of(emu, instance_id)["booted"]
        wait_for(lambda: ping(ssm, instance_id) == "Online", timeout=30)
        assert run(ssm, instance_id, ["systemctl is-system-running"])["StandardOutputContent"].strip() in ("running", "degraded")
        # An instance refresh launches its replacement as a machine too, and waits
        # for it to boot (pending is not unhealthy).
        emu.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.1})
        ec2.create_launch_template_version(
            LaunchTemplateName="live",
            LaunchTemplateData={"ImageId": image, "InstanceType": "t3.small", "IamInstanceProfile": {"Name": profile}},
        )
        asg.start_instance_refresh(
            AutoScalingGroupName="live",
            Preferences={"MinHealthyPercentage": 0},
            DesiredConfiguration={"LaunchTemplate": {"LaunchTemplateName": "live", "Version": "2"}},
        )

        def refreshed():
            refresh = asg.describe_instance_refreshes(AutoScalingGroupName="live")["InstanceRefreshes"][0]
            return refresh if refresh["Status"] not in ("Pending", "InProgress") else None

        assert wait_for(refreshed, timeout=120, interval=0.5)["Status"] == "Successful"
        replacement = asg.describe_auto_scaling_groups()["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
        assert replacement != instance_id and machine_of(emu, replacement)["booted"]
        wait_state(ec2, instance_id, "terminated", timeout=STOP_TIMEOUT)

    def test_an_ssm_command_really_runs(self, aws):
        ec2, ssm, profile, image = aws
        instance_id = launch(ec2, ssm, image, profile)
        failed = run(ssm, instance_id, ["echo out", "echo err >&2", "exit 3"])
        assert (failed["Status"], failed["ResponseCode"]) == ("Failed", 3)
        assert (failed["StandardOutputContent"], failed["StandardErrorContent"]) == ("out\n", "err\n")
        assert run(ssm, instance_id, ["id -u", "pwd"], workingDirectory=["/var/tmp"])["StandardOutputContent"] == "0\n/var/tmp\n"
        big = run(ssm, instance_id, ["head -c 30000 /dev/zero | tr '\\0' a", "head -c 9000 /dev/zero | tr '\\0' b >&2"])
        assert big["Status"] == "Success"
        assert big["StandardOutputContent"] == "a" * 24000
        assert big["StandardErrorContent"] == "b" * 8000
        slow = send(ssm, instance_id, ["sleep 2", "echo slept"])
        assert ssm.get_command_invocation(CommandId=slow, InstanceId=instance_id)["Status"] == "InProgress"
        assert run(ssm, instance_id, ["true"])["Status"] == "Success"  # a second command runs meanwhile
        done = wait_for(
            lambda: (lambda i: i if i["Status"] != "InProgress" else None)(
                ssm.get_command_invocation(CommandId=slow, InstanceId=instance_id)
            ),
            timeout=30,
        )
        assert (done["Status"], done["StandardOutputContent"]) == ("Success", "slept\n")
        timed = send(ssm, instance_id, ["sleep 60"], executionTimeout=["5"])
        result = wait_for(
            lambda: (lambda i: i if i["Status"] != "InProgress" else None)(
                ssm.get_command_invocation(CommandId=timed, InstanceId=instance_id)
            ),
            timeout=30,
        )
        assert (result["Status"], result["StatusDetails"], result["ResponseCode"]) == ("TimedOut", "ExecutionTimedOut", 137)
        assert ssm.list_commands(CommandId=timed)["Commands"][0]["Status"] == "TimedOut"

    def test_a_command_runs_in_the_machines_cgroups_namespaces_and_capabilities(self, aws, emu):
        ec2, ssm, profile, image = aws
        instance_id = launch(ec2, ssm, image, profile)
        machine = machine_of(emu, instance_id)
        init = init_pid_of(machine["nspawn_pid"])
        sentinel = subprocess.Popen(["sleep", "271828"])  # a host process the command must not see
        wait_for(lambda: cmdline(sentinel.pid) == ["sleep", "271828"], timeout=10)  # the host sees it
        try:
            out = run(ssm, instance_id, [
                "cat /proc/self/cgroup", "echo ---", "cat /proc/1/cgroup", "echo ---",
                "hostname", "grep CapBnd /proc/self/status",
                "for n in mnt pid net uts ipc cgroup user; do readlink /proc/self/ns/$n; done",
                "echo ---", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '",
            ])  # fmt: skip
        finally:
            sentinel.kill()
            sentinel.wait(10)
        assert out["Status"] == "Success", out
        own, first, rest, processes = out["StandardOutputContent"].split("---\n")
        # The machine's cgroups, as its PID 1 sees them (not outside its cgroup namespace).
        assert own == first and "/init.scope" in own and ".." not in own
        hostname, capbnd, *namespaces = rest.splitlines()
        assert hostname == machine["hostname"]
        assert capbnd.split()[1] == capability_bounding_set(init)
        assert capability_bounding_set(init) != capability_bounding_set(os.getpid())  # not the emulator's
        # Every namespace of the machine's PID 1.
        wanted = [os.readlink(f"/proc/{init}/ns/{n}") for n in ("mnt", "pid", "net", "uts", "ipc", "cgroup", "user")]
        assert namespaces == wanted
        assert "271828" not in processes and "systemd" in processes

    def test_a_file_written_by_a_command_is_in_the_image_made_afterwards(self, aws, emu, live):
        ec2, ssm, profile, image = aws
        builder = launch(ec2, ssm, image, profile)
        assert run(ssm, builder, ["echo baked-$(hostname) > /etc/rr-marker", "rm /etc/motd"])["Status"] == "Success"
        baked = ec2.create_image(InstanceId=builder, Name="live-baked")["ImageId"]
        assert ec2.describe_images(ImageIds=[baked])["Images"][0]["State"] == "pending"
        wait_for(lambda: ec2.describe_images(ImageIds=[baked])["Images"][0]["State"] == "available", timeout=120)
        assert os.path.isdir(os.path.join(live.live_dir, "images", baked, "layer"))
        # CreateImage rebooted the builder (no NoReboot): it comes back.
        wait_for(lambda: ping(ssm, builder) == "Online", timeout=120)
        child = launch(ec2, ssm, baked, profile)
        out = run(ssm, child, ["cat /etc/rr-marker", "hostname", "test -e /etc/motd || echo motd-deleted"])
        lines = out["StandardOutputContent"].splitlines()
        assert lines[0].startswith("baked-ip-") and lines[1] != lines[0].removeprefix("baked-")
        assert lines[2] == "motd-deleted"  # a deletion is part of the image too
        # Deregistering the image (and deleting its snapshot) frees its disk once
        # no instance runs from it.
        snapshot = ec2.describe_images(ImageIds=[baked])["Images"][0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
        ec2.terminate_instances(InstanceIds=[child])
        wait_state(ec2, child, "terminated", timeout=STOP_TIMEOUT)
        ec2.deregister_image(ImageId=baked)
        ec2.delete_snapshot(SnapshotId=snapshot)
        wait_for(lambda: gone(os.path.join(live.live_dir, "images", baked)), timeout=60)

    def test_an_image_of_an_instance_of_a_made_image_keeps_both_layers(self, aws, emu):
        ec2, ssm, profile, image = aws
        first = launch(ec2, ssm, image, profile)
        run(ssm, first, ["echo one > /etc/rr-one"])
        gen1 = ec2.create_image(InstanceId=first, Name="live-gen1", NoReboot=True)["ImageId"]
        wait_for(lambda: ec2.describe_images(ImageIds=[gen1])["Images"][0]["State"] == "available", timeout=120)
        second = launch(ec2, ssm, gen1, profile)
        run(ssm, second, ["echo two > /etc/rr-two", "rm /etc/rr-one"])
        ec2.stop_instances(InstanceIds=[second])
        wait_state(ec2, second, "stopped", timeout=STOP_TIMEOUT)
        gen2 = ec2.create_image(InstanceId=second, Name="live-gen2")["ImageId"]  # from a stopped instance
        wait_for(lambda: ec2.describe_images(ImageIds=[gen2])["Images"][0]["State"] == "available", timeout=120)
        assert state_of(ec2, second) == "stopped"
        third = launch(ec2, ssm, gen2, profile)
        out = run(ssm, third, ["cat /etc/rr-two", "test -e /etc/rr-one || echo one-deleted"])
        assert out["StandardOutputContent"] == "two\none-deleted\n"
        ec2.deregister_image(ImageId=gen1)  # gen2 is built on gen1's layer: the layer stays
        fourth = launch(ec2, ssm, gen2, profile)
        assert run(ssm, fourth, ["cat /etc/rr-two"])["StandardOutputContent"] == "two\n"
        assert os.path.isdir(os.path.join(live_status(emu)["live_dir"], "images", gen1, "layer"))

    def test_no_reboot_keeps_the_instance_online(self, aws):
        ec2, ssm, profile, image = aws
        builder = launch(ec2, ssm, image, profile)
        baked = ec2.create_image(InstanceId=builder, Name="live-noreboot", NoReboot=True)["ImageId"]
        wait_for(lambda: ec2.describe_images(ImageIds=[baked])["Images"][0]["State"] == "available", timeout=120)
        assert ping(ssm, builder) == "Online"

    def test_stop_and_start_keep_the_disk(self, aws, emu):
        ec2, ssm, profile, image = aws
        instance_id = launch(ec2, ssm, image, profile)
        assert run(ssm, instance_id, ["echo kept > /root/kept"])["Status"] == "Success"
        ec2.stop_instances(InstanceIds=[instance_id])
        assert state_of(ec2, instance_id) in ("stopping", "stopped")
        wait_state(ec2, instance_id, "stopped", timeout=STOP_TIMEOUT)
        assert ping(ssm, instance_id) == "ConnectionLost"
        assert not mounted(machine_of(emu, instance_id)["root"])
        ec2.start_instances(InstanceIds=[instance_id])
        assert state_of(ec2, instance_id) == "pending"
        wait_state(ec2, instance_id, "running")
        wait_for(lambda: ping(ssm, instance_id) == "Online", timeout=30)
        assert run(ssm, instance_id, ["cat /root/kept"])["StandardOutputContent"] == "kept\n"

    def test_terminate_removes_the_overlay_and_the_namespace(self, aws, emu):
        ec2, ssm, profile, image = aws
        instance_id = launch(ec2, ssm, image, profile)
        machine = machine_of(emu, instance_id)
        assert mounted(machine["root"]) and os.path.exists(f"/run/netns/{machine['netns']}")
        ec2.terminate_instances(InstanceIds=[instance_id])
        assert state_of(ec2, instance_id) in ("shutting-down", "terminated")
        wait_state(ec2, instance_id, "terminated", timeout=STOP_TIMEOUT)
        assert not mounted(machine["root"])
        assert gone(os.path.dirname(machine["root"]))
        assert gone(f"/run/netns/{machine['netns']}")
        assert gone(f"/sys/class/net/rrh{instance_id[-12:]}")
        assert machine_of(emu, instance_id) is None

    def test_a_reset_removes_every_machine(self, aws, emu):
        ec2, ssm, profile, image = aws
        instance_id = launch(ec2, ssm, image, profile)
        machine = machine_of(emu, instance_id)
        emu.reset()
        assert live_status(emu)["machines"] == []
        assert not mounted(machine["root"]) and gone(os.path.dirname(machine["root"]))
        assert gone(f"/run/netns/{machine['netns']}")
        assert base_image_id(emu.client("ec2")) == image  # registered again


def init_pid_of(nspawn_pid: int) -> int:
    """The host PID of the machine's PID 1: systemd-nspawn's child."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == nspawn_pid:
                        return int(entry)
            except (OSError, IndexError, ValueError):
                continue
    raise AssertionError(f"systemd-nspawn {nspawn_pid} has no child")


def capability_bounding_set(pid: int) -> str:
    with open(f"/proc/{pid}/status") as status:
        return next(line.split()[1] for line in status if line.startswith("CapBnd:"))


@pytest.fixture
def rootfs_path():
    return base_rootfs()


@needs_machines
def test_a_crashed_emulators_leftovers_are_swept_by_the_next_start(rootfs_path):
    live_dir = tempfile.mkdtemp(prefix="rr-live-crash-", dir="/var/tmp")
    try:
        _crash_then_sweep(live_dir, rootfs_path)
    finally:
        remove_live_dir(live_dir)


def _crash_then_sweep(live_dir: str, rootfs_path: str) -> None:
    first = LiveServer(live_dir, rootfs_path)
    try:
        emu = first.start()
        ec2, ssm = emu.client("ec2"), emu.client("ssm")
        instance_id = launch(ec2, ssm, base_image_id(ec2), make_profile(emu.client("iam")))
        machine = machine_of(emu, instance_id)
    finally:
        first.crash()
        first.stop()  # only removes its log: the process is already dead
    assert not is_dead(machine["nspawn_pid"])  # kill -9 left the machine running
    assert mounted(machine["root"]) and os.path.exists(f"/run/netns/{machine['netns']}")
    second = LiveServer(live_dir, rootfs_path)
    try:
        second.start()
        assert is_dead(machine["nspawn_pid"])
        assert not mounted(machine["root"]) and gone(os.path.dirname(machine["root"]))
        assert gone(f"/run/netns/{machine['netns']}")
        assert "swept leftover" in second.stderr()
        # An orderly stop (SIGTERM) leaves nothing behind either.
        ec2 = second.emu.client("ec2")
        instance_id = launch(ec2, second.emu.client("ssm"), base_image_id(ec2), make_profile(second.emu.client("iam")))
        machine = machine_of(second.emu, instance_id)
    finally:
        second.stop()
    assert is_dead(machine["nspawn_pid"])
    assert not mounted(machine["root"]) and gone(os.path.dirname(machine["root"]))
    assert gone(f"/run/netns/{machine['netns']}")


def test_machines_nspawn_refuses_to_start_without_systemd_nspawn():
    empty = tempfile.mkdtemp(prefix="rr-no-tools-")
    try:
        done = subprocess.run(
            [*SERVER, "--port", "0", "--machines", "nspawn", "--live-dir", os.path.join(empty, "live")],
            env={**os.environ, "PATH": empty},
            capture_output=True, text=True, timeout=60,
        )
    finally:
        os.rmdir(empty)
    assert done.returncode == 2, done.stderr
    assert "emulator ready" not in done.stdout
    assert "--machines nspawn refused" in done.stderr
    assert "`systemd-nspawn` is not on the PATH: apt-get install systemd-container" in done.stderr
