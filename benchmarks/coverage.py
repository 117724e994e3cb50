"""Coverage of every published interval over synthetic forces, scenario by scenario.

Each replicate generates a synthetic force with its own seed under one named scenario of the generator
(`foundation_eval.data.synth.SCENARIOS`; `realistic` is district effects + district-by-quarter shocks +
dynamic effects + left truncation), writes and validates it like a real extract, fits every design
the evaluation publishes and the person-level headline estimates, and scores each interval against
that replicate's `truth.json`. For the staggered designs it also keeps the standard error and the
candidate degrees of freedom, so the small-sample rule can be chosen afterwards from the same fits:
`cohorts` (go-live waves with a cell in the estimand), `waves` (all waves - 1), `clusters` (districts -
1) and the normal interval. Each design's own checks are recorded (pre-trend tests, placebo,
anticipation check, density test, balance), to measure how often they flag the scenarios that break it.

    python benchmarks/coverage.py --scenarios none,realistic --seeds 250 [--jobs 2] [--dask] [--scale 1.0]
    python benchmarks/coverage.py --summarise benchmarks/coverage_results.csv   # the tables again

Replicates run in a process pool over all cores, or on a Dask distributed cluster with `--dask` (a
`LocalCluster`; `--scheduler ADDRESS` for an existing one). Every row is appended to `--out` as it
arrives, so a long run can be stopped and resumed (`--resume` skips the seeds already there).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _parallel import run_seeds
from scipy import stats

# scenarios in which each design's identifying assumptions hold (coverage is held to 93-97% there); in the
# others the design's checks are scored on how often they flag the problem
HOLDS = {
    "staggered": {"none", "district-effects", "district-shocks", "dynamic-effects", "left-truncation", "realistic"},
    "person": {"none", "district-effects", "district-shocks", "dynamic-effects", "left-truncation", "realistic",
               "trend-violation"},
    "its": {"none", "district-shocks", "dynamic-effects", "left-truncation"},
}
SCENARIO_SETS = ("none", "district-effects", "district-shocks", "dynamic-effects", "left-truncation", "realistic",
                 "anticipation", "detection-bias", "trend-violation")
DF_RULES = ("cohorts", "waves", "clusters", "normal")
FLAGS = ("pretrend_ri", "pretrend_wald", "placebo", "anticipation", "any_check", "balance", "density")
# one fixed column order, so rows appended replicate by replicate line up
COLUMNS = (["scenario", "seed", "name", "group", "kind", "truth_name", "truth", "estimate", "ci_low", "ci_high", "se",
            "scale"] + [f"df_{r}" for r in DF_RULES] + [f"flag_{f}" for f in FLAGS] + ["seconds"])


def _row(name, group, truth_name, truth, est, lo, hi, *, se=np.nan, df=None, kind="design", scale="difference",
         **flags) -> dict:
    out = {"name": name, "group": group, "kind": kind, "truth_name": truth_name, "truth": float(truth),
           "estimate": float(est), "ci_low": float(lo), "ci_high": float(hi), "se": float(se), "scale": scale}
    for rule in DF_RULES:
        out[f"df_{rule}"] = np.nan if df is None else float(df.get(rule, np.nan))
    out.update({f"flag_{k}": v for k, v in flags.items()})
    return out


def _df(res) -> float:
    """Degrees of freedom of a result's Student-t interval (its `df`, or as its interval method states)."""
    import re

    if getattr(res, "df", None) is not None:
        return float(res.df)
    m = re.search(r"Student-t with (\d+) df", getattr(res, "interval_method", "") or "")
    return float(m.group(1)) if m else np.nan


def _ok(x) -> bool:
    return getattr(x, "estimable", True) and not isinstance(x, str) and x is not None


def _pilot_truth(truth: dict, prog, which: str) -> float:
    """Person-month-weighted effect over the live cells of the pilot districts (or every district)."""
    cells = pd.DataFrame(truth.get("cell_effects", []), columns=["district_id", "quarter", "effect", "pm"])
    if which == "pilot":
        cells = cells[cells.district_id.isin([d.id for d in prog.districts if d.pilot])]
    return float(np.average(cells.effect, weights=cells.pm)) if len(cells) and cells.pm.sum() else np.nan


def replicate(seed: int, scenario: str = "none", scale: float = 1.0, n_perm: int = 49,
              only: str = "") -> list[dict]:
    """One synthetic force under one scenario: every scored interval, with flags, truths and timings
    (`only="registry"`: the person-level headline estimates alone)."""
    from foundation_eval.data import synth
    from foundation_eval.data.load import load_dataset
    from foundation_eval.evaluation.study import shared_evaluation

    t0 = time.time()
    names = () if scenario == "none" else scenario
    # ten replicates of the risk tool's Monte Carlo truth, so the truth's own noise does not eat coverage
    result = synth.generate("hiow", seed=seed, scale=scale, scenarios=names, truth_replicates=10)
    truth = result.truth["effects"]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.write(result, d)
        ds = load_dataset(d)
        prog = ds.programme
        if only == "registry":
            _registry_rows(rows, ds, truth)
            ds = None
    if only == "registry":
        for r in rows:
            r.update(seed=seed, scenario=scenario, seconds=time.time() - t0)
        return rows
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.write(result, d)
        ds = load_dataset(d)
        prog = ds.programme
        ev = shared_evaluation(ds, n_perm=n_perm, seed=seed)
        G = len(prog.districts)
        waves = len({x.go_live for x in prog.districts})
        pre_ri = ev.pretrend_ri.p_value if ev.pretrend_ri is not None else np.nan
        pre_wald = ev.pretrend.p_value if ev.pretrend is not None else np.nan
        anti = ev.anticipation
        flags = {"pretrend_ri": bool(pre_ri < 0.05), "pretrend_wald": bool(pre_wald < 0.05),
                 "placebo": bool(_ok(ev.placebo) and (ev.placebo.ci_low > 0 or ev.placebo.ci_high < 0)),
                 "anticipation": bool(_ok(anti) and anti.flagged)}
        # the design's own checks: the documented pre-trend rule (randomisation test), placebo and anticipation;
        # the Wald pre-test is kept apart (its covariance is singular with few districts and it over-rejects)
        flags["any_check"] = bool(flags["pretrend_ri"] or flags["placebo"] or flags["anticipation"])

        def did_row(name, res, truth_name, kind="design"):
            if not _ok(res):
                return
            dfs = {"cohorts": _df(res), "waves": max(waves - 1, 1), "clusters": G - 1, "normal": np.inf}
            rows.append(_row(name, "staggered", truth_name, truth.get(truth_name, np.nan), res.estimate, res.ci_low,
                             res.ci_high, se=res.se, df=dfs, kind=kind, **flags))

        did_row("DiD imputation (primary)", ev.did, "did_att_da_rate")
        did_row("DiD imputation per person-month", ev.did_pm, "did_att_da_rate_pm")
        did_row("DiD Callaway-Sant'Anna simple", ev.did_cs_simple, "did_att_da_rate")
        if _ok(ev.placebo):
            rows.append(_row("Placebo go-live 12 months early", "staggered", "zero", 0.0, ev.placebo.estimate,
                             ev.placebo.ci_low, ev.placebo.ci_high, se=ev.placebo.se,
                             df={"cohorts": _df(ev.placebo), "waves": max(waves - 1, 1), "clusters": G - 1,
                                 "normal": np.inf}, kind="check", **flags))
        if _ok(anti):
            b = anti.before
            rows.append(_row("Anticipation check: period before go-live", "staggered", "zero", 0.0, b.estimate,
                             b.ci_low, b.ci_high, se=b.se, kind="check", **flags))
        if _ok(ev.twfe):
            tw = ev.twfe[0]
            if tw.wild is not None:
                rows.append(_row("Naive two-way fixed effects (wild bootstrap)", "staggered", "did_att_da_rate",
                                 truth["did_att_da_rate"], tw.estimate, tw.wild.ci_low, tw.wild.ci_high, kind="naive",
                                 **flags))
        es = ev.event_study
        if _ok(es) and isinstance(es, pd.DataFrame):
            et = result.truth.get("event_time_effects", {})
            for e in range(0, 4):
                r = es[es.event_time == e]
                if len(r) and str(e) in et:
                    r = r.iloc[0]
                    rows.append(_row(f"Event study, quarter {e} after go-live", "staggered", f"event_time_{e}",
                                     et[str(e)], r.att, r.ci_low, r.ci_high, se=r.se, kind="approximate",
                                     df={"cohorts": max(waves - 1, 1), "waves": max(waves - 1, 1), "clusters": G - 1,
                                         "normal": np.inf}, **flags))
        # person-level designs identified by the staggered timing
        coh = ev.cohort
        if _ok(coh):
            rows.append(_row("Cohorts before vs after go-live", "person", "reoffending_12m_rd_programme",
                             truth["reoffending_12m_rd_programme"], coh.estimate, coh.ci_low, coh.ci_high, se=coh.se,
                             df={"cohorts": _df(coh), "waves": max(waves - 1, 1), "clusters": G - 1, "normal": np.inf},
                             kind="approximate", **flags))
        cox = ev.cox
        if _ok(cox):
            rows.append(_row("Cox, time-varying exposure (reoffending_hr_programme)", "person",
                             "reoffending_hr_programme", truth["reoffending_hr_programme"], cox.estimate, cox.ci_low,
                             cox.ci_high, se=cox.se, scale="ratio",
                             df={"cohorts": max(waves - 1, 1), "waves": max(waves - 1, 1), "clusters": G - 1,
                                 "normal": np.inf}, **flags))
        if _ok(ev.cox_risk_difference):
            rows.append(_row("12-month risk difference implied by the Cox HR", "person",
                             "reoffending_12m_rd_programme", truth["reoffending_12m_rd_programme"], ev.cox_risk_difference.estimate,
                             ev.cox_risk_difference.ci_low, ev.cox_risk_difference.ci_high, **flags))
        m = ev.matched_estimate
        if _ok(m):
            rows.append(_row("Matched comparison (JDL style)", "person", "reoffending_12m_rd_programme",
                             truth["reoffending_12m_rd_programme"], m.estimate, m.ci_low, m.ci_high, se=m.se,
                             kind="approximate", balance=bool(not ev.matched.result.balanced), **flags))
        # interrupted time series: scored against the person-month weighted effect of the same districts' cells
        for name, res, which in (("ITS, pilot districts, level change", ev.its_pilot, "pilot"),
                                 ("ITS, whole force, level change", ev.its_force, "force")):
            if _ok(res):
                e = res[1]
                rows.append(_row(name, "its", f"cells_{which}", _pilot_truth(result.truth, prog, which), e.estimate,
                                 e.ci_low, e.ci_high, se=e.se, kind="approximate", **flags))
        for res, name, truth_name, tv in ((ev.rd_age, "RD at the age limit", "reoffending_12m_rd_programme",
                                           truth["reoffending_12m_rd_programme"]),
                                          (ev.rd_ppit, "RD at the risk-tool threshold (priority flag)", "zero", 0.0)):
            if _ok(res):
                rd, dens, est = res
                rows.append(_row(name, "person", truth_name, tv, est.estimate, est.ci_low, est.ci_high,
                                 kind="approximate" if truth_name != "zero" else "design",
                                 density=bool(dens.p_value < 0.05)))
        for e in ev.naive:
            if e.design_key == "self_selected":
                tn, tv = "zero", 0.0
            elif "pilot" in e.name:
                tn, tv = "cells_pilot", _pilot_truth(result.truth, prog, "pilot")
            else:
                tn, tv = "reoffending_12m_rd_programme", truth["reoffending_12m_rd_programme"]
            rows.append(_row(f"Naive: {e.name}", "person", tn, tv, e.estimate, e.ci_low, e.ci_high, kind="naive"))
        _registry_rows(rows, ds, truth)
    secs = time.time() - t0
    for r in rows:
        r.update(seed=seed, scenario=scenario, seconds=secs)
    return rows


def _registry_rows(rows: list, ds, truth: dict) -> None:
    """The person-level headline estimates of the registry; the two contrasts of proportions also with the
    interval for independent people (Newcombe), to show whether clustering by district matters."""
    import re

    from foundation_eval.evaluation import estimates as person

    frame = person.analysis_frame(ds)
    for fn, tn in ((person.engagement_rd_practitioner, "engagement_rd_practitioner"),
                   (person.referral_start_rd_programme, "referral_start_rd_programme"),
                   (person.ppit_auc_12m, "ppit_auc_12m"), (person.ppit_icc2_total, "ppit_icc2_total"),
                   (person.reoffending_12m_rd_listed_vs_prelive, "reoffending_12m_rd_programme"),
                   (person.reoffending_hr_listed_vs_prelive, "reoffending_hr_programme")):
        try:
            est = fn(ds, frame)
        except (ValueError, KeyError, ZeroDivisionError, np.linalg.LinAlgError):
            continue
        kind = "design" if est.name == tn else "approximate"
        rows.append(_row(est.name, "registry", tn, truth[tn], est.estimate, est.ci_low, est.ci_high, kind=kind,
                         scale="ratio" if "hr" in tn else "difference"))
        m = next((re.search(r"Newcombe interval for independent people: (\S+) to (\S+);", n) for n in est.notes
                  if n.startswith("Newcombe")), None)
        if m:
            rows.append(_row(f"{est.name} (Newcombe, people independent)", "registry", tn, truth[tn], est.estimate,
                             float(m.group(1)), float(m.group(2)), kind=kind))


def interval(rows: pd.DataFrame, rule: str) -> tuple[pd.Series, pd.Series]:
    """The interval of each row under a small-sample rule (from its SE and the rule's degrees of freedom)."""
    crit = pd.Series(stats.norm.ppf(0.975), index=rows.index) if rule == "normal" else pd.Series(
        stats.t.ppf(0.975, rows[f"df_{rule}"].clip(lower=1)), index=rows.index)
    ratio = rows.scale.eq("ratio")
    centre = np.where(ratio, np.log(rows.estimate.clip(lower=1e-12)), rows.estimate)
    lo, hi = centre - crit * rows.se, centre + crit * rows.se
    return (pd.Series(np.where(ratio, np.exp(lo), lo), index=rows.index),
            pd.Series(np.where(ratio, np.exp(hi), hi), index=rows.index))


def summarise(rows: pd.DataFrame, rule: str | None = None) -> pd.DataFrame:
    """Design x scenario: coverage (with its Monte Carlo SE), mean width, bias, rejection of no effect and the
    share of forces the design's checks flag. With `rule`, intervals are rebuilt under that rule where an SE and
    degrees of freedom were kept."""
    rows = rows.copy()
    if rule is not None:
        has = rows.se.notna() & rows[f"df_{rule}"].notna() if rule != "normal" else rows.se.notna()
        lo, hi = interval(rows, rule)
        rows.loc[has, "ci_low"], rows.loc[has, "ci_high"] = lo[has], hi[has]
    null = np.where(rows.scale.eq("ratio"), 1.0, 0.0)
    rows["covered"] = (rows.ci_low <= rows.truth) & (rows.truth <= rows.ci_high)
    rows["rejects"] = (rows.ci_low > null) | (rows.ci_high < null)
    rows["width"] = rows.ci_high - rows.ci_low
    rows["error"] = rows.estimate - rows.truth
    flag = rows.get("flag_any_check", pd.Series(np.nan, index=rows.index)).astype(float)
    for extra in ("flag_density", "flag_balance"):  # the design's own check where it has one
        if extra in rows:
            own = rows[extra].astype(float)
            flag = own.where(own.notna(), flag)
    rows["flagged"] = flag.astype(float)
    g = rows.groupby(["name", "scenario"], sort=False)
    out = pd.DataFrame({
        "kind": g.kind.first(), "n": g.size(), "coverage": 100 * g.covered.mean(),
        "mean_width": g.width.mean(), "bias": g.error.mean(), "rmse": np.sqrt((rows.error ** 2).groupby(
            [rows.name, rows.scenario], sort=False).mean()), "rejects_no_effect": 100 * g.rejects.mean(),
        "flag_rate": 100 * g.flagged.mean()})
    p = out.coverage / 100
    out["mc_se"] = 100 * np.sqrt(p * (1 - p) / out.n)
    return out


def with_registry(rows: pd.DataFrame, registry: pd.DataFrame | None) -> pd.DataFrame:
    """The results with the person-level headline estimates of each scenario the registry pass covers
    replaced by that pass's (scenarios it did not cover keep the main run's)."""
    if registry is None:
        return rows
    covered = rows.scenario.isin(set(registry.scenario)) & (rows.group == "registry")
    return pd.concat([rows[~covered], registry], ignore_index=True)


def markdown(rows: pd.DataFrame, rule: str | None = None, registry: pd.DataFrame | None = None) -> str:
    """The design x scenario table of `summarise` as Markdown: coverage with its Monte Carlo SE, mean width,
    bias, rejection of no effect and flag rate, one row per design and scenario; with `registry`, the
    person-level headline estimates come from that (second, more precise) pass instead."""
    rows = with_registry(rows, registry)
    t = summarise(rows, rule).reset_index()
    order = {s: i for i, s in enumerate(SCENARIO_SETS)}
    t["o"] = t.scenario.map(lambda x: order.get(x, 99))
    t = t.sort_values(["name", "o"], kind="stable")
    lines = ["| design | kind | scenario | forces | coverage (MC SE) | mean width | bias | rejects no effect | "
             "flagged by its checks |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in t.itertuples():
        flag = "" if pd.isna(r.flag_rate) else f"{r.flag_rate:.1f}%"
        lines.append(f"| {r.name} | {r.kind} | {r.scenario} | {r.n} | {r.coverage:.1f}% ({r.mc_se:.1f}) | "
                     f"{r.mean_width:.4f} | {r.bias:+.4f} | {r.rejects_no_effect:.1f}% | {flag} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="none,realistic",
                    help="comma-separated scenario sets, each one name or several joined by '+' (e.g. "
                         "'realistic,trend-violation,district-effects+anticipation'); 'all' for every set")
    ap.add_argument("--seeds", type=int, default=250)
    ap.add_argument("--first-seed", type=int, default=7000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--n-perm", type=int, default=49, help="re-assignments for the randomisation pre-trend test")
    ap.add_argument("--dask", action="store_true", help="run on a Dask distributed cluster")
    ap.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    ap.add_argument("--out", default="benchmarks/coverage_results.csv")
    ap.add_argument("--resume", action="store_true", help="skip (scenario, seed) pairs already in --out")
    ap.add_argument("--summarise", default=None, help="only print the tables of an existing results file")
    ap.add_argument("--registry", default=None, help="with --summarise: a registry-only pass to use for the "
                    "person-level headline estimates")
    ap.add_argument("--markdown", action="store_true", help="with --summarise: print the table as Markdown")
    ap.add_argument("--rule", default=None, choices=DF_RULES, help="rebuild staggered intervals under this rule")
    ap.add_argument("--only", default="", choices=("", "registry"), help="'registry': the person-level headline "
                    "estimates alone (quick; e.g. a second pass at another truth precision)")
    args = ap.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_rows", 500)
    if args.summarise:
        rows = pd.read_csv(args.summarise)
        reg = pd.read_csv(args.registry) if args.registry else None
        if args.markdown:
            print(markdown(rows, args.rule, reg))
        else:
            print(summarise(with_registry(rows, reg), args.rule).round(4).to_string())
        return
    sets = SCENARIO_SETS if args.scenarios == "all" else tuple(args.scenarios.split(","))
    out = Path(args.out)
    done = set()
    if args.resume and out.exists():
        prev = pd.read_csv(out, usecols=["scenario", "seed"])
        done = set(zip(prev.scenario, prev.seed, strict=True))
    t0 = time.time()
    for scenario in sets:
        names = scenario.replace("+", ",")
        seeds = [s for s in range(args.first_seed, args.first_seed + args.seeds) if (names, s) not in done]
        if not seeds:
            continue
        def save(seed, rows):
            pd.DataFrame(rows).reindex(columns=COLUMNS).to_csv(out, mode="a", header=not out.exists(), index=False)

        run_seeds(replicate, seeds, args.jobs, args.dask, args.scheduler, on_result=save, scenario=names,
                  scale=args.scale, n_perm=args.n_perm, only=args.only)
        print(f"{scenario}: {len(seeds)} forces in {time.time() - t0:.0f} s", flush=True)
    rows = pd.read_csv(out)
    print(summarise(rows, args.rule).round(4).to_string())
    print(f"\n{time.time() - t0:.0f} s on {args.jobs} worker(s); rows in {out}")


if __name__ == "__main__":
    main()
