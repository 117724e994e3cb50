r"""Value for money: costs, outcomes averted and social value under every impact design.

[`value_analysis`][foundation_eval.evaluation.value.value_analysis] (the one the reports lead with)
restates every cost and unit cost in one price base (the programme file's `[evaluation] price_base`
and GDP `deflator`), translates the effect of each headline design into victims spared, and sets the
break-even number of victims spared against what the primary design can detect. Figures are rounded
to what the data support ([`round_money`][foundation_eval.evaluation.value.round_money],
[`round_count`][foundation_eval.evaluation.value.round_count]). Placeholder costs are flagged so that
a report never prints them as findings.

For the primary district comparison, value is counted only over the cells its estimate covers: the
effect per eligible person-month over those live district-quarters, times their person-months, turned
into victims with the victims-per-offence ratio of the same person-months' offences, set against the
programme's cost in the same district-months. Costs and benefits are discounted at the Green Book rate
(3.5% a year) to the year the estimand starts, and the social value is shown at a low, central and high
unit cost (`[evaluation] unit_cost_range`).

`UNIT_COST_PRICE_YEAR` is the financial year of the Home Office unit cost ("2016/17").

Sources: Home Office (2019), *The economic and social costs of domestic abuse*, Research Report 107
(Oliver, Alexander, Roe & Wlasny): 34,015 pounds per victim in 2016/17 prices; HM Treasury (2022),
*The Green Book*, ch. 5 and annex A (real prices with the GDP deflator, benefit-cost ratios);
HM Treasury GDP deflators at market prices (ONS series L8GG).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.panel import district_period_panel

__all__ = ["Costs", "engaged_within_window", "round_money", "round_count", "DesignValue", "ValueAnalysis",
           "value_analysis", "discount_factors", "UNIT_COST_PRICE_YEAR"]

#: Financial year of the Home Office unit cost (year ending March 2017).
UNIT_COST_PRICE_YEAR = "2016/17"


def engaged_within_window(ds: Dataset, listed: pd.DataFrame) -> int:
    r"""Listed people with an "engaged" contact within `engagement_window_days` of first listing.

    The one definition of "engaged" used for costs per person engaged, as on every other page: a
    contact with outcome "engaged" dated $0 \le \text{contact date} - \text{index date} \le w$ days,
    $w$ the programme's `engagement_window_days` (both ends included).

    Parameters
    ----------
    ds : Dataset
        The extract: its `contacts` table and its programme's `engagement_window_days` are read.
    listed : DataFrame
        The listed people, with `person_id` and `index_date` (first listing).

    Returns
    -------
    int
        Number of distinct people engaged within the window (0 when there are no contacts or no
        listed people). A count of people: pass it through the publication layer's disclosure control.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> contacts = pd.DataFrame({
    ...     "person_id": ["a", "a", "b", "c"],
    ...     "outcome": ["engaged", "engaged", "no answer", "engaged"],
    ...     "contact_date": pd.to_datetime(["2022-01-10", "2022-02-01", "2022-01-05", "2022-06-01"])})
    >>> ds = SimpleNamespace(contacts=contacts, programme=SimpleNamespace(engagement_window_days=90))
    >>> listed = pd.DataFrame({"person_id": ["a", "b", "c"], "index_date": pd.to_datetime(["2022-01-01"] * 3)})
    >>> engaged_within_window(ds, listed)      # c engaged 151 days after listing: outside the window
    1
    """
    con = ds.contacts
    if not len(con) or not len(listed):
        return 0
    eng = con[con.outcome == "engaged"][["person_id", "contact_date"]].merge(listed[["person_id", "index_date"]])
    days = (eng.contact_date - eng.index_date).dt.days
    ok = (days >= 0) & (days <= ds.programme.engagement_window_days)
    return int(eng[ok].person_id.nunique())


def round_money(x: float) -> float:
    """Round a sum of money to what an evaluation of this size supports.

    Millions to the nearest 0.1m (GBP 4,203,415 -> 4,200,000); otherwise two significant figures
    (GBP 647,680 -> 650,000; GBP 1,342 -> 1,300). NaN stays NaN.

    Parameters
    ----------
    x : float
        A sum of money (any currency unit; negative sums are rounded the same way).

    Returns
    -------
    float
        The rounded sum; NaN for None, NaN or infinite input. Sums from 10 to under a million come
        back as a Python int of the same value.

    Examples
    --------
    >>> round_money(4_203_415), round_money(647_680), round_money(1342.7), round_money(-7_759_150)
    (4200000.0, 650000, 1300, -7800000.0)
    >>> round_money(float("nan"))
    nan
    """
    if x is None or not math.isfinite(x):
        return float("nan")
    if abs(x) >= 1e6:
        return round(x / 1e5) * 1e5
    if x == 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(x))) - 1)
    return round(x / step) * step


def round_count(x: float) -> float:
    """Round an estimated number (offences, victims) to two significant figures, at least whole numbers.

    Below 100 to the nearest whole number; from 100 to two significant figures (1,234 -> 1,200).

    Parameters
    ----------
    x : float
        An estimated number of offences, victims or people.

    Returns
    -------
    float
        The rounded number; NaN for None, NaN or infinite input.

    Examples
    --------
    >>> round_count(78.6), round_count(1234), round_count(-14.44)
    (79.0, 1200.0, -14.0)
    """
    if x is None or not math.isfinite(x):
        return float("nan")
    if abs(x) < 100:
        return float(round(x))
    step = 10 ** (math.floor(math.log10(abs(x))) - 1)
    return float(round(x / step) * step)



@dataclass(frozen=True)
class Costs:
    """Programme and unit costs for the value-for-money section. Replace the defaults with real figures.

    Attributes
    ----------
    annual_cost_full_force : float
        Cost of running the programme for a year in every district (police officers' time, Foundation
        Practitioners, management, commissioned places), in pounds. The default of 1,000,000 is an
        ILLUSTRATIVE placeholder, not a published figure: the cost over the evaluation period is this
        amount times the share of district-years the programme was live. Used only when neither
        ``programme_cost_total`` nor the programme file's ``[costs]`` gives the spending.
    programme_cost_total : float, optional
        Total spending over the evaluation period; overrides the programme file's ``[costs]``.
    unit_cost_per_victim : float
        Economic and social cost of domestic abuse per victim: 34,015 pounds (Home Office 2019, *The
        economic and social costs of domestic abuse*, Research Report 107, Oliver, Alexander, Roe &
        Wlasny; year ending March 2017 prices; England and Wales). About 70% of it is the physical and
        emotional harm to the victim; the rest is lost output and the costs of health, police, criminal
        justice and other services.
    price_year : str
        Prices the unit cost is in.
    price_uplift : float
        Multiplier from `price_year` to the reporting year (e.g. the HM Treasury GDP deflator
        ratio); 1.0 keeps 2016/17 prices. Applied on top of the programme file's deflator.
    illustrative : bool
        Marks the defaults as illustrative (descriptive only: the placeholder flag that reports act
        on comes from the programme file and from whether a cost was given).

    The class attribute `CAVEATS` holds the plain-English caveats every value-for-money section
    prints.

    Examples
    --------
    >>> c = Costs(programme_cost_total=2_000_000)
    >>> c.unit_cost_per_victim, c.price_uplift
    (34015.0, 1.0)
    >>> Costs.CAVEATS[0]
    "The programme cost is an illustrative placeholder unless replaced with the force's own figures."
    """

    annual_cost_full_force: float = 1_000_000.0
    programme_cost_total: float | None = None
    unit_cost_per_victim: float = 34_015.0
    price_year: str = "year ending March 2017"
    price_uplift: float = 1.0
    illustrative: bool = True

    CAVEATS = (
        "The programme cost is an illustrative placeholder unless replaced with the force's own figures.",
        "The Home Office unit cost is an average over all victims of domestic abuse in a year, not the cost of "
        "one recorded offence; an averted reoffender is counted here as one victim spared, which is a "
        "simplification in both directions (one perpetrator may harm several people; not every recorded "
        "offence means a new year of abuse).",
        "Most of the unit cost is the physical and emotional harm to victims: it is a social value, not cash "
        "that the police or the Commissioner would save.",
        "Unit costs are in prices of the year ending March 2017 unless an uplift is given.",
        "Only recorded DA offences are counted; unrecorded abuse averted (or displaced) is not.",
        "The intervals carry only the statistical uncertainty of the effect estimates; the uncertainty of the "
        "unit cost is shown separately as a low and a high unit cost.",
    )


# ==================================================================================================
# value under every design
# ==================================================================================================


def _neg(est) -> tuple[float, float, float]:
    """Averted = minus the effect; the interval flips."""
    return (-est.estimate, -est.ci_high, -est.ci_low)


def discount_factors(months, base, rate: float) -> np.ndarray:
    r"""Green Book discount factors of monthly periods: $(1 + r)^{-y}$, $y$ whole years after `base`.

    HM Treasury (2022), *The Green Book*, section 5 and annex A6: values in year $y$ of an appraisal
    are discounted by $1 / (1 + r)^y$ with the social time preference rate $r = 3.5\%$; year 0 is the
    year the appraisal starts. Months before `base` are not compounded (factor 1).

    Parameters
    ----------
    months : sequence of pandas Period
        Monthly periods.
    base : pandas Period
        First month of year 0.
    rate : float
        Annual discount rate (0.035).

    Returns
    -------
    ndarray
        One factor per month.

    Examples
    --------
    >>> m = pd.PeriodIndex(["2021-01", "2021-12", "2022-01", "2023-06"], freq="M")
    >>> discount_factors(m, pd.Period("2021-01", "M"), 0.035).round(4).tolist()
    [1.0, 1.0, 0.9662, 0.9335]
    """
    ordinal = pd.PeriodIndex(months).asi8
    years = np.maximum((ordinal - base.ordinal) // 12, 0)
    return (1.0 + float(rate)) ** (-years.astype(float))


@dataclass(frozen=True)
class DesignValue:
    """Victims spared, social value and benefit-cost ratio implied by one design's estimate.

    Attributes
    ----------
    name : str
        Name of the result (``did_att_da_rate``, ``reoffending_12m_rd_programme``, ...).
    design : str
        The design in words.
    role : {"primary", "supporting"}
        Whether it is the pre-specified primary design.
    sms_level : int or None
        Maryland Scientific Methods Scale level of the design.
    victims_spared : (float, float, float)
        Victims spared, estimate and interval (the effect's interval carried through).
    social_value : (float, float, float)
        Present value of victims spared at the central unit cost, in ``price_base`` prices.
    benefit_cost_ratio : (float, float, float)
        Social value / present value of the cost over the same population (NaN when there is no cost).
    basis : str
        How the effect was translated.
    social_value_unit_cost : (float, float)
        Present value of the central estimate at the low and at the high unit cost.
    cost : float
        Present value of the programme's cost over the population the value is counted for.

    Examples
    --------
    >>> d = DesignValue("reoffending_12m_rd_programme", "cohort comparison", "primary", 2,
    ...                 victims_spared=(72.2, 14.4, 130.0), social_value=(3.29e6, 6.6e5, 5.92e6),
    ...                 benefit_cost_ratio=(1.64, 0.33, 2.96), basis="risk difference x people listed")
    >>> d.role, d.victims_spared[0]
    ('primary', 72.2)
    """

    name: str
    design: str
    role: str
    sms_level: int | None
    victims_spared: tuple[float, float, float]
    social_value: tuple[float, float, float]
    benefit_cost_ratio: tuple[float, float, float]
    basis: str
    social_value_unit_cost: tuple[float, float] = (float("nan"), float("nan"))
    cost: float = float("nan")


@dataclass(frozen=True)
class ValueAnalysis:
    """Value for money under every headline design, led by the primary.

    Built by [`value_analysis`][foundation_eval.evaluation.value.value_analysis]; the raw figures are
    kept here, and `table()` and `costs_table()` round them for publication.

    Attributes
    ----------
    price_base : str
        Financial year of every sum of money ("" = nominal).
    cost_total : float
        Programme cost over the evaluation period in ``price_base`` prices (undiscounted).
    cost_placeholder : bool
        True when the cost is a placeholder: every cost-based figure is then not a finding.
    cost_source : str
        Where the cost came from, in words.
    unit_cost_per_victim : float
        Home Office unit cost restated in `price_base` prices (the central unit cost).
    n_listed, n_engaged, n_completed_referrals : int
        Counts (engaged: within `engagement_window_days` of first listing); pass them to the
        publication layer for disclosure control, never format them into a sentence here.
    engagement_window_days : int
        The programme's engagement window, in days.
    break_even_victims : float
        Victims spared at which the primary's social value equals its cost (both present values).
    mde_victims : float
        Victims spared the primary design could detect with 80% power (its minimum detectable effect).
    designs : tuple of DesignValue
        Primary first.
    caveats : tuple of str
        Plain-English caveats to print with the section.
    discount_rate : float
        Annual discount rate applied to costs and benefits.
    discount_base : str
        First month of year 0 of the discounting (the start of the primary's estimand).
    unit_cost_low, unit_cost_high : float
        Low and high unit costs per victim (`[evaluation] unit_cost_range` times the central one).
    estimand_person_months, live_person_months : float
        Eligible person-months the primary's value is counted over, and all eligible person-months in
        live districts (the value is not extrapolated to the rest).
    victims_per_offence : float
        Distinct victims per DA offence among the offences of the estimand's person-months.
    deflator_illustrative : bool
        The deflator series is an approximation (pages say so).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> cohort = SimpleNamespace(estimate=-0.05, ci_low=-0.09, ci_high=-0.01, design="cohort comparison", sms_level=2)
    >>> va = value_analysis(open_snapshot().dataset, {"reoffending_12m_rd_programme": cohort},
    ...                     primary="reoffending_12m_rd_programme", costs=Costs(programme_cost_total=2_000_000))
    >>> va.primary.name, va.cost_placeholder, va.break_even_detectable
    ('reoffending_12m_rd_programme', True, False)
    >>> va.table()[["victims_spared", "victims_low", "victims_high"]].iloc[0].tolist()
    [72.0, 14.0, 130.0]
    >>> va.findings().item.tolist()[:2]
    ['Unit cost of domestic abuse per victim (Home Office 2019), central', 'Low unit cost per victim']
    """

    price_base: str
    cost_total: float
    cost_placeholder: bool
    cost_source: str
    unit_cost_per_victim: float
    n_listed: int
    n_engaged: int
    n_completed_referrals: int
    engagement_window_days: int
    break_even_victims: float
    mde_victims: float
    designs: tuple[DesignValue, ...]
    caveats: tuple[str, ...] = field(default=())
    discount_rate: float = 0.0
    discount_base: str = ""
    unit_cost_low: float = float("nan")
    unit_cost_high: float = float("nan")
    estimand_person_months: float = float("nan")
    live_person_months: float = float("nan")
    victims_per_offence: float = float("nan")
    deflator_illustrative: bool = False

    @property
    def primary(self) -> DesignValue | None:
        """The primary design's value, or None when the primary was not estimable."""
        return next((d for d in self.designs if d.role == "primary"), None)

    @property
    def cost_per_engaged(self) -> float:
        """Programme cost per person engaged within the engagement window, unrounded (NaN when none)."""
        return self.cost_total / self.n_engaged if self.n_engaged else float("nan")

    @property
    def cost_per_completed_referral(self) -> float:
        """Programme cost per completed referral, unrounded (NaN when none)."""
        return self.cost_total / self.n_completed_referrals if self.n_completed_referrals else float("nan")

    @property
    def break_even_detectable(self) -> bool:
        """True when the primary design could detect an effect as large as the break-even one."""
        return bool(math.isfinite(self.mde_victims) and self.break_even_victims >= self.mde_victims)

    @property
    def estimand_share(self) -> float:
        """Share of live districts' eligible person-months the primary's value is counted over."""
        return self.estimand_person_months / self.live_person_months if self.live_person_months else float("nan")

    def table(self) -> pd.DataFrame:
        """One row per design, rounded for publication.

        Victims with [`round_count`][foundation_eval.evaluation.value.round_count], money with
        [`round_money`][foundation_eval.evaluation.value.round_money], ratios to one decimal.

        Returns
        -------
        DataFrame
            `name, design, role, sms_level, victims_spared, victims_low, victims_high, social_value,
            social_value_low, social_value_high, social_value_low_unit_cost,
            social_value_high_unit_cost, bcr, bcr_low, bcr_high, cost_placeholder, basis`, primary
            first. Benefit-cost ratios are NaN when the cost is a placeholder.
        """
        rows = []
        for d in self.designs:
            bcr = d.benefit_cost_ratio if not self.cost_placeholder else (float("nan"),) * 3
            rows.append({"name": d.name, "design": d.design, "role": d.role, "sms_level": d.sms_level,
                         "victims_spared": round_count(d.victims_spared[0]),
                         "victims_low": round_count(d.victims_spared[1]),
                         "victims_high": round_count(d.victims_spared[2]),
                         "social_value": round_money(d.social_value[0]),
                         "social_value_low": round_money(d.social_value[1]),
                         "social_value_high": round_money(d.social_value[2]),
                         "social_value_low_unit_cost": round_money(d.social_value_unit_cost[0]),
                         "social_value_high_unit_cost": round_money(d.social_value_unit_cost[1]),
                         "bcr": round(bcr[0], 1), "bcr_low": round(bcr[1], 1), "bcr_high": round(bcr[2], 1),
                         "cost_placeholder": self.cost_placeholder, "basis": d.basis})
        return pd.DataFrame(rows)

    def costs_table(self) -> pd.DataFrame:
        """Costs and unit costs on one price base, rounded for publication.

        Returns
        -------
        DataFrame
            `item, value, unit, placeholder, n, price_base`: money rounded with
            [`round_money`][foundation_eval.evaluation.value.round_money], numbers of victims with
            [`round_count`][foundation_eval.evaluation.value.round_count]; counts of people in `n`
            (for disclosure control, `value` NaN); `placeholder` True on rows that rest on a
            placeholder cost.
        """
        nan = float("nan")
        pb = self.price_base or "nominal prices"
        primary_cost = self.primary.cost if self.primary is not None else nan
        rows = [
            ("Unit cost of domestic abuse per victim (Home Office 2019), central", round_money(self.unit_cost_per_victim),
             "GBP", False, nan),
            ("Low unit cost per victim", round_money(self.unit_cost_low), "GBP", False, nan),
            ("High unit cost per victim", round_money(self.unit_cost_high), "GBP", False, nan),
            ("Programme cost over the evaluation period", round_money(self.cost_total), "GBP", self.cost_placeholder, nan),
            ("Programme cost in the primary's district-quarters, discounted", round_money(primary_cost), "GBP",
             self.cost_placeholder, nan),
            ("Cost per person engaged", round_money(self.cost_per_engaged), "GBP", self.cost_placeholder, nan),
            ("Cost per completed referral", round_money(self.cost_per_completed_referral), "GBP",
             self.cost_placeholder, nan),
            ("Break-even number of victims spared", round_count(self.break_even_victims), "victims",
             self.cost_placeholder, nan),
            ("Victims spared the primary design could detect (80% power)", round_count(self.mde_victims), "victims",
             False, nan),
            ("People listed", nan, "people", False, self.n_listed),
            (f"People engaged within {self.engagement_window_days} days of listing", nan, "people", False,
             self.n_engaged),
            ("Completed referrals", nan, "referrals", False, self.n_completed_referrals),
        ]
        out = pd.DataFrame(rows, columns=["item", "value", "unit", "placeholder", "n"])
        out["price_base"] = pb
        return out

    def findings(self) -> pd.DataFrame:
        """The rows of `costs_table()` that may be printed as findings (nothing that rests on a placeholder cost).

        Returns
        -------
        DataFrame
            The columns of `costs_table()`, without its placeholder rows, re-indexed from 0.
        """
        c = self.costs_table()
        return c[~c.placeholder].reset_index(drop=True)


def _month_costs(ds: Dataset, costs: Costs, live: pd.DataFrame) -> tuple[pd.Series, float, str, bool]:
    """Programme cost per live district-month (in price-base prices), the total, its source, placeholder."""
    prog = ds.programme
    plan = prog.evaluation
    key = list(zip(live.district_id, live.month, strict=True))
    n = len(key)
    if costs.programme_cost_total is not None:
        per = pd.Series(float(costs.programme_cost_total) / max(n, 1), index=pd.MultiIndex.from_tuples(key))
        return per, float(costs.programme_cost_total), "total given", bool(plan.cost_placeholder)
    if prog.costs:
        fy = np.array([_financial_year(m) for m in live.month])
        amounts = {c.period.replace("-", "/"): _deflate(plan, c.amount, c.period) for c in prog.costs}
        values = np.zeros(n)
        unplaced = 0.0
        for year, amount in amounts.items():
            here = fy == year
            if here.any():
                values[here] += amount / here.sum()
            else:
                unplaced += amount  # spending in a year with no live district: spread over every live month
        values += unplaced / max(n, 1)
        source = "the programme file's [costs]" + (f", restated in {plan.price_base} prices" if plan.price_base else "")
        return (pd.Series(values, index=pd.MultiIndex.from_tuples(key)), float(sum(amounts.values())), source,
                bool(plan.cost_placeholder))
    per_dm = costs.annual_cost_full_force / 12 / len(prog.districts)
    return (pd.Series(per_dm, index=pd.MultiIndex.from_tuples(key)), per_dm * n,
            "placeholder: a notional annual cost for the whole force x share of district-months live", True)


def _financial_year(month: pd.Period) -> str:
    """UK financial year (April to March) of a month, written "2021/22"."""
    y = month.year if month.month >= 4 else month.year - 1
    return f"{y}/{str(y + 1)[-2:]}"


def _cell_months(panel_q: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """The district-months of the estimand's district-quarters, with each quarter's person-month weight."""
    period = panel_q.drop_duplicates("t").set_index("t").period
    out = cells[["unit", "time", "weight"]].rename(columns={"unit": "district_id"}).copy()
    out["quarter"] = out.time.map(period)
    rows = [(r.district_id, m, r.weight / 3.0) for r in out.itertuples()
            for m in pd.period_range(r.quarter.start_time, r.quarter.end_time, freq="M")]
    return pd.DataFrame(rows, columns=["district_id", "month", "weight"])


def _victims_per_offence(ds: Dataset, cell_months: pd.DataFrame) -> float:
    """Distinct victims per DA offence among offences in eligible months of the given district-months.

    An offence counts when its person was screened eligible, in one of the district-months, in the
    month of the offence. Joined on whole numbers (people's rows, district codes, month ordinals), not
    by merging the screening and offence tables: at national scale the merges held a gigabyte.
    """
    from foundation_eval.evaluation.designs._common import period_ordinal
    from foundation_eval.frames.outcomes import (
        da_offence_arrays,
        people_index,
        person_month_counts,
    )

    scr = ds.screening
    cells = cell_months[["district_id", "month"]].drop_duplicates()
    districts = pd.Index(cells.district_id.unique())
    month = period_ordinal(scr.month)
    district = districts.get_indexer(scr.district_id)
    in_cell = person_month_counts(district, month, districts.get_indexer(cells.district_id),
                                  period_ordinal(cells.month)) > 0
    keep = np.flatnonzero(scr.eligible.astype(bool).to_numpy() & in_cell & (district >= 0))
    person = people_index(ds).get_indexer(scr.person_id.to_numpy()[keep])
    offender, dates, _ = da_offence_arrays(ds)
    # a datetime64 month is the months since 1970-01, as a monthly Period's ordinal
    hit = person_month_counts(offender, dates.astype("datetime64[M]").astype(np.int64), person, month[keep]) > 0
    if not hit.any():
        return float("nan")
    # the arrays' rows are da_offences': the offences flagged DA, in the table's order
    victims = ds.read("offences", ["victim_id"], where={"da_flag": True}).victim_id[hit]
    return float((victims.nunique(dropna=True) + int(victims.isna().sum())) / int(hit.sum()))


def value_analysis(ds: Dataset, results: dict, *, primary: str, power=None, costs: Costs | None = None,
                   window_months: int = 12, primary_per_person_month=None) -> ValueAnalysis:
    """Value for money under every headline design, primary first.

    Translation to victims spared (each interval is the effect's interval carried through):

    - the district comparison (a rate per eligible person-month, name starting "did"): offences
      averted = minus the effect per eligible person-month over the estimand's own live
      district-quarters (`primary_per_person_month`, the same cells weighted by person-months) times
      those cells' person-months; never extrapolated to person-months outside the estimand. Victims
      spared = offences averted x distinct victims per DA offence among the offences of those
      person-months (the same population). Its cost is the programme's cost in the same
      district-months.
    - risk designs: victims spared = -risk difference x people listed; cost over the whole period.

    Costs and benefits are discounted (HM Treasury 2022, *The Green Book*, annex A6: $1/(1+r)^y$ with
    the programme's `discount_rate`, 3.5%) to the year the primary's estimand starts
    ([`discount_factors`][foundation_eval.evaluation.value.discount_factors]): a cell's benefit in the
    year of its quarter, a listed person's in the year of listing. Social value = victims spared x unit
    cost per victim (34,015 pounds in 2016/17 prices, Home Office 2019, restated in the price base with
    the GDP deflator, times `costs.price_uplift`), also at the low and high unit costs of the
    programme's `unit_cost_range`; benefit-cost ratio = social value / cost; break-even victims = cost /
    unit cost. The cost is, in order: `costs.programme_cost_total`, the programme file's `[costs]`
    (deflated, spread over the live district-months of each financial year), or a placeholder share
    of `costs.annual_cost_full_force`. The cost counts as a placeholder when it is the last of these or
    when the programme file's `[evaluation] cost_placeholder` says so, even if a total was given.

    Parameters
    ----------
    ds : Dataset
        The extract.
    results : dict
        Result name to estimate: ``did_att_da_rate`` (a rate per eligible person-month), a risk
        difference (``reoffending_12m_rd_programme``, ``cox_implied_rd_*``). Entries that are not
        estimable are skipped.
    primary : str
        Name of the pre-specified primary result.
    power : PowerAnalysis, optional
        Gives the primary design's minimum detectable effect (`did_mde` for a rate primary,
        `person_mde.mde` otherwise); without it `mde_victims` is NaN.
    costs : Costs, optional
        Overrides of the programme file's costs.
    window_months : int
        Window of the risk differences, in months.
    primary_per_person_month : ImputationResult, optional
        For a district-comparison primary: the same estimand weighted by eligible person-months
        ([`did_imputation`][foundation_eval.evaluation.designs.did_imputation] with
        `per_person_month=True`); required to value it.

    Returns
    -------
    ValueAnalysis
        Costs, counts, break-even and detectable numbers of victims spared, and one
        [`DesignValue`][foundation_eval.evaluation.value.DesignValue] per estimable design, primary
        first.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> cohort = SimpleNamespace(estimate=-0.05, ci_low=-0.09, ci_high=-0.01, design="cohort comparison", sms_level=2)
    >>> va = value_analysis(open_snapshot().dataset, {"reoffending_12m_rd_programme": cohort},
    ...                     primary="reoffending_12m_rd_programme", costs=Costs(programme_cost_total=2_000_000))
    >>> va.n_listed, [round(x, 1) for x in va.primary.victims_spared]    # 0.05 x 1444 people listed
    (1444, [72.2, 14.4, 130.0])
    >>> va.price_base, round(va.unit_cost_per_victim)                   # 34,015 pounds in 2024/25 prices
    ('2024/25', 45558)
    >>> round(va.unit_cost_low), round(va.unit_cost_high), va.discount_rate
    (13667, 68337, 0.035)
    """
    from foundation_eval.frames.cohort import person_frame
    from foundation_eval.models.referrals import referral_frame

    costs = costs or Costs()
    prog = ds.programme
    plan = prog.evaluation
    panel = district_period_panel(ds, "M")
    live = panel[panel.live]
    per_dm, cost_total, source, placeholder = _month_costs(ds, costs, live)
    placeholder = placeholder or costs.programme_cost_total is None and not prog.costs
    unit = _deflate(plan, costs.unit_cost_per_victim, UNIT_COST_PRICE_YEAR) * costs.price_uplift
    low_mult, high_mult = plan.unit_cost_range
    persons = person_frame(ds)
    listed = persons[persons.listed]
    refs = referral_frame(ds, listed) if len(ds.referrals) else pd.DataFrame({"completed": []})
    live_pm = float(live.eligible.sum())
    rate = float(plan.discount_rate)
    cells = None
    if primary.startswith("did") and primary_per_person_month is not None \
            and getattr(primary_per_person_month, "cells", None) is not None:
        cells = _cell_months(district_period_panel(ds, "Q"), primary_per_person_month.cells)
    base = cells.month.min() if cells is not None and len(cells) else (
        live.month.min() if len(live) else prog.study_start)
    df_live = pd.Series(discount_factors(live.month, base, rate), index=per_dm.index)
    cost_pv_all = float((per_dm * df_live).sum())
    designs = []
    est_pm, vpo = float("nan"), float("nan")
    names = [primary] + [n for n in results if n != primary]
    for name in names:
        est = results.get(name)
        if est is None or not getattr(est, "estimable", True):
            continue
        if name.startswith("did"):
            if cells is None or not len(cells) or name != primary:
                continue  # a rate design is valued only over its own cells, which only the primary carries
            pm_res = primary_per_person_month
            est_pm = float(cells.weight.sum())
            vpo = _victims_per_offence(ds, cells)
            dfc = discount_factors(cells.month, base, rate)
            benefit_df = float(np.sum(cells.weight * dfc) / est_pm)
            victims = tuple(x * est_pm * vpo for x in _neg(pm_res))
            idx = pd.MultiIndex.from_arrays([cells.district_id, cells.month])
            cost = float((per_dm.reindex(idx).fillna(0.0).to_numpy() * dfc).sum())
            basis = (f"effect per eligible person-month over the {len(primary_per_person_month.cells)} live "
                     f"district-quarters of the estimate ({est_pm:,.0f} of {live_pm:,.0f} eligible person-months in "
                     f"live districts), times " + (
                         f"{vpo:.2f} victims per DA offence among those person-months' offences" if np.isfinite(vpo)
                         else "victims per DA offence, which cannot be measured: no DA offence was recorded in "
                              "those person-months"))
        else:
            dfl = discount_factors(listed.index_date.dt.to_period("M"), base, rate) if len(listed) else np.ones(1)
            benefit_df = float(np.mean(dfl))
            victims = tuple(x * len(listed) for x in _neg(est))
            cost = cost_pv_all
            basis = f"risk difference x people listed ({window_months}-month window)"
        value = tuple(v * unit * benefit_df for v in victims)
        bcr = tuple(v / cost if cost else float("nan") for v in value)
        designs.append(DesignValue(name=name, design=est.design, role="primary" if name == primary else "supporting",
                                   sms_level=est.sms_level, victims_spared=victims, social_value=value,
                                   benefit_cost_ratio=bcr, basis=basis,
                                   social_value_unit_cost=(value[0] * low_mult, value[0] * high_mult), cost=cost))
    prim = next((d for d in designs if d.role == "primary"), None)
    mde_victims = float("nan")
    if power is not None and getattr(power, "did_mde", None) is not None:
        if primary.startswith("did") and cells is not None and len(cells):
            mde_victims = float(power.did_mde * est_pm * vpo)
        elif not primary.startswith("did"):
            mde_victims = float(power.person_mde.mde * len(listed))
    caveats = tuple(c for c in Costs.CAVEATS
                    if not (c.startswith("Unit costs are in prices") and plan.price_base)
                    and not (c.startswith("The programme cost is an illustrative placeholder") and not placeholder))
    if plan.price_base:
        caveats += (f"Every sum of money is in {plan.price_base} prices (GDP deflator"
                    + (", an illustrative approximation to the published series" if plan.deflator_illustrative
                       else "") + ").",)
    if rate:
        caveats += (f"Costs and benefits are discounted at {rate:.1%} a year (HM Treasury Green Book) to the year "
                    f"starting {base}.",)
    if cells is not None and len(cells) and live_pm:
        caveats += (f"The primary's value is counted only over the person-months its estimate covers "
                    f"({est_pm / live_pm:.0%} of eligible person-months in live districts), not extrapolated to the "
                    "rest.",)
    if placeholder:
        caveats = ("The programme cost is a placeholder: cost-based figures are not findings.",) + caveats
    break_even_cost = prim.cost if prim is not None and math.isfinite(prim.cost) else cost_pv_all
    return ValueAnalysis(price_base=plan.price_base, cost_total=float(cost_total), cost_placeholder=bool(placeholder),
                         cost_source=source, unit_cost_per_victim=float(unit), n_listed=int(len(listed)),
                         n_engaged=engaged_within_window(ds, listed),
                         n_completed_referrals=int(refs.completed.sum()) if len(refs) else 0,
                         engagement_window_days=int(prog.engagement_window_days),
                         break_even_victims=float(break_even_cost / unit) if unit else float("nan"),
                         mde_victims=mde_victims, designs=tuple(designs), caveats=caveats, discount_rate=rate,
                         discount_base=str(base), unit_cost_low=float(unit * low_mult),
                         unit_cost_high=float(unit * high_mult), estimand_person_months=est_pm,
                         live_person_months=live_pm, victims_per_offence=vpo,
                         deflator_illustrative=bool(plan.deflator_illustrative))


def _deflate(plan, amount: float, year: str) -> float:
    """Restate ``amount`` from ``year`` prices in the plan's price base (nominal when no deflator covers it)."""
    try:
        return plan.deflate(amount, year.replace("-", "/"))
    except KeyError:
        return float(amount)
