"""Per-suite statistics of a paired comparison (accuracies, pp gain, gains and losses, the latent gain with
its item-level variance, McNemar mid-p, flags) and the Mantel-Haenszel asymmetry A^L of a Pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.compare.pairing import Pair
from harness.stats import (
    Estimate,
    asymmetry,
    holm,
    mcnemar,
    normalized_gain,
    paired_mean,
    pass_at_k,
    tango_ci,
    variance_components,
    wilson_ci,
)
from harness.stats.estimate import finite_or_none
from harness.stats.latent import EXACT_BELOW, latent_gain
from harness.stats.primary import MIN_SUITE_ITEMS

#: Suites starting above 1 - EDGE or below EDGE enter layer 1 only with MIN_DISCORDANT discordant items (§1.3).
EDGE, MIN_DISCORDANT = 0.10, 30





def num(value: Any) -> float | None:
    return finite_or_none(value)


def interval(ci: Sequence[float], scale: float = 1.0) -> list[float | None]:
    return [num(ci[0] * scale), num(ci[1] * scale)]


@dataclass
class SuiteStats:
    rows: list[dict[str, Any]]
    latent: list[Estimate]
    pp: list[Estimate]
    normalized: list[Estimate]
    gains: np.ndarray
    losses: np.ndarray
    n_items: np.ndarray
    included: np.ndarray  # enters the layers (not a ceiling/floor suite with too few discordant items)
    single: bool  # one sample per item everywhere
    discordance: float  # one-sample discordance π_d pooled over included suites (harmonic, for power)


def _pooled_discordance(per_suite: list[float], targeted: list[bool]) -> float:
    """The one π_d that gives A^L the variance these suites give it (a harmonic mean: a near-ceiling suite
    with few discordant items costs what it weighs), for the power analysis of the actual design."""
    from harness.stats.power import pooled_discordance

    if any(targeted) and not all(targeted) and all(p > 0 for p in per_suite):
        return pooled_discordance(per_suite, targeted)
    return float(np.mean(per_suite)) if per_suite else math.nan


def suite_stats(pair: Pair, level: float = 0.95, cluster_use: np.ndarray | None = None,
                min_items: int = MIN_SUITE_ITEMS) -> SuiteStats:
    """Per-suite accuracies, pp gain, gains/losses, latent gain, McNemar mid-p and flags.

    Count-based methods (Tango, McNemar, the exact latent interval, pass@k) need binomial counts: a suite
    with partial-credit scores (strictly between 0 and 1) gets the paired pp interval with Miller's SE,
    the sign test over items and the items-as-draws latent variance instead (harness.stats.latent_gain).

    Items are the unit: with several samples per item the latent variance is item-level, and the suite's
    paired test is over per-item scores. `cluster_use` (per suite): whether its item clusters are used
    (suites with too few clusters get the item-level variance; harness.compare.guards.cluster_suites).
    Suites below `min_items` (the pre-registered minimum size) or at a ceiling/floor with too few
    discordant items are reported but leave the layers."""
    rows, lat, pps, ngs = [], [], [], []
    gains, losses, ns, inc = [], [], [], []
    single = bool(np.all(pair.k1 == 1) and np.all(pair.k0 == 1)) and pair.is_binary()
    disc_suite: list[float] = []  # per included suite: one-sample discordance
    disc_targeted: list[bool] = []
    for j, suite in enumerate(pair.suites):
        m = pair.code == j
        x1, x0, k1, k0 = pair.x1[m], pair.x0[m], pair.k1[m], pair.k0[m]
        cl = None if pair.cluster is None or (cluster_use is not None and not cluster_use[j]) else pair.cluster[m]
        y1, y0 = x1 / k1, x0 / k0
        n = int(m.sum())
        g, lo = int(np.sum(y1 > y0)), int(np.sum(y1 < y0))
        s_binary = pair.is_binary(m)
        s_single = bool(np.all(k1 == 1) and np.all(k0 == 1)) and s_binary
        est = latent_gain(x1, x0, k1, k0, clusters=cl, level=level, binary=s_binary)
        pp = paired_mean(y1 - y0, cl, level=level)
        ng = normalized_gain(y1, y0, cl, level=level)
        acc0, acc1 = float(y0.mean()), float(y1.mean())
        if s_single and cl is None:
            gain_ci, gain_method = tango_ci(g, lo, n, level), "Tango score interval (paired)"
        else:
            gain_ci, gain_method = pp.ci, pp.method
        w0 = wilson_ci(acc0 * n, n, level)
        w1 = wilson_ci(acc1 * n, n, level)
        flags = []
        if cl is not None:
            flags.append("clustered")
        if not s_binary:
            flags.append("partial credit")
        if np.median(k0) != np.median(k1):
            flags.append(f"samples differ ({np.median(k0):g} before, {np.median(k1):g} after)")
        if acc0 > 1 - EDGE or acc0 < EDGE:
            flags.append("ceiling" if acc0 > 1 - EDGE else "floor")
        excluded = (acc0 > 1 - EDGE or acc0 < EDGE) and g + lo < MIN_DISCORDANT
        if excluded:
            flags.append(f"excluded: starts {'above 90%' if acc0 > 1 - EDGE else 'below 10%'} with fewer than "
                         f"{MIN_DISCORDANT} discordant items")
        if n < min_items:
            flags.append(f"excluded: fewer than {min_items} items (the pre-registered minimum suite size)")
            excluded = True
        if pair.cluster is not None and cl is None:
            flags.append("too few clusters (item-level variance)")
        if s_binary and min(g, lo) < EXACT_BELOW:
            flags.append("few discordant")
        if "exact" in est.method:
            flags.append("exact interval")
        if "Haldane" in est.note:
            flags.append("zero cell (Haldane)")
        row: dict[str, Any] = {
            "suite": suite, "category": "targeted" if pair.targeted[j] else "untargeted",
            "capability": pair.capability.get(suite), "suite_version": pair.suite_version.get(suite),
            # k per release: a median over both releases' k made k = 1 -> 5 read "3 samples each"
            "n_items": n, "samples": int(min(np.median(k0), np.median(k1))),
            "samples_before": float(np.median(k0)), "samples_after": float(np.median(k1)),
            "score_type": "binary" if s_binary else "partial credit",
            "before": 100 * acc0, "after": 100 * acc1,
            "before_ci": interval((float(w0[0]), float(w0[1])), 100), "after_ci": interval((float(w1[0]), float(w1[1])), 100),
            "gain_pp": 100 * pp.estimate, "gain_pp_ci": interval(gain_ci, 100), "gain_pp_se": num(100 * pp.se),
            "gain_pp_method": gain_method,
            "gains": g, "losses": lo,
            "gain_ratio": num(math.exp(est.estimate)), "gain_ratio_ci": [num(math.exp(c)) for c in est.ci],
            "latent_gain": num(est.estimate), "latent_gain_ci": interval(est.ci), "latent_gain_se": num(est.se),
            "latent_p_value": num(est.p_value), "latent_method": est.method, "latent_note": est.note,
            "normalized_gain": num(ng.estimate), "normalized_gain_ci": interval(ng.ci),
            "mcnemar_midp": mcnemar(g, lo).p_value,
            "mcnemar_method": "McNemar mid-p" if s_single else "sign test mid-p over items (mean score rose vs fell)",
            "flags": flags,
        }
        if cl is not None:
            # items in one cluster change together: McNemar and the sign test treat them as independent and
            # over-reject (12.8% at a nominal 5% with 30 clusters of 10), so the per-suite test (and its Holm
            # p) is the cluster-robust test of the latent gain; the item-level p stays, labelled
            row["mcnemar_midp_unclustered"] = row["mcnemar_midp"]
            if "cluster-robust" in est.method:
                row["mcnemar_midp"] = num(est.p_value)
                row["mcnemar_method"] = (f"cluster-robust test of the latent gain ({est.method.split('(', 1)[1]}; "
                                         f"the item-level {row['mcnemar_method']} ignores item clusters and is in "
                                         "mcnemar_midp_unclustered")
            else:
                row["mcnemar_method"] += " (ignores item clusters: too few clusters or no gains or losses for a " \
                                         "cluster-robust test)"
        if s_binary and not s_single:
            kk = int(min(k0.min(), k1.min()))
            row["pass_at_k"] = {"k": kk, "before": 100 * float(pass_at_k(k0, x0, kk).mean()),
                                "after": 100 * float(pass_at_k(k1, x1, kk).mean()),
                                "note": "descriptive only (saturates; never used for asymmetry claims)"}
            if kk >= 2 and np.all(k0 == kk):
                row["variance_split"] = variance_components(x0, kk)
        rows.append(row)
        lat.append(est)
        pps.append(pp)
        ngs.append(ng)
        gains.append(g)
        losses.append(lo)
        ns.append(n)
        inc.append(not excluded)
        if not excluded:
            disc_suite.append(float(np.mean(y1 * (1 - y0) + y0 * (1 - y1))))
            disc_targeted.append(bool(pair.targeted[j]))
    # the Holm family (§1.9.3) is the suites that make per-suite claims: those in the layers; a suite left
    # out by the ceiling/floor rule keeps its raw p but no Holm p
    included = np.array(inc, bool)
    adj = holm(np.array([r["mcnemar_midp"] if i else np.nan for r, i in zip(rows, included, strict=True)], float))
    for r, p, i in zip(rows, adj, included, strict=True):
        r["p_holm"] = num(p) if i else None
    return SuiteStats(rows, lat, pps, ngs, np.array(gains), np.array(losses), np.array(ns), np.array(inc, bool),
                      single, _pooled_discordance(disc_suite, disc_targeted))


def values_of(ests: Sequence[Estimate], mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([e.estimate for e, m in zip(ests, mask, strict=True) if m]),
            np.array([e.se**2 for e, m in zip(ests, mask, strict=True) if m]))


def latent_asymmetry(pair: Pair, level: float = 0.95, *, exclude: bool = True) -> tuple[Estimate, SuiteStats]:
    """A^L with its analytic variance (cluster-robust per suite when clusters exist): for controls and
    contamination subsets, where the bootstrap is not needed. `exclude=False` keeps every suite of `pair`
    (a control transition is measured on exactly the suites the suspect's A^L used: the §1.3 ceiling rule
    is the suspect's, applied once, never re-applied on a control's own data)."""
    ss = suite_stats(pair, level)
    keep = ss.included if exclude else np.ones(len(pair.suites), bool)
    y, v = values_of(ss.latent, keep)
    return asymmetry(y, v, pair.targeted[keep], level=level,
                     method="latent asymmetry A^L (Mantel-Haenszel difference-in-differences)"), ss

