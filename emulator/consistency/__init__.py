"""Eventual consistency: a just-created resource is not yet visible, to reads and writes.

AWS documents that its APIs are eventually consistent ("Eventual consistency in the
Amazon EC2 API", the IAM user guide's "Changes that I make are not always immediately
visible", and the same for Elastic Load Balancing and Auto Scaling). With the timing
knob `consistency_delay_seconds` > 0, for that many seconds after a resource is created
(each resource its own lag, see registry.py):

* reads that name it by id, ARN or name answer that it does not exist (reads.py);
* writes that name it (Authorize/Revoke security group rules, CreateTags/DeleteTags,
  AddTags/RemoveTags, ModifyLoadBalancerAttributes, ModifyTargetGroup(Attributes),
  TerminateInstances, ...) fail with the same NotFound error (writes.py);
* tag-filtered DescribeInstances / DescribeSecurityGroups / DescribeImages leave it
  out (listings.py);
* DescribeAutoScalingGroups by name leaves a young group out of its answer (an empty
  list if no named group is visible), which is how Auto Scaling answers for a name it
  does not know.

Errors use the code and protocol AWS uses for a missing resource of that kind.
Calls that list everything (no id, ARN, name or tag filter) still show the resource.
The default security group of a VPC is never hidden (it exists as soon as the VPC
does). Each such answer is counted under "lagging" in `GET /_emulator/calls`.
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any
from urllib.parse import urlencode

from emulator import calls
from emulator import faults
from emulator import state
from emulator.consistency import answers, reads, writes
from emulator.consistency.listings import answer as answer_listing
from emulator.consistency.registry import GLOBAL_KINDS, age, clear, install, is_young, record
from emulator.consistency.request_params import params as _params
from emulator.consistency.request_params import values as _values
from emulator.request_info import RequestInfo
from emulator.state import LOCK

__all__ = [
    "GLOBAL_KINDS",
    "age",
    "answer_listing",
    "clear",
    "install",
    "intercept",
    "is_young",
    "record",
    "window",
]

Answer = tuple[str, list[tuple[str, str]], bytes]

_ASG_NAMES = "AutoScalingGroupNames"


def window() -> float:
    """The lag of a new resource, in seconds (0: everything is visible at once)."""
    return float(state.timing.get("consistency_delay_seconds", 0) or 0)


def _empty_groups_answer() -> tuple[str, list[tuple[str, str]], bytes]:
    request_id = str(uuid.uuid4())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<DescribeAutoScalingGroupsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
        "<DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</DescribeAutoScalingGroupsResponse>"
    ).encode("utf-8")
    headers = [
        ("x-amzn-RequestId", request_id),
        ("Content-Type", "text/xml"),
        ("Content-Length", str(len(body))),
    ]
    return "200 OK", headers, body


def _hide_groups(
    info: RequestInfo, environ: dict[str, Any], window: float
) -> tuple[str, list[tuple[str, str]], bytes] | None:
    params = _params(environ)
    names = _values(params, _ASG_NAMES)
    young = [n for n in names if is_young("asg", info.region, n, window)]
    if not young:
        return None
    visible = [n for n in names if n not in young]
    if not visible:
        return _empty_groups_answer()
    # Ask moto for the visible names only: rewrite the form body.
    kept = {k: v for k, v in params.items() if not re.match(rf"^{_ASG_NAMES}\.member\.\d+$", k)}
    for number, name in enumerate(visible, 1):
        kept[f"{_ASG_NAMES}.member.{number}"] = [name]
    body = urlencode({k: v[0] for k, v in kept.items()}).encode("utf-8")
    environ["QUERY_STRING"] = ""
    environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded; charset=utf-8"
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)
    return None


def _not_found(info: RequestInfo, found: answers.NotFound, young: list[str]) -> Answer:
    code, message, status = found
    calls.record_lagging(info.key)
    return faults.render(faults.Fault(info.service or "", info.action, code, message(young), status, 1), info)


def _named_checks(info: RequestInfo, found: dict[str, list[str]], lag: float) -> Answer | None:
    key = (info.service or "", info.action or "")
    for parameter, kind, answer in reads.CHECKS.get(key, []) + writes.CHECKS.get(key, []):
        young = [v for v in _values(found, parameter) if is_young(kind, info.region, v, lag)]
        if young:
            return _not_found(info, answer, young)
    return None


def _tag_writes(info: RequestInfo, found: dict[str, list[str]], lag: float) -> Answer | None:
    if info.service == "ec2" and info.action in writes.EC2_TAG_WRITES:
        named, classify = _values(found, writes.EC2_TAG_PARAMETER), answers.of_ec2_id
    elif info.service == "elasticloadbalancing" and info.action in writes.ELB_TAG_WRITES:
        named, classify = _values(found, writes.ELB_TAG_PARAMETER), answers.of_elb_arn
    else:
        return None
    for resource in named:
        kind_and_answer = classify(resource)
        if kind_and_answer is not None and is_young(kind_and_answer[0], info.region, resource, lag):
            return _not_found(info, kind_and_answer[1], [resource])
    return None


def intercept(info: RequestInfo, environ: dict[str, Any]) -> Answer | None:
    """The answer for a request that names a resource still invisible, else None.

    May rewrite the request (DescribeAutoScalingGroups) so moto leaves young groups out.
    """
    lag = window()
    if lag <= 0 or info.service is None or info.action is None:
        return None
    with LOCK:
        if (info.service, info.action) == ("autoscaling", "DescribeAutoScalingGroups"):
            return _hide_groups(info, environ, lag)
        found = _params(environ)
        return _named_checks(info, found, lag) or _tag_writes(info, found, lag)
