"""Helpers for the live machine tests: an emulator started with `--machines
nspawn` on a free loopback port, and the waits and SSM calls the tests repeat.
Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from emulator.tests.conftest import SERVER, Emulator, _drain, _wait_ready, wait_for

from emulator.live import rootfs  # noqa: E402

BASE_NAME = "debian-12-amd64-roundrobin-base"
BOOT_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0
ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "live machine tests need root (overlay mounts, network namespaces, systemd-nspawn)"
    if shutil.which("systemd-nspawn") is None:
        return "live machine tests need systemd-nspawn (apt-get install systemd-container)"
    if not rootfs.is_complete(rootfs.cached_path()) and shutil.which("debootstrap") is None:
        return "live machine tests need the base rootfs or debootstrap to build it (apt-get install debootstrap)"
    return None


def base_rootfs() -> str:
    """The shared cached rootfs, built with debootstrap the first time (minutes)."""
    return rootfs.ensure_rootfs(log=sys.stderr).path


class LiveServer:
    """server.py --machines nspawn with its own live directory."""

    def __init__(self, live_dir: str, rootfs_path: str, extra_env: dict[str, str] | None = None):
        self.live_dir = live_dir
        self.rootfs = rootfs_path
        self.env = {**os.environ, **(extra_env or {})}
        self.log = tempfile.NamedTemporaryFile(mode="w+", prefix="rr-live-emulator-", suffix=".log", delete=False)
        self.proc: subprocess.Popen[str] | None = None
        self.emu: Emulator | None = None
        self.final_stderr = ""

    def argv(self) -> list[str]:
        return [
            *SERVER, "--port", "0", "--host", "127.0.0.1",
            "--machines", "nspawn", "--live-dir", self.live_dir, "--base-rootfs", self.rootfs,
        ]

    def start(self, wait_for_host: float = 600.0) -> Emulator:
        """Starts the emulator; while another live emulator holds the host (one at
        a time per host), waits for it at most `wait_for_host` seconds."""
        deadline = time.monotonic() + wait_for_host
        while True:
            self.log.seek(0)
            self.log.truncate()
            self.proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stderr=self.log, text=True, env=self.env)
            try:
                url = _wait_ready(self.proc)
                break
            except RuntimeError:
                busy = "is running on this host" in self.stderr()
                if not busy or time.monotonic() > deadline:
                    raise RuntimeError("live emulator failed to start:\n" + self.stderr()[-4000:]) from None
                time.sleep(2)
        threading.Thread(target=_drain, args=(self.proc.stdout,), daemon=True).start()
        self.emu = Emulator(url)
        return self.emu

    def stderr(self) -> str:
        with open(self.log.name) as f:
            return f.read()

    def stop(self, timeout: float = 90.0) -> None:
        """SIGTERM and wait; what it printed stays in `final_stderr`."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if not self.log.closed:
            self.final_stderr = self.stderr()
        self.log.close()
        try:
            os.unlink(self.log.name)
        except OSError:
            pass

    def crash(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # SIGKILL: no cleanup at all
            self.proc.wait(10)


def live_status(emu: Emulator) -> dict[str, Any]:
    return emu.ok("GET", "/_emulator/live")


def machine_of(emu: Emulator, instance_id: str) -> dict[str, Any] | None:
    return next((m for m in live_status(emu)["machines"] if m["instance_id"] == instance_id), None)


def base_image_id(ec2: Any) -> str:
    images = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": [BASE_NAME]}])["Images"]
    assert len(images) == 1, images
    return images[0]["ImageId"]


def make_profile(iam: Any, name: str = "live-ssm") -> str:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ROLE_POLICY))
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return name


def state_of(ec2: Any, instance_id: str) -> str:
    reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def wait_state(ec2: Any, instance_id: str, wanted: str, timeout: float = BOOT_TIMEOUT) -> None:
    wait_for(lambda: state_of(ec2, instance_id) == wanted, timeout=timeout, interval=0.25)


def ping(ssm: Any, instance_id: str) -> str | None:
    nodes = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])
    found = nodes["InstanceInformationList"]
    return found[0]["PingStatus"] if found else None


def launch(ec2: Any, ssm: Any, image_id: str, profile: str, wait: bool = True) -> str:
    reservation = ec2.run_instances(
        ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro", IamInstanceProfile={"Name": profile}
    )
    instance_id = reservation["Instances"][0]["InstanceId"]
    if wait:
        wait_state(ec2, instance_id, "running")
        wait_for(lambda: ping(ssm, instance_id) == "Online", timeout=30, interval=0.25)
    return instance_id


def send(ssm: Any, instance_id: str, commands: list[str], **parameters: list[str]) -> str:
    response = ssm.send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": commands, **parameters},
    )
    return response["Command"]["CommandId"]


def finished(ssm: Any, command_id: str, instance_id: str, timeout: float = 60.0) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        return None if invocation["Status"] in ("Pending", "InProgress", "Delayed") else invocation

    return wait_for(done, timeout=timeout, interval=0.2)


def run(ssm: Any, instance_id: str, commands: list[str], timeout: float = 60.0, **parameters: list[str]) -> dict[str, Any]:
    return finished(ssm, send(ssm, instance_id, commands, **parameters), instance_id, timeout)


def gone(path: str) -> bool:
    return not os.path.exists(path)


def mounted(path: str) -> bool:
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts if len(line.split()) > 1)


def remove_live_dir(path: str) -> None:
    """Removes a test's live directory unless something is still mounted in it."""
    with open("/proc/self/mounts") as mounts:
        busy = any(line.split()[1].startswith(path.rstrip("/") + "/") for line in mounts if len(line.split()) > 1)
    if not busy:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def running_live_server(prefix: str) -> Iterator[LiveServer]:
    """A live emulator on the base rootfs in a fresh live directory, stopped and
    its directory removed afterwards."""
    live_dir = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
    server = LiveServer(live_dir, base_rootfs())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        remove_live_dir(live_dir)
