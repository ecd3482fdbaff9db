"""The errors AWS answers for a resource it does not know, by kind of resource."""

from __future__ import annotations

from collections.abc import Callable

# (error code, message for the young ids or names, HTTP status)
NotFound = tuple[str, Callable[[list[str]], str], int]


def _quoted(ids: list[str]) -> str:
    return ", ".join(ids)


def ec2_instances(ids: list[str]) -> str:
    if len(ids) == 1:
        return f"The instance ID '{ids[0]}' does not exist"
    return f"The instance IDs '{_quoted(ids)}' do not exist"


def ec2_images(ids: list[str]) -> str:
    if len(ids) == 1:
        return f"The image id '[{ids[0]}]' does not exist"
    return f"The image ids '[{_quoted(ids)}]' do not exist"


def security_group(ids: list[str]) -> str:
    return f"The security group '{ids[0]}' does not exist"


def launch_template_by_id(ids: list[str]) -> str:
    return f"The specified launch template, with template ID {ids[0]}, does not exist."


SG: NotFound = ("InvalidGroup.NotFound", security_group, 400)
INSTANCE: NotFound = ("InvalidInstanceID.NotFound", ec2_instances, 400)
IMAGE: NotFound = ("InvalidAMIID.NotFound", ec2_images, 400)
LAUNCH_TEMPLATE: NotFound = ("InvalidLaunchTemplateId.NotFound", launch_template_by_id, 400)
LOAD_BALANCER: NotFound = ("LoadBalancerNotFound", lambda _: "One or more load balancers not found", 400)
TARGET_GROUP: NotFound = ("TargetGroupNotFound", lambda _: "One or more target groups not found", 400)
LISTENER: NotFound = ("ListenerNotFound", lambda _: "One or more listeners not found", 400)

# An EC2 id's kind (as the registry records it) and NotFound answer, by id prefix.
EC2_ID_PREFIXES: dict[str, tuple[str, NotFound]] = {
    "i-": ("instance", INSTANCE),
    "sg-": ("sg", SG),
    "ami-": ("image", IMAGE),
    "lt-": ("lt", LAUNCH_TEMPLATE),
}

# An ELBv2 ARN's kind and NotFound answer, by the resource type in the ARN.
ELB_ARN_TYPES: dict[str, tuple[str, NotFound]] = {
    ":loadbalancer/": ("lb", LOAD_BALANCER),
    ":targetgroup/": ("tg", TARGET_GROUP),
    ":listener/": ("listener", LISTENER),
}


def of_ec2_id(resource_id: str) -> tuple[str, NotFound] | None:
    for prefix, found in EC2_ID_PREFIXES.items():
        if resource_id.startswith(prefix):
            return found
    return None


def of_elb_arn(arn: str) -> tuple[str, NotFound] | None:
    for marker, found in ELB_ARN_TYPES.items():
        if marker in arn:
            return found
    return None
