"""The layers of STATISTICS.md §1 over per-suite estimates: generalisation (L2), flatness (equivalence),
the contamination split, the triple difference against control transitions (L3), power, and the
decision rules (conjunction, gatekeeping).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from harness.compare.guards import Notes
from harness.compare.pairing import Pair, pair_items
from harness.compare.suites import SuiteStats, interval, latent_asymmetry, num, suite_stats
from harness.errors import UserError
from harness.stats import (
    Estimate,
    Hypothesis,
    gatekeeping,
    holm,
    meta_regression,
    paired_mean,
    pp_equivalent,
    suite_permutation_test,
    tango_tost,
    tost,
    triple_difference,
)
from harness.stats.guards import cluster_policy
from harness.stats.meta import baseline_adjusted
from harness.stats.primary import MIN_CLUSTERS, Primary, primary_asymmetry
from harness.stats.triple import MIN_CONTROLS_T

#: A contamination split makes the fresh items primary when every suite has this many (§1.5.8).
MIN_FRESH = 150
#: L2 is testable from 3+3 suites (the permutation floor reaches 0.05); gatekeeping tests it from 4+4.
L2_TESTABLE, L2_GATE = 3, 4





def _one_sided(est: Estimate) -> float:
    """One-sided p-value for 'greater than 0' from a two-sided Wald-type estimate."""
    if est.p_value is None or not math.isfinite(est.p_value) or not math.isfinite(est.estimate):
        return math.nan
    return est.p_value / 2 if est.estimate > 0 else 1 - est.p_value / 2


def generalisation(y: np.ndarray, v: np.ndarray, t: np.ndarray, level: float, seed: int) -> dict[str, Any]:
    st, su = int(t.sum()), int((~t).sum())
    block: dict[str, Any] = {"n_targeted": st, "n_untargeted": su, "testable": st >= L2_TESTABLE and su >= L2_TESTABLE,
                             "hksj": None, "hksj_modified": None, "permutation": None}
    if st >= 2 and su >= 2:
        hk = meta_regression(y, v, t, level=level)
        mod = meta_regression(y, v, t, modified=True, level=level)
        perm = suite_permutation_test(y, t, seed=seed)
        block["hksj"] = hk.to_dict()
        block["hksj_modified"] = mod.to_dict()
        block["permutation"] = {"p_value": perm.p_value, "p_one_sided": perm.extra["p_one_sided"],
                                "n_labelings": perm.extra["n_labelings"], "exact": perm.extra["exact"],
                                "min_p_one_sided": perm.extra["min_p_one_sided"], "method": perm.method}
    n = st + su
    if not block["testable"]:
        block["note"] = (f"No inference beyond these {n} benchmarks is statistically supported: generalisation "
                         f"needs at least {L2_TESTABLE} + {L2_TESTABLE} suites (4 + 4 to enter the gatekeeping "
                         f"sequence); this design has {st} + {su}.")
    elif st < L2_GATE or su < L2_GATE:
        block["note"] = (f"Generalisation is testable but weak with {st} + {su} suites (the permutation floor is "
                         f"{block['permutation']['min_p_one_sided']:.3g}); the gatekeeping sequence tests it only "
                         "from 4 + 4.")
    else:
        block["note"] = "Suites treated as draws from their domains; the effective sample size is the number of suites."
    return block


def flatness(pair: Pair, ss: SuiteStats, margin_pp: float, alpha: float,
             cluster_use: np.ndarray | None = None) -> dict[str, Any]:
    """Equivalence (TOST) of the untargeted gain within ±margin_pp, with equal suite weights like the
    asymmetry (§1.4b item 3): pooling items let a 50,000-item flat suite hide a 300-item suite gaining
    +20.7 pp. The mean of the untargeted suites' paired pp gains, SE √(Σ se²)/S (suites independent, items
    the unit); with one untargeted suite of one 0/1 sample per item, Tango's exact-score TOST."""
    u = ~pair.targeted & ss.included
    margin = margin_pp / 100
    if not u.any():
        return {"margin_pp": margin_pp, "ci90": [None, None], "equivalent": False,
                "note": "no untargeted suite in the layers"}

    def clusters_of(j: int, m: np.ndarray) -> np.ndarray | None:
        if pair.cluster is None or (cluster_use is not None and not cluster_use[j]):
            return None
        return pair.cluster[m]

    def counts(j: int, m: np.ndarray) -> bool:  # one 0/1 sample per item, no clusters: Tango's TOST applies
        return bool(clusters_of(j, m) is None and np.all(pair.k1[m] == 1) and np.all(pair.k0[m] == 1)
                    and pair.is_binary(m))

    per_suite, means, ses, n_items = [], [], [], 0
    for j in np.flatnonzero(u):
        m = pair.code == j
        dj = pair.x1[m] / pair.k1[m] - pair.x0[m] / pair.k0[m]
        pm = paired_mean(dj, clusters_of(j, m))
        means.append(pm.estimate)
        ses.append(pm.se)
        n_items += dj.size
        if counts(j, m):
            r = tango_tost(int(np.sum(dj > 0)), int(np.sum(dj < 0)), dj.size, margin, alpha=alpha)
        else:
            r = tost(pm.estimate, pm.se, margin, alpha=alpha)
        per_suite.append({"suite": pair.suites[j], "gain_pp": 100 * pm.estimate, "ci90": interval(r.extra["ci"], 100),
                          "p_value": num(r.p_value)})
    adj = holm(np.array([r["p_value"] if r["p_value"] is not None else np.nan for r in per_suite]))
    for r, p in zip(per_suite, adj, strict=True):
        r["p_holm"] = num(p)
        r["equivalent"] = bool(r["p_holm"] is not None and r["p_holm"] < alpha)
    first = int(np.flatnonzero(u)[0])
    if len(per_suite) == 1 and counts(first, pair.code == first):
        d = pair.x1[pair.code == first] - pair.x0[pair.code == first]
        res = tango_tost(int(np.sum(d > 0)), int(np.sum(d < 0)), d.size, margin, alpha=alpha)
        mean = float(np.mean(d))
    else:
        mean = float(np.mean(means))
        se = math.sqrt(float(np.sum(np.square(ses)))) / len(ses)
        res = tost(mean, se, margin, alpha=alpha)
    level = 1 - 2 * alpha
    return {"margin_pp": margin_pp, "ci90": interval(res.extra["ci"], 100), "equivalent": bool(res.extra["equivalent"]),
            "pooled_gain_pp": 100 * mean, "p_value": num(res.p_value), "n_items": int(n_items), "level": level,
            "weights": "equal suite weights",
            "method": f"TOST on the mean of the untargeted suites' paired gains, equal suite weights ({res.method}), "
                      f"{level:.0%} interval within ±{margin_pp:g} pp",
            "per_suite": per_suite}


def latent_flatness(untargeted: Mapping[str, Any], margin_logit: float, alpha: float) -> dict[str, Any]:
    """The pre-registered latent-scale margin (§1.8: ±0.15 logits): TOST on the untargeted group's mean
    latent gain. Secondary: the conjunction and the sentence use the pp-scale test, as §1.8 specifies."""
    est, se = untargeted.get("latent"), untargeted.get("latent_se")
    res = tost(math.nan if est is None else est, math.nan if se is None else se, margin_logit, alpha=alpha)
    return {"margin_logit": margin_logit, "estimate": est, "ci": interval(res.extra["ci"]),
            "p_value": num(res.p_value), "equivalent": bool(res.extra["equivalent"]), "level": 1 - 2 * alpha,
            "method": f"TOST on the untargeted suites' mean latent gain ({res.method}), {1 - 2 * alpha:.0%} "
                      f"interval within ±{margin_logit:g} logits; secondary to the pp-scale test"}


def contamination(pair: Pair, cutoffs: Mapping[str, str] | None, level: float) -> tuple[dict | None, np.ndarray | None,
                                                                                         list[str]]:
    """Fresh (released after both models' cutoffs) vs old items. Returns the block, the fresh mask when the
    fresh items become primary (every suite has MIN_FRESH of them), and warnings."""
    if not cutoffs:
        return None, None, []
    warnings: list[str] = []
    missing = [m for m in (pair.before, pair.after) if m not in cutoffs]
    if missing:
        return None, None, [f"no --cutoff for {', '.join(missing)}: contamination split skipped"]
    if pair.release_date is None:
        return None, None, ["--cutoff given but the items carry no release_date: contamination split skipped"]
    try:
        cut = max(np.datetime64(_as_date(cutoffs[m]), "D") for m in (pair.before, pair.after))
    except ValueError as e:
        raise UserError(f"--cutoff: {e}") from None
    known = ~np.isnat(pair.release_date)
    fresh = known & (pair.release_date > cut)
    old = known & ~fresh
    if (~known).any():
        warnings.append(f"{int((~known).sum())} item(s) have no release date: left out of the contamination split")
    block: dict[str, Any] = {"cutoff": str(cut), "rule": "fresh = released after both models' training cutoffs"}
    # fresh and old are measured on one suite set: the ceiling rule applied to each part, and a suite kept
    # only if both parts keep it, so "old minus fresh" never compares different suites
    subs = {name: pair.subset(mask) for name, mask in (("fresh", fresh), ("old", old)) if mask.any()}
    kept = None
    for sub in subs.values():
        ss_part = suite_stats(sub, level, min_items=1)  # parts of suites: the size rule is the suites'
        inside = {s for s, i in zip(sub.suites, ss_part.included, strict=True) if i}
        kept = inside if kept is None else kept & inside
    dropped = sorted(set(pair.suites) - (kept or set()))
    if dropped and len(subs) == 2:
        block["note_suites"] = (f"suite(s) {', '.join(dropped)} left out of both parts: the ceiling/floor rule "
                                "excludes them in the fresh or the old items")
    parts = {}
    for name in ("fresh", "old"):
        if name not in subs:
            block[name] = None
            continue
        sub = subs[name]
        sub = sub.subset(np.isin(np.asarray(sub.suites)[sub.code], sorted(kept or ())))
        if sub.code.size == 0 or sub.targeted.all() or not sub.targeted.any():
            block[name] = None
            continue
        est, _ = latent_asymmetry(sub, level, exclude=False)
        parts[name] = est
        block[name] = {**est.to_dict(), "n_items": int(sub.code.size)}
    if "fresh" in parts and "old" in parts and all(math.isfinite(p.se) for p in parts.values()):
        diff = parts["old"].estimate - parts["fresh"].estimate
        se = math.sqrt(parts["old"].se ** 2 + parts["fresh"].se ** 2)
        z = float(sps.norm.ppf(0.5 + level / 2))
        block["difference"] = Estimate(diff, se, (diff - z * se, diff + z * se), float(2 * sps.norm.sf(abs(diff) / se)),
                                       "old minus fresh A^L (independent item sets)",
                                       "positive: the asymmetry is larger on items the models may have seen").to_dict()
    else:
        block["difference"] = None
    per_suite_fresh = np.bincount(pair.code[fresh], minlength=len(pair.suites))
    block["fresh_per_suite"] = dict(zip(pair.suites, per_suite_fresh.tolist(), strict=True))
    primary = bool(per_suite_fresh.min() >= MIN_FRESH)
    block["primary"] = "fresh" if primary else "all"
    block["note"] = (f"every suite has at least {MIN_FRESH} fresh items, so the primary analysis uses fresh items only"
                     if primary else f"fewer than {MIN_FRESH} fresh items in some suite: the primary analysis uses all items")
    return block, (fresh if primary else None), warnings


def _as_date(text: str) -> str:
    return date.fromisoformat(str(text).strip()[:10]).isoformat()


def power_block(n_items: np.ndarray, samples: int, st: int, su: int, discordance: float, shift: float, controls: int,
           alpha: float, margin_pp: float, warnings: list[str]) -> dict[str, Any] | None:
    try:
        from harness.stats.power import Design, detectable
    except ImportError:
        return None
    try:
        design = Design(n_items=max(int(np.median(n_items)), 10), samples=max(samples, 1), n_targeted=max(st, 1),
                        n_untargeted=max(su, 1), discordance=float(np.clip(discordance, 0.01, 0.49)),
                        controls=controls, alpha=alpha, shift=float(np.clip(abs(shift), 0.0, 3.0)),
                        margin_pp=margin_pp)
        out = detectable(design)
    except Exception as e:  # noqa: BLE001 - the power block is auxiliary: it must never cost the comparison
        warnings.append(f"power for this design not computed ({type(e).__name__}: {e})")
        return None
    out["note"] = ("what this design could detect at 80% power (median items per suite, observed one-sample "
                   "discordance and common latent gain)")
    return out


def decisions(a_l: Estimate, flatness: Mapping[str, Any], generalisation: Mapping[str, Any],
               triple: Mapping[str, Any] | None, st: int, su: int,
               alpha: float, verdict: str | None = None,
               p_h1: float | None = None, p_checks: float | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The §1.8 conjunction (intersection-union) and the §1.9 gatekeeping sequence H1 → H2 → H3, shared by
    item and score modes so both decide by the same rules. `p_h1`: H1's one-sided p when the caller has a
    better one than `a_l`'s (over a σ grid, the least favourable row's one-sided p); `p_checks`: the verdict's
    intersection-union one-sided p (harness.stats.primary.Primary.p_targeted_checks) for the conjunction."""
    p_h1 = _one_sided(a_l) if p_h1 is None else p_h1
    # the A^L component is one-sided at alpha/2 (lower bound of the (1 - alpha) interval above 0) and the TOST
    # is at alpha, so on the alpha scale the A^L component's p is 2·p_H1: the conjunction p is below alpha
    # exactly when `holds`
    # with the verdict's checks (`p_checks`: the intersection-union p over the σ grid, leave-one-out and the
    # drops), so the conjunction p is below alpha exactly when the verdict and the TOST hold; 1 (cannot reject) when
    # a check without a p (a group of one suite, few clusters) blocks the verdict
    p_t = p_h1 if p_checks is None else p_checks
    conj_p = (max(min(1.0, 2 * p_t), flatness["p_value"]) if flatness.get("p_value") is not None
              else math.nan)
    # the targeted component is the verdict when there is one (it adds leave-one-out and the σ grid to the
    # interval), so the conjunction never claims what the sentence does not
    targeted = bool(a_l.ci[0] > 0) if verdict is None else verdict == "targeted_larger"
    conjunction = {"targeted_disproportionate": targeted, "untargeted_flat": flatness["equivalent"],
                   "holds": bool(targeted and flatness["equivalent"]), "p_value": num(conj_p),
                   "method": "intersection-union (Berger 1982): both component nulls rejected, no adjustment; "
                             "p = max(2 × the primary's one-sided p under every check of the verdict, since that rule is "
                             "one-sided at alpha/2, and the "
                             "TOST p), so it is below alpha exactly when the conjunction holds"}
    hk = generalisation.get("hksj")
    h3_p = math.nan
    if hk and hk.get("p_value") is not None and hk.get("estimate") is not None:
        h3_p = hk["p_value"] / 2 if hk["estimate"] > 0 else 1 - hk["p_value"] / 2
    n_controls = len(triple.get("controls") or []) if triple else 0
    if not triple:
        h2_reason = "no control transitions given"
    elif n_controls < MIN_CONTROLS_T:
        h2_reason = (f"needs at least {MIN_CONTROLS_T} control transitions (have {n_controls}): the prediction-interval "
                     "t-test rests on normal lab-to-lab differences, which fewer controls cannot check; the triple "
                     "difference is reported as descriptive")
    else:
        h2_reason = ""
    gates = gatekeeping([
        Hypothesis("H1: layer-1 asymmetry > 0 (the primary: mean item gain)", p_h1),
        Hypothesis("H2: excess over control transitions (triple difference) > 0",
                   triple["t_p_value"] if triple and triple.get("t_p_value") is not None else math.nan,
                   bool(triple and triple.get("t_p_value") is not None and n_controls >= MIN_CONTROLS_T), h2_reason),
        Hypothesis("H3: generalisation over benchmarks (HKSJ meta-regression) > 0", h3_p,
                   st >= L2_GATE and su >= L2_GATE, f"needs at least {L2_GATE} + {L2_GATE} suites (have {st} + {su})"),
    ], alpha=alpha / 2)
    return conjunction, gates


def scaled(est: Estimate, factor: float, note: str) -> Estimate:
    return Estimate(est.estimate * factor, est.se * factor, (est.ci[0] * factor, est.ci[1] * factor), est.p_value,
                    est.method, note or est.note, est.level)


def _row_at(prim: Primary, i: int, n_rows: int) -> Any:
    """Row i of a primary whose rows follow one grid (same σ grid, same spreads, same order); a primary with
    one row (σ estimated) is the same at every σ."""
    return prim.rows[0] if len(prim.rows) == 1 else prim.rows[i] if len(prim.rows) == n_rows else None


def control_excess(suspect: Primary, controls: Sequence[Primary],
                   level: float) -> tuple[dict[str, Any], list[dict], int]:
    """The triple difference on the primary scale (§1.7 with the estimand of §1.4b): the suspect's primary
    asymmetry against every control's primary asymmetry on the same items, at each row of the grid (σ, and
    in score mode the assumed spreads); the reported row is the least favourable one (largest one-sided
    prediction-interval p). Returns (the result at that row, per row: σ, excess and p, that row's index)."""
    n_rows = max([len(suspect.rows), *(len(c.rows) for c in controls)])
    results, per_row = [], []
    for i in range(n_rows):
        a0 = _row_at(suspect, i, n_rows)
        rows = [_row_at(c, i, n_rows) for c in controls]
        if a0 is None or any(r is None for r in rows):
            raise UserError("a control's primary asymmetry does not follow the suspect's grid (σ, spreads): the "
                            "controls and the suspect must be sampled alike")
        values, variances = np.array([r.estimate for r in rows]), np.array([r.se ** 2 for r in rows])
        res = triple_difference(a0.estimate, values, v0=a0.se ** 2, v_controls=variances, level=level)
        results.append((res, a0, values))
        per_row.append({"sigma": a0.sigma if a0.sigma is not None else next((r.sigma for r in rows
                                                                             if r.sigma is not None), None),
                        **({"spread_targeted": a0.spread[0], "spread_untargeted": a0.spread[1]} if a0.spread else {}),
                        "suspect_asymmetry": num(a0.estimate), "excess": num(res.excess.estimate),
                        "t_p_value": num(res.t_p_value)})
    worst = max(range(n_rows), key=lambda i: (results[i][0].t_p_value if math.isfinite(results[i][0].t_p_value)
                                              else 2.0))
    res, a0, values = results[worst]
    out = res.to_dict()
    out["n_above"] = int(sum(a0.estimate > v for v in values))
    out["row"] = per_row[worst]
    return out, per_row, worst


def triple(table: pd.DataFrame, agg: pd.DataFrame, controls: Sequence[tuple[str, str]],
           scope: Mapping[str, str], items: pd.MultiIndex, force: bool, suspect: Primary, level: float,
           *, fresh: bool = False) -> tuple[dict[str, Any], list[str]]:
    """Each control transition's primary asymmetry (mean item gain, §1.4b) on the suspect's items, then the
    triple difference (§1.7) against the suspect's primary, row by row of the σ grid, least favourable.

    Why the primary and not the Mantel-Haenszel A^L: with heterogeneous item gains A^L is pulled by the
    suites' starting levels, so a suspect starting at 30%/90% and controls near 50% with the SAME gains
    rejected H2 30/30. A control is measured on the suspect's analysed scope: the suites that entered the
    suspect's layers, with the suspect's categories (`scope`), and only the suspect's analysed (suite,
    item_id) pairs (`items`: after the ceiling rule and, when fresh items are primary, the fresh items
    only). The ceiling rule is not re-applied on a control's own data: one estimand on one set of items.
    """
    rows, warnings, prims = [], [], []
    n_scope = len(items)
    for b, a in controls:
        pairing = pair_items(agg, table, b, a, categories=scope, force=force)
        if pairing.pair is None:
            raise UserError(f"control {b}:{a}: no paired items; check that both ran the suspect's suites")
        cp = pairing.pair
        cp = cp.subset(np.asarray(cp.keys().isin(items)))
        if cp.code.size == 0:
            raise UserError(f"control {b}:{a}: none of the suspect's analysed items is paired in this control")
        missing = sorted(set(scope) - set(cp.suites))
        if missing:
            warnings.append(f"control {b}:{a} lacks suite(s) {', '.join(missing)}: its asymmetry uses the others, "
                            "so it is not measured on the same suites as the suspect's")
        if cp.code.size < n_scope:
            warnings.append(f"control {b}:{a}: {cp.code.size} of the suspect's {n_scope} analysed items are paired "
                            "in this control; its asymmetry uses those")
        if cp.targeted.all() or not cp.targeted.any():
            raise UserError(f"control {b}:{a}: needs paired items in at least one targeted and one untargeted suite")
        use = None
        if cp.cluster is not None:
            use = cluster_policy(cp.code, cp.cluster, len(cp.suites))[0]
        prim = fit_primary(cp, np.ones(len(cp.suites), bool), level, use)
        if suspect.estimated != prim.estimated:
            raise UserError(f"control {b}:{a}: sampled differently from the suspect (one sample per item in one, "
                            "several in the other); sample the controls like the suspect")
        head = prim.summary_row
        if not math.isfinite(head.estimate):
            raise UserError(f"control {b}:{a}: needs paired items in at least one targeted and one untargeted suite")
        mh, _ = latent_asymmetry(cp, level, exclude=False)
        rows.append({"before": b, "after": a, "asymmetry": head.estimate, "se": num(head.se), "ci": interval(prim.ci()),
                     "sigma": head.sigma, "asymmetry_mh": num(mh.estimate), "n_items": int(cp.code.size),
                     "suites": list(cp.suites)})
        prims.append(prim)
    scope_note = ("controls measured on the suspect's analysed suites and items"
                  + (" (the fresh items: released after the suspect's two training cutoffs, which may precede a "
                     "control's)" if fresh else "") + "; the ceiling rule is the suspect's, not re-applied per control")
    method = ("each control's primary asymmetry (mean item gain) on the suspect's items against the suspect's, "
              "at each σ of the grid, the least favourable row reported")
    if len(prims) < 2:
        a0 = suspect.summary_row.estimate
        values = [r["asymmetry"] for r in rows]
        return ({"controls": rows, "excess": None, "ci": [None, None], "t_p_value": None,
                 "rank_p_value": (1 + sum(v >= a0 for v in values)) / (len(values) + 1),
                 "note": "the prediction-interval t-test needs at least 2 control transitions",
                 "control_scope": scope_note, "scale": method}, warnings)
    out, per_row, worst = control_excess(suspect, prims, level)
    for r, prim in zip(rows, prims, strict=True):  # each control's asymmetry at the reported row
        at = _row_at(prim, worst, len(per_row))
        r["asymmetry"], r["se"], r["sigma"] = at.estimate, num(at.se), at.sigma
    out["controls"] = rows
    out["by_row"] = per_row
    out["scale"] = method
    out["control_scope"] = scope_note
    return out, warnings


def fit_primary(pair: Pair, included: np.ndarray, level: float, cluster_use: np.ndarray | None) -> Primary:
    """The primary asymmetry (harness.stats.primary) over the suites in the layers, with the item clusters of
    the suites that have enough of them."""
    sub = pair.subset(included[pair.code])
    use = None if cluster_use is None else cluster_use[included]
    clusters = sub.cluster if use is not None and use.any() else None
    few: list[str] = []
    if sub.cluster is not None:  # declared clusters, 2 to MIN_CLUSTERS - 1 in a suite: no verdict (§1.4b item 4)
        _, counts = cluster_policy(sub.code, sub.cluster, len(sub.suites))
        few = [s for s, c in zip(sub.suites, counts, strict=True) if 2 <= c < MIN_CLUSTERS]
    return primary_asymmetry(sub.x1, sub.x0, sub.k1, sub.k0, sub.code, sub.suites, sub.targeted, clusters=clusters,
                             cluster_suites=use if clusters is not None else None, level=level, few_clusters=few)


def primary(pair: Pair, included: np.ndarray, level: float, p_ref: float, cluster_use: np.ndarray | None,
            notes: Notes, warnings: list[str]) -> tuple[Primary, dict[str, Any]]:
    """The primary asymmetry over the suites in the layers (harness.stats.primary) and its document block,
    with the named warnings its checks raise: one_sample (σ not identified: the σ grid), sparse_suite,
    fragile."""
    prim = fit_primary(pair, included, level, cluster_use)
    block = prim.to_dict()
    head = prim.summary_row
    row = prim.rows.index(head)
    mu = np.array([g.mu for g in prim.gains[row]])
    t = pair.targeted[included]
    block["pp_at_50"] = num(100 * float(pp_equivalent(mu[t].mean()) - pp_equivalent(mu[~t].mean())))
    block["p_ref"] = p_ref
    if p_ref != 0.5:
        block["pp_at_ref"] = num(100 * float(pp_equivalent(mu[t].mean(), p_ref) - pp_equivalent(mu[~t].mean(), p_ref)))
    if not prim.estimated:
        notes.add("one_sample", "one sample per item: the spread of item gains (σ) cannot be estimated, so the primary "
                                "asymmetry is computed at every σ from 0 to 2 logits and a verdict needs all of them; "
                                "plan 3 or more samples per item (asymmetry plan --samples)", warnings)
    if prim.sparse:
        notes.add("sparse_suite", f"suite(s) {', '.join(prim.sparse)} have fewer than 5 items gained or lost: a "
                                  "verdict must also hold without them (exact per-suite intervals in the suite table)",
                  warnings)
    if prim.nonconverged:
        notes.add("nonconverged", f"suite(s) {', '.join(prim.nonconverged)}: the item-gain model did not converge, so "
                                  "their mean item gain may be off; a verdict must also hold without them", warnings)
    if prim.verdict == "fragile":
        notes.add("fragile", "no verdict in either direction: " + "; ".join(prim.decision.reasons),
                  warnings)
    return prim, block


def baseline_row(y: np.ndarray, v: np.ndarray, t: np.ndarray, before_pct: np.ndarray, level: float) -> dict[str, Any] | None:
    """The baseline-adjusted meta-regression robustness row, when the groups' starting levels overlap."""
    b = np.clip(np.asarray(before_pct, float) / 100, 0.005, 0.995)
    overlap = t.any() and (~t).any() and max(b[t].min(), b[~t].min()) <= min(b[t].max(), b[~t].max())
    if y.size < 4:
        return None
    if not overlap:
        return {"estimate": None, "se": None, "ci": [None, None], "p_value": None,
                "method": "baseline-adjusted meta-regression", "note": "not computed: the groups' starting levels do "
                "not overlap, so category and starting level cannot be told apart"}
    return baseline_adjusted(y, v, t, np.log(b / (1 - b)), level=level).to_dict()
