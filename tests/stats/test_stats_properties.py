"""Properties of the estimators checked by exact enumeration and small simulations (the full §3
calibration of size and coverage lives in tests/stats/test_calibration*.py and benchmarks/calibration)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from harness.stats import (
    asymmetry,
    cluster_bootstrap,
    exact_latent_ci,
    expit,
    latent_gain,
    mh_estimates,
    mh_sums,
    suite_permutation_test,
    tango_ci,
    tango_tost,
    tost,
    triple_difference,
)
from harness.stats.latent import item_level_variance


@pytest.mark.parametrize("n, p", [(8, 0.3), (15, 0.5), (25, 0.8)])
def test_exact_latent_interval_covers_at_least_nominally(n, p):
    # G | G + L = n ~ Binomial(n, σ(δ)): enumerate every G and add up the probability of covering δ
    delta = math.log(p / (1 - p))
    coverage = sum(stats.binom.pmf(g, n, p) for g in range(n + 1)
                   if exact_latent_ci(g, n - g)[0] <= delta <= exact_latent_ci(g, n - g)[1])
    assert coverage >= 0.95


@pytest.mark.parametrize("n, p_gain, p_loss", [(40, 0.15, 0.10), (60, 0.05, 0.05)])
def test_tango_interval_coverage_by_exact_enumeration(n, p_gain, p_loss):
    truth = p_gain - p_loss
    coverage = 0.0
    for b in range(n + 1):
        for c in range(n + 1 - b):
            pr = stats.multinomial.pmf([b, c, n - b - c], n, [p_gain, p_loss, 1 - p_gain - p_loss])
            if pr < 1e-10:
                continue
            lo, hi = tango_ci(b, c, n)
            coverage += pr * (lo <= truth <= hi)
    assert 0.93 <= coverage <= 0.98


def test_batched_mh_equals_the_per_suite_function():
    rng = np.random.default_rng(2)
    x1, x0 = rng.binomial(3, 0.6, 900), rng.binomial(3, 0.45, 900)
    group = np.repeat(np.arange(3), 300)
    delta, rbg, _ = mh_estimates(mh_sums(x1, x0, 3, group=group, n_groups=3))
    _, var, _ = item_level_variance(x1, x0, 3.0, None, group, 3)
    for g in range(3):
        est = latent_gain(x1[group == g], x0[group == g], 3)
        # with several samples per item the production variance is item-level (issue 9), not RBG
        assert delta[g] == pytest.approx(est.estimate) and var[g] == pytest.approx(est.se**2)
        assert rbg[g] != pytest.approx(est.se**2)


def test_unequal_sample_counts_stay_consistent():
    # some samples dropped (infrastructure errors): MH over items with k1 != k0 still estimates δ
    rng = np.random.default_rng(4)
    n, delta = 6000, 0.7
    b = rng.normal(0, 1.5, n)
    k0 = rng.integers(1, 6, n)
    k1 = rng.integers(1, 6, n)
    x0 = rng.binomial(k0, expit(-b))
    x1 = rng.binomial(k1, expit(delta - b))
    est = latent_gain(x1, x0, k1, k0)
    assert abs(est.estimate - delta) < 3 * est.se


def test_permutation_p_value_equals_brute_force_enumeration():
    rng = np.random.default_rng(9)
    y = rng.normal(0, 1, 7)
    t = np.array([True, True, True, False, False, False, False])
    res = suite_permutation_test(y, t)
    observed = y[t].mean() - y[~t].mean()
    stats_all = []
    for combo in itertools.combinations(range(7), 3):
        m = np.zeros(7, bool)
        m[list(combo)] = True
        stats_all.append(y[m].mean() - y[~m].mean())
    stats_all = np.array(stats_all)
    assert res.p_value == pytest.approx(np.mean(np.abs(stats_all) >= abs(observed) - 1e-12))
    assert res.extra["p_one_sided"] == pytest.approx(np.mean(stats_all >= observed - 1e-12))


def test_bca_p_value_agrees_with_its_interval_and_the_bootstrap_is_seeded():
    rng = np.random.default_rng(12)
    suite = np.repeat(np.arange(4), 200)
    cluster = np.arange(800) // 10
    targeted = np.array([True, True, False, False])
    for effect in (0.0, 0.25, 0.5):
        b = rng.normal(0, 1.5, 800)
        shift = np.where(targeted[suite], 0.5 + effect, 0.5) + rng.normal(0, 0.4, 80)[cluster]
        x0 = rng.binomial(1, expit(-b))
        x1 = rng.binomial(1, expit(shift - b))
        res = cluster_bootstrap(x1, x0, 1, None, suite, cluster, targeted, n_boot=4000, seed=3)
        lo, hi = res.latent.ci
        assert (res.latent.p_value < 0.05) == (lo > 0 or hi < 0)
        again = cluster_bootstrap(x1, x0, 1, None, suite, cluster, targeted, n_boot=4000, seed=3)
        assert np.array_equal(res.draws, again.draws)
        # the point estimate is the analytic A^L
        ests = [latent_gain(x1[suite == s], x0[suite == s]) for s in range(4)]
        analytic = asymmetry([e.estimate for e in ests], [e.se**2 for e in ests], targeted)
        assert res.latent.estimate == pytest.approx(analytic.estimate)


def test_tost_decision_is_the_interval_inside_the_margin():
    for est, se in [(0.004, 0.01), (0.02, 0.01), (-0.01, 0.012), (0.0, 0.03)]:
        res = tost(est, se, 0.03)
        lo, hi = res.extra["ci"]
        assert res.extra["equivalent"] == (-0.03 < lo and hi < 0.03)
    for b, c, n in [(52, 48, 1000), (80, 40, 1000), (30, 31, 2000)]:
        res = tango_tost(b, c, n, 0.03)
        lo, hi = res.extra["ci"]
        assert res.extra["equivalent"] == (-0.03 < lo and hi < 0.03)


def test_triple_difference_never_uses_less_than_the_suspects_own_variance():
    controls = np.array([0.10, 0.12, 0.11, 0.09, 0.10, 0.11, 0.12, 0.10])  # tightly clustered controls
    res = triple_difference(0.3, controls, v0=0.25, v_controls=np.full(8, 0.0001))
    assert res.control_sd >= math.sqrt(0.25) - 1e-12
    assert res.t_p_value > 0.3  # a noisy suspect is not declared extreme against tight controls
