"""Writes that name a resource and fail while it is young, as AWS answers them.

AWS, EC2 API reference, "Eventual consistency in the Amazon EC2 API": a call right
after a create that references the new resource can fail with a NotFound error, for
example AuthorizeSecurityGroupIngress on a new group, CreateTags on a new id, and
TerminateInstances on an instance just launched (InvalidInstanceID.NotFound). Elastic
Load Balancing is eventually consistent in the same way (ELBv2 API reference,
"Eventual consistency"): ModifyLoadBalancerAttributes or ModifyTargetGroupAttributes
right after the create can answer LoadBalancerNotFound / TargetGroupNotFound. Where
the documents do not list an operation, the stricter choice is taken: every write
below that names a young resource fails.
"""

from __future__ import annotations

from emulator.consistency import answers
from emulator.consistency.reads import Check

CHECKS: dict[tuple[str, str], list[Check]] = {
    ("ec2", "AuthorizeSecurityGroupIngress"): [("GroupId", "sg", answers.SG)],
    ("ec2", "AuthorizeSecurityGroupEgress"): [("GroupId", "sg", answers.SG)],
    ("ec2", "RevokeSecurityGroupIngress"): [("GroupId", "sg", answers.SG)],
    ("ec2", "RevokeSecurityGroupEgress"): [("GroupId", "sg", answers.SG)],
    ("ec2", "TerminateInstances"): [("InstanceId", "instance", answers.INSTANCE)],
    ("ec2", "StopInstances"): [("InstanceId", "instance", answers.INSTANCE)],
    ("ec2", "StartInstances"): [("InstanceId", "instance", answers.INSTANCE)],
    ("elasticloadbalancing", "ModifyLoadBalancerAttributes"): [("LoadBalancerArn", "lb", answers.LOAD_BALANCER)],
    ("elasticloadbalancing", "SetSecurityGroups"): [("LoadBalancerArn", "lb", answers.LOAD_BALANCER)],
    ("elasticloadbalancing", "SetSubnets"): [("LoadBalancerArn", "lb", answers.LOAD_BALANCER)],
    ("elasticloadbalancing", "ModifyTargetGroupAttributes"): [("TargetGroupArn", "tg", answers.TARGET_GROUP)],
    ("elasticloadbalancing", "ModifyTargetGroup"): [("TargetGroupArn", "tg", answers.TARGET_GROUP)],
    ("elasticloadbalancing", "RegisterTargets"): [("TargetGroupArn", "tg", answers.TARGET_GROUP)],
    ("elasticloadbalancing", "DeregisterTargets"): [("TargetGroupArn", "tg", answers.TARGET_GROUP)],
    ("elasticloadbalancing", "ModifyListener"): [("ListenerArn", "listener", answers.LISTENER)],
}

# Tag writes name resources of any kind: the id's prefix (EC2) or the ARN's resource
# type (ELBv2) says which, and so which NotFound answers.
EC2_TAG_WRITES = {"CreateTags", "DeleteTags"}
EC2_TAG_PARAMETER = "ResourceId"
ELB_TAG_WRITES = {"AddTags", "RemoveTags"}
ELB_TAG_PARAMETER = "ResourceArns"
