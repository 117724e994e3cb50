r"""Propensity-score matching for the average effect on the treated (ATT), with balance and overlap checks.

A general estimator with no programme knowledge: given a frame, a 0/1 treatment column, covariate
columns and outcome columns it

1. estimates each row's propensity score $e(x) = P(T = 1 \mid x)$ by logistic regression
   (statsmodels), or takes scores supplied by the caller;
2. matches every treated row to its $k$ nearest control rows on the logit of the score, *with
   replacement* (a control may serve several treated people), within a caliper of 0.2 standard
   deviations of the logit (Austin 2011, *Pharm Stat* 10:150-161: the pooled SD
   $\sqrt{(s_1^2 + s_0^2)/2}$ of the two groups' logits); treated rows with no control inside the
   caliper are dropped and counted (*off support*). Controls at the same distance as the $k$-th
   nearest are all kept with equal shares (Abadie & Imbens 2006, the ``ties=TRUE`` rule of R
   ``Matching``);
3. reports balance before and after matching: for each covariate (categories expanded to one 0/1
   column per level) the standardised mean difference (Austin 2009, *Stat Med* 28:3083-3107)

   $$d = \frac{\bar x_1 - \bar x_0^{w}}{\sqrt{(s_1^2 + s_0^2)/2}},$$

   with $\bar x_0^{w}$ the matching-weighted control mean after matching, and the denominator always
   computed in the *unmatched* groups so that before and after are on one scale ($s^2 = \hat p(1 -
   \hat p)$ for a 0/1 covariate); ``sd="treated"`` uses $s_1$ alone, as R ``MatchIt`` does for the ATT.
   The variance ratio $s_1^2 / s_0^2$ (weighted after matching) is given for covariates that are not
   0/1. Balance is *achieved* when every $|d| < 0.1$ after matching;
4. checks overlap: the propensity-score distribution in each group, treated rows whose score lies
   outside the controls' range, and treated rows dropped by the caliper;
5. estimates the ATT on each outcome,
   $\hat\tau = N_1^{-1}\sum_{i} \bigl(Y_i - \sum_{j \in J(i)} Y_j / \#J(i)\bigr)$ over matched treated
   rows, with the variance of Abadie & Imbens (2006, *Econometrica* 74:235-267, Theorem 7), which
   allows for controls being reused:

   $$\hat V = \frac{1}{N_1^2}\Bigl[\sum_{i:T_i=1}(\hat\tau_i - \hat\tau)^2
   + \sum_{j:T_j=0}\hat\sigma^2_j\,(K_j^2 - KK_j)\Bigr],$$

   where $K_j = \sum_i w_{ij}$ is the number of times control $j$ is used (weighted by its share of
   each matched set), $KK_j = \sum_i w_{ij}^2$, and $\hat\sigma^2_j$ the conditional variance of the
   outcome, estimated from $j$ and its ``sigma_neighbours`` nearest fellow controls (Abadie & Imbens'
   matching estimator of the conditional variance; 0 assumes it constant, R ``Matching``'s default).
   The interval is $\hat\tau \pm z_{1-\alpha/2}\sqrt{\hat V}$. It treats the propensity score as known:
   Abadie & Imbens (2016, *Econometrica* 84:781-807) show that for the ATT estimating it can move the
   variance either way; the recovery tests measure the coverage this gives.

`odds_weighting` is the weighting alternative on the same footing: every treated row weighs 1 and every
control $e/(1-e)$, with the balance table, the overlap check and an M-estimation sandwich variance that
allows for the estimated propensity score.

This is the design of the Ministry of Justice's Justice Data Lab (Ministry of Justice, *Justice Data
Lab: methodology paper*, 2013, updated 2016 and 2018): a propensity-score model of who received the
intervention, nearest-neighbour matching with replacement of each participant to similar people who did
not, a check that standardised differences are small after matching, and the one-year reoffending rate
and frequency compared between the participants and their weighted matched comparison group. Only
measured differences are balanced: if who was treated depends on something unmeasured that also drives
the outcome, the estimate is biased whatever the balance table shows.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["MatchResult", "MatchedPairs", "propensity_match", "WeightingResult", "odds_weighting", "standardised_differences"]

_SCALES = ("logit", "ps")
_EPS = 1e-12
_CERTAIN = 15.0  # |logit| beyond which the model predicts treatment with certainty (p within 3e-7 of 0 or 1)


# ---------------------------------------------------------------------------------------------- helpers
def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level!r}")
    return float(_st.norm.ppf(0.5 + level / 2))


def _is_binary(x: np.ndarray) -> bool:
    v = x[~np.isnan(x)]
    return bool(v.size) and bool(np.isin(v, (0.0, 1.0)).all())


class _Columns:
    """Expanded covariates whose columns are made one at a time when read (`_expand` with ``lazy``): the
    balance table reads the covariates it only shows column by column, and a district per column at
    national scale would be 300 columns of 175,000 rows held at once."""

    def __init__(self, n: int, names: list[str], fills: list):
        self.columns, self._fills, self.shape = names, fills, (n, len(names))

    def items(self):
        for name, (x, level) in zip(self.columns, self._fills, strict=True):
            yield name, _filled(x, level)


def _filled(x, level) -> np.ndarray:
    """One expanded column: a number or boolean as float, or 0/1 for one level of category codes."""
    return x.astype(float).to_numpy() if level is None else (x == level).astype(float)


def _expand(frame: pd.DataFrame, covariates, lazy: bool = False) -> tuple[pd.DataFrame | _Columns, list[str]]:
    """Covariates as numeric columns: numbers as they are, booleans as 0/1, categories as one 0/1 column
    per level (``name=level``). Also returns the columns that are the first level of a category (left out
    of the propensity model as its reference). With ``lazy``, the columns are made when read (`_Columns`)."""
    names, fills, reference = [], [], []
    for c in covariates:
        s = frame[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            names.append(c)
            fills.append((s, None))
        else:
            levels = sorted(pd.unique(s.dropna()), key=str)
            codes = pd.Categorical(s, categories=levels).codes  # -1 where missing, as `s == level` is False
            for j, lev in enumerate(levels):
                names.append(f"{c}={lev}")
                fills.append((codes, j))
                if j == 0:
                    reference.append(f"{c}={lev}")
    if lazy:
        return _Columns(len(frame), names, fills), reference
    # one float block filled column by column: a district per column at national scale is 300 columns of
    # half a million rows, and a dict of columns would be copied once more into the block
    out = np.empty((len(frame), len(names)), order="F")
    for j, (x, level) in enumerate(fills):
        out[:, j] = _filled(x, level)
    return pd.DataFrame(out, index=frame.index, columns=names, copy=False), reference


def _check(frame: pd.DataFrame, treatment: str, covariates, outcomes) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError("frame must be a pandas DataFrame")
    missing = [c for c in [treatment, *covariates, *outcomes] if c not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the frame: {missing}")
    if not len(covariates):
        raise ValueError("at least one covariate is needed")
    t = frame[treatment]
    if t.isna().any() or not t.astype(float).isin([0.0, 1.0]).all():
        bad = frame.index[t.isna() | ~t.astype(float).isin([0.0, 1.0])][:5].tolist()
        raise ValueError(f"treatment column {treatment!r} must be 0/1 (or boolean) with no missing values; "
                         f"rows {bad} are not")
    for c in [*covariates, *outcomes]:
        if frame[c].isna().any():
            rows = frame.index[frame[c].isna()][:5].tolist()
            raise ValueError(f"column {c!r} has missing values (rows {rows}); drop or impute them before matching")
    for c in outcomes:
        if not pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]):
            raise ValueError(f"outcome {c!r} must be numeric")
    tt = t.astype(float).to_numpy().astype(int)
    if tt.sum() == 0 or tt.sum() == len(tt):
        raise ValueError(f"treatment column {treatment!r} needs both treated (1) and control (0) rows")
    return tt


def _independent_columns(X: np.ndarray) -> list[int]:
    """Indices of a maximal set of linearly independent columns, by pivoted QR."""
    from scipy.linalg import qr

    if X.shape[1] == 0:
        return []
    r, piv = qr(X, mode="r", pivoting=True)  # R alone: Q would be as large as X
    d = np.abs(np.diag(r))
    rank = int((d > d[0] * 1e-10).sum()) if d.size else 0
    return sorted(piv[:rank].tolist())


def _fit_propensity(design: pd.DataFrame, reference: list[str], t: np.ndarray, rows: np.ndarray | None = None
                    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Logistic regression of treatment on the covariates (intercept, each category's first level left out,
    constant and collinear columns dropped), on the ``rows`` of ``design`` (a mask; default all). Returns
    the fitted scores, the model matrix and notes."""
    import statsmodels.api as sm

    notes = []
    # the model matrix filled column by column from the design: no copy of the design (or of its rows) is
    # made on the way, each being as large as the model matrix (300 district columns at national scale)
    values = design.to_numpy()
    skip = set(reference)
    cols = []
    for j, name in enumerate(design.columns):
        if name in skip:
            continue
        x = values[:, j] if rows is None else values[rows, j]
        if x.size and x.min() != x.max():  # constant columns carry nothing beside the intercept
            cols.append(j)
    Xc = np.empty((len(t), len(cols) + 1))
    Xc[:, 0] = 1.0
    for i, j in enumerate(cols, start=1):
        Xc[:, i] = values[:, j] if rows is None else values[rows, j]
    del values
    keep = _independent_columns(Xc)
    if 0 not in keep:
        keep = [0, *keep]
    dropped = [design.columns[cols[j - 1]] for j in range(1, Xc.shape[1]) if j not in keep]
    if dropped:
        notes.append(f"left out of the propensity model as collinear with other covariates: {', '.join(dropped)}")
    Xk = Xc if len(keep) == Xc.shape[1] else Xc[:, keep]
    del Xc
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(t, Xk).fit(disp=0, maxiter=200)
        except (np.linalg.LinAlgError, ValueError) as e:  # statsmodels versions that stop at perfect prediction
            notes.append(f"the propensity model could not be fitted normally ({e}); a lightly penalised fit was used")
            fit = sm.Logit(t, Xk).fit_regularized(alpha=1e-4, disp=0)
    lin = Xk @ np.asarray(fit.params)
    if any("separation" in str(w.message).lower() for w in caught) or np.any(np.abs(lin) > _CERTAIN):
        notes.append("the covariates predict treatment with certainty for some people (separation): they have no "
                     "comparable controls")
    elif any("converge" in str(w.message).lower() for w in caught):
        notes.append("the propensity model did not converge; check the covariates for near-separation")
    return 1 / (1 + np.exp(-np.clip(lin, -700, 700))), Xk, notes


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x) / np.sum(w)) if np.sum(w) > 0 else float("nan")


def _wvar(x: np.ndarray, w: np.ndarray) -> float:
    """Weighted variance with reliability-weight correction (``MatchIt``/``cobalt``): equal to the usual
    sample variance when all weights are equal."""
    sw = np.sum(w)
    if sw <= 0:
        return float("nan")
    m = np.sum(w * x) / sw
    denom = sw - np.sum(w ** 2) / sw
    return float(np.sum(w * (x - m) ** 2) / denom) if denom > 0 else float("nan")


def _unit_var(x: np.ndarray, binary: bool) -> float:
    if binary:
        p = float(np.mean(x)) if x.size else float("nan")
        return p * (1 - p)
    return float(np.var(x, ddof=1)) if x.size > 1 else float("nan")


def standardised_differences(frame: pd.DataFrame, treatment: str, covariates, *, weights=None,
                             sd: str = "pooled") -> pd.DataFrame:
    r"""Standardised mean differences and variance ratios of covariates between two groups.

    $$d = \frac{\bar x_1^{w} - \bar x_0^{w}}{\sqrt{(s_1^2 + s_0^2)/2}}$$

    Austin (2009), *Stat Med* 28:3083-3107, eq. 1 and 2: $s^2$ is the sample variance, or $\hat p(1 -
    \hat p)$ for a 0/1 covariate, always from the *unweighted* groups so that weighted and unweighted
    differences share one scale. ``sd="treated"`` divides by $s_1$ alone (R ``MatchIt``'s scale for the
    ATT). Categorical covariates are expanded to one 0/1 column per level, named ``column=level``.

    Parameters
    ----------
    frame : DataFrame
        One row per unit.
    treatment : str
        0/1 (or boolean) column: 1 for the treated group.
    covariates : list of str
        Columns to compare (numeric, boolean or categorical).
    weights : array-like, optional
        Weights per row (e.g. matching weights); omitted, every row counts once.
    sd : {"pooled", "treated"}
        Denominator of the difference.

    Returns
    -------
    DataFrame
        ``covariate, binary, mean_treated, mean_control, smd, variance_ratio`` (NaN for 0/1 covariates).

    Examples
    --------
    Treated ages 20, 25, 30 (variance 25) against 30, 40, 50 (variance 100): a difference of -15 years is
    -15 / sqrt(62.5) pooled, -15 / 5 on the treated scale:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"treat": [1, 1, 1, 0, 0, 0], "age": [20, 25, 30, 30, 40, 50]})
    >>> t = standardised_differences(df, "treat", ["age"])
    >>> round(float(t.smd.iloc[0]), 4), round(float(t.variance_ratio.iloc[0]), 2)
    (-1.8974, 0.25)
    >>> float(standardised_differences(df, "treat", ["age"], sd="treated").smd.iloc[0])
    -3.0
    """
    if sd not in ("pooled", "treated"):
        raise ValueError(f"sd must be 'pooled' or 'treated', got {sd!r}")
    tt = _check(frame, treatment, covariates, ())
    design, _ = _expand(frame, covariates)
    w = np.ones(len(frame)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(frame),) or np.any(w < 0) or not np.isfinite(w).all():
        raise ValueError("weights must be one finite, non-negative number per row")
    return _balance_rows(design, tt == 1, w, sd).drop(columns="denominator")


def _balance_rows(design: pd.DataFrame, is_t: np.ndarray, w: np.ndarray, sd: str,
                  denominators: np.ndarray | None = None) -> pd.DataFrame:
    """Weighted means, SMDs and variance ratios; `denominators` (from the unweighted groups) default to
    those of `design` itself."""
    rows = []
    for j, (c, x) in enumerate(design.items()):
        x = np.asarray(x)
        binary = _is_binary(x)
        xt, xc = x[is_t], x[~is_t]
        if denominators is None:
            vt, vc = _unit_var(xt, binary), _unit_var(xc, binary)
            denom = float(np.sqrt(vt if sd == "treated" else (vt + vc) / 2))
        else:
            denom = float(denominators[j])
        mt, mc = _wmean(xt, w[is_t]), _wmean(xc, w[~is_t])
        diff = mt - mc
        smd = diff / denom if denom > 0 else (0.0 if abs(diff) < 1e-12 else float(np.inf * np.sign(diff)))
        vc_w = _wvar(xc, w[~is_t])
        vr = np.nan if binary or not vc_w > 0 else _wvar(xt, w[is_t]) / vc_w
        rows.append({"covariate": c, "binary": binary, "mean_treated": mt, "mean_control": mc, "smd": float(smd),
                     "variance_ratio": vr, "denominator": denom})
    return pd.DataFrame(rows)


def _balance_table(design: pd.DataFrame, extra: pd.DataFrame, is_t: np.ndarray, w: np.ndarray, sd: str,
                   threshold: float) -> pd.DataFrame:
    """The balance table: each covariate of the model, then each shown only, before and after weighting.

    Column by column: the two designs are never copied into one frame (at national scale each holds
    hundreds of 0/1 columns for hundreds of thousands of rows).
    """
    shown = [design, extra]
    before = pd.concat([_balance_rows(d, is_t, np.ones(len(w)), sd) for d in shown], ignore_index=True)
    denominators = np.split(before.denominator.to_numpy(), [design.shape[1]])
    after = pd.concat([_balance_rows(d, is_t, w, sd, denominators=den)
                       for d, den in zip(shown, denominators, strict=True)], ignore_index=True)
    bal = pd.DataFrame({
        "covariate": before.covariate, "binary": before.binary,
        "in_model": [True] * design.shape[1] + [False] * extra.shape[1],
        "mean_treated_before": before.mean_treated, "mean_control_before": before.mean_control,
        "smd_before": before.smd, "variance_ratio_before": before.variance_ratio,
        "mean_treated_after": after.mean_treated, "mean_control_after": after.mean_control,
        "smd_after": after.smd, "variance_ratio_after": after.variance_ratio})
    bal["balanced"] = bal.smd_after.abs() < threshold
    return bal


# ---------------------------------------------------------------------------------------------- results
class _Adjusted:
    """Methods shared by the matching and weighting results (fields `effects`, `balance_table`,
    `overlap_table`, `threshold`)."""

    def table(self) -> pd.DataFrame:
        """The effect on the treated for each outcome.

        Returns
        -------
        DataFrame
            A copy of `effects`.
        """
        return self.effects.copy()

    def balance(self) -> pd.DataFrame:
        """The balance table: standardised differences and variance ratios before and after adjustment.

        Returns
        -------
        DataFrame
            A copy of `balance_table`.
        """
        return self.balance_table.copy()

    def overlap(self) -> pd.DataFrame:
        """The overlap check: propensity-score distribution by group and who fell off common support.

        Returns
        -------
        DataFrame
            A copy of `overlap_table`.
        """
        return self.overlap_table.copy()

    @property
    def balanced(self) -> bool:
        """True when every model covariate's |standardised difference| after adjustment is below `threshold`."""
        b = self.balance_table
        return bool(b.balanced[b.in_model].all())

    @property
    def imbalanced(self) -> tuple:
        """Model covariates whose |standardised difference| after adjustment is at or above `threshold`."""
        b = self.balance_table
        return tuple(b.loc[b.in_model & ~b.balanced, "covariate"])

    def plot(self, ax=None):
        """Love plot: |standardised difference| of each covariate before and after adjustment.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Axes to draw on; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from foundation_eval.plotting import GREY, PALETTE, new_axes

        b = self.balance_table
        ax = new_axes(ax, figsize=(7.5, max(2.5, 0.3 * len(b) + 1)))
        y = np.arange(len(b))[::-1]
        ax.scatter(np.abs(b.smd_before), y, marker="o", facecolors="none", edgecolors=PALETTE[1],
                   label="before")
        ax.scatter(np.abs(b.smd_after), y, marker="o", color=PALETTE[0], label="after")
        ax.axvline(self.threshold, color=GREY, ls="--", lw=1)
        ax.set_yticks(y, b.covariate)
        ax.set_xlabel("|Standardised mean difference|")
        ax.legend(loc="lower right")
        return ax


@dataclass(frozen=True)
class MatchResult(_Adjusted):
    """A propensity-score matched comparison: effects on the treated, balance and overlap.

    Returned by `propensity_match`.

    Attributes
    ----------
    effects : DataFrame
        One row per outcome: ``outcome, estimate`` (treated minus matched controls), ``se, ci_low,
        ci_high, mean_treated, mean_control`` (matched counterfactual), ``n_treated, n_controls``.
    balance_table : DataFrame
        One row per covariate (categories expanded): ``covariate, binary, in_model`` (False for
        ``balance_only`` columns), ``mean_treated_before,
        mean_control_before, smd_before, variance_ratio_before, mean_treated_after, mean_control_after,
        smd_after, variance_ratio_after, balanced`` (|smd_after| below the threshold).
    overlap_table : DataFrame
        ``measure, value``: propensity-score quartiles by group, treated outside the controls' range,
        treated dropped by the caliper, controls used and their effective number.
    n_treated : int
        Treated rows matched (those the effects are about).
    n_treated_total : int
        Treated rows before matching.
    n_controls_total : int
        Control rows before matching.
    n_off_support : int
        Treated rows left out because no control lay within the caliper.
    n_matched_controls : int
        Distinct controls used at least once.
    effective_controls : float
        Kish's effective number of matched controls, $(\\sum K_j)^2 / \\sum K_j^2$.
    k : int
        Controls sought per treated row.
    caliper : float or None
        Caliper in standard deviations of the matching scale.
    caliper_width : float or None
        The caliper on the matching scale.
    scale : str
        ``"logit"`` (logit of the score) or ``"ps"`` (the score itself).
    sd : str
        Denominator of the standardised differences (``"pooled"`` or ``"treated"``).
    threshold : float
        Largest |standardised difference| counted as balanced.
    level : float
        Confidence level of the intervals.
    variance : str
        How the standard errors were computed.
    notes : tuple of str
        Anything the reader must know (separation, collinear covariates left out).
    propensity : Series
        The propensity score of every row (index of the input frame).
    pairs : MatchedPairs
        The matched pairs as runs of controls, one a matched treated row (see `matches` for one row a
        pair).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=400)
    >>> t = (rng.random(400) < 1 / (1 + np.exp(1 - x))).astype(int)
    >>> df = pd.DataFrame({"t": t, "x": x, "y": x + 2 * t + rng.normal(size=400)})
    >>> res = propensity_match(df, "t", ["x"], ["y"])
    >>> res.balanced, res.n_treated + res.n_off_support == res.n_treated_total
    (True, True)
    """

    effects: pd.DataFrame
    balance_table: pd.DataFrame
    overlap_table: pd.DataFrame
    n_treated: int
    n_treated_total: int
    n_controls_total: int
    n_off_support: int
    n_matched_controls: int
    effective_controls: float
    k: int
    caliper: float | None
    caliper_width: float | None
    scale: str
    sd: str
    threshold: float
    level: float
    variance: str
    notes: tuple = ()
    propensity: pd.Series = field(default=None, repr=False, compare=False)
    pairs: MatchedPairs = field(default=None, repr=False, compare=False)

    @property
    def matches(self) -> pd.DataFrame:
        """``treated, control, weight``: index labels of each matched pair and the control's share of its
        treated row's matched set (labels of a default 0..n-1 index as 32-bit integers), stratum by
        stratum, each treated row's controls in score order. Written out on each call: with tied
        scores a national force has tens of millions of pairs."""
        return self.pairs.frame()

    @property
    def weights(self) -> pd.Series:
        """Matching weight of every row: 1 for a matched treated row, $K_j$ for a control, 0 if unused."""
        K, _ = self.pairs.control_weights(len(self.propensity))
        K[self.pairs.treated] = 1.0
        return pd.Series(K, index=self.propensity.index)


# ---------------------------------------------------------------------------------------------- matching
def _match(st: np.ndarray, sc: np.ndarray, k: int, width: float | None, ties: bool, tol: float, unit: float):
    """Nearest-neighbour matching with replacement on a 1-D score.

    Returns ``(treated, start, stop, controls)``: treated position ``treated[i]`` is matched to the control
    positions ``controls[start[i]:stop[i]]``, each with weight ``1 / (stop[i] - start[i])``; treated rows
    with no control inside `width` have no range. With ties kept, a treated row's matched set is every
    control within a distance of its score, a run of the controls in score order, so ``controls`` is that
    order and the pairs (tens of millions at national scale, where scores tie) are never written out."""
    nc = sc.size
    order = np.argsort(sc, kind="stable")
    scs = sc[order]
    pos = np.searchsorted(scs, st)
    kk = min(k, nc)
    idx = pos[:, None] + np.arange(-kk, kk)[None, :]
    valid = (idx >= 0) & (idx < nc)
    d = np.where(valid, np.abs(scs[np.clip(idx, 0, nc - 1)] - st[:, None]), np.inf)
    dk = np.partition(d, kk - 1, axis=1)[:, kk - 1]
    if ties:
        # R Matching's rule: ties are controls whose squared standardised distance is within `tol` of the
        # k-th nearest's
        radius = unit * np.sqrt((dk / unit) ** 2 + tol) if unit > 0 else dk
        if width is not None:
            radius = np.minimum(radius, width)
        slack = 1e-12 * (1 + np.abs(st))
        lo = np.searchsorted(scs, st - radius - slack, side="left")
        hi = np.searchsorted(scs, st + radius + slack, side="right")
        # slack must not pull in anything truly outside the radius; |score - st| is unimodal along the
        # sorted scores, so what fails the test lies at either end of the run
        reach = radius + slack
        while True:
            inside = lo < hi
            cut_lo = inside & (np.abs(scs[np.minimum(lo, nc - 1)] - st) > reach)
            lo = lo + cut_lo
            inside = lo < hi
            cut_hi = inside & (np.abs(scs[np.maximum(hi - 1, 0)] - st) > reach)
            hi = hi - cut_hi
            if not (cut_lo.any() or cut_hi.any()):
                break
        t = np.flatnonzero(hi > lo)
        return t, lo[t], hi[t], order
    rank = np.argsort(d, axis=1, kind="stable")[:, :kk]
    dd = np.take_along_axis(d, rank, axis=1)
    cand = np.take_along_axis(idx, rank, axis=1)
    ok = np.isfinite(dd) & ((dd <= width) if width is not None else True)
    ti = np.repeat(np.arange(st.size), kk).reshape(-1, kk)[ok]
    ci = order[cand[ok]]
    m = np.bincount(ti, minlength=st.size)
    t = np.flatnonzero(m)
    stop = np.cumsum(m[t])
    return t, stop - m[t], stop, ci


@dataclass(frozen=True)
class MatchedPairs:
    """The matched pairs of a matching, held as runs: treated row ``treated[i]`` is matched to the control
    rows ``controls[start[i]:stop[i]]``, each with weight ``1 / (stop[i] - start[i])``.

    Row positions (0-based) in the matched frame; `frame` gives the pairs one a row, by index label.

    Attributes
    ----------
    treated : numpy.ndarray of int
        Row position of each matched treated row, in the order of the pairs.
    start, stop : numpy.ndarray of int
        Its run of `controls`.
    controls : numpy.ndarray of int
        Row positions of controls; runs of different treated rows may overlap.
    labels : pandas.Index or None
        The frame's index, or None when it is the row numbers 0..n-1.

    Examples
    --------
    Treated row 0 matched to controls 5 and 7 (tied), treated row 1 to control 7 alone:

    >>> import numpy as np
    >>> p = MatchedPairs(np.array([0, 1]), np.array([0, 1]), np.array([2, 2]), np.array([5, 7]))
    >>> p.frame().to_dict("list")
    {'treated': [0, 0, 1], 'control': [5, 7, 7], 'weight': [0.5, 0.5, 1.0]}
    >>> [k.tolist() for k in p.control_weights(8)][0][5:]
    [0.5, 0.0, 1.5]
    """

    treated: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    controls: np.ndarray
    labels: pd.Index | None = None

    @property
    def sizes(self) -> np.ndarray:
        """Controls matched to each treated row."""
        return self.stop - self.start

    def positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair written out.

        Returns
        -------
        treated, control : numpy.ndarray of int
            Row positions of each pair's treated row and control.
        weight : numpy.ndarray of float
            The control's share of its treated row's matched set.
        """
        m = self.sizes
        total = int(m.sum())
        at = np.arange(total) - np.repeat(np.cumsum(m) - m, m) + np.repeat(self.start, m)
        return np.repeat(self.treated, m), self.controls[at], np.repeat(1.0 / m, m)

    def frame(self) -> pd.DataFrame:
        """The pairs one a row, by index label.

        Returns
        -------
        DataFrame
            ``treated, control, weight`` (labels as 32-bit integers when they are the row numbers).
        """
        ti, ci, w = self.positions()
        if self.labels is None:
            treated, control = ti.astype(np.int32), ci.astype(np.int32)
        else:
            treated, control = self.labels.take(ti), self.labels.take(ci)
        return pd.DataFrame({"treated": treated, "control": control, "weight": w}, copy=False)

    def control_weights(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each control's total weight $K_j = \\sum_i w_{ij}$ and $\\sum_i w_{ij}^2$, from the runs' ends
        (a difference array over `controls`) rather than the pairs.

        Parameters
        ----------
        n : int
            Number of row positions.

        Returns
        -------
        K, KK : numpy.ndarray of float
            One value a row position; exactly 0 for rows never matched as a control.
        """
        m = self.sizes
        size = self.controls.size + 1
        out = []
        for w in (1.0 / m, 1.0 / m ** 2):
            at = np.cumsum(np.bincount(self.start, weights=w, minlength=size)
                           - np.bincount(self.stop, weights=w, minlength=size))[:-1]
            out.append(at)
        covered = np.cumsum(np.bincount(self.start, minlength=size) - np.bincount(self.stop, minlength=size))[:-1] > 0
        return tuple(np.bincount(self.controls[covered], weights=a[covered], minlength=n) for a in out)

    def mean_of_controls(self, y: np.ndarray) -> np.ndarray:
        """Each matched treated row's mean of ``y`` over its controls, from running sums over `controls`
        (exact for whole numbers; other values are centred first).

        Parameters
        ----------
        y : numpy.ndarray
            One value a row position.

        Returns
        -------
        numpy.ndarray of float
            One value a run, in the order of `treated`.
        """
        v = y[self.controls]
        centre = 0.0 if np.array_equal(v, np.round(v)) else float(v.mean())  # whole numbers sum exactly
        run = np.r_[0.0, np.cumsum(v - centre)]
        return centre + (run[self.stop] - run[self.start]) / self.sizes


def _sigma2(score_c: np.ndarray, yc: np.ndarray, used: np.ndarray, J: int, tol: float, unit: float) -> np.ndarray:
    """Conditional variance of the outcome at each used control: sample variance of the control and its J
    nearest fellow controls on the score (ties at the J-th distance included, by the matching's tie rule)."""
    out = np.full(yc.size, np.nan)
    order = np.argsort(score_c, kind="stable")
    s = score_c[order]
    y = yc[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    n = s.size
    j = np.flatnonzero(used)
    if not j.size:
        return out
    # every used control at once (a national force has about 100,000): its J neighbours on each side
    r = rank[j]
    offsets = np.r_[np.arange(-J, 0), np.arange(1, J + 1)]
    cand = r[:, None] + offsets[None, :]
    inside = (cand >= 0) & (cand < n)
    dist = np.where(inside, np.abs(s[np.clip(cand, 0, n - 1)] - s[r][:, None]), np.inf)
    dist.sort(axis=1)
    count = inside.sum(axis=1)
    dJ = dist[np.arange(j.size), np.maximum(np.minimum(J, count) - 1, 0)]
    radius = unit * np.sqrt((dJ / unit) ** 2 + tol) if unit > 0 else dJ
    slack = 1e-12 * (1 + np.abs(s[r]))
    a = np.searchsorted(s, s[r] - radius - slack, side="left")
    b = np.searchsorted(s, s[r] + radius + slack, side="right")
    # variance of y[a:b] (the control itself included) from running sums; whole-number outcomes sum exactly,
    # others are centred first
    yy = y if np.array_equal(y, np.round(y)) else y - y.mean()
    c1, c2 = np.r_[0.0, np.cumsum(yy)], np.r_[0.0, np.cumsum(yy * yy)]
    k = (b - a).astype(float)
    s1, s2 = c1[b] - c1[a], c2[b] - c2[a]
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(k > 1, (s2 - s1 * s1 / k) / (k - 1), 0.0)
    out[j] = np.where(count == 0, 0.0, np.maximum(var, 0.0))
    return out


def propensity_match(frame: pd.DataFrame, treatment: str, covariates, outcomes=(), *, propensity=None, k: int = 1,
                     caliper: float | None = 0.2, scale: str = "logit", exact=(), balance_only=(), ties: bool = True,
                     sd: str = "pooled", sigma_neighbours: int = 2, tie_tolerance: float = 1e-5,
                     threshold: float = 0.1, level: float = 0.95) -> MatchResult:
    r"""Match treated rows to controls on the propensity score and estimate the effect on the treated.

    1:k nearest-neighbour matching with replacement on the logit of the propensity score within a
    caliper (Austin 2011), with the balance table (Austin 2009), the overlap check and Abadie & Imbens
    (2006) standard errors; see the module description for the formulas.

    Parameters
    ----------
    frame : DataFrame
        One row per unit (person), no missing values in the columns used.
    treatment : str
        0/1 (or boolean) column, 1 for treated.
    covariates : list of str
        Columns the propensity model and the balance table use: numeric, boolean or categorical (one 0/1
        column per level; the first level is the model's reference).
    outcomes : list of str
        Numeric outcome columns (a 0/1 column gives a risk difference).
    propensity : str or array-like, optional
        Scores to use instead of fitting the logistic model: a column name or one value per row in (0, 1).
    k : int
        Controls per treated row.
    caliper : float or None
        Largest allowed distance, in pooled standard deviations of the matching scale (Austin's 0.2); None
        for no caliper. Rows the model predicts with certainty (|logit| > 15, from separation) are left out
        of the standard deviation.
    scale : {"logit", "ps"}
        Match on the logit of the score (Austin 2011) or on the score itself (R ``MatchIt``'s default).
    exact : list of str
        Columns a treated row and its controls must share (e.g. the calendar quarter); treated rows whose
        value no control has are off support.
    balance_only : list of str
        Columns shown in the balance table but left out of the propensity model (R ``MatchIt``'s
        ``addlvariables``); they do not count towards `MatchResult.balanced`.
    ties : bool
        Keep every control as close as the k-th nearest (Abadie & Imbens; R ``Matching``); False keeps
        exactly k, the first in the data's order (R ``MatchIt``).
    sd : {"pooled", "treated"}
        Denominator of the standardised differences.
    sigma_neighbours : int
        Fellow controls used to estimate each control's conditional outcome variance; 0 assumes it is the
        same for everyone.
    tie_tolerance : float
        Controls whose squared distance, in variances of the matching scale, is within this of the k-th
        nearest's count as ties (R ``Matching``'s ``distance.tolerance``).
    threshold : float
        Largest |standardised difference| counted as balanced.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    MatchResult
        Effects, balance and overlap.

    Raises
    ------
    ValueError
        For a missing column, missing values, a treatment that is not 0/1, scores outside (0, 1), or no
        treated row left after the caliper.

    Examples
    --------
    A simulated study in which treatment depends on ``x``, which also raises the outcome; the true
    effect on the treated is 2:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000)
    >>> t = (rng.random(2000) < 1 / (1 + np.exp(1 - x))).astype(int)
    >>> df = pd.DataFrame({"t": t, "x": x, "y": 3 * x + 2 * t + rng.normal(size=2000)})
    >>> res = propensity_match(df, "t", ["x"], ["y"])
    >>> row = res.table().iloc[0]
    >>> bool(row.ci_low < 2 < row.ci_high), res.balanced
    (True, True)
    >>> naive = df[df.t == 1].y.mean() - df[df.t == 0].y.mean()
    >>> round(float(naive), 1)                   # what comparing everyone would say
    4.3
    """
    covariates, outcomes = list(covariates), list(outcomes)
    exact, balance_only = list(exact), list(balance_only)
    if scale not in _SCALES:
        raise ValueError(f"scale must be one of {_SCALES}, got {scale!r}")
    if sd not in ("pooled", "treated"):
        raise ValueError(f"sd must be 'pooled' or 'treated', got {sd!r}")
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive whole number, got {k!r}")
    if caliper is not None and not caliper > 0:
        raise ValueError(f"caliper must be positive or None, got {caliper!r}")
    if int(sigma_neighbours) != sigma_neighbours or sigma_neighbours < 0:
        raise ValueError(f"sigma_neighbours must be a whole number >= 0, got {sigma_neighbours!r}")
    z = _z(level)
    tt = _check(frame, treatment, [*covariates, *balance_only, *exact], outcomes)
    design, reference = _expand(frame, covariates)
    extra, _ = _expand(frame, [c for c in balance_only if c not in covariates], lazy=True)
    notes: list[str] = []
    is_t = tt == 1
    if exact:
        # one label per combination of values, not per row (a row-wise join is slow on millions of rows)
        group = frame.groupby(exact, sort=False, dropna=False, observed=True).ngroup().to_numpy()
        first = np.unique(group, return_index=True)[1]
        labels = frame.iloc[first][exact].astype(str).agg("|".join, axis=1).to_numpy()
        shared = np.isin(group, group[is_t]) & np.isin(group, group[~is_t])
        if not shared.any():
            raise ValueError(f"no value of {exact} has both treated and control rows: nothing can be matched")
    else:
        shared = np.ones(len(frame), dtype=bool)
    if propensity is None:
        # fitted where matching can happen: rows sharing their exact-matching values with the other group
        ps = np.full(len(frame), np.nan)
        ps[shared], _, fit_notes = _fit_propensity(design, reference, tt[shared], None if shared.all() else shared)
        notes += fit_notes
        how_ps = "logistic regression on the covariates" + (
            f", fitted to the rows whose {', '.join(exact)} the other group shares" if not shared.all() else "")
    else:
        ps = frame[propensity].to_numpy(dtype=float) if isinstance(propensity, str) else np.asarray(propensity,
                                                                                                     dtype=float)
        if ps.shape != (len(frame),) or not np.all((ps > 0) & (ps < 1)):
            raise ValueError("propensity scores must be one value per row, strictly between 0 and 1")
        how_ps = "supplied by the caller"
    psc = np.clip(ps, _EPS, 1 - _EPS)
    score = np.log(psc / (1 - psc)) if scale == "logit" else ps
    st, sc = score[is_t], score[~is_t]
    ok_t, ok_c = shared[is_t], shared[~is_t]
    # rows the model predicts with certainty (separation) would make the SD, and so the caliper, meaningless
    certain = np.abs(np.log(psc / (1 - psc))) > _CERTAIN
    sd_t, sd_c = st[ok_t & ~certain[is_t]], sc[ok_c & ~certain[~is_t]]
    pooled_sd = float(np.sqrt((np.var(sd_t, ddof=1) + np.var(sd_c, ddof=1)) / 2)) if min(sd_t.size, sd_c.size) > 1 else 0.0
    width = None if caliper is None else caliper * pooled_sd
    unit = float(np.std(score[shared], ddof=1)) if shared.sum() > 1 else 0.0
    if exact:
        gt, gc = group[is_t], group[~is_t]
        parts, base = [], 0
        for v in sorted(np.unique(gt), key=lambda g: labels[g]):  # strata in the order of their labels
            it, ic = np.flatnonzero(gt == v), np.flatnonzero(gc == v)
            if ic.size:
                a, lo, hi, cs = _match(st[it], sc[ic], int(k), width, ties, tie_tolerance, unit)
                parts.append((it[a], lo + base, hi + base, ic[cs]))
                base += cs.size
        n_no_stratum = int(np.isin(gt, gc, invert=True).sum())
        runs = [np.concatenate([p[j] for p in parts]) if parts else np.array([], np.intp) for j in range(4)]
        del parts
    else:
        n_no_stratum = 0
        runs = list(_match(st, sc, int(k), width, ties, tie_tolerance, unit))
    idx = frame.index
    # positions among the treated and the controls until the effects are computed
    local = MatchedPairs(*runs)
    n1 = local.treated.size
    if n1 == 0:
        raise ValueError("no treated row has a control within the caliper: the groups do not overlap")
    # the treated in row order: the effects' sums run in the same order however the strata were met
    by_row = np.argsort(local.treated, kind="stable")
    matched_t = local.treated[by_row]
    t_pos, c_pos = np.flatnonzero(is_t), np.flatnonzero(~is_t)
    K, KK = local.control_weights(sc.size)
    used = K > 0
    # balance: treated that were matched (weight 1), controls with their matching weights
    wt_all = np.zeros(len(frame))
    wt_all[t_pos[matched_t]] = 1.0
    wt_all[c_pos] = K
    bal = _balance_table(design, extra, is_t, wt_all, sd, threshold)
    del design, extra, wt_all
    # effects
    rows = []
    for name in outcomes:
        y = frame[name].astype(float).to_numpy()
        yt, yc = y[is_t], y[~is_t]
        cf = local.mean_of_controls(yc)[by_row]
        tau_i = yt[matched_t] - cf
        est = float(tau_i.mean())
        if sigma_neighbours == 0:
            # R Matching's Var.calc = 0: half the weighted mean squared pair difference about the estimate
            ti, ci, w = local.positions()
            pair = yt[ti] - yc[ci] - est
            s2 = np.full(sc.size, 0.5 * float(np.sum(w * pair ** 2) / np.sum(w)))
            del ti, ci, w, pair
        else:
            s2 = _sigma2(sc, yc, used, int(sigma_neighbours), tie_tolerance, unit)
        var = (float(np.sum((tau_i - est) ** 2)) + float(np.nansum(s2[used] * (K[used] ** 2 - KK[used])))) / n1 ** 2
        se = float(np.sqrt(max(var, 0.0)))
        rows.append({"outcome": name, "estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
                     "mean_treated": float(yt[matched_t].mean()), "mean_control": float(cf.mean()),
                     "n_treated": int(n1), "n_controls": int(used.sum())})
    effects = pd.DataFrame(rows, columns=["outcome", "estimate", "se", "ci_low", "ci_high", "mean_treated",
                                          "mean_control", "n_treated", "n_controls"])
    ess = float(K.sum() ** 2 / np.sum(K ** 2)) if used.any() else 0.0
    n_off = int(st.size - n1)
    pt, pc = ps[is_t & shared], ps[~is_t & shared]
    outside = int(np.sum((pt < pc.min()) | (pt > pc.max())))
    q = [0.0, 0.25, 0.5, 0.75, 1.0]
    qt, qc = np.quantile(pt, q), np.quantile(pc, q)
    ov = [("treated", float(st.size)), ("controls", float(sc.size))]
    if exact:
        ov += [("treated sharing their exact-matching values with a control", float(ok_t.sum())),
               ("controls sharing their exact-matching values with a treated row", float(ok_c.sum()))]
    for lab, v1, v0 in zip(("minimum", "lower quartile", "median", "upper quartile", "maximum"), qt, qc, strict=True):
        ov += [(f"propensity score {lab}, treated", float(v1)), (f"propensity score {lab}, controls", float(v0))]
    ov += [("treated outside the controls' range of scores", float(outside)),
           ("treated with no control sharing their exact-matching values", float(n_no_stratum)),
           ("treated without a control inside the caliper (off support)", float(n_off)),
           ("share of treated off support", n_off / st.size),
           ("caliper on the matching scale", float("nan") if width is None else width),
           ("controls used", float(used.sum())), ("effective number of controls", ess)]
    overlap = pd.DataFrame(ov, columns=["measure", "value"])
    rows_n = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and len(idx) < 2**31
    pairs = MatchedPairs(t_pos[local.treated], local.start, local.stop, c_pos[local.controls],
                         None if rows_n else idx)
    variance = ("Abadie-Imbens (2006) for matching with replacement, propensity score treated as known; "
                + ("conditional variance assumed constant" if sigma_neighbours == 0 else
                   f"conditional variance from each control and its {sigma_neighbours} nearest fellow controls"))
    method_note = f"propensity score: {how_ps}"
    return MatchResult(
        effects=effects, balance_table=bal, overlap_table=overlap, n_treated=int(n1), n_treated_total=int(st.size),
        n_controls_total=int(sc.size), n_off_support=n_off, n_matched_controls=int(used.sum()),
        effective_controls=ess, k=int(k), caliper=caliper, caliper_width=width, scale=scale, sd=sd,
        threshold=float(threshold), level=float(level), variance=variance, notes=tuple([method_note, *notes]),
        propensity=pd.Series(ps, index=idx, name="propensity"), pairs=pairs)


# ---------------------------------------------------------------------------------------------- weighting
@dataclass(frozen=True)
class WeightingResult(_Adjusted):
    r"""A propensity-score weighted comparison for the effect on the treated (odds weights).

    Returned by `odds_weighting`.

    Attributes
    ----------
    effects : DataFrame
        One row per outcome: ``outcome, estimate, se, ci_low, ci_high, mean_treated, mean_control``
        (weighted control mean), ``n_treated, n_controls``.
    balance_table : DataFrame
        As `MatchResult.balance_table`, "after" meaning weighted.
    overlap_table : DataFrame
        ``measure, value``: propensity-score quartiles by group, treated outside the controls' range,
        the largest control weight and the effective number of controls.
    n_treated : int
        Treated rows (all are kept).
    n_controls_total : int
        Control rows.
    effective_controls : float
        Kish's effective number of controls, $(\sum w)^2 / \sum w^2$.
    sd : str
        Denominator of the standardised differences.
    threshold : float
        Largest |standardised difference| counted as balanced.
    level : float
        Confidence level.
    variance : str
        How the standard errors were computed.
    notes : tuple of str
        Anything the reader must know.
    propensity : Series
        The propensity score of every row.
    weights : Series
        1 for treated rows, $e/(1-e)$ for controls.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=1000)
    >>> t = (rng.random(1000) < 1 / (1 + np.exp(1 - x))).astype(int)
    >>> df = pd.DataFrame({"t": t, "x": x, "y": x + 2 * t + rng.normal(size=1000)})
    >>> res = odds_weighting(df, "t", ["x"], ["y"])
    >>> res.balanced, bool(res.weights[df.t == 1].eq(1).all())
    (True, True)
    """

    effects: pd.DataFrame
    balance_table: pd.DataFrame
    overlap_table: pd.DataFrame
    n_treated: int
    n_controls_total: int
    effective_controls: float
    sd: str
    threshold: float
    level: float
    variance: str
    notes: tuple = ()
    propensity: pd.Series = field(default=None, repr=False, compare=False)
    weights: pd.Series = field(default=None, repr=False, compare=False)


def _m_estimation_se(X: np.ndarray | None, t: np.ndarray, ps: np.ndarray, y: np.ndarray, mu1: float,
                     mu0: float) -> float:
    """Sandwich SE of mu1 - mu0 from the stacked estimating equations (logistic score when X is given)."""
    n = t.size
    odds = np.where(t == 0, ps / (1 - ps), 0.0)  # only controls carry the odds weight
    psi1 = t * (y - mu1)
    psi0 = (1 - t) * odds * (y - mu0)
    if X is None:
        psi = np.column_stack([psi1, psi0])
        A = np.diag([t.mean(), ((1 - t) * odds).mean()])
    else:
        p = X.shape[1]
        psi = np.column_stack([X * (t - ps)[:, None], psi1, psi0])
        A = np.zeros((p + 2, p + 2))
        A[:p, :p] = (X * (ps * (1 - ps))[:, None]).T @ X / n
        A[p, p] = t.mean()
        A[p + 1, p + 1] = ((1 - t) * odds).mean()
        A[p + 1, :p] = -((1 - t) * odds * (y - mu0)) @ X / n
    B = psi.T @ psi / n
    Ainv = np.linalg.inv(A)
    V = Ainv @ B @ Ainv.T / n
    c = np.zeros(V.shape[0])
    c[-2], c[-1] = 1.0, -1.0
    return float(np.sqrt(max(c @ V @ c, 0.0)))


def odds_weighting(frame: pd.DataFrame, treatment: str, covariates, outcomes=(), *, propensity=None,
                   balance_only=(), sd: str = "pooled", threshold: float = 0.1,
                   level: float = 0.95) -> WeightingResult:
    r"""Weight controls by the odds of the propensity score and estimate the effect on the treated.

    Treated rows weigh 1 and controls $e(x)/(1 - e(x))$, which makes the controls' weighted covariate
    distribution that of the treated (Hirano, Imbens & Ridder 2003; the ATT weights of R ``WeightIt``).
    The effect is the treated mean minus the weighted control mean, with an M-estimation sandwich
    variance that stacks the logistic model's score with the two means, so the estimation of the
    propensity score is allowed for (Lunceford & Davidian 2004, *Stat Med* 23:2937-2960; for the ATT,
    Reifeis & Hudgens 2022, *Am J Epidemiol* 191:1092-1097); with supplied scores the weights are taken as
    fixed. No trimming: the overlap table shows the largest weight and the effective number of controls.

    Parameters
    ----------
    frame : DataFrame
        One row per unit, no missing values in the columns used.
    treatment : str
        0/1 (or boolean) column, 1 for treated.
    covariates : list of str
        Columns of the logistic propensity model and the balance table.
    outcomes : list of str
        Numeric outcome columns.
    propensity : str or array-like, optional
        Scores to use instead of fitting the model (the weights are then taken as fixed).
    balance_only : list of str
        Columns shown in the balance table only.
    sd : {"pooled", "treated"}
        Denominator of the standardised differences.
    threshold : float
        Largest |standardised difference| counted as balanced.
    level : float
        Confidence level.

    Returns
    -------
    WeightingResult
        Effects, balance and overlap.

    Raises
    ------
    ValueError
        For a missing column, missing values, a treatment that is not 0/1 or scores outside (0, 1).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=2000)
    >>> t = (rng.random(2000) < 1 / (1 + np.exp(1 - x))).astype(int)
    >>> df = pd.DataFrame({"t": t, "x": x, "y": 3 * x + 2 * t + rng.normal(size=2000)})
    >>> row = odds_weighting(df, "t", ["x"], ["y"]).table().iloc[0]
    >>> bool(row.ci_low < 2 < row.ci_high)
    True
    """
    covariates, outcomes, balance_only = list(covariates), list(outcomes), list(balance_only)
    if sd not in ("pooled", "treated"):
        raise ValueError(f"sd must be 'pooled' or 'treated', got {sd!r}")
    z = _z(level)
    tt = _check(frame, treatment, [*covariates, *balance_only], outcomes)
    design, reference = _expand(frame, covariates)
    extra, _ = _expand(frame, [c for c in balance_only if c not in covariates], lazy=True)
    notes: list[str] = []
    X = None
    if propensity is None:
        ps, X, fit_notes = _fit_propensity(design, reference, tt)
        notes += fit_notes
        how = "M-estimation sandwich allowing for the estimated propensity score"
    else:
        ps = frame[propensity].to_numpy(dtype=float) if isinstance(propensity, str) else np.asarray(propensity,
                                                                                                     dtype=float)
        if ps.shape != (len(frame),) or not np.all((ps > 0) & (ps < 1)):
            raise ValueError("propensity scores must be one value per row, strictly between 0 and 1")
        how = "sandwich (HC0) with the supplied scores taken as fixed"
    is_t = tt == 1
    ps = np.clip(ps, _EPS, 1 - _EPS)
    w = np.where(is_t, 1.0, ps / (1 - ps))
    bal = _balance_table(design, extra, is_t, w, sd, threshold)
    rows = []
    for name in outcomes:
        y = frame[name].astype(float).to_numpy()
        mu1 = float(y[is_t].mean())
        mu0 = _wmean(y[~is_t], w[~is_t])
        se = _m_estimation_se(X, tt.astype(float), ps, y, mu1, mu0)
        est = mu1 - mu0
        rows.append({"outcome": name, "estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se,
                     "mean_treated": mu1, "mean_control": mu0, "n_treated": int(is_t.sum()),
                     "n_controls": int((~is_t).sum())})
    effects = pd.DataFrame(rows, columns=["outcome", "estimate", "se", "ci_low", "ci_high", "mean_treated",
                                          "mean_control", "n_treated", "n_controls"])
    wc = w[~is_t]
    ess = float(wc.sum() ** 2 / np.sum(wc ** 2))
    pt, pc = ps[is_t], ps[~is_t]
    q = [0.0, 0.25, 0.5, 0.75, 1.0]
    ov = [("treated", float(is_t.sum())), ("controls", float((~is_t).sum()))]
    for lab, v1, v0 in zip(("minimum", "lower quartile", "median", "upper quartile", "maximum"),
                           np.quantile(pt, q), np.quantile(pc, q), strict=True):
        ov += [(f"propensity score {lab}, treated", float(v1)), (f"propensity score {lab}, controls", float(v0))]
    ov += [("treated outside the controls' range of scores", float(np.sum((pt < pc.min()) | (pt > pc.max())))),
           ("largest control weight", float(wc.max())), ("effective number of controls", ess)]
    idx = frame.index
    return WeightingResult(
        effects=effects, balance_table=bal, overlap_table=pd.DataFrame(ov, columns=["measure", "value"]),
        n_treated=int(is_t.sum()), n_controls_total=int((~is_t).sum()), effective_controls=ess, sd=sd,
        threshold=float(threshold), level=float(level), variance=how, notes=tuple(notes),
        propensity=pd.Series(ps, index=idx, name="propensity"), weights=pd.Series(w, index=idx, name="weight"))
