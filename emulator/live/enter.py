"""Running a command inside a machine as the machine's own processes run: in
its cgroups, all its namespaces and its capability bounding set.

The command line is built from host programs only (sh, setpriv, nsenter), so a
machine's disk does not need them and cannot replace them:

1. `sh` writes its own PID into the cgroup.procs of every cgroup the machine's
   PID 1 is in (cgroups(7): a process joins a cgroup by writing its PID there;
   children inherit it). The command is then accounted, limited and killed with
   the machine: a machine's power-off kills everything in its cgroups, so no
   command outlives it. A failed write ends the command (exit 97) before it ran.
2. `setpriv --bounding-set` (setpriv(1)) shrinks the capability bounding set to
   exactly the machine PID 1's `CapBnd` (/proc/<pid>/status; systemd-nspawn(1)
   drops the rest, `--capability=`). A root process that execs gets no
   capability outside its bounding set (capabilities(7)), so the command has
   the machine's privileges, not the emulator's (no CAP_SYS_MODULE, say).
3. `nsenter --target <PID 1> --all --root --wd` (nsenter(1)) joins every
   namespace of the machine that differs from ours: mount, PID (nsenter forks,
   so the command is in the machine's PID namespace and sees only its
   processes), network, UTS (host name), IPC, cgroup, and user and time if the
   machine has its own.
"""

from __future__ import annotations

import os

# capabilities(7): the kernel's capability numbers and setpriv's names for them.
CAPABILITIES = (
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
    "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
    "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
    "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
    "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
)  # fmt: skip

# sh -c JOIN_CGROUPS sh <cgroup.procs files> -- <command>
JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'


class EnterError(RuntimeError):
    pass


def bounding_set(pid: int) -> int:
    """The CapBnd mask of a process."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError, IndexError):
        pass
    raise EnterError(f"cannot read the capability bounding set of pid {pid}")


def setpriv_caps(mask: int) -> str:
    """setpriv's `--bounding-set` argument that keeps exactly `mask` (a bit
    setpriv cannot name stays dropped: stricter, never wider)."""
    kept = [f"+{name}" for number, name in enumerate(CAPABILITIES) if mask >> number & 1]
    return ",".join(["-all", *kept])


def _cgroup_mounts() -> list[tuple[str, str, set[str]]]:
    """(mount root inside the hierarchy, mount point, controllers or names) of
    every cgroup file system we see; an empty set is the v2 hierarchy."""
    found = []
    try:
        with open("/proc/self/mountinfo") as mountinfo:
            lines = mountinfo.read().splitlines()
    except OSError:
        return found
    for line in lines:
        head, _, tail = line.partition(" - ")
        fields, after = head.split(), tail.split()
        if len(fields) < 5 or len(after) < 3:
            continue
        kind = after[0]
        if kind == "cgroup2":
            found.append((fields[3], fields[4], set()))
        elif kind == "cgroup":
            options = {o for o in after[2].split(",") if o not in ("rw", "ro")}
            found.append((fields[3], fields[4], options))
    return found


def cgroup_procs(pid: int) -> list[str]:
    """The cgroup.procs file of each cgroup `pid` is in, as paths on this host."""
    try:
        with open(f"/proc/{pid}/cgroup") as cgroups:
            lines = cgroups.read().splitlines()
    except OSError:
        raise EnterError(f"cannot read the cgroups of pid {pid}") from None
    mounts = _cgroup_mounts()
    files = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        wanted = set(controllers.split(",")) if controllers else set()
        for root, point, options in mounts:
            if options != wanted and not (wanted and wanted <= options):
                continue
            if root != "/" and not (path == root or path.startswith(root.rstrip("/") + "/")):
                continue
            relative = path[len(root.rstrip("/")):] if root != "/" else path
            files.append(os.path.join(point, relative.lstrip("/"), "cgroup.procs"))
            break
    if not files:
        raise EnterError(f"no cgroup file system holds the cgroups of pid {pid}")
    return files


def argv(pid: int, command: list[str]) -> list[str]:
    """The command line that runs `command` in the machine whose PID 1 is `pid`."""
    procs = cgroup_procs(pid)
    caps = setpriv_caps(bounding_set(pid))
    return [
        "sh", "-c", JOIN_CGROUPS, "sh", *procs, "--",
        "setpriv", f"--bounding-set={caps}", "--inh-caps=-all", "--",
        "nsenter", f"--target={pid}", "--all", "--root", "--wd", "--",
        *command,
    ]  # fmt: skip
