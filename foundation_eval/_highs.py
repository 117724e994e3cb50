"""A HiGHS linear program kept between solves, for many objectives over one feasible set.

scipy's ``linprog`` builds and solves a model from scratch on every call; a test inversion or an
audit asks thousands of questions of the same constraints, and re-solving one model from its last
optimal basis costs a few simplex pivots instead (highspy, the HiGHS project's own bindings).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["highs_model"]


def highs_model(a, row_lower, row_upper, col_lower, col_upper, integer=None):
    """A quiet HiGHS model of ``row_lower <= A x <= row_upper``, ``col_lower <= x <= col_upper``, costs zero.

    Parameters
    ----------
    a : array-like or scipy sparse matrix
        Constraint matrix, one row per constraint (may have no rows).
    row_lower, row_upper, col_lower, col_upper : array-like
        Bounds; ``numpy.inf`` for none.
    integer : array-like of bool, optional
        Columns that must take whole values (a mixed-integer program); none by default.

    Returns
    -------
    highspy.Highs
        The model with output switched off; set costs with ``changeColsCost`` and call ``run``.

    Examples
    --------
    >>> import numpy as np
    >>> h = highs_model([[1.0, 1.0]], [1.0], [1.0], [0.0, 0.0], [np.inf, np.inf])  # x + y = 1, x, y >= 0
    >>> _ = h.changeColsCost(2, np.array([0, 1], dtype=np.int32), np.array([2.0, 1.0]))   # min 2x + y
    >>> _ = h.run()
    >>> [round(v, 6) for v in h.getSolution().col_value]
    [0.0, 1.0]
    """
    import highspy

    m = sp.csc_matrix(a, dtype=float)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = m.shape[1]
    lp.col_cost_ = np.zeros(m.shape[1])
    lp.col_lower_ = np.maximum(np.asarray(col_lower, float), -inf)
    lp.col_upper_ = np.minimum(np.asarray(col_upper, float), inf)
    if m.shape[0]:
        lp.num_row_ = m.shape[0]
        lp.row_lower_ = np.maximum(np.asarray(row_lower, float), -inf)
        lp.row_upper_ = np.minimum(np.asarray(row_upper, float), inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = m.indptr, m.indices, m.data
    if integer is not None and np.any(integer):
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(bool(k))] for k in integer]
    # the solver without the Python callbacks, whose set-up prints HiGHS's banner before any option
    h = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h
