"""Known answers for the fingerprint statistics (the formulas of the module docstring)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.provenance.stats import (
    calibrate,
    claim,
    mean_shift,
    paired_one_sided,
    sign_flip_p,
    specificity,
    welch_did,
)


def test_mean_shift_is_the_prompt_level_clt() -> None:
    d = np.array([0.5, 1.5, -0.25, 2.0, 1.0, 0.75])
    out = mean_shift(d)
    se = d.std(ddof=1) / math.sqrt(d.size)
    assert out["estimate"] == pytest.approx(d.mean()) and out["se"] == pytest.approx(se)
    assert out["ci"] == pytest.approx([d.mean() - 1.959964 * se, d.mean() + 1.959964 * se], rel=1e-5)
    assert out["p_value"] == pytest.approx(2 * stats.norm.sf(d.mean() / se))
    clustered = mean_shift(d, np.array(["a", "a", "b", "b", "c", "c"]))
    sums = np.array([d[:2].sum(), d[2:4].sum(), d[4:].sum()]) - 2 * d.mean()
    assert clustered["se"] == pytest.approx(math.sqrt((sums**2).sum()) / d.size * math.sqrt(3 / 2))


def test_sign_flip_is_exact_for_small_samples() -> None:
    d = np.array([1.0, 2.0, 3.0])
    # 8 sign patterns; sums ≥ 6 only for (+,+,+): p = 1/8
    assert sign_flip_p(d) == pytest.approx(1 / 8)
    assert sign_flip_p(-d) == pytest.approx(1.0)
    big = np.random.default_rng(0).normal(0.0, 1.0, 400)
    assert 0.05 < sign_flip_p(big, n_perm=4000) < 0.95


def test_welch_did_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    t, u = rng.normal(0.5, 1.0, 40), rng.normal(0.0, 2.0, 25)
    out = welch_did(t, u)
    ref = stats.ttest_ind(t, u, equal_var=False, alternative="greater")
    assert out["estimate"] == pytest.approx(t.mean() - u.mean())
    assert out["p_value"] == pytest.approx(ref.pvalue) and out["df"] == pytest.approx(ref.df)


def test_specificity_is_paired_with_holm() -> None:
    rng = np.random.default_rng(2)
    d_t = rng.normal(1.0, 1.0, 60)
    others = {"near": d_t - rng.normal(0.05, 1.0, 60), "far": d_t - rng.normal(1.0, 1.0, 60)}
    rows = specificity(d_t, others)
    p = [stats.ttest_1samp(d_t - others[r["candidate"]], 0, alternative="greater").pvalue for r in rows]
    assert [r["p_value"] for r in rows] == pytest.approx(p)
    lo, hi = sorted(p)
    holm = {p[0]: None, p[1]: None}
    holm[lo], holm[hi] = min(1, 2 * lo), min(1, max(2 * lo, hi))
    assert [r["p_holm"] for r in rows] == pytest.approx([holm[x] for x in p])


def test_calibration_is_the_prediction_interval_t_and_placebo_rank() -> None:
    controls = [0.1, -0.2, 0.3, 0.0, 0.15, -0.1, 0.05, 0.2]
    out = calibrate(0.9, 0.1, controls, [0.1] * 8)
    c = np.array(controls)
    t = (0.9 - c.mean()) / (c.std(ddof=1) * math.sqrt(1 + 1 / 8))
    assert out["t"] == pytest.approx(t) and out["df"] == 7
    assert out["p_value"] == pytest.approx(stats.t.sf(t, 7))
    assert out["rank_p"] == pytest.approx(1 / 9) and out["testable"]
    few = calibrate(0.9, 0.1, controls[:3], [0.1] * 3)
    assert not few["testable"] and "descriptive" in few["note"]
    none = calibrate(0.9, 0.1, [])
    assert none["p_value"] is None and "industry" in none["note"]


def _cal(p: float, testable: bool = True) -> dict:
    return {"testable": testable, "p_value": p, "n_controls": 8 if testable else 3}


def test_claim_is_an_intersection_union() -> None:
    spec = [{"candidate": "gpt", "p_holm": 0.01}, {"candidate": "gemini", "p_holm": 0.03}]
    yes = claim(_cal(0.02), spec, None, _cal(0.01))
    assert yes.fingerprint and yes.fingerprint_p == pytest.approx(0.03) and yes.targeted
    assert not claim(_cal(0.02), [*spec[:1], {"candidate": "gemini", "p_holm": 0.2}], None, _cal(0.01)).fingerprint
    assert not claim(_cal(0.2), spec, None, _cal(0.01)).fingerprint
    untestable = claim(_cal(0.001, testable=False), spec, None, _cal(0.01))
    assert not untestable.fingerprint and "not testable" in untestable.reasons[0]
    assert not claim(_cal(0.02), [], None, _cal(0.01)).fingerprint  # no candidates: specificity untestable
    pre = {"exceeds": {"p_value": 0.4}}
    assert not claim(_cal(0.02), spec, pre, _cal(0.01)).fingerprint
    not_targeted = claim(_cal(0.02), spec, None, _cal(0.3))
    assert not_targeted.fingerprint and not not_targeted.targeted


def test_paired_one_sided() -> None:
    e = np.array([0.2, 0.4, 0.1, 0.3])
    out = paired_one_sided(e)
    assert out["p_value"] == pytest.approx(stats.ttest_1samp(e, 0, alternative="greater").pvalue)
