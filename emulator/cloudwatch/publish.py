"""The one way the emulator's own producers put datapoints into CloudWatch.

AWS services publish their metrics (AWS/ApplicationELB, AWS/EC2, ...) straight into
CloudWatch; PutMetricData refuses the `AWS/` namespaces to customers. The emulator's
producers (the live load balancer, live machines' CPU, the metrics control of API mode)
call `publish`, which stores the values in moto's CloudWatch backend so that
GetMetricData, GetMetricStatistics and ListMetrics answer them.

Units are checked against the list of the CloudWatch API reference (MetricDatum, Unit);
at most 30 dimensions per metric, as MetricDatum documents.
"""

from __future__ import annotations

import datetime

from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

from emulator import state

# CloudWatch API reference, MetricDatum: "Unit" valid values.
VALID_UNITS = frozenset(
    {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    }
)

# CloudWatch API reference, MetricDatum: "Dimensions ... Maximum number of 30 items."
MAX_DIMENSIONS = 30


def _naive_utc(timestamp: datetime.datetime | None) -> datetime.datetime:
    """moto keeps datapoint timestamps as naive UTC datetimes; convert to that."""
    if timestamp is None:
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    if timestamp.tzinfo is not None:
        return timestamp.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return timestamp


def publish(
    account_id: str,
    region: str,
    namespace: str,
    metric_name: str,
    dimensions: dict[str, str],
    values: list[float],
    unit: str,
    timestamp: datetime.datetime | None = None,
) -> None:
    """Store `values` (one datapoint each) for one metric at `timestamp` (now if None).

    Raises ValueError on an empty namespace or metric name, an unknown unit or too
    many dimensions; nothing is stored then.
    """
    if not namespace or not metric_name:
        raise ValueError("namespace and metric_name must not be empty")
    if unit not in VALID_UNITS:
        raise ValueError(f"unit {unit!r} is not a CloudWatch unit")
    if len(dimensions) > MAX_DIMENSIONS:
        raise ValueError(f"at most {MAX_DIMENSIONS} dimensions per metric")
    if not values:
        return
    when = _naive_utc(timestamp)
    # A metric is its namespace, name and set of dimensions; keep them in name order.
    dimension_list = [{"Name": name, "Value": dimensions[name]} for name in sorted(dimensions)]
    with state.LOCK:
        backend = cloudwatch_backends[account_id][region]
        shared = None  # the datapoints of one call share their (read-only) dimensions
        for value in values:
            datum = MetricDatum(
                namespace=namespace,
                name=metric_name,
                value=float(value),
                dimensions=[] if shared is not None else dimension_list,
                timestamp=when,
                unit=unit,
            )
            if shared is None:
                shared = datum.dimensions
            else:
                datum.dimensions = shared
            backend.metric_data.append(datum)
