"""Numeric query parameters of the admin API: finite and bounded, or a 400 saying what is expected.

    timeout = number(request.query_params, "timeout", default=0, high=60, unit="seconds")   # raises BadQuery

`float("nan")` and `float("inf")` parse, so a bare `float()` lets `?timeout=nan` wait forever; every numeric
parameter goes through here instead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


class BadQuery(ValueError):
    """A query parameter out of its range or not a number; the message names it, the range and what was found."""


def number(
    params: Mapping[str, str],
    name: str,
    *,
    default: float,
    low: float = 0,
    high: float,
    integer: bool = False,
    unit: str = "",
) -> float:
    """The parameter `name` as a finite number in `[low, high]` (an integer when asked), or `default` when absent."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    kind = "an integer" if integer else "a number"
    expected = f"{name} must be {kind}{f' of {unit}' if unit else ''} from {low:g} to {high:g}, found {raw!r}"
    try:
        value = float(int(raw)) if integer else float(raw)
    except ValueError:
        raise BadQuery(expected) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BadQuery(expected)
    return value


def integer(params: Mapping[str, str], name: str, *, default: int, low: int = 0, high: int) -> int:
    """The parameter `name` as an integer in `[low, high]`, or `default` when absent; raises `BadQuery`."""
    return int(number(params, name, default=default, low=low, high=high, integer=True))
