"""Test controls: JSON over HTTP under /_emulator/ on the emulator's own port.

    GET    /_emulator/health
    GET    /_emulator/faults                    list the pending faults
    POST   /_emulator/faults                    add one (see faults.parse_fault)
    DELETE /_emulator/faults                    clear all
    GET    /_emulator/unhealthy-images          list
    POST   /_emulator/unhealthy-images          {"image_id": "ami-..."}
    DELETE /_emulator/unhealthy-images          {"image_id": "ami-..."}; no body: clear all
    GET    /_emulator/unhealthy-instances       list
    POST   /_emulator/unhealthy-instances       {"instance_id": "i-..."}
    DELETE /_emulator/unhealthy-instances       {"instance_id": "i-..."}; no body: clear all
    GET    /_emulator/ssm/command-outcomes      list
    POST   /_emulator/ssm/command-outcomes      {"match", "status", "stdout", "stderr", "exit_code"}
    DELETE /_emulator/ssm/command-outcomes      clear all
    GET    /_emulator/timing                    current knobs
    POST   /_emulator/timing                    partial update
    GET    /_emulator/realism                   {"enabled", "profile", "timing"}
    POST   /_emulator/realism                   {"enabled": true|false}: realistic profile on/off
    GET    /_emulator/calls                     {"calls": {"ec2:RunInstances": 3, ...}, "total": N}
    POST   /_emulator/calls/reset
    GET    /_emulator/load-balancers            live mode: DNS name / ARN -> listener URLs
    POST   /_emulator/cloudwatch/metrics        inject datapoints (see cloudwatch/metrics_control.py)
    POST   /_emulator/cloudwatch/evaluate       evaluate alarms now: {"alarm_names"?: [...]} -> {"states"}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from emulator import calls
from emulator import faults
from emulator import realism
from emulator.ssm import commands as ssm_commands
from emulator import state
from emulator.cloudwatch import alarm_ticker as cloudwatch_alarms
from emulator.cloudwatch import metrics_control as cloudwatch_metrics
from emulator.live import lb_live
from emulator.state import LOCK

Handler = Callable[[Any], tuple[int, Any]]


def _health(_: Any) -> tuple[int, Any]:
    return 200, {"status": "ok"}


def _faults_get(_: Any) -> tuple[int, Any]:
    return 200, {"faults": faults.listing()}


def _faults_post(body: Any) -> tuple[int, Any]:
    fault = faults.parse_fault(_object(body))
    faults.add(fault)
    return 201, {"fault": fault.as_dict()}


def _faults_delete(_: Any) -> tuple[int, Any]:
    with LOCK:
        faults.clear()
    return 200, {"faults": []}


def _marks(kind: str, key: str, store: set[str]) -> dict[str, Handler]:
    def get(_: Any) -> tuple[int, Any]:
        with LOCK:
            return 200, {kind: sorted(store)}

    def post(body: Any) -> tuple[int, Any]:
        value = _object(body).get(key)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{key} must be a non-empty string")
        with LOCK:
            store.add(value)
            return 200, {kind: sorted(store)}

    def delete(body: Any) -> tuple[int, Any]:
        with LOCK:
            if body is None or body == {}:
                store.clear()
            else:
                store.discard(str(_object(body).get(key)))
            return 200, {kind: sorted(store)}

    return {"GET": get, "POST": post, "DELETE": delete}


def _outcomes_get(_: Any) -> tuple[int, Any]:
    return 200, {"outcomes": ssm_commands.outcome_listing()}


def _outcomes_post(body: Any) -> tuple[int, Any]:
    outcome = ssm_commands.parse_outcome(_object(body))
    ssm_commands.add_outcome(outcome)
    return 201, {"outcome": outcome.as_dict()}


def _outcomes_delete(_: Any) -> tuple[int, Any]:
    with LOCK:
        ssm_commands.clear_outcomes()
    return 200, {"outcomes": []}


def _timing_get(_: Any) -> tuple[int, Any]:
    with LOCK:
        return 200, {"timing": dict(state.timing)}


def _timing_post(body: Any) -> tuple[int, Any]:
    with LOCK:
        return 200, {"timing": state.set_timing(_object(body))}


def _calls_get(_: Any) -> tuple[int, Any]:
    return 200, calls.snapshot()


def _calls_reset(_: Any) -> tuple[int, Any]:
    calls.reset()
    return 200, calls.snapshot()


ROUTES: dict[str, dict[str, Handler]] = {
    "/_emulator/health": {"GET": _health},
    "/_emulator/faults": {"GET": _faults_get, "POST": _faults_post, "DELETE": _faults_delete},
    "/_emulator/unhealthy-images": _marks("images", "image_id", state.unhealthy_images),
    "/_emulator/unhealthy-instances": _marks(
        "instances", "instance_id", state.unhealthy_instances
    ),
    "/_emulator/ssm/command-outcomes": {
        "GET": _outcomes_get,
        "POST": _outcomes_post,
        "DELETE": _outcomes_delete,
    },
    "/_emulator/timing": {"GET": _timing_get, "POST": _timing_post},
    "/_emulator/realism": {
        "GET": lambda _: (200, realism.describe()),
        "POST": lambda body: (200, realism.handle_post(_object(body))),
    },
    "/_emulator/calls": {"GET": _calls_get},
    "/_emulator/calls/reset": {"POST": _calls_reset},
    "/_emulator/load-balancers": {"GET": lambda _: (200, lb_live.listing())},
    "/_emulator/cloudwatch/metrics": {"POST": lambda body: (201, cloudwatch_metrics.handle_post(_object(body)))},
    "/_emulator/cloudwatch/evaluate": {"POST": lambda body: (200, _evaluate_alarms(_object(body)))},
}


def _evaluate_alarms(body: dict[str, Any]) -> dict[str, Any]:
    names = body.get("alarm_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ValueError("alarm_names must be a list of strings")
    return {"states": cloudwatch_alarms.evaluate_all(names)}


def _object(body: Any) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _read_json(environ: dict[str, Any]) -> Any:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    if not raw.strip():
        return None
    return json.loads(raw)


def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    path = environ.get("PATH_INFO", "").rstrip("/")
    method = environ.get("REQUEST_METHOD", "GET").upper()
    routes = ROUTES.get(path)
    if routes is None:
        status, payload = 404, {"error": f"no control at {path}"}
    elif method not in routes:
        status, payload = 405, {"error": f"{method} not allowed on {path}"}
    else:
        try:
            status, payload = routes[method](_read_json(environ))
        except json.JSONDecodeError as err:
            status, payload = 400, {"error": f"invalid JSON: {err}"}
        except ValueError as err:
            status, payload = 400, {"error": str(err)}
    data = json.dumps(payload).encode("utf-8")
    reason = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found"}.get(
        status, "Method Not Allowed"
    )
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
