"""Known answers KA7-KA9 (STATISTICS.md §2.2): the gain/loss table, per-suite latent gains and A^L, and
the conditional-vs-unconditional logit (the incidental-parameter bias is documented, not fixed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.discrete.conditional_models import ConditionalLogit
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

from harness.stats import (
    asymmetry,
    exact_latent_ci,
    gain_loss_odds_ratio,
    gain_loss_table_test,
    group_mean,
    latent_gain,
    pp_equivalent,
)

KA8 = {"code": (90, 20), "agent": (30, 10), "math": (35, 25), "fact": (25, 15)}


def _pairs(gains: int, losses: int, both: int = 0, neither: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per-item (after, before) outcomes with the given counts of each kind of pair."""
    x1 = np.r_[np.ones(gains), np.zeros(losses), np.ones(both), np.zeros(neither)]
    x0 = np.r_[np.zeros(gains), np.ones(losses), np.ones(both), np.zeros(neither)]
    return x1, x0


def test_ka7_gain_loss_table_by_group():
    est = gain_loss_odds_ratio(120, 30, 60, 40)
    assert math.exp(est.estimate) == pytest.approx(2.66667, abs=1e-5)
    assert est.estimate == pytest.approx(0.980829, abs=1e-6)
    assert est.se == pytest.approx(0.288675, abs=1e-6)
    assert tuple(np.exp(est.ci)) == pytest.approx((1.51443, 4.69558), abs=1e-5)
    assert gain_loss_table_test(120, 30, 60, 40, "chi2") == pytest.approx(0.000560, abs=1e-6)
    assert gain_loss_table_test(120, 30, 60, 40, "fisher") == pytest.approx(0.000871, abs=1e-6)
    ref = Table2x2(np.array([[120, 30], [60, 40]]))
    assert est.se == pytest.approx(ref.log_oddsratio_se)


def test_ka8_per_suite_latent_gains_and_primary_asymmetry():
    ests = [latent_gain(*_pairs(g, lo, both=40, neither=40)) for g, lo in KA8.values()]
    assert [e.estimate for e in ests] == pytest.approx([1.504077, 1.098612, 0.336472, 0.510826], abs=1e-6)
    assert ests[0].se == pytest.approx(math.sqrt(1 / 90 + 1 / 20), abs=1e-12)  # RBG = 1/G + 1/L for k = 1
    values, variances = [e.estimate for e in ests], [e.se**2 for e in ests]
    a = asymmetry(values, variances, [True, True, False, False])
    assert a.estimate == pytest.approx(0.877696, abs=1e-6)
    assert a.se == pytest.approx(0.304008, abs=1e-6)
    assert a.ci == pytest.approx((0.28184, 1.47355), abs=2e-5)  # §2 printed them with z = 1.96
    t, u = group_mean(values[:2], variances[:2]), group_mean(values[2:], variances[2:])
    assert math.exp(t.estimate) == pytest.approx(3.674, abs=1e-3)
    assert tuple(np.exp(t.ci)) == pytest.approx((2.39, 5.66), abs=6e-3)
    assert math.exp(u.estimate) == pytest.approx(1.528, abs=1e-3)
    assert tuple(np.exp(u.ci)) == pytest.approx((1.01, 2.30), abs=6e-3)
    assert 100 * pp_equivalent(t.estimate) == pytest.approx(28.6, abs=0.05)
    assert 100 * pp_equivalent(u.estimate) == pytest.approx(10.4, abs=0.05)
    assert ests[0].ci == pytest.approx((1.01955, 1.98860), abs=2e-5)  # Wald, printed with z = 1.96
    assert exact_latent_ci(90, 20) == pytest.approx((1.01122, 2.04320), abs=1e-5)


def test_ka8_asymmetry_equals_the_discordant_glm_contrast():
    # §1.4: a binomial GLM on discordant items with suite dummies and the contrast (1/2, 1/2, -1/2, -1/2)
    rows = []
    for s, (g, lo) in KA8.items():
        rows += [(s, 1)] * g + [(s, 0)] * lo
    frame = pd.DataFrame(rows, columns=["suite", "gain"])
    x = pd.get_dummies(frame["suite"])[list(KA8)].astype(float)
    fit = sm.GLM(frame["gain"], x, family=sm.families.Binomial()).fit(tol=1e-14)
    contrast = np.array([0.5, 0.5, -0.5, -0.5])
    ests = [latent_gain(*_pairs(g, lo)) for g, lo in KA8.values()]
    a = asymmetry([e.estimate for e in ests], [e.se**2 for e in ests], [True, True, False, False])
    assert contrast @ fit.params.to_numpy() == pytest.approx(a.estimate, abs=1e-8)
    assert math.sqrt(contrast @ fit.cov_params().to_numpy() @ contrast) == pytest.approx(a.se, abs=1e-8)


def test_ka8_exact_interval_used_when_few_gains_or_losses():
    est = latent_gain(*_pairs(12, 3, both=20))
    assert "exact" in est.method
    assert est.ci == pytest.approx(exact_latent_ci(12, 3))
    # a zero count: Haldane point estimate, an unbounded exact side, and the JSON shows null for it
    zero = latent_gain(*_pairs(6, 0, both=5))
    assert zero.estimate == pytest.approx(math.log(6.5 / 0.5))
    assert zero.ci[1] == math.inf and zero.to_dict()["ci"][1] is None
    assert "Haldane" in zero.note


@pytest.mark.filterwarnings("ignore:Dropped .* groups")  # concordant items carry no information
def test_ka9_conditional_logit_and_mh_agree_and_item_dummy_logit_is_biased():
    # 30 gains (0→1), 10 losses (1→0), 40 both correct, 20 both wrong
    x1, x0 = _pairs(30, 10, both=40, neither=20)
    est = latent_gain(x1, x0)
    assert est.estimate == pytest.approx(math.log(3), abs=1e-9)
    assert est.se == pytest.approx(0.365148, abs=1e-6)

    n = x1.size
    y = np.r_[x0, x1]
    release = np.r_[np.zeros(n), np.ones(n)]
    item = np.r_[np.arange(n), np.arange(n)]
    clogit = ConditionalLogit(y, release[:, None], groups=item).fit(method="newton", disp=0)
    assert clogit.params[0] == pytest.approx(math.log(3), abs=1e-6)
    assert clogit.bse[0] == pytest.approx(0.365148, abs=1e-5)

    tables = [np.array([[a, 1 - a], [b, 1 - b]]) for a, b in zip(x1, x0, strict=True)]
    st = StratifiedTable(tables)
    assert st.oddsratio_pooled == pytest.approx(3.0)
    assert st.logodds_pooled_se == pytest.approx(0.365148, abs=1e-6)
    assert st.test_null_odds().pvalue == pytest.approx(0.001565, abs=1e-6)

    # The unconditional logit with item dummies (only discordant items are informative; concordant
    # items' dummies diverge) converges to 2·ln 3: Andersen's incidental-parameter bias. This is why
    # the harness never fits Logit(y ~ C(item) + release) as its estimator.
    disc = x1 != x0
    k = int(disc.sum())
    yd = np.r_[x0[disc], x1[disc]]
    xd = np.column_stack([np.r_[np.zeros(k), np.ones(k)], np.vstack([np.eye(k), np.eye(k)])])
    uncond = sm.GLM(yd, xd, family=sm.families.Binomial()).fit(tol=1e-14)
    assert uncond.params[0] == pytest.approx(2 * math.log(3), abs=1e-6)
    assert uncond.params[0] == pytest.approx(2 * est.estimate, abs=1e-6)


def test_latent_gain_is_ceiling_free_under_rasch_with_many_samples():
    # Rasch items at very different baselines with the same true shift: MH recovers it in both
    rng = np.random.default_rng(3)
    shift, k, n = 0.8, 5, 4000
    for centre in (-1.0, 2.0):  # ~30% and ~85% starting accuracy
        b = rng.normal(-centre, 1.5, n)
        x0 = rng.binomial(k, 1 / (1 + np.exp(b)))
        x1 = rng.binomial(k, 1 / (1 + np.exp(b - shift)))
        est = latent_gain(x1, x0, k)
        assert abs(est.estimate - shift) < 3 * est.se


def test_cluster_robust_variance_reduces_to_rbg_for_singletons_and_grows_with_cluster_effects():
    x1, x0 = _pairs(60, 30, both=50, neither=60)
    plain = latent_gain(x1, x0)
    singletons = latent_gain(x1, x0, clusters=np.arange(x1.size))
    assert singletons.se == pytest.approx(plain.se * math.sqrt(x1.size / (x1.size - 1)), rel=1e-12)
    # gains and losses concentrated in whole clusters: the robust SE is larger
    clustered = latent_gain(x1, x0, clusters=np.repeat(np.arange(20), 10))
    assert clustered.se > 1.5 * plain.se and "cluster-robust" in clustered.method
