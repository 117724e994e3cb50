"""Pieces every design shares: the headline names, display units, the district x period panel and
the person-level frames the person-level designs start from.

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.panel import district_period_panel
from foundation_eval.impact.maryland import maryland_level

__all__ = [
    "did_panel",
    "balanced_panel",
    "TRUTH_NAMES",
    "HEADLINE",
    "DISPLAY_UNITS",
]

HEADLINE = {"did_att_da_rate": "did", "reoffending_12m_rd_programme": "cohort", "reoffending_hr_programme": "cox"}
"""The three headline estimands, under their `truth.json` names, and the attribute of
[`Evaluation`][foundation_eval.evaluation.designs.Evaluation] that fits each (`did`, `cohort`, `cox`). The
registry and [`Evaluation.headline`][foundation_eval.evaluation.designs.Evaluation.headline] both read it;
[`HEADLINE_ATTRS`][foundation_eval.evaluation.designs.HEADLINE_ATTRS] holds the same mapping."""
TRUTH_NAMES = tuple(HEADLINE)
"""The `truth.json` names of the headline estimands, in the order of
[`HEADLINE`][foundation_eval.evaluation.designs.HEADLINE]."""


def _lockdown(ds: Dataset, exclude_lockdown: bool) -> tuple:
    return tuple(ds.programme.lockdown_months) if exclude_lockdown else ()


def did_panel(ds: Dataset, freq: str = "Q", exclude_lockdown: bool = False) -> pd.DataFrame:
    """District x period panel of eligible people's outcomes, the input of every district-level DiD design.

    One row per district and period (see
    [`district_period_panel`][foundation_eval.frames.panel.district_period_panel] for the columns), with
    the period frequency and the number of district-periods in which nobody was eligible recorded in
    `attrs` (`"freq"`, `"empty_cells"`). Periods in which nobody in a district was eligible have no
    rate; the imputation estimator simply leaves those rows out, while the estimators that need a
    balanced panel (Callaway & Sant'Anna, the Bacon decomposition) use
    [`balanced_panel`][foundation_eval.evaluation.designs.balanced_panel].

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    exclude_lockdown : bool
        Leave the programme file's COVID-19 lockdown months out before aggregating.

    Returns
    -------
    DataFrame
        `district_id, period, month, t` (1-based period index), `first_treated` (`t` of the go-live
        period; 0 for districts never live), `live, n_months, eligible` (eligible person-months),
        `people, listed, da_events, da_rate` (DA offences per eligible person-month), `engaged,
        engaged_rate, referral_starts, referral_rate`.

    Raises
    ------
    ValueError
        When `freq` is neither `"M"` nor `"Q"`.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset                 # the built-in synthetic force (cached on disk)
    >>> panel = did_panel(ds)
    >>> panel.district_id.nunique(), panel.t.nunique(), len(panel)
    (14, 24, 336)
    >>> panel.attrs
    {'freq': 'Q', 'empty_cells': 0}
    >>> panel.groupby("first_treated").district_id.nunique().to_dict()   # go-live waves: quarter -> districts
    {9: 2, 11: 4, 13: 4, 15: 3, 17: 1}
    """
    p = district_period_panel(ds, freq, _lockdown(ds, exclude_lockdown))
    p.attrs["freq"] = freq
    p.attrs["empty_cells"] = int((p.eligible == 0).sum())
    return p


def balanced_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel restricted to districts with someone eligible in every period.

    Districts with a period in which nobody was eligible are left out, with a `UserWarning` naming
    them, and listed in `attrs["dropped_districts"]`; the other `attrs` are kept.

    Parameters
    ----------
    panel : DataFrame
        A [`did_panel`][foundation_eval.evaluation.designs.did_panel].

    Returns
    -------
    DataFrame
        The rows of the districts observed in every period.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> panel = did_panel(open_snapshot().dataset)
    >>> balanced_panel(panel).attrs["dropped_districts"]     # every district has someone eligible each quarter
    []
    """
    empty = panel.groupby("district_id").eligible.min()
    bad = sorted(empty[empty == 0].index)
    out = panel
    if bad:
        warnings.warn(f"districts with a period in which nobody was eligible are left out of the balanced panel: "
                      f"{bad}", stacklevel=2)
        out = panel[~panel.district_id.isin(bad)].reset_index(drop=True)
    out.attrs.update(panel.attrs)
    out.attrs["dropped_districts"] = bad
    return out


OUTCOME_LABELS = {
    "da_rate": "DA offences per eligible person-month",
    "engaged_rate": "share of eligible person-months with an engaged contact",
    "referral_rate": "share of eligible person-months with a referral start",
}
PERIOD_NAMES = {"M": "month", "Q": "quarter"}

DISPLAY_UNITS = {
    "da_rate": (100.0, "DA offences per 100 eligible person-months"),
    "engaged_rate": (100.0, "percentage points of eligible person-months with an engaged contact"),
    "referral_rate": (100.0, "percentage points of eligible person-months with a referral start"),
    "risk": (100.0, "percentage points"),
    "ratio": (1.0, "hazard ratio"),
}
"""One unit per kind of outcome in every report: kind to `(scale, unit in words)`. An estimate stored as
a rate per eligible person-month or as a risk (a share) is multiplied by `scale` (100) to be read per 100
person-months or in percentage points; hazard ratios are shown as they are."""


def maryland_fields(design_key: str, **diag) -> dict:
    """Keyword arguments `sms_level, level_flags, design_key` from the one Maryland table."""
    m = maryland_level(design_key, **diag)
    return {"sms_level": m.level, "level_flags": m.flags, "design_key": design_key}


def risk_interval(low: float, high: float, level: float) -> tuple[float, float, tuple[str, ...]]:
    """A difference in risk's interval cut to the range it can take, -1 to 1, and the note saying so.

    An effect on a risk lies between -1 and 1 whatever the design; an interval reaching past that (a small
    force's few people) is cut to it. The cut interval holds every possible value the uncut one held, so
    it covers the truth exactly as often.

    Parameters
    ----------
    low, high : float
        The interval as fitted.
    level : float
        Its confidence level (0.95), for the note.

    Returns
    -------
    tuple
        ``(low, high, notes)``: the cut interval, and one note when it was cut (none otherwise).

    Examples
    --------
    >>> risk_interval(-1.694, 0.603, 0.95)
    (-1.0, 0.603, ('The 95% interval reached beyond the possible range of a difference in risk (-100 to +100 percentage points) and is cut to it: the comparison can say little.',))
    >>> risk_interval(-0.2, 0.1, 0.95)
    (-0.2, 0.1, ())
    """
    lo, hi = max(float(low), -1.0), min(float(high), 1.0)
    if (lo, hi) == (float(low), float(high)):
        return lo, hi, ()
    return lo, hi, (f"The {level:.0%} interval reached beyond the possible range of a difference in risk (-100 to "
                    "+100 percentage points) and is cut to it: the comparison can say little.",)


def display_fields(kind: str) -> dict:
    k, u = DISPLAY_UNITS[kind]
    return {"display_scale": k, "display_unit": u}


def go_live_months(ds: Dataset) -> pd.Series:
    return pd.Series({d.id: d.go_live for d in ds.programme.districts})


def months_between(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Whole months from period `a` to period `b` (b - a)."""
    if len(a) != len(b):
        raise ValueError("a and b must have the same length")
    if pd.isna(a).any() or pd.isna(b).any():
        raise ValueError("months between a missing period are undefined")
    return period_ordinal(pd.Series(b)) - period_ordinal(pd.Series(a))


def period_ordinal(periods: pd.Series) -> np.ndarray:
    """Month ordinals of a monthly Period series (months since 1970-01)."""
    return periods.array.asi8.astype(np.int64)
