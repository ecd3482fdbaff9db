"""Entry points of the live load balancers (`server.py --live-lb`, implied by
`--machines nspawn`).

    enable(base)        sweep leftovers of crashed emulators, make this run's
                        directory, patch target health, start the request
                        metrics (cloudwatch/alb_metrics.py) and the ticker
    after_request(info) reconcile after an AWS request that may change state
    listing()           GET /_emulator/load-balancers
    shutdown()          stop every HAProxy process and remove the files
"""

from __future__ import annotations

import os
import sys
from typing import Any

from emulator import state
from emulator.live import lb_health, lb_process
from emulator.live.lb_manager import Manager

manager: Manager | None = None

_SERVICES = {"elasticloadbalancing", "autoscaling", "ec2"}
_READ_ONLY = ("Describe", "Get", "List")


def enable(base: str = lb_process.DEFAULT_BASE) -> Manager:
    global manager
    if manager is not None:
        return manager
    if not os.path.exists(lb_process.HAPROXY):
        raise SystemExit("emulator: --live-lb needs haproxy (apt-get install haproxy)")
    try:
        for path in lb_process.sweep(base):
            print(f"live-lb: removed leftovers {path}", file=sys.stderr, flush=True)
        run_dir = lb_process.make_run_dir(base)
    except OSError as err:
        raise SystemExit(f"emulator: --live-lb cannot use {base}: {err} (run as root or pass --lb-run-dir)") from None
    manager = Manager(run_dir)
    lb_health.install(manager)
    from emulator.autoscaling import health as asg_health

    asg_health.PASSING_STATES.add("unused")  # Target.NotInUse: no load balancer says unhealthy
    state.on_reset(manager.clear)
    from emulator.cloudwatch import alb_metrics

    alb_metrics.start(manager)  # every request becomes AWS/ApplicationELB datapoints
    manager.start_ticker()
    return manager


def after_request(info: Any) -> None:
    if manager is None or info.service not in _SERVICES:
        return
    if (info.action or "").startswith(_READ_ONLY):
        return
    manager.reconcile()


def listing() -> dict[str, Any]:
    if manager is None:
        return {"live": False, "load_balancers": {}}
    manager.reconcile()
    return {"live": True, "load_balancers": manager.listing()}


def shutdown() -> None:
    global manager
    if manager is not None:
        from emulator.cloudwatch import alb_metrics

        alb_metrics.stop()
        manager.shutdown()
        manager = None
