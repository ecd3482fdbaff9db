"""A metric's datapoints from moto's CloudWatch backend, grouped into periods.

A metric is its namespace, name and exact set of dimensions (user guide, "Metrics
concepts", Dimensions: "CloudWatch treats each unique combination of dimensions as a
separate metric ... you must specify the same dimensions that were used when the
metrics were created"); a query with fewer or other dimensions sees nothing of it.
A period starting at T holds the datapoints with T <= timestamp < T + length, length
being the period's real length (timescale.py).
"""

from __future__ import annotations

import bisect
import datetime
from typing import Any

from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum

from emulator.cloudwatch import timescale
from emulator.cloudwatch.statistics import Sample

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]


def metric_key(namespace: str, name: str, dimensions: list[dict[str, str]] | None) -> MetricKey:
    return namespace, name, frozenset((d["Name"], d["Value"]) for d in dimensions or [])


def _datum_key(datum: Any) -> MetricKey:
    return datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions)


class _Index:
    """Datapoints of one backend by metric, sorted by time; moto's list only ever grows."""

    def __init__(self, data: list[Any]):
        self.data = data
        self.seen = 0
        self.by_key: dict[MetricKey, list[tuple[float, int, Any]]] = {}
        self.unsorted: set[MetricKey] = set()

    def update(self) -> None:
        for position in range(self.seen, len(self.data)):
            datum = self.data[position]
            key = _datum_key(datum)
            entries = self.by_key.setdefault(key, [])
            entry = (timescale.epoch(datum.timestamp), position, datum)
            if entries and entry < entries[-1]:
                self.unsorted.add(key)
            entries.append(entry)
        self.seen = len(self.data)

    def between(self, key: MetricKey, start: float, end: float) -> list[Any]:
        self.update()
        entries = self.by_key.get(key, [])
        if key in self.unsorted:
            entries.sort(key=lambda e: (e[0], e[1]))
            self.unsorted.discard(key)
        low = bisect.bisect_left(entries, start, key=lambda e: e[0])
        high = bisect.bisect_left(entries, end, key=lambda e: e[0])
        return [entry[2] for entry in entries[low:high]]


_indexes: dict[int, _Index] = {}


def _index(backend: Any) -> _Index:
    data = backend.metric_data
    index = _indexes.get(id(backend))
    if index is None or index.data is not data or index.seen > len(data):
        if len(_indexes) > 64:  # backends replaced by resets: forget the old ones
            _indexes.clear()
        index = _Index(data)
        _indexes[id(backend)] = index
    return index


def samples(
    backend: Any,
    key: MetricKey,
    start: float,
    end: float,
    period_real: float,
    unit: str | None = None,
) -> dict[float, Sample]:
    """The non-empty periods in [start, end) (epoch seconds, aligned) of one metric, by period start."""
    found: dict[float, Sample] = {}
    for datum in _index(backend).between(key, start, end):
        if unit is not None and (datum.unit or "None") != unit:
            continue
        bucket = timescale.period_start(timescale.epoch(datum.timestamp), period_real)
        sample = found.setdefault(bucket, Sample([], []))
        if isinstance(datum, MetricDatum):
            sample.values.append(float(datum.value))
        elif isinstance(datum, MetricAggregatedDatum):
            sample.sets.append((float(datum.sum), float(datum.min), float(datum.max), float(datum.sample_count)))
    return found


def metric_keys(backend: Any) -> list[MetricKey]:
    """Every metric of the backend, once each."""
    index = _index(backend)
    index.update()
    return list(index.by_key)


def units(backend: Any, key: MetricKey, start: float, end: float) -> set[str]:
    return {datum.unit or "None" for datum in _index(backend).between(key, start, end)}


def aligned_range(start: datetime.datetime, end: datetime.datetime, period_real: float) -> tuple[float, float]:
    """[start, end) in epoch seconds with start rounded down to a period boundary."""
    return timescale.period_start(timescale.epoch(start), period_real), timescale.epoch(end)


def period_starts(start: float, end: float, period_real: float) -> list[float]:
    """Every period start in [start, end), start being aligned."""
    starts: list[float] = []
    moment = start
    while moment < end - 1e-9:
        starts.append(round(moment, 6))
        moment += period_real
    return starts
