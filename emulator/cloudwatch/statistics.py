"""Statistics as CloudWatch defines them ("CloudWatch statistics definitions", user guide).

* SampleCount: the number of datapoints in the period; Sum; Average = Sum / SampleCount;
  Minimum; Maximum.
* Percentiles `pNN` / `pNN.NN` (0 <= NN <= 100; GetMetricStatistics reference,
  ExtendedStatistics: "Specify values between p0.0 and p100"): the value below which
  that share of the period's datapoints fall. The emulator takes the nearest rank
  (the smallest datapoint with at least NN % of the datapoints at or below it), so a
  percentile is always a value that was observed and never lower than an interpolated
  one: the stricter choice where CloudWatch publishes no formula.
* Other extended statistics (trimmed mean TM, winsorized mean WM, percentile rank PR,
  trimmed count TC, trimmed sum TS, IQM) are refused with a clear error rather than
  answered wrongly.

Datapoints published as statistic sets (PutMetricData StatisticValues) carry only
their Sum, Minimum, Maximum and SampleCount; percentiles leave them out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"^p(\d{1,3}(?:\.\d{1,10})?)$")
_OTHER_EXTENDED = re.compile(r"^(tm|wm|pr|tc|ts|iqm)", re.IGNORECASE)


class UnsupportedStatistic(ValueError):
    pass


@dataclass(frozen=True)
class Statistic:
    name: str  # as the client wrote it: "Sum", "p99", "p99.9"
    percentile: float | None = None


def parse(name: str) -> Statistic:
    """A statistic name (Statistics, ExtendedStatistic(s), MetricStat.Stat); ValueError if invalid."""
    if name in BASIC:
        return Statistic(name)
    found = _PERCENTILE.match(name)
    if found:
        value = float(found.group(1))
        if 0.0 <= value <= 100.0:
            return Statistic(name, value)
        raise ValueError(f"The percentile {name} is out of range: specify values between p0.0 and p100.")
    if _OTHER_EXTENDED.match(name):
        raise UnsupportedStatistic(
            f"The statistic {name} is not supported by this emulator (supported: "
            f"{', '.join(BASIC)} and percentiles pNN.NN)."
        )
    raise ValueError(f"The statistic {name} is not valid.")


@dataclass
class Sample:
    """The datapoints of one period of one metric: raw values, and statistic sets."""

    values: list[float]
    sets: list[tuple[float, float, float, float]]  # (sum, minimum, maximum, sample count)

    def is_empty(self) -> bool:
        return not self.values and not self.sets


def compute(statistic: Statistic, sample: Sample) -> float | None:
    """The statistic of one period; None when the period has no datapoint it can use."""
    if statistic.percentile is not None:
        return _percentile(statistic.percentile, sample.values)
    count = len(sample.values) + sum(s[3] for s in sample.sets)
    if count <= 0:
        return None
    if statistic.name == "SampleCount":
        return float(count)
    total = math.fsum(sample.values) + math.fsum(s[0] for s in sample.sets)
    if statistic.name == "Sum":
        return total
    if statistic.name == "Average":
        return total / count
    if statistic.name == "Minimum":
        return min([*sample.values, *(s[1] for s in sample.sets)])
    if statistic.name == "Maximum":
        return max([*sample.values, *(s[2] for s in sample.sets)])
    raise UnsupportedStatistic(statistic.name)


def _percentile(share: float, values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def datapoint_fields(statistics: list[Statistic], sample: Sample) -> dict[str, Any]:
    """The members of a GetMetricStatistics Datapoint for one period."""
    fields: dict[str, Any] = {}
    extended: dict[str, float] = {}
    for statistic in statistics:
        value = compute(statistic, sample)
        if value is None:
            continue
        if statistic.percentile is None:
            fields[statistic.name] = value
        else:
            extended[statistic.name] = value
    if extended:
        fields["ExtendedStatistics"] = extended
    return fields
