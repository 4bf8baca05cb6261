"""Validation of parameters and arrays, written once for the whole package.

Two styles share the same rules and wording:

- :class:`ParamCheck` collects every problem of an estimator's parameters and
  raises them together in one ``ValueError`` (estimators, in ``fit``);
- ``check_*`` functions raise at the first problem (simulators, metrics and
  array arguments), returning the validated value.
"""

import numbers

import numpy as np
import pandas as pd

__all__ = [
    "ParamCheck",
    "as_real_array",
    "check_bool",
    "check_choice",
    "check_float",
    "check_int",
    "check_range",
    "check_square",
    "to_array",
]


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def integer_problem(value, name, low, high=None):
    """The message for an integer outside ``[low, high]``, or None when valid."""
    if _is_integer(value) and value >= low and (high is None or value <= high):
        return None
    bound = f">= {low}" if high is None else f"in [{low}, {high}]"
    return f"{name} must be an integer {bound}; got {value!r}"


def real_problem(value, name, low=None, high=None, *, low_open=False):
    """The message for a real number outside its interval, or None when valid."""
    ok = _is_real(value) and bool(np.isfinite(value))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if ok:
        return None
    if low is None and high is None:
        return f"{name} must be a finite real number; got {value!r}"
    left = "-inf" if low is None else low
    right = "inf)" if high is None else f"{high}]"
    bracket = "(" if low_open or low is None else "["
    return f"{name} must be a real number in {bracket}{left}, {right}; got {value!r}"


def choice_problem(value, name, options):
    if isinstance(value, str | type(None) | bool | numbers.Number) and (
        value in options
    ):
        return None
    return f"{name} must be one of {list(options)}; got {value!r}"


def flag_problem(value, name):
    if isinstance(value, bool | np.bool_):
        return None
    return f"{name} must be True or False; got {value!r}"


class ParamCheck:
    """Collect every parameter problem of ``estimator``, then raise them at once.

    Examples
    --------
    >>> class Est:
    ...     lr, depth = -1.0, 0
    >>> check = ParamCheck(Est())
    >>> check.real("lr", 0, low_open=True)
    >>> check.integer("depth", 1)
    >>> check.raise_if_any()
    Traceback (most recent call last):
    ...
    ValueError: Invalid parameters for Est:
      - lr must be a real number in (0, inf); got -1.0
      - depth must be an integer >= 1; got 0
    """

    def __init__(self, estimator):
        self.estimator = estimator
        self.problems = []

    def _add(self, problem):
        if problem is not None:
            self.problems.append(problem)

    def _value(self, name):
        return getattr(self.estimator, name)

    def integer(self, name, low, high=None, allow_none=False):
        value = self._value(name)
        if not (value is None and allow_none):
            self._add(integer_problem(value, name, low, high))

    def real(self, name, low, high=None, *, low_open=False, allow_none=False):
        value = self._value(name)
        if not (value is None and allow_none):
            self._add(real_problem(value, name, low, high, low_open=low_open))

    def choice(self, name, options):
        self._add(choice_problem(self._value(name), name, options))

    def flag(self, name):
        self._add(flag_problem(self._value(name), name))

    def check(self, condition, message):
        if not condition:
            self.problems.append(message)

    def raise_if_any(self):
        if self.problems:
            name = type(self.estimator).__name__
            lines = "\n  - ".join(self.problems)
            raise ValueError(f"Invalid parameters for {name}:\n  - {lines}")


def _raise(problem, fix):
    if problem is not None:
        raise ValueError(f"{problem}. {fix}")


def check_int(value, name, minimum, maximum=None):
    """``value`` as ``int``, or a ``ValueError`` naming ``name`` and the fix.

    Examples
    --------
    >>> check_int(3, "n_times", 1)
    3
    >>> check_int(0, "n_times", 1)
    Traceback (most recent call last):
    ...
    ValueError: n_times must be an integer >= 1; got 0. Pass e.g. n_times=1.
    """
    problem = integer_problem(value, name, minimum, maximum)
    _raise(problem, f"Pass e.g. {name}={minimum}.")
    return int(value)


def check_float(value, name, *, low=None, strict=False, high=None):
    """``value`` as a finite ``float`` within bounds, or a ``ValueError``."""
    problem = real_problem(value, name, low, high, low_open=strict)
    _raise(problem, "Pass a number in that range.")
    return float(value)


def check_bool(value, name):
    """``value`` as ``bool``, or a ``ValueError``."""
    _raise(flag_problem(value, name), "Pass a boolean.")
    return bool(value)


def check_choice(value, name, choices):
    """``value`` when it is one of ``choices``, else a ``ValueError``."""
    _raise(choice_problem(value, name, choices), f"Pass e.g. {name}={choices[0]!r}.")
    return value


def check_range(value, name, *, low=0.0, strict=True):
    """Validate a parameter given as a float or a ``(low, high)`` pair.

    Returns the pair ``(low, high)``; a float ``v`` becomes ``(v, v)``.
    """
    op = ">" if strict else ">="
    msg = (
        f"`{name}` must be a finite number {op} {low} or a (low, high) tuple of "
        f"such numbers with low <= high, got {value!r}. Pass e.g. "
        f"{name}=1.0 for a fixed value or {name}=(0.5, 1.0) for a uniform range."
    )
    if _is_real(value):
        pair = (value, value)
    elif isinstance(value, tuple | list | np.ndarray) and len(value) == 2:
        pair = tuple(value)
    else:
        raise ValueError(msg)
    for v in pair:
        if real_problem(v, name, low, low_open=strict) is not None:
            raise ValueError(msg)
    if pair[0] > pair[1]:
        raise ValueError(msg)
    return float(pair[0]), float(pair[1])


def to_array(values, message):
    """``np.asarray(values)``, or a ``ValueError`` of ``message`` with the reason.

    ``message`` is formatted with ``{reason}``, what numpy said.
    """
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(message.format(reason=exc)) from None


def as_real_array(values, name, dtype=np.float64, shape_hint="", *, text=False):
    """Convert to a real float array, refusing text, bytes and complex numbers.

    Strings that happen to parse as numbers are refused unless ``text``: they
    nearly always mean that a table was read with the wrong parser. DataFrames
    and Series are converted with missing values as NaN.
    """
    if isinstance(values, pd.DataFrame | pd.Series):
        values = values.to_numpy(dtype=float, na_value=np.nan)
    raw = to_array(
        values,
        f"{name} must be a numeric array{shape_hint}; it could not be converted "
        "to an array ({reason}). Convert it to numbers first.",
    )
    if raw.dtype.kind == "c" or (raw.dtype.kind in "USV" and not text):
        kind = "complex" if raw.dtype.kind == "c" else "string or structured"
        raise TypeError(
            f"{name} must hold real numbers{shape_hint}; got {kind} dtype {raw.dtype}."
        )
    try:
        return np.array(raw, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a numeric array{shape_hint}; it could not be "
            f"converted to float ({exc}). Convert it to numbers first."
        ) from None


def check_square(X, name, ref_shape=None, ref_name="y_true"):
    """``X`` as a float (p, p) array, matching ``ref_shape`` when given."""
    arr = as_real_array(X, name, text=True)
    if ref_shape is None:
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
            raise ValueError(
                f"{name} must be a square (p, p) matrix with rows as causes and "
                f"columns as effects; got shape {arr.shape}."
            )
    elif arr.shape != ref_shape:
        raise ValueError(
            f"{name} must be a square (p, p) matrix with the same shape as "
            f"{ref_name} {ref_shape}; got shape {arr.shape}."
        )
    return arr
