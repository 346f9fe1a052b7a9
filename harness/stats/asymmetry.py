"""Layer 1 aggregation (STATISTICS.md §1.4): equal-weight group means of per-suite gains and their
difference, the asymmetry A = mean over targeted suites - mean over untargeted suites.

Suites have disjoint items, so their estimates are independent and the variance is
Σ_T v_s/S_T² + Σ_U v_s/S_U². The same aggregation serves every scale (latent, pp, normalised).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from harness.stats.estimate import Estimate


def _wald(est: float, var: float, level: float, method: str, note: str) -> Estimate:
    se = math.sqrt(var) if var >= 0 else math.nan
    if not (math.isfinite(est) and math.isfinite(se)):
        return Estimate(est, se, (math.nan, math.nan), math.nan, method, note, level)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else (1.0 if est == 0 else 0.0)
    return Estimate(est, se, (est - z * se, est + z * se), p, method, note, level)


def group_mean(values: np.ndarray, variances: np.ndarray, *, level: float = 0.95,
               method: str = "equal-weight mean of suites") -> Estimate:
    """Equal-weight mean of independent per-suite estimates, SE sqrt(Σv)/S (e.g. a group's latent gain;
    exp of it is the group's gain/loss ratio)."""
    y, v = np.asarray(values, float), np.asarray(variances, float)
    s = y.size
    if s == 0:
        return Estimate(math.nan, math.nan, (math.nan, math.nan), math.nan, method, "no suites")
    return _wald(float(y.mean()), float(v.sum()) / s**2, level, method, "")


def asymmetry(values: np.ndarray, variances: np.ndarray, targeted: np.ndarray, *, level: float = 0.95,
              method: str = "difference of equal-weight suite means", note: str = "") -> Estimate:
    """A = mean_T(values) - mean_U(values) with variance Σ_T v/S_T² + Σ_U v/S_U², z-test and normal
    interval (§1.4). `targeted` is a bool mask over suites; both groups need at least one suite."""
    y, v = np.asarray(values, float), np.asarray(variances, float)
    t = np.asarray(targeted, bool)
    st, su = int(t.sum()), int((~t).sum())
    if st == 0 or su == 0:
        return Estimate(math.nan, math.nan, (math.nan, math.nan), math.nan, method,
                        "needs at least one targeted and one untargeted suite")
    est = float(y[t].mean() - y[~t].mean())
    var = float(v[t].sum() / st**2 + v[~t].sum() / su**2)
    return _wald(est, var, level, method, note)
