"""Counts of AWS API calls received, keyed "service:Action" (injected failures included)."""

from __future__ import annotations

import threading
from collections import Counter

from emulator.state import on_reset

_lock = threading.Lock()
_counts: Counter[str] = Counter()


def record(key: str) -> None:
    with _lock:
        _counts[key] += 1


def snapshot() -> dict[str, object]:
    with _lock:
        calls = dict(sorted(_counts.items()))
    return {"calls": calls, "total": sum(calls.values())}


@on_reset
def reset() -> None:
    with _lock:
        _counts.clear()
