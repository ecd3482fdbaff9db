"""Helpers shared by the instance refresh tests (boto3 only)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from emulator.tests.aws_stack import refresh
from emulator.tests.conftest import REGION, wait_for

FINAL = {"Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"}


def clients(emu: Any) -> tuple[Any, Any, Any]:
    return emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")


def unvalidated_autoscaling(emu: Any) -> Any:
    """An Auto Scaling client that sends what it is given (as SDKs without range checks
    do), so the emulator's own validation answers."""
    return boto3.client(
        "autoscaling",
        region_name=REGION,
        endpoint_url=emu.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )


def desired(template_id: str, version: str = "2") -> dict[str, Any]:
    return {"LaunchTemplate": {"LaunchTemplateId": template_id, "Version": version}}


def start(autoscaling: Any, **kwargs: Any) -> str:
    return autoscaling.start_instance_refresh(AutoScalingGroupName="app", **kwargs)["InstanceRefreshId"]


def follow(autoscaling: Any, refresh_id: str, seen: list[dict[str, Any]] | None = None, timeout: float = 20.0) -> dict[str, Any]:
    """Poll until the refresh is final; every description seen is appended to `seen`."""

    def check() -> dict[str, Any] | None:
        r = refresh(autoscaling, refresh_id)
        if seen is not None:
            seen.append(r)
        return r if r["Status"] in FINAL else None

    return wait_for(check, timeout=timeout, interval=0.03)


def until(autoscaling: Any, refresh_id: str, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
    """Poll until a description satisfies predicate; return it."""

    def check() -> dict[str, Any] | None:
        r = refresh(autoscaling, refresh_id)
        return r if predicate(r) else None

    return wait_for(check, timeout=timeout, interval=0.03)


def versions(group_description: dict[str, Any]) -> list[str]:
    return sorted(i["LaunchTemplate"]["Version"] for i in group_description["Instances"])
