"""Fixtures: one emulator server per test module on a free loopback port.

Each test starts from a reset emulator (`POST /moto-api/reset`, which also clears
the extension's controls) with refresh steps of 0.05 s.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

# The repository's root: `python -m emulator` must find the package from there,
# also in the processes the tests start.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH", "")) if p)
SERVER = [sys.executable, "-m", "emulator"]
REGION = "us-east-1"
START_TIMEOUT = 30.0


class Emulator:
    def __init__(self, url: str):
        self.url = url

    def client(self, service: str, region: str = REGION, retries: int = 1) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(
                retries={"total_max_attempts": retries, "mode": "standard"},
                s3={"addressing_style": "path"},
            ),
        )

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw)
            except ValueError:
                return err.code, raw.decode()

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, payload = self.control(method, path, body)
        assert status in (200, 201), (status, payload)
        return payload

    def reset(self) -> None:
        request = urllib.request.Request(self.url + "/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


def _wait_ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"emulator exited with {proc.returncode}")
        if selector.select(timeout=0.2):
            line = proc.stdout.readline()
            if line.startswith("emulator ready on "):
                return line.split("emulator ready on ", 1)[1].strip()
    raise RuntimeError("emulator did not become ready in time")


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [*SERVER, "--port", "0", "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        url = _wait_ready(proc)
        threading.Thread(target=_drain, args=(proc.stdout,), daemon=True).start()
        yield Emulator(url)
    except RuntimeError:
        log.seek(0)
        raise RuntimeError("emulator failed to start:\n" + log.read()[-4000:]) from None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.reset()
    emulator.ok("POST", "/_emulator/timing", {"refresh_step_seconds": 0.05})
    return emulator


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until predicate returns a truthy value; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within %.1f s" % timeout)
        time.sleep(interval)
