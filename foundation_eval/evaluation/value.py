r"""Value for money: costs, outcomes averted and social value under every impact design.

[`value_analysis`][foundation_eval.evaluation.value.value_analysis] (the one the reports lead with)
restates every cost and unit cost in one price base (the programme file's `[evaluation] price_base`
and GDP `deflator`), translates the effect of each headline design into victims spared, and sets the
break-even number of victims spared against what the primary design can detect. Figures are rounded
to what the data support ([`round_money`][foundation_eval.evaluation.value.round_money],
[`round_count`][foundation_eval.evaluation.value.round_count]). Placeholder costs are flagged so that
a report never prints them as findings.

[`value_for_money`][foundation_eval.evaluation.value.value_for_money] is the earlier single-design
calculation (the DiD for offences averted, the cohort comparison for the social value), kept for its
callers.

`UNIT_COST_PRICE_YEAR` is the financial year of the Home Office unit cost ("2016/17").

Sources: Home Office (2019), *The economic and social costs of domestic abuse*, Research Report 107
(Oliver, Alexander, Roe & Wlasny): 34,015 pounds per victim in 2016/17 prices; HM Treasury (2022),
*The Green Book*, ch. 5 and annex A (real prices with the GDP deflator, benefit-cost ratios);
HM Treasury GDP deflators at market prices (ONS series L8GG).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from foundation_eval.data.load import Dataset
from foundation_eval.frames.outcomes import da_offences
from foundation_eval.frames.panel import district_period_panel

__all__ = ["Costs", "ValueForMoney", "value_for_money", "engaged_within_window", "round_money", "round_count",
           "DesignValue", "ValueAnalysis", "value_analysis", "UNIT_COST_PRICE_YEAR"]

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
        "The intervals carry only the statistical uncertainty of the effect estimates, not that of the costs.",
    )


@dataclass(frozen=True)
class ValueForMoney:
    """Costs, outputs, outcomes averted and monetised benefits with intervals.

    Built by [`value_for_money`][foundation_eval.evaluation.value.value_for_money]; each triple is
    `(estimate, low, high)`, the effect's interval carried through the arithmetic. Money is in
    pounds at the prices of the unit cost times `costs.price_uplift`.

    Attributes
    ----------
    costs : Costs
        The costs used.
    cost_total : float
        Programme cost over the evaluation period, in pounds.
    cost_source : str
        Where `cost_total` came from ("total given", the programme file's `[costs]`, or a placeholder).
    district_years_live : float
        District-months live in the study, divided by 12.
    n_listed, n_engaged, n_completed_referrals : int
        People listed, people engaged within the engagement window, completed referrals after listing.
    live_person_months : float
        Eligible person-months in live districts.
    offences_averted : (float, float, float)
        DA offences averted over the live period.
    harm_days_per_offence : float
        Mean Crime Harm Index days of listed people's DA offences after listing.
    harm_averted : (float, float, float)
        Offences averted times `harm_days_per_offence`.
    reoffenders_prevented : (float, float, float)
        People kept from reoffending within the window.
    benefit : (float, float, float)
        Social value of victims spared, in pounds.
    window_months : int
        Window of the risk difference.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> did = SimpleNamespace(estimate=-0.002, ci_low=-0.004, ci_high=0.0)   # per eligible person-month
    >>> risk_diff = SimpleNamespace(estimate=-0.05, ci_low=-0.09, ci_high=-0.01)     # risk difference
    >>> v = value_for_money(open_snapshot().dataset, did, risk_diff, Costs(programme_cost_total=2_000_000))
    >>> v.cost_per_engaged == v.cost_total / v.n_engaged
    True
    >>> [round(x, 2) for x in v.benefit_cost_ratio]
    [1.23, 0.25, 2.21]
    """

    costs: Costs
    cost_total: float
    cost_source: str
    district_years_live: float
    n_listed: int
    n_engaged: int
    n_completed_referrals: int
    live_person_months: float
    offences_averted: tuple[float, float, float]
    harm_days_per_offence: float
    harm_averted: tuple[float, float, float]
    reoffenders_prevented: tuple[float, float, float]
    benefit: tuple[float, float, float]
    window_months: int

    @property
    def cost_per_engaged(self) -> float:
        """Programme cost per person engaged within the engagement window, in pounds (NaN when none)."""
        return self.cost_total / self.n_engaged if self.n_engaged else float("nan")

    @property
    def cost_per_completed_referral(self) -> float:
        """Programme cost per completed referral, in pounds (NaN when none)."""
        return self.cost_total / self.n_completed_referrals if self.n_completed_referrals else float("nan")

    @property
    def benefit_cost_ratio(self) -> tuple[float, float, float]:
        """Social value divided by programme cost, `(estimate, low, high)`."""
        return tuple(b / self.cost_total for b in self.benefit)

    def table(self) -> pd.DataFrame:
        """One row per quantity, unrounded.

        Returns
        -------
        DataFrame
            `item, value, ci_low, ci_high, unit, n` (`n` is a count where there is one, for
            disclosure control; `value` is NaN on those rows).
        """
        nan = float("nan")
        rows = [
            ("Programme cost over the evaluation period", self.cost_total, nan, nan, "GBP", nan),
            ("District-years live", self.district_years_live, nan, nan, "years", nan),
            ("People listed", nan, nan, nan, "people", self.n_listed),
            ("People engaged", nan, nan, nan, "people", self.n_engaged),
            ("Completed referrals", nan, nan, nan, "referrals", self.n_completed_referrals),
            ("Cost per person engaged", self.cost_per_engaged, nan, nan, "GBP", nan),
            ("Cost per completed referral", self.cost_per_completed_referral, nan, nan, "GBP", nan),
            ("DA offences averted (staggered DiD)", *self.offences_averted, "offences", nan),
            ("Harm averted (Crime Harm Index)", *self.harm_averted, "days of imprisonment equivalent", nan),
            (f"People kept from reoffending within {self.window_months} months", *self.reoffenders_prevented,
             "people", nan),
            ("Social value of victims spared", *self.benefit, "GBP", nan),
            ("Benefit-cost ratio", *self.benefit_cost_ratio, "ratio", nan),
        ]
        return pd.DataFrame(rows, columns=["item", "value", "ci_low", "ci_high", "unit", "n"])


def _neg(est) -> tuple[float, float, float]:
    """Averted = minus the effect; the interval flips."""
    return (-est.estimate, -est.ci_high, -est.ci_low)


def value_for_money(ds: Dataset, did, risk_difference, costs: Costs = Costs(),
                    window_months: int = 12) -> ValueForMoney:
    """Value for money from the headline estimates.

    * cost = `annual_cost_full_force` x district-years live within the study / number of districts
      (unless a total is given in `costs` or the programme file's `[costs]`);
    * cost per person engaged (listed people with an engaged contact within the programme's engagement
      window of first listing, the count used everywhere else) and per completed
      referral (referrals completed after listing);
    * DA offences averted = -(DiD effect per eligible person-month) x eligible person-months in live
      districts (the whole live period, so the effect is assumed to hold beyond the estimation window);
    * harm averted = offences averted x the mean Crime Harm Index days of listed people's DA offences
      after listing;
    * people kept from reoffending within the window = -(risk difference) x people listed;
    * social value = people kept from reoffending x unit cost per victim x price uplift.

    Each interval is the effect's interval carried through the same arithmetic. Money is not
    restated in a price base here: [`value_analysis`][foundation_eval.evaluation.value.value_analysis]
    does that, and is what reports use.

    Parameters
    ----------
    ds : Dataset
        The extract.
    did : EvalEstimate
        The staggered difference-in-differences effect on DA offences per eligible person-month
        (anything with `estimate`, `ci_low`, `ci_high`).
    risk_difference : EvalEstimate
        The risk difference of reoffending within `window_months` (a proportion).
    costs : Costs
        Programme and unit costs.
    window_months : int
        Window of `risk_difference`, in months (labels only).

    Returns
    -------
    ValueForMoney
        Costs, counts, offences and harm averted, people kept from reoffending, social value and
        benefit-cost ratio, each effect with its interval.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> ds = open_snapshot().dataset
    >>> did = SimpleNamespace(estimate=-0.002, ci_low=-0.004, ci_high=0.0)
    >>> risk_diff = SimpleNamespace(estimate=-0.05, ci_low=-0.09, ci_high=-0.01)
    >>> v = value_for_money(ds, did, risk_diff, Costs(programme_cost_total=2_000_000))
    >>> v.n_listed, [round(x, 2) for x in v.reoffenders_prevented]     # 0.05 x 1444 people listed
    (1444, [72.2, 14.44, 129.96])
    >>> round(v.benefit[0]) == round(72.2 * 34_015)
    True
    """
    from foundation_eval.frames.cohort import person_frame
    from foundation_eval.models.referrals import referral_frame

    prog = ds.programme
    panel = district_period_panel(ds, "M")
    live = panel[panel.live]
    dy = len(live[["district_id", "month"]].drop_duplicates()) / 12
    if costs.programme_cost_total is not None:
        cost, source = float(costs.programme_cost_total), "total given"
    elif getattr(prog, "total_cost", None):
        cost, source = float(prog.total_cost), "the programme file's [costs]"
    else:
        cost = costs.annual_cost_full_force * dy / len(prog.districts)
        source = (f"illustrative placeholder: {costs.annual_cost_full_force:,.0f} a year for the whole force x "
                  "share of district-years live")
    persons = person_frame(ds)
    listed = persons[persons.listed]
    n_engaged = engaged_within_window(ds, listed)
    refs = referral_frame(ds, listed) if len(ds.referrals) else pd.DataFrame({"completed": []})
    pm = float(live.eligible.sum())
    off = tuple(x * pm for x in _neg(did))
    da = da_offences(ds).merge(listed[["person_id", "index_date"]], on="person_id")
    after = da[da.offence_date > da.index_date]
    harm_per = float(after.chi_days.mean()) if len(after) else float("nan")
    harm = tuple(x * harm_per for x in off)
    prevented = tuple(x * len(listed) for x in _neg(risk_difference))
    benefit = tuple(x * costs.unit_cost_per_victim * costs.price_uplift for x in prevented)
    return ValueForMoney(costs=costs, cost_total=cost, cost_source=source, district_years_live=dy, n_listed=int(len(listed)),
                         n_engaged=n_engaged, n_completed_referrals=int(refs.completed.sum()),
                         live_person_months=pm, offences_averted=off, harm_days_per_offence=harm_per,
                         harm_averted=harm, reoffenders_prevented=prevented, benefit=benefit,
                         window_months=int(window_months))


# ==================================================================================================
# value under every design
# ==================================================================================================


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
        People kept from reoffending (read as victims spared), estimate and interval.
    social_value : (float, float, float)
        Victims spared x unit cost per victim, in ``price_base`` prices.
    benefit_cost_ratio : (float, float, float)
        Social value / programme cost (NaN when there is no cost).
    basis : str
        How the effect was translated.

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
        Programme cost over the evaluation period in ``price_base`` prices.
    cost_placeholder : bool
        True when the cost is a placeholder: every cost-based figure is then not a finding.
    cost_source : str
        Where the cost came from, in words.
    unit_cost_per_victim : float
        Home Office unit cost restated in `price_base` prices.
    n_listed, n_engaged, n_completed_referrals : int
        Counts (engaged: within `engagement_window_days` of first listing); pass them to the
        publication layer for disclosure control, never format them into a sentence here.
    engagement_window_days : int
        The programme's engagement window, in days.
    break_even_victims : float
        Victims spared at which the social value equals the cost.
    mde_victims : float
        Victims spared the primary design could detect with 80% power (its minimum detectable effect).
    designs : tuple of DesignValue
        Primary first.
    caveats : tuple of str
        Plain-English caveats to print with the section.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from foundation_eval.evaluation.snapshot import open_snapshot
    >>> cohort = SimpleNamespace(estimate=-0.05, ci_low=-0.09, ci_high=-0.01, design="cohort comparison", sms_level=2)
    >>> va = value_analysis(open_snapshot().dataset, {"reoffending_12m_rd_programme": cohort},
    ...                     primary="reoffending_12m_rd_programme", costs=Costs(programme_cost_total=2_000_000))
    >>> va.primary.name, va.cost_placeholder, va.break_even_detectable
    ('reoffending_12m_rd_programme', True, False)
    >>> va.table()[["victims_spared", "victims_low", "victims_high", "social_value"]].iloc[0].tolist()
    [72.0, 14.0, 130.0, 3300000.0]
    >>> va.findings().item.tolist()[:2]
    ['Unit cost of domestic abuse per victim (Home Office 2019)', 'Victims spared the primary design could detect (80% power)']
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

    def table(self) -> pd.DataFrame:
        """One row per design, rounded for publication.

        Victims with [`round_count`][foundation_eval.evaluation.value.round_count], money with
        [`round_money`][foundation_eval.evaluation.value.round_money], ratios to one decimal.

        Returns
        -------
        DataFrame
            `name, design, role, sms_level, victims_spared, victims_low, victims_high, social_value,
            social_value_low, social_value_high, bcr, bcr_low, bcr_high, cost_placeholder, basis`,
            primary first. Benefit-cost ratios are NaN when the cost is a placeholder.
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
        rows = [
            ("Programme cost over the evaluation period", round_money(self.cost_total), "GBP", self.cost_placeholder, nan),
            ("Cost per person engaged", round_money(self.cost_per_engaged), "GBP", self.cost_placeholder, nan),
            ("Cost per completed referral", round_money(self.cost_per_completed_referral), "GBP",
             self.cost_placeholder, nan),
            ("Unit cost of domestic abuse per victim (Home Office 2019)", round_money(self.unit_cost_per_victim),
             "GBP", False, nan),
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


def _offences_per_reoffender(ds: Dataset, listed: pd.DataFrame, window_months: int) -> float:
    """Mean DA offences within the window among listed people who reoffended in it (offences -> people)."""
    da = da_offences(ds).merge(listed[["person_id", "index_date"]], on="person_id")
    close = da.index_date + pd.DateOffset(months=int(window_months))
    inwin = da[(da.offence_date > da.index_date) & (da.offence_date <= close)]
    if not len(inwin):
        return float("nan")
    return float(inwin.groupby("person_id").size().mean())


def value_analysis(ds: Dataset, results: dict, *, primary: str, power=None, costs: Costs | None = None,
                   window_months: int = 12) -> ValueAnalysis:
    """Value for money under every headline design, primary first.

    Translation to victims spared (each interval is the effect's interval carried through):

    - rate designs (a name containing "rate" or starting "did"): offences averted = -effect x
      eligible person-months in live districts; victims spared = offences averted / mean DA
      offences per listed reoffender within the window;
    - risk designs: victims spared = -risk difference x people listed.

    Social value = victims spared x unit cost per victim (34,015 pounds in 2016/17 prices, Home Office
    2019, restated in the price base with the GDP deflator, times `costs.price_uplift`); benefit-cost
    ratio = social value / cost (HM Treasury 2022, *The Green Book*); break-even victims = cost /
    unit cost. The cost is, in order: `costs.programme_cost_total`, the programme file's `[costs]`
    (deflated), or a placeholder share of `costs.annual_cost_full_force`. The cost counts as a
    placeholder when it is the last of these or when the programme file's `[evaluation]
    cost_placeholder` says so, even if a total was given.

    Parameters
    ----------
    ds : Dataset
        The extract.
    results : dict
        Result name to estimate, with ``"kind"`` read from the name: ``did_att_da_rate`` (a rate per
        eligible person-month), a risk difference (``reoffending_12m_rd_programme``, ``cox_implied_rd_*``).
        Entries that are not estimable are skipped.
    primary : str
        Name of the pre-specified primary result.
    power : PowerAnalysis, optional
        Gives the primary design's minimum detectable effect (`did_mde` for a rate primary,
        `person_mde.mde` otherwise); without it `mde_victims` is NaN.
    costs : Costs, optional
        Overrides of the programme file's costs.
    window_months : int
        Window of the risk differences, in months.

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
    >>> round(va.break_even_victims, 1) == round(2_000_000 / va.unit_cost_per_victim, 1)
    True
    """
    from foundation_eval.frames.cohort import person_frame
    from foundation_eval.models.referrals import referral_frame

    costs = costs or Costs()
    prog = ds.programme
    plan = prog.evaluation
    panel = district_period_panel(ds, "M")
    live = panel[panel.live]
    dy = len(live[["district_id", "month"]].drop_duplicates()) / 12
    placeholder = False
    if costs.programme_cost_total is not None:
        cost, source = float(costs.programme_cost_total), "total given"
    elif prog.costs:
        cost = sum(_deflate(plan, c.amount, c.period) for c in prog.costs)
        source = "the programme file's [costs]" + (f", restated in {plan.price_base} prices" if plan.price_base else "")
        placeholder = plan.cost_placeholder
    else:
        cost = costs.annual_cost_full_force * dy / len(prog.districts)
        source = "placeholder: a notional annual cost for the whole force x share of district-years live"
        placeholder = True
    placeholder = placeholder or plan.cost_placeholder
    unit = _deflate(plan, costs.unit_cost_per_victim, UNIT_COST_PRICE_YEAR) * costs.price_uplift
    persons = person_frame(ds)
    listed = persons[persons.listed]
    refs = referral_frame(ds, listed) if len(ds.referrals) else pd.DataFrame({"completed": []})
    pm = float(live.eligible.sum())
    per_reoffender = _offences_per_reoffender(ds, listed, window_months)
    designs = []
    names = [primary] + [n for n in results if n != primary]
    for name in names:
        est = results.get(name)
        if est is None or not getattr(est, "estimable", True):
            continue
        neg = _neg(est)
        if "rate" in name or name.startswith("did"):
            victims = tuple(x * pm / per_reoffender for x in neg)
            basis = (f"offences averted over {pm:,.0f} eligible person-months in live districts, divided by "
                     f"{per_reoffender:.2f} DA offences per listed reoffender within {window_months} months")
        else:
            victims = tuple(x * len(listed) for x in neg)
            basis = f"risk difference x people listed ({window_months}-month window)"
        value = tuple(v * unit for v in victims)
        bcr = tuple(v / cost if cost else float("nan") for v in value)
        designs.append(DesignValue(name=name, design=est.design, role="primary" if name == primary else "supporting",
                                   sms_level=est.sms_level, victims_spared=victims, social_value=value,
                                   benefit_cost_ratio=bcr, basis=basis))
    mde_victims = float("nan")
    if power is not None and getattr(power, "did_mde", None) is not None:
        if primary.startswith("did"):
            mde_victims = float(power.did_mde * pm / per_reoffender)
        else:
            mde_victims = float(power.person_mde.mde * len(listed))
    caveats = tuple(c for c in Costs.CAVEATS
                    if not (c.startswith("Unit costs are in prices") and plan.price_base)
                    and not (c.startswith("The programme cost is an illustrative placeholder") and not placeholder)) + (
        (f"Every sum of money is in {plan.price_base} prices (GDP deflator).",) if plan.price_base else ())
    if placeholder:
        caveats = ("The programme cost is a placeholder: cost-based figures are not findings.",) + caveats
    return ValueAnalysis(price_base=plan.price_base, cost_total=float(cost), cost_placeholder=bool(placeholder),
                         cost_source=source, unit_cost_per_victim=float(unit), n_listed=int(len(listed)),
                         n_engaged=engaged_within_window(ds, listed),
                         n_completed_referrals=int(refs.completed.sum()) if len(refs) else 0,
                         engagement_window_days=int(prog.engagement_window_days),
                         break_even_victims=float(cost / unit) if unit else float("nan"), mde_victims=mde_victims,
                         designs=tuple(designs), caveats=caveats)


def _deflate(plan, amount: float, year: str) -> float:
    """Restate ``amount`` from ``year`` prices in the plan's price base (nominal when no deflator covers it)."""
    try:
        return plan.deflate(amount, year.replace("-", "/"))
    except KeyError:
        return float(amount)
