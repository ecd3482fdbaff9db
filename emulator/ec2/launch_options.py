"""RunInstances' instance metadata options and shutdown behavior, checked as EC2 does.

moto stores whatever RunInstances sends. The EC2 API reference
(`InstanceMetadataOptionsRequest`, RunInstances) allows:

* `HttpTokens`: `optional` | `required`; `HttpEndpoint`: `enabled` | `disabled`;
  `InstanceMetadataTags`: `enabled` | `disabled`; `HttpProtocolIpv6`: `enabled` |
  `disabled`; `HttpPutResponseHopLimit`: an integer from 1 to 64.
* `InstanceInitiatedShutdownBehavior`: `stop` | `terminate`.

Anything else is refused with `InvalidParameterValue` before an instance exists.

Defaults from the image (EC2 user guide, "Configure the AMI" under "Use IMDSv2"): an
instance launched from an image whose `ImdsSupport` is `v2.0` without `HttpTokens`
gets `required`, and without `HttpPutResponseHopLimit` gets 2 (moto: `optional`, 1).

A Spot Instance of a one-time request ends by terminating: RunInstances with
`InstanceMarketOptions` (`MarketType = spot`) and `InstanceInitiatedShutdownBehavior
= stop` fails with "instanceInitiatedShutdownBehavior=stop is not supported for spot
instances" (AWS's answer; the RunInstances reference lists `stop` and `terminate`
without this rule, and the EC2 user guide, "Stop a Spot Instance", says a one-time
Spot Instance cannot be stopped). AWS does not publish the code: the emulator answers
`InvalidParameterCombination`. A persistent request (which may stop) is not treated
differently: the emulator refuses `stop` for every spot launch, the stricter choice.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.responses.instances import InstanceResponse

_installed = False

ENUMS = {
    "HttpTokens": ("optional", "required"),
    "HttpEndpoint": ("enabled", "disabled"),
    "InstanceMetadataTags": ("enabled", "disabled"),
    "HttpProtocolIpv6": ("enabled", "disabled"),
}
MIN_HOPS = 1
MAX_HOPS = 64
SHUTDOWN_BEHAVIORS = ("stop", "terminate")


class InvalidValue(EC2ClientError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterValue", message)


class InvalidCombination(EC2ClientError):
    def __init__(self, message: str):
        super().__init__("InvalidParameterCombination", message)


def check_metadata_options(options: dict[str, Any]) -> None:
    """Refuses what InstanceMetadataOptionsRequest does not allow."""
    for name, allowed in ENUMS.items():
        value = options.get(name)
        if value is not None and value not in allowed:
            raise InvalidValue(
                f"Value ({value}) for parameter {name} is invalid. Valid values: {' | '.join(allowed)}."
            )
    hops = options.get("HttpPutResponseHopLimit")
    if hops is not None:
        try:
            number = int(hops)
        except (TypeError, ValueError):
            number = 0
        if not MIN_HOPS <= number <= MAX_HOPS:
            raise InvalidValue(
                f"Value ({hops}) for parameter HttpPutResponseHopLimit is invalid. "
                f"Valid values are integers from {MIN_HOPS} to {MAX_HOPS}."
            )


def check_shutdown_behavior(behavior: Any, market: dict[str, Any]) -> None:
    if behavior is None:
        return
    if behavior not in SHUTDOWN_BEHAVIORS:
        raise InvalidValue(
            f"Value ({behavior}) for parameter InstanceInitiatedShutdownBehavior is invalid. "
            "Valid values: stop | terminate."
        )
    if behavior == "stop" and (market or {}).get("MarketType") == "spot":
        raise InvalidCombination("instanceInitiatedShutdownBehavior=stop is not supported for spot instances.")


def _image_defaults(backend: Any, image_id: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options an image with ImdsSupport = v2.0 implies where the request is silent."""
    images = backend.describe_images(filters={"image-id": image_id}) if image_id else []
    if not images or getattr(images[0], "imds_support", None) != "v2.0":
        return options
    merged = dict(options)
    merged.setdefault("HttpTokens", "required")
    merged.setdefault("HttpPutResponseHopLimit", 2)
    return merged


def _wrap_response() -> None:
    original = InstanceResponse.run_instances

    def run_instances(self: Any) -> Any:
        check_metadata_options(self._get_param("MetadataOptions", {}) or {})
        check_shutdown_behavior(
            self._get_param("InstanceInitiatedShutdownBehavior"),
            self._get_param("InstanceMarketOptions", {}) or {},
        )
        return original(self)

    InstanceResponse.run_instances = run_instances  # type: ignore[method-assign]


def _wrap_backend() -> None:
    original = InstanceBackend.run_instances

    def run_instances(
        self: Any, image_id: str, count: int, user_data: Any, security_group_names: list[str], **kwargs: Any
    ) -> Any:
        kwargs["metadata_options"] = _image_defaults(self, image_id, kwargs.get("metadata_options") or {})
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _wrap_response()
    _wrap_backend()
