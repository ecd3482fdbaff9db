"""SSM on live machines.

* DescribeInstanceInformation / SendCommand targets: an instance with a profile
  is Online only once its machine has booted; while it reboots (or is made
  into an image with a reboot) it is ConnectionLost.
* DescribeInstanceInformation names the machines' platform (Debian GNU/Linux 12).
* SendCommand with AWS-RunShellScript runs the commands in each target machine
  (runshell.py) in a background thread: the invocation is InProgress until they
  end, then Success / Failed / TimedOut with the real exit code and output. The
  command's Status, CompletedCount and ErrorCount follow its invocations. The
  command-outcome control is not used for live instances.
* An invocation for a machine that is not Online yet (still booting, rebooting,
  stopped) is Pending, then Delayed, and runs once the machine is Online; it ends
  TimedOut/DeliveryTimedOut at its delivery deadline, Failed/Undeliverable when the
  instance is terminated first (ssm/delivery.py; Systems Manager user guide,
  "Understanding command statuses"). A thread per waiting invocation checks every
  DELIVERY_POLL_SECONDS, bounded by the deadline, and stops at a reset.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.ssm.models import Command, SimpleSystemManagerBackend

from emulator.ssm import agents as ssm
from emulator.ssm import delivery, output_s3
from emulator.live import instances, runshell
from emulator.state import LOCK

RUN_SHELL = "AWS-RunShellScript"
DELIVERY_POLL_SECONDS = 0.5
_originals: dict[str, Any] = {}


def _ping_status(ec2_backend: Any, instance: Any) -> str | None:
    status = _originals["ping_status"](ec2_backend, instance)
    live = instances.get(instance.id)
    if live is None or status != "Online":
        return status
    if live.booted:
        return "Online"
    return "ConnectionLost" if live.ever_booted else None


def _information(ec2_backend: Any, instance: Any, status: str) -> dict[str, Any]:
    info = _originals["information"](ec2_backend, instance, status)
    if instances.get(instance.id) is not None:
        info.update(PlatformName="Debian GNU/Linux", PlatformVersion="12")  # what the machines run
    return info


def _in_progress(invocation: dict[str, Any]) -> None:
    invocation.update(
        {
            "Status": "InProgress",
            "StatusDetails": "InProgress",
            "ResponseCode": -1,
            "StandardOutputContent": "",
            "StandardErrorContent": "",
            "ExecutionStartDateTime": "",
            "ExecutionEndDateTime": "",
            "ExecutionElapsedTime": "",
        }
    )


def _elapsed(result: runshell.Result) -> str:
    return f"PT{(result.ended - result.started).total_seconds():.3f}S"


def _summarize(command: Command) -> None:
    delivery.summarize(command)


def _run(live: instances.LiveInstance, command: Command, invocation: dict[str, Any]) -> None:
    try:
        result = runshell.run(live.machine, live.id, live.region, command.command_id, command.parameters or {})
    except Exception as err:  # a failure of the emulator itself, reported on the invocation
        started = runshell._now()
        result = runshell.Result("Failed", "Failed", 1, "", f"emulator: {err}"[:8000], started, started)
    with LOCK:
        invocation.update(
            {
                "Status": result.status,
                "StatusDetails": result.status_details,
                "ResponseCode": result.exit_code,
                "StandardOutputContent": result.stdout,
                "StandardErrorContent": result.stderr,
                "ExecutionStartDateTime": result.started.isoformat(),
                "ExecutionEndDateTime": result.ended.isoformat(),
                "ExecutionElapsedTime": _elapsed(result),
            }
        )
        output_s3.keep(
            command,
            live.id,
            runshell.read_whole(result.stdout_file) or result.stdout,
            runshell.read_whole(result.stderr_file) or result.stderr,
        )
        _summarize(command)


def _deliver(
    backend: SimpleSystemManagerBackend, live: instances.LiveInstance, command: Command,
    invocation: dict[str, Any], waiting: delivery.Delivery,
) -> None:
    """Waits (bounded by the delivery deadline) until the machine is Online, then runs."""
    stop = threading.Event()
    while not stop.wait(DELIVERY_POLL_SECONDS):
        with LOCK:
            online = ssm.is_online(backend.account_id, backend.region_name, live.id)
            instance = _ec2_instance(backend, live.id)  # None after a reset: Undeliverable, the thread ends
            if online:
                _in_progress(invocation)
                _summarize(command)
            elif delivery.step(waiting, invocation, instance, False, delivery.now()):
                _summarize(command)
                return
            else:
                _summarize(command)
                continue
        _run(live, command, invocation)
        return


def _ec2_instance(backend: SimpleSystemManagerBackend, instance_id: str) -> Any:
    from moto.ec2 import ec2_backends

    return ec2_backends[backend.account_id][backend.region_name].get_instance_by_id(instance_id)


def _send_command(self: SimpleSystemManagerBackend, **kwargs: Any) -> Command:
    command = _originals["send_command"](self, **kwargs)
    if command.document_name != RUN_SHELL:
        return command
    waiting_all: dict[str, delivery.Delivery] = getattr(command, "emu_waiting", {})
    runs = []
    deliveries = []
    for invocation in command.invocations:
        live = instances.get(invocation["InstanceId"])
        if live is None:
            continue
        waiting = waiting_all.pop(live.id, None)
        if waiting is not None:
            deliveries.append((live, invocation, waiting))  # stays Pending until Online
        else:
            _in_progress(invocation)
            runs.append((live, invocation))
    if not runs and not deliveries:
        return command
    command.emu_live = True
    _summarize(command)
    for live, invocation in runs:
        threading.Thread(target=_run, args=(live, command, invocation), daemon=True).start()
    for live, invocation, waiting in deliveries:
        threading.Thread(target=_deliver, args=(self, live, command, invocation, waiting), daemon=True).start()
    return command


def _get_command_invocation(
    self: SimpleSystemManagerBackend, command_id: str, instance_id: str, plugin_name: str | None
) -> dict[str, Any]:
    answer = _originals["get_command_invocation"](self, command_id, instance_id, plugin_name)
    command = next((c for c in self._commands if c.command_id == command_id), None)
    if command is None or not getattr(command, "emu_live", False):
        return answer
    invocation = next(i for i in command.invocations if i["InstanceId"] == instance_id)
    return dict(invocation)


def install() -> None:
    if _originals:
        return
    _originals.update(
        ping_status=ssm.ping_status,
        information=ssm._information,
        send_command=SimpleSystemManagerBackend.send_command,
        get_command_invocation=SimpleSystemManagerBackend.get_command_invocation,
    )
    ssm.ping_status = _ping_status
    ssm._information = _information
    SimpleSystemManagerBackend.send_command = _send_command  # type: ignore[method-assign]
    SimpleSystemManagerBackend.get_command_invocation = _get_command_invocation  # type: ignore[method-assign]
