"""The host the live backend runs on: what it must have, bounded commands, and
the cgroups machines run in.

systemd-nspawn runs with `--register=no --keep-unit` because the host's PID 1
need not be systemd (no machined, no system bus to ask for a scope): the
machine then stays in the cgroup nspawn was started in, so every machine is
started in a cgroup of its own under `roundrobin-emulator/`, which is also how
a stuck machine is killed and how a sweep finds what a killed emulator left.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

CGROUP_PARENT = "roundrobin-emulator"
TIMEOUT = 60

# Programs the live backend runs, and the Debian package each comes from.
TOOLS = (
    ("systemd-nspawn", "systemd-container"),
    ("ip", "iproute2"),
    ("nsenter", "util-linux"),
    ("setpriv", "util-linux"),
    ("nft", "nftables"),
    ("mount", "mount"),
    ("umount", "mount"),
    ("cp", "coreutils"),
)


class HostError(RuntimeError):
    pass


def cgroup_roots() -> list[str]:
    """The hierarchies a machine gets its own directory in: on a hybrid or legacy
    host the `name=systemd` one (and the unified one beside it), on a pure v2
    host the root."""
    base = "/sys/fs/cgroup"
    legacy = os.path.join(base, "systemd")
    if os.path.isfile(os.path.join(legacy, "cgroup.procs")):
        roots = [legacy]
        unified = os.path.join(base, "unified")
        if os.path.isfile(os.path.join(unified, "cgroup.procs")):
            roots.append(unified)
        return roots
    if os.path.isfile(os.path.join(base, "cgroup.controllers")):
        return [base]
    return []


def missing_requirements() -> list[str]:
    """Everything `--machines nspawn` needs that this host lacks, one line each."""
    missing = []
    if os.geteuid() != 0:
        missing.append(
            "root: live machines need overlay mounts, network namespaces and "
            "systemd-nspawn (run the emulator as root)"
        )
    for tool, package in TOOLS:
        if shutil.which(tool) is None:
            missing.append(f"`{tool}` is not on the PATH: apt-get install {package}")
    if not cgroup_roots():
        missing.append(
            "a cgroup file system at /sys/fs/cgroup (v2, or v1 with the name=systemd "
            "hierarchy) for systemd-nspawn"
        )
    if not os.path.exists("/proc/self/ns/net"):
        missing.append("network namespaces (/proc/self/ns/net)")
    return missing


def run(argv: list[str], what: str, timeout: float = TIMEOUT, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Runs a command with a deadline; a non-zero exit raises HostError saying `what`."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise HostError(f"{what}: `{' '.join(argv)}` took over {timeout} s") from None
    if check and done.returncode != 0:
        raise HostError(f"{what}: `{' '.join(argv)}` exited with {done.returncode}: {done.stderr.strip()}")
    return done


def machine_cgroups(name: str) -> list[str]:
    return [os.path.join(root, CGROUP_PARENT, name) for root in cgroup_roots()]


def make_cgroups(name: str) -> list[str]:
    dirs = machine_cgroups(name)
    if not dirs:
        raise HostError("no cgroup file system at /sys/fs/cgroup")
    for path in dirs:
        os.makedirs(path, exist_ok=True)
    return dirs


def pids_below(path: str) -> list[int]:
    """Every PID in a cgroup directory and below it."""
    pids: list[int] = []
    try:
        with open(os.path.join(path, "cgroup.procs")) as procs:
            pids = [int(line) for line in procs if line.strip()]
    except OSError:
        pass
    try:
        entries = list(os.scandir(path))
    except OSError:
        return pids
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            pids.extend(pids_below(entry.path))
    return pids


def remove_cgroup_tree(path: str) -> None:
    """Removes a cgroup directory tree, deepest first (only empty cgroups go)."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            remove_cgroup_tree(entry.path)
    try:
        os.rmdir(path)
    except OSError:
        pass


def kill_cgroups(name: str, wait: float = 5.0) -> None:
    """SIGKILL to everything in the machine's cgroups (its PID 1 among them, which
    takes its whole PID namespace down), then removes the cgroups."""
    dirs = machine_cgroups(name)
    deadline = time.monotonic() + wait
    while True:
        pids = [pid for path in dirs for pid in pids_below(path)]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for path in dirs:
            remove_cgroup_tree(path)
        if not any(os.path.exists(path) for path in dirs) or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def cgroup_names() -> list[str]:
    """Names of the machine cgroups that exist (in any hierarchy)."""
    names: set[str] = set()
    for root in cgroup_roots():
        parent = os.path.join(root, CGROUP_PARENT)
        if os.path.isdir(parent):
            names.update(e.name for e in os.scandir(parent) if e.is_dir(follow_symlinks=False))
    return sorted(names)


def remove_cgroup_parents() -> None:
    for root in cgroup_roots():
        try:
            os.rmdir(os.path.join(root, CGROUP_PARENT))
        except OSError:
            pass


def fs_type(path: str) -> str:
    """The file system type of the mount `path` lies on."""
    real = os.path.realpath(path)
    best, kind = "", ""
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                point = fields[1].replace("\\040", " ")
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_dead(pid: int) -> bool:
    """Gone, or a zombie its (new) parent has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def wait_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not is_dead(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [part.decode(errors="replace") for part in f.read().split(b"\0") if part]
    except OSError:
        return []
