"""Known answers KA13-KA14 (STATISTICS.md §2.4): multiplicity and equivalence, plus gatekeeping and the
intersection-union rule. KA15 (power) belongs to harness.stats.power (tests/stats/test_power.py)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from harness.stats import (
    Hypothesis,
    benjamini_hochberg,
    gatekeeping,
    holm,
    intersection_union,
    tango_ci,
    tango_tost,
    tost,
)

BH95 = np.array([0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262,
                 0.5719, 0.6528, 0.7590, 1.000])

# R equivalence::tost example in statsmodels/stats/tests/test_tost.py (clinic data, 30 x 7): columns
# var1 (third) and var2 (fourth), rows 1-15 (group 1) paired with rows 16-30 (group 2).
CLINIC_VAR1 = np.array([2.84, 2.51, 2.41, 2.95, 3.14, 3.79, 4.14, 3.85, 3.02, 3.45, 5.37, 3.81, 4.19, 3.16, 3.84,
                        2.60, 2.82, 2.18, 3.46, 4.01, 3.04, 3.47, 4.06, 2.91, 3.59, 4.51, 3.16, 3.86, 3.31, 3.02])
CLINIC_VAR2 = np.array([4.00, 3.26, 4.14, 3.42, 3.25, 4.34, 4.97, 4.31, 3.11, 3.41, 5.02, 4.21, 4.59, 5.30, 4.32,
                        3.76, 3.66, 3.65, 3.60, 3.48, 2.87, 3.24, 3.92, 3.99, 4.21, 4.21, 3.31, 3.61, 2.97, 2.73])


def test_ka13_benjamini_hochberg_and_holm():
    bh = benjamini_hochberg(BH95)
    assert int(np.sum(bh <= 0.05)) == 4
    assert bh[:4] == pytest.approx([0.0015, 0.0030, 0.0095, 0.035625], abs=1e-12)
    h = holm(BH95)
    assert int(np.sum(h <= 0.05)) == 3
    assert h[:4] == pytest.approx([0.0015, 0.0056, 0.0247, 0.114], abs=1e-12)
    assert int(np.sum(BH95 * BH95.size <= 0.05)) == 3  # Bonferroni
    assert int(multipletests(BH95, 0.05, method="fdr_2sbky")[0].sum()) == 8  # two-stage BKY (statsmodels)
    # our implementations agree with statsmodels on unsorted input and NaNs stay out of the family
    rng = np.random.default_rng(1)
    p = rng.random(9)
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1])
    assert benjamini_hochberg(p) == pytest.approx(multipletests(p, method="fdr_bh")[1])
    with_nan = holm(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx([0.02, 0.04])


@pytest.mark.parametrize(
    "var, p_expected, mean, ci",
    [(CLINIC_VAR1, 0.003166881489265175, 0.164667, (-0.074434, 0.403767)),
     (CLINIC_VAR2, 0.4412034046017588, 0.562667, (0.1261653305099018, 0.999168002823431))],
)
def test_ka14_tost_paired_matches_r_equivalence(var, p_expected, mean, ci):
    d = var[:15] - var[15:]
    se = d.std(ddof=1) / np.sqrt(d.size)
    res = tost(d.mean(), se, 0.6, df=d.size - 1)
    assert res.p_value == pytest.approx(p_expected, abs=1e-12)
    assert d.mean() == pytest.approx(mean, abs=1e-6)
    assert res.extra["ci"] == pytest.approx(ci, abs=1e-6)
    assert res.extra["equivalent"] is (p_expected < 0.05)


def test_tango_tost_interval_and_decision_agree():
    # 1,000 untargeted items, 100 discordant split 52/48: the gain 0.4 pp is within ±3 pp
    res = tango_tost(52, 48, 1000, 0.03)
    assert res.extra["ci"] == pytest.approx(tango_ci(52, 48, 1000, level=0.90))
    assert res.extra["equivalent"] and res.p_value < 0.05
    lo, hi = res.extra["ci"]
    assert -0.03 < lo < hi < 0.03
    # a non-significant gain is not flatness: 400 discordant items make the interval too wide
    wide = tango_tost(210, 190, 1000, 0.03)
    assert not wide.extra["equivalent"]


def test_gatekeeping_stops_at_the_first_non_rejection():
    rows = gatekeeping([Hypothesis("L1", 0.01), Hypothesis("L3", 0.2), Hypothesis("L2", 0.001)])
    assert [r["tested"] for r in rows] == [True, True, False]
    assert [r["rejected"] for r in rows] == [True, False, False]
    assert "earlier hypothesis" in rows[2]["reason"]
    untestable = gatekeeping([Hypothesis("L1", 0.01), Hypothesis("L3", float("nan"), False, "no controls")])
    assert untestable[1] == {"hypothesis": "L3", "tested": False, "p_value": None, "rejected": False,
                             "reason": "no controls"}


def test_intersection_union_needs_every_component():
    assert intersection_union([0.01, 0.04]).extra["holds"]
    assert not intersection_union([0.01, 0.06]).extra["holds"]
    assert intersection_union([0.01, 0.04]).p_value == 0.04
