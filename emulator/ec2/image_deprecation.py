"""AMI deprecation: EnableImageDeprecation, DisableImageDeprecation, DeprecationTime.

moto 5.2 implements neither operation and DescribeImages never reports a
DeprecationTime. As the EC2 API reference (EnableImageDeprecation, Image) and the
user guide ("Deprecate an AMI") describe them:

* EnableImageDeprecation(ImageId, DeprecateAt) sets the image's deprecation time;
  seconds are rounded to the nearest minute. A time in the past, or more than 10
  years from now (for a public image: more than 2 years after its creation) is
  refused. AWS does not publish the error code of those refusals; the emulator
  answers `InvalidParameterValue`. An unknown image is `InvalidAMIID.NotFound`.
* DisableImageDeprecation(ImageId) clears it.
* DescribeImages reports `DeprecationTime` (`YYYY-MM-DDTHH:MM:SS.000Z`, UTC) on an
  image that has one, and nothing otherwise. A copy (CopyImage) starts without one.

Not emulated: the default deprecation time AWS gives public AMIs (2 years after
creation), and hiding deprecated images from other accounts' listings.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.responses.amis import AmisResponse

MAX_YEARS = 10
MAX_PUBLIC_YEARS = 2
FORMAT = "%Y-%m-%dT%H:%M:%S.000Z"


class InvalidDeprecationTime(EC2ClientError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterValue", message)


def parse(value: Any) -> datetime:
    """DeprecateAt as an aware UTC datetime (the parser may already have made one)."""
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value or "").strip().strip('"')
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidDeprecationTime(f"Value ({text}) for parameter DeprecateAt is invalid.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def round_to_minute(moment: datetime) -> datetime:
    base = moment.replace(second=0, microsecond=0)
    if moment.second * 1_000_000 + moment.microsecond >= 30_000_000:
        base += timedelta(minutes=1)
    return base


def _years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def enable_image_deprecation(self: Any, ami_id: str, deprecate_at: Any) -> None:
    ami = self.describe_images(ami_ids=[ami_id])[0]
    when = round_to_minute(parse(deprecate_at))
    now = datetime.now(timezone.utc)
    if when < now.replace(second=0, microsecond=0):
        raise InvalidDeprecationTime("The deprecation time cannot be in the past.")
    if ami.is_public:
        created = ami.creation_date
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        if when > _years(created, MAX_PUBLIC_YEARS):
            raise InvalidDeprecationTime(
                f"The deprecation time of a public AMI can be at most {MAX_PUBLIC_YEARS} years after its creation."
            )
    elif when > _years(now, MAX_YEARS):
        raise InvalidDeprecationTime(f"The deprecation time can be at most {MAX_YEARS} years from now.")
    ami.deprecation_time = when.strftime(FORMAT)


def disable_image_deprecation(self: Any, ami_id: str) -> None:
    ami = self.describe_images(ami_ids=[ami_id])[0]
    ami.deprecation_time = None


def _enable_response(self: Any) -> ActionResult:
    self.error_on_dryrun()
    self.ec2_backend.enable_image_deprecation(self._get_param("ImageId"), self._get_param("DeprecateAt"))
    return ActionResult({"Return": True})


def _disable_response(self: Any) -> ActionResult:
    self.error_on_dryrun()
    self.ec2_backend.disable_image_deprecation(self._get_param("ImageId"))
    return ActionResult({"Return": True})


def install() -> None:
    # A class default: images made before (and copies) have no deprecation time;
    # DescribeImages omits a None member.
    Ami.deprecation_time = None  # type: ignore[attr-defined]
    AmiBackend.enable_image_deprecation = enable_image_deprecation  # type: ignore[attr-defined]
    AmiBackend.disable_image_deprecation = disable_image_deprecation  # type: ignore[attr-defined]
    AmisResponse.enable_image_deprecation = _enable_response  # type: ignore[attr-defined]
    AmisResponse.disable_image_deprecation = _disable_response  # type: ignore[attr-defined]
