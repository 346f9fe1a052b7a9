"""`compare` in item mode: from an item table (DESIGN.md) to the compare document.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.compare import document, flags, guards, layers
from harness.compare.pairing import Pair, Pairing, aggregate_items, apply_error_rule, error_rates, pair_items
from harness.compare.suites import SuiteStats, interval, num, suite_stats, values_of
from harness.errors import UserError
from harness.plan import ERROR_RULE_TEXT, load_plan, parse_control
from harness.stats import (
    Estimate,
    asymmetry,
    cluster_bootstrap,
    gain_loss_table_test,
    group_mean,
    pp_equivalent,
)
from harness.stats.primary import Primary
from harness.table import validate_items


def compare(table: pd.DataFrame, before: str, after: str, *, controls: Sequence[str] = (),
            plan: Mapping[str, Any] | Path | str | None = None, force: bool = False, margin_pp: float = 3.0,
            margin_logit: float = 0.15,
            n_boot: int = 10_000, seed: int = 0, cutoffs: Mapping[str, str] | None = None,
            error_rule: str = "default", p_ref: float = 0.5, alpha: float = 0.05,
            manifests: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
            inputs: Mapping[str, Any] | None = None, command: str | None = None) -> dict[str, Any]:
    """The compare JSON document for `before` → `after` from an item table (DESIGN.md columns).

    `controls`: other labs' transitions as "BEFORE:AFTER" labels in the same table (layer 3). `plan`: a
    plan file or a loaded plan (harness.plan.load_plan); its settings are used, and an argument that
    differs from both the plan and the default is applied and recorded as a deviation. `margin_pp` is the
    flatness margin (primary, pp); `margin_logit` the pre-registered latent-scale one (secondary). `cutoffs`: model label → ISO date
    of its training cutoff, for the fresh-vs-old split. `manifests`: model label → the run manifests its
    rows came from (decoding and suite-content checks). `inputs`, `command`: provenance copied into the
    document. Bad input raises UserError with a one-line message.
    """
    if before == after:
        raise UserError("--before and --after name the same model; compare two different releases")
    table = validate_items(table, source="item table")  # a caller's raw DataFrame gets the same checks
    if isinstance(plan, str | Path):
        plan = load_plan(Path(plan))
    settings, deviations, control_pairs = _settings(table, before, after, plan, {
        "controls": list(controls), "margin_pp": margin_pp, "margin_logit": margin_logit, "n_boot": n_boot,
        "seed": seed, "error_rule": error_rule, "p_ref": p_ref, "alpha": alpha})
    alpha, margin_pp, p_ref = float(settings["alpha"]), float(settings["margin_pp"]), float(settings["p_ref"])
    level = 1 - alpha

    decoding, warnings, run_times = document.decoding_check(manifests, before, after, force)
    if "item_hash" not in table or table["item_hash"].isna().all():
        warnings.append("the items carry no content hash: releases are paired by item_id alone, so a changed "
                        "question cannot be detected")
    notes = guards.Notes()
    guards.control_overlap(control_pairs, before, after, notes, warnings)
    agg, rates, pairing = _paired(table, before, after, settings["error_rule"], plan, force, notes, warnings)
    pair = pairing.pair
    for problem in (inputs or {}).get("integrity") or []:
        notes.add("journal_integrity", f"{problem['problem']} (compared anyway: --force)", warnings)
    guards.shared_items(agg, [before, after], pair.suites)
    k_before = np.median(pair.k0)
    k_after = np.median(pair.k1)
    guards.unequal_samples(pair, before, after, force, notes, warnings)
    if plan and plan.get("samples_text") and min(k_before, k_after) != plan["samples"]:  # plans that record it
        deviations.append(f"the plan asked for {plan['samples']} sampled answers per item; the runs have "
                          f"{min(k_before, k_after):g}")

    contamination, fresh_mask, cont_warnings = layers.contamination(pair, cutoffs, level)
    warnings += cont_warnings
    if fresh_mask is not None:
        pair = pair.subset(fresh_mask)

    cluster_use = guards.cluster_suites(pair, np.ones(len(pair.suites), bool), notes, warnings)
    ss = suite_stats(pair, level, cluster_use)
    _annotate_suites(ss, pairing.hash_mismatch, rates, notes, warnings)
    inc = ss.included
    t_inc = pair.targeted[inc]
    if not t_inc.any() or t_inc.all():
        raise UserError("after leaving out suites below the minimum size or at a ceiling/floor with too few "
                        "discordant items, one category has no suite; see the suite flags (add items or samples)")

    # layer 1: A^L, A^P, A^N on these items (the cluster bootstrap's when items carry clusters)
    asym, boot, a_l, (y_l, v_l, y_p) = _layer1(pair, ss, cluster_use, settings, level, p_ref, warnings)
    t_mean, u_mean = float(y_l[t_inc].mean()), float(y_l[~t_inc].mean())
    groups = _groups(pair, ss, y_l, v_l, y_p, level)

    generalisation = layers.generalisation(y_l, v_l, t_inc, level, int(settings["seed"]))

    # the primary asymmetry (mean item gain, §1.4b) and its verdict
    prim, asym["primary"] = layers.primary(pair, inc, level, p_ref, cluster_use, notes, warnings)
    verdict, flag_check = _flagged_code(pair, inc, level, cluster_use, prim, asym["primary"], notes, warnings)
    before_pct = np.array([r["before"] for r, i in zip(ss.rows, inc, strict=True) if i])
    asym["primary"]["baseline_adjusted"] = layers.baseline_row(y_l, v_l, t_inc, before_pct, level)
    _primary_rows(ss, prim, level)
    head = prim.summary_row
    primary_est = Estimate(head.estimate, head.se, prim.ci(), head.p_value, "primary asymmetry")

    # layer 3: every control on the suspect's analysed suites and items (after the ceiling rule and any
    # fresh-item restriction), so suspect and controls estimate the same quantity
    triple = None
    if control_pairs:
        analysed = pair.subset(inc[pair.code])
        scope = {s: ("targeted" if t else "untargeted") for s, t in zip(analysed.suites, analysed.targeted, strict=True)}
        triple, ctrl_warnings = layers.triple(table, agg, control_pairs, scope, analysed.keys(), force, prim, level,
                                              fresh=fresh_mask is not None)
        warnings += ctrl_warnings

    flatness = layers.flatness(pair, ss, margin_pp, alpha, cluster_use)
    flatness["latent"] = layers.latent_flatness(groups["untargeted"], float(settings["margin_logit"]), alpha)
    st, su = int(t_inc.sum()), int((~t_inc).sum())
    conjunction, gates = layers.decisions(primary_est, flatness, generalisation, triple, st, su, alpha, verdict,
                                            p_h1=prim.p_one_sided, p_checks=prim.p_targeted_checks)

    power = layers.power_block(ss.n_items[inc], int(min(np.median(pair.k0), np.median(pair.k1))), st, su, ss.discordance,
                   (t_mean + u_mean) / 2,
                   len(control_pairs), alpha, margin_pp, warnings)

    plan_block = document.plan_block(plan, pairing.categories, deviations, run_times)
    guards.plan_notes(plan, plan_block, notes, warnings)

    return document.build(
        mode="items", before=before, after=after, alpha=alpha, evidence="item-level, paired", suites=ss.rows,
        asymmetry=asym, groups=groups, generalisation=generalisation, flatness=flatness, conjunction=conjunction,
        gatekeeping=gates, triple=triple, contamination=contamination, power=power, verdict=verdict,
        code_flags={**flags.counts(table, before, after), **flag_check},
        inputs=inputs, command=command, diagnostics={
            "warnings": warnings, "guards": notes.guards, "unpaired": pairing.unpaired,
            "hash_mismatch": pairing.hash_mismatch,
            "error_rates": rates, "decoding": decoding, "suite_versions": pairing.suite_versions,
            "plan": plan_block, "error_rule": {"rule": settings["error_rule"],
                                               "text": ERROR_RULE_TEXT[settings["error_rule"]]},
            "samples_per_item": {"before": float(k_before), "after": float(k_after)},
            "clusters": None if pair.cluster is None else int(len(set(pair.cluster.tolist()))),
            "bootstrap": None if boot is None else {"n_boot": boot.n_boot, "seed": boot.seed,
                                                    "interval": "BCa (within-suite cluster resampling)"},
            "discordance": num(ss.discordance),
            "integrity": list((inputs or {}).get("integrity") or []),
        })


def _settings(table: pd.DataFrame, before: str, after: str, plan: Mapping[str, Any] | None,
              given: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[tuple[str, str]]]:
    """The settings in force (the plan's, or an argument that overrides it: a deviation), the deviations, and
    the control transitions; every named release must be in the table."""
    settings, deviations = document.checked_settings(plan, given)
    control_pairs = [parse_control(c) for c in settings["controls"]]
    document.check_labels(table["model"].unique(), before, after, *[m for c in control_pairs for m in c], plan=plan)
    if plan and plan.get("before") and plan.get("after") and (plan["before"], plan["after"]) != (before, after):
        deviations.append(f"the plan names {plan['before']} → {plan['after']}; compared {before} → {after}")
    return settings, deviations, control_pairs


def _paired(table: pd.DataFrame, before: str, after: str, rule: str, plan: Mapping[str, Any] | None, force: bool,
            notes: guards.Notes, warnings: list[str]) -> tuple[pd.DataFrame, list[dict[str, Any]], Pairing]:
    """The error rule, the error rates per release (a difference between the releases is the named warning
    error_rates), per-item aggregation and the pairing (with its one-line errors when nothing, or only one
    category, is paired). Returns (per-item rows, error rates, pairing)."""
    rows, rule_warnings = apply_error_rule(table, rule)
    warnings += rule_warnings
    rates, rate_warnings = error_rates(table, before, after)
    for message in rate_warnings:
        notes.add("error_rates", message, warnings)
    agg = aggregate_items(rows)
    categories = dict(plan["suites"]) if plan else None
    pairing = pair_items(agg, table, before, after, categories=categories, force=force)
    warnings += pairing.warnings
    pair = pairing.pair
    if pair is None:
        raise UserError(f"no item is paired between {before} and {after}: they share no (suite, item_id) with the "
                        "same content hash and a usable sample; check that both ran the same suites")
    if not pair.targeted.any() or pair.targeted.all():
        have = "targeted" if pair.targeted.all() else "untargeted"
        raise UserError(f"only {have} suites are paired ({', '.join(pair.suites)}); the comparison needs at least "
                        "one targeted (coding, agentic) and one untargeted (math, factual) suite")
    return agg, rates, pairing


def _annotate_suites(ss: SuiteStats, hash_mismatch: Sequence[Mapping[str, Any]], rates: Sequence[Mapping[str, Any]],
                     notes: guards.Notes, warnings: list[str]) -> None:
    """Each suite row gets its hash-mismatch flag and error rates; a suite left out of the layers is named."""
    for row in ss.rows:
        mism = next((h for h in hash_mismatch if h["suite"] == row["suite"]), None)
        if mism:
            row["flags"].append("hash mismatch")
        rate = next((r for r in rates if r["suite"] == row["suite"]), None)
        row["error_rate_before"] = rate["before"]["rate"] if rate and rate["before"] else None
        row["error_rate_after"] = rate["after"]["rate"] if rate and rate["after"] else None
        reason = next((f for f in row["flags"] if f.startswith("excluded")), None)
        if reason:
            name = "small_suite" if "minimum suite size" in reason else "ceiling_floor"
            notes.add(name, f"suite {row['suite']}: {reason}; reported but left out of the layers", warnings)


def _layer1(pair: Pair, ss: SuiteStats, cluster_use: np.ndarray | None, settings: Mapping[str, Any], level: float,
            p_ref: float, warnings: list[str]) -> tuple[dict[str, Any], Any, Estimate, tuple[np.ndarray, ...]]:
    """Layer 1 beside the primary: the latent (Mantel-Haenszel), pp and normalised-gain asymmetries over the
    suites in the layers, from the cluster bootstrap when every suite has enough clusters, and Fisher's exact
    test when some suite has few discordant items. Returns (the asymmetry block, the bootstrap or None, A^L,
    and per suite: the latent gains, their variances and the pp gains)."""
    inc = ss.included
    t_inc = pair.targeted[inc]
    y_l, v_l = values_of(ss.latent, inc)
    y_p, v_p = values_of(ss.pp, inc)
    y_n, v_n = values_of(ss.normalized, inc)
    a_l = asymmetry(y_l, v_l, t_inc, level=level, method="latent asymmetry A^L on these items (Mantel-Haenszel "
                    + ("difference-in-differences, cluster-robust suite variances)" if pair.cluster is not None
                       else "difference-in-differences, item-level variance)"),
                    note="pulled by the suites' starting levels when items differ in how much they gain; the "
                         "verdict uses asymmetry.primary")
    a_p = asymmetry(y_p * 100, v_p * 1e4, t_inc, level=level, method="pp asymmetry A^P (Miller paired differences)",
                    note="ceiling-sensitive: biased toward an asymmetry when targeted suites start lower")
    a_n = asymmetry(y_n, v_n, t_inc, level=level, method="normalised-gain asymmetry A^N (Hake)",
                    note="ceiling-sensitive; matches neither the latent nor the pp null")
    asym: dict[str, Any] = {}
    boot = None
    n_boot_used = int(settings["n_boot"])
    clusters_ok = cluster_use is not None and bool(cluster_use[inc].all())
    if pair.cluster is not None and n_boot_used > 0 and clusters_ok:
        sub = pair.subset(inc[pair.code])
        boot = cluster_bootstrap(sub.x1, sub.x0, sub.k1, sub.k0, sub.code, sub.cluster, sub.targeted,
                                 n_boot=n_boot_used, seed=int(settings["seed"]), level=level)
        asym["latent_analytic"] = a_l.to_dict()
        a_l = boot.latent
        a_p = layers.scaled(boot.pp, 100, a_p.note)
        a_n = boot.normalized
    asym["latent"] = a_l.to_dict()
    asym["pp"] = a_p.to_dict()
    asym["normalized"] = a_n.to_dict()
    t_mean, u_mean = float(y_l[t_inc].mean()), float(y_l[~t_inc].mean())
    asym["latent"]["pp_at_50"] = 100 * float(pp_equivalent(t_mean, 0.5) - pp_equivalent(u_mean, 0.5))
    if p_ref != 0.5:
        asym["latent"]["pp_at_ref"] = 100 * float(pp_equivalent(t_mean, p_ref) - pp_equivalent(u_mean, p_ref))
    asym["latent"]["p_ref"] = p_ref
    sparse = [r["suite"] for r, i in zip(ss.rows, inc, strict=True) if i and "few discordant" in r["flags"]]
    partial = [r["suite"] for r in ss.rows if r["score_type"] != "binary"]
    if partial:
        warnings.append(f"suite(s) {', '.join(partial)} have partial-credit scores (between 0 and 1): their latent "
                        "gains treat scores as fractional successes (an approximation) with items-as-draws "
                        "variances, and their pp intervals use Miller's paired SE; no count-based test (Tango, "
                        "McNemar, exact) applies to them")
    if sparse and pair.is_binary(inc[pair.code]):  # the exact test counts binomial gains and losses
        gt, lt = int(ss.gains[inc][t_inc].sum()), int(ss.losses[inc][t_inc].sum())
        gu, lu = int(ss.gains[inc][~t_inc].sum()), int(ss.losses[inc][~t_inc].sum())
        asym["latent_exact"] = {
            "p_value": gain_loss_table_test(gt, lt, gu, lu, "fisher"),
            "table": {"targeted": [gt, lt], "untargeted": [gu, lu]},
            "method": "Fisher exact test of pooled gain/loss odds, targeted vs untargeted (exact conditional)",
            "note": f"few gains or losses in {', '.join(sparse)}: read A^L's interval as approximate beside this "
                    "exact test (which pools items across suites)"}
        asym["latent"]["note"] = (asym["latent"].get("note", "") + "; " if asym["latent"].get("note") else "") + \
            f"few discordant items in {', '.join(sparse)} (see latent_exact)"

    return asym, boot, a_l, (y_l, v_l, y_p)


def _flagged_code(pair: Pair, inc: np.ndarray, level: float, cluster_use: np.ndarray | None, prim: Primary,
                  block: dict[str, Any], notes: guards.Notes, warnings: list[str]) -> tuple[str, dict[str, Any]]:
    """The verdict after the flagged-code rule (harness.compare.flags), written into the primary's block
    when it changed it; returns (verdict, the code_flags block's analysis part)."""
    verdict, reasons, check = flags.check(pair, inc, level, cluster_use, prim, notes, warnings)
    if reasons:  # a stated asymmetry carried by flagged code records
        block["verdict"] = verdict
        block["verdict_reasons"] = [*block["verdict_reasons"], *reasons]
    return verdict, check


def _groups(pair: Pair, ss: SuiteStats, y_l: np.ndarray, v_l: np.ndarray, y_p: np.ndarray,
            level: float) -> dict[str, Any]:
    """Per group (targeted, untargeted) over the suites in the layers: the gain/loss ratio (e^ of the mean
    latent gain), raw gains and losses, the mean latent and pp gains, and the mean accuracies."""
    inc = ss.included
    t_inc = pair.targeted[inc]
    groups = {}
    for name, mask in (("targeted", t_inc), ("untargeted", ~t_inc)):
        gm = group_mean(y_l[mask], v_l[mask], level=level)
        in_group = inc & (pair.targeted == (name == "targeted"))
        counted = [r for r, i in zip(ss.rows, in_group, strict=True) if i]
        groups[name] = {"suites": [r["suite"] for r in counted], "gain_ratio": num(math.exp(gm.estimate)),
                        "gain_ratio_ci": [num(math.exp(c)) for c in gm.ci],
                        "gain_ratio_method": "geometric mean of the group's per-suite gain/loss ratios (e^ of the "
                                             "mean latent gain, equal suite weights), not a pooled count ratio",
                        "gains": int(ss.gains[in_group].sum()), "losses": int(ss.losses[in_group].sum()),
                        "zero_cell_suites": [r["suite"] for r in counted if "zero cell (Haldane)" in r["flags"]],
                        "latent": num(gm.estimate), "latent_ci": interval(gm.ci), "latent_se": num(gm.se),
                        "gain_pp": num(float(np.mean(y_p[mask])) * 100),
                        "pp_at_50": 100 * float(pp_equivalent(gm.estimate, 0.5)),
                        "before": float(np.mean([r["before"] for r in counted])),
                        "after": float(np.mean([r["after"] for r in counted]))}
    return groups


def _primary_rows(ss: SuiteStats, prim: Primary, level: float) -> None:
    """Each suite row gets its mean item gain at the reported σ (null for suites left out of the layers)."""
    included_rows = [r for r, i in zip(ss.rows, ss.included, strict=True) if i]
    for r, g in zip(included_rows, prim.gains[prim.rows.index(prim.summary_row)], strict=True):
        d = g.to_dict(level)
        r["primary_gain"], r["primary_gain_ci"], r["primary_sigma"] = d["estimate"], d["ci"], d["sigma"]
    for r in ss.rows:
        r.setdefault("primary_gain", None)
        r.setdefault("primary_gain_ci", [None, None])
        r.setdefault("primary_sigma", None)

