"""SSM Run Command: SendCommand targets and GetCommandInvocation outcomes.

* SendCommand to an instance id that cannot be a managed node (unknown, terminated
  or shutting down, without an instance profile) fails with InvalidInstanceId, as on
  AWS (SendCommand reference, InvalidInstanceId: the node is not registered, or not
  in one of the valid states running, pending, stopped, stopping). moto still
  records the command (ListCommands).
* SendCommand to an instance with a profile whose agent is not Online (booting, or
  stopped) is accepted: its invocation is Pending, then Delayed, until the agent is
  online or the delivery times out (delivery.py).
* Nothing runs (with `--machines nspawn`, live/ssm_live.py wraps these two and
  AWS-RunShellScript really runs in the machines). An invocation's outcome is
  Success with empty output and ResponseCode 0 (moto's answer), unless a command-outcome control matches: the
  most recently added control whose `match` is a substring of the command's
  `commands` parameter decides Status, StandardOutputContent,
  StandardErrorContent and ResponseCode. ListCommands reports the command's
  overall Status accordingly.
* For `ssm_command_delay_seconds` after SendCommand (after its delivery, for a node
  that was not online) an invocation is InProgress
  (ResponseCode -1, no output).
* GetCommandInvocation for a command id / instance id pair that has no invocation
  fails with InvocationDoesNotExist; a command id that is not a UUID with
  InvalidCommandId.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ec2 import ec2_backends
from moto.ssm.models import Command, SimpleSystemManagerBackend

from emulator.ssm import agents as ssm
from emulator.ssm import delivery, output_s3
from emulator.state import LOCK, on_reset, timing

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
FINAL_STATUSES = {"Success", "Failed", "TimedOut", "Cancelled"}

_original_send_command = SimpleSystemManagerBackend.send_command


class InvalidInstanceId(ServiceException):
    code = "InvalidInstanceId"


class InvocationDoesNotExist(ServiceException):
    code = "InvocationDoesNotExist"


class InvalidCommandId(ServiceException):
    code = "InvalidCommandId"


@dataclass
class Outcome:
    match: str
    status: str
    stdout: str
    stderr: str
    exit_code: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "status": self.status,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "exit_code": self.exit_code,
        }


_outcomes: list[Outcome] = []


def parse_outcome(body: dict[str, Any]) -> Outcome:
    match = body.get("match", "")
    if not isinstance(match, str):
        raise ValueError("match must be a string")
    status = body.get("status", "Failed")
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {sorted(FINAL_STATUSES)}")
    stdout, stderr = body.get("stdout", ""), body.get("stderr", "")
    if not isinstance(stdout, str) or not isinstance(stderr, str):
        raise ValueError("stdout and stderr must be strings")
    default_code = {"Success": 0, "Failed": 1}.get(status, -1)
    exit_code = body.get("exit_code", default_code)
    if isinstance(exit_code, bool) or not isinstance(exit_code, int):
        raise ValueError("exit_code must be an integer")
    return Outcome(match, status, stdout, stderr, exit_code)


def add_outcome(outcome: Outcome) -> None:
    with LOCK:
        _outcomes.append(outcome)


def outcome_listing() -> list[dict[str, Any]]:
    with LOCK:
        return [o.as_dict() for o in _outcomes]


@on_reset
def clear_outcomes() -> None:
    _outcomes.clear()


def _commands_text(parameters: dict[str, Any]) -> str:
    commands = parameters.get("commands", []) if parameters else []
    if isinstance(commands, str):
        return commands
    return "\n".join(str(c) for c in commands)


def _find_outcome(parameters: dict[str, Any]) -> Outcome | None:
    text = _commands_text(parameters)
    for outcome in reversed(_outcomes):
        if outcome.match in text:
            return outcome
    return None


ACCEPTED_STATES = ("pending", "running", "stopping", "stopped")


def may_receive(account_id: str, region: str, instance_id: str) -> bool:
    """Whether SendCommand accepts the instance: one that is or will be a managed node."""
    backend = ec2_backends[account_id][region]
    instance = backend.get_instance_by_id(instance_id)
    return (
        instance is not None
        and instance.state in ACCEPTED_STATES
        and instance.id in backend.iam_instance_profile_associations
    )


def _instance(account_id: str, region: str, instance_id: str) -> Any:
    return ec2_backends[account_id][region].get_instance_by_id(instance_id)


def refresh(backend: SimpleSystemManagerBackend, command: Command) -> None:
    """Delivers the command's waiting invocations whose node is online, ends those that cannot be."""
    waiting: dict[str, delivery.Delivery] = getattr(command, "emu_waiting", {})
    if not waiting:
        return
    now = delivery.now()
    for instance_id, pending in list(waiting.items()):
        invocation = next((i for i in command.invocations if i["InstanceId"] == instance_id), None)
        if invocation is None:
            del waiting[instance_id]
            continue
        online = ssm.is_online(backend.account_id, backend.region_name, instance_id)
        instance = _instance(backend.account_id, backend.region_name, instance_id)
        if delivery.step(pending, invocation, instance, online, now):
            del waiting[instance_id]
            if online:
                command.emu_delivered_at[instance_id] = now
    delivery.summarize(command)


def _hold_undelivered(self: SimpleSystemManagerBackend, command: Command, kwargs: dict[str, Any]) -> None:
    """Invocations for nodes that are not online wait for delivery (Pending)."""
    command.emu_waiting = {}
    command.emu_delivered_at = {}
    deadline = delivery.delivery_deadline(command.emu_sent_at, kwargs.get("timeout_seconds"), kwargs.get("parameters"))
    for invocation in command.invocations:
        instance_id = invocation["InstanceId"]
        if ssm.is_online(self.account_id, self.region_name, instance_id):
            continue
        command.emu_waiting[instance_id] = delivery.Delivery(command.emu_sent_at, deadline, dict(invocation))
        delivery.mark_waiting(invocation, "Pending")
    if command.emu_waiting:
        delivery.summarize(command)


def _send_command(self: SimpleSystemManagerBackend, **kwargs: Any) -> Command:
    bad = [i for i in kwargs.get("instance_ids") or [] if not may_receive(self.account_id, self.region_name, i)]
    if bad:
        raise InvalidInstanceId(
            "Instances " + str(bad) + " not in a valid state for account " + self.account_id
        )
    # moto adds every instance of the region when Targets is empty (extending the
    # list it was given); AWS runs the command on the requested instances, or on the
    # managed nodes the Targets match.
    requested = list(dict.fromkeys(kwargs.get("instance_ids") or []))
    kwargs["instance_ids"] = list(requested)
    command = _original_send_command(self, **kwargs)
    if not kwargs.get("targets"):
        keep = requested
    else:
        keep = [i for i in command.instance_ids if ssm.is_online(self.account_id, self.region_name, i)]
    command.instance_ids = keep
    command.invocations = [inv for inv in command.invocations if inv["InstanceId"] in keep]
    command.target_count = command.completed_count = len(keep)
    command.emu_sent_at = time.monotonic()
    outcome = _find_outcome(kwargs.get("parameters") or {})
    # The whole output, for the output bucket (GetCommandInvocation cuts it).
    command.emu_full_output = (outcome.stdout, outcome.stderr) if outcome is not None else ("", "")
    if outcome is not None:
        for invocation in command.invocations:
            invocation.update(
                {
                    "Status": outcome.status,
                    "StatusDetails": outcome.status,
                    "ResponseCode": outcome.exit_code,
                    "StandardOutputContent": outcome.stdout[:24000],
                    "StandardErrorContent": outcome.stderr[:8000],
                }
            )
        if outcome.status != "Success":
            command.status = outcome.status
            command.status_details = outcome.status
            command.error_count = len(command.invocations)
            command.completed_count = len(command.invocations)
    if command.status == "Success":
        command.status_details = "Success"
    _hold_undelivered(self, command, kwargs)
    return command


def _get_command_invocation(
    self: SimpleSystemManagerBackend, command_id: str, instance_id: str, plugin_name: str | None
) -> dict[str, Any]:
    if not command_id or not _UUID.match(command_id):
        raise InvalidCommandId("Invalid command id.")
    command = next((c for c in self._commands if c.command_id == command_id), None)
    invocation = None
    if command is not None:
        refresh(self, command)
        invocation = next((i for i in command.invocations if i["InstanceId"] == instance_id), None)
    if invocation is None or (plugin_name is not None and invocation["PluginName"] != plugin_name):
        raise InvocationDoesNotExist(
            "An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation"
        )
    delay = float(timing["ssm_command_delay_seconds"])
    sent_at = getattr(command, "emu_delivered_at", {}).get(instance_id, getattr(command, "emu_sent_at", 0.0))
    if instance_id in getattr(command, "emu_waiting", {}):
        return invocation  # Pending or Delayed
    if delay > 0 and time.monotonic() < sent_at + delay:
        pending = dict(invocation)
        pending.update(
            {
                "Status": "InProgress",
                "StatusDetails": "InProgress",
                "ResponseCode": -1,
                "StandardOutputContent": "",
                "StandardErrorContent": "",
                "ExecutionEndDateTime": "",
                "ExecutionElapsedTime": "",
            }
        )
        return pending
    if invocation.get("Status") in output_s3.TERMINAL and not getattr(command, "emu_live", False):
        output_s3.keep(command, instance_id, *getattr(command, "emu_full_output", ("", "")))
    return invocation


_original_list_commands = SimpleSystemManagerBackend.list_commands


def _list_commands(self: SimpleSystemManagerBackend, command_id: str | None, instance_id: str | None) -> list[Command]:
    for command in self._commands:
        refresh(self, command)
    return _original_list_commands(self, command_id, instance_id)


def install() -> None:
    SimpleSystemManagerBackend.list_commands = _list_commands  # type: ignore[method-assign]
    SimpleSystemManagerBackend.send_command = _send_command  # type: ignore[method-assign]
    SimpleSystemManagerBackend.get_command_invocation = _get_command_invocation  # type: ignore[method-assign]
