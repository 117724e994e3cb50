"""Fixed text of the PPIT validity report: the published benchmarks it is judged against and its references.

Nothing here is computed from data. [`BENCHMARKS`][foundation_eval.reporting.ppit_text.BENCHMARKS] are
the published areas under the ROC curve that the report sets the PPIT's own AUC beside,
[`REFERENCES`][foundation_eval.reporting.ppit_text.REFERENCES] is the report's reference list,
[`TECHNICAL_APPENDIX`][foundation_eval.reporting.ppit_text.TECHNICAL_APPENDIX] names the code behind
each section (the only place on the page where code names appear), and
[`icc_words`][foundation_eval.reporting.ppit_text.icc_words] turns an intraclass correlation into the
words of Koo and Li (2016).
"""
from __future__ import annotations

import math

__all__ = ["BENCHMARKS", "REFERENCES", "TECHNICAL_APPENDIX", "icc_words"]

BENCHMARKS = (
    ("ODARA", 0.67, "Ontario Domestic Assault Risk Assessment, mean AUC over validation studies "
                    "(Messing & Thaller 2013, meta-analysis)"),
    ("SARA", 0.63, "Spousal Assault Risk Assessment guide, mean AUC over validation studies "
                   "(Messing & Thaller 2013, meta-analysis)"),
    ("police-history models", 0.75, "models built from police records of prior offending, about 0.75 "
                                    "(e.g. Grogger, Gupta, Ivandic & Kirchmaier 2021)"),
)
"""Published areas under the ROC curve (AUC) of domestic-abuse risk tools that the PPIT is judged against.

A tuple of ``(name, AUC, source)`` triples: ODARA 0.67 and SARA 0.63 are the mean AUCs of the
meta-analysis of Messing and Thaller (2013, *Journal of Interpersonal Violence* 28: 1537-1558);
models built from police records of prior offending reach about 0.75 (Grogger, Gupta, Ivandic and
Kirchmaier 2021, *Journal of Empirical Legal Studies* 18: 90-130). An AUC of 0.5 is chance and 1 is
perfect ranking.
"""


REFERENCES = (
    "Bland, J. M. and Altman, D. G. (1986). Statistical methods for assessing agreement between two methods of "
    "clinical measurement. Lancet 327: 307-310.",
    "Clancy, A., Robinson, A. L. and Hanks, S. (2014). Defining and Profiling Serial Domestic Abuse Perpetrators: "
    "An All-Wales Feasibility Review. Cardiff University.",
    "Cleary, T. A. (1968). Test bias: prediction of grades of Negro and white students in integrated colleges. "
    "Journal of Educational Measurement 5: 115-124.",
    "Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70: 213-220.",
    "Cox, D. R. (1958). Two further applications of a model for binary regression. Biometrika 45: 562-565.",
    "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika 16: 297-334.",
    "Davies, P. A. and Biddle, P. (2018). Implementing a perpetrator-focused partnership approach to tackling "
    "domestic abuse. European Journal of Criminology 15: 468-488.",
    "DeLong, E. R., DeLong, D. M. and Clarke-Pearson, D. L. (1988). Comparing the areas under two or more correlated "
    "receiver operating characteristic curves. Biometrics 44: 837-845.",
    "Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability coefficient twenty. "
    "Psychometrika 30: 357-370.",
    "Fleiss, J. L., Cohen, J. and Everitt, B. S. (1969). Large sample standard errors of kappa and weighted kappa. "
    "Psychological Bulletin 72: 323-327.",
    "Grogger, J., Gupta, S., Ivandic, R. and Kirchmaier, T. (2021). Comparing conventional and machine-learning "
    "approaches to risk assessment in domestic abuse cases. Journal of Empirical Legal Studies 18: 90-130.",
    "Koo, T. K. and Li, M. Y. (2016). A guideline of selecting and reporting intraclass correlation coefficients for "
    "reliability research. Journal of Chiropractic Medicine 15: 155-163.",
    "Harrell, F. E., Lee, K. L. and Mark, D. B. (1996). Multivariable prognostic models. Statistics in Medicine 15: "
    "361-387.",
    "McDonald, R. P. (1999). Test Theory: A Unified Treatment. Erlbaum.",
    "McGraw, K. O. and Wong, S. P. (1996). Forming inferences about some intraclass correlation coefficients. "
    "Psychological Methods 1: 30-46.",
    "Messing, J. T. and Thaller, J. (2013). The average predictive validity of intimate partner violence risk "
    "assessment instruments. Journal of Interpersonal Violence 28: 1537-1558.",
    "Pepe, M. S., Kerr, K. F., Longton, G. and Wang, Z. (2013). Testing for improvement in prediction model "
    "performance. Statistics in Medicine 32: 1467-1482.",
    "Robinson, A. and Clancy, A. (2015). Development of the Priority Perpetrator Identification Tool (PPIT) for "
    "domestic abuse. Cardiff University.",
    "Sherman, L., Neyroud, P. W. and Neyroud, E. (2016). The Cambridge Crime Harm Index: measuring total harm from "
    "crime based on sentencing guidelines. Policing 10: 171-183.",
    "Shrout, P. E. and Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater reliability. "
    "Psychological Bulletin 86: 420-428.",
    "Uno, H., Cai, T., Tian, L. and Wei, L. J. (2007). Evaluating prediction rules for t-year survivors with "
    "censored regression models. Journal of the American Statistical Association 102: 527-537.",
    "Van Calster, B., Nieboer, D., Vergouwe, Y., De Cock, B., Pencina, M. J. and Steyerberg, E. W. (2016). A "
    "calibration hierarchy for risk models was defined: from utopia to empirical data. Journal of Clinical "
    "Epidemiology 74: 167-176.",
    "Vickers, A. J. and Elkin, E. B. (2006). Decision curve analysis: a novel method for evaluating prediction "
    "models. Medical Decision Making 26: 565-574.",
    "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. Journal of the "
    "American Statistical Association 22: 209-212.",
)
"""The reference list printed at the end of the PPIT validity report, in the order printed: one
string per work (authors, year, title, journal, volume and pages), covering the methods and the
benchmarks the report cites."""


_P = "foundation_eval.ppit."
TECHNICAL_APPENDIX = (
    ("The study", (f"{_P}study.fit_ppit_study, fitted once when the render's snapshot is built (study \"ppit\"); "
                   f"a variant for another outcome or window is fitted by the notebook with {_P}study.ppit_study",)),
    ("Sample, outcome and baselines", (f"{_P}validity.validation_frame", f"{_P}validity.outcome_definition",
                                       f"{_P}validity.rfg_scores")),
    ("Discrimination", (f"{_P}auc", f"{_P}delong_test",
                        f"{_P}study.PpitStudy.cutoffs_at (the counts behind the ROC curves; sensitivity and "
                        "specificity are worked out from the published counts)")),
    ("Time to the outcome", (f"{_P}harrell_c", f"{_P}time_dependent_auc")),
    ("Does the PPIT add to police data?", (f"{_P}incremental_value",)),
    ("Calibration", (f"{_P}validity.score_risk_model", f"{_P}study.PpitStudy.calibration_at (counts of the pooled "
                     "scores; observed shares from the published counts)",
                     f"{_P}validity.temporal_validation", f"{_P}calibration_in_the_large_and_slope")),
    ("Thresholds", (f"{_P}study.PpitStudy.cutoffs_at (counts at each cut-off; accuracy from the published counts, "
                    "foundation_eval.reporting.publication.Page.table shares)",
                    f"{_P}study.PpitStudy.decision_curve_at (the cut-off flagged at each threshold risk; net benefit "
                    f"as in {_P}decision_curve, from the published counts)")),
    ("Reliability between assessors", (f"{_P}validity.double_scored", f"{_P}validity.reliability_frame", f"{_P}icc",
                                       f"{_P}validity.limits_of_agreement", f"{_P}weighted_kappa", f"{_P}agreement")),
    ("Internal structure", (f"{_P}item_analysis", f"{_P}cronbach_alpha", f"{_P}omega",
                            f"{_P}compare_factor_structures")),
    ("Equity", (f"{_P}auc_by_group", f"{_P}calibration_by_group", f"{_P}differential_prediction",
                "flag rates, their intervals and ratios from the published counts")),
    ("Registered estimates", ("ppit_auc_12m: the AUC of the PPIT total for any DA offence within 12 months "
                              "(foundation_eval.evaluation.estimates.ppit_auc_12m)",
                              "ppit_icc2_total: ICC(2,1) of the total (foundation_eval.evaluation.estimates."
                              "ppit_icc2_total)")),
    ("Disclosure control", ("foundation_eval.reporting.ppit_tables.safe_bands (pooled scores, the tool's bands "
                            "and priority threshold kept as edges)",
                            "foundation_eval.reporting.disclosure.withheld_rows",
                            "foundation_eval.reporting.publication.Page (rounding, suppression, shares from published "
                            "counts, the links between tables and the intruder audit, Page.audit)")),
    ("This page", ("foundation_eval.reporting.ppit_report.PpitValidityReport", "notebooks/ppit_validity.ipynb")),
)
"""The code behind each section of the PPIT validity report, printed in its technical appendix.

A tuple of ``(section, names)`` pairs: the section's heading (or what it covers) and the dotted
names of the functions of the library that compute it, so that a researcher can reproduce every
number. The body of the page describes each method in words and cites its reference; code names
appear only here.
"""


def icc_words(v: float) -> str:
    """Koo & Li (2016) reading of an intraclass correlation coefficient (ICC) in words.

    The cut-offs are those of Koo and Li (2016, *Journal of Chiropractic Medicine* 15: 155-163):
    poor below 0.5, moderate from 0.5 to below 0.75, good from 0.75 to below 0.9, excellent from 0.9.
    A value exactly on a cut-off takes the higher word. The report applies it to the ICC estimate and
    to both ends of its confidence interval.

    Parameters
    ----------
    v : float
        An ICC (or a bound of its interval), normally between 0 and 1; a negative value reads as
        "poor".

    Raises
    ------
    ValueError
        When `v` is missing or not finite: there is nothing to describe.

    Returns
    -------
    str
        One of ``"poor"``, ``"moderate"``, ``"good"`` or ``"excellent"``.

    Examples
    --------
    >>> [icc_words(v) for v in (0.3, 0.5, 0.74, 0.75, 0.89, 0.9)]
    ['poor', 'moderate', 'moderate', 'good', 'good', 'excellent']
    >>> icc_words(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: no ICC to describe (got nan)
    """
    if v is None or not math.isfinite(v):
        raise ValueError(f"no ICC to describe (got {v!r})")
    return "poor" if v < 0.5 else "moderate" if v < 0.75 else "good" if v < 0.9 else "excellent"
