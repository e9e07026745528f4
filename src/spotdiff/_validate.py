"""Validation helpers shared by every module: one place, typed errors, helpful messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from ._errors import InvalidOptionError

__all__ = ["check_choice", "check_number"]

T = TypeVar("T")


def check_choice(name: str, value: Any, choices: Iterable[T]) -> T:
    """Return ``value`` if it is one of ``choices`` (strings compared case-insensitively)."""
    options = list(choices)
    probe = value.lower() if isinstance(value, str) else value
    for option in options:
        if probe == (option.lower() if isinstance(option, str) else option):
            return option
    listed = ", ".join(repr(o) for o in options)
    raise InvalidOptionError(f"{name} must be one of {listed}; got {value!r}")


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> Any:
    """Return ``value`` if it is a real number (an int if ``integer``) within the given bounds."""
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise InvalidOptionError(f"{name} must be {kind}; got {value!r}")
    if value != value:  # NaN
        raise InvalidOptionError(f"{name} must be {kind}; got NaN")
    if low is not None and (value < low or (not low_inclusive and value == low)):
        bound = ">=" if low_inclusive else ">"
        raise InvalidOptionError(f"{name} must be {bound} {low}; got {value!r}")
    if high is not None and (value > high or (not high_inclusive and value == high)):
        bound = "<=" if high_inclusive else "<"
        raise InvalidOptionError(f"{name} must be {bound} {high}; got {value!r}")
    return value
