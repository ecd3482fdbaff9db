"""Delivery of a Run Command invocation to a managed node whose agent is not online.

Systems Manager user guide, "Understanding command statuses": an invocation is
`Pending` until the agent on the node has received the command; `Delayed` when the
system tried to send it but the node was not available (network, a stopped node,
...), and it tries again; `Delivery Timed Out` (Status `TimedOut`, StatusDetails
`DeliveryTimedOut`) when the agent has not received it before the sum of
TimeoutSeconds (SendCommand, default 3600) and the document's execution timeout
(`executionTimeout`, default 3600) has passed; `Undeliverable` when the node does
not exist any more. The SendCommand reference (InvalidInstanceId) lists the node
states SendCommand accepts: running, pending, stopped and stopping.

So SendCommand to an instance with an instance profile whose agent is not online
yet (booting: `ssm_online_delay_seconds`, or a live machine still booting; or
stopped) is accepted, and each such invocation:

* is `Pending` for its first DELAYED_AFTER_SECONDS, then `Delayed` (one failed
  delivery attempt; AWS publishes no interval, a short one shows clients both);
* once the node is Online, is delivered: from then on it runs as an invocation sent
  at that moment would (the outcome chosen at SendCommand, `ssm_command_delay_seconds`
  counted from the delivery; live machines really run it);
* ends `TimedOut` / `DeliveryTimedOut` (ResponseCode -1) at the deadline above;
* ends `Failed` / `Undeliverable` (ResponseCode -1) when its instance is terminated
  (or shutting down) before delivery. AWS does not document Undeliverable's Status
  field; `Failed` is the stricter choice (it is not a success).

Delivery is checked when a client reads (GetCommandInvocation, ListCommands); a node
that was online only between two reads does not count (simplified).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

DELAYED_AFTER_SECONDS = 1.0
DEFAULT_TIMEOUT_SECONDS = 3600
DEFAULT_EXECUTION_TIMEOUT = 3600
TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled"}


@dataclass
class Delivery:
    """An invocation that its node has not received yet."""

    sent_at: float
    deadline: float
    # What the invocation becomes once delivered (outcome, output, codes).
    final: dict[str, Any]


def _int_or(value: Any, default: int) -> int:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def execution_timeout(parameters: dict[str, Any] | None) -> int:
    """The document's executionTimeout parameter (default 3600, as AWS-RunShellScript)."""
    return _int_or((parameters or {}).get("executionTimeout"), DEFAULT_EXECUTION_TIMEOUT)


def delivery_deadline(sent_at: float, timeout_seconds: Any, parameters: dict[str, Any] | None) -> float:
    return sent_at + _int_or(timeout_seconds, DEFAULT_TIMEOUT_SECONDS) + execution_timeout(parameters)


def waiting_status(delivery: Delivery, now: float) -> str:
    return "Pending" if now < delivery.sent_at + DELAYED_AFTER_SECONDS else "Delayed"


def mark_waiting(invocation: dict[str, Any], status: str) -> None:
    invocation.update(
        {
            "Status": status,
            "StatusDetails": status,
            "ResponseCode": -1,
            "StandardOutputContent": "",
            "StandardErrorContent": "",
            "ExecutionStartDateTime": "",
            "ExecutionEndDateTime": "",
            "ExecutionElapsedTime": "",
        }
    )


def mark_undelivered(invocation: dict[str, Any], status: str, details: str) -> None:
    mark_waiting(invocation, status)
    invocation["StatusDetails"] = details


def summarize(command: Any) -> None:
    """The command's Status, CompletedCount and ErrorCount from its invocations."""
    statuses = [inv["Status"] for inv in command.invocations]
    finished = [s for s in statuses if s in TERMINAL]
    command.completed_count = len(finished)
    command.error_count = len([s for s in finished if s != "Success"])
    if not statuses:
        return
    if len(finished) < len(statuses):
        waiting = all(s in ("Pending", "Delayed") for s in statuses if s not in TERMINAL)
        overall = "Pending" if waiting and not finished else "InProgress"
    elif all(s == "Success" for s in statuses):
        overall = "Success"
    elif "TimedOut" in statuses:
        overall = "TimedOut"
    else:
        overall = "Failed"
    command.status = command.status_details = overall


def step(delivery: Delivery, invocation: dict[str, Any], instance: Any, online: bool, now: float) -> bool:
    """Moves one waiting invocation on; True once it left the waiting states."""
    if instance is None or instance.state in ("terminated", "shutting-down"):
        mark_undelivered(invocation, "Failed", "Undeliverable")
        return True
    if online:
        invocation.update(delivery.final)
        return True
    if now >= delivery.deadline:
        mark_undelivered(invocation, "TimedOut", "DeliveryTimedOut")
        return True
    mark_waiting(invocation, waiting_status(delivery, now))
    return False


def now() -> float:
    return time.monotonic()
