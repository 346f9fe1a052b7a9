"""Several samples per item (STATISTICS.md §1.5.6-1.5.7): the unbiased pass@k estimator (descriptive
only: pass@k saturates and amplifies ceiling artefacts) and Miller's between/within-item variance split,
which says how much resampling k buys."""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln


def pass_at_k(n: np.ndarray | int, c: np.ndarray | int, k: int) -> np.ndarray:
    """Chen et al. (2021): 1 - C(n - c, k)/C(n, k) per item with n samples of which c passed (vectorised,
    in log-gamma form; exact 1 when n - c < k). Requires k ≤ n."""
    n, c = np.asarray(n, float), np.asarray(c, float)
    if np.any(k > n):
        raise ValueError("pass@k needs k <= n samples per item")
    rest = n - c
    with np.errstate(invalid="ignore"):
        log_ratio = gammaln(rest + 1) - gammaln(rest - k + 1) - gammaln(n + 1) + gammaln(n - k + 1)
        out = 1.0 - np.exp(log_ratio)
    return np.where(rest < k, 1.0, out)


def variance_components(successes: np.ndarray, k: int) -> dict[str, float]:
    """Miller's decomposition Var(ȳ_i) = Var_between + E[σ_i²]/k from per-item success counts of k binary
    samples: `within` = mean unbiased per-item variance, `between` = Var(ȳ_i) - within/k (floored at 0).
    `variance_of_mean(k')` = (between + within/k')/n is the suite mean's variance had k' samples been
    drawn; for p_i ~ U(0, 1), Var(k)/Var(1) = (1 + 2/k)/3 (KA11)."""
    x = np.asarray(successes, float)
    if k < 2:
        raise ValueError("the within-item variance needs at least 2 samples per item")
    means = x / k
    within = float(np.mean(x * (k - x) / (k * (k - 1))))
    between = max(float(np.var(means, ddof=1)) - within / k, 0.0)
    return {"between": between, "within": within, "k": k, "n_items": int(x.size)}


def variance_ratio(between: float, within: float, k: int) -> float:
    """Variance of a suite mean with k samples per item relative to one sample (Miller §3)."""
    return (between + within / k) / (between + within)
