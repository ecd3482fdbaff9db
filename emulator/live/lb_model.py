"""Snapshots of moto's application load balancers as `LoadBalancerSpec`s.

Call `snapshot()` with state.LOCK held. Only application load balancers with at
least one listener get a spec (a load balancer without listeners needs no
process). A listener's default action decides where requests go: `forward`
(a single TargetGroupArn, or a ForwardConfig with weights), `fixed-response`;
other actions and listener rules are not served (see the README).
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import elbv2_backends

from emulator import state
from emulator.live.lb_config import (
    ALGORITHMS,
    Backend,
    Listener,
    LoadBalancerSpec,
    Server,
    backend_name,
    server_name,
    status_regex,
)


def backends() -> list[Any]:
    """Every ELBv2 backend moto has created (no new ones are created)."""
    out = []
    for per_account in list(dict.values(elbv2_backends)):
        out.extend(list(dict.values(per_account)))
    return out


def scale() -> float:
    return float(state.timing.get("health_check_time_scale", 1.0))


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _forward_targets(data: dict[str, Any]) -> list[tuple[str, int]]:
    config = data.get("ForwardConfig") or {}
    groups = config.get("TargetGroups") or []
    if groups:
        return [(g["TargetGroupArn"], _int(g.get("Weight", 1), 1)) for g in groups]
    if data.get("TargetGroupArn"):
        return [(data["TargetGroupArn"], 1)]
    return []


def backend_spec(target_group: Any) -> Backend:
    factor = scale()
    port = target_group.health_check_port
    check_port = None if port in (None, "", "traffic-port") else _int(port, 0) or None
    interval = _int(target_group.health_check_interval_seconds, 30)
    timeout = _int(target_group.health_check_timeout_seconds, 5)
    attributes = target_group.attributes
    algorithm = str(attributes.get("load_balancing.algorithm.type", "round_robin"))
    return Backend(
        name=backend_name(target_group.arn, target_group.name),
        target_group_arn=target_group.arn,
        algorithm=ALGORITHMS.get(algorithm, "roundrobin"),
        check_enabled=bool(target_group.health_check_enabled),
        check_path=(target_group.health_check_path or "/").replace(" ", "%20"),
        check_port=check_port,
        status_regex=status_regex((getattr(target_group, "matcher", None) or {}).get("HttpCode", "200")),
        inter_ms=max(10, round(interval * 1000 * factor)),
        timeout_ms=max(5, round(timeout * 1000 * factor)),
        rise=max(1, _int(target_group.healthy_threshold_count, 5)),
        fall=max(1, _int(target_group.unhealthy_threshold_count, 2)),
        deregistration_delay_s=float(attributes.get("deregistration_delay.timeout_seconds", 300)) * factor,
    )


def servers_of(target_group: Any) -> dict[str, Server]:
    """Registered targets that can take traffic: running instances and IP targets."""
    out: dict[str, Server] = {}
    ec2 = target_group.ec2_backend
    for target in target_group.targets.values():
        target_id = target["Id"]
        port = _int(target.get("Port") or target_group.port, 80)
        if target_id.startswith("i-"):
            instance = ec2.get_instance_by_id(target_id)
            if instance is None or instance.state != "running" or not instance.private_ip_address:
                continue
            address = instance.private_ip_address
        elif target_group.target_type == "ip":
            address = target_id
        else:
            continue
        server = Server(server_name(target_id, port), target_id, port, address)
        out[server.name] = server
    return out


def _spec(backend: Any, balancer: Any) -> LoadBalancerSpec | None:
    if balancer.type != "application" or not balancer.listeners:
        return None
    listeners = []
    backends: dict[str, Backend] = {}
    servers: dict[str, dict[str, Server]] = {}
    for listener in balancer.listeners.values():
        actions = [a for a in listener.default_actions if a.type in ("forward", "fixed-response", "redirect")]
        action: tuple = ("unsupported", "none")
        if actions and actions[-1].type == "forward":
            weights = []
            for arn, weight in _forward_targets(actions[-1].data):
                target_group = backend.target_groups.get(arn)
                if target_group is None:
                    continue
                spec = backend_spec(target_group)
                backends[spec.name] = spec
                servers[spec.name] = servers_of(target_group)
                weights.append((spec.name, weight))
            action = ("forward", tuple(weights))
        elif actions and actions[-1].type == "fixed-response":
            config = actions[-1].data.get("FixedResponseConfig") or {}
            action = (
                "fixed-response",
                _int(config.get("StatusCode"), 503),
                config.get("ContentType") or "text/plain",
                config.get("MessageBody") or "",
            )
        elif actions:
            action = ("unsupported", actions[-1].type)
        listeners.append(Listener(listener.arn, _int(listener.port, 80), listener.protocol, action))
    return LoadBalancerSpec(
        arn=balancer.arn,
        name=balancer.name,
        dns_name=balancer.dns_name,
        idle_timeout_s=_int(balancer.attrs.get("idle_timeout.timeout_seconds"), 60),
        listeners=tuple(sorted(listeners, key=lambda x: x.arn)),
        backends=backends,
        servers=servers,
    )


def snapshot() -> dict[str, LoadBalancerSpec]:
    """Load balancer ARN -> spec, for every application load balancer with listeners."""
    out: dict[str, LoadBalancerSpec] = {}
    for backend in backends():
        for balancer in list(backend.load_balancers.values()):
            spec = _spec(backend, balancer)
            if spec is not None:
                out[spec.arn] = spec
    return out


def target_group(arn: str) -> Any:
    for backend in backends():
        found = backend.target_groups.get(arn)
        if found is not None:
            return found
    return None
