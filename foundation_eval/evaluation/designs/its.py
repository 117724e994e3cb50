"""Interrupted time series per district and force-wide (segmented regression, Newey-West errors).

Part of [`foundation_eval.evaluation.designs`][foundation_eval.evaluation.designs]; import from there.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.evaluation.designs._common import (
    OUTCOME_LABELS,
    PERIOD_NAMES,
    display_fields,
    maryland_fields,
)
from foundation_eval.frames.panel import district_period_panel
from foundation_eval.impact import (
    EvalEstimate,
    interrupted_time_series,
)

__all__ = [
    "its_series",
    "its_district",
    "its_force",
    "its_all_districts",
]


def its_series(ds: Dataset, districts=None, freq: str = "M") -> pd.DataFrame:
    """DA offences per eligible person-month for a set of districts (all when None), by period.

    The series an interrupted time series models: eligible person-months and DA offences summed over
    the districts, and their ratio.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    districts : str or list of str, optional
        District ids or names (case-insensitive); all districts when None.
    freq : {"M", "Q"}
        Monthly (default) or quarterly periods.

    Returns
    -------
    DataFrame
        One row per period: `period, eligible` (person-months), `da_events, live_share` (share of the
        districts live) and `da_rate` (missing where nobody was eligible).

    Raises
    ------
    KeyError
        When a district is not in the programme file.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> its_series(ds).shape                      # 72 months, force-wide
    (72, 5)
    >>> its_series(ds, "Southampton", "Q").head(3).round(3)
       period  eligible  da_events  live_share  da_rate
    0  2019Q1        53          3         0.0    0.057
    1  2019Q2        53          5         0.0    0.094
    2  2019Q3        57          1         0.0    0.018
    """
    p = district_period_panel(ds, freq)
    if districts is not None:
        ids = [ds.programme.district(d).id for d in ([districts] if isinstance(districts, str) else districts)]
        p = p[p.district_id.isin(ids)]
    return _rates(p.groupby("period").agg(eligible=("eligible", "sum"), da_events=("da_events", "sum"),
                                          live_share=("live", "mean")).reset_index())


def _rates(s: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        s["da_rate"] = np.where(s.eligible > 0, s.da_events / s.eligible, np.nan)
    return s


def _district_series(ds: Dataset, freq: str) -> dict[str, pd.DataFrame]:
    """`its_series` of each district on its own, from one panel (a national force has 300 districts)."""
    p = district_period_panel(ds, freq)[["district_id", "period", "eligible", "da_events", "live"]]
    p = p.assign(live_share=p.live.astype(float)).drop(columns="live")
    return {d: _rates(g.drop(columns="district_id").reset_index(drop=True))
            for d, g in p.groupby("district_id", sort=False)}


def _its(series: pd.DataFrame, intervention, freq: str, name: str, where: str, level: float = 0.95):
    season = 12 if freq == "M" else 4
    kw = dict(seasonality="fourier", n_harmonics=2) if freq == "M" else dict(seasonality="dummies")
    # timestamps rather than Periods: the season position is then read from the calendar month
    s = series.assign(period=series.period.dt.start_time)
    res = interrupted_time_series(s, "period", "da_rate", intervention.start_time, season_period=season, level=level,
                                  **kw)
    return res, EvalEstimate(
        name=name, estimate=res.estimate, se=res.se, ci_low=res.ci_low, ci_high=res.ci_high, level=level,
        p_value=res.p_value, design=f"interrupted time series, {where} (segmented regression, seasonality, "
                                    "Newey-West errors)",
        estimand="immediate change in DA offences per eligible person-month at go-live",
        comparison="the same series' trend and seasonal pattern before go-live, projected forward",
        assumptions=res.assumptions, outcome=OUTCOME_LABELS["da_rate"], **maryland_fields("its"), **display_fields("da_rate"),
        unit=OUTCOME_LABELS["da_rate"], population=f"everyone eligible in the {where}",
        window="the first period after go-live (level change)",
        interval_method=res.interval_method,
        diagnostics=(("Periods", f"{res.n_pre} before and {res.n_post} after go-live"),
                     ("Residual autocorrelation", f"lag-1 {res.residual_acf1:.2f}"),
                     ("Slope change", f"{res.slope_change:.4f} per {PERIOD_NAMES[freq]} ({res.slope_change_ci_low:.4f} "
                      f"to {res.slope_change_ci_high:.4f})")),
        n=int(res.n_pre + res.n_post))


def its_district(ds: Dataset, district: str, freq: str = "Q", level: float = 0.95):
    """Interrupted time series for one district, interrupted at its go-live.

    The segmented regression of Lopez Bernal, Cummins & Gasparrini (2017, *Int J Epidemiol* 46:348-355)
    through [`interrupted_time_series`][foundation_eval.impact.interrupted_time_series],

    $$Y_t = \beta_0 + \beta_1 t + \beta_2 P_t + \beta_3 (t - t_0) P_t + s(t) + \varepsilon_t,$$

    with $P_t$ = 1 from go-live $t_0$ on, seasonality $s(t)$ (two Fourier pairs for months, quarter
    indicators for quarters) and Newey-West (1987) standard errors. The estimate is the level change
    $\beta_2$ in DA offences per eligible person-month; the slope change $\beta_3$ is among the
    diagnostics. With no concurrent comparison group this is Maryland SMS level 2.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    district : str
        District id or name.
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    level : float
        Confidence level of the interval.

    Returns
    -------
    tuple
        `(ITSResult, EvalEstimate)`: the fitted model and the level change as an estimate named
        `its_<district id>`.

    Raises
    ------
    ValueError
        When some periods have nobody eligible (use quarterly periods).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> res, est = its_district(open_snapshot().dataset, "SOU")
    >>> est.name, round(est.estimate, 4), round(est.ci_low, 4), round(est.ci_high, 4), est.sms_level
    ('its_SOU', 0.0382, 0.0115, 0.0649, 2)
    >>> res.n_pre, res.n_post                     # quarters before and after go-live
    (8, 16)
    """
    d = ds.programme.district(district)
    return _its_district(its_series(ds, d.id, freq), d, freq, level)


def _its_district(s: pd.DataFrame, d, freq: str, level: float):
    if s.da_rate.isna().any():
        raise ValueError(f"{d.name}: some {PERIOD_NAMES[freq]}s have nobody eligible; use quarterly periods")
    go = d.go_live.asfreq("Q") if freq == "Q" else d.go_live
    return _its(s, go, freq, f"its_{d.id}", d.name, level)


def its_force(ds: Dataset, area: str = "pilot", freq: str = "M", level: float = 0.95):
    """Interrupted time series for the pilot districts together or for the whole force.

    `area="pilot"`: the pilot districts together, interrupted at the pilot go-live (the cleanest
    single series: every district in it starts on the same date). `area="force"`: all districts,
    interrupted at the first go-live; with a staggered rollout the level change then reflects only
    the pilot districts and the rollout shows up in the slope change.

    The segmented regression of Lopez Bernal, Cummins & Gasparrini (2017, *Int J Epidemiol* 46:348-355)
    through [`interrupted_time_series`][foundation_eval.impact.interrupted_time_series],

    $$Y_t = \beta_0 + \beta_1 t + \beta_2 P_t + \beta_3 (t - t_0) P_t + s(t) + \varepsilon_t,$$

    with $P_t$ = 1 from go-live $t_0$ on, seasonality $s(t)$ (two Fourier pairs for months, quarter
    indicators for quarters) and Newey-West (1987) standard errors. The estimate is the level change
    $\beta_2$ in DA offences per eligible person-month; the slope change $\beta_3$ is among the
    diagnostics. With no concurrent comparison group this is Maryland SMS level 2.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    area : {"pilot", "force"}
        The pilot districts (those marked `pilot` in the programme file, or else the first to go live)
        or all districts.
    freq : {"M", "Q"}
        Monthly (default) or quarterly periods.
    level : float
        Confidence level of the interval.

    Returns
    -------
    tuple
        `(ITSResult, EvalEstimate)`, the estimate named `its_pilot` or `its_force`.

    Raises
    ------
    ValueError
        When `area` is neither `"pilot"` nor `"force"`, or some periods have nobody eligible.

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> res, est = its_force(open_snapshot().dataset)
    >>> est.name, round(est.estimate, 4), round(est.ci_low, 4), round(est.ci_high, 4)
    ('its_pilot', 0.0285, -0.0089, 0.0659)
    >>> res.n_pre, res.n_post                     # months before and after the pilot go-live
    (24, 48)
    """
    prog = ds.programme
    if area == "pilot":
        first = min(d.go_live for d in prog.districts)
        ids = [d.id for d in prog.districts if d.pilot] or [d.id for d in prog.districts if d.go_live == first]
        where = "pilot districts"
    elif area == "force":
        ids = list(prog.district_ids)
        where = "whole force"
    else:
        raise ValueError("area must be 'pilot' or 'force'")
    go = min(prog.district(i).go_live for i in ids)
    s = its_series(ds, ids, freq)
    if s.da_rate.isna().any():
        raise ValueError("some periods have nobody eligible; use quarterly periods")
    return _its(s, go.asfreq("Q") if freq == "Q" else go, freq, f"its_{area}", where, level)


def its_all_districts(ds: Dataset, freq: str = "Q", level: float = 0.95) -> pd.DataFrame:
    """Level change at go-live for every district, one interrupted time series each.

    Runs [`its_district`][foundation_eval.evaluation.designs.its_district] for each district of the
    programme file; a district whose series cannot be modelled gets a note instead of an estimate.

    Parameters
    ----------
    ds : Dataset
        A validated extract.
    freq : {"Q", "M"}
        Quarterly (default) or monthly periods.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per district in file order: `district` (name), `go_live, estimate, ci_low, ci_high`
        (level change in DA offences per eligible person-month), `slope_change` (per period) and
        `note` (empty, or why the district has no estimate).

    Examples
    --------
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> its = its_all_districts(open_snapshot().dataset)
    >>> its[["district", "go_live", "estimate", "ci_low", "ci_high"]].head(3).round(4)
          district  go_live  estimate  ci_low  ci_high
    0  Southampton  2021-01    0.0382  0.0115   0.0649
    1    Eastleigh  2021-01    0.0172 -0.0385   0.0730
    2   Portsmouth  2021-07   -0.0896 -0.1307  -0.0484
    >>> len(its), int((its.note != "").sum())
    (14, 0)
    """
    rows = []
    series = _district_series(ds, freq)
    for d in ds.programme.districts:
        try:
            res, est = _its_district(series[d.id], d, freq, level)
            rows.append({"district": d.name, "go_live": str(d.go_live), "estimate": est.estimate,
                         "ci_low": est.ci_low, "ci_high": est.ci_high, "slope_change": res.slope_change, "note": ""})
        except ValueError as exc:
            rows.append({"district": d.name, "go_live": str(d.go_live), "estimate": np.nan, "ci_low": np.nan,
                         "ci_high": np.nan, "slope_change": np.nan, "note": str(exc)})
    return pd.DataFrame(rows)
