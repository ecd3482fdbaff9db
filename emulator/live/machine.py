"""One systemd-nspawn machine: an overlay of image layers booted with
`systemd-nspawn -b` inside the instance's network namespace and a cgroup of its
own.

Layout under the machine directory: `upper/` and `work/` (the instance's own
disk changes, kept across stop/start), `root/` (the overlay's merged view),
`console.log` (everything the machine printed) and `nspawn.pid`.

Options: `--register=no --keep-unit` (no machined needed, see host.py);
`--console=read-only` so the console goes to the log; `--link-journal=no`,
`--resolv-conf=off` and `--timezone=off` so nothing from the host is written
into the machine's disk (it may become an image).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

from emulator.live import enter, host, overlay

POLL = 0.2
# `systemctl is-system-running` answers these once the boot is over.
BOOTED = ("running", "degraded")


class MachineError(RuntimeError):
    pass


class Machine:
    def __init__(self, name: str, directory: str, layers: list[str], netns: str, hostname: str):
        self.name = name
        self.dir = directory
        self.layers = list(layers)
        self.netns = netns
        self.hostname = hostname
        self.root = os.path.join(directory, "root")
        self.proc: subprocess.Popen[bytes] | None = None
        # When nspawn was last started (Unix time), as `/_emulator/live` shows it.
        self.started_at: float | None = None

    # -- disk ---------------------------------------------------------------
    @property
    def upper(self) -> str:
        return os.path.join(self.dir, "upper")

    def mount(self) -> None:
        if not overlay.is_mounted(self.root):
            overlay.mount(self.layers, self.upper, os.path.join(self.dir, "work"), self.root)

    def unmount(self) -> bool:
        return overlay.unmount(self.root)

    # -- power --------------------------------------------------------------
    def start(self) -> None:
        """Starts nspawn (returns at once; see wait_booted)."""
        if self.running():
            return
        cgroups = host.make_cgroups(self.name)
        procs = " ".join(os.path.join(d, "cgroup.procs") for d in cgroups)
        log = open(os.path.join(self.dir, "console.log"), "ab")
        argv = [
            "sh",
            "-c",
            'for p in $RR_CGROUP_PROCS; do echo $$ > "$p" || exit 97; done; exec "$@"',
            "sh",
            "systemd-nspawn",
            "-b",
            "-D",
            self.root,
            f"--machine={self.name}",
            f"--hostname={self.hostname}",
            "--register=no",
            "--keep-unit",
            "--console=read-only",
            "--link-journal=no",
            "--resolv-conf=off",
            "--timezone=off",
            f"--network-namespace-path=/run/netns/{self.netns}",
        ]
        try:
            self.started_at = time.time()
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env={**os.environ, "RR_CGROUP_PROCS": procs, "SYSTEMD_LOG_COLOR": "0"},
                start_new_session=True,
            )
        finally:
            log.close()
        with open(os.path.join(self.dir, "nspawn.pid"), "w") as pid_file:
            pid_file.write(f"{self.proc.pid}\n")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def init_pid(self) -> int | None:
        """The host PID of the machine's PID 1 (None while it has none): the
        process of its cgroups that is PID 1 one PID namespace below ours (a
        container the machine runs itself would be deeper)."""
        depth = len(_nspids("self")) + 1
        for path in host.machine_cgroups(self.name):
            for pid in host.pids_below(path):
                ids = _nspids(str(pid))
                if len(ids) == depth and ids[-1] == "1":
                    return pid
        return None

    def wait_booted(self, timeout: float, abort: Callable[[], bool]) -> str:
        """Waits until the machine's systemd says the boot is over. Returns
        'booted', 'exited' (nspawn ended) or 'aborted' (abort() became true)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if abort():
                return "aborted"
            if not self.running():
                return "exited"
            if self.system_state() in BOOTED:
                return "booted"
            time.sleep(POLL)
        raise MachineError(f"machine {self.name} did not finish booting within {timeout:.0f} s\n{self.console_tail()}")

    def system_state(self) -> str:
        argv = self.enter_argv(["systemctl", "is-system-running"])
        if argv is None:
            return ""
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return ""
        return done.stdout.strip()

    def enter_argv(self, command: list[str]) -> list[str] | None:
        """`command` in the cgroups, namespaces and capability bounding set of
        the machine's PID 1 (enter.py)."""
        pid = self.init_pid()
        if pid is None:
            return None
        try:
            return enter.argv(pid, command)
        except enter.EnterError:
            return None  # PID 1 went away meanwhile

    def poweroff(self, timeout: float) -> None:
        """Orderly shutdown (SIGTERM to nspawn makes the machine power off); when
        that takes longer than `timeout`, everything in its cgroups is killed."""
        if self.running():
            assert self.proc is not None
            try:
                self.proc.send_signal(signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def request_poweroff(self) -> None:
        if self.running():
            assert self.proc is not None
            try:
                self.proc.send_signal(signal.SIGTERM)
            except OSError:
                pass

    def kill(self) -> None:
        """Kills whatever is left of the machine at once and reaps nspawn."""
        host.kill_cgroups(self.name)
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.remove(os.path.join(self.dir, "nspawn.pid"))
        except OSError:
            pass

    def console_tail(self, lines: int = 30) -> str:
        try:
            with open(os.path.join(self.dir, "console.log"), "rb") as log:
                text = log.read()[-20000:].decode(errors="replace")
        except OSError:
            return f"(no console log for {self.name})"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"console of {self.name} ends with:\n{tail}"


def _nspids(pid: str) -> list[str]:
    """The `NSpid:` line of /proc/<pid>/status: the PID in each namespace, ours first."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("NSpid:"):
                    return line.split()[1:]
    except OSError:
        pass
    return []
