"""Flatness claims (STATISTICS.md §1.8): two one-sided tests (TOST) against a pre-registered margin, and
the intersection-union conjunction "targeted disproportionate AND untargeted flat" (Berger 1982).

A non-significant gain is not evidence of flatness: "flat" is said only when the 90% interval lies inside
(-margin, +margin).
"""

from __future__ import annotations

import math

from scipy import stats

from harness.stats.estimate import TestResult
from harness.stats.proportions import tango_ci, tango_score


def tost(estimate: float, se: float, margin: float, *, df: float | None = None, alpha: float = 0.05) -> TestResult:
    """TOST of |θ| < margin from an estimate and its SE (normal, or t with `df`). p = max of the two
    one-sided p-values; `extra` holds the (1 - 2α) interval and whether equivalence was shown."""
    dist = stats.norm if df is None else stats.t(df)
    if se == 0 and math.isfinite(estimate):  # no sampling variation (every item changed alike): a point
        inside = abs(estimate) < margin
        return TestResult(math.inf if inside else -math.inf, 0.0 if inside else 1.0, "TOST (zero SE)", df,
                          {"ci": [estimate, estimate], "equivalent": inside, "margin": margin})
    if not (math.isfinite(se) and se > 0 and math.isfinite(estimate)):
        return TestResult(math.nan, math.nan, "TOST", df, {"ci": [math.nan, math.nan], "equivalent": False})
    p_lower = float(dist.sf((estimate + margin) / se))  # H0: θ ≤ -margin
    p_upper = float(dist.cdf((estimate - margin) / se))  # H0: θ ≥ +margin
    p = max(p_lower, p_upper)
    crit = float(dist.ppf(1 - alpha))
    ci = [estimate - crit * se, estimate + crit * se]
    return TestResult(min(abs(estimate + margin), abs(estimate - margin)) / se, p,
                      "TOST (normal)" if df is None else "TOST (t)", df,
                      {"ci": ci, "equivalent": bool(p < alpha), "margin": margin})


def tango_tost(b: int, c: int, n: int, margin: float, *, alpha: float = 0.05) -> TestResult:
    """TOST for a paired difference of proportions Δ = (b - c)/n with Tango's score statistic: Tango (1998)
    is explicitly an equivalence test for paired proportions. The interval is Tango's (1 - 2α) one."""
    z_lo = tango_score(b, c, n, -margin)  # large when Δ is well above -margin
    z_hi = tango_score(b, c, n, margin)  # very negative when Δ is well below +margin
    p = max(float(stats.norm.sf(z_lo)), float(stats.norm.cdf(z_hi)))
    ci = list(tango_ci(b, c, n, 1 - 2 * alpha))
    return TestResult(min(z_lo, -z_hi), p, "TOST (Tango score)", None,
                      {"ci": ci, "equivalent": bool(p < alpha), "margin": margin})


def intersection_union(p_values: list[float], alpha: float = 0.05) -> TestResult:
    """Berger's intersection-union test: the conjunction of claims holds at level α when every component
    null is rejected at α, with no multiplicity adjustment; its p-value is the largest component p."""
    p = max(p_values) if p_values else math.nan
    return TestResult(math.nan, p, "intersection-union (Berger 1982)", None,
                      {"holds": bool(p_values) and all(q < alpha for q in p_values)})
