"""The test bed of the live safety tests (test_live_safety_*.py): their marks, a
tag that keeps the names of what they make apart from other runs, and a
stand-in host, a network namespace the test makes so that the real host's
network is never changed.

A test module takes the `stand_in_host` fixture by importing it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from emulator.tests.live_safety_support import delete_netns, make_netns, sh, skip_reason

_reason = skip_reason()
needs_root = pytest.mark.skipif(_reason is not None, reason=_reason or "")
# Starts live emulators (one per host at a time): with the other live suites.
LIVE_GROUP = pytest.mark.xdist_group("live")

TAG = str(os.getpid() % 100000)


@pytest.fixture
def stand_in_host() -> Iterator[tuple[str, str]]:
    """A network namespace with an interface `rrtd<tag>` (one end of a veth pair
    inside it), in which an emulator sees what a host with those addresses and
    routes would show."""
    name = f"rrt-h{TAG}"
    delete_netns(name)
    dummy = f"rrtd{TAG}"
    try:
        make_netns(name)
        sh("ip", "-n", name, "link", "add", dummy, "type", "veth", "peer", "name", f"rrtp{TAG}")
        sh("ip", "-n", name, "link", "set", dummy, "up")
        sh("ip", "-n", name, "link", "set", f"rrtp{TAG}", "up")
        yield name, dummy
    finally:
        delete_netns(name)
