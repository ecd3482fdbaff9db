"""Counts of AWS API calls received, keyed "service:Action" (injected failures included).

"lagging" counts, by the same key, the calls answered NotFound because what they
named was still within its eventual-consistency lag (see consistency/).
"""

from __future__ import annotations

import threading
from collections import Counter

from emulator.state import on_reset

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_lagging: Counter[str] = Counter()


def record(key: str) -> None:
    with _lock:
        _counts[key] += 1


def record_lagging(key: str) -> None:
    with _lock:
        _lagging[key] += 1


def snapshot() -> dict[str, object]:
    with _lock:
        calls = dict(sorted(_counts.items()))
        lagging = dict(sorted(_lagging.items()))
    return {"calls": calls, "total": sum(calls.values()), "lagging": lagging}


@on_reset
def reset() -> None:
    with _lock:
        _counts.clear()
        _lagging.clear()
