"""The pilot-versus-rollout evaluation: headline estimates, their designs, the verdict and the snapshot.

The top layer of the statistics, above `frames`, `models`, `ppit` and `impact`, below `reporting`:

- `registry`: each headline estimand in the `truth.json` vocabulary and the one design that answers
  it; alternatives under their own names.
- `estimates`: the person-level headline estimates (engagement, referral, reoffending against a
  historical comparison, the risk tool's AUC and ICC), each an `Estimate`.
- `designs`: the staggered-adoption designs (`Evaluation`), sensitivity analyses and power.
- `verdict`: the finding of the pre-specified primary analysis and the "you can say / you cannot
  say" statements.
- `value`: value for money under every design.
- `threats`: threats to validity (lockdowns, spill-overs, multiplicity, regression to the mean).
- `quality`: the data-quality study of the extract (completeness, records per month, consistency
  checks, double scoring), fitted once in the snapshot.
- `snapshot`: what a render fits once and every report notebook opens
  (`open_snapshot(snapshot_dir, programme)`).

Import from the modules themselves; this package re-exports nothing.
"""
