"""EC2 status checks (DescribeInstanceStatus) of instances whose machine failed.

EC2 runs a system status check (the AWS systems the instance runs on) and an
instance status check (the instance's own reachability) every minute; a failed
check reports `impaired` with the detail `reachability: failed` (EC2 User Guide,
"Status checks for your instances"). moto reports `ok` for every running
instance. Here an instance can be marked impaired: in live mode, a machine that
crashed (its nspawn process died without being told to stop) stays `running`
for EC2, as a crashed instance does on AWS, but fails both checks. Auto Scaling
counts a failed status check as an EC2 health check failure (see
autoscaling/healing.py).
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.instances import Instance

from emulator.state import on_reset

# Instance ids whose status checks fail.
impaired: set[str] = set()


@on_reset
def _clear() -> None:
    impaired.clear()


def mark_impaired(instance_id: str) -> None:
    impaired.add(instance_id)


def is_impaired(instance: Instance) -> bool:
    return instance.state == "running" and instance.id in impaired


def _status(self: Instance) -> dict[str, Any]:
    if self.state_code != 16:
        return {"Status": "not-applicable"}
    if self.id in impaired:
        return {"Details": [{"Name": "reachability", "Status": "failed"}], "Status": "impaired"}
    return {"Details": [{"Name": "reachability", "Status": "passed"}], "Status": "ok"}


def install() -> None:
    Instance.instance_status = property(_status)  # type: ignore[assignment,method-assign]
    Instance.system_status = property(_status)  # type: ignore[assignment,method-assign]
