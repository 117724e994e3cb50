"""Survival-data checks, the design matrix and the product-limit arrays the reoffending estimators share.

Part of [`foundation_eval.models.reoffending`][foundation_eval.models.reoffending]; import from there.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from foundation_eval.checks import as_float

__all__: list[str] = []


def as_durations(x, name: str = "durations") -> np.ndarray:
    a = as_float(x, name)
    if (a < 0).any():
        i = int(np.flatnonzero(a < 0)[0])
        raise ValueError(f"{name} must be non-negative; position {i} has {a[i]!r}")
    return a


def as_events(x, n: int, name: str = "events") -> np.ndarray:
    a = as_float(x, name)
    if a.size != n:
        raise ValueError(f"{name} has length {a.size} but durations has length {n}")
    bad = (a != 0) & (a != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be 0 (censored) or 1 (event); position {i} has {a[i]!r}")
    return a.astype(np.int64)


def as_weights(x, n: int, name: str = "weights") -> np.ndarray:
    a = as_float(x, name)
    if a.size != n:
        raise ValueError(f"{name} has length {a.size} but the data have {n} rows")
    if (a < 0).any():
        raise ValueError(f"{name} must be non-negative")
    if not (a > 0).any():
        raise ValueError(f"{name} are all zero")
    return a


def as_labels(x, n: int, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1 or a.size != n:
        raise ValueError(f"{name} must be one-dimensional with length {n}, got shape {a.shape}")
    if pd.isna(a).any():
        raise ValueError(f"{name} has missing values")
    return a


def as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def design_matrix(frame: pd.DataFrame, covariates) -> tuple[np.ndarray, list[str], dict[str, list[int]]]:
    """Numeric design matrix: numbers and booleans as they are; text or categorical columns become
    0/1 indicators for every level except the first (treatment contrasts, as R's default), named
    ``column[level]``. Returns (X, column names, {covariate: column positions})."""
    covariates = as_list(covariates)
    if not covariates:
        raise ValueError("covariates must name at least one column")
    if len(set(covariates)) != len(covariates):
        raise ValueError(f"covariates has duplicates: {covariates}")
    # columns filled into one array (not stacked from a list): one copy of the design at a time
    parts, names, terms = [], [], {}
    for c in covariates:
        s = frame[c]
        terms[c] = []
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append((s, None))
            terms[c].append(len(names))
            names.append(c)
        else:
            cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
            levels = list(cat.cat.categories)
            if len(levels) < 2:
                raise ValueError(f"covariate {c!r} has a single level {levels}; drop it")
            codes = cat.cat.codes.to_numpy()
            for k, lev in enumerate(levels[1:], start=1):
                parts.append((codes, k))
                terms[c].append(len(names))
                names.append(f"{c}[{lev}]")
    X = np.empty((len(frame), len(names)))
    for j, (values, level) in enumerate(parts):
        X[:, j] = values.to_numpy(dtype=float) if level is None else (values == level)
    const = np.ptp(X, axis=0) == 0
    if const.any():
        raise ValueError(f"covariate column(s) {[names[i] for i in np.flatnonzero(const)]} are constant")
    return X, names, terms


def set_readonly(*arrays):
    for a in arrays:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)




def km_arrays(t: np.ndarray, e: np.ndarray, entry: np.ndarray | None = None, counts: np.ndarray | None = None):
    """Product-limit estimate at every distinct time (events and censorings).

    With ``entry`` (delayed entry / counting process) a row is at risk at time s when entry < s <= t.
    ``counts`` says how many identical rows each row stands for (default one each).
    """
    times, inv = np.unique(t, return_inverse=True)
    c = np.ones(t.size) if counts is None else np.asarray(counts, dtype=float)
    d = np.bincount(inv, weights=e * c, minlength=times.size)
    leaving = np.bincount(inv, weights=c, minlength=times.size)
    if entry is None:
        at_risk = c.sum() - np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
    else:
        # entered strictly before s and not yet left
        order = np.argsort(entry, kind="stable")
        entered = np.concatenate([[0.0], np.cumsum(c[order])])[np.searchsorted(entry[order], times, side="left")]
        left_before = np.concatenate([[0.0], np.cumsum(leaving)[:-1]])
        at_risk = entered - left_before
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(at_risk > 0, d / at_risk, 0.0)
        surv = np.cumprod(1.0 - q)
        term = np.where(d > 0, np.where(at_risk > d, d / (at_risk * (at_risk - d)), np.inf), 0.0)
    greenwood = np.cumsum(term)
    return times, at_risk, d, leaving - d, surv, greenwood
