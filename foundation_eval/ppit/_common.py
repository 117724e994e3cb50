"""Small helpers shared by the PPIT validity modules (the input checks are in `foundation_eval.checks`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__: list[str] = []


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
