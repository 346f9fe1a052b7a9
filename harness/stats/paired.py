"""Paired percentage-point analyses over items (Miller 2024, STATISTICS.md §1.5.1): the mean paired
difference with its clustered SE, and the normalised gain (Hake 1998) with a delta-method SE.

Both are reported as robustness rows beside the latent scale and labelled ceiling-sensitive: suites that
start near 100% cannot gain many points, so pp comparisons between suites with different baselines are
biased toward finding an asymmetry (§1.3).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from harness.stats.estimate import Estimate


def mean_se(influence: np.ndarray, clusters: np.ndarray | None = None, *, correction: bool = True) -> float:
    """SE of a mean from per-item influence values (centred, mean-zero): sqrt(Σ_c (Σ_{i∈c} u_i)²)/n,
    times sqrt(C/(C-1)) when `correction` (statsmodels' and Inspect AI's default). Without clusters each
    item is its own cluster, which with the correction is the usual sd(ddof=1)/sqrt(n)."""
    u = np.asarray(influence, float)
    n = u.size
    if n < 2:
        return math.nan
    if clusters is None:
        sums, c = u, n
    else:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
        c = int(codes.max()) + 1
        sums = np.bincount(codes, weights=u, minlength=c)
    if c < 2:
        return math.nan
    se = math.sqrt(float(np.dot(sums, sums))) / n
    return se * math.sqrt(c / (c - 1)) if correction else se


def _wald(est: float, se: float, level: float, method: str, note: str = "") -> Estimate:
    z = float(stats.norm.ppf(0.5 + level / 2))
    if not math.isfinite(se) or not math.isfinite(est):
        return Estimate(est, se, (math.nan, math.nan), math.nan, method, note, level)
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else (1.0 if est == 0 else 0.0)
    return Estimate(est, se, (est - z * se, est + z * se), p, method, note, level)


def paired_mean(values: np.ndarray, clusters: np.ndarray | None = None, *, correction: bool = True,
                level: float = 0.95) -> Estimate:
    """Mean of per-item values (usually paired differences d_i = ȳ1_i - ȳ0_i) with Miller's clustered SE
    (KA10) and a normal interval."""
    v = np.asarray(values, float)
    est = float(v.mean()) if v.size else math.nan
    se = mean_se(v - est, clusters, correction=correction)
    method = "paired mean, clustered SE (Miller)" if clusters is not None else "paired mean, CLT SE (Miller)"
    return _wald(est, se, level, method)


def normalized_gain(y1: np.ndarray, y0: np.ndarray, clusters: np.ndarray | None = None,
                    level: float = 0.95) -> Estimate:
    """Hake's normalised gain g = (p̄1 - p̄0)/(1 - p̄0) over paired per-item scores, with a delta-method SE
    from per-item influence values (clustered when `clusters` is given). Undefined when p̄0 = 1."""
    y1, y0 = np.asarray(y1, float), np.asarray(y0, float)
    p1, p0 = float(y1.mean()), float(y0.mean())
    method = "normalised gain (delta method)"
    if p0 >= 1:
        return Estimate(math.nan, math.nan, (math.nan, math.nan), math.nan, method,
                        "undefined: the old release already scores 100%")
    g = (p1 - p0) / (1 - p0)
    influence = (y1 - p1) / (1 - p0) + (p1 - 1) * (y0 - p0) / (1 - p0) ** 2
    return _wald(g, mean_se(influence, clusters), level, method, "ceiling-sensitive")
