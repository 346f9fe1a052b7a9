"""Power and MDE planning (STATISTICS.md §1.10, §1.8, §3.3, KA15): published tables as known answers."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower

from harness.errors import UserError
from harness.stats import power as pw
from harness.stats.power import Design, detectable

# §1.10 tables: rows n per suite, columns π_d = .15, .25, .35 (2+2 suites, k = 1)
PP_TABLE = {164: (8.5, 10.9, 12.9), 300: (6.3, 8.1, 9.6), 500: (4.9, 6.3, 7.4), 1000: (3.4, 4.4, 5.2)}
LATENT_TABLE = {164: (1.17, 0.90, 0.76), 300: (0.86, 0.67, 0.56), 500: (0.67, 0.52, 0.44),
                1000: (0.47, 0.37, 0.31)}
DISCORDANCE = (0.15, 0.25, 0.35)


@pytest.mark.parametrize("n", sorted(PP_TABLE))
def test_pp_mde_table_reproduces_section_1_10(n: int) -> None:
    for pi_d, printed in zip(DISCORDANCE, PP_TABLE[n], strict=True):
        se = pw.pp_se(Design(n, discordance=pi_d))
        assert 100 * 2.8016 * se == pytest.approx(printed, abs=0.05 + 1e-9)


@pytest.mark.parametrize("n", sorted(LATENT_TABLE))
def test_latent_mde_table_reproduces_section_1_10(n: int) -> None:
    for pi_d, printed in zip(DISCORDANCE, LATENT_TABLE[n], strict=True):
        result = detectable(Design(n, discordance=pi_d))
        assert result["mde_latent"] == pytest.approx(printed, abs=0.005 + 1e-9)


def test_latent_mde_is_the_closed_form_at_k1() -> None:
    # 2+2 suites: Var(A) = v_s, v_s = 1/(n π_d σ(δ)(1 − σ(δ))), MDE = (z.975 + z.8) · sqrt(v_s)
    p = 1 / (1 + math.exp(-0.5))
    expected = 2.8015852 * math.sqrt(1 / (300 * 0.25 * p * (1 - p)))
    assert detectable(Design(300))["mde_latent"] == pytest.approx(expected, abs=1e-4)
    # 4+4 halves the variance of the asymmetry
    assert pw.latent_se(Design(300, n_targeted=4, n_untargeted=4)) == pytest.approx(
        pw.latent_se(Design(300)) / math.sqrt(2), rel=1e-12)


def test_mde_pp_is_the_latent_mde_at_a_50_percent_start_by_compares_convention() -> None:
    # review L8: one convention with compare's pp_at_50 = σ(δ_T) − σ(δ_U), δ_T,U = shift ± MDE/2
    def expit(x: float) -> float:
        return 1 / (1 + math.exp(-x))

    for shift in (0.0, 0.5, 1.2):
        result = detectable(Design(300, shift=shift))
        m = result["mde_latent"]
        assert result["mde_pp"] == pytest.approx(100 * (expit(shift + m / 2) - expit(shift - m / 2)), abs=0.006)
    # at a zero common gain it is symmetric about 50%; the old σ(MDE) − 0.5 read 16.09 pp at shift 0.5
    assert detectable(Design(300))["mde_pp"] == pytest.approx(15.56, abs=0.006)
    # §1.3 translation table at p_ref = 0.5 and 0.9
    assert [round(pw.pp_at(d), 1) for d in (0.25, 0.5, 0.75, 1.0)] == [6.2, 12.2, 17.9, 23.1]
    assert [round(pw.pp_at(d, 0.9), 1) for d in (0.25, 0.5, 0.75, 1.0)] == [2.0, 3.7, 5.0, 6.1]


def test_connor_mcnemar_sample_sizes() -> None:
    assert pw.mcnemar_n(0.2, 0.05) == pytest.approx(625.55, abs=0.01)  # KA15
    assert [round(pw.mcnemar_n(0.2, d)) for d in (0.03, 0.05, 0.10)] == [1742, 626, 155]  # §1.10


def test_miller_969_questions_for_3pp_means_paired_variance_one_ninth() -> None:
    assert pw.miller_n(0.03, 1 / 9) == pytest.approx(969.0, abs=0.5)


def test_statsmodels_power_classes_give_ka15() -> None:
    assert TTestIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8) == pytest.approx(63.766, abs=1e-3)
    assert NormalIndPower().solve_power(effect_size=0.2, alpha=0.05, power=0.8) == pytest.approx(392.443, abs=1e-3)
    assert TTestPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8) == pytest.approx(33.367, abs=1e-3)


def test_flatness_tost_table_of_section_1_8() -> None:
    assert pw.flatness_n(0.10, 0.03) == pytest.approx(951, abs=2)
    assert pw.flatness_n(0.20, 0.03) == pytest.approx(1903, abs=3)
    assert pw.flatness_n(0.20, 0.02) == pytest.approx(4281, abs=5)
    assert pw.flatness_power(1000, 0.10, 0.03) == pytest.approx(0.82, abs=0.01)
    assert pw.flatness_power(1000, 0.20, 0.03) == pytest.approx(0.37, abs=0.01)


@pytest.mark.parametrize(("controls", "expected"), [(8, (0.13, 0.37, 0.68, 0.90)), (19, (0.15, 0.45, 0.79, 0.96))])
def test_ddd_power_reproduces_the_analytic_l3_table(controls: int, expected: tuple[float, ...]) -> None:
    # §3.3: power vs E / sqrt(τ_f² + v) = 1, 2, 3, 4
    got = [pw.ddd_power(ratio, controls, 1.0) for ratio in (1, 2, 3, 4)]
    assert got == pytest.approx(expected, abs=0.006)


def test_ddd_mde_inverts_power_and_shrinks_with_controls() -> None:
    mdes = [pw.ddd_mde(c, 0.35) for c in (3, 5, 8, 12, 19)]
    assert all(a > b for a, b in zip(mdes, mdes[1:], strict=False))
    assert pw.ddd_power(mdes[2], 8, 0.35) == pytest.approx(0.8, abs=1e-6)
    # §1.10: 80% power needs roughly 3-4 × sqrt(τ_f² + v) with C ≥ 12
    assert 3.0 < pw.ddd_mde(12, 1.0) < 4.0
    result = detectable(Design(300, controls=8))
    assert result["mde_ddd"] == pytest.approx(pw.ddd_mde(8, result["ddd_sd"]), rel=1e-3)
    assert detectable(Design(300))["mde_ddd"] is None


def test_resampling_ratio_is_one_over_k_for_pure_rasch_items() -> None:
    for k in (2, 3, 5, 10):
        latent, pp = pw.resampling_ratio(k, 0.25, 0.5, 0.0)
        assert latent == pytest.approx(1 / k, rel=0.03)
        assert pp == pytest.approx(1 / k, rel=0.08)


def test_item_noise_limits_the_benefit_of_more_samples() -> None:
    quiet, _ = pw.resampling_ratio(5, 0.25, 0.5, 0.0)
    noisy, _ = pw.resampling_ratio(5, 0.25, 0.5, 1.0)
    assert noisy > quiet * 1.3
    assert pw.resampling_ratio(1, 0.25, 0.5, 1.0) == (1.0, 1.0)


def test_resampling_ratio_is_defined_across_the_whole_discordance_range() -> None:
    for pi_d in (0.0001, 0.01, 0.3, 0.4999):
        latent, pp = pw.resampling_ratio(3, pi_d, 0.5, 0.3)
        assert 0.2 < latent < 1 and 0.2 < pp < 1


def test_curve_passes_through_alpha_and_the_requested_power() -> None:
    design = Design(500, samples=3, discordance=0.3)
    result = detectable(design)
    assert result["curve"][0] == {"effect": 0.0, "power": pytest.approx(0.05, abs=1e-4)}
    powers = [point["power"] for point in result["curve"]]
    assert powers == sorted(powers)
    assert pw.latent_power(design, result["mde_latent"]) == pytest.approx(0.8, abs=1e-3)


def test_l2_is_untestable_below_three_plus_three_and_its_mde_falls_with_suites() -> None:
    assert detectable(Design(300))["mde_l2"] is None
    assert detectable(Design(300))["l2_testable"] is False
    four = detectable(Design(300, n_targeted=4, n_untargeted=4))["mde_l2"]
    six = detectable(Design(300, n_targeted=6, n_untargeted=6))["mde_l2"]
    assert four > six > 0
    assert detectable(Design(300, n_targeted=3, n_untargeted=3))["permutation_floor"] == pytest.approx(0.05)


def test_advice_says_raise_samples_first_when_that_reaches_the_target() -> None:
    text = " ".join(detectable(Design(300, discordance=0.25))["advice"])
    assert "Raise samples per item first" in text and "k=3" in text
    assert "no inference beyond these benchmarks" in text
    assert "no control transitions" in text
    rich = " ".join(detectable(Design(1000, samples=5, n_targeted=4, n_untargeted=4, controls=19))["advice"])
    assert "within the 0.5 logit target" in rich and "no inference" not in rich


def test_detectable_is_json_ready_and_keeps_the_contract_keys() -> None:
    import json

    result = detectable(Design(300, samples=3, controls=5))
    for key in ("mde_latent", "mde_pp", "mde_ddd", "design", "curve"):
        assert key in result
    assert result["design"]["n_items"] == 300 and result["design"]["samples"] == 3
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize(("field", "value"), [("n_items", 3), ("discordance", 0.0), ("discordance", 0.7),
                                              ("alpha", 0.0), ("power", 1.0), ("n_targeted", 0)])
def test_bad_design_values_are_user_errors_naming_the_field(field: str, value: float) -> None:
    kwargs = {"n_items": 300, field: value}
    with pytest.raises(UserError, match=field):
        Design(**kwargs)


def test_discordance_at_a_starting_accuracy_matches_the_simulated_item_population() -> None:
    from sim.dgp import Scenario, suite_discordance

    for acc in (0.35, 0.5, 0.85, 0.95):
        sc = Scenario("one suite", n_targeted=1, n_untargeted=1, baselines_targeted=(acc, acc),
                      baselines_untargeted=(acc, acc), shift=0.8, noise_sd=0.3)
        assert pw.discordance_at(acc, 0.8, 1.5, 0.3) == pytest.approx(suite_discordance(sc)[0], abs=0.003)
    # near a ceiling few items can flip
    assert pw.discordance_at(0.95, 0.5) < pw.discordance_at(0.85, 0.5) < pw.discordance_at(0.5, 0.5)
    with pytest.raises(UserError, match="between 0 and 1"):
        pw.discordance_at(1.0)


def test_pooled_discordance_is_the_variance_matching_harmonic_combination() -> None:
    assert pw.pooled_discordance([0.3] * 4, [1, 1, 0, 0]) == pytest.approx(0.3)
    pooled = pw.pooled_discordance([0.3, 0.3, 0.2, 0.15], [1, 1, 0, 0])
    # Var(A) with per-suite discordances equals the single-π variance at the pooled value
    per_suite = (1 / 0.3 + 1 / 0.3) / 4 + (1 / 0.2 + 1 / 0.15) / 4
    assert (1 / pooled) * (1 / 2 + 1 / 2) == pytest.approx(per_suite)
    assert pooled < (0.3 + 0.3 + 0.2 + 0.15) / 4


def _enumerated_item_variances(p0, p1, w, k):  # the (k + 1)² outcome grid, as a reference for small k
    import numpy as np
    from scipy import stats

    xs = np.arange(k + 1)
    f0 = stats.binom.pmf(xs[None, :], k, p0[:, None])
    f1 = stats.binom.pmf(xs[None, :], k, p1[:, None])
    x0, x1 = np.meshgrid(xs, xs, indexing="ij")
    joint = f0[:, :, None] * f1[:, None, :]

    def mean(a):
        return float(np.einsum("n,nij,ij->", w, joint, a))

    r, s = x1 * (k - x0) / (2 * k), (k - x1) * x0 / (2 * k)
    er, es = mean(r), mean(s)
    latent = (mean(r * r) - er**2) / er**2 + (mean(s * s) - es**2) / es**2 - 2 * (mean(r * s) - er * es) / (er * es)
    d = (x1 - x0) / k
    return latent, mean(d * d) - mean(d) ** 2


@pytest.mark.parametrize("k", [1, 2, 5, 20])
def test_item_variances_in_closed_form_equal_the_enumerated_outcome_grid(k: int) -> None:
    p0, p1, w = pw._reference_items(1.3, 0.5, 0.3)
    assert pw._item_variances(p0, p1, w, k) == pytest.approx(_enumerated_item_variances(p0, p1, w, k), rel=1e-10)


def test_large_k_costs_no_memory_and_the_ratio_approaches_the_item_noise_floor() -> None:
    """Review M1: k = 1,000 allocated 9,216·(k+1)² doubles (68.8 GiB, ArrayMemoryError)."""
    r500 = pw.resampling_ratio(500, 0.25)
    r1000 = pw.resampling_ratio(1000, 0.25)
    floor = pw.resampling_ratio(10**6, 0.25)
    for a, b in zip(r1000, r500, strict=True):
        assert a < b  # still falling with k ...
    for a, f in zip(r1000, floor, strict=True):
        assert 0 < f < a < f * 1.1  # ... towards what item noise leaves (more samples cannot remove it)
    assert detectable(Design(300, samples=1000))["mde_latent"] > 0
