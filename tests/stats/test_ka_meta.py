"""Known answers KA16-KA18 (STATISTICS.md §2.5): random-effects meta-analysis with HKSJ, the triple
difference, and the exact suite-label permutation floors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.meta_analysis import combine_effects

from harness.stats import (
    meta_regression,
    placebo_rank_p,
    random_effects_mean,
    suite_permutation_test,
    tau2_dl,
    tau2_pm,
    triple_difference,
)

# Kacker (2004) interlaboratory data, as in statsmodels/stats/tests/test_meta.py
KACKER_Y = np.array([61.00, 61.40, 62.21, 62.30, 62.34, 62.60, 62.70, 62.84, 65.90])
KACKER_V = np.array([0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])


def test_ka16_kacker_tau_and_random_effects_means():
    assert math.sqrt(tau2_pm(KACKER_Y, KACKER_V)) == pytest.approx(0.8399, abs=6e-5)
    assert math.sqrt(tau2_dl(KACKER_Y, KACKER_V)) == pytest.approx(0.5359, abs=1e-3)
    assert math.sqrt(tau2_dl(KACKER_Y, KACKER_V)) == pytest.approx(0.53670, abs=1e-5)
    dl = random_effects_mean(KACKER_Y, KACKER_V, tau2_method="dl")
    assert dl.estimate == pytest.approx(62.39014, abs=1e-5)
    assert dl.se == pytest.approx(0.245750, abs=1e-6)
    hk = random_effects_mean(KACKER_Y, KACKER_V, tau2_method="dl", hksj=True)
    assert hk.se == pytest.approx(0.294776, abs=1e-6)
    assert hk.ci == pytest.approx((61.7104, 63.0699), abs=1e-4)
    ref = combine_effects(KACKER_Y, KACKER_V, method_re="dl", use_t=True)
    assert hk.estimate == pytest.approx(ref.mean_effect_re)


def test_hksj_meta_regression_equals_wls_with_random_effects_weights():
    # statsmodels' WLS scales its covariance by Σw·e²/(S - 2): exactly the HKSJ q
    y = np.array([1.0, 1.4, 0.2, 0.9, 0.1, 0.5, 0.3])
    v = np.array([0.04, 0.09, 0.05, 0.02, 0.06, 0.03, 0.05])
    t = np.array([True, True, True, True, False, False, False])
    x = np.column_stack([np.ones(7), t.astype(float)])
    res = meta_regression(y, v, t)
    wls = sm.WLS(y, x, weights=1 / (v + tau2_pm(y, v, x))).fit()
    assert res.estimate == pytest.approx(wls.params[1], abs=1e-10)
    assert res.se == pytest.approx(wls.bse[1], abs=1e-10)
    assert res.p_value == pytest.approx(wls.pvalues[1], abs=1e-10)  # t with S - 2 = 5 df
    # Paule-Mandel solves Q(τ²) = S - 2, so with τ² > 0 the HKSJ scale is exactly 1
    assert tau2_pm(y, v, x) > 0 and wls.scale == pytest.approx(1.0, abs=1e-8)
    modified = meta_regression(y, v, t, modified=True)
    q = wls.scale
    assert modified.se == pytest.approx(res.se * math.sqrt(max(q, 1) / q))
    assert math.isnan(meta_regression(y[:2], v[:2], t[:2]).estimate)


def test_ka17_triple_difference_prediction_t_and_rank_floor():
    res = triple_difference(1.0, np.array([0.1, 0.3, 0.2, 0.0, 0.4]))
    assert res.t_stat == pytest.approx(4.618802, abs=1e-6)
    assert res.df == 4
    assert res.t_p_value == pytest.approx(0.004945, abs=1e-6)
    assert res.rank_p_value == pytest.approx(1 / 6)
    assert "rank test cannot go below" in res.note
    assert placebo_rank_p(0.25, np.array([0.1, 0.3, 0.2, 0.0, 0.4])) == pytest.approx(3 / 6)


def test_triple_difference_widens_when_the_suspect_is_much_noisier():
    controls, v_c = np.array([0.1, 0.3, 0.2, 0.0, 0.4, 0.25, 0.15, 0.05]), np.full(8, 0.01)
    same = triple_difference(0.8, controls, v0=0.01, v_controls=v_c)
    noisy = triple_difference(0.8, controls, v0=0.2, v_controls=v_c)
    assert noisy.t_stat < same.t_stat and "adjusted" in noisy.note
    assert noisy.excess.ci[1] - noisy.excess.ci[0] > same.excess.ci[1] - same.excess.ci[0]


@pytest.mark.parametrize("st, n_labelings, floor", [(2, 6, 1 / 6), (3, 20, 0.05), (4, 70, 0.014286),
                                                    (6, 924, 0.001082)])
def test_ka18_permutation_floors(st, n_labelings, floor):
    values = np.r_[np.arange(st, 0, -1) + 10.0, -np.arange(st, dtype=float)]  # every T above every U
    targeted = np.r_[np.ones(st, bool), np.zeros(st, bool)]
    res = suite_permutation_test(values, targeted)
    assert res.extra["n_labelings"] == n_labelings and res.extra["exact"]
    assert res.extra["p_one_sided"] == pytest.approx(floor, abs=1e-6)
    assert res.extra["p_one_sided"] == res.extra["min_p_one_sided"]
    assert res.p_value == pytest.approx(2 * floor, abs=1e-6)  # symmetric design: two-sided doubles


def test_permutation_test_of_a_null_pattern_is_not_significant():
    res = suite_permutation_test(np.array([0.3, 0.1, 0.2, 0.25]), np.array([True, False, True, False]))
    assert res.p_value > 0.3
