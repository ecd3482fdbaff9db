"""Instance profiles on launched instances, as RunInstances applies them on AWS.

moto associates the IamInstanceProfile of a RunInstances request with the first
instance only, and ignores the IamInstanceProfile of a launch template (so Auto
Scaling instances never have one). On AWS every instance of the request gets the
profile, from the request or else from the launch template version.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.instances import InstanceBackend, Reservation

_original_run_instances = InstanceBackend.run_instances


def _template_profile(backend: Any, launch_template: dict[str, Any]) -> dict[str, str]:
    try:
        data = backend._get_template_from_args(launch_template).data
    except Exception:
        return {}
    profile = data.get("IamInstanceProfile") or {}
    return {k: v for k, v in profile.items() if k in ("Name", "Arn") and v}


def _run_instances(
    self: Any,
    image_id: str,
    count: int,
    user_data: Any,
    security_group_names: list[str],
    **kwargs: Any,
) -> Reservation:
    reservation = _original_run_instances(self, image_id, count, user_data, security_group_names, **kwargs)
    name = kwargs.get("iam_instance_profile_name")
    arn = kwargs.get("iam_instance_profile_arn")
    # With a profile in the request, moto's RunInstances handler associates it with
    # the first instance after this returns; associate the others here.
    skip_first = bool(name or arn)
    if not skip_first and kwargs.get("launch_template"):
        profile = _template_profile(self, kwargs["launch_template"])
        name, arn = profile.get("Name"), profile.get("Arn")
    if not (name or arn):
        return reservation
    for index, instance in enumerate(reservation.instances):
        if (skip_first and index == 0) or instance.id in self.iam_instance_profile_associations:
            continue
        try:
            self.associate_iam_instance_profile(
                instance_id=instance.id,
                iam_instance_profile_name=None if arn else name,
                iam_instance_profile_arn=arn,
            )
        except Exception:
            # A profile that does not exist: the instance runs without one (its
            # SSM agent can then never register).
            continue
    return reservation


def install() -> None:
    InstanceBackend.run_instances = _run_instances  # type: ignore[method-assign]
