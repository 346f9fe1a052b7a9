"""Documented-invalid procedures (harness.stats.robustness): exact agreement with statsmodels, the KA19
wild-bootstrap properties, and the naive triple-difference z."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from harness.stats import triple_difference
from harness.stats.robustness import (
    RADEMACHER_POINTS,
    WEBB_POINTS,
    crve_suite,
    crve_suite_batch,
    naive_ddd_z,
    naive_ddd_z_batch,
    weight_patterns,
    wild_cluster_bootstrap,
    wild_cluster_bootstrap_batch,
)


@pytest.mark.parametrize("n_suites", [4, 6, 8, 12])
def test_crve_equals_statsmodels_cluster_fit_with_t_g_minus_1(n_suites: int) -> None:
    rng = np.random.default_rng(n_suites)
    y = rng.normal(0.5, 0.4, n_suites)
    t = np.arange(n_suites) < n_suites // 2
    fit = sm.OLS(y, sm.add_constant(t.astype(float))).fit(
        cov_type="cluster", cov_kwds={"groups": np.arange(n_suites)}, use_t=True)
    est = crve_suite(y, t)
    assert est.estimate == pytest.approx(fit.params[1], abs=1e-12)
    assert est.se == pytest.approx(fit.bse[1], rel=1e-10)
    assert est.p_value == pytest.approx(fit.pvalues[1], rel=1e-9)
    assert est.ci == pytest.approx(tuple(fit.conf_int()[1]), rel=1e-9)
    assert "t(" + str(n_suites - 1) + ")" in est.method


def test_crve_batch_rows_equal_one_study_calls() -> None:
    rng = np.random.default_rng(3)
    ys = rng.normal(size=(5, 6))
    t = np.array([1, 1, 1, 0, 0, 0], bool)
    est, se, p = crve_suite_batch(ys, t)
    for row in range(5):
        one = crve_suite(ys[row], t)
        assert (est[row], se[row], p[row]) == pytest.approx((one.estimate, one.se, one.p_value), rel=1e-12)


def test_ka19_webb_weights_have_mean_0_variance_1_and_six_points() -> None:
    assert len(set(np.round(WEBB_POINTS, 12))) == 6
    assert WEBB_POINTS.mean() == pytest.approx(0, abs=1e-15)
    assert np.mean(WEBB_POINTS**2) == pytest.approx(1, abs=1e-15)
    assert sorted(np.abs(WEBB_POINTS).round(6).tolist()) == sorted([0.707107, 0.707107, 1.0, 1.0, 1.224745, 1.224745])


@pytest.mark.parametrize("n_suites", [4, 5, 6])
def test_ka19_rademacher_p_values_are_multiples_of_two_to_minus_g(n_suites: int) -> None:
    rng = np.random.default_rng(n_suites)
    t = np.arange(n_suites) < 2
    patterns, exhaustive = weight_patterns(n_suites, "rademacher")
    assert exhaustive and len(patterns) == 2**n_suites
    for _ in range(20):
        p = wild_cluster_bootstrap(rng.normal(size=n_suites), t, kind="rademacher").p_value
        assert (p * 2**n_suites) == pytest.approx(round(p * 2**n_suites), abs=1e-9)
        assert p >= 2.0 ** -n_suites


def test_ka19_wcr_t_statistics_are_invariant_to_the_scale_of_y() -> None:
    rng = np.random.default_rng(7)
    y = rng.normal(size=8)
    t = np.arange(8) < 4
    base = wild_cluster_bootstrap(y, t, kind="webb", n_boot=999, seed=2)
    scaled = wild_cluster_bootstrap(y * 37.5 + 0.0, t, kind="webb", n_boot=999, seed=2)
    assert scaled.statistic == pytest.approx(base.statistic, rel=1e-10)
    assert scaled.p_value == base.p_value
    shifted = wild_cluster_bootstrap(y + 4.0, t, kind="webb", n_boot=999, seed=2)  # β0 absorbs a shift
    assert shifted.p_value == base.p_value


def test_wcr_enumerates_webb_for_four_suites_and_batch_matches_single() -> None:
    patterns, exhaustive = weight_patterns(4, "webb")
    assert exhaustive and patterns.shape == (6**4, 4)
    assert set(np.unique(patterns).round(9)) == set(WEBB_POINTS.round(9))
    rng = np.random.default_rng(11)
    ys = rng.normal(size=(7, 4))
    t = np.array([1, 1, 0, 0], bool)
    batch = wild_cluster_bootstrap_batch(ys, t, patterns)
    single = [wild_cluster_bootstrap(row, t).p_value for row in ys]
    assert batch == pytest.approx(single, abs=1e-12)
    assert set(RADEMACHER_POINTS) == {-1.0, 1.0}


def test_wcr_rejects_a_large_contrast_and_not_a_null_one() -> None:
    t = np.arange(12) < 6
    far = np.where(t, 2.0, 0.0) + np.random.default_rng(1).normal(0, 0.1, 12)
    assert wild_cluster_bootstrap(far, t, n_boot=1999).p_value < 0.01
    near = np.random.default_rng(2).normal(0, 0.1, 12)
    assert wild_cluster_bootstrap(near, t, n_boot=1999).p_value > 0.05


def test_naive_ddd_z_ignores_lab_heterogeneity_that_the_t_test_uses() -> None:
    # KA17 data: the prediction t-test gives one-sided p = 0.004945 with df = 4 from the controls' spread
    controls = np.array([0.1, 0.3, 0.2, 0.0, 0.4])
    primary = triple_difference(1.0, controls)
    assert primary.t_p_value == pytest.approx(0.004945, abs=1e-6)
    naive = naive_ddd_z(1.0, 0.01, controls, np.full(5, 0.01))
    expected_z = (1.0 - 0.2) / np.sqrt(0.01 + 5 * 0.01 / 25)
    assert naive.statistic == pytest.approx(expected_z, rel=1e-12)
    assert naive.p_value < primary.t_p_value  # sampling SE only: far smaller than the honest p
    z, p = naive_ddd_z_batch(np.array([1.0, 0.2]), np.array([0.01, 0.01]), np.tile(controls, (2, 1)),
                             np.full((2, 5), 0.01))
    assert z[1] == pytest.approx(0.0) and p[1] == pytest.approx(0.5)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="targeted and one untargeted"):
        crve_suite(np.ones(4), np.ones(4, bool))
    with pytest.raises(ValueError, match="kind"):
        wild_cluster_bootstrap(np.arange(4.0), np.array([1, 1, 0, 0], bool), kind="mammen")
