"""Programme definition: districts, go-live dates, PPIT items, windows and thresholds.

A programme is described by one TOML file. The shipped ones live in ``foundation_eval/programmes``;
any other path to a TOML file of the same shape works too. Everything programme-specific lives in
that file, never in code.

The file is read strictly: its shape (every section and key, and each value's type) is declared once as
pydantic models, so a misspelt key or a value of the wrong type is refused rather than replaced by a
default; the rules between keys (an age band needs its criterion, a service's pathway exists...) are
checked in code after it. Every problem is reported at once, each with the key's path in the file.
"""
from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

__all__ = ["District", "PpitItem", "OffenceType", "Service", "ExtraColumn", "Cost", "EvaluationPlan", "Programme",
           "ConfigError", "load_programme", "list_programmes", "DEFAULT_PROGRAMME", "AGE_CRITERION"]

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
    """A programme file is missing, malformed or inconsistent.

    The message has one line per problem, each naming the file and the key's path in it
    (``hiow.toml: [[districts]][3].go_liv: unknown key (did you mean 'go_live'?)``; array entries count
    from 0).

    Attributes
    ----------
    problems : tuple of str
        Every problem found, each ``"<key path>: <what is wrong>"``.

    Examples
    --------
    >>> err = ConfigError("p.toml", ["[disclosure].threshold: expected an integer, got '10'"])
    >>> str(err)
    "p.toml: [disclosure].threshold: expected an integer, got '10'"
    >>> err.problems
    ("[disclosure].threshold: expected an integer, got '10'",)
    """

    def __init__(self, message: str, problems: typing.Iterable[str] = ()):
        # with problems, ``message`` is the file name that prefixes each of them
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{message}: {p}" for p in self.problems) if self.problems else message)


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
    plausible_effect : float
        The largest relative reduction the programme could plausibly achieve (0.30 for 30%): when the
        primary's minimum detectable effect is larger, the verdict says the evaluation could not have
        detected an effect of that size.
    discount_rate : float
        Annual discount rate of costs and benefits (HM Treasury Green Book social time preference
        rate, 3.5%).
    unit_cost_range : tuple of (float, float)
        Low and high unit costs as multiples of the central one, for the value-for-money range.
    deflator_illustrative : bool
        True when the deflator series is an approximation, not the published one: pages say so.
    plan_date : str
        ISO date on which the analysis plan was fixed (empty when not recorded).
    washout_months : int
        Look-back washout: people first seen eligible within this many months of the first month of
        the data may have been eligible before it, so analyses of *new* eligibility leave them out.

    Examples
    --------
    >>> ev = load_programme("hiow").evaluation
    >>> ev.primary, ev.harmful, ev.price_base
    ('did_att_da_rate', 'increase', '2024/25')
    >>> ev.plausible_effect, ev.discount_rate, ev.unit_cost_range
    (0.3, 0.035, (0.3, 1.5))
    >>> len(ev.plan_sha256()), ev.plan_record()["primary"]
    (64, 'did_att_da_rate')
    """

    primary: str = "did_att_da_rate"
    design: str = "staggered_did"
    outcome: str = "DA offences per 100 eligible person-months"
    window: str = "each district's periods from go-live, in periods with at least two districts not yet live"
    harmful: str = "increase"
    min_comparison_districts: int = 2
    price_base: str = ""
    deflator: tuple[tuple[str, float], ...] = ()
    cost_placeholder: bool = False
    neighbours: tuple[tuple[str, tuple[str, ...]], ...] = ()
    plausible_effect: float = 0.30
    discount_rate: float = 0.035
    unit_cost_range: tuple[float, float] = (0.3, 1.5)
    deflator_illustrative: bool = False
    plan_date: str = ""
    washout_months: int = 12

    def plan_record(self) -> dict:
        """The pre-specified analysis plan: what a render fingerprints and prints.

        Returns
        -------
        dict
            `primary, design, outcome, window, harmful, min_comparison_districts, plausible_effect,
            washout_months, plan_date`: the choices fixed before the data were seen.
        """
        return {"primary": self.primary, "design": self.design, "outcome": self.outcome, "window": self.window,
                "harmful": self.harmful, "min_comparison_districts": self.min_comparison_districts,
                "plausible_effect": self.plausible_effect, "washout_months": self.washout_months,
                "plan_date": self.plan_date}

    def plan_sha256(self) -> str:
        """SHA-256 of the analysis plan (`plan_record` as canonical JSON): any change to it changes the hash.

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        import hashlib
        import json

        return hashlib.sha256(json.dumps(self.plan_record(), sort_keys=True, separators=(",", ":"))
                              .encode("utf-8")).hexdigest()

    def neighbours_of(self, district: str) -> tuple[str, ...]:
        """Neighbours of ``district`` (both directions of every listed pair).

        Parameters
        ----------
        district : str
            District id.

        Returns
        -------
        tuple of str
            Ids of the districts sharing a border with it, sorted.
        """
        out = set(dict(self.neighbours).get(district, ()))
        out |= {a for a, bs in self.neighbours if district in bs}
        return tuple(sorted(out - {district}))

    def deflate(self, amount: float, year: str) -> float:
        """``amount`` in ``year`` prices restated in ``price_base`` prices (unchanged without a deflator).

        Parameters
        ----------
        amount : float
            Amount in the prices of ``year``.
        year : str
            Financial year of ``amount`` (a key of ``deflator``).

        Returns
        -------
        float
            ``amount * deflator[price_base] / deflator[year]``.

        Raises
        ------
        KeyError
            When ``year`` or ``price_base`` has no deflator.
        """
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

    def synthetic_for(self, params: type) -> dict:
        """The ``[synthetic]`` table, checked against the fields of the generator's parameters.

        The generator lives in a layer above this one, so it hands its parameters dataclass in: every key
        of ``[synthetic]`` must be one of its fields, and a value whose field is declared ``float``,
        ``int``, ``str``, ``bool`` or ``dict`` must be of that type.

        Parameters
        ----------
        params : type
            A dataclass (the synthetic generator's ``SynthParams``).

        Returns
        -------
        dict
            A copy of the table.

        Raises
        ------
        ConfigError
            Naming the file and ``[synthetic].<key>`` of every unknown key and wrongly typed value.

        Examples
        --------
        >>> from dataclasses import dataclass, replace
        >>> @dataclass
        ... class Params:
        ...     risk_sd: float = 0.75
        ...     rmp_share: float = 0.85
        >>> prog = replace(load_programme("hiow"), synthetic={"risk_sdd": 0.7, "rmp_share": "none"})
        >>> prog.synthetic_for(Params)
        Traceback (most recent call last):
        ...
        foundation_eval.config.ConfigError: hiow.toml: [synthetic].risk_sdd: unknown key (did you mean 'risk_sd'?)
        hiow.toml: [synthetic].rmp_share: expected a number, got 'none'
        >>> replace(prog, synthetic={"risk_sd": 1}).synthetic_for(Params)
        {'risk_sd': 1}
        """
        hints = typing.get_type_hints(params)
        names = [f.name for f in dataclasses.fields(params)]
        problems = []
        for key, value in self.synthetic.items():
            if key not in names:
                problems.append(f"[synthetic].{_bare(key)}: {_unknown(key, names)}")
            elif hints[key] in _SIMPLE and not _is(value, hints[key]):
                problems.append(f"[synthetic].{key}: expected {_SIMPLE[hints[key]]}, got {_show(value)}")
        if problems:
            raise ConfigError(Path(self.source).name, problems)
        return dict(self.synthetic)

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

    The file is read strictly. Its shape first: an unknown key anywhere (a section, a key of a section,
    of a ``[[districts]]`` entry or of a nested table such as ``[evaluation.neighbours]``), a missing
    required key and a value of the wrong type (``threshold = "10"``) are refused, never replaced by a
    default. Then the rules between keys: an age band needs its criterion column, a service's pathway and
    the ``[synthetic.criteria]`` columns must exist, synthetic weights must match the values... Every
    problem is reported at once in one ``ConfigError``, each line naming the file and the key's path.
    The keys of ``[synthetic]`` itself are checked against the generator's parameters when the
    generator reads them ([`Programme.synthetic_for`][foundation_eval.config.Programme.synthetic_for]).

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
        When the file is missing, is not TOML, or breaks any rule.

    Examples
    --------
    >>> prog = load_programme("change-that-lasts")
    >>> prog.has_risk_tool, prog.has_age_criterion
    (False, False)
    >>> import pathlib, tempfile
    >>> text = (PROGRAMME_DIR / "hiow.toml").read_text()
    >>> text = text.replace("threshold = 10", 'treshold = 10').replace("rounding_base = 5", 'rounding_base = "5"')
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp, "typo.toml")
    ...     _ = path.write_text(text)
    ...     load_programme(path)
    Traceback (most recent call last):
    ...
    foundation_eval.config.ConfigError: typo.toml: [disclosure].rounding_base: expected an integer, got '5'
    typo.toml: [disclosure].treshold: unknown key (did you mean 'threshold'?)
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = PROGRAMME_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise ConfigError(f"unknown programme {name_or_path!r}; shipped: {', '.join(list_programmes())}")
    # every report of a render reads the programme again: a file unchanged since it was read is read once
    # (a national programme of 300 districts takes about 23 ms to check)
    seen = path.stat()
    return _read_programme(path.resolve(), seen.st_mtime_ns, seen.st_size)


@functools.lru_cache(maxsize=16)
def _read_programme(path: Path, mtime_ns: int, size: int) -> Programme:
    """`load_programme` of a file as it is (modification time and size), read and checked once."""
    where = path.name
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(where, [f"not a valid TOML file ({exc})"]) from exc
    try:
        f = _File.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        # a misspelt required key is reported once, as unknown (with its suggestion), not also as missing
        guessed = {(*e["loc"][:-1], _guess(e["loc"][-1], _fields_at(e["loc"][:-1])))
                   for e in errors if e["type"] == "extra_forbidden"}
        raise ConfigError(where, [_problem(e, raw) for e in errors
                                  if not (e["type"] == "missing" and tuple(e["loc"]) in guessed)]) from None
    problems = _rules(f)
    if problems:
        raise ConfigError(where, problems)
    ppit, ev = f.ppit, f.evaluation
    return Programme(
        id=f.programme.id, name=f.programme.name, force=f.programme.force,
        description=f.programme.description, illustrative=f.programme.illustrative,
        study_start=f.study.start, study_end=f.study.end, extract_date=f.study.extract_date,
        lockdown_months=tuple(f.study.lockdown_months),
        criteria=tuple((c.column, c.label) for c in f.eligibility.criteria),
        age_min=f.eligibility.age_min, age_max=f.eligibility.age_max,
        disclosure_threshold=f.disclosure.threshold, disclosure_rounding=f.disclosure.rounding_base,
        windows_months=tuple(f.outcomes.windows_months),
        engagement_window_days=f.outcomes.engagement_window_days,
        ppit_name=ppit.name if ppit else "", ppit_reference=ppit.reference if ppit else "",
        ppit_scale=tuple(ppit.scale) if ppit else (), ppit_scale_labels=tuple(ppit.scale_labels) if ppit else (),
        ppit_threshold=ppit.priority_threshold if ppit else 0,
        ppit_items=tuple(PpitItem(i.id, i.label, i.domain, i.time) for i in ppit.items) if ppit else (),
        districts=tuple(
            District(d.id, d.name, d.relative_size, d.go_live, d.pilot, d.practitioner_from or d.go_live)
            for d in f.districts
        ),
        offence_types=tuple(OffenceType(o.id, o.label, o.da_possible, o.chi_days, o.severity)
                            for o in f.offence_types),
        services=tuple(Service(s.id, s.label, s.pathway) for s in f.services.list_),
        pathways=tuple(f.services.pathways),
        synthetic=dict(raw.get("synthetic", {})),
        source=str(path),
        behaviour_change=tuple(f.services.behaviour_change),
        columns=tuple(
            ExtraColumn(c.table, c.name, c.type, c.description, c.required,
                        tuple(c.values) if c.values is not None else None,
                        tuple(c.synthetic_weights) if c.synthetic_weights is not None else None)
            for c in f.columns
        ),
        costs=tuple(Cost(c.period, c.amount) for c in f.costs.periods),
        currency=f.costs.currency,
        partners=tuple(f.programme.partners),
        evaluation=EvaluationPlan(
            primary=ev.primary, design=ev.primary_design, outcome=ev.primary_outcome, window=ev.primary_window,
            harmful=ev.harmful, min_comparison_districts=ev.min_comparison_districts, price_base=ev.price_base,
            deflator=tuple(ev.deflator.items()), cost_placeholder=ev.cost_placeholder,
            neighbours=tuple((k, tuple(v)) for k, v in ev.neighbours.items()),
            plausible_effect=ev.plausible_effect, discount_rate=ev.discount_rate,
            unit_cost_range=tuple(ev.unit_cost_range), deflator_illustrative=ev.deflator_illustrative,
            plan_date=ev.plan_date, washout_months=ev.washout_months,
        ),
    )


# ------------------------------------------------------------------------------ the file's shape
def _month(value: str) -> pd.Period:
    try:
        return pd.Period(value, freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a year-month (YYYY-MM)") from exc


def _date(value: Any) -> pd.Timestamp:
    if not isinstance(value, str | datetime.date):
        raise ValueError(f"expected a date (YYYY-MM-DD), got {_show(value)}")
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _iso_date_or_blank(value: str) -> str:
    if value:
        try:
            datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from exc
    return value


_YearMonth = Annotated[str, AfterValidator(_month)]
_AtLeastOne = Annotated[int, Field(ge=1)]
_Probability = Annotated[float, Field(ge=0, le=1)]


class _Table(BaseModel):
    # strict: no key the model does not declare, and no conversion ("10" is not an integer)
    model_config = ConfigDict(extra="forbid", strict=True)


class _ProgrammeSection(_Table):
    id: str
    name: str
    force: str = ""
    partners: list[str] = []
    description: str = ""
    illustrative: bool = False


class _Study(_Table):
    start: _YearMonth
    end: _YearMonth
    extract_date: Annotated[Any, AfterValidator(_date)]
    lockdown_months: list[_YearMonth] = []


class _Criterion(_Table):
    column: str
    label: str


class _Eligibility(_Table):
    criteria: list[_Criterion]
    age_min: int | None = None
    age_max: int | None = None


class _Evaluation(_Table):
    primary: str = EvaluationPlan.primary
    primary_design: str = EvaluationPlan.design
    primary_outcome: str = EvaluationPlan.outcome
    primary_window: str = EvaluationPlan.window
    harmful: Literal["increase", "decrease"] = "increase"
    min_comparison_districts: _AtLeastOne = EvaluationPlan.min_comparison_districts
    cost_placeholder: bool = False
    price_base: str = ""
    deflator: dict[str, float] = {}
    neighbours: dict[str, list[str]] = {}
    plausible_effect: Annotated[float, Field(gt=0, le=1)] = EvaluationPlan.plausible_effect
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = EvaluationPlan.discount_rate
    unit_cost_range: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=2, max_length=2)] = [0.3, 1.5]
    deflator_illustrative: bool = False
    plan_date: Annotated[str, AfterValidator(_iso_date_or_blank)] = ""
    washout_months: Annotated[int, Field(ge=0)] = EvaluationPlan.washout_months


class _Disclosure(_Table):
    threshold: _AtLeastOne = 10
    rounding_base: _AtLeastOne = 5  # 1 publishes exact counts


class _Outcomes(_Table):
    windows_months: list[int] = [6, 12, 24]
    engagement_window_days: int = 90


class _Item(_Table):
    id: str
    label: str
    domain: Literal["offending", "offender"]
    time: Literal["recent", "historic"]


class _Ppit(_Table):
    name: str
    reference: str = ""
    scale: list[int]
    scale_labels: list[str] = []
    priority_threshold: int
    items: list[_Item]


class _District(_Table):
    id: str
    name: str
    relative_size: float
    go_live: _YearMonth
    pilot: bool = False
    practitioner_from: _YearMonth | None = None  # the go-live month when left out


class _OffenceType(_Table):
    id: str
    label: str
    da_possible: bool
    chi_days: float
    severity: int


class _Service(_Table):
    id: str
    label: str
    pathway: str


class _Services(_Table):
    pathways: list[str]
    list_: list[_Service] = Field(alias="list")
    behaviour_change: list[str] = []


class _Column(_Table):
    table: Literal[EXTENSIBLE_TABLES]
    name: str
    type: Literal["string", "integer", "number", "boolean", "date", "yearmonth"] = "string"
    description: str = ""
    required: bool = False
    values: list[str] | None = None
    synthetic_weights: list[float] | None = None


class _Period(_Table):
    period: str
    amount: float


class _Costs(_Table):
    currency: str = "GBP"
    periods: list[_Period] = []


class _Synthetic(_Table):
    # every other key is a parameter of the generator, checked where it reads them (Programme.synthetic_for)
    model_config = ConfigDict(extra="allow")
    criteria: dict[str, _Probability] = {}
    trigger_criterion: str = ""


class _File(_Table):
    programme: _ProgrammeSection
    study: _Study
    eligibility: _Eligibility
    evaluation: _Evaluation = _Evaluation()
    disclosure: _Disclosure = _Disclosure()
    outcomes: _Outcomes = _Outcomes()
    ppit: _Ppit | None = None  # optional: a programme without a risk tool leaves it out
    districts: list[_District]
    offence_types: list[_OffenceType]
    services: _Services
    columns: list[_Column] = []
    costs: _Costs = _Costs()
    synthetic: _Synthetic = _Synthetic()


# ------------------------------------------------------------------------------ problems, with paths
_EXPECTED = {"int_type": "an integer", "float_type": "a number", "string_type": "a string",
             "bool_type": "true or false", "list_type": "an array", "dict_type": "a table",
             "model_type": "a table", "model_attributes_type": "a table"}
_SIMPLE = {float: "a number", int: "an integer", str: "a string", bool: "true or false", dict: "a table"}


def _is(value: Any, kind: type) -> bool:
    number = isinstance(value, bool) and kind in (int, float)  # TOML's true is no number
    return not number and isinstance(value, (int, float) if kind is float else kind)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def _guess(key: Any, known: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown(key: Any, known: typing.Iterable[str], what: str = "key") -> str:
    guess = _guess(key, known)
    return f"unknown {what}" + (f" (did you mean {guess!r}?)" if guess else "")


def _path(loc: tuple, raw: dict) -> str:
    """``loc`` (keys and indices from the top of the file) written as in the file: ``[[districts]][3].go_live``,
    ``[disclosure].threshold``, ``[synthetic.criteria].crit_x``, ``[services].list[0].pathway``."""
    key, rest = loc[0], list(loc[1:])
    node = raw.get(key)
    if isinstance(node, list) and rest and isinstance(rest[0], int):
        out = f"[[{key}]][{rest[0]}]"
        node = node[rest[0]] if rest[0] < len(node) else None
        rest = rest[1:]
    elif node is None and not rest and typing.get_origin(_File.model_fields[key].annotation) is list:
        out = f"[[{key}]]"  # a missing array of tables
    elif isinstance(node, dict) or (node is None and not rest):
        header = [key]
        while len(rest) > 1 and isinstance(rest[0], str) and isinstance(node, dict) and isinstance(
                node.get(rest[0]), dict):
            node = node[rest[0]]
            header.append(rest.pop(0))
        out = "[" + ".".join(map(_bare, header)) + "]"
    else:
        out = _bare(key)
    for part in rest:
        out += f"[{part}]" if isinstance(part, int) else f".{_bare(part)}"
    return out


def _bare(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f'"{key}"'


def _fields_at(loc: tuple) -> list[str]:
    """Keys the file's shape declares at ``loc`` (for "did you mean")."""
    kind: Any = _File
    for part in loc:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            by_key = {f.alias or n: f.annotation for n, f in kind.model_fields.items()}
            kind = by_key.get(part)
        else:
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = args[-1] if args else None  # list[X] -> X, dict[str, X] -> X
        if typing.get_origin(kind) in (typing.Union, types.UnionType):  # X | None -> X
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [f.alias or n for n, f in kind.model_fields.items()]
    return []


def _problem(error: dict, raw: dict) -> str:
    """One pydantic error as ``<path>: <what is wrong>``."""
    loc, kind, value = tuple(error["loc"]), error["type"], error.get("input")
    if kind == "extra_forbidden":
        what = _unknown(loc[-1], _fields_at(loc[:-1]))
    elif kind == "missing":
        what = "missing required key"
    elif kind in _EXPECTED:
        what = f"expected {_EXPECTED[kind]}, got {_show(value)}"
    elif kind == "literal_error":
        what = f"expected {error['ctx']['expected']}, got {_show(value)}"
    elif kind == "value_error":
        what = str(error["ctx"]["error"])
    elif kind in ("greater_than_equal", "less_than_equal"):
        bound = error["ctx"].get("ge", error["ctx"].get("le"))
        what = f"must be at {'least' if kind == 'greater_than_equal' else 'most'} {bound}, got {_show(value)}"
    else:
        what = f"{error['msg'][0].lower()}{error['msg'][1:]}, got {_show(value)}"
    return f"{_path(loc, raw)}: {what}"


# ------------------------------------------------------------------------------ rules between keys
def _rules(f: _File) -> list[str]:
    """Every rule that relates keys to each other, as ``<path>: <what is wrong>`` (empty when all hold)."""
    out = []

    def repeats(path: str, values: list) -> None:
        for i, v in enumerate(values):
            if v in values[:i]:
                out.append(f"{path.format(i=i)}: {v!r} repeats entry {values.index(v)}")

    repeats("[[districts]][{i}].id", [d.id for d in f.districts])
    if f.study.end < f.study.start:
        out.append("[study].end: before [study].start")
    crit = [c.column for c in f.eligibility.criteria]
    if not crit:
        out.append("[eligibility].criteria: needs at least one criterion")
    repeats("[eligibility].criteria[{i}].column", crit)
    out += [f"[eligibility].criteria[{i}].column: {c!r} is not a snake_case column name"
            for i, c in enumerate(crit) if not _SNAKE.match(c)]
    el = f.eligibility
    if (el.age_min is None) != (el.age_max is None):
        out.append("[eligibility]: set both age_min and age_max, or neither")
    elif (el.age_min is not None) != (AGE_CRITERION in crit):
        out.append(f"[eligibility]: an age band (age_min/age_max) needs the criterion column {AGE_CRITERION!r} "
                   "and that column needs an age band")
    if f.ppit is not None:
        if not f.ppit.items:
            out.append("[ppit].items: needs items (leave [ppit] out for a programme without a risk tool)")
        repeats("[ppit].items[{i}].id", [i.id for i in f.ppit.items])
    services = [s.id for s in f.services.list_]
    out += [f"[services].behaviour_change[{i}]: {s!r} is not a service of [services].list"
            for i, s in enumerate(f.services.behaviour_change) if s not in services]
    out += [f"[services].list[{i}].pathway: {s.pathway!r} is not in [services].pathways"
            for i, s in enumerate(f.services.list_) if s.pathway not in f.services.pathways]
    repeats("[[columns]][{i}]", [(c.table, c.name) for c in f.columns])
    for i, c in enumerate(f.columns):
        if not _SNAKE.match(c.name):
            out.append(f"[[columns]][{i}].name: {c.name!r} is not a snake_case column name")
        if c.values is not None and (c.type != "string" or not c.values):
            out.append(f"[[columns]][{i}].values: allowed values need a non-empty list and type string")
        if c.synthetic_weights is not None and (c.values is None or len(c.synthetic_weights) != len(c.values)):
            out.append(f"[[columns]][{i}].synthetic_weights: needs one weight per value")
    ev, districts = f.evaluation, [d.id for d in f.districts]
    for a, bs in ev.neighbours.items():
        if a not in districts:
            out.append(f"[evaluation.neighbours].{_bare(a)}: {_unknown(a, districts, 'district id')}")
        out += [f"[evaluation.neighbours].{_bare(a)}[{i}]: {b!r} is not a district id"
                for i, b in enumerate(bs) if b not in districts]
    if ev.price_base and ev.deflator and ev.price_base not in ev.deflator:
        out.append(f"[evaluation].price_base: {ev.price_base!r} has no entry in [evaluation].deflator")
    drawn = [c for c in crit if c != AGE_CRITERION]  # the age criterion follows birth dates, it is not drawn
    for c in f.synthetic.criteria:
        if c == AGE_CRITERION:
            out.append(f"[synthetic.criteria].{c}: the age criterion follows birth dates; leave it out")
        elif c not in drawn:
            out.append(f"[synthetic.criteria].{_bare(c)}: {_unknown(c, drawn, 'criterion column')}")
    trigger = f.synthetic.trigger_criterion
    if trigger and trigger not in drawn:
        out.append(f"[synthetic].trigger_criterion: {trigger!r} is not a column of [eligibility].criteria "
                   f"other than {AGE_CRITERION!r}")
    return out
