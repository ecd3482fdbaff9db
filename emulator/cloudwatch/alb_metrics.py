"""AWS/ApplicationELB metrics of the live load balancers, from every request they serve.

Each live load balancer's HAProxy sends one line per request (alb_log.LOG_FORMAT)
over UDP to a loopback port this module listens on. The lines become datapoints
in CloudWatch (publish.py) as the ELB user guide's "CloudWatch metrics for your
Application Load Balancer" defines them:

| metric | dimensions | value, unit |
| --- | --- | --- |
| RequestCount | {LoadBalancer}, {TargetGroup, LoadBalancer} | 1 per request a target was chosen for, Count |
| HTTPCode_Target_2XX/3XX/4XX/5XX_Count | {LoadBalancer}, {TargetGroup, LoadBalancer} | 1 per target response, Count |
| TargetResponseTime | {LoadBalancer}, {TargetGroup, LoadBalancer} | seconds per target response, Seconds |
| HTTPCode_ELB_3XX/4XX/5XX_Count, HTTPCode_ELB_500/502/503/504_Count | {LoadBalancer} | 1 per answer of the load balancer, Count |
| TargetConnectionErrorCount | {LoadBalancer}, {TargetGroup, LoadBalancer} | 1 per refused connection, Count |
| HTTP_Fixed_Response_Count | {LoadBalancer} | 1 per fixed-response answer, Count |
| RequestCountPerTarget | {TargetGroup}, {TargetGroup, LoadBalancer} | requests / healthy targets (registered targets when none is healthy), Count; 0 when none came ("Always reported"; the Auto Scaling user guide: ALBRequestCountPerTarget "emits zeros") |
| HealthyHostCount, UnHealthyHostCount | {TargetGroup, LoadBalancer} | a sample of the target group's targets by health, Count (only when health checks are enabled) |

Counts are one datapoint of 1 per request, so that Sum is the count and Minimum,
Maximum and Average are 1, as the page says. Datapoints carry the time the
request ended (to 0.05 s); health samples and RequestCountPerTarget zeros are
taken every 10 s x `metric_time_scale` (a CloudWatch period of 60 s lasts
60 x scale real seconds, see state.py). Health check requests are not requests
(HAProxy does not log them). The AvailabilityZone dimension is not published.
"""

from __future__ import annotations

import datetime
import math
import socket
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from emulator import state
from emulator.cloudwatch import alb_log
from emulator.cloudwatch.publish import publish
from emulator.live import lb_model
from emulator.live.lb_config import LoadBalancerSpec, frontend_name, server_name, short_hash

NAMESPACE = "AWS/ApplicationELB"
FLUSH_SECONDS = 0.2
STAMP_SECONDS = 0.05
SAMPLE_NOMINAL_SECONDS = 10.0
RECEIVE_BUFFER = 8 * 1024 * 1024

Dimensions = tuple[tuple[str, str], ...]


def time_scale() -> float:
    return float(state.timing.get("metric_time_scale", 1.0) or 1.0)


def lb_dimension(arn: str) -> str:
    """`app/NAME/ID`: the final portion of the load balancer ARN."""
    return arn.split(":loadbalancer/", 1)[-1]


def tg_dimension(arn: str) -> str:
    """`targetgroup/NAME/ID`: the final portion of the target group ARN."""
    return arn.rsplit(":", 1)[-1]


def account_region(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    return parts[4], parts[3]


@dataclass
class _Sample:
    divisor: int = 1  # healthy targets, or registered ones when none is healthy
    requests: int = 0  # requests since the last sample


class AlbMetrics:
    def __init__(self, manager: Any):
        self.manager = manager
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for option in (getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, option, RECEIVE_BUFFER)
                break
            except OSError:
                continue
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self._lock = threading.Lock()
        self._pending: list[tuple[float, alb_log.LogLine]] = []
        self._samples: dict[tuple[str, str], _Sample] = {}  # (lb arn, tg arn) -> sample
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_error = ""

    # -- HAProxy side ----------------------------------------------------
    def request_log(self, spec: LoadBalancerSpec) -> tuple[str, str]:
        return self.address, alb_log.log_format(short_hash(spec.arn))

    # -- threads ---------------------------------------------------------
    def start(self) -> None:
        for name, target in (("alb-log", self._receive), ("alb-flush", self._flush_loop), ("alb-sample", self._sample_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self.sock.close()

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._samples.clear()

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            line = alb_log.parse(data.decode(errors="replace"))
            if line is not None:
                with self._lock:
                    self._pending.append((time.time(), line))

    def _flush_loop(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._guarded(self.flush)

    def _sample_loop(self) -> None:
        while not self._stop.wait(max(0.1, SAMPLE_NOMINAL_SECONDS * time_scale())):
            self._guarded(self.sample)

    def _guarded(self, step: Any) -> None:
        try:
            step()
        except Exception as err:  # keep publishing; say why, once per distinct failure
            message = f"alb-metrics: {type(err).__name__}: {err}"
            if message != self._last_error:
                print(message, file=sys.stderr, flush=True)
                self._last_error = message

    # -- what the load balancers run ---------------------------------------
    def _specs(self) -> dict[str, LoadBalancerSpec]:
        with self.manager.lock:
            return {short_hash(arn): lb.spec for arn, lb in self.manager.lbs.items()}

    # -- requests -> datapoints -------------------------------------------
    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return
        specs = self._specs()
        points: dict[tuple[str, str, Dimensions, str, float], list[float]] = defaultdict(list)
        per_target: dict[tuple[str, str, float], int] = defaultdict(int)
        for ended, line in pending:
            spec = specs.get(line.key)
            if spec is None:
                continue
            stamp = math.floor(ended / STAMP_SECONDS) * STAMP_SECONDS
            for metric, dims, unit, value in self._datapoints(spec, line):
                points[(spec.arn, metric, dims, unit, stamp)].append(value)
            backend = spec.backends.get(line.proxy)
            if backend is not None and alb_log.outcome(line).target_chosen:
                per_target[(spec.arn, backend.target_group_arn, stamp)] += 1
        for (lb_arn, metric, dims, unit, stamp), values in points.items():
            self._publish(lb_arn, metric, dict(dims), values, unit, stamp)
        with self._lock:
            divisors = {key: sample.divisor for key, sample in self._samples.items()}
            for (lb_arn, tg_arn, _), count in per_target.items():
                self._samples.setdefault((lb_arn, tg_arn), _Sample()).requests += count
        for (lb_arn, tg_arn, stamp), count in per_target.items():
            value = count / max(1, divisors.get((lb_arn, tg_arn), 1))
            for dims in self._per_target_dimensions(lb_arn, tg_arn):
                self._publish(lb_arn, "RequestCountPerTarget", dims, [value], "Count", stamp)

    @staticmethod
    def _per_target_dimensions(lb_arn: str, tg_arn: str) -> list[dict[str, str]]:
        return [
            {"TargetGroup": tg_dimension(tg_arn)},
            {"TargetGroup": tg_dimension(tg_arn), "LoadBalancer": lb_dimension(lb_arn)},
        ]

    @staticmethod
    def _publish(lb_arn: str, metric: str, dims: dict[str, str], values: list[float], unit: str, stamp: float) -> None:
        account, region = account_region(lb_arn)
        when = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc)
        publish(account, region, NAMESPACE, metric, dims, values, unit, when)

    @staticmethod
    def _datapoints(spec: LoadBalancerSpec, line: alb_log.LogLine) -> list[tuple[str, Dimensions, str, float]]:
        result = alb_log.outcome(line)
        lb_dims: Dimensions = (("LoadBalancer", lb_dimension(spec.arn)),)
        scopes = [lb_dims]
        backend = spec.backends.get(line.proxy)
        if backend is not None:
            scopes.append((("TargetGroup", tg_dimension(backend.target_group_arn)),) + lb_dims)
        out: list[tuple[str, Dimensions, str, float]] = []
        if result.target_chosen:
            out += [("RequestCount", dims, "Count", 1.0) for dims in scopes]
        if result.target_status is not None and 2 <= result.target_status // 100 <= 5:
            name = f"HTTPCode_Target_{result.target_status // 100}XX_Count"
            out += [(name, dims, "Count", 1.0) for dims in scopes]
        if result.response_seconds is not None:
            out += [("TargetResponseTime", dims, "Seconds", result.response_seconds) for dims in scopes]
        if result.connection_error:
            out += [("TargetConnectionErrorCount", dims, "Count", 1.0) for dims in scopes]
        if result.elb_status is not None:
            family = result.elb_status // 100
            if 3 <= family <= 5:
                out.append((f"HTTPCode_ELB_{family}XX_Count", lb_dims, "Count", 1.0))
            if result.elb_status in (500, 502, 503, 504):
                out.append((f"HTTPCode_ELB_{result.elb_status}_Count", lb_dims, "Count", 1.0))
            if not result.target_chosen and _is_fixed_response(spec, line.proxy):
                out.append(("HTTP_Fixed_Response_Count", lb_dims, "Count", 1.0))
        return out

    # -- target health samples ---------------------------------------------
    def sample(self) -> None:
        specs = list(self._specs().values())
        registered: dict[str, list[tuple[str, int]]] = {}
        with state.LOCK:
            for spec in specs:
                for backend in spec.backends.values():
                    group = lb_model.target_group(backend.target_group_arn)
                    if group is None:
                        continue
                    registered[backend.target_group_arn] = [
                        (t["Id"], int(t.get("Port") or group.port or 80)) for t in group.targets.values()
                    ]
        now = time.time()
        for spec in specs:
            for backend in spec.backends.values():
                targets = registered.get(backend.target_group_arn)
                if targets is None:
                    continue
                healthy = unhealthy = 0
                for target_id, port in targets:
                    verdict = self._health(spec, backend.name, backend.target_group_arn, target_id, port)
                    healthy += verdict == "healthy"
                    unhealthy += verdict == "unhealthy"
                if backend.check_enabled:
                    dims = {"TargetGroup": tg_dimension(backend.target_group_arn), "LoadBalancer": lb_dimension(spec.arn)}
                    self._publish(spec.arn, "HealthyHostCount", dims, [float(healthy)], "Count", now)
                    self._publish(spec.arn, "UnHealthyHostCount", dims, [float(unhealthy)], "Count", now)
                with self._lock:
                    sample = self._samples.setdefault((spec.arn, backend.target_group_arn), _Sample())
                    sample.divisor = healthy or len(targets) or 1
                    idle, sample.requests = sample.requests == 0, 0
                if idle and targets:
                    for dims in self._per_target_dimensions(spec.arn, backend.target_group_arn):
                        self._publish(spec.arn, "RequestCountPerTarget", dims, [0.0], "Count", now)

    def _health(self, spec: LoadBalancerSpec, backend: str, tg_arn: str, target_id: str, port: int) -> str | None:
        with self.manager.lock:
            lb = self.manager.lbs.get(spec.arn)
            if lb is None or server_name(target_id, port) not in lb.servers.get(backend, {}):
                return None
        answer = self.manager.target_health(tg_arn, target_id, port)
        return answer[0] if answer else None


def _is_fixed_response(spec: LoadBalancerSpec, proxy: str) -> bool:
    return any(frontend_name(listener) == proxy and listener.action[0] == "fixed-response" for listener in spec.listeners)


collector: AlbMetrics | None = None


def start(manager: Any) -> AlbMetrics:
    """Listen for the request lines of `manager`'s load balancers and publish them."""
    global collector
    if collector is None:
        collector = AlbMetrics(manager)
        manager.request_log = collector.request_log
        state.on_reset(collector.clear)
        collector.start()
    return collector


def stop() -> None:
    global collector
    if collector is not None:
        collector.manager.request_log = None
        collector.stop()
        collector = None
