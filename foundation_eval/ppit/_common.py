"""Input checks and small helpers shared by the PPIT validity modules.

Every public function in `foundation_eval.ppit` validates its inputs here so that bad
input fails early with a message that names the argument and the rule it broke.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from foundation_eval.stats import z_value

__all__: list[str] = []


def check_level(level: float) -> float:
    z_value(level)
    return float(level)


def as_float(values, name: str) -> np.ndarray:
    """1-D float array without missing values."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(arr).any():
        raise ValueError(
            f"{name} contains {int(np.isnan(arr).sum())} missing value(s); drop or impute them first"
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")
    return arr


def as_binary(values, name: str = "outcomes", require_both: bool = True) -> np.ndarray:
    """0/1 integer array. Accepts booleans and numbers equal to 0 or 1."""
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


def same_length(**arrays) -> int:
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) != 1:
        detail = ", ".join(f"{k}={n}" for k, n in lengths.items())
        raise ValueError(f"inputs must have the same length ({detail})")
    return next(iter(lengths.values()))


def as_probability(values, name: str = "predicted_prob", open_interval: bool = True) -> np.ndarray:
    arr = as_float(values, name)
    if open_interval:
        if (arr <= 0).any() or (arr >= 1).any():
            raise ValueError(f"{name} must lie strictly between 0 and 1 (logit is undefined at 0 and 1)")
    elif (arr < 0).any() or (arr > 1).any():
        raise ValueError(f"{name} must lie between 0 and 1")
    return arr


def logit(p: np.ndarray) -> np.ndarray:
    return np.log(p) - np.log1p(-p)




def readonly(arr) -> np.ndarray:
    out = np.array(arr, copy=True)
    out.setflags(write=False)
    return out


def as_groups(values, name: str = "groups") -> pd.Series:
    s = pd.Series(np.asarray(values, dtype=object))
    if s.isna().any():
        raise ValueError(f"{name} contains missing values; label them (e.g. 'Not recorded') first")
    return s.astype(str)
