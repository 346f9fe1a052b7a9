"""Procedures the design calls *not primary*, kept so their failures can be shown (STATISTICS.md §1.6-1.7).

* `crve_suite`: the T-vs-U contrast of per-suite estimates with a suite-clustered (CR1) variance and
  t(G − 1). With one estimate per suite and G = S_T + S_U clusters it over-rejects at few suites (pilot:
  10.5% at 2+2, 6.9% at 3+3): the t(G − 1) reference is too light-tailed for a two-group contrast.
* `wild_cluster_bootstrap`: the restricted (null-imposed) wild cluster bootstrap-t of the same contrast
  (WCR), with Webb's six-point weights (±√1.5, ±1, ±√0.5) or Rademacher (±1). Small G makes few distinct
  draws (2^G for Rademacher), so all sign patterns are enumerated when that is cheap; MacKinnon & Webb show
  it fails when very few clusters are treated, which is our case below 4+4 suites.
* `naive_ddd_z`: suspect-minus-controls asymmetry over its sampling SE only. It ignores lab-to-lab
  heterogeneity τ_f and over-rejects (pilot 11-15% at a nominal one-sided 2.5%); the primary L3 test is
  `harness.stats.triple_difference`.

Each has a one-study form (returns an Estimate / TestResult) and a batch core over the rows of a matrix
(`*_batch`), which the calibration simulation calls thousands of times.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import stats

from harness.stats.estimate import Estimate, TestResult

WEBB_POINTS = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
RADEMACHER_POINTS = np.array([-1.0, 1.0])
WEIGHTS = {"webb": WEBB_POINTS, "rademacher": RADEMACHER_POINTS}
MAX_ENUMERATE = 50_000  # enumerate all weight patterns when there are at most this many


def _design(targeted: np.ndarray) -> np.ndarray:
    t = np.asarray(targeted, bool)
    if t.sum() < 1 or (~t).sum() < 1:
        raise ValueError("needs at least one targeted and one untargeted suite")
    return np.column_stack([np.ones(t.size), t.astype(float)])


def _crve_parts(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """β1 and its CR1 cluster-robust SE for every row of y (one observation per cluster).

    With H = (X'X)^-1 X', β = H y and V = c·H diag(e²) H' with c = G/(G−1)·(N−1)/(N−K): statsmodels'
    `cov_type='cluster'` default correction."""
    g, k = x.shape
    h = np.linalg.solve(x.T @ x, x.T)
    beta = y @ h.T
    resid = y - beta @ x.T
    c = g / (g - 1) * (g - 1) / (g - k)  # N = G here, so this is G/(G − K)
    var1 = c * (resid**2) @ (h[1] ** 2)
    return beta[..., 1], np.sqrt(var1)


def crve_suite_batch(values: np.ndarray, targeted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of per-suite estimates → (estimate, SE, two-sided p with t(G − 1))."""
    y = np.atleast_2d(np.asarray(values, float))
    x = _design(targeted)
    est, se = _crve_parts(y, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.t.sf(np.abs(est / se), x.shape[0] - 1)
    return est, se, p


def crve_suite(values: np.ndarray, targeted: np.ndarray, *, level: float = 0.95) -> Estimate:
    """Targeted-minus-untargeted contrast of per-suite estimates, suite-clustered CR1 SE, t(G − 1).
    Robustness row only: it over-rejects with few suites (§1.6)."""
    est, se, p = (float(v[0]) for v in crve_suite_batch(values, targeted))
    g = np.asarray(targeted).size
    half = float(stats.t.ppf(0.5 + level / 2, g - 1)) * se
    return Estimate(est, se, (est - half, est + half), p, f"suite-clustered CRVE, t({g - 1})",
                    "not primary: over-rejects with few suites (methods §3.4)", level)


def weight_patterns(g: int, kind: str = "webb", *, n_boot: int = 9_999, rng: np.random.Generator | None = None,
                    max_enumerate: int = MAX_ENUMERATE) -> tuple[np.ndarray, bool]:
    """(patterns, exhaustive): every weight pattern for G clusters when there are at most `max_enumerate`
    of them, else `n_boot` random draws."""
    points = WEIGHTS[kind]
    if len(points) ** g <= max_enumerate:
        return np.array(list(itertools.product(points, repeat=g))), True
    rng = np.random.default_rng(0) if rng is None else rng
    return points[rng.integers(0, len(points), size=(n_boot, g))], False


def wild_cluster_bootstrap_batch(values: np.ndarray, targeted: np.ndarray, patterns: np.ndarray, *,
                                 chunk: int = 256) -> np.ndarray:
    """Two-sided WCR p-values for every row of per-suite estimates (clusters = suites), given weight
    patterns (B, G) from `weight_patterns`, shared by all rows, or (rows, B, G), one set per row.

    Null imposed: ẽ = y − ȳ; y* = ȳ + w·ẽ; t* = β1*/SE*_CR1; p = mean(|t*| ≥ |t|)."""
    y = np.atleast_2d(np.asarray(values, float))
    x = _design(targeted)
    est, se = _crve_parts(y, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_obs = np.abs(est / se)
    out = np.empty(y.shape[0])
    for start in range(0, y.shape[0], chunk):
        rows = slice(start, start + chunk)
        centre = y[rows].mean(axis=1, keepdims=True)
        resid = y[rows] - centre
        w = patterns[None, :, :] if patterns.ndim == 2 else patterns[rows]
        ystar = centre[:, None, :] + w * resid[:, None, :]  # (rows, B, G)
        b_est, b_se = _crve_parts(ystar, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.abs(b_est / b_se)
        t_star = np.where(np.isfinite(t_star), t_star, 0.0)
        out[rows] = np.mean(t_star >= t_obs[rows, None] * (1 - 1e-12), axis=1)
    return out


def wild_cluster_bootstrap(values: np.ndarray, targeted: np.ndarray, *, kind: str = "webb",
                           n_boot: int = 9_999, seed: int = 0) -> TestResult:
    """Restricted wild cluster bootstrap-t (WCR) of the T-vs-U contrast of per-suite estimates.
    Robustness row only (§1.6): valid from about 4+4 suites. All weight patterns are used when there are
    at most MAX_ENUMERATE of them (Rademacher p-values are then multiples of 2^-G), else `n_boot` draws."""
    if kind not in WEIGHTS:
        raise ValueError(f"kind must be one of {sorted(WEIGHTS)}")
    y = np.asarray(values, float)
    x = _design(targeted)
    patterns, exhaustive = weight_patterns(x.shape[0], kind, n_boot=n_boot, rng=np.random.default_rng(seed))
    p = float(wild_cluster_bootstrap_batch(y, targeted, patterns)[0])
    est, se = (float(v[0]) for v in _crve_parts(y[None, :], x))
    return TestResult(est / se if se > 0 else math.nan, p, f"wild cluster bootstrap-t, restricted ({kind} weights)",
                      extra={"n_patterns": int(len(patterns)), "exhaustive": exhaustive, "estimate": est,
                             "note": "not primary: unreliable below 4+4 suites (methods §3.4)"})


def naive_ddd_z_batch(a0: np.ndarray, v0: np.ndarray, controls: np.ndarray,
                      v_controls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows → (z, one-sided p) of (A0 − Ā_c)/sqrt(v0 + Σv_c/C²): sampling error only."""
    c = np.atleast_2d(np.asarray(controls, float))
    vc = np.atleast_2d(np.asarray(v_controls, float))
    n = c.shape[1]
    z = (np.asarray(a0, float) - c.mean(axis=1)) / np.sqrt(np.asarray(v0, float) + vc.sum(axis=1) / n**2)
    return z, stats.norm.sf(z)


def naive_ddd_z(a0: float, v0: float, controls: np.ndarray, v_controls: np.ndarray) -> TestResult:
    """The naive suspect-minus-controls z-test using sampling SEs only (documented-invalid, §1.7)."""
    z, p = naive_ddd_z_batch(np.array([a0]), np.array([v0]), np.asarray(controls)[None, :],
                             np.asarray(v_controls)[None, :])
    return TestResult(float(z[0]), float(p[0]), "naive triple-difference z (sampling SEs only, one-sided)",
                      extra={"note": "not valid: ignores lab-to-lab heterogeneity (methods §3.5)"})
