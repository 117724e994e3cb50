r"""Value for money: costs, outcomes averted and social value under every impact design.

:func:`value_analysis` (the one the reports lead with) restates every cost and unit cost in one price
base (the programme file's ``[evaluation] price_base`` and GDP ``deflator``), translates the effect of
each headline design into victims spared, and sets the break-even number of victims spared against
what the primary design can detect. Figures are rounded to what the data support
(:func:`round_money`). Placeholder costs are flagged so that a report never prints them as findings.

:func:`value_for_money` is the earlier single-design calculation (the DiD for offences averted, the
cohort comparison for the social value), kept for its callers.

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
from foundation_eval.frames.panel import district_period_panel

__all__ = ["Costs", "ValueForMoney", "value_for_money", "engaged_within_window", "round_money", "round_count",
           "DesignValue", "ValueAnalysis", "value_analysis", "UNIT_COST_PRICE_YEAR"]

#: Financial year of the Home Office unit cost (year ending March 2017).
UNIT_COST_PRICE_YEAR = "2016/17"


def engaged_within_window(ds: Dataset, listed: pd.DataFrame) -> int:
    """Listed people with an "engaged" contact within ``engagement_window_days`` of first listing.

    The one definition of "engaged" used for costs per person engaged, as on every other page.
    ``listed`` needs ``person_id`` and ``index_date`` (first listing).
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
    """Round an estimated number (offences, victims) to two significant figures, at least whole numbers."""
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
        Multiplier from ``price_year`` to the reporting year (e.g. the HM Treasury GDP deflator
        ratio); 1.0 keeps 2016/17 prices.
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
    """Costs, outputs, outcomes averted and monetised benefits with intervals (see :func:`value_for_money`)."""

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
        return self.cost_total / self.n_engaged if self.n_engaged else float("nan")

    @property
    def cost_per_completed_referral(self) -> float:
        return self.cost_total / self.n_completed_referrals if self.n_completed_referrals else float("nan")

    @property
    def benefit_cost_ratio(self) -> tuple[float, float, float]:
        return tuple(b / self.cost_total for b in self.benefit)

    def table(self) -> pd.DataFrame:
        """One row per quantity: ``item, value, ci_low, ci_high, unit, n`` (``n`` is a count where there is one)."""
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


def value_for_money(ds: Dataset, did, rd, costs: Costs = Costs(),
                    window_months: int = 12) -> ValueForMoney:
    """Value for money from the headline estimates.

    * cost = ``annual_cost_full_force`` x district-years live within the study / number of districts;
    * cost per person engaged (listed people with an engaged contact within the programme's engagement
      window of first listing, the count used everywhere else) and per completed
      referral (referrals completed after listing);
    * DA offences averted = -(DiD effect per eligible person-month) x eligible person-months in live
      districts (the whole live period, so the effect is assumed to hold beyond the estimation window);
    * harm averted = offences averted x the mean Crime Harm Index days of listed people's DA offences
      after listing;
    * people kept from reoffending within the window = -(risk difference) x people listed;
    * social value = people kept from reoffending x unit cost per victim x price uplift.

    Each interval is the effect's interval carried through the same arithmetic.
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
    da = _da_offences(ds).merge(listed[["person_id", "index_date"]], on="person_id")
    after = da[da.offence_date > da.index_date]
    harm_per = float(after.chi_days.mean()) if len(after) else float("nan")
    harm = tuple(x * harm_per for x in off)
    prevented = tuple(x * len(listed) for x in _neg(rd))
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
    sms_level : int or None
    victims_spared : (float, float, float)
        People kept from reoffending (read as victims spared), estimate and interval.
    social_value : (float, float, float)
        Victims spared x unit cost per victim, in ``price_base`` prices.
    benefit_cost_ratio : (float, float, float)
        Social value / programme cost (NaN when there is no cost).
    basis : str
        How the effect was translated.
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
    """Value for money under every headline design, led by the primary (see :func:`value_analysis`).

    Attributes
    ----------
    price_base : str
        Financial year of every sum of money ("" = nominal).
    cost_total : float
        Programme cost over the evaluation period in ``price_base`` prices.
    cost_placeholder : bool
        True when the cost is a placeholder: every cost-based figure is then not a finding.
    cost_source : str
    unit_cost_per_victim : float
        Home Office unit cost restated in ``price_base`` prices.
    n_listed, n_engaged, n_completed_referrals : int
        Counts (engaged: within ``engagement_window_days`` of first listing); pass them to the
        publication layer for disclosure control, never format them into a sentence here.
    engagement_window_days : int
    break_even_victims : float
        Victims spared at which the social value equals the cost.
    mde_victims : float
        Victims spared the primary design could detect with 80% power (its minimum detectable effect).
    designs : tuple of DesignValue
        Primary first.
    caveats : tuple of str
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
        return next((d for d in self.designs if d.role == "primary"), None)

    @property
    def cost_per_engaged(self) -> float:
        return self.cost_total / self.n_engaged if self.n_engaged else float("nan")

    @property
    def cost_per_completed_referral(self) -> float:
        return self.cost_total / self.n_completed_referrals if self.n_completed_referrals else float("nan")

    @property
    def break_even_detectable(self) -> bool:
        """True when the primary design could detect an effect as large as the break-even one."""
        return bool(math.isfinite(self.mde_victims) and self.break_even_victims >= self.mde_victims)

    def table(self) -> pd.DataFrame:
        """One row per design, rounded: ``name, design, role, sms_level, victims_spared, victims_low,
        victims_high, social_value, social_value_low, social_value_high, bcr, bcr_low, bcr_high,
        cost_placeholder, basis``. Benefit-cost ratios are NaN when the cost is a placeholder."""
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
        """Costs and unit costs on one price base, rounded: ``item, value, unit, price_base, placeholder``;
        counts in ``n`` (for disclosure control)."""
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
        """The rows of :meth:`table` and :meth:`costs_table` that may be printed as findings (nothing that rests
        on a placeholder cost)."""
        c = self.costs_table()
        return c[~c.placeholder].reset_index(drop=True)


def _offences_per_reoffender(ds: Dataset, listed: pd.DataFrame, window_months: int) -> float:
    """Mean DA offences within the window among listed people who reoffended in it (offences -> people)."""
    da = _da_offences(ds).merge(listed[["person_id", "index_date"]], on="person_id")
    close = da.index_date + pd.DateOffset(months=int(window_months))
    inwin = da[(da.offence_date > da.index_date) & (da.offence_date <= close)]
    if not len(inwin):
        return float("nan")
    return float(inwin.groupby("person_id").size().mean())


def value_analysis(ds: Dataset, results: dict, *, primary: str, power=None, costs: Costs | None = None,
                   window_months: int = 12) -> ValueAnalysis:
    """Value for money under every headline design, primary first.

    Parameters
    ----------
    ds : Dataset
    results : dict
        Result name to estimate, with ``"kind"`` read from the name: ``did_att_da_rate`` (a rate per
        eligible person-month), a risk difference (``reoffending_12m_rd_programme``, ``cox_implied_rd_*``).
        Entries that are not estimable are skipped.
    primary : str
        Name of the pre-specified primary result.
    power : PowerAnalysis, optional
        Gives the primary design's minimum detectable effect.
    costs : Costs, optional
        Overrides of the programme file's costs.
    window_months : int

    Translation to victims spared (each interval is the effect's interval carried through):

    * rate designs: offences averted = -effect x eligible person-months in live districts; victims
      spared = offences averted / mean DA offences per listed reoffender within the window;
    * risk designs: victims spared = -risk difference x people listed.

    Social value = victims spared x unit cost per victim (restated in the price base with the GDP
    deflator); benefit-cost ratio = social value / cost; break-even victims = cost / unit cost.
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


def _da_offences(ds: Dataset) -> pd.DataFrame:
    off = ds.offences
    return off[off.da_flag.astype(bool)][["person_id", "offence_date", "chi_days"]]
