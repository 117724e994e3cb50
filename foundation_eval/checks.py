"""Input checks shared by every estimator: bad input fails early with a `ValueError` naming what is wrong.

One home for the checks the statistical layers (`stats`, `impact`, `models`, `ppit`) make of their
arguments: a confidence level, a numeric array, a 0/1 array, probabilities, arrays of one length and
the columns of a frame. Each returns the cleaned value, so a function checks and converts in one line.
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = ["MissingColumnError", "check_level", "as_float", "as_binary", "as_probability", "same_length",
           "require_columns"]


class MissingColumnError(ValueError, KeyError):
    """A column the caller named is not in the frame.

    A `ValueError` (bad input, like every other check here) that is also a `KeyError`, as a missing
    column is for pandas, so code catching either keeps working (numpy's `AxisError` is a `ValueError`
    and an `IndexError` for the same reason).

    Parameters
    ----------
    message : str
        What is missing and which columns the frame has.

    Examples
    --------
    >>> issubclass(MissingColumnError, ValueError), issubclass(MissingColumnError, KeyError)
    (True, True)
    >>> str(MissingColumnError("frame has no column(s) ['x']"))
    "frame has no column(s) ['x']"
    """

    __str__ = ValueError.__str__  # the message as written, not quoted as KeyError would


def check_level(level) -> float:
    """A confidence level: a number strictly between 0 and 1.

    Parameters
    ----------
    level : float
        The level to check.

    Returns
    -------
    float
        `level` as a float.

    Raises
    ------
    ValueError
        When `level` is not a number or not strictly between 0 and 1.

    Examples
    --------
    >>> check_level(0.95)
    0.95
    >>> check_level(95)
    Traceback (most recent call last):
    ...
    ValueError: level must lie strictly between 0 and 1, got 95
    """
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    return float(level)


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def as_float(values, name: str) -> np.ndarray:
    """A one-dimensional, non-empty array of finite numbers.

    Parameters
    ----------
    values : array-like
        The values to check.
    name : str
        The argument's name, for the message.

    Returns
    -------
    numpy.ndarray
        `values` as floats.

    Raises
    ------
    ValueError
        When a value is not a number, the array is not one-dimensional or empty, or a value is missing
        or infinite (missing values are never dropped silently).

    Examples
    --------
    >>> as_float([1, 2.5], "durations")
    array([1. , 2.5])
    >>> as_float([1, None, 3], "durations")
    Traceback (most recent call last):
    ...
    ValueError: durations has 1 missing value(s), e.g. at position 1; drop or impute them first
    """
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    missing = np.isnan(arr)
    if missing.any():
        raise ValueError(f"{name} has {int(missing.sum())} missing value(s), e.g. at position {_first(missing)}; "
                         "drop or impute them first")
    infinite = np.isinf(arr)
    if infinite.any():
        raise ValueError(f"{name} has {int(infinite.sum())} infinite value(s), e.g. at position {_first(infinite)}")
    return arr


def as_binary(values, name: str = "outcomes", require_both: bool = True) -> np.ndarray:
    """A 0/1 integer array from booleans or numbers equal to 0 or 1.

    Parameters
    ----------
    values : array-like
        The values to check.
    name : str
        The argument's name, for the message.
    require_both : bool
        Also require at least one 0 and one 1.

    Returns
    -------
    numpy.ndarray
        `values` as integers 0 and 1.

    Raises
    ------
    ValueError
        When the array is not one-dimensional, is empty, has missing or other values, or (with
        `require_both`) only one of 0 and 1.

    Examples
    --------
    >>> as_binary([True, False, 1.0])
    array([1, 0, 1])
    >>> as_binary([0, 1, 2])
    Traceback (most recent call last):
    ...
    ValueError: outcomes must be binary (0/1 or True/False); found other values: 2.0
    """
    raw = np.asarray(values)
    if raw.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {raw.shape}")
    if raw.size == 0:
        raise ValueError(f"{name} is empty")
    if raw.dtype == bool:
        arr = raw.astype(int)
    else:
        try:
            as_num = raw.astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be binary (0/1 or True/False); got non-numeric values") from None
        if np.isnan(as_num).any():
            raise ValueError(f"{name} contains missing values; drop them first")
        bad = ~np.isin(as_num, (0.0, 1.0))
        if bad.any():
            examples = ", ".join(map(str, np.unique(as_num[bad])[:5]))
            raise ValueError(f"{name} must be binary (0/1 or True/False); found other values: {examples}")
        arr = as_num.astype(int)
    if require_both and (arr.min() == arr.max()):
        raise ValueError(f"{name} must contain both 0 and 1 (found only {arr[0]})")
    return arr


def as_probability(values, name: str = "predicted_prob", open_interval: bool = True) -> np.ndarray:
    """Probabilities: finite numbers in (0, 1), or in [0, 1] when `open_interval` is False.

    Parameters
    ----------
    values : array-like
        The values to check.
    name : str
        The argument's name, for the message.
    open_interval : bool
        Refuse 0 and 1 (where the logit is undefined).

    Returns
    -------
    numpy.ndarray
        `values` as floats.

    Raises
    ------
    ValueError
        When a value is not a finite number in the interval.

    Examples
    --------
    >>> as_probability([0.2, 0.9])
    array([0.2, 0.9])
    >>> as_probability([0.0, 1.0], open_interval=False)
    array([0., 1.])
    """
    arr = as_float(values, name)
    if open_interval:
        if (arr <= 0).any() or (arr >= 1).any():
            raise ValueError(f"{name} must lie strictly between 0 and 1 (logit is undefined at 0 and 1)")
    elif (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must lie between 0 and 1")
    return arr


def same_length(**arrays) -> int:
    """The common length of several arrays, named by keyword.

    Parameters
    ----------
    **arrays : array-like
        The arrays, each under its argument's name.

    Returns
    -------
    int
        Their length.

    Raises
    ------
    ValueError
        When the lengths differ (the message gives each).

    Examples
    --------
    >>> same_length(outcomes=[0, 1, 1], scores=[3, 5, 9])
    3
    >>> same_length(outcomes=[0, 1], scores=[3, 5, 9])
    Traceback (most recent call last):
    ...
    ValueError: inputs must have the same length (outcomes=2, scores=3)
    """
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise ValueError(f"inputs must have the same length ({detail})")
    return next(iter(lengths.values()))


def require_columns(frame: pd.DataFrame, cols, what: str = "frame", complete: bool = False) -> None:
    """Check that `frame` is a DataFrame with the columns `cols` (and, if `complete`, no missing values in them).

    Parameters
    ----------
    frame : DataFrame
        The frame to check.
    cols : iterable of str or None
        Column names; None entries (optional arguments left out) are skipped.
    what : str
        What the frame is, for the message (e.g. "panel").
    complete : bool
        Also refuse missing values in those columns (with example rows): missing values are never
        dropped silently.

    Raises
    ------
    ValueError
        When `frame` is not a DataFrame, or has missing values in a column (with `complete`).
    MissingColumnError
        When a column is absent (a `ValueError` that is also a `KeyError`).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"time": [1.0, 2.0], "event": [1, None]})
    >>> require_columns(frame, ["time", "event", None])
    >>> require_columns(frame, ["time", "status"])
    Traceback (most recent call last):
    ...
    foundation_eval.checks.MissingColumnError: frame has no column(s) ['status']; columns are ['time', 'event']
    >>> require_columns(frame, ["time", "event"], complete=True)
    Traceback (most recent call last):
    ...
    ValueError: frame has missing values in column(s) ['event']; e.g. 'event' at rows [1]. ...
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    cols = [c for c in cols if c is not None]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise MissingColumnError(f"{what} has no column(s) {missing}; columns are {list(frame.columns)}")
    if complete:
        nan_cols = [c for c in cols if frame[c].isna().any()]
        if nan_cols:
            c = nan_cols[0]
            rows = list(frame.index[frame[c].isna()][:5])
            raise ValueError(f"{what} has missing values in column(s) {nan_cols}; e.g. {c!r} at rows {rows}. "
                             "Missing values are not dropped silently: remove or impute them first.")
