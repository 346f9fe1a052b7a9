"""Known answers KA10-KA12 (STATISTICS.md §2.3): Miller's clustered SE, the resampling factor and the
unbiased pass@k estimator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from harness.stats import normalized_gain, paired_mean, pass_at_k, variance_components, variance_ratio

KA10_Y = np.array([1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1], float)
KA10_C = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3, 3])


def test_ka10_miller_clustered_se():
    assert paired_mean(KA10_Y).estimate == pytest.approx(0.636364, abs=1e-6)
    assert paired_mean(KA10_Y).se == pytest.approx(0.152120, abs=1e-6)
    paper = paired_mean(KA10_Y, KA10_C, correction=False).se
    assert paper == pytest.approx(0.177638, abs=1e-6)
    assert paired_mean(KA10_Y, KA10_C).se == pytest.approx(0.205119, abs=1e-6)
    ols = sm.OLS(KA10_Y, np.ones_like(KA10_Y))
    assert ols.fit(cov_type="cluster", cov_kwds={"groups": KA10_C, "use_correction": False}).bse[0] == pytest.approx(paper)


def test_normalized_gain_se_matches_a_brute_force_delta_method():
    rng = np.random.default_rng(0)
    y0 = rng.binomial(1, 0.6, 500).astype(float)
    y1 = np.where(rng.random(500) < 0.3, 1.0, y0)
    est = normalized_gain(y1, y0)
    p1, p0 = y1.mean(), y0.mean()
    assert est.estimate == pytest.approx((p1 - p0) / (1 - p0))
    cov = np.cov(np.vstack([y1, y0])) / 500
    grad = np.array([1 / (1 - p0), (p1 - 1) / (1 - p0) ** 2])
    assert est.se == pytest.approx(math.sqrt(grad @ cov @ grad), rel=1e-10)
    assert math.isnan(normalized_gain(np.ones(5), np.ones(5)).estimate)


@pytest.mark.parametrize("k, factor", [(1, 1.0), (2, 0.6667), (3, 0.5556), (5, 0.4667), (10, 0.4)])
def test_ka11_miller_resampling_factor_for_uniform_p(k, factor):
    # p_i ~ U(0, 1): between-item variance Var(p) = 1/12, within-item E[p(1 - p)] = 1/6
    assert variance_ratio(1 / 12, 1 / 6, k) == pytest.approx(factor, abs=5e-5)
    assert variance_ratio(1 / 12, 1 / 6, k) == pytest.approx((1 + 2 / k) / 3, abs=1e-12)


def test_variance_components_recover_the_uniform_population():
    rng = np.random.default_rng(11)
    p = rng.random(200_000)
    x = rng.binomial(5, p)
    parts = variance_components(x, 5)
    assert parts["between"] == pytest.approx(1 / 12, abs=2e-3)
    assert parts["within"] == pytest.approx(1 / 6, abs=2e-3)


@pytest.mark.parametrize(
    "n, c, k, expected",
    [(200, 10, 1, 0.05), (200, 10, 10, 0.4085479), (200, 10, 100, 0.9992290), (10, 3, 5, 0.9166667),
     (5, 2, 2, 0.7)],
)
def test_ka12_unbiased_pass_at_k(n, c, k, expected):
    assert float(pass_at_k(n, c, k)) == pytest.approx(expected, abs=1e-7)


def test_ka12_pass_at_k_is_unbiased_by_exact_enumeration():
    # n = 10 samples with success probability 0.3: E[pass@5] = 1 - 0.7^5 = 0.83193, Var = 0.0437628
    c = np.arange(11)
    w = stats.binom.pmf(c, 10, 0.3)
    est = pass_at_k(10, c, 5)
    mean = float(np.sum(w * est))
    assert mean == pytest.approx(1 - 0.7**5, abs=1e-12)
    assert mean == pytest.approx(0.83193, abs=1e-5)
    assert float(np.sum(w * (est - mean) ** 2)) == pytest.approx(0.0437628, abs=1e-7)
    assert pass_at_k(np.array([10, 10]), np.array([6, 10]), 5).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)
