"""Programme definition: districts, go-live dates, PPIT items, windows and thresholds.

A programme is described by one TOML file. The shipped ones live in ``foundation_eval/programmes``;
any other path to a TOML file of the same shape works too. Everything programme-specific lives in
that file, never in code.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["District", "PpitItem", "OffenceType", "Service", "Programme", "load_programme", "list_programmes"]

PROGRAMME_DIR = Path(__file__).parent / "programmes"
DEFAULT_PROGRAMME = "hiow"


class ConfigError(ValueError):
    """A programme file is missing or inconsistent."""


def _month(value: str, where: str) -> pd.Period:
    try:
        return pd.Period(str(value), freq="M")
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {value!r} is not a year-month (YYYY-MM)") from exc


@dataclass(frozen=True)
class District:
    id: str
    name: str
    relative_size: float
    go_live: pd.Period
    pilot: bool
    practitioner_from: pd.Period


@dataclass(frozen=True)
class PpitItem:
    id: str
    label: str
    domain: str  # "offending" or "offender"
    time: str  # "recent" or "historic"


@dataclass(frozen=True)
class OffenceType:
    id: str
    label: str
    da_possible: bool
    chi_days: float
    severity: int


@dataclass(frozen=True)
class Service:
    id: str
    label: str
    pathway: str


@dataclass(frozen=True)
class Programme:
    """A programme read from its TOML file. Immutable; build a new one to change it."""

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
    age_min: int
    age_max: int
    disclosure_threshold: int
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

    @property
    def months(self) -> pd.PeriodIndex:
        return pd.period_range(self.study_start, self.study_end, freq="M")

    @property
    def district_ids(self) -> tuple[str, ...]:
        return tuple(d.id for d in self.districts)

    def district(self, key: str) -> District:
        """Look a district up by id or by name (case-insensitive)."""
        k = str(key).strip().lower()
        for d in self.districts:
            if d.id.lower() == k or d.name.lower() == k:
                return d
        raise KeyError(f"no district {key!r} in programme {self.id!r}; known: {', '.join(self.district_ids)}")

    @property
    def ppit_item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.ppit_items)

    @property
    def ppit_max(self) -> int:
        return max(self.ppit_scale) * len(self.ppit_items)

    def districts_frame(self) -> pd.DataFrame:
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
    """Ids of the programmes shipped with the package."""
    return sorted(p.stem for p in PROGRAMME_DIR.glob("*.toml"))


def load_programme(name_or_path: str | Path = DEFAULT_PROGRAMME) -> Programme:
    """Read a programme by shipped id (e.g. ``"hiow"``) or from a TOML file path."""
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
        ppit = raw["ppit"]
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
        items = tuple(PpitItem(i["id"], i["label"], i["domain"], i["time"]) for i in ppit["items"])
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
            age_min=int(elig["age_min"]),
            age_max=int(elig["age_max"]),
            disclosure_threshold=int(raw.get("disclosure", {}).get("threshold", 10)),
            windows_months=tuple(int(w) for w in raw.get("outcomes", {}).get("windows_months", [6, 12, 24])),
            engagement_window_days=int(raw.get("outcomes", {}).get("engagement_window_days", 90)),
            ppit_name=str(ppit["name"]),
            ppit_reference=str(ppit.get("reference", "")),
            ppit_scale=tuple(int(v) for v in ppit["scale"]),
            ppit_scale_labels=tuple(ppit.get("scale_labels", [])),
            ppit_threshold=int(ppit["priority_threshold"]),
            ppit_items=items,
            districts=districts,
            offence_types=offences,
            services=services,
            pathways=tuple(raw["services"]["pathways"]),
            synthetic=dict(raw.get("synthetic", {})),
            source=str(path),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing required key {exc}") from exc
    _check(programme, where)
    return programme


def _check(p: Programme, where: str) -> None:
    ids = [d.id for d in p.districts]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{where}: district ids are not unique")
    if p.study_end < p.study_start:
        raise ConfigError(f"{where}: study.end is before study.start")
    if len(p.ppit_items) == 0 or len({i.id for i in p.ppit_items}) != len(p.ppit_items):
        raise ConfigError(f"{where}: PPIT items must be present and unique")
    for i in p.ppit_items:
        if i.domain not in {"offending", "offender"} or i.time not in {"recent", "historic"}:
            raise ConfigError(f"{where}: PPIT item {i.id} needs domain offending/offender and time recent/historic")
    bad = [s.id for s in p.services if s.pathway not in p.pathways]
    if bad:
        raise ConfigError(f"{where}: services {bad} name a pathway not in services.pathways")
    if p.disclosure_threshold < 1:
        raise ConfigError(f"{where}: disclosure.threshold must be at least 1")
