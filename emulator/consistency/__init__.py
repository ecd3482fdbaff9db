"""Eventual consistency: a just-created resource is not yet visible to reads that name it.

AWS documents that its APIs are eventually consistent ("Eventual consistency in the
Amazon EC2 API", the IAM user guide's "Changes that I make are not always immediately
visible", and the same for Elastic Load Balancing and Auto Scaling): a Describe or Get
right after a Create can answer that the resource does not exist. With the timing
knob `consistency_delay_seconds` > 0, for that many seconds after a resource is
created, a request that names it by id, ARN or name answers as if it did not exist,
with the error code and protocol AWS uses for a missing resource of that kind:

* EC2 DescribeSecurityGroups (GroupId)          InvalidGroup.NotFound
* EC2 DescribeLaunchTemplates / DescribeLaunchTemplateVersions
      by id                                     InvalidLaunchTemplateId.NotFound
      by name                                   InvalidLaunchTemplateName.NotFoundException
* EC2 DescribeInstances (InstanceId)            InvalidInstanceID.NotFound
* EC2 DescribeImages (ImageId)                  InvalidAMIID.NotFound
* ELBv2 load balancer / target group / listener by ARN or name (Describe* and the
  Describe*Attributes, DescribeTargetHealth, DescribeRules that name one):
      LoadBalancerNotFound / TargetGroupNotFound / ListenerNotFound
* Auto Scaling DescribeAutoScalingGroups (AutoScalingGroupNames): the young group
  is left out of the answer (an empty list if no named group is visible), which is
  how Auto Scaling answers for a name it does not know.
* IAM GetRole / GetInstanceProfile              NoSuchEntity (404)

Calls that list everything (no id, ARN or name) still show the resource. Creation
times are recorded when moto's backends create the resources, so instances that an
Auto Scaling group launches are young too. The default security group of a VPC is
never hidden (it exists as soon as the VPC does).
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

from emulator import faults
from emulator import state
from emulator.request_info import RequestInfo, read_form_body
from emulator.state import LOCK, on_reset

# (kind, region or "", key) -> time.monotonic() of creation
_created: dict[tuple[str, str, str], float] = {}

GLOBAL_KINDS = {"role", "profile", "profile-arn"}


@on_reset
def clear() -> None:
    _created.clear()


def record(kind: str, region: str | None, *keys: str | None) -> None:
    now = time.monotonic()
    scope = "" if kind in GLOBAL_KINDS else (region or "")
    for key in keys:
        if key:
            _created[(kind, scope, key)] = now


def age(kind: str, region: str | None, key: str) -> float | None:
    """Seconds since the resource was created, or None if its creation was not seen."""
    scope = "" if kind in GLOBAL_KINDS else (region or "")
    created = _created.get((kind, scope, key))
    return None if created is None else time.monotonic() - created


def is_young(kind: str, region: str | None, key: str, window: float) -> bool:
    seconds = age(kind, region, key)
    return seconds is not None and window > 0 and seconds < window


# --- recording creations on moto's backends -------------------------------------------


def _wrap(cls: type, method: str, on_result: Callable[[Any, Any], None]) -> None:
    original = getattr(cls, method)

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        try:
            on_result(self, result)
        except Exception:  # recording must never break the call itself
            pass
        return result

    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(cls, method, wrapper)


def _region(backend: Any) -> str:
    return getattr(backend, "region_name", "") or ""


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from moto.autoscaling.models import AutoScalingBackend
    from moto.ec2.models.amis import AmiBackend
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.models.launch_templates import LaunchTemplateBackend
    from moto.ec2.models.security_groups import SecurityGroupBackend
    from moto.elbv2.models import ELBv2Backend
    from moto.iam.models import IAMBackend

    def security_group(backend: Any, group: Any) -> None:
        if not getattr(group, "is_default", False) and group.name != "default":
            record("sg", _region(backend), group.id)

    def launch_template(backend: Any, template: Any) -> None:
        record("lt", _region(backend), template.id)
        record("lt-name", _region(backend), template.name)

    def reservation(backend: Any, result: Any) -> None:
        record("instance", _region(backend), *(i.id for i in result.instances))

    def image(backend: Any, ami: Any) -> None:
        record("image", _region(backend), ami.id)

    def load_balancer(backend: Any, lb: Any) -> None:
        record("lb", _region(backend), lb.arn)
        record("lb-name", _region(backend), lb.name)

    def target_group(backend: Any, tg: Any) -> None:
        record("tg", _region(backend), tg.arn)
        record("tg-name", _region(backend), tg.name)

    def listener(backend: Any, item: Any) -> None:
        record("listener", _region(backend), item.arn)

    def group(backend: Any, item: Any) -> None:
        record("asg", _region(backend), item.name)

    def role(backend: Any, item: Any) -> None:
        record("role", None, item.name)

    def profile(backend: Any, item: Any) -> None:
        record("profile", None, item.name)
        record("profile-arn", None, item.arn)

    _wrap(SecurityGroupBackend, "create_security_group", security_group)
    _wrap(LaunchTemplateBackend, "create_launch_template", launch_template)
    _wrap(InstanceBackend, "run_instances", reservation)
    for method in ("create_image", "copy_image", "register_image"):
        _wrap(AmiBackend, method, image)
    _wrap(ELBv2Backend, "create_load_balancer", load_balancer)
    _wrap(ELBv2Backend, "create_target_group", target_group)
    _wrap(ELBv2Backend, "create_listener", listener)
    _wrap(AutoScalingBackend, "create_auto_scaling_group", group)
    _wrap(IAMBackend, "create_role", role)
    _wrap(IAMBackend, "create_instance_profile", profile)


# --- hiding young resources from requests that name them -------------------------------


def _values(params: dict[str, list[str]], name: str) -> list[str]:
    """A parameter's values: `Name`, `Name.N` (EC2 lists) or `Name.member.N` (query lists)."""
    pattern = re.compile(rf"^{re.escape(name)}(\.member)?\.(\d+)$")
    numbered = []
    for key, values in params.items():
        match = pattern.match(key)
        if match:
            numbered.append((int(match.group(2)), values[0]))
    out = [value for _, value in sorted(numbered)]
    if name in params:
        out.insert(0, params[name][0])
    return out


def _quoted(ids: list[str]) -> str:
    return ", ".join(ids)


def _ec2_instances(ids: list[str]) -> str:
    if len(ids) == 1:
        return f"The instance ID '{ids[0]}' does not exist"
    return f"The instance IDs '{_quoted(ids)}' do not exist"


def _ec2_images(ids: list[str]) -> str:
    if len(ids) == 1:
        return f"The image id '[{ids[0]}]' does not exist"
    return f"The image ids '[{_quoted(ids)}]' do not exist"


LT_MISSING = "At least one of the launch templates specified in the request does not exist."

# (service, action) -> checks: (parameter, kind, error code, message(young names), http status)
Check = tuple[str, str, str, Callable[[list[str]], str], int]
_ELB_LB = ("LoadBalancerNotFound", lambda _: "One or more load balancers not found", 400)
_ELB_TG = ("TargetGroupNotFound", lambda _: "One or more target groups not found", 400)
_ELB_LISTENER = ("ListenerNotFound", lambda _: "One or more listeners not found", 400)

CHECKS: dict[tuple[str, str], list[Check]] = {
    ("ec2", "DescribeSecurityGroups"): [
        ("GroupId", "sg", "InvalidGroup.NotFound", lambda ids: f"The security group '{ids[0]}' does not exist", 400),
    ],
    ("ec2", "DescribeLaunchTemplates"): [
        ("LaunchTemplateId", "lt", "InvalidLaunchTemplateId.NotFound", lambda _: LT_MISSING, 400),
        ("LaunchTemplateName", "lt-name", "InvalidLaunchTemplateName.NotFoundException", lambda _: LT_MISSING, 400),
    ],
    ("ec2", "DescribeLaunchTemplateVersions"): [
        (
            "LaunchTemplateId",
            "lt",
            "InvalidLaunchTemplateId.NotFound",
            lambda ids: f"The specified launch template, with template ID {ids[0]}, does not exist.",
            400,
        ),
        (
            "LaunchTemplateName",
            "lt-name",
            "InvalidLaunchTemplateName.NotFoundException",
            lambda ids: f"The specified launch template, with template name {ids[0]}, does not exist.",
            400,
        ),
    ],
    ("ec2", "DescribeInstances"): [("InstanceId", "instance", "InvalidInstanceID.NotFound", _ec2_instances, 400)],
    ("ec2", "DescribeImages"): [("ImageId", "image", "InvalidAMIID.NotFound", _ec2_images, 400)],
    ("elasticloadbalancing", "DescribeLoadBalancers"): [
        ("LoadBalancerArns", "lb", *_ELB_LB),
        ("Names", "lb-name", *_ELB_LB),
    ],
    ("elasticloadbalancing", "DescribeLoadBalancerAttributes"): [("LoadBalancerArn", "lb", *_ELB_LB)],
    ("elasticloadbalancing", "DescribeTargetGroups"): [
        ("LoadBalancerArn", "lb", *_ELB_LB),
        ("TargetGroupArns", "tg", *_ELB_TG),
        ("Names", "tg-name", *_ELB_TG),
    ],
    ("elasticloadbalancing", "DescribeTargetGroupAttributes"): [("TargetGroupArn", "tg", *_ELB_TG)],
    ("elasticloadbalancing", "DescribeTargetHealth"): [("TargetGroupArn", "tg", *_ELB_TG)],
    ("elasticloadbalancing", "DescribeListeners"): [
        ("LoadBalancerArn", "lb", *_ELB_LB),
        ("ListenerArns", "listener", *_ELB_LISTENER),
    ],
    ("elasticloadbalancing", "DescribeListenerAttributes"): [("ListenerArn", "listener", *_ELB_LISTENER)],
    ("elasticloadbalancing", "DescribeRules"): [("ListenerArn", "listener", *_ELB_LISTENER)],
    ("iam", "GetRole"): [
        ("RoleName", "role", "NoSuchEntity", lambda n: f"The role with name {n[0]} cannot be found.", 404),
    ],
    ("iam", "GetInstanceProfile"): [
        ("InstanceProfileName", "profile", "NoSuchEntity", lambda n: f"Instance Profile {n[0]} cannot be found.", 404),
    ],
}

_ASG_NAMES = "AutoScalingGroupNames"


def _params(environ: dict[str, Any]) -> dict[str, list[str]]:
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for key, values in read_form_body(environ).items():
        params.setdefault(key, values)
    return params


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


def intercept(info: RequestInfo, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """The answer for a request that names a resource still invisible, else None.

    May rewrite the request (DescribeAutoScalingGroups) so moto leaves young groups out.
    """
    window = float(state.timing.get("consistency_delay_seconds", 0) or 0)
    if window <= 0 or info.service is None or info.action is None:
        return None
    with LOCK:
        if (info.service, info.action) == ("autoscaling", "DescribeAutoScalingGroups"):
            return _hide_groups(info, environ, window)
        checks = CHECKS.get((info.service, info.action))
        if not checks:
            return None
        params = _params(environ)
        for parameter, kind, code, message, status in checks:
            young = [v for v in _values(params, parameter) if is_young(kind, info.region, v, window)]
            if young:
                fault = faults.Fault(info.service, info.action, code, message(young), status, 1)
                return faults.render(fault, info)
    return None

