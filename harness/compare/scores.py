"""`compare_scores`: the same layers from published accuracies (score mode, weaker evidence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from harness.compare import document, guards, layers
from harness.compare.flags import not_checked
from harness.compare.suites import EDGE, interval, num
from harness.errors import UserError
from harness.plan import load_plan, parse_control
from harness.records import CATEGORIES
from harness.stats import (
    Estimate,
    asymmetry,
    group_mean,
    logit,
    newcombe_unpaired_ci,
    pp_equivalent,
    tost,
    wilson_ci,
)
from harness.stats.primary import SCORE_SPREADS, Primary, decide_primary, score_table


def _binomial_logit(p: float, n: int) -> tuple[float, float, bool]:
    """Logit of a published accuracy and its binomial variance, with +0.5 counts at 0% or 100%."""
    x = p * n
    corrected = x < 0.5 or n - x < 0.5
    if corrected:
        x, n = x + 0.5, n + 1
    q = x / n
    return float(logit(q)), 1.0 / (n * q * (1 - q)), corrected


def compare_scores(scores: pd.DataFrame, before: str, after: str, *, controls: Sequence[str] = (),
                   margin_pp: float = 3.0, margin_logit: float = 0.15, alpha: float = 0.05, p_ref: float = 0.5,
                   plan: Mapping[str, Any] | Path | str | None = None, inputs: Mapping[str, Any] | None = None,
                   command: str | None = None, seed: int = 0, force: bool = False) -> dict[str, Any]:
    """Score-level mode: published accuracies with item counts, unpaired binomial on the logit scale per
    suite (marginal, not conditional, log odds), the same layers where they apply. Weaker evidence: no
    pairing, no item-level checks, no McNemar, no clusters; labelled so in the document. A table mixing
    fractions and percentages is refused unless `force` (then the guard score_fractions names it)."""
    if before == after:
        raise UserError("--before and --after name the same model; compare two different releases")
    if isinstance(plan, str | Path):
        plan = load_plan(Path(plan))
    settings, deviations = document.checked_settings(plan, {"controls": list(controls), "margin_pp": margin_pp,
                                                 "margin_logit": margin_logit,
                                                 "alpha": alpha, "p_ref": p_ref})
    alpha, margin_pp, p_ref = float(settings["alpha"]), float(settings["margin_pp"]), float(settings["p_ref"])
    level = 1 - alpha
    control_pairs = [parse_control(c) for c in settings["controls"]]
    document.check_labels(scores["model"].unique(), before, after, *[m for c in control_pairs for m in c], plan=plan)
    categories = dict(plan["suites"]) if plan else None
    warnings: list[str] = []
    notes = guards.Notes()
    guards.control_overlap(control_pairs, before, after, notes, warnings)
    fraction_error, fraction_warning = guards.score_fractions(scores, "score table", force=force)
    if fraction_error:
        raise UserError(fraction_error)
    if fraction_warning:
        notes.add("score_fractions", fraction_warning, warnings)

    frame = _transition(scores, before, after, categories)
    only = sorted(set(scores.loc[scores["model"].isin([before, after]), "suite"]) - set(frame.index))
    if only:
        warnings.append(f"suite(s) {', '.join(only)} have a score for one release only: left out")
    if frame.empty or (frame["category"] == "targeted").all() or (frame["category"] == "untargeted").all():
        raise UserError(f"{before} and {after} need scores on at least one targeted and one untargeted common suite")
    rows, lat_a, lat_v, pps, pp_v = _suite_rows(frame, level)
    if "capability" in scores.columns:  # optional column: what each suite measures (coding, agentic, math, factual)
        caps = scores[scores["model"] == before].set_index("suite")["capability"]
        for row in rows:
            cap = caps.get(row["suite"])
            if isinstance(cap, str) and cap:
                row["capability"] = cap
    t = (frame["category"] == "targeted").to_numpy()
    asym, a_l = _asymmetry(frame, t, lat_a, lat_v, pps, pp_v, level, p_ref)
    groups = _groups(frame, t, lat_a, lat_v, pps, level)
    generalisation = layers.generalisation(lat_a, lat_v, t, level, seed)

    prim, asym["primary"] = _primary(frame, t, rows, lat_a, lat_v, level, p_ref, notes, warnings)
    triple = _controls(scores, categories, control_pairs, frame, prim, level, before, after) if control_pairs else None

    flatness = _flatness(frame, t, margin_pp, alpha)
    flatness["latent"] = layers.latent_flatness(groups["untargeted"], float(settings["margin_logit"]), alpha)
    st, su = int(t.sum()), int((~t).sum())
    head = prim.summary_row
    primary_est = Estimate(head.estimate, head.se, prim.ci(), head.p_value, "primary asymmetry")
    conjunction, gates = layers.decisions(primary_est, flatness, generalisation, triple, st, su, alpha, prim.verdict,
                                            p_h1=prim.p_one_sided, p_checks=prim.p_targeted_checks)
    plan_block = document.plan_block(plan, dict(zip(frame.index, frame["category"], strict=True)), deviations, [])
    guards.plan_notes(plan, plan_block, notes, warnings)
    warnings.append("score-level mode: published accuracies only; no pairing, no item-level checks (hashes, errors, "
                    "decoding), so this is weaker evidence than an item-level comparison")
    return document.build(
        mode="scores", before=before, after=after, alpha=alpha,
        evidence="published scores, unpaired (weaker evidence: no pairing, no item-level checks)", suites=rows,
        asymmetry=asym, groups=groups, generalisation=generalisation, flatness=flatness, conjunction=conjunction,
        gatekeeping=gates, triple=triple, contamination=None, verdict=prim.verdict, inputs=inputs, command=command,
        code_flags=not_checked("published scores carry no per-record review flags"),
        diagnostics={"warnings": warnings, "guards": notes.guards, "unpaired": [], "hash_mismatch": [],
                     "error_rates": [], "decoding": {"checked": False, "note": "published scores carry no decoding "
                                                                               "settings"},
                     "suite_versions": {}, "plan": plan_block,
                     "error_rule": {"rule": "n/a", "text": "published scores: error handling is the publisher's"},
                     "sources": _sources(scores, [before, after, *[m for c in control_pairs for m in c]]),
                     "integrity": []})


def _transition(scores: pd.DataFrame, b: str, a: str, categories: Mapping[str, str] | None) -> pd.DataFrame:
    """One transition's common suites: accuracies (fractions) and item counts of both releases, and the
    category (the plan's when there is one), suites in report order."""
    sb = scores[scores["model"] == b].set_index("suite")
    sa = scores[scores["model"] == a].set_index("suite")
    common = sorted(set(sb.index) & set(sa.index))
    frame = pd.DataFrame({"p0": sb.loc[common, "score"] / 100, "n0": sb.loc[common, "n_items"],
                          "p1": sa.loc[common, "score"] / 100, "n1": sa.loc[common, "n_items"],
                          "category": sb.loc[common, "category"]}, index=common)
    if categories is not None:
        frame = frame[frame.index.isin(list(categories))]
        frame["category"] = [categories[s] for s in frame.index]
    order = sorted(frame.index, key=lambda s: (CATEGORIES.index(frame.loc[s, "category"]), s))
    return frame.loc[order]


def _suite_rows(frame: pd.DataFrame, level: float) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray, list[float],
                                                            list[float]]:
    """Per suite: the document row (accuracies, unpaired gain, marginal latent gain, flags), and the latent
    gains, their variances, the pp gains and their variances."""
    rows, lat, lat_v, pps, pp_v = [], [], [], [], []
    z = float(sps.norm.ppf(0.5 + level / 2))
    for suite, r in frame.iterrows():
        l0, v0, c0 = _binomial_logit(r.p0, int(r.n0))
        l1, v1, c1 = _binomial_logit(r.p1, int(r.n1))
        d, v = l1 - l0, v0 + v1
        se = math.sqrt(v)
        gain = r.p1 - r.p0
        gain_ci = newcombe_unpaired_ci(r.p1 * r.n1, r.n1, r.p0 * r.n0, r.n0, level)
        pp_se = math.sqrt(r.p1 * (1 - r.p1) / r.n1 + r.p0 * (1 - r.p0) / r.n0)
        w0, w1 = wilson_ci(r.p0 * r.n0, r.n0, level), wilson_ci(r.p1 * r.n1, r.n1, level)
        flags = ["unpaired (published scores)"]
        if c0 or c1:
            flags.append("0% or 100%: +0.5 correction")
        if r.p0 > 1 - EDGE or r.p0 < EDGE:
            flags.append("ceiling" if r.p0 > 1 - EDGE else "floor")
        if r.n0 != r.n1:
            flags.append("item counts differ between releases")
        rows.append({
            "suite": suite, "category": r.category, "n_items": int(min(r.n0, r.n1)),
            "n_items_before": int(r.n0), "n_items_after": int(r.n1),
            "before": 100 * r.p0, "after": 100 * r.p1,
            "before_ci": interval((float(w0[0]), float(w0[1])), 100), "after_ci": interval((float(w1[0]), float(w1[1])), 100),
            "gain_pp": 100 * gain, "gain_pp_ci": interval(gain_ci, 100), "gain_pp_se": 100 * pp_se,
            "gain_pp_method": "Newcombe hybrid score interval (unpaired)",
            "gains": None, "losses": None, "gain_ratio": None, "gain_ratio_ci": None,
            "latent_gain": d, "latent_gain_ci": [d - z * se, d + z * se], "latent_gain_se": se,
            "latent_p_value": float(2 * sps.norm.sf(abs(d) / se)),
            "latent_method": "marginal logit difference, unpaired binomial variance",
            "mcnemar_midp": None, "p_holm": None, "flags": flags,
        })
        lat.append(d)
        lat_v.append(v)
        pps.append(100 * gain)
        pp_v.append(1e4 * pp_se**2)
    return rows, np.array(lat), np.array(lat_v), pps, pp_v


def _asymmetry(frame: pd.DataFrame, t: np.ndarray, lat_a: np.ndarray, lat_v: np.ndarray, pps: Sequence[float],
               pp_v: Sequence[float], level: float, p_ref: float) -> tuple[dict[str, Any], Estimate]:
    """Layer 1 beside the primary: the latent (marginal logit), pp and normalised-gain asymmetries from the
    published accuracies. Returns (their block, A^L)."""
    a_l = asymmetry(lat_a, lat_v, t, level=level,
                    method="latent asymmetry from published scores (marginal logit, unpaired binomial)",
                    note="weaker evidence: no pairing, no item-level checks; marginal logits are not ceiling-free")
    a_p = asymmetry(np.array(pps), np.array(pp_v), t, level=level, method="pp asymmetry from published scores",
                    note="ceiling-sensitive; unpaired")
    p0, p1 = frame["p0"].to_numpy(), frame["p1"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ng = (p1 - p0) / (1 - p0)
        ng_v = (p1 * (1 - p1) / frame["n1"].to_numpy() + (1 - p1) ** 2 * p0 * (1 - p0) / frame["n0"].to_numpy()
                / (1 - p0) ** 2) / (1 - p0) ** 2
    a_n = asymmetry(ng, ng_v, t, level=level, method="normalised-gain asymmetry from published scores",
                    note="ceiling-sensitive; unpaired")
    asym = {"latent": a_l.to_dict(), "pp": a_p.to_dict(), "normalized": a_n.to_dict()}
    tm, um = float(lat_a[t].mean()), float(lat_a[~t].mean())
    asym["latent"]["pp_at_50"] = 100 * float(pp_equivalent(tm) - pp_equivalent(um))
    asym["latent"]["p_ref"] = p_ref
    if p_ref != 0.5:
        asym["latent"]["pp_at_ref"] = 100 * float(pp_equivalent(tm, p_ref) - pp_equivalent(um, p_ref))
    return asym, a_l


def _groups(frame: pd.DataFrame, t: np.ndarray, lat_a: np.ndarray, lat_v: np.ndarray, pps: Sequence[float],
            level: float) -> dict[str, Any]:
    """Per group: its suites' mean latent gain, pp gain and accuracies (no gain/loss counts: unpaired)."""
    p0, p1 = frame["p0"].to_numpy(), frame["p1"].to_numpy()
    groups = {}
    for name, mask in (("targeted", t), ("untargeted", ~t)):
        gm = group_mean(lat_a[mask], lat_v[mask], level=level)
        groups[name] = {"suites": list(frame.index[mask]), "gain_ratio": None, "gain_ratio_ci": None,
                        "latent": gm.estimate, "latent_ci": interval(gm.ci), "latent_se": gm.se,
                        "gain_pp": float(np.mean(np.array(pps)[mask])),
                        "pp_at_50": 100 * float(pp_equivalent(gm.estimate)),
                        "before": float(100 * p0[mask].mean()), "after": float(100 * p1[mask].mean())}
    return groups


def _controls(scores: pd.DataFrame, categories: Mapping[str, str] | None, control_pairs: Sequence[tuple[str, str]],
              frame: pd.DataFrame, suspect: Primary, level: float, before: str, after: str) -> dict[str, Any]:
    """Layer 3 from published scores: each control's primary asymmetry on the suspect's suites (the same σ and
    spread grid), and the excess of the suspect's, row by row, least favourable (harness.compare.layers.
    control_excess); the marginal logit asymmetry is pulled by starting levels, so it is not used."""
    ctrl_rows, prims = [], []
    for b, a in control_pairs:
        cf = _transition(scores, b, a, categories)
        cf = cf[cf.index.isin(frame.index)]
        ct = (cf["category"] == "targeted").to_numpy()
        if cf.empty or ct.all() or not ct.any():
            raise UserError(f"control {b}:{a}: needs scores on at least one targeted and one untargeted suite "
                            f"shared with {before} → {after}")
        table = score_table(cf["p0"].to_numpy(), cf["n0"].to_numpy(float), cf["p1"].to_numpy(),
                            cf["n1"].to_numpy(float), list(cf.index))
        prim = decide_primary(table, ct, level)
        head = prim.summary_row
        ctrl_rows.append({"before": b, "after": a, "asymmetry": head.estimate, "se": num(head.se),
                          "ci": interval(prim.ci()), "suites": list(cf.index)})
        prims.append(prim)
    method = ("each control's primary asymmetry (mean item gain from published accuracies) on the suspect's suites "
              "against the suspect's, at each σ and assumed spread of the grid, the least favourable row reported")
    if len(prims) >= 2:
        res, per_row, worst = layers.control_excess(suspect, prims, level)
        for r, prim in zip(ctrl_rows, prims, strict=True):
            at = prim.rows[worst] if len(prim.rows) == len(per_row) else prim.rows[0]
            r["asymmetry"], r["se"] = at.estimate, num(at.se)
        return {**res, "controls": ctrl_rows, "by_row": per_row, "scale": method}
    a0 = suspect.summary_row.estimate
    values = [r["asymmetry"] for r in ctrl_rows]
    return {"controls": ctrl_rows, "excess": None, "ci": [None, None], "t_p_value": None,
            "rank_p_value": (1 + sum(v >= a0 for v in values)) / (len(values) + 1), "scale": method,
            "note": "the prediction-interval t-test needs at least 2 control transitions"}


def _flatness(frame: pd.DataFrame, t: np.ndarray, margin_pp: float, alpha: float) -> dict[str, Any]:
    """Flatness: the untargeted suites' mean gain with equal suite weights (issue 9), unpaired binomial SEs."""
    p0, p1 = frame["p0"].to_numpy(), frame["p1"].to_numpy()
    u = ~t
    n0_u, n1_u = frame["n0"].to_numpy()[u], frame["n1"].to_numpy()[u]
    mean_gain = float(np.mean(p1[u] - p0[u]))
    se_mean = float(np.sqrt(np.sum(p1[u] * (1 - p1[u]) / n1_u + p0[u] * (1 - p0[u]) / n0_u))) / int(u.sum())
    res = tost(mean_gain, se_mean, margin_pp / 100, alpha=alpha)
    flatness = {"margin_pp": margin_pp, "ci90": interval(res.extra["ci"], 100), "equivalent": bool(res.extra["equivalent"]),
                "pooled_gain_pp": 100 * mean_gain, "p_value": num(res.p_value), "n_items": int(n1_u.sum()),
                "level": 1 - 2 * alpha, "weights": "equal suite weights",
                "method": f"TOST on the mean of the untargeted suites' gains, equal suite weights (unpaired binomial "
                          f"SE), within ±{margin_pp:g} pp"}
    return flatness


def _primary(frame: pd.DataFrame, t: np.ndarray, rows: list[dict[str, Any]], lat_a: np.ndarray, lat_v: np.ndarray,
             level: float, p_ref: float, notes: guards.Notes, warnings: list[str]) -> tuple[Primary, dict[str, Any]]:
    """The primary: mean item gain per suite from the published accuracies, over the σ grid (items unseen),
    its block, each suite row's gain, and the named warnings (fragile, sparse_suite)."""
    p0, p1 = frame["p0"].to_numpy(), frame["p1"].to_numpy()
    table = score_table(p0, frame["n0"].to_numpy(float), p1, frame["n1"].to_numpy(float), list(frame.index))
    prim = decide_primary(table, t, level)
    block = prim.to_dict()
    spreads = ", ".join(f"{v:g}" for v in SCORE_SPREADS)
    block["method"] = ("mean item gain per suite implied by the published accuracies when item difficulty has an "
                       "assumed spread and item gains spread by σ, equal suite weights, binomial variances; computed "
                       f"at every σ of the pre-registered grid crossed with every assumed difficulty spread ({spreads} "
                       "logits, chosen separately for the targeted and the untargeted group): the interval is the "
                       "union over that grid and the p-value its largest")
    block["spread_grid"] = list(SCORE_SPREADS)
    head = prim.summary_row
    mu = np.array([g.mu for g in prim.gains[prim.rows.index(head)]])
    block["pp_at_50"] = num(100 * float(pp_equivalent(mu[t].mean()) - pp_equivalent(mu[~t].mean())))
    block["p_ref"] = p_ref
    block["baseline_adjusted"] = layers.baseline_row(lat_a, lat_v, t, 100 * p0, level)
    for r, g in zip(rows, prim.gains[prim.rows.index(head)], strict=True):
        d = g.to_dict(level)
        r["primary_gain"], r["primary_gain_ci"], r["primary_sigma"] = d["estimate"], d["ci"], d["sigma"]
    if prim.verdict == "fragile":
        notes.add("fragile", "no verdict in either direction: " + "; ".join(prim.decision.reasons),
                  warnings)
    if prim.sparse:
        notes.add("sparse_suite", f"suite(s) {', '.join(prim.sparse)} are at 0% or 100%: a verdict must also hold "
                                  "without them", warnings)
    return prim, block


def _sources(scores: pd.DataFrame, models: Sequence[str]) -> list[dict[str, Any]]:
    cols = [c for c in ("model", "suite", "source", "setting", "source_name", "evaluator") if c in scores.columns]
    if "source" not in cols:
        return []
    sub = scores[scores["model"].isin(models)][cols]
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in sub.to_dict("records")]

