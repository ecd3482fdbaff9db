"""Helpers for the eventual consistency tests (test_consistency_*.py): the delay
they set and small wrappers that turn a call's ClientError into what the
tests compare.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

# consistency_delay_seconds the tests set: long enough that their checks of a
# young resource all run within it.
DELAY = 3.0


def client_error(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, str, int]:
    """The call must fail: its error code, message and HTTP status."""
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    response = err.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """For wait_for: the call's answer, or None while it fails."""

    def attempt() -> Any:
        try:
            return call(*args, **kwargs)
        except ClientError:
            return None

    return attempt
