"""Helpers for the live safety tests: network namespaces the tests make (never
the host's own network), small TCP servers and connection probes inside them.
Every wait is bounded; traffic goes only into namespaces the tests made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

from emulator.live import host

PROBE_TIMEOUT = 5.0

# Answers every connection with the namespace's name, at most 100 of them.
SERVER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
print("listening", flush=True)
for _ in range(100):
    c, _ = s.accept()
    c.sendall(sys.argv[3].encode())
    c.close()
"""

# Connects once; prints what it got or the error's name.
PROBE = """
import errno, socket, sys
try:
    c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
    print("answer:" + c.recv(100).decode())
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
"""


def skip_reason() -> str | None:
    """Why these tests cannot run here: what `--machines nspawn` needs (root,
    systemd-nspawn, ip, nsenter, setpriv, nft, cgroups) and haproxy."""
    missing = host.missing_requirements()
    if shutil.which("haproxy") is None and not os.path.exists("/usr/sbin/haproxy"):
        missing.append("haproxy (apt-get install haproxy)")
    return "live safety tests need: " + "; ".join(missing) if missing else None


def sh(*argv: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"`{' '.join(argv)}` exited with {done.returncode}: {done.stderr}")
    return done


def make_netns(name: str) -> None:
    sh("ip", "netns", "add", name)
    sh("ip", "-n", name, "link", "set", "lo", "up")


def delete_netns(name: str) -> None:
    if os.path.exists(f"/run/netns/{name}"):
        sh("ip", "netns", "del", name, check=False)


def in_netns(netns: str, *argv: str) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


# A network namespace's own /sys (its interfaces) with the host's cgroup file
# systems kept in it (`ip netns exec` would hide them), in a private mount namespace.
_OWN_SYS = (
    'keep=$(mktemp -d) && mount --rbind /sys/fs/cgroup "$keep" && mount -t sysfs sysfs /sys '
    '&& mount --rbind "$keep" /sys/fs/cgroup && umount -l "$keep" && rmdir "$keep" && exec "$@"'
)


def emulator_in_netns(netns: str, *argv: str) -> list[str]:
    """A command line that runs the emulator as if `netns` were the host's network."""
    return [
        "nsenter", f"--net=/run/netns/{netns}", "--",
        "unshare", "--mount", "--propagation", "private", "--",
        "sh", "-c", _OWN_SYS, "sh", *argv,
    ]  # fmt: skip


def start_server(netns: str | None, address: str, port: int, answer: str) -> subprocess.Popen[str]:
    """A TCP server in `netns` (None: this one) on `address` only; returns once it listens."""
    argv = [sys.executable, "-c", SERVER, address, str(port), answer]
    proc = subprocess.Popen(
        argv if netns is None else in_netns(netns, *argv),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "listening":
        proc.kill()
        raise AssertionError(f"server in {netns} did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc


def stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def probe(netns: str | None, address: str, port: int) -> str:
    """`answer:<name>` when something answered, else the error (ECONNREFUSED,
    EHOSTUNREACH, timeout, ...), connecting from `netns` (None: this one)."""
    argv = [sys.executable, "-c", PROBE, address, str(port), str(PROBE_TIMEOUT)]
    if netns is not None:
        argv = in_netns(netns, *argv)
    return sh(*argv, timeout=PROBE_TIMEOUT + 30).stdout.strip()


def run_python(netns: str, script: str, *args: str, timeout: float = 120) -> Any:
    """Runs `script` with this repository importable inside `netns`; returns the
    JSON it prints last."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        in_netns(netns, sys.executable, "-c", script, *args),
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": root},
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"script in {netns} exited with {done.returncode}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def links(netns: str | None = None) -> list[str]:
    argv = ["ip", "-j", "link", "show"] if netns is None else ["ip", "-n", netns, "-j", "link", "show"]
    return [link["ifname"] for link in json.loads(sh(*argv).stdout or "[]")]


def nft_tables(netns: str | None = None) -> str:
    argv = ["nft", "list", "tables"]
    return sh(*(argv if netns is None else in_netns(netns, *argv))).stdout


def fake_rootfs(directory: str) -> str:
    """A directory that passes the emulator's rootfs check (nothing boots from it)."""
    path = os.path.join(directory, "rootfs")
    os.makedirs(os.path.join(path, "usr/lib/systemd"), exist_ok=True)
    with open(os.path.join(path, "usr/lib/systemd/systemd"), "w"):
        pass
    return path

