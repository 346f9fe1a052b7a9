"""The latent (conditional log-odds) gain of one release over another: STATISTICS.md §1.3-1.4.

Each item is a 2x2 table (release x success) with x1 of k1 samples solved by the new release and x0 of
k0 by the old one. Under a Rasch model the odds of "newly solved" versus "newly failed" are e^δ whatever
the item's difficulty, so the Mantel-Haenszel log odds ratio over items estimates the ability shift δ with
no ceiling artefact. For one sample per item it is log(G/L), the conditional-logit MLE.

Never fit an unconditional logistic regression with item dummies instead: for k = 1 it converges to
2·log(G/L) (Andersen 1970; tests/stats/test_ka_latent.py documents the bias).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from harness.stats.estimate import Estimate
from harness.stats.proportions import clopper_pearson_ci

#: Below this many gains or losses a single-sample suite gets the exact Clopper-Pearson-logit interval.
EXACT_BELOW = 5


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def logit(p: np.ndarray | float) -> np.ndarray | float:
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-np.asarray(p, float))


def expit(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, float)))


def pp_equivalent(delta: np.ndarray | float, p_ref: float = 0.5) -> np.ndarray | float:
    """The percentage-point gain (as a fraction) that a latent shift δ gives a suite starting at p_ref:
    σ(logit p_ref + δ) - p_ref (§1.3: δ = 0.5 is +12.2 pp at 50% but +3.7 pp at 90%)."""
    return expit(logit(p_ref) + np.asarray(delta, float)) - p_ref


@dataclass(frozen=True)
class MHSums:
    """Per-group sums of the Mantel-Haenszel terms; everything the estimate and its RBG variance need."""

    r: np.ndarray  # ΣR_i
    s: np.ndarray  # ΣS_i
    pr: np.ndarray  # ΣP_iR_i
    ps_qr: np.ndarray  # Σ(P_iS_i + Q_iR_i)
    qs: np.ndarray  # ΣQ_iS_i
    gains: np.ndarray  # items whose mean score rose
    losses: np.ndarray  # items whose mean score fell
    n_items: np.ndarray
    single_sample: np.ndarray  # bool: every item has one sample per release (k = 1), scored 0 or 1
    pair_scale: np.ndarray  # mean k1 + k0: N·ΣR counts discordant sample pairs (= G when k = 1)


def mh_terms(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray | int, k0: np.ndarray | int | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-item R_i, S_i, P_i, Q_i of §1.4 (general k1, k0: a = x1, b = k1 - x1, c = x0, d = k0 - x0)."""
    x1, x0 = np.asarray(x1, float), np.asarray(x0, float)
    k1 = np.broadcast_to(np.asarray(k1, float), x1.shape)
    k0 = k1 if k0 is None else np.broadcast_to(np.asarray(k0, float), x0.shape)
    n = k1 + k0
    r = x1 * (k0 - x0) / n
    s = (k1 - x1) * x0 / n
    p = (x1 + k0 - x0) / n
    q = (k1 - x1 + x0) / n
    return r, s, p, q


def mh_sums(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray | int, k0: np.ndarray | int | None = None,
            group: np.ndarray | None = None, n_groups: int | None = None) -> MHSums:
    """Sum the MH terms within each group (suite) in one vectorised pass (np.bincount)."""
    x1, x0 = np.asarray(x1, float), np.asarray(x0, float)
    k1a = np.broadcast_to(np.asarray(k1, float), x1.shape)
    k0a = k1a if k0 is None else np.broadcast_to(np.asarray(k0, float), x0.shape)
    r, s, p, q = mh_terms(x1, x0, k1a, k0a)
    if group is None:
        group = np.zeros(x1.shape, dtype=np.intp)
        n_groups = 1
    n_groups = int(group.max()) + 1 if n_groups is None else n_groups

    def total(w: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=w, minlength=n_groups)

    diff = x1 / k1a - x0 / k0a
    return MHSums(
        r=total(r), s=total(s), pr=total(p * r), ps_qr=total(p * s + q * r), qs=total(q * s),
        gains=total(diff > 0).astype(int), losses=total(diff < 0).astype(int),
        n_items=np.bincount(group, minlength=n_groups),
        # one sample per item AND a 0/1 score: a partial-credit 0.5 is not a binomial count
        single_sample=total((k1a != 1) | (k0a != 1) | (x1 % 1 != 0) | (x0 % 1 != 0)) == 0,
        pair_scale=total(k1a + k0a) / np.maximum(np.bincount(group, minlength=n_groups), 1),
    )


def mh_estimates(sums: MHSums) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """δ̂ = log(ΣR/ΣS) and its Robins-Breslow-Greenland variance, per group, plus a bool array marking
    groups where ΣR or ΣS is 0: there δ̂ uses the Haldane +0.5 correction on the discordant-pair scale
    (log((G + .5)/(L + .5)) for k = 1) and the variance 1/(G + .5) + 1/(L + .5)."""
    r, s = sums.r, sums.s
    zero = (r <= 0) | (s <= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.log(r / s)
        var = sums.pr / (2 * r * r) + sums.ps_qr / (2 * r * s) + sums.qs / (2 * s * s)
    if zero.any():
        # discordant-pair counts: for k = 1, N·ΣR = G and N·ΣS = L with N = 2
        g = r * sums.pair_scale + 0.5
        lo = s * sums.pair_scale + 0.5
        delta = np.where(zero, np.log(g / lo), delta)
        var = np.where(zero, 1 / g + 1 / lo, var)
    return delta, var, zero


def exact_latent_ci(gains: int, losses: int, level: float = 0.95) -> tuple[float, float]:
    """Exact interval for δ with one sample per item: logit of the Clopper-Pearson interval for
    G/(G + L), since G | G + L ~ Binomial(G + L, σ(δ)). Unbounded on the side of a zero count."""
    lo, hi = clopper_pearson_ci(gains, gains + losses, level)
    return float(logit(float(lo))), float(logit(float(hi)))


def latent_gain(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray | int = 1, k0: np.ndarray | int | None = None,
                *, clusters: np.ndarray | None = None, level: float = 0.95, binary: bool | None = None) -> Estimate:
    """Per-suite latent gain δ̂ (Mantel-Haenszel over items, RBG variance; §1.4).

    x1, x0: per-item success counts of the new and old release out of k1, k0 samples (scalars or arrays;
    unequal counts are allowed, e.g. after dropping infrastructure errors). With one sample per item and
    fewer than 5 gains or losses, the interval is the exact Clopper-Pearson-logit one and the p-value the
    exact conditional binomial test. With `clusters` (one label per item) the variance is the
    cluster-robust linearisation Σ_c(Σ_{i∈c} R_i/R - S_i/S)²·C/(C-1), which equals RBG for k = 1 and
    singleton clusters.

    `binary`: every sample scored exactly 0 or 1 (None: inferred from whole-number x1, x0, which is exact
    for k = 1). Partial-credit scores (binary=False) enter as fractional successes, a quasi-likelihood
    approximation to the conditional model: the RBG variance and the exact path assume binomial counts,
    so such a suite gets the items-as-draws (sandwich) variance, each item its own cluster unless
    `clusters` are given, and never the exact interval.
    """
    x1 = np.asarray(x1, float)
    x0 = np.asarray(x0, float)
    if binary is None:
        binary = bool(np.all(x1 % 1 == 0) and np.all(x0 % 1 == 0))
    sums = mh_sums(x1, x0, k1, k0)
    delta, var, zero = mh_estimates(sums)
    d, v = float(delta[0]), float(var[0])
    g, lo = int(sums.gains[0]), int(sums.losses[0])
    notes = []
    method = "Mantel-Haenszel latent gain (RBG variance)"
    single = bool(sums.single_sample[0])
    units = clusters if clusters is not None or binary else np.arange(x1.size)
    df = None  # robust variances: t with C - 1 df (CRVE small-sample reference, as statsmodels' use_t)
    if clusters is None and binary and not single and not zero[0]:
        # several samples per item: items are the unit (§1.4b item 1). RBG treats every sample as its own
        # item and is too small when items differ in how much they change (4x on EvalPerf with k = 100);
        # the item-level linearisation Σ_i (R_i/R − S_i/S)² equals RBG exactly for one sample per item
        _, v_items, _ = item_level_variance(x1, x0, k1, k0, np.zeros(x1.size, np.intp), 1)
        v = float(v_items[0])
        method = "Mantel-Haenszel latent gain (item-level variance: items, not samples, are the unit)"
        units = None
    if units is not None:
        r_i, s_i, _, _ = mh_terms(x1, x0, k1, k0)
        codes, n_clusters = _codes(units)
        if not zero[0] and n_clusters > 1:
            u = np.bincount(codes, weights=r_i / sums.r[0] - s_i / sums.s[0], minlength=n_clusters)
            v = float(np.sum(u * u) * n_clusters / (n_clusters - 1))
            df = n_clusters - 1
            method = (f"Mantel-Haenszel latent gain (cluster-robust variance, {n_clusters} clusters, t with "
                      f"{df} df)" if clusters is not None else
                      "Mantel-Haenszel latent gain (items-as-draws sandwich variance)")
    if not binary:
        method = method.replace("latent gain", "latent gain on partial-credit scores", 1)
        notes.append("partial-credit scores enter as fractional successes (an approximation to the conditional "
                     "model); no exact interval applies")
    if zero[0]:
        notes.append("no gains or no losses: Haldane +0.5 correction")
    se = math.sqrt(v)
    if binary and bool(sums.single_sample[0]) and min(g, lo) < EXACT_BELOW and clusters is None:
        ci = exact_latent_ci(g, lo, level)
        n = g + lo
        p = min(1.0, 2 * stats.binom.cdf(min(g, lo), n, 0.5)) if n else 1.0
        method = "Mantel-Haenszel latent gain, exact Clopper-Pearson-logit interval"
        notes.append(f"fewer than {EXACT_BELOW} gains or losses: exact interval and exact conditional p")
        return Estimate(d, se, ci, float(p), method, "; ".join(notes), level)
    if binary and min(g, lo) < EXACT_BELOW:
        notes.append(f"fewer than {EXACT_BELOW} items gained or lost: the interval is approximate")
    dist = stats.norm if df is None else stats.t(df)
    z = float(dist.ppf(0.5 + level / 2))
    p = float(2 * dist.sf(abs(d) / se)) if se > 0 else (1.0 if d == 0 else 0.0)
    return Estimate(d, se, (d - z * se, d + z * se), p, method, "; ".join(notes), level)


def gain_loss_odds_ratio(g_t: int, l_t: int, g_u: int, l_u: int, level: float = 0.95) -> Estimate:
    """Pooled gain/loss odds ratio of targeted over untargeted discordant items, as a log odds ratio
    with its Woolf SE (KA7). A pooled, not equal-suite-weight, companion of A^L; see
    `gain_loss_table_test` for the exact conditional (Fisher) test of the same table."""
    table = np.array([g_t, l_t, g_u, l_u], float)
    if (table == 0).any():
        table = table + 0.5
    log_or = math.log(table[0] * table[3] / (table[1] * table[2]))
    se = math.sqrt(float(np.sum(1 / table)))
    z = _z(level)
    p = float(2 * stats.norm.sf(abs(log_or) / se))
    return Estimate(log_or, se, (log_or - z * se, log_or + z * se), p,
                    "pooled gain/loss log odds ratio (Woolf)", level=level)


def gain_loss_table_test(g_t: int, l_t: int, g_u: int, l_u: int, method: str = "fisher") -> float:
    """Two-sided p-value for equal gain/loss odds in the two groups: "fisher" (exact conditional, the
    test for sparse tables) or "chi2" (Pearson, no continuity correction)."""
    table = np.array([[g_t, l_t], [g_u, l_u]])
    if method == "fisher":
        return float(stats.fisher_exact(table).pvalue)
    if method == "chi2":
        return float(stats.chi2_contingency(table, correction=False)[1])
    raise ValueError("method must be 'fisher' or 'chi2'")


def _codes(labels: np.ndarray) -> tuple[np.ndarray, int]:
    _, codes = np.unique(np.asarray(labels), return_inverse=True)
    return codes.astype(np.intp), int(codes.max()) + 1 if len(codes) else 0


def item_level_variance(x1: np.ndarray, x0: np.ndarray, k1: np.ndarray | float, k0: np.ndarray | float | None,
                        group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group (suite): the MH latent gain and its item-level variance Σ_i (R_i/R − S_i/S)², the
    linearisation of log(ΣR/ΣS) with items as the units (STATISTICS.md §1.4b item 1). With one sample per
    item it equals the RBG variance 1/G + 1/L exactly; with k samples it counts each item once, where RBG
    treats the k samples as independent and is too small when items differ in how much they change.
    Groups with no gains or no losses keep the Haldane-corrected value and variance. Returns
    (delta, variance, zero-cell mask)."""
    x1, x0 = np.asarray(x1, float), np.asarray(x0, float)
    k1a = np.broadcast_to(np.asarray(k1, float), x1.shape)
    k0a = k1a if k0 is None else np.broadcast_to(np.asarray(k0, float), x0.shape)
    sums = mh_sums(x1, x0, k1a, k0a, group=group, n_groups=n_groups)
    delta, rbg, zero = mh_estimates(sums)
    r_i, s_i, _, _ = mh_terms(x1, x0, k1a, k0a)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = r_i / sums.r[group] - s_i / sums.s[group]
    var = np.bincount(group, weights=np.where(np.isfinite(u), u * u, 0.0), minlength=n_groups)
    return delta, np.where(zero, rbg, var), zero


def latent_suite_batch(x1: np.ndarray, x0: np.ndarray, k: float, suite: np.ndarray,
                       n_suites: int) -> tuple[np.ndarray, np.ndarray]:
    """(δ̂, item-level variance) per suite for one replication (the calibration's `asymmetry.latent`)."""
    d, v, _ = item_level_variance(x1, x0, k, None, suite, n_suites)
    return d, v
