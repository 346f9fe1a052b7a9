"""Layer 2, generalisation over benchmarks (STATISTICS.md §1.6): random-effects meta-regression of the
per-suite latent gains on a targeted indicator with the Hartung-Knapp-Sidik-Jonkman (HKSJ) scale, its
modified version (q ← max(q, 1); Röver, Knapp & Friede 2015), and the exact suite-label permutation test.

Suites are the units here, so the effective sample size is the number of suites: with 2 + 2 suites no
generalisation is testable, whatever the item counts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from harness.stats.estimate import Estimate, TestResult


def _design(s: int, targeted: np.ndarray | None) -> np.ndarray:
    if targeted is None:
        return np.ones((s, 1))
    return np.column_stack([np.ones(s), np.asarray(targeted, float)])


def _wls(y: np.ndarray, w: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """β, (X'WX)^-1 and the weighted residual sum of squares Σw(y - Xβ)²."""
    xtw = x.T * w
    cov = np.linalg.inv(xtw @ x)
    beta = cov @ (xtw @ y)
    resid = y - x @ beta
    return beta, cov, float(np.sum(w * resid * resid))


def tau2_dl(y: np.ndarray, v: np.ndarray, x: np.ndarray | None = None) -> float:
    """DerSimonian-Laird (one-step method of moments) between-suite variance, with covariates `x`."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    x = np.ones((y.size, 1)) if x is None else x
    w = 1 / v
    _, cov, q = _wls(y, w, x)
    trace = w.sum() - np.trace(cov @ ((x.T * w * w) @ x))
    return max(0.0, (q - (y.size - x.shape[1])) / trace)


def tau2_pm(y: np.ndarray, v: np.ndarray, x: np.ndarray | None = None) -> float:
    """Paule-Mandel between-suite variance: the τ² at which the generalised Q equals its df."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    x = np.ones((y.size, 1)) if x is None else x
    df = y.size - x.shape[1]

    def excess(t2: float) -> float:
        return _wls(y, 1 / (v + t2), x)[2] - df

    if df <= 0 or excess(0.0) <= 0:
        return 0.0
    hi = max(float(np.var(y)) * 10, 1e-8)
    while excess(hi) > 0:
        hi *= 10
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-14, rtol=1e-12))


@dataclass(frozen=True)
class MetaFit:
    """A random-effects (meta-)regression fit: coefficients, their FE-weighted SEs, τ² and the HKSJ q."""

    beta: np.ndarray
    se: np.ndarray  # model-based SE with weights 1/(v + τ²), before the HKSJ scale
    tau2: float
    q: float  # HKSJ scale Σw(y - ŷ)²/(S - p)
    df: int


def fit_random_effects(y: np.ndarray, v: np.ndarray, targeted: np.ndarray | None = None,
                       tau2_method: str = "pm") -> MetaFit:
    """Weighted least squares with weights 1/(v + τ̂²), intercept (+ targeted indicator)."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    x = _design(y.size, targeted)
    if tau2_method == "pm":
        tau2 = tau2_pm(y, v, x)
    elif tau2_method == "dl":
        tau2 = tau2_dl(y, v, x)
    else:
        raise ValueError("tau2_method must be 'pm' (Paule-Mandel) or 'dl' (DerSimonian-Laird)")
    w = 1 / (v + tau2)
    beta, cov, rss = _wls(y, w, x)
    df = y.size - x.shape[1]
    return MetaFit(beta, np.sqrt(np.diag(cov)), tau2, rss / df if df > 0 else math.nan, df)


def _hksj_estimate(fit: MetaFit, j: int, modified: bool, hksj: bool, level: float, method: str) -> Estimate:
    est = float(fit.beta[j])
    if hksj:
        q = max(fit.q, 1.0) if modified else fit.q
        se = float(fit.se[j]) * math.sqrt(q)
        if fit.df < 1 or not math.isfinite(se):
            return Estimate(est, math.nan, (math.nan, math.nan), math.nan, method, "no residual df")
        crit = float(stats.t.ppf(0.5 + level / 2, fit.df))
        p = float(2 * stats.t.sf(abs(est) / se, fit.df)) if se > 0 else math.nan
    else:
        se = float(fit.se[j])
        crit = float(stats.norm.ppf(0.5 + level / 2))
        p = float(2 * stats.norm.sf(abs(est) / se))
    note = f"tau = {math.sqrt(fit.tau2):.3g}" + (f", t({fit.df})" if hksj else "")
    return Estimate(est, se, (est - crit * se, est + crit * se), p, method, note, level)


def random_effects_mean(y: np.ndarray, v: np.ndarray, *, tau2_method: str = "dl", hksj: bool = False,
                        modified: bool = False, level: float = 0.95) -> Estimate:
    """Random-effects pooled mean (intercept-only), optionally with the HKSJ t-interval (KA16)."""
    fit = fit_random_effects(y, v, None, tau2_method)
    name = {True: "HKSJ random-effects mean", False: "random-effects mean"}[hksj]
    return _hksj_estimate(fit, 0, modified, hksj, level, f"{name} ({tau2_method.upper()})")


def meta_regression(y: np.ndarray, v: np.ndarray, targeted: np.ndarray, *, tau2_method: str = "pm",
                    modified: bool = False, level: float = 0.95) -> Estimate:
    """Targeted-minus-untargeted coefficient of the random-effects meta-regression
    y_s = β0 + β1·1[s ∈ T] + u_s + e_s, with the HKSJ scale and t(S - 2) (`modified`: q ← max(q, 1))."""
    t = np.asarray(targeted, bool)
    if t.sum() < 1 or (~t).sum() < 1 or t.size < 3:
        return Estimate(math.nan, math.nan, (math.nan, math.nan), math.nan, "HKSJ meta-regression",
                        "needs at least 3 suites with both groups present")
    fit = fit_random_effects(y, v, t, tau2_method)
    name = "modified HKSJ meta-regression" if modified else "HKSJ meta-regression"
    return _hksj_estimate(fit, 1, modified, True, level, f"{name} ({tau2_method.upper()} tau²)")


#: Beyond this many relabelings the permutation test samples them (Monte Carlo) instead of enumerating.
MAX_ENUMERATE = 200_000


def suite_permutation_test(values: np.ndarray, targeted: np.ndarray, *, seed: int = 0,
                           n_random: int = 100_000) -> TestResult:
    """Exact suite-label permutation test of A = mean_T - mean_U over all C(S, S_T) relabelings.

    Two-sided p = #{|A*| ≥ |A|}/N; `extra` holds the one-sided p (#{A* ≥ A}/N), the number of labelings
    and the smallest one-sided p the design allows (1/C(S, S_T): 2+2 → 1/6, 3+3 → 1/20; KA18). Beyond
    MAX_ENUMERATE labelings, `n_random` random relabelings (seeded) are used and `exact` is false.
    """
    y = np.asarray(values, float)
    t = np.asarray(targeted, bool)
    s, st = y.size, int(t.sum())
    su = s - st
    if st == 0 or su == 0:
        return TestResult(math.nan, math.nan, "suite-label permutation", extra={"n_labelings": 0})
    observed = y[t].mean() - y[~t].mean()
    n_all = math.comb(s, st)
    if n_all <= MAX_ENUMERATE:
        combos = np.array(list(itertools.combinations(range(s), st)), dtype=np.intp)
        exact = True
    else:
        rng = np.random.default_rng(seed)
        combos = np.argsort(rng.random((n_random, s)), axis=1)[:, :st]
        exact = False
    total = y.sum()
    sum_t = y[combos].sum(axis=1)
    a_star = sum_t / st - (total - sum_t) / su
    tol = 1e-12 * max(1.0, float(np.abs(y).max()))
    p_two = float(np.mean(np.abs(a_star) >= abs(observed) - tol))
    p_one = float(np.mean(a_star >= observed - tol))
    method = "exact suite-label permutation" if exact else f"suite-label permutation ({n_random} random labelings)"
    return TestResult(float(observed), p_two, method,
                      extra={"p_one_sided": p_one, "n_labelings": int(n_all), "exact": exact,
                             "min_p_one_sided": 1 / n_all})


def baseline_adjusted(y: np.ndarray, v: np.ndarray, targeted: np.ndarray, baseline_logit: np.ndarray, *,
                      level: float = 0.95) -> Estimate:
    """Targeted coefficient of y_s = β0 + β1·1[s ∈ T] + β2·logit(old accuracy_s) + u_s + e_s (Paule-Mandel τ²,
    HKSJ scale, t(S − 3)): the per-suite gain adjusted for where each suite started (§1.4b item 2, a
    robustness row). Meaningful only when the groups' starting levels overlap; needs 4 or more suites."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    t = np.asarray(targeted, bool)
    method = "baseline-adjusted meta-regression (suite gain on category and starting logit; PM tau², HKSJ)"
    if y.size < 4 or not t.any() or t.all():
        return Estimate(math.nan, math.nan, (math.nan, math.nan), math.nan, method, "needs at least 4 suites")
    x = np.column_stack([np.ones(y.size), t.astype(float), np.asarray(baseline_logit, float)])
    if np.linalg.matrix_rank(x) < 3:  # e.g. every suite starts at the same level: no slope to adjust with
        return Estimate(math.nan, math.nan, (math.nan, math.nan), math.nan, method,
                        "not computed: the starting levels do not vary apart from the category")
    tau2 = tau2_pm(y, v, x)
    beta, cov, rss = _wls(y, 1 / (v + tau2), x)
    df = y.size - 3
    q = rss / df
    se = float(math.sqrt(cov[1, 1] * q))
    est = float(beta[1])
    crit = float(stats.t.ppf(0.5 + level / 2, df))
    p = float(2 * stats.t.sf(abs(est) / se, df)) if se > 0 else math.nan
    return Estimate(est, se, (est - crit * se, est + crit * se), p, method,
                    f"tau = {math.sqrt(tau2):.3g}, t({df}); slope on the starting logit {beta[2]:.3g}", level)
