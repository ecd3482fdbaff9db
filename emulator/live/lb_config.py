"""What a live load balancer should look like, and its HAProxy configuration.

`LoadBalancerSpec` is a plain snapshot of one application load balancer taken
from moto's ELBv2 and EC2 backends: its listeners (default actions only), the
target groups they forward to (one HAProxy backend each, with the group's health
check settings scaled by `health_check_time_scale`) and the targets registered
in those groups that can take traffic (running instances with a private IP, or
IP targets). `render()` turns the structure of a spec into an HAProxy
configuration; servers are added and removed on the runtime socket instead (see
lb_manager), so the configuration only lists the servers the running process
already has, and a reload keeps their health through the server-state file.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

# Target group algorithm -> HAProxy balance algorithm (all "dynamic", as runtime
# `add server` requires).
ALGORITHMS = {
    "round_robin": "roundrobin",
    "least_outstanding_requests": "leastconn",
    "weighted_random": "random",
}


@dataclass(frozen=True)
class Server:
    name: str  # HAProxy server name
    target_id: str
    port: int
    address: str


@dataclass(frozen=True)
class Backend:
    """One target group as HAProxy sees it (servers excluded)."""

    name: str
    target_group_arn: str
    algorithm: str
    check_enabled: bool
    check_path: str
    check_port: int | None  # None: the traffic port
    status_regex: str
    inter_ms: int
    timeout_ms: int
    rise: int
    fall: int
    deregistration_delay_s: float


@dataclass(frozen=True)
class Listener:
    arn: str
    port: int
    protocol: str
    # ("forward", ((backend name, weight), ...)) | ("fixed-response", status, content type, body)
    # | ("unsupported", action type)
    action: tuple


@dataclass
class LoadBalancerSpec:
    arn: str
    name: str
    dns_name: str
    idle_timeout_s: int
    listeners: tuple[Listener, ...]
    backends: dict[str, Backend]
    servers: dict[str, dict[str, Server]] = field(default_factory=dict)  # backend -> name -> server

    def structure(self) -> tuple:
        """Everything that needs a configuration reload when it changes."""
        return (self.idle_timeout_s, self.listeners, tuple(sorted(self.backends.items())))


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:length]


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def backend_name(target_group_arn: str, target_group_name: str) -> str:
    return f"tg_{_safe(target_group_name)}_{short_hash(target_group_arn)}"


def server_name(target_id: str, port: int) -> str:
    return f"{_safe(target_id)}_{port}"


def frontend_name(listener: Listener) -> str:
    return f"l{listener.port}_{short_hash(listener.arn)}"


def status_regex(http_code: str) -> str:
    """An anchored regex for a target group matcher such as `200`, `200,202` or `200-399`."""
    codes: list[str] = []
    for part in str(http_code or "200").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            codes.extend(str(c) for c in range(low, high + 1))
        else:
            codes.append(str(int(part)))
    return "^(" + "|".join(dict.fromkeys(codes) or ["200"]) + ")$"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def server_line(backend: Backend, server: Server) -> str:
    """The `server` arguments, shared by the configuration and runtime `add server`."""
    # Keep-alive connections to targets are pooled (a dynamic server has no pool
    # unless pool-max-conn is given) and idle ones go after 0.5 s, so that a
    # drained server can be deleted soon after its deregistration delay.
    parts = [server.name, f"{server.address}:{server.port}", "weight 1", "pool-max-conn 100", "pool-purge-delay 500"]
    if backend.check_enabled:
        parts += [
            "check",
            f"inter {backend.inter_ms}",
            f"fastinter {backend.inter_ms}",
            f"downinter {backend.inter_ms}",
            f"rise {backend.rise}",
            f"fall {backend.fall}",
        ]
        if backend.check_port is not None:
            parts.append(f"port {backend.check_port}")
    return " ".join(parts)


def _frontend(listener: Listener, local_port: int) -> list[str]:
    lines = [
        f"frontend {frontend_name(listener)}",
        f"    bind 127.0.0.1:{local_port}",
        # The headers an ALB adds (X-Forwarded-Proto/Port as the listener has them).
        "    option forwardfor",
        f"    http-request set-header X-Forwarded-Proto {listener.protocol.lower() or 'http'}",
        f"    http-request set-header X-Forwarded-Port {listener.port}",
    ]
    kind = listener.action[0]
    if kind == "forward":
        choices = [(name, weight) for name, weight in listener.action[1] if weight > 0]
        if not choices:
            lines.append("    http-request return status 503")
            return lines
        total = sum(weight for _, weight in choices)
        if len(choices) > 1:
            lines.append(f"    http-request set-var(txn.rr_pick) rand({total})")
            bound = 0
            for name, weight in choices[:-1]:
                bound += weight
                lines.append(f"    use_backend {name} if {{ var(txn.rr_pick) -m int lt {bound} }}")
        lines.append(f"    default_backend {choices[-1][0]}")
    elif kind == "fixed-response":
        _, status, content_type, body = listener.action
        line = f"    http-request return status {status}"
        if body:
            line += f" content-type {_quote(content_type or 'text/plain')} string {_quote(body)}"
        lines.append(line)
    else:
        lines.append("    http-request return status 503")
    return lines


# What the client gets when HAProxy cannot reach the target it picked (refused,
# reset before a response, closed without one): an ALB answers 502 Bad Gateway.
# HAProxy answers a failed connection with its 503 page; the backend's errorfile
# for 503 turns it into this 502, while "no target to route to" is answered with
# 503 by an explicit rule before a server is picked.
BAD_GATEWAY_PAGE = (
    "HTTP/1.1 502 Bad Gateway\r\n"
    "content-type: text/html\r\n"
    "cache-control: no-cache\r\n"
    "content-length: 51\r\n"
    "\r\n"
    "<html><body><h1>502 Bad Gateway</h1></body></html>\n"
)
NO_TARGET_PAGE = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


def _backend(backend: Backend, servers: list[Server], files: dict[str, str]) -> list[str]:
    lines = [
        f"backend {backend.name}",
        f"    balance {backend.algorithm}",
        # No target that can take a request (none registered, none healthy, all
        # draining): 503, as an ALB without a healthy target to route to.
        f"    http-request return status 503 content-type text/html string {_quote(NO_TARGET_PAGE)} "
        "unless { nbsrv gt 0 }",
        f"    errorfile 503 {files['e502']}",
    ]
    if backend.check_enabled:
        lines += [
            f"    option httpchk GET {backend.check_path}",
            f"    http-check expect rstatus {backend.status_regex}",
            f"    timeout check {backend.timeout_ms}",
        ]
    lines += [f"    server {server_line(backend, s)}" for s in servers]
    return lines


def render(
    spec: LoadBalancerSpec,
    ports: dict[str, int],
    servers: dict[str, list[Server]],
    files: dict[str, str],
    request_log: tuple[str, str] | None = None,
) -> str:
    """The HAProxy configuration of one load balancer.

    `ports`: listener ARN -> loopback port; `servers`: backend -> the servers the
    running process already has; `files`: `sock`, `state` and `e502` (the file
    holding BAD_GATEWAY_PAGE) paths. `request_log`: (loopback `host:port`, log
    format) to send one line per request to (the CloudWatch metrics of
    cloudwatch/alb_metrics.py), or None.
    """
    idle = max(1, spec.idle_timeout_s)
    log_global: list[str] = []
    log_defaults: list[str] = []
    if request_log is not None:
        address, log_format = request_log
        log_global = [f"    log {address} len 1024 format raw local0 info"]
        log_defaults = ["    log global", f"    log-format {_quote(log_format)}"]
    out = [
        f"# {spec.name} {spec.arn}",
        "global",
        *log_global,
        f"    stats socket {files['sock']} mode 600 level admin expose-fd listeners",
        f"    server-state-file {files['state']}",
        # Old processes of a reload finish their requests, but not forever.
        f"    hard-stop-after {max(idle, 30) + 5}s",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode http",
        "    option http-keep-alive",
        "    http-reuse always",
        "    option dontlognull",
        *log_defaults,
        "    load-server-state-from-file global",
        # An ALB never sends a request again (ALB user guide, "Troubleshoot your
        # Application Load Balancers": a target that refuses or resets the
        # connection gives the client a 502, one that does not answer within the
        # idle timeout a 504). No retries of a failed connection (`retries 0`),
        # no layer-7 retries (`retry-on none`), no redispatch to another server.
        # A request sent on a reused idle server connection that the target closed
        # meanwhile is not re-sent either: it fails like any other (see README).
        "    retries 0",
        "    retry-on none",
        "    no option redispatch",
        "    timeout connect 5s",
        f"    timeout client {idle}s",
        f"    timeout server {idle}s",
        "    timeout http-request 60s",
        "    timeout queue 5s",
        "",
    ]
    for listener in spec.listeners:
        if listener.arn in ports:
            out += _frontend(listener, ports[listener.arn]) + [""]
    for name, backend in sorted(spec.backends.items()):
        out += _backend(backend, servers.get(name, []), files) + [""]
    return "\n".join(out)
