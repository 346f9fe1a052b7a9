"""The verdict's guards from the second statistical review (findings 4 and 5, wording a and d): declared
item clusters too few for a cluster variance, item-gain fits that did not converge, a group of one suite,
and H1's one-sided p over the σ grid. Deterministic tables: each would fire the verdict without its guard."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from harness.compare import compare
from harness.compare.schema import validate_compare
from harness.stats.primary import SuiteGain, SuiteTable, decide_primary


def _table(mu: list[float], se: float = 0.1, converged: list[bool] | None = None,
           sigmas: list[float | None] | None = None, shift: list[float] | None = None) -> SuiteTable:
    """A suite table by hand: per suite its μ̂ (plus `shift[i]` in row i), all SEs `se`."""
    sigmas = sigmas or [None]
    converged = converged or [True] * len(mu)
    shift = shift or [0.0] * len(sigmas)
    gains = [[SuiteGain(m + shift[i], se, math.nan if s is None else s, s is None, c, False)
              for m, c in zip(mu, converged, strict=True)] for i, s in enumerate(sigmas)]
    n = len(mu)
    return SuiteTable(sigmas == [None], [f"s{j}" for j in range(n)], sigmas, gains, np.full(n, 50), np.full(n, 50))


def test_a_verdict_resting_on_a_nonconverged_fit_is_fragile():
    # targeted 1.0, 1.0, 1.0 vs untargeted 0.2, 0.2, 0.2: fires; every leave-one-out agrees
    t = np.array([True] * 3 + [False] * 3)
    ok = decide_primary(_table([1.0, 1.0, 1.0, 0.2, 0.2, 0.2]), t)
    assert ok.verdict == "targeted_larger" and ok.nonconverged == []
    # one targeted suite's fit did not converge and carries the effect: dropping it and one other changes it
    table = _table([3.0, 0.25, 0.25, 0.2, 0.2, 0.2], converged=[False, True, True, True, True, True])
    loo_only = decide_primary(_table([3.0, 0.25, 0.25, 0.2, 0.2, 0.2]), t)
    assert loo_only.rows[0].direction == "targeted"
    prim = decide_primary(table, t)
    assert prim.nonconverged == ["s0"]
    assert prim.verdict == "fragile"
    assert any("did not converge" in r for r in prim.decision.reasons)
    doc = prim.to_dict()
    assert doc["nonconverged_suites"] == ["s0"] and doc["without_nonconverged"]["directions"] == ["none"]
    # non-converged but not carrying the verdict: it survives dropping them, so it stands
    survive = decide_primary(_table([1.0, 1.0, 1.0, 0.2, 0.2, 0.2], converged=[False] + [True] * 5), t)
    assert survive.nonconverged == ["s0"] and survive.verdict == "targeted_larger"
    # every targeted fit non-converged: dropping them empties the group
    empty = decide_primary(_table([1.0, 1.0, 0.2, 0.2], converged=[False, False, True, True]),
                           np.array([True, True, False, False]))
    assert empty.verdict == "fragile" and any("without which a group has no suite" in r for r in empty.decision.reasons)


def test_a_group_of_one_suite_cannot_carry_the_verdict():
    # 1 + 3 suites, every interval far above 0: leave-one-out cannot drop the lone targeted suite
    prim = decide_primary(_table([2.0, 0.2, 0.2, 0.2]), np.array([True, False, False, False]))
    assert prim.rows[0].direction == "targeted" and "s0" not in prim.leave_one_out
    assert prim.verdict == "fragile"
    assert any("targeted group has one suite:" in r for r in prim.decision.reasons)


def test_declared_few_clusters_make_the_verdict_fragile():
    t = np.array([True] * 3 + [False] * 3)
    table = _table([1.0, 1.0, 1.0, 0.2, 0.2, 0.2])
    assert decide_primary(table, t).verdict == "targeted_larger"
    prim = decide_primary(table, t, few_clusters=["s4"])
    assert prim.verdict == "fragile" and prim.to_dict()["few_cluster_suites"] == ["s4"]
    assert any("fewer than 20 item clusters" in r for r in prim.decision.reasons)


def test_h1_is_the_least_favourable_one_sided_p_over_the_grid():
    # two σ rows: +0.1 (two-sided p 0.92, one-sided 0.46) and -0.5 (two-sided 0.62, one-sided 0.69)
    se = 1.0  # per suite: A's variance with 2 + 2 suites is 2·se²/4 + 2·se²/4 = 1
    table = _table([0.0, 0.0, 0.0, 0.0], se=se, sigmas=[0.0, 1.0])
    gains = [[SuiteGain(m, se, s, False, True, False) for m in mus]
             for s, mus in ((0.0, [0.1, 0.1, 0.0, 0.0]), (1.0, [-0.5, -0.5, 0.0, 0.0]))]
    table = SuiteTable(False, table.suites, [0.0, 1.0], gains, table.n_gains, table.n_losses)
    prim = decide_primary(table, np.array([True, True, False, False]))
    assert [r.se for r in prim.rows] == pytest.approx([1.0, 1.0])
    assert prim.summary_row.sigma == 0.0  # the largest two-sided p: the old H1 took its one-sided 0.46
    assert prim.p_one_sided == pytest.approx(float(stats.norm.sf(-0.5)))  # 0.69


def _clustered(rng: np.random.Generator, n_clusters: int, per: int = 40) -> pd.DataFrame:
    """3 + 3 suites, one sample per item, the targeted suites gaining far more; `n_clusters` per suite."""
    rows = []
    for j, (cat, mu) in enumerate([("targeted", 2.0)] * 3 + [("untargeted", 0.2)] * 3):
        suite = f"{cat[0]}{j}"
        n = n_clusters * per
        theta = rng.normal(0, 1.0, n)
        y0 = rng.random(n) < special.expit(theta)
        y1 = rng.random(n) < special.expit(theta + mu)
        for i in range(n):
            for model, y in (("old", y0[i]), ("new", y1[i])):
                rows.append({"model": model, "suite": suite, "category": cat, "item_id": f"{suite}-{i}",
                             "score": float(y), "cluster": f"{suite}-c{i // per}"})
    return pd.DataFrame(rows)


def test_compare_with_few_declared_clusters_gives_no_verdict():
    rng = np.random.default_rng(5)
    many = compare(_clustered(rng, 25, 24), "old", "new", n_boot=0)
    assert many["verdict"] == "targeted_larger", many["asymmetry"]["primary"]["verdict_reasons"]
    doc = compare(_clustered(np.random.default_rng(5), 5, 120), "old", "new", n_boot=0)
    assert validate_compare(doc) == []
    assert doc["verdict"] == "fragile"
    assert "few_clusters" in {g["name"] for g in doc["diagnostics"]["guards"]}
    assert len(doc["asymmetry"]["primary"]["few_cluster_suites"]) == 6
    # H1 of the gatekeeping sequence is the primary's least favourable one-sided p
    h1 = doc["gatekeeping"][0]
    assert h1["p_value"] == pytest.approx(doc["asymmetry"]["primary"]["p_one_sided"])
