"""SSM managed nodes: DescribeInstanceInformation.

An EC2 instance is a managed node when its SSM Agent can register, which needs an
IAM instance profile: a running instance with a profile is `Online` (after the
`ssm_online_delay_seconds` control has passed since its launch); a stopped or
stopping one that was online is `ConnectionLost`; instances without a profile, and
terminated instances, are absent. With live machines (`--machines nspawn`),
live/ssm_live.py wraps `ping_status`: Online only once the machine has booted.

Filters (InstanceIds, PingStatus, PlatformTypes/PlatformType, ResourceType,
AgentVersion, tag:Key, tag-key), the legacy InstanceInformationFilterList, MaxResults
(5..50, default 10) and NextToken follow the SSM API reference.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ec2 import ec2_backends
from moto.ec2.models.instances import Instance
from moto.ssm.responses import SimpleSystemManagerResponse

from emulator import state

AGENT_VERSION = "3.3.1142.0"


class InvalidFilterKey(ServiceException):
    code = "InvalidFilterKey"


class InvalidInstanceInformationFilterValue(ServiceException):
    code = "InvalidInstanceInformationFilterValue"


class InvalidNextToken(ServiceException):
    code = "InvalidNextToken"


class ValidationException(ServiceException):
    code = "ValidationException"


def _launch_time(instance: Instance) -> datetime.datetime:
    launched = instance.launch_time
    if isinstance(launched, str):
        launched = datetime.datetime.fromisoformat(launched.replace("Z", "+00:00"))
    if launched.tzinfo is None:
        launched = launched.replace(tzinfo=datetime.timezone.utc)
    return launched


def ping_status(ec2_backend: Any, instance: Instance) -> str | None:
    """'Online', 'ConnectionLost' or None (not a managed node)."""
    if instance.id not in ec2_backend.iam_instance_profile_associations:
        return None
    registered_at = _launch_time(instance) + datetime.timedelta(
        seconds=float(state.timing["ssm_online_delay_seconds"])
    )
    if datetime.datetime.now(datetime.timezone.utc) < registered_at:
        return None
    if instance.state == "running":
        return "Online"
    if instance.state in ("stopped", "stopping"):
        return "ConnectionLost"
    return None


def is_online(account_id: str, region: str, instance_id: str) -> bool:
    backend = ec2_backends[account_id][region]
    instance = backend.get_instance_by_id(instance_id)
    return instance is not None and ping_status(backend, instance) == "Online"


def _information(ec2_backend: Any, instance: Instance, status: str) -> dict[str, Any]:
    registered = _launch_time(instance) + datetime.timedelta(
        seconds=float(state.timing["ssm_online_delay_seconds"])
    )
    now = datetime.datetime.now(datetime.timezone.utc)
    windows = (instance.platform or "").lower() == "windows"
    private_ip = instance.private_ip or ""
    return {
        "InstanceId": instance.id,
        "PingStatus": status,
        "LastPingDateTime": now if status == "Online" else registered,
        "AgentVersion": AGENT_VERSION,
        "IsLatestVersion": True,
        "PlatformType": "Windows" if windows else "Linux",
        "PlatformName": "Microsoft Windows Server" if windows else "Amazon Linux",
        "PlatformVersion": "2022" if windows else "2023",
        "ResourceType": "EC2Instance",
        "IPAddress": private_ip,
        "ComputerName": f"ip-{private_ip.replace('.', '-')}.ec2.internal" if private_ip else instance.id,
        "RegistrationDate": registered,
        "AssociationStatus": "Success",
        "SourceId": instance.id,
        "SourceType": "AWS::EC2::Instance",
    }


_FIELD_FOR_KEY = {
    "InstanceIds": "InstanceId",
    "PingStatus": "PingStatus",
    "PlatformTypes": "PlatformType",
    "PlatformType": "PlatformType",
    "ResourceType": "ResourceType",
    "AgentVersion": "AgentVersion",
    "AssociationStatus": "AssociationStatus",
    "SourceIds": "SourceId",
    "SourceTypes": "SourceType",
}


def _matches(info: dict[str, Any], tags: dict[str, str], key: str, values: list[str]) -> bool:
    if key.startswith("tag:"):
        return tags.get(key[4:]) in values
    if key == "tag-key":
        return any(v in tags for v in values)
    return info.get(_FIELD_FOR_KEY[key]) in values


def _parse_filters(filters: list[dict[str, Any]], legacy: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    if filters and legacy:
        raise ValidationException(
            "You can specify either InstanceInformationFilterList or Filters, but not both."
        )
    parsed = [(f.get("Key", ""), f.get("Values", [])) for f in filters]
    parsed += [(f.get("key", ""), f.get("valueSet", [])) for f in legacy]
    for key, values in parsed:
        if not (key in _FIELD_FOR_KEY or key.startswith("tag:") or key == "tag-key"):
            raise InvalidFilterKey(f"The filter key {key} is not valid.")
        if not values:
            raise InvalidInstanceInformationFilterValue(f"The filter {key} needs at least one value.")
    return parsed


def describe_instance_information(self: SimpleSystemManagerResponse) -> ActionResult:
    filters = _parse_filters(
        self._get_param("Filters", []) or [],
        self._get_param("InstanceInformationFilterList", []) or [],
    )
    max_results = self._get_int_param("MaxResults") or 10
    if not 5 <= max_results <= 50:
        raise ValidationException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
            "constraint: Member must have value between 5 and 50"
        )
    backend = ec2_backends[self.current_account][self.region]
    nodes = []
    for reservation in backend.all_reservations():
        for instance in reservation.instances:
            status = ping_status(backend, instance)
            if status is None:
                continue
            info = _information(backend, instance, status)
            tags = {t["key"]: t["value"] for t in backend.describe_tags(filters={"resource-id": [instance.id]})}
            if all(_matches(info, tags, key, values) for key, values in filters):
                nodes.append(info)
    nodes.sort(key=lambda n: n["InstanceId"])
    start = 0
    token = self._get_param("NextToken")
    if token:
        try:
            start = int(token)
        except ValueError:
            raise InvalidNextToken("The specified token is not valid.") from None
    page = nodes[start : start + max_results]
    result: dict[str, Any] = {"InstanceInformationList": page}
    if start + max_results < len(nodes):
        result["NextToken"] = str(start + max_results)
    return ActionResult(result)


def install() -> None:
    SimpleSystemManagerResponse.describe_instance_information = describe_instance_information  # type: ignore[attr-defined]
