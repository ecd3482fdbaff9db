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
"""

from __future__ import annotations

import threading
from typing import Any

from moto.ssm.models import Command, SimpleSystemManagerBackend

from emulator.ssm import agents as ssm
from emulator.live import instances, runshell
from emulator.state import LOCK

RUN_SHELL = "AWS-RunShellScript"
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
    statuses = [inv["Status"] for inv in command.invocations]
    finished = [s for s in statuses if s not in ("Pending", "InProgress")]
    command.completed_count = len(finished)
    command.error_count = len([s for s in finished if s != "Success"])
    if len(finished) < len(statuses):
        overall = "InProgress"
    elif all(s == "Success" for s in statuses):
        overall = "Success"
    elif "TimedOut" in statuses:
        overall = "TimedOut"
    else:
        overall = "Failed"
    command.status = command.status_details = overall


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
        _summarize(command)


def _send_command(self: SimpleSystemManagerBackend, **kwargs: Any) -> Command:
    command = _originals["send_command"](self, **kwargs)
    if command.document_name != RUN_SHELL:
        return command
    runs = []
    for invocation in command.invocations:
        live = instances.get(invocation["InstanceId"])
        if live is not None:
            _in_progress(invocation)
            runs.append((live, invocation))
    if not runs:
        return command
    command.emu_live = True
    _summarize(command)
    for live, invocation in runs:
        threading.Thread(target=_run, args=(live, command, invocation), daemon=True).start()
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
