"""The CloudWatch clock: how long a metric period lasts in real seconds.

`metric_time_scale` (state.DEFAULT_TIMING, default 1.0) shortens every period: a
period of P seconds lasts P x scale real seconds, in alarm evaluation and in the
buckets of GetMetricData / GetMetricStatistics. Periods are aligned on multiples of
their real length since the epoch, as CloudWatch aligns periods on the clock
(GetMetricData reference, StartTime: "rounded down" to the period). Validation
(periods of 10, 30 or multiples of 60, ...) always uses the nominal periods.
"""

from __future__ import annotations

import datetime
import math

from emulator import state

UTC = datetime.timezone.utc


def scale() -> float:
    value = state.timing.get("metric_time_scale", 1.0)
    return float(value) if isinstance(value, (int, float)) and value > 0 else 1.0


def real_seconds(nominal_seconds: float) -> float:
    """The real length of a nominal CloudWatch duration (a period, a cooldown, a warmup)."""
    return float(nominal_seconds) * scale()


def epoch(moment: datetime.datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=UTC)


def period_start(seconds: float, period_real: float) -> float:
    """The start of the period (real length `period_real`) that holds the moment `seconds`."""
    return round(math.floor(seconds / period_real + 1e-9) * period_real, 6)
