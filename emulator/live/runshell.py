"""AWS-RunShellScript, run for real inside a machine, the way the SSM Agent's
aws:runShellScript plugin does it:

* the `commands` are written, joined by newlines, to `_script.sh` in the
  command's orchestration directory inside the machine
  (/var/lib/amazon/ssm/<instance>/document/orchestration/<command>/awsrunShellScript/0.awsrunShellScript)
  and run as root with `sh -c <script>`, in `workingDirectory` (default `/`),
  with AWS_SSM_INSTANCE_ID and AWS_SSM_REGION_NAME set;
* `executionTimeout` (seconds, default 3600; outside 5..172800 the default) is
  enforced by killing the command's process group: exit code 137, status
  TimedOut. Exit code 0 is Success, any other Failed;
* GetCommandInvocation reports the first 24,000 characters of standard output
  and the first 8,000 of standard error.

Output goes to files on the host (not pipes), so a command that leaves a
background process running still finishes when its shell does.

Both steps (writing the script, running it) enter the machine through
Machine.enter_argv (enter.py): the machine's cgroups, every namespace of its
PID 1 and its capability bounding set, so a command has the machine's
privileges and view, not the emulator's, and dies with the machine.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from emulator.live.machine import Machine

MAX_STDOUT = 24000
MAX_STDERR = 8000
DEFAULT_TIMEOUT = 3600
MIN_TIMEOUT, MAX_TIMEOUT = 5, 172800
TIMED_OUT_EXIT = 137  # the agent's exit code for a command it had to stop
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Result:
    status: str
    status_details: str
    exit_code: int
    stdout: str
    stderr: str
    started: datetime.datetime
    ended: datetime.datetime
    # Where the whole output is (for an output bucket); empty when nothing ran.
    stdout_file: str = ""
    stderr_file: str = ""


def _first(parameters: dict[str, Any], key: str, default: str) -> str:
    value = parameters.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    return default if value is None else str(value)


def execution_timeout(parameters: dict[str, Any]) -> int:
    raw = _first(parameters, "executionTimeout", str(DEFAULT_TIMEOUT))
    try:
        seconds = int(float(raw))
    except ValueError:
        return DEFAULT_TIMEOUT
    return seconds if MIN_TIMEOUT <= seconds <= MAX_TIMEOUT else DEFAULT_TIMEOUT


def script_of(parameters: dict[str, Any]) -> str:
    commands = parameters.get("commands") or []
    if isinstance(commands, str):
        commands = [commands]
    return "\n".join(str(c) for c in commands) + "\n"


def _read_prefix(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(limit * 4)
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")[:limit]


# The most of one stream an output bucket gets from a live machine (the
# emulator holds it in memory once).
MAX_KEPT_BYTES = 64 * 1024 * 1024


def read_whole(path: str) -> str:
    """A stream's whole output (up to MAX_KEPT_BYTES), for an output bucket."""
    if not path:
        return ""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_KEPT_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""


def status_of(exit_code: int) -> str:
    if exit_code == 0:
        return "Success"
    if exit_code == TIMED_OUT_EXIT:
        return "TimedOut"
    return "Failed"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _undeliverable(started: datetime.datetime, why: str) -> Result:
    return Result("Failed", "Undeliverable", -1, "", why, started, _now())


def run(machine: Machine, instance_id: str, region: str, command_id: str, parameters: dict[str, Any]) -> Result:
    started = _now()
    orchestration = (
        f"/var/lib/amazon/ssm/{instance_id}/document/orchestration/{command_id}"
        "/awsrunShellScript/0.awsrunShellScript"
    )
    script = f"{orchestration}/_script.sh"
    write = machine.enter_argv(
        ["/bin/sh", "-c", 'umask 077 && mkdir -p "$1" && cat > "$1/_script.sh" && chmod 700 "$1/_script.sh"', "sh", orchestration]
    )
    if write is None:
        return _undeliverable(started, "the instance is not running")
    done = subprocess.run(write, input=script_of(parameters).encode(), capture_output=True, timeout=60)
    if done.returncode != 0:
        return _undeliverable(started, "writing the script failed: " + done.stderr.decode(errors="replace"))
    workdir = _first(parameters, "workingDirectory", "") or "/"
    argv = machine.enter_argv(
        [
            "/usr/bin/env",
            "-i",
            f"PATH={PATH}",
            f"AWS_SSM_INSTANCE_ID={instance_id}",
            f"AWS_SSM_REGION_NAME={region}",
            "/bin/sh",
            "-c",
            'cd "$1" || exit 1; exec /bin/sh -c "$2"',
            "sh",
            workdir,
            script,
        ]
    )
    if argv is None:
        return _undeliverable(started, "the instance is not running")
    out_dir = os.path.join(machine.dir, "ssm", command_id)
    os.makedirs(out_dir, exist_ok=True)
    stdout_path, stderr_path = os.path.join(out_dir, "stdout"), os.path.join(out_dir, "stderr")
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
    timeout = execution_timeout(parameters)
    deadline = time.monotonic() + timeout
    timed_out = False
    while proc.poll() is None:
        if time.monotonic() >= deadline:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait(30)
            break
        time.sleep(0.05)
    code = proc.returncode
    if timed_out:
        code = TIMED_OUT_EXIT
    elif code < 0:
        code = 128 - code
    status = status_of(code)
    details = "ExecutionTimedOut" if status == "TimedOut" else status
    return Result(
        status,
        details,
        code,
        _read_prefix(stdout_path, MAX_STDOUT),
        _read_prefix(stderr_path, MAX_STDERR),
        started,
        _now(),
        stdout_path,
        stderr_path,
    )
