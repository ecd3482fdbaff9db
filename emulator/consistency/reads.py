"""Reads that name a resource (by id, ARN or name) and what they answer while it is young.

AWS: "Eventual consistency in the Amazon EC2 API" (a Describe right after a create can
answer that the resource does not exist), the IAM user guide's "Changes that I make are
not always immediately visible", and the same for Elastic Load Balancing.
"""

from __future__ import annotations

from emulator.consistency import answers
from emulator.consistency.answers import NotFound

# (parameter, kind of resource it names, the answer while that resource is young)
Check = tuple[str, str, NotFound]

LT_MISSING = "At least one of the launch templates specified in the request does not exist."

_LT_NAME_VERSIONS: NotFound = (
    "InvalidLaunchTemplateName.NotFoundException",
    lambda names: f"The specified launch template, with template name {names[0]}, does not exist.",
    400,
)

CHECKS: dict[tuple[str, str], list[Check]] = {
    ("ec2", "DescribeSecurityGroups"): [("GroupId", "sg", answers.SG)],
    ("ec2", "DescribeLaunchTemplates"): [
        ("LaunchTemplateId", "lt", ("InvalidLaunchTemplateId.NotFound", lambda _: LT_MISSING, 400)),
        ("LaunchTemplateName", "lt-name", ("InvalidLaunchTemplateName.NotFoundException", lambda _: LT_MISSING, 400)),
    ],
    ("ec2", "DescribeLaunchTemplateVersions"): [
        ("LaunchTemplateId", "lt", answers.LAUNCH_TEMPLATE),
        ("LaunchTemplateName", "lt-name", _LT_NAME_VERSIONS),
    ],
    ("ec2", "DescribeInstances"): [("InstanceId", "instance", answers.INSTANCE)],
    ("ec2", "DescribeImages"): [("ImageId", "image", answers.IMAGE)],
    ("elasticloadbalancing", "DescribeLoadBalancers"): [
        ("LoadBalancerArns", "lb", answers.LOAD_BALANCER),
        ("Names", "lb-name", answers.LOAD_BALANCER),
    ],
    ("elasticloadbalancing", "DescribeLoadBalancerAttributes"): [("LoadBalancerArn", "lb", answers.LOAD_BALANCER)],
    ("elasticloadbalancing", "DescribeTargetGroups"): [
        ("LoadBalancerArn", "lb", answers.LOAD_BALANCER),
        ("TargetGroupArns", "tg", answers.TARGET_GROUP),
        ("Names", "tg-name", answers.TARGET_GROUP),
    ],
    ("elasticloadbalancing", "DescribeTargetGroupAttributes"): [("TargetGroupArn", "tg", answers.TARGET_GROUP)],
    ("elasticloadbalancing", "DescribeTargetHealth"): [("TargetGroupArn", "tg", answers.TARGET_GROUP)],
    ("elasticloadbalancing", "DescribeListeners"): [
        ("LoadBalancerArn", "lb", answers.LOAD_BALANCER),
        ("ListenerArns", "listener", answers.LISTENER),
    ],
    ("elasticloadbalancing", "DescribeListenerAttributes"): [("ListenerArn", "listener", answers.LISTENER)],
    ("elasticloadbalancing", "DescribeRules"): [("ListenerArn", "listener", answers.LISTENER)],
    ("iam", "GetRole"): [
        ("RoleName", "role", ("NoSuchEntity", lambda n: f"The role with name {n[0]} cannot be found.", 404)),
    ],
    ("iam", "GetInstanceProfile"): [
        (
            "InstanceProfileName",
            "profile",
            ("NoSuchEntity", lambda n: f"Instance Profile {n[0]} cannot be found.", 404),
        ),
    ],
}
