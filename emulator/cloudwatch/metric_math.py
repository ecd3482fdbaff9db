"""Evaluation of CloudWatch metric math (user guide, "Metric math syntax and functions").

Values are scalars, time series (period start -> value) and arrays of time series.

* Arithmetic `+ - * / ^` and comparisons `== != <= >= < >` (1 where true, 0 where
  false), logical `AND`/`&&`, `OR`/`||`, `NOT`/`!`: point-wise; between two series only
  at the timestamps both have; with a scalar at every timestamp of the series. A result
  that is not a finite number (division by zero) is no datapoint.
* `IF(condition, trueValue, falseValue)`: where the condition is non-zero the true
  value, elsewhere the false value; with no falseValue, no datapoint where the
  condition is 0.
* `FILL(m, value)`: every period of the queried range without a value gets `value`
  (a number, a series, `REPEAT`: the last value before it, or `LINEAR`: the straight
  line between its neighbours); a series with no datapoint at all becomes `value`
  at every period.
* `SUM`, `AVG`, `MIN`, `MAX`: of one series, a scalar over its datapoints; of an array
  `[a, b, ...]`, a series of the point-wise result over the series that have a value
  at that timestamp.
* `ABS`, `CEIL`, `FLOOR`: point-wise.
* `METRICS()`: the array of every metric (MetricStat) of the request or alarm.

Any other function is refused with a ValidationError naming it, never answered wrongly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Union

from emulator.cloudwatch.metric_math_parser import (
    ArrayOf,
    Binary,
    Call,
    Keyword,
    MetricMathError,
    Node,
    Number,
    Ref,
    Unary,
)

Series = dict[float, float]
Value = Union[float, Series, list[Series]]

SUPPORTED_FUNCTIONS = ("IF", "FILL", "SUM", "AVG", "MIN", "MAX", "ABS", "CEIL", "FLOOR", "METRICS")


class Context:
    """What an expression sees: the periods of the queried range and the other queries' values."""

    def __init__(self, grid: list[float], resolve: Callable[[str], Value], metric_ids: list[str] | None = None):
        self.grid = grid
        self.resolve = resolve
        self.metric_ids = metric_ids or []  # the MetricStat queries, for METRICS()


def _finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def _apply(op: str, left: float, right: float) -> float:
    try:
        if op == "+":
            return left + right
        if op == "-":
            return left - right
        if op == "*":
            return left * right
        if op == "/":
            return left / right if right != 0 else math.nan
        if op == "^":
            result = left**right
            return float(result) if not isinstance(result, complex) else math.nan
    except (OverflowError, ZeroDivisionError):
        return math.nan
    if op == "==":
        return 1.0 if left == right else 0.0
    if op == "!=":
        return 1.0 if left != right else 0.0
    if op == "<=":
        return 1.0 if left <= right else 0.0
    if op == ">=":
        return 1.0 if left >= right else 0.0
    if op == "<":
        return 1.0 if left < right else 0.0
    if op == ">":
        return 1.0 if left > right else 0.0
    if op == "&&":
        return 1.0 if left != 0 and right != 0 else 0.0
    if op == "||":
        return 1.0 if left != 0 or right != 0 else 0.0
    raise MetricMathError(f"Unsupported operator {op!r}.")


def _series(values: Series) -> Series:
    return {ts: v for ts, v in sorted(values.items()) if _finite(v)}


def _combine(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, list) or isinstance(right, list):
        if isinstance(left, list) and isinstance(right, list):
            if len(left) != len(right):
                raise MetricMathError("Arrays of different sizes cannot be combined.")
            return [_combine(op, a, b) for a, b in zip(left, right)]  # type: ignore[misc]
        if isinstance(left, list):
            return [_combine(op, a, right) for a in left]  # type: ignore[misc]
        return [_combine(op, left, b) for b in right]  # type: ignore[misc, union-attr]
    if isinstance(left, dict) and isinstance(right, dict):
        return _series({ts: _apply(op, v, right[ts]) for ts, v in left.items() if ts in right})
    if isinstance(left, dict):
        return _series({ts: _apply(op, v, float(right)) for ts, v in left.items()})  # type: ignore[arg-type]
    if isinstance(right, dict):
        return _series({ts: _apply(op, float(left), v) for ts, v in right.items()})
    return _apply(op, float(left), float(right))


def _map(value: Value, function: Callable[[float], float]) -> Value:
    if isinstance(value, list):
        return [_map(item, function) for item in value]  # type: ignore[misc]
    if isinstance(value, dict):
        return _series({ts: function(v) for ts, v in value.items()})
    return function(float(value))


def evaluate(node: Node, context: Context) -> Value:
    if isinstance(node, Number):
        return node.value
    if isinstance(node, Ref):
        return context.resolve(node.name)
    if isinstance(node, Keyword):
        raise MetricMathError(f"{node.name} can only be FILL's second argument.")
    if isinstance(node, ArrayOf):
        items = [evaluate(item, context) for item in node.items]
        array: list[Series] = []
        for item in items:
            if isinstance(item, list):
                array.extend(item)
            elif isinstance(item, dict):
                array.append(item)
            else:
                raise MetricMathError("An array holds time series, not numbers.")
        return array
    if isinstance(node, Unary):
        operand = evaluate(node.operand, context)
        if node.op == "-":
            return _map(operand, lambda v: -v)
        return _map(operand, lambda v: 1.0 if v == 0 else 0.0)
    if isinstance(node, Binary):
        return _combine(node.op, evaluate(node.left, context), evaluate(node.right, context))
    if isinstance(node, Call):
        return _call(node, context)
    raise MetricMathError("Unsupported expression.")


def _call(node: Call, context: Context) -> Value:
    name, args = node.name, node.args
    if name == "METRICS":
        if args:
            raise MetricMathError("METRICS with a filter string is not supported by this emulator; use METRICS().")
        return [series for series in (context.resolve(i) for i in context.metric_ids) if isinstance(series, dict)]
    if name == "IF":
        return _if(args, context)
    if name == "FILL":
        return _fill(args, context)
    if name in ("SUM", "AVG", "MIN", "MAX"):
        if len(args) != 1:
            raise MetricMathError(f"{name} takes one argument: a time series or an array of time series.")
        return _aggregate(name, evaluate(args[0], context))
    if name in ("ABS", "CEIL", "FLOOR"):
        if len(args) != 1:
            raise MetricMathError(f"{name} takes one argument.")
        function = {"ABS": abs, "CEIL": math.ceil, "FLOOR": math.floor}[name]
        return _map(evaluate(args[0], context), lambda v: float(function(v)))
    raise MetricMathError(
        f"The function {name} is not supported by this emulator's metric math "
        f"(supported: {', '.join(SUPPORTED_FUNCTIONS)}, arithmetic, comparison and logical operators)."
    )


def _value_at(value: Value, ts: float) -> float | None:
    if isinstance(value, dict):
        return value.get(ts)
    if isinstance(value, list):
        raise MetricMathError("IF takes time series or numbers, not arrays.")
    return float(value)


def _if(args: tuple[Node, ...], context: Context) -> Value:
    if len(args) not in (2, 3):
        raise MetricMathError("IF takes a condition, a true value and an optional false value.")
    condition = evaluate(args[0], context)
    when_true = evaluate(args[1], context)
    when_false = evaluate(args[2], context) if len(args) == 3 else None
    if isinstance(condition, list):
        raise MetricMathError("IF's condition must be a time series or a number.")
    if not isinstance(condition, dict):
        if condition != 0:
            return when_true
        return when_false if when_false is not None else {}
    result: Series = {}
    for ts, flag in condition.items():
        if flag != 0:
            chosen = _value_at(when_true, ts)
        elif when_false is not None:
            chosen = _value_at(when_false, ts)
        else:
            chosen = None
        if chosen is not None:
            result[ts] = chosen
    return _series(result)


def _fill(args: tuple[Node, ...], context: Context) -> Value:
    if len(args) != 2:
        raise MetricMathError("FILL takes a time series and a fill value.")
    target = evaluate(args[0], context)
    mode = args[1]
    filler: Value | str
    filler = mode.name if isinstance(mode, Keyword) else evaluate(mode, context)
    if isinstance(filler, list):
        raise MetricMathError("FILL's value must be a number, a time series, REPEAT or LINEAR.")
    if isinstance(target, list):
        return [_fill_series(item, filler, context.grid) for item in target]
    if not isinstance(target, dict):
        raise MetricMathError("FILL's first argument must be a time series.")
    return _fill_series(target, filler, context.grid)


def _fill_series(series: Series, filler: Union[float, Series, str], grid: list[float]) -> Series:
    filled: Series = {}
    known = sorted(series)
    for ts in grid:
        if ts in series:
            filled[ts] = series[ts]
        elif filler == "REPEAT":
            before = [k for k in known if k < ts]
            if before:
                filled[ts] = series[before[-1]]
        elif filler == "LINEAR":
            before = [k for k in known if k < ts]
            after = [k for k in known if k > ts]
            if before and after:
                a, b = before[-1], after[0]
                filled[ts] = series[a] + (series[b] - series[a]) * (ts - a) / (b - a)
        elif isinstance(filler, dict):
            if ts in filler:
                filled[ts] = filler[ts]
        else:
            filled[ts] = float(filler)  # type: ignore[arg-type]
    for ts, value in series.items():  # datapoints outside the grid stay
        filled.setdefault(ts, value)
    return _series(filled)


def _reduce(name: str, values: list[float]) -> float:
    if not values:
        return math.nan
    if name == "SUM":
        return math.fsum(values)
    if name == "AVG":
        return math.fsum(values) / len(values)
    if name == "MIN":
        return min(values)
    return max(values)


def _aggregate(name: str, value: Value) -> Value:
    if isinstance(value, list):
        stamps = sorted({ts for series in value for ts in series})
        return _series({ts: _reduce(name, [s[ts] for s in value if ts in s]) for ts in stamps})
    if isinstance(value, dict):
        return _reduce(name, list(value.values()))
    return float(value)


def as_series(value: Value, grid: list[float]) -> Series:
    """An expression's result as one time series (a scalar holds at every period of the range)."""
    if isinstance(value, list):
        raise MetricMathError("The expression returns an array of time series; it must return one time series.")
    if isinstance(value, dict):
        return value
    return {ts: float(value) for ts in grid} if _finite(float(value)) else {}
