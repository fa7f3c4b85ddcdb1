"""Declarative argument checks shared by every public engine function.

Each check raises :class:`engine.errors.EngineError` with one message template
("`name` must be <expected>, got <found>") and returns the converted value, so a
public function validates and converts in one line per argument.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import EngineError, expected


def _is_real(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def real(name: str, value, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """A finite real number inside [low, high] (or open ends)."""
    if not _is_real(value) or not math.isfinite(float(value)):
        raise expected(name, "a finite number", value)
    v = float(value)
    if low is not None and (v < low or (low_open and v == low)):
        raise expected(name, f"{'>' if low_open else '>='} {low}", value)
    if high is not None and (v > high or (high_open and v == high)):
        raise expected(name, f"{'<' if high_open else '<='} {high}", value)
    return v


def positive(name: str, value) -> float:
    """A finite real number > 0."""
    return real(name, value, low=0.0, low_open=True)


def integer(name: str, value, *, low=None, high=None) -> int:
    """An integer inside [low, high]."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if _is_real(value) and float(value).is_integer():
            value = int(value)
        else:
            raise expected(name, "an integer", value)
    v = int(value)
    if low is not None and v < low:
        raise expected(name, f">= {low}", v)
    if high is not None and v > high:
        raise expected(name, f"<= {high}", v)
    return v


def fraction(name: str, value) -> float:
    """A number in [0, 1]."""
    return real(name, value, low=0.0, high=1.0)


def choice(name: str, value, options) -> str:
    """One of a fixed set of options."""
    if value not in options:
        raise expected(name, f"one of {sorted(options)}", value)
    return value


def finite_array(name: str, value, *, dtype=np.float64, ndim=None, shape=None) -> np.ndarray:
    """A C-contiguous array of ``dtype`` with only finite entries.

    ``shape`` may contain ``None`` for free dimensions.
    """
    try:
        arr = np.ascontiguousarray(value, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise EngineError(f"`{name}` must be a numeric array, got {type(value).__name__}") from e
    if ndim is not None and arr.ndim != ndim:
        raise expected(name, f"a {ndim}-d array", f"shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise expected(name, f"of shape {want}", f"shape {arr.shape}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise expected(name, "finite (no NaN or inf)", f"{bad} non-finite entries")
    return arr


def increasing(name: str, values, *, positive_values=False) -> np.ndarray:
    """A 1-d strictly increasing array (e.g. a temperature ladder)."""
    arr = finite_array(name, values, ndim=1)
    if arr.size == 0:
        raise expected(name, "non-empty", "an empty array")
    if positive_values and np.any(arr <= 0):
        raise expected(name, "all > 0", f"minimum {arr.min()!r}")
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        raise expected(name, "strictly increasing", arr.tolist() if arr.size <= 8 else "an unsorted ladder")
    return arr
