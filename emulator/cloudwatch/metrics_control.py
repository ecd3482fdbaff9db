"""`POST /_emulator/cloudwatch/metrics`: inject datapoints as an AWS service would publish them.

AWS refuses PutMetricData in `AWS/` namespaces (PutMetricData reference: "Namespace
... must not start with AWS/"), because AWS services publish those metrics
themselves. In API mode no load balancer carries traffic, so tests inject them:

    {"namespace": "AWS/ApplicationELB", "metric_name": "RequestCount",
     "dimensions": {"LoadBalancer": "app/web/0123"}, "values": [1, 1, 1],
     "unit": "Count", "timestamp": "2026-01-01T12:00:00Z",   # optional, default now
     "region": "us-east-1", "account_id": "123456789012"}     # optional

Each value is one datapoint (one request, one response time, ...), stored through
`publish.publish`, the one function every producer uses.
"""

from __future__ import annotations

import datetime
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

from emulator.cloudwatch import publish

DEFAULT_REGION = "us-east-1"
MAX_VALUES = 100_000


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _timestamp(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)
    if isinstance(value, str):
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("timestamp must be ISO 8601 or epoch seconds") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
    raise ValueError("timestamp must be ISO 8601 or epoch seconds")


def handle_post(body: dict[str, Any]) -> dict[str, Any]:
    namespace = _text(body, "namespace")
    metric_name = _text(body, "metric_name")
    unit = _text(body, "unit", "None")
    dimensions = body.get("dimensions", {})
    if not isinstance(dimensions, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in dimensions.items()
    ):
        raise ValueError("dimensions must be an object of non-empty strings")
    values = body.get("values")
    if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
        raise ValueError(f"values must be a list of 1 to {MAX_VALUES} numbers")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ValueError("values must be numbers")
    region = _text(body, "region", DEFAULT_REGION)
    account_id = _text(body, "account_id", DEFAULT_ACCOUNT_ID)
    when = _timestamp(body.get("timestamp"))
    publish.publish(account_id, region, namespace, metric_name, dict(dimensions), [float(v) for v in values], unit, when)
    return {"published": len(values), "namespace": namespace, "metric_name": metric_name}
