"""Proportions and paired binary comparisons: Wilson and Clopper-Pearson intervals, McNemar's tests
(mid-p primary), and paired-difference intervals (Tango's score interval, Newcombe's method 10, Wald).

Paired notation follows Newcombe (1998b): over n pairs, e = both succeed, f = first only (a loss when the
first is the old release), g = second only (a gain), h = both fail. Tango's interval is written for
Δ = (b - c)/n with b and c the two discordant counts. STATISTICS.md §1.5.2 and §2 KA1-KA6.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from harness.stats.estimate import Estimate, TestResult


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_ci(x: np.ndarray | float, n: np.ndarray | float, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for x successes in n trials (vectorised; n = 0 gives (0, 1))."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    empty = n <= 0
    lo, hi = np.where(empty, 0.0, lo), np.where(empty, 1.0, hi)
    # at x = 0 (x = n) the exact bound is 0 (1); remove rounding dust
    return np.where(x <= 0, 0.0, lo), np.where(x >= n, 1.0, hi)


def clopper_pearson_ci(x: np.ndarray | float, n: np.ndarray | float,
                       level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper-Pearson) interval for x successes in n trials (vectorised)."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    a = 1 - level
    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, stats.beta.ppf(a / 2, x, n - x + 1), 0.0)
        hi = np.where(x < n, stats.beta.ppf(1 - a / 2, x + 1, n - x), 1.0)
    return np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=1.0)


def mcnemar(gains: int, losses: int, method: str = "midp") -> TestResult:
    """McNemar's test that gains and losses are equally likely among discordant pairs.

    `method`: "midp" (primary: Fagerland et al. 2013 found it never exceeded the nominal level),
    "exact" (conditional binomial), "asymptotic" (z, no correction) or "corrected" (continuity-corrected
    chi-square, R's `mcnemar.test`). With several samples per item, pass the items whose mean score rose
    (gains) and fell (losses): the mid-p is then the sign test over items, valid because under the null
    the two releases are exchangeable within each item.
    """
    g, lo = int(gains), int(losses)
    n = g + lo
    if n == 0:
        return TestResult(0.0, 1.0, f"McNemar {method} (no discordant items)")
    if method == "midp":
        p = 2 * stats.binom.cdf(min(g, lo), n, 0.5) - stats.binom.pmf(g, n, 0.5)
        return TestResult(float(min(g, lo)), float(min(1.0, p)), "McNemar mid-p")
    if method == "exact":
        p = min(1.0, 2 * stats.binom.cdf(min(g, lo), n, 0.5))
        return TestResult(float(min(g, lo)), float(p), "McNemar exact conditional")
    if method == "asymptotic":
        z = (g - lo) / math.sqrt(n)
        return TestResult(z, float(2 * stats.norm.sf(abs(z))), "McNemar asymptotic z")
    if method == "corrected":
        chi2 = (abs(g - lo) - 1) ** 2 / n
        return TestResult(chi2, float(stats.chi2.sf(chi2, 1)), "McNemar continuity-corrected chi-square", df=1)
    raise ValueError(f"unknown McNemar method {method!r}; use midp, exact, asymptotic or corrected")


def paired_wald(b: int, c: int, n: int, level: float = 0.95) -> Estimate:
    """Δ = (b - c)/n with the textbook Wald SE sqrt((b + c) - (b - c)²/n)/n (Agresti; KA2)."""
    delta = (b - c) / n
    se = math.sqrt(max((b + c) - (b - c) ** 2 / n, 0.0)) / n
    z = _z(level)
    p = 2 * stats.norm.sf(abs(delta) / se) if se > 0 else (1.0 if delta == 0 else 0.0)
    return Estimate(delta, se, (delta - z * se, delta + z * se), float(p), "paired Wald", level=level)


def tango_score(b: float, c: float, n: float, delta0: float) -> float:
    """Tango's (1998) score statistic for H0: Δ = delta0, with Δ = (b - c)/n (restricted MLE of the
    c-cell probability in closed form). Positive when the observed Δ exceeds delta0."""
    a_ = 2 * n
    b_ = -b - c + (2 * n - b + c) * delta0
    c_ = -c * delta0 * (1 - delta0)
    p21 = (math.sqrt(max(b_ * b_ - 4 * a_ * c_, 0.0)) - b_) / (2 * a_)
    var = n * (2 * p21 + delta0 * (1 - delta0))
    num = b - c - n * delta0
    if var <= 0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return num / math.sqrt(var)


def tango_ci(b: float, c: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Tango's score interval for the paired difference Δ = (b - c)/n (PropCIs `scoreci.mp`; KA3-KA5)."""
    if n <= 0:
        return (-1.0, 1.0)
    z = _z(level)
    delta = (b - c) / n
    eps = 1e-12
    lo = -1.0 if delta <= -1 + eps else optimize.brentq(
        lambda d: tango_score(b, c, n, d) - z, -1 + eps, delta, xtol=1e-12)
    hi = 1.0 if delta >= 1 - eps else optimize.brentq(
        lambda d: tango_score(b, c, n, d) + z, delta, 1 - eps, xtol=1e-12)
    return (float(lo), float(hi))


def newcombe_paired_ci(e: int, f: int, g: int, h: int, level: float = 0.95,
                       phi: str = "corrected") -> tuple[float, float]:
    """Newcombe's (1998b) method 10 interval for Δ = p1 - p2 = (f - g)/n, from Wilson intervals.

    `phi="corrected"` (the default, as Newcombe published it): the correlation's numerator eh - fg is
    replaced by max(eh - fg - n/2, 0) when eh > fg; "uncorrected" uses eh - fg. They differ only when
    eh > fg (KA4 pins both).
    """
    n = e + f + g + h
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = (float(v) for v in wilson_ci(e + f, n, level))
    l2, u2 = (float(v) for v in wilson_ci(e + g, n, level))
    num = e * h - f * g
    if phi == "corrected":
        if num > 0:
            num = max(num - n / 2, 0.0)
    elif phi != "uncorrected":
        raise ValueError("phi must be 'corrected' or 'uncorrected'")
    denom = math.sqrt((e + f) * (g + h) * (e + g) * (f + h))
    r = num / denom if denom > 0 else 0.0
    delta = p1 - p2
    lo = delta - math.sqrt(max((p1 - l1) ** 2 - 2 * r * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    hi = delta + math.sqrt(max((u1 - p1) ** 2 - 2 * r * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return (max(lo, -1.0), min(hi, 1.0))


def newcombe_unpaired_ci(x1: float, n1: float, x0: float, n0: float,
                         level: float = 0.95) -> tuple[float, float]:
    """Newcombe's (1998a) hybrid score interval for p1 - p0 from two independent samples (score mode)."""
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = (float(v) for v in wilson_ci(x1, n1, level))
    l0, u0 = (float(v) for v in wilson_ci(x0, n0, level))
    delta = p1 - p0
    return (delta - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
            delta + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2))
