"""HAProxy processes of the live load balancers: start, reload, stop, runtime API, sweep.

Layout: one directory per emulator process, `<base>/rr-<emulator pid>/`, holding
`owner.pid` and, per load balancer, `rr-<name>-<hash>.cfg|.pid|.sock|.state|.502.http`.
HAProxy runs daemonised (`-D`) so a reload (`-sf <old pid> -x <socket>`) hands
the listening sockets to the new process while the old one finishes the
requests it has in flight. Every HAProxy process the emulator starts has its
configuration file under that directory on its command line; that is how the
sweep finds processes (also old ones still finishing a reload) and never kills
anything else.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

from emulator.live.lb_config import BAD_GATEWAY_PAGE

DEFAULT_BASE = "/run/roundrobin-emulator/lb"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
_TIMEOUT = 10


class HaproxyError(RuntimeError):
    pass


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def haproxy_pids(directory: str) -> list[int]:
    """HAProxy processes whose configuration file lies in `directory`."""
    prefix = directory.rstrip("/") + "/"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        argv = _cmdline(int(entry))
        if argv and os.path.basename(argv[0]) == "haproxy" and any(a.startswith(prefix) for a in argv[1:]):
            found.append(int(entry))
    return found


def _listening_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A":  # TCP_LISTEN
                inodes.add(fields[9])
    return inodes


def _holds_listener(pid: int) -> bool:
    """Whether the process still has a listening TCP socket open."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False  # gone
    sockets = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            sockets.add(link[8:-1])
    return bool(sockets & _listening_inodes())


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def kill_dir(directory: str, wait: float = 5.0) -> list[int]:
    """Stops every HAProxy process started from `directory` (TERM, then KILL)."""
    pids = haproxy_pids(directory)
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while pids and time.monotonic() < deadline:
        time.sleep(0.02)
        pids = [p for p in pids if os.path.exists(f"/proc/{p}") and _cmdline(p)]
    _signal_all(pids, signal.SIGKILL)
    return pids


def _owner_alive(pid: int) -> bool:
    argv = _cmdline(pid)
    # `python -m emulator` (the entry point) or a script ending in server.py
    return any(a.endswith("server.py") for a in argv) or any(
        a == "-m" and nxt == "emulator" for a, nxt in zip(argv, argv[1:])
    )


def sweep(base: str = DEFAULT_BASE) -> list[str]:
    """Removes run directories (and their HAProxy processes) of emulators that are gone."""
    removed: list[str] = []
    if not os.path.isdir(base):
        return removed
    for entry in sorted(os.listdir(base)):
        path = os.path.join(base, entry)
        if not entry.startswith("rr-") or not os.path.isdir(path):
            continue
        try:
            owner = int(entry[3:])
        except ValueError:
            continue
        if owner != os.getpid() and _owner_alive(owner):
            continue
        kill_dir(path)
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def make_run_dir(base: str = DEFAULT_BASE) -> str:
    path = os.path.join(base, f"rr-{os.getpid()}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    with open(os.path.join(path, "owner.pid"), "w") as f:
        f.write(f"{os.getpid()}\n")
    return path


def runtime(sock: str, command: str, timeout: float = 3.0) -> str:
    """One command on an HAProxy stats socket; returns its output."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock)
        s.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace").strip()


def show_stat(sock: str) -> dict[tuple[str, str], dict[str, str]]:
    """(backend, server) -> the `show stat` row as a dict."""
    text = runtime(sock, "show stat")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise HaproxyError(f"unexpected `show stat` output: {text[:200]!r}")
    header = lines[0][2:].split(",")
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for line in lines[1:]:
        values = line.split(",")
        row = dict(zip(header, values))
        if row.get("svname") not in ("FRONTEND", "BACKEND", None):
            rows[(row["pxname"], row["svname"])] = row
    return rows


class Process:
    """The HAProxy process (and its files) of one load balancer."""

    def __init__(self, directory: str, stem: str):
        base = os.path.join(directory, stem)
        self.files = {k: f"{base}.{k}" for k in ("cfg", "pid", "sock", "state")}
        self.files["e502"] = f"{base}.502.http"  # the 502 page (errorfile, lb_config)

    @property
    def sock(self) -> str:
        return self.files["sock"]

    def pid(self) -> int | None:
        try:
            with open(self.files["pid"]) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        argv = _cmdline(pid)
        if argv and os.path.basename(argv[0]) == "haproxy" and self.files["cfg"] in argv:
            return pid
        return None

    def running(self) -> bool:
        return self.pid() is not None and os.path.exists(self.sock)

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT)
        if done.returncode != 0:
            raise HaproxyError(f"`{' '.join(argv)}` failed ({done.returncode}): {done.stderr.strip()[-2000:]}")

    def apply(self, config: str) -> None:
        """Writes the configuration and starts HAProxy, or reloads it gracefully."""
        old = self.pid()
        if old is not None and os.path.exists(self.sock):
            try:
                state = runtime(self.sock, "show servers state")
            except OSError:
                state = ""
            with open(self.files["state"], "w") as f:
                f.write(state + "\n" if state.startswith("1") else "")
        else:
            with open(self.files["state"], "w"):
                pass
        with open(self.files["e502"], "w", newline="") as f:
            f.write(BAD_GATEWAY_PAGE)
        tmp = self.files["cfg"] + ".new"
        with open(tmp, "w") as f:
            f.write(config)
        self._run([HAPROXY, "-c", "-q", "-f", tmp])
        os.replace(tmp, self.files["cfg"])
        argv = [HAPROXY, "-f", self.files["cfg"], "-p", self.files["pid"], "-D"]
        if old is not None:
            if os.path.exists(self.sock):
                argv += ["-x", self.sock]
            argv += ["-sf", str(old)]
        self._run(argv)
        deadline = time.monotonic() + _TIMEOUT
        while not self.running():
            if time.monotonic() > deadline:
                raise HaproxyError(f"haproxy for {self.files['cfg']} did not come up")
            time.sleep(0.01)
        if old is not None:
            # The old process lets go of the listening sockets when it handles its
            # soft-stop signal; until then it would still take new connections.
            deadline = time.monotonic() + 2.0
            while _holds_listener(old) and time.monotonic() < deadline:
                time.sleep(0.002)

    def command(self, command: str) -> str:
        return runtime(self.sock, command)

    def soft_stop(self) -> None:
        """Stops accepting; requests in flight finish (bounded by hard-stop-after)."""
        pid = self.pid()
        if pid is not None:
            _signal_all([pid], signal.SIGUSR1)
        for path in self.files.values():
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
