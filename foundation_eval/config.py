"""Programme definition: districts, go-live dates, PPIT items, windows and thresholds.

A programme is described by one TOML file. The shipped ones live in ``foundation_eval/programmes``;
any other path to a TOML file of the same shape works too. Everything programme-specific lives in
that file, never in code.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["District", "PpitItem", "OffenceType", "Service", "ExtraColumn", "Cost", "Programme", "load_programme",
           "list_programmes", "DEFAULT_PROGRAMME", "AGE_CRITERION"]

PROGRAMME_DIR = Path(__file__).parent / "programmes"
# The one place that names the programme used when none is given (CLI, notebooks, ``generate``...).
DEFAULT_PROGRAMME = "hiow"
"""Id of the programme used when none is given (CLI, notebooks, the generator)."""
# Screening column of the age criterion; a programme has it exactly when it sets ``age_min``/``age_max``.
AGE_CRITERION = "crit_age"
"""Screening column of the age criterion; a programme has it exactly when it sets an age band."""
# Tables a programme may extend with its own columns (``[[columns]]`` in the programme file).
EXTENSIBLE_TABLES = ("districts", "people", "screening", "ppit_assessments", "contacts", "referrals", "offences",
                     "rmps", "exits")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(ValueError):
    """A programme file is missing or inconsistent."""


def _month(value: str, where: str) -> pd.Period:
    try:
        return pd.Period(str(value), freq="M")
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {value!r} is not a year-month (YYYY-MM)") from exc


@dataclass(frozen=True)
class District:
    """One district of a programme (``[[districts]]`` in the programme file).

    Attributes
    ----------
    id : str
        Short code, 2-6 capitals (e.g. ``"SOU"``); the ``district_id`` of every table.
    name : str
        Name used in reports.
    relative_size : float
        Relative number of eligible people (used by the synthetic generator).
    go_live : pandas Period
        Month the programme went live in the district (the staggered designs' first treated period).
    pilot : bool
        Whether the district was a pilot site.
    practitioner_from : pandas Period
        Month from which practitioners joined the district's team.

    Examples
    --------
    >>> prog = load_programme("hiow")
    >>> d = prog.districts[0]
    >>> isinstance(d, District), len(d.id) <= 6, d.go_live.freqstr
    (True, True, 'M')
    """
    id: str
    name: str
    relative_size: float
    go_live: pd.Period
    pilot: bool
    practitioner_from: pd.Period


@dataclass(frozen=True)
class PpitItem:
    """One item of the risk tool (``[ppit].items``).

    Attributes
    ----------
    id : str
        Column of ``ppit_assessments`` holding the item's score (e.g. ``"ppit_01"``).
    label : str
        Wording used in reports.
    domain : {"offending", "offender"}
        What the item describes.
    time : {"recent", "historic"}
        Whether the item concerns recent or historic behaviour.

    Examples
    --------
    >>> item = load_programme("hiow").ppit_items[0]
    >>> item.id, item.domain in ("offending", "offender")
    ('ppit_01', True)
    """
    id: str
    label: str
    domain: str  # "offending" or "offender"
    time: str  # "recent" or "historic"


@dataclass(frozen=True)
class OffenceType:
    """One offence type of the programme (``[[offence_types]]``).

    Attributes
    ----------
    id : str
        Value of ``offences.offence_type``.
    label : str
        Wording used in reports.
    da_possible : bool
        Whether an offence of this type can be domestic abuse.
    chi_days : float
        Harm weight in days (a crime harm index: the starting-point sentence in days).
    severity : int
        Ordinal severity used to rank offences.

    Examples
    --------
    >>> types = load_programme("hiow").offence_types
    >>> all(t.chi_days >= 0 for t in types)
    True
    """
    id: str
    label: str
    da_possible: bool
    chi_days: float
    severity: int


@dataclass(frozen=True)
class Service:
    """One service people can be referred to (``[services].list``).

    Attributes
    ----------
    id : str
        Value of ``referrals.service``.
    label : str
        Wording used in reports.
    pathway : str
        Pathway the service belongs to (one of the programme's ``pathways``).

    Examples
    --------
    >>> prog = load_programme("hiow")
    >>> all(s.pathway in prog.pathways for s in prog.services)
    True
    """
    id: str
    label: str
    pathway: str


@dataclass(frozen=True)
class ExtraColumn:
    """A programme-specific column added to one table of the data contract (``[[columns]]``).

    Attributes
    ----------
    table : str
        Contract table the column belongs to.
    name : str
        Column name (snake case).
    type : str
        ``string``, ``integer``, ``number``, ``boolean``, ``date`` or ``yearmonth``.
    description : str
        Text for the data dictionary.
    required : bool
        Whether every row must have a value.
    values : tuple of str, optional
        Allowed values (text columns); ``validate`` rejects any other.
    synthetic_weights : tuple of float, optional
        Same length as ``values``; used only by the synthetic generator to draw them.

    Examples
    --------
    >>> col = load_programme("change-that-lasts").columns_for("referrals")[0]
    >>> col.name, col.table
    ('route', 'referrals')
    """

    table: str
    name: str
    type: str
    description: str
    required: bool = False
    values: tuple[str, ...] | None = None
    synthetic_weights: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Cost:
    """Spending in one period (e.g. a financial year), in the programme's currency.

    Attributes
    ----------
    period : str
        Label of the period (e.g. ``"2021/22"``).
    amount : float
        Amount spent.

    Examples
    --------
    >>> Cost("2021/22", 250000.0).amount
    250000.0
    """

    period: str
    amount: float


@dataclass(frozen=True)
class EvaluationPlan:
    """The pre-specified primary analysis and evaluation settings (``[evaluation]`` of the programme file).

    Written before the data are seen: the verdict of the impact evaluation follows ``primary`` alone;
    every other design is reported as supporting or exploratory.

    Attributes
    ----------
    primary : str
        Registered estimand name of the primary analysis (e.g. ``"did_att_da_rate"``).
    design : str
        Its design key in the Maryland table ([`DESIGN_LEVELS`][foundation_eval.impact.maryland.DESIGN_LEVELS]).
    outcome : str
        The primary outcome in words.
    window : str
        The primary window in words.
    harmful : str
        ``"increase"`` when a rise in the outcome is harmful (offences), ``"decrease"`` otherwise.
    min_comparison_districts : int
        Event-study points resting on fewer comparison districts than this are marked.
    price_base : str
        Financial year every cost and unit cost is restated in (e.g. ``"2024/25"``); empty keeps
        nominal prices.
    deflator : tuple of (str, float)
        GDP deflator index by financial year (HM Treasury series), used to restate costs in ``price_base``.
    cost_placeholder : bool
        True when the programme's costs are placeholders: value-for-money figures that use them are
        not findings.
    neighbours : tuple of (str, tuple of str)
        Districts sharing a border, for the spill-over analysis (``[evaluation.neighbours]``).
    """

    primary: str = "did_att_da_rate"
    design: str = "staggered_did"
    outcome: str = "DA offences per 100 eligible person-months"
    window: str = "from each district's go-live until the last district went live"
    harmful: str = "increase"
    min_comparison_districts: int = 2
    price_base: str = ""
    deflator: tuple[tuple[str, float], ...] = ()
    cost_placeholder: bool = False
    neighbours: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def neighbours_of(self, district: str) -> tuple[str, ...]:
        """Neighbours of ``district`` (both directions of every listed pair)."""
        out = set(dict(self.neighbours).get(district, ()))
        out |= {a for a, bs in self.neighbours if district in bs}
        return tuple(sorted(out - {district}))

    def deflate(self, amount: float, year: str) -> float:
        """``amount`` in ``year`` prices restated in ``price_base`` prices (unchanged without a deflator)."""
        d = dict(self.deflator)
        if not self.price_base or not d:
            return float(amount)
        if year not in d or self.price_base not in d:
            raise KeyError(f"no deflator for {year!r} or the price base {self.price_base!r}; have {sorted(d)}")
        return float(amount) * d[self.price_base] / d[year]


@dataclass(frozen=True)
class Programme:
    """A programme read from its TOML file. Immutable; build a new one to change it.

    Attributes
    ----------
    id, name, force, description : str
        Identity: ``force`` is how reports name the whole area.
    illustrative : bool
        Whether reports are marked as demonstration data.
    study_start, study_end : pandas Period
        First and last month of the study.
    extract_date : pandas Timestamp
        Latest date allowed in an extract.
    lockdown_months : tuple of Period
        COVID-19 lockdown months (some designs can leave them out).
    criteria : tuple of (column, label)
        Eligibility criteria in screening order; each is a true/false column of ``screening``.
    age_min, age_max : int or None
        Age band of eligibility, or None for none.
    disclosure_threshold : int
        Smallest count that may be published.
    windows_months : tuple of int
        Fixed outcome windows (months).
    engagement_window_days : int
        Days after listing within which a first contact counts as engagement.
    ppit_name, ppit_reference, ppit_scale, ppit_scale_labels, ppit_threshold, ppit_items
        The risk tool (empty when the programme has none).
    districts : tuple of District
    offence_types : tuple of OffenceType
    services : tuple of Service
    pathways : tuple of str
    synthetic : dict
        Overrides of the synthetic generator's parameters.
    source : str
        Path of the TOML file read.
    behaviour_change : tuple of str
        Ids of the behaviour-change services.
    columns : tuple of ExtraColumn
        Programme-specific columns.
    costs : tuple of Cost
    currency : str
    partners : tuple of str

    Examples
    --------
    >>> prog = load_programme("hiow")
    >>> prog.id, prog.has_risk_tool, prog.has_age_criterion
    ('hiow', True, True)
    >>> prog.district(prog.districts[0].name).id == prog.districts[0].id
    True
    """

    id: str
    name: str
    force: str
    description: str
    illustrative: bool
    study_start: pd.Period
    study_end: pd.Period
    extract_date: pd.Timestamp
    lockdown_months: tuple[pd.Period, ...]
    criteria: tuple[tuple[str, str], ...]
    age_min: int | None
    age_max: int | None
    disclosure_threshold: int
    disclosure_rounding: int
    windows_months: tuple[int, ...]
    engagement_window_days: int
    ppit_name: str
    ppit_reference: str
    ppit_scale: tuple[int, ...]
    ppit_scale_labels: tuple[str, ...]
    ppit_threshold: int
    ppit_items: tuple[PpitItem, ...]
    districts: tuple[District, ...]
    offence_types: tuple[OffenceType, ...]
    services: tuple[Service, ...]
    pathways: tuple[str, ...]
    synthetic: dict = field(default_factory=dict, hash=False, compare=False)
    source: str = ""
    behaviour_change: tuple[str, ...] = ()
    columns: tuple[ExtraColumn, ...] = ()
    costs: tuple[Cost, ...] = ()
    currency: str = "GBP"
    partners: tuple[str, ...] = ()
    evaluation: EvaluationPlan = field(default_factory=EvaluationPlan, hash=False, compare=False)

    @property
    def has_risk_tool(self) -> bool:
        """True when the programme defines a risk tool (a ``[ppit]`` section with items)."""
        return bool(self.ppit_items)

    @property
    def has_age_criterion(self) -> bool:
        """True when eligibility includes an age band (``age_min``/``age_max`` set)."""
        return self.age_min is not None or self.age_max is not None

    @property
    def total_cost(self) -> float | None:
        """Sum of ``costs`` (None when the programme states no costs)."""
        return float(sum(c.amount for c in self.costs)) if self.costs else None

    def columns_for(self, table: str) -> tuple[ExtraColumn, ...]:
        """The programme's extra columns of one table.

        Parameters
        ----------
        table : str
            Contract table name (e.g. ``"referrals"``).

        Returns
        -------
        tuple of ExtraColumn
        """
        return tuple(c for c in self.columns if c.table == table)

    @property
    def months(self) -> pd.PeriodIndex:
        """Every month of the study, ``study_start`` to ``study_end``."""
        return pd.period_range(self.study_start, self.study_end, freq="M")

    @property
    def district_ids(self) -> tuple[str, ...]:
        """District ids in file order."""
        return tuple(d.id for d in self.districts)

    def district(self, key: str) -> District:
        """Look a district up by id or by name (case-insensitive).

        Parameters
        ----------
        key : str
            District id or name.

        Returns
        -------
        District

        Raises
        ------
        KeyError
            Naming the known ids when no district matches.
        """
        k = str(key).strip().lower()
        for d in self.districts:
            if d.id.lower() == k or d.name.lower() == k:
                return d
        raise KeyError(f"no district {key!r} in programme {self.id!r}; known: {', '.join(self.district_ids)}")

    @property
    def ppit_item_ids(self) -> tuple[str, ...]:
        """Risk-tool item ids in file order."""
        return tuple(i.id for i in self.ppit_items)

    @property
    def ppit_max(self) -> int:
        """Highest possible risk-tool total (0 without a risk tool)."""
        return max(self.ppit_scale) * len(self.ppit_items) if self.ppit_items else 0

    def districts_frame(self) -> pd.DataFrame:
        """The districts as a table, one row per district in file order.

        Returns
        -------
        DataFrame
            Columns ``district_id``, ``district_name``, ``relative_size``, ``go_live``, ``pilot`` and
            ``practitioner_from``.
        """
        return pd.DataFrame(
            {
                "district_id": [d.id for d in self.districts],
                "district_name": [d.name for d in self.districts],
                "relative_size": [d.relative_size for d in self.districts],
                "go_live": [d.go_live for d in self.districts],
                "pilot": [d.pilot for d in self.districts],
                "practitioner_from": [d.practitioner_from for d in self.districts],
            }
        )


def list_programmes() -> list[str]:
    """Ids of the programmes shipped with the package.

    Returns
    -------
    list of str
        Sorted file names (without ``.toml``) of ``foundation_eval/programmes/``.

    Examples
    --------
    >>> "hiow" in list_programmes() and "change-that-lasts" in list_programmes()
    True
    """
    return sorted(p.stem for p in PROGRAMME_DIR.glob("*.toml"))


def load_programme(name_or_path: str | Path = DEFAULT_PROGRAMME) -> Programme:
    """Read a programme by shipped id (see `list_programmes`) or from a TOML file path.

    The file is checked as it is read; an inconsistent one raises ``ConfigError`` naming the key at fault
    (an age band without its criterion column, a service whose pathway does not exist, synthetic weights
    that do not match the values...).

    Parameters
    ----------
    name_or_path : str or Path
        A shipped id (``"hiow"``, ``"change-that-lasts"``) or the path of a ``.toml`` file.

    Returns
    -------
    Programme

    Raises
    ------
    ConfigError
        When the file is missing or inconsistent.

    Examples
    --------
    >>> prog = load_programme("change-that-lasts")
    >>> prog.has_risk_tool, prog.has_age_criterion
    (False, False)
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PROGRAMME_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise ConfigError(f"unknown programme {name_or_path!r}; shipped: {', '.join(list_programmes())}")
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    where = path.name
    try:
        prog, study, elig = raw["programme"], raw["study"], raw["eligibility"]
        # the risk tool is optional: a programme without one leaves out [ppit] (and every risk-tool report)
        ppit = raw.get("ppit", {})
        districts = tuple(
            District(
                id=str(d["id"]),
                name=str(d["name"]),
                relative_size=float(d["relative_size"]),
                go_live=_month(d["go_live"], f"{where} district {d['id']} go_live"),
                pilot=bool(d.get("pilot", False)),
                practitioner_from=_month(d.get("practitioner_from", d["go_live"]), f"{where} district {d['id']}"),
            )
            for d in raw["districts"]
        )
        items = tuple(PpitItem(i["id"], i["label"], i["domain"], i["time"]) for i in ppit.get("items", []))
        columns = tuple(
            ExtraColumn(
                table=str(c["table"]), name=str(c["name"]), type=str(c.get("type", "string")),
                description=str(c.get("description", "")), required=bool(c.get("required", False)),
                values=tuple(str(v) for v in c["values"]) if "values" in c else None,
                synthetic_weights=tuple(float(w) for w in c["synthetic_weights"]) if "synthetic_weights" in c else None,
            )
            for c in raw.get("columns", [])
        )
        costs = tuple(Cost(str(c["period"]), float(c["amount"])) for c in raw.get("costs", {}).get("periods", []))
        offences = tuple(
            OffenceType(o["id"], o["label"], bool(o["da_possible"]), float(o["chi_days"]), int(o["severity"]))
            for o in raw["offence_types"]
        )
        services = tuple(Service(s["id"], s["label"], s["pathway"]) for s in raw["services"]["list"])
        programme = Programme(
            id=str(prog["id"]),
            name=str(prog["name"]),
            force=str(prog.get("force", "")),
            description=str(prog.get("description", "")),
            illustrative=bool(prog.get("illustrative", False)),
            study_start=_month(study["start"], f"{where} study.start"),
            study_end=_month(study["end"], f"{where} study.end"),
            extract_date=pd.Timestamp(study["extract_date"]),
            lockdown_months=tuple(_month(m, f"{where} lockdown_months") for m in study.get("lockdown_months", [])),
            criteria=tuple((c["column"], c["label"]) for c in elig["criteria"]),
            age_min=int(elig["age_min"]) if "age_min" in elig else None,
            age_max=int(elig["age_max"]) if "age_max" in elig else None,
            disclosure_threshold=int(raw.get("disclosure", {}).get("threshold", 10)),
            disclosure_rounding=int(raw.get("disclosure", {}).get("rounding_base", 5)),
            windows_months=tuple(int(w) for w in raw.get("outcomes", {}).get("windows_months", [6, 12, 24])),
            engagement_window_days=int(raw.get("outcomes", {}).get("engagement_window_days", 90)),
            ppit_name=str(ppit["name"]) if ppit else "",
            ppit_reference=str(ppit.get("reference", "")),
            ppit_scale=tuple(int(v) for v in ppit["scale"]) if ppit else (),
            ppit_scale_labels=tuple(ppit.get("scale_labels", [])),
            ppit_threshold=int(ppit["priority_threshold"]) if ppit else 0,
            ppit_items=items,
            districts=districts,
            offence_types=offences,
            services=services,
            pathways=tuple(raw["services"]["pathways"]),
            synthetic=dict(raw.get("synthetic", {})),
            source=str(path),
            behaviour_change=tuple(str(s) for s in raw["services"].get("behaviour_change", [])),
            columns=columns,
            costs=costs,
            currency=str(raw.get("costs", {}).get("currency", "GBP")),
            partners=tuple(str(x) for x in prog.get("partners", [])),
            evaluation=_evaluation_plan(raw.get("evaluation", {})),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing required key {exc}") from exc
    _check(programme, where)
    return programme


def _evaluation_plan(e: dict) -> EvaluationPlan:
    d = EvaluationPlan()
    return EvaluationPlan(
        primary=str(e.get("primary", d.primary)), design=str(e.get("primary_design", d.design)),
        outcome=str(e.get("primary_outcome", d.outcome)), window=str(e.get("primary_window", d.window)),
        harmful=str(e.get("harmful", d.harmful)),
        min_comparison_districts=int(e.get("min_comparison_districts", d.min_comparison_districts)),
        price_base=str(e.get("price_base", "")),
        deflator=tuple((str(k), float(v)) for k, v in e.get("deflator", {}).items()),
        cost_placeholder=bool(e.get("cost_placeholder", False)),
        neighbours=tuple((str(k), tuple(str(x) for x in v)) for k, v in e.get("neighbours", {}).items()),
    )


def _check(p: Programme, where: str) -> None:
    ids = [d.id for d in p.districts]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: district ids are not unique")
    if p.study_end < p.study_start:
        raise ConfigError(f"{where}: study.end is before study.start")
    if len({i.id for i in p.ppit_items}) != len(p.ppit_items):
        raise ConfigError(f"{where}: PPIT items must be unique")
    if p.ppit_name and not p.ppit_items:
        raise ConfigError(f"{where}: [ppit] needs items (leave the section out for a programme without a risk tool)")
    crit = [c for c, _ in p.criteria]
    if not crit or len(set(crit)) != len(crit) or not all(_SNAKE.match(c) for c in crit):
        raise ConfigError(f"{where}: eligibility criteria need unique snake_case column names")
    if (p.age_min is None) != (p.age_max is None):
        raise ConfigError(f"{where}: set both eligibility.age_min and age_max, or neither")
    if p.has_age_criterion != (AGE_CRITERION in crit):
        raise ConfigError(f"{where}: an age band (age_min/age_max) needs the criterion column {AGE_CRITERION!r} "
                          "and that column needs an age band")
    bad = [s for s in p.behaviour_change if s not in {x.id for x in p.services}]
    if bad:
        raise ConfigError(f"{where}: services.behaviour_change names unknown services {bad}")
    seen = set()
    for c in p.columns:
        key = (c.table, c.name)
        if c.table not in EXTENSIBLE_TABLES or not _SNAKE.match(c.name) or key in seen:
            raise ConfigError(f"{where}: column {c.table}.{c.name}: needs a known table and a unique snake_case name")
        seen.add(key)
        if c.type not in {"string", "integer", "number", "boolean", "date", "yearmonth"}:
            raise ConfigError(f"{where}: column {c.table}.{c.name}: unknown type {c.type!r}")
        if c.values is not None and (c.type != "string" or not c.values):
            raise ConfigError(f"{where}: column {c.table}.{c.name}: allowed values need a non-empty list and type string")
        if c.synthetic_weights is not None and (c.values is None or len(c.synthetic_weights) != len(c.values)):
            raise ConfigError(f"{where}: column {c.table}.{c.name}: synthetic_weights need one weight per value")
    for i in p.ppit_items:
        if i.domain not in {"offending", "offender"} or i.time not in {"recent", "historic"}:
            raise ConfigError(f"{where}: PPIT item {i.id} needs domain offending/offender and time recent/historic")
    bad = [s.id for s in p.services if s.pathway not in p.pathways]
    if bad:
        raise ConfigError(f"{where}: services {bad} name a pathway not in services.pathways")
    ev = p.evaluation
    if ev.harmful not in ("increase", "decrease"):
        raise ConfigError(f"{where}: evaluation.harmful must be 'increase' or 'decrease'")
    if ev.min_comparison_districts < 1:
        raise ConfigError(f"{where}: evaluation.min_comparison_districts must be at least 1")
    bad = sorted({d for a, bs in ev.neighbours for d in (a, *bs)} - {d.id for d in p.districts})
    if bad:
        raise ConfigError(f"{where}: evaluation.neighbours names unknown districts {bad}")
    if ev.price_base and ev.deflator and ev.price_base not in dict(ev.deflator):
        raise ConfigError(f"{where}: evaluation.price_base {ev.price_base!r} has no entry in evaluation.deflator")
    if p.disclosure_threshold < 1:
        raise ConfigError(f"{where}: disclosure.threshold must be at least 1")
    if p.disclosure_rounding < 1:
        raise ConfigError(f"{where}: disclosure.rounding_base must be at least 1 (1 publishes exact counts)")
