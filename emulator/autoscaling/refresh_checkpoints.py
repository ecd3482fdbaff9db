"""Checkpoints of an instance refresh (CheckpointPercentages, CheckpointDelay).

User guide, "Add checkpoints to an instance refresh" and "Enable checkpoints";
API reference, RefreshPreferences:

* A checkpoint is a share of the group's instances (of all the instances the
  refresh covers, those SkipMatching leaves included) that must be updated: it is
  reached when PercentageComplete (replaced, healthy and warmed-up instances) is
  equal to or higher than it, never lower.
* Replacements are paced to honour the checkpoints: a batch is cut so as not to go
  past the next checkpoint ("will sometimes replace fewer but never more than what
  the minimum healthy percentage allows").
* When a batch passes several checkpoints, the highest is the one reached, the
  lower are skipped ("it skips the first checkpoint (10) and sends a notification
  for the second checkpoint (40)").
* At a checkpoint the refresh stays InProgress and waits CheckpointDelay (default
  3600 s) before it goes on; its StatusReason says which checkpoint and how long.
  AWS does not publish that text; read PercentageComplete and the Preferences
  rather than parse it.
* The last checkpoint ends the replacements: at 100 everything is replaced; below
  100 the refresh is a partial one and concludes once that share is replaced
  ("The operation transitions to Successful after this percentage is successfully
  replaced"), after BakeTime if any. There is no wait after the last checkpoint.
* The delay is waited in real seconds with `instance_warmup_honored`, else it is
  one step, as the refresh's other waits.
* Checkpoints already passed before any replacement (SkipMatching) are passed
  without a wait: nothing new has been deployed to verify.
"""

from __future__ import annotations

import math

from emulator import state
from emulator.autoscaling.refresh_model import Refresh


def _percentages(r: Refresh) -> list[int]:
    return list(r.preferences.get("CheckpointPercentages") or [])


def _target(r: Refresh, percentage: int) -> int:
    """Instances that must be updated for the checkpoint to be reached."""
    return math.ceil(r.total * percentage / 100)


def goal(r: Refresh) -> int:
    """Updated instances at which the replacements end (the last checkpoint's share)."""
    checkpoints = _percentages(r)
    return _target(r, checkpoints[-1]) if checkpoints else r.total


def batch_cap(r: Refresh) -> int | None:
    """How many instances the next batch may replace at most, or None when unpaced."""
    for percentage in _percentages(r):
        needed = _target(r, percentage) - r.done
        if needed > 0:
            return needed
    return None


def pass_initial(r: Refresh) -> None:
    """Checkpoints the matching instances already satisfy are passed without a wait."""
    for percentage in _percentages(r):
        if r.done >= _target(r, percentage):
            r.checkpoint_passed = percentage


def after_batch(r: Refresh, now: float) -> None:
    """A batch counted as updated: pause at the highest checkpoint it reached."""
    checkpoints = _percentages(r)
    reached = [p for p in checkpoints if p > r.checkpoint_passed and r.done >= _target(r, p)]
    if not reached:
        return
    percentage = max(reached)
    r.checkpoint_passed = percentage
    if percentage == checkpoints[-1]:
        return
    delay = float(r.preferences["CheckpointDelay"])
    r.checkpoint_until = now + delay if state.timing["instance_warmup_honored"] else now
    position = checkpoints.index(percentage) + 1
    r.status_reason = (
        f"Checkpoint {position} of {len(checkpoints)} reached at {percentage} percent: "
        f"{r.percentage_complete} percent of the instances are updated. "
        f"Waiting {int(delay)} seconds (CheckpointDelay) before continuing."
    )


def paused(r: Refresh, now: float) -> bool:
    """Whether the refresh still waits at a checkpoint; clears the pause once over."""
    if r.checkpoint_until is None:
        return False
    if now < r.checkpoint_until:
        return True
    r.checkpoint_until = None
    r.status_reason = None
    return False
