"""Keeps one HAProxy process per application load balancer in step with moto.

`Manager.reconcile()` takes a snapshot of the load balancers (lb_model) and
applies the difference:

* a load balancer that gains its first listener gets a process (started lazily);
  one that loses its last listener, or is deleted, is soft-stopped (requests in
  flight finish);
* a change of listeners, ports, forward weights, target groups or health check
  settings (including the time scale) rewrites the configuration and reloads
  gracefully; server health survives through the server-state file;
* a newly registered target is added on the runtime socket, forced `down` so
  that it needs HealthyThresholdCount passing checks first (`initial`);
* a deregistered target is set to `drain` (no new requests, requests in flight
  go on) for `deregistration_delay.timeout_seconds` x time scale, then put in
  maintenance, its remaining sessions shut and the server deleted.

It runs after every request that may change state and on a 0.1 s ticker (for
instances an instance refresh launches, and for drain deadlines).
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator import state
from emulator.live import lb_model
from emulator.live.lb_config import Backend, LoadBalancerSpec, Server, render, server_line, server_name, short_hash
from emulator.live.lb_process import Process, kill_dir, show_stat

TICK_SECONDS = 0.1
_CHECK_OK = ("L4OK", "L6OK", "L7OK", "L7OKC")
STAT_TTL_SECONDS = 0.05
RETRY_SECONDS = 2.0  # after HAProxy failed to start or reload


@dataclass
class LiveServer:
    server: Server
    added_at: float
    draining_until: float | None = None
    ever_up: bool = False
    failed: bool = False  # reported unhealthy before it was ever healthy


@dataclass
class LiveLB:
    spec: LoadBalancerSpec
    process: Process
    ports: dict[str, int] = field(default_factory=dict)
    structure: tuple | None = None
    servers: dict[str, dict[str, LiveServer]] = field(default_factory=dict)
    stats: dict = field(default_factory=dict)
    stats_at: float = 0.0
    retry_at: float = 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log(message: str) -> None:
    print(f"live-lb: {message}", file=sys.stderr, flush=True)


class Manager:
    def __init__(self, run_dir: str):
        self.run_dir = run_dir
        self.lock = threading.RLock()  # taken after state.LOCK, never before
        self._reconciling = threading.Lock()
        self.generation = 0
        self.lbs: dict[str, LiveLB] = {}
        self._stop = threading.Event()
        self._last_error = ""
        # spec -> (loopback address, log format) for per-request log lines
        # (cloudwatch/alb_metrics.py), or None: no request log.
        self.request_log: Callable[[LoadBalancerSpec], tuple[str, str] | None] | None = None

    # -- reconciliation ---------------------------------------------------
    def reconcile(self) -> None:
        with self._reconciling:
            with state.LOCK:
                generation = self.generation
                specs = lb_model.snapshot()
            with self.lock:
                if generation != self.generation:
                    return  # a reset happened meanwhile: the snapshot is stale
                for arn in [a for a in self.lbs if a not in specs]:
                    self._remove(arn)
                for spec in specs.values():
                    try:
                        self._apply(spec)
                    except Exception as err:  # keep the other load balancers going
                        if spec.arn in self.lbs:
                            self.lbs[spec.arn].retry_at = time.monotonic() + RETRY_SECONDS
                        message = f"{spec.name}: {err}"
                        if message != self._last_error:
                            _log(message)
                            self._last_error = message

    def _remove(self, arn: str) -> None:
        lb = self.lbs.pop(arn)
        lb.process.soft_stop()

    def _apply(self, spec: LoadBalancerSpec) -> None:
        lb = self.lbs.get(spec.arn)
        if lb is None:
            stem = f"rr-{spec.name}-{short_hash(spec.arn)}"
            lb = self.lbs[spec.arn] = LiveLB(spec, Process(self.run_dir, stem))
        wanted = {listener.arn for listener in spec.listeners}
        for arn in [a for a in lb.ports if a not in wanted]:
            del lb.ports[arn]
        for listener in spec.listeners:
            lb.ports.setdefault(listener.arn, free_port())
        running = lb.process.running()
        if not running or lb.structure != spec.structure():
            if time.monotonic() < lb.retry_at:
                return  # starting or reloading failed a moment ago (see the log)
            if not running:
                lb.servers = {}
            lb.servers = {name: lb.servers.get(name, {}) for name in spec.backends}
            keep = {name: [s.server for s in live.values()] for name, live in lb.servers.items()}
            request_log = self.request_log(spec) if self.request_log is not None else None
            lb.process.apply(render(spec, lb.ports, keep, lb.process.files, request_log))
            lb.structure = spec.structure()
            lb.stats_at = 0.0
        lb.spec = spec
        now = time.monotonic()
        for name, backend in spec.backends.items():
            self._sync_servers(lb, backend, lb.servers.setdefault(name, {}), spec.servers.get(name, {}), now)

    def _sync_servers(
        self, lb: LiveLB, backend: Backend, live: dict[str, LiveServer], desired: dict[str, Server], now: float
    ) -> None:
        command = lb.process.command
        for name, server in desired.items():
            current = live.get(name)
            if current is None:
                ref = f"{backend.name}/{name}"
                # Added with weight 0 (no traffic), forced down so that it needs
                # HealthyThresholdCount passing checks, then given its weight.
                args = server_line(backend, server).split(" ", 1)[1].replace("weight 1", "weight 0")
                answer = command(f"add server {ref} {args}")
                if "New server registered" not in answer:
                    raise RuntimeError(f"add server {ref}: {answer}")
                if backend.check_enabled:
                    steps = [f"enable health {ref}", f"enable server {ref}", f"set server {ref} health down"]
                else:
                    steps = [f"enable server {ref}"]
                command("; ".join(steps + [f"set weight {ref} 1"]))
                live[name] = LiveServer(server, now)
                lb.stats_at = 0.0
            elif current.draining_until is not None:
                command(f"set server {backend.name}/{name} state ready")
                current.draining_until = None
                lb.stats_at = 0.0
        for name, current in list(live.items()):
            if name in desired:
                continue
            ref = f"{backend.name}/{name}"
            if current.draining_until is None:
                command(f"set server {ref} state drain")
                current.draining_until = now + backend.deregistration_delay_s
                lb.stats_at = 0.0
            elif now >= current.draining_until:
                command(f"set server {ref} state maint")
                command(f"shutdown sessions server {ref}")
                answer = command(f"del server {ref}")
                if "deleted" in answer.lower():
                    del live[name]
                    lb.stats_at = 0.0

    # -- queries ----------------------------------------------------------
    def _stats(self, lb: LiveLB) -> dict:
        now = time.monotonic()
        if now - lb.stats_at > STAT_TTL_SECONDS:
            try:
                lb.stats = show_stat(lb.process.sock)
            except (OSError, RuntimeError):
                lb.stats = {}
            lb.stats_at = now
        return lb.stats

    def target_health(self, target_group_arn: str, target_id: str, port: int) -> tuple[str, str | None, str | None] | None:
        """(State, Reason, Description) of a registered target, or None when no live
        load balancer uses the target group."""
        with self.lock:
            for lb in self.lbs.values():
                for name, backend in lb.spec.backends.items():
                    if backend.target_group_arn != target_group_arn:
                        continue
                    current = lb.servers.get(name, {}).get(server_name(target_id, port))
                    if current is None:
                        return ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
                    if current.draining_until is not None:
                        return ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")
                    row = self._stats(lb).get((name, current.server.name))
                    return verdict(backend, current, row, time.monotonic())
        return None

    def draining(self, target_group_arn: str) -> list[dict[str, object]]:
        """Targets of the group that are draining (no longer registered)."""
        out = []
        with self.lock:
            for lb in self.lbs.values():
                for name, backend in lb.spec.backends.items():
                    if backend.target_group_arn == target_group_arn:
                        for current in lb.servers.get(name, {}).values():
                            if current.draining_until is not None:
                                out.append({"Id": current.server.target_id, "Port": current.server.port})
        return out

    def listing(self) -> dict[str, object]:
        result: dict[str, object] = {}
        with self.lock:
            for lb in self.lbs.values():
                listeners = {}
                by_arn = {}
                for listener in lb.spec.listeners:
                    url = f"http://127.0.0.1:{lb.ports[listener.arn]}"
                    listeners[str(listener.port)] = url
                    by_arn[listener.arn] = url
                entry = {
                    "arn": lb.spec.arn,
                    "name": lb.spec.name,
                    "dns_name": lb.spec.dns_name,
                    "listeners": listeners,
                    "listener_arns": by_arn,
                    "pid": lb.process.pid(),
                }
                result[lb.spec.dns_name] = entry
                result[lb.spec.arn] = entry
        return result

    # -- lifecycle --------------------------------------------------------
    def clear(self) -> None:
        """Stops every process and removes every file (reset and shutdown)."""
        with self.lock:
            self.generation += 1
            self.lbs.clear()
            kill_dir(self.run_dir)
            for entry in os.listdir(self.run_dir) if os.path.isdir(self.run_dir) else []:
                if entry != "owner.pid":
                    try:
                        os.unlink(os.path.join(self.run_dir, entry))
                    except OSError:
                        pass

    def shutdown(self) -> None:
        self._stop.set()
        self.clear()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def start_ticker(self) -> None:
        def run() -> None:
            while not self._stop.wait(TICK_SECONDS):
                try:
                    self.reconcile()
                except Exception:
                    traceback.print_exc()

        threading.Thread(target=run, name="live-lb", daemon=True).start()


def verdict(backend: Backend, current: LiveServer, row: dict | None, now: float) -> tuple[str, str | None, str | None]:
    """Maps an HAProxy `show stat` row to an ELB TargetHealth (State, Reason, Description)."""
    if row is None:
        return ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
    status = row.get("status", "")
    if not backend.check_enabled or status == "no check":
        return ("unavailable", "Target.HealthCheckDisabled", "Health checks are disabled for the target group")
    if status.startswith("MAINT"):
        return ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
    try:  # the forced `health down` of a new server counts as one UP -> DOWN transition
        ever_down_after_up = int(row.get("chkdown") or 0) > 1
    except ValueError:
        ever_down_after_up = False
    if status.startswith("UP") or status in ("NOLB", "DRAIN"):
        current.ever_up, current.failed = True, False
        return ("healthy", None, None)
    current.ever_up = current.ever_up or ever_down_after_up
    check = (row.get("check_status") or "").replace("*", "").strip()
    if not current.ever_up and not current.failed:
        # HAProxy runs the first check about one interval after the server is added
        # and does not count failures of a server that is down: a new server that
        # passes its checks is `initial` until it is UP; one that fails them is
        # `unhealthy` once UnhealthyThresholdCount checks can have run.
        first_verdict = (backend.fall * backend.inter_ms + backend.timeout_ms) / 1000.0
        if check in ("", "INI", "UNK", *_CHECK_OK) or now - current.added_at < first_verdict:
            return ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
    current.failed = True
    if check in ("L4TOUT", "L7TOUT"):
        return ("unhealthy", "Target.Timeout", "Request timed out")
    if check == "L7STS":
        code = row.get("check_code") or "?"
        return ("unhealthy", "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{code}]")
    return ("unhealthy", "Target.FailedHealthChecks", "Health checks failed")
