"""The compare JSON contract (DESIGN.md, "Compare JSON"), with the keys this project adds.

`compare` writes it and `report` reads it, and outside checks rely on it: keys may be added, never
renamed. `validate_compare` checks a document's shape so a drift is caught by tests, not by readers.

Shape (keys of DESIGN.md first; `+` marks keys this project adds). Percent = accuracy in percent,
pp = percentage points, logits = latent scale (STATISTICS.md §1.3-1.4). An interval is `[lo, hi]`; an
unbounded or undefined number is null (the document is strict JSON: no NaN, no infinity).

    schema: "asymmetry.compare/1"      + harness_version, + alpha (0.05), + created_at
    before, after: model labels        mode: "items" | "scores"        scale: "logit"
    + evidence: "item-level, paired" | "published scores, unpaired (weaker evidence: …)"
    suites: [{
        suite, category, n_items,                       + capability, + samples (k), + suite_version,
                                                        + score_type ("binary" | "partial credit"),
                                                        + samples_before, + samples_after (median k per
                                                          release; samples = the smaller of the two)
        before, after (percent),                        + before_ci, + after_ci (Wilson, percent)
        gain_pp, gain_pp_ci,                            + gain_pp_se, + gain_pp_method
        gains, losses (int, items whose mean score rose/fell; null in scores mode),
                                                        + gain_ratio, + gain_ratio_ci (= e^δ)
        latent_gain, latent_gain_ci (logits),           + latent_gain_se, + latent_p_value, + latent_method,
                                                        + latent_note, + normalized_gain, + normalized_gain_ci
        mcnemar_midp, p_holm (null in scores mode),     + mcnemar_method, + error_rate_before, + error_rate_after
            (mcnemar_midp is the suite's paired test as mcnemar_method names it: McNemar mid-p for one 0/1
             sample per item, a sign test over items otherwise, and with item clusters the cluster-robust
             t-test of the latent gain; + mcnemar_midp_unclustered then keeps the item-level p)
        + flags: [str]   ("clustered", "ceiling", "floor", "excluded: …", "few discordant", "exact interval",
                          "zero cell (Haldane)", "hash mismatch", "unpaired (published scores)", "partial credit", …)
        + pass_at_k: {k, before, after, note} and + variance_split (k > 1, descriptive only)
        + n_items_before, + n_items_after (scores mode)
    }]
    asymmetry: {latent|pp|normalized: {estimate, se, ci, p_value, + method, + note},
                primary: {estimate, se, ci, p_value, method, sigma | sigma_grid, + verdict, + verdict_reasons,
                          + leave_one_out, + without_sparse, + sparse_suites, + suites, + pp_at_50,
                          + baseline_adjusted, + sigma_by_suite | + sigma_max, + estimate_at_sigma}}
        latent = the Mantel-Haenszel "these items" asymmetry (item-level variance); primary = the mean item gain
        of STATISTICS.md §1.4b, which the verdict and the sentence use. With one sample per item, sigma_grid
        holds one row per σ and the interval is their union, the p-value their largest.
        + latent.pp_at_50 (pp-equivalent of A^L at a 50% start), + latent.p_ref, + latent.pp_at_ref
        + latent_analytic (when the cluster bootstrap supplies `latent`), + latent_exact (Fisher, sparse suites)
    + groups: {targeted|untargeted: {suites, gain_ratio, gain_ratio_ci, latent, latent_ci, latent_se, gain_pp,
                                     pp_at_50, before, after, + gain_ratio_method, + gains, + losses,
                                     + zero_cell_suites}}
        (gain_ratio = e^latent, the geometric mean of the suites' gain/loss ratios, not a pooled count ratio;
         gains/losses are the raw counts over the group's suites, items mode)
    generalisation: {hksj: {estimate, ci, p_value, …} | null, permutation: {p_value, n_labelings, …} | null,
                     + hksj_modified, + testable (bool), + n_targeted, + n_untargeted, + note}
    flatness: {margin_pp, ci90, equivalent, + pooled_gain_pp, + p_value, + n_items, + level, + method,
               + per_suite: [{suite, ci90, p_value, p_holm, equivalent}],
               + latent: {margin_logit, estimate, ci, p_value, equivalent, level, method} (secondary TOST on
                          the untargeted mean latent gain with the plan's margin_logit)}
    + conjunction: {targeted_disproportionate, untargeted_flat, holds, p_value, method}
    + gatekeeping: [{hypothesis, tested, p_value (one-sided), rejected, reason}]
    triple_difference: null | {controls, excess, ci, t_p_value, rank_p_value,
                               + excess_se, + suspect_asymmetry, + control_mean, + control_sd, + t_stat, + df,
                               + n_controls, + n_above, + method, + note, + control_scope}
        controls: [{before, after, asymmetry, se, + ci, + n_items, + suites}]  (items mode: each control is
                  measured on the suspect's analysed suites and (suite, item_id)s; scores mode: + suites)
    + contamination: null | {cutoff, rule, fresh, old, difference, fresh_per_suite, primary ("fresh"|"all"), note,
                             + note_suites (suites the ceiling rule drops from both parts)}
    + power: harness.stats.power.detectable(...) for the actual design (absent if the module is unavailable)
    + diagnostics: {warnings: [str], unpaired: [{suite, reason, n_items, items}], hash_mismatch: [...],
                    error_rates: [{suite, before, after, fisher_p, flagged}], decoding: {checked, before, after},
                    suite_versions: {...}, plan: {used, path, sha256, content_ok, created_at, predates_runs,
                    deviations}, error_rule: {rule, text}, samples_per_item, clusters, bootstrap, discordance,
                    + sources (scores mode)}
    + inputs: {kind, paths, sha256: {path: hex}}
    + command: the command that reproduces this document
    summary: "the citable sentence, with its caveat"           + caveat
    verdict: "targeted_larger" | "untargeted_larger" | "no_difference_shown" | "fragile" | "not_testable"
        (what the sentence says; DESIGN.md names)
    + diagnostics.guards: [{name, message}] named warnings; + diagnostics.integrity: [{path, problem}] inputs
      compared anyway (--force) although not as their manifests recorded
    + suites[].primary_gain, primary_gain_ci, primary_sigma (the mean item gain at the reported σ)
    + code_flags: {checked, rule, note, flagged_records: {before, after},
                   by_suite: [{suite, category, release ("before"|"after"), model, records, flagged,
                               by_flag: {flag name: records}}],   (coding suites and any suite with a flag)
                   carried: [{suite, category, gained, gained_flagged, lost, lost_flagged}],
                   rescored: null | {verdict, estimate, ci, p_value, method}  (flagged records scored as failures),
                   blocked (the verdict became fragile because of them; guard flagged_code)}
"""

from __future__ import annotations

from typing import Any, Final

from harness.stats.verdict import VERDICTS

SCHEMA: Final = "asymmetry.compare/1"

_TOP: Final = ("schema", "before", "after", "mode", "scale", "suites", "asymmetry", "generalisation",
               "flatness", "triple_difference", "summary")
_SUITE: Final = ("suite", "category", "n_items", "before", "after", "gain_pp", "gain_pp_ci", "gains",
                 "losses", "latent_gain", "latent_gain_ci", "mcnemar_midp", "p_holm")
_ESTIMATE: Final = ("estimate", "se", "ci", "p_value")
_TRIPLE: Final = ("controls", "excess", "ci", "t_p_value", "rank_p_value")
_PRIMARY: Final = ("estimate", "se", "ci", "p_value", "method")



def _interval(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple) and len(value) == 2)


def validate_compare(doc: dict[str, Any]) -> list[str]:
    """Every way `doc` departs from the contract, as readable strings (empty when it conforms)."""
    problems: list[str] = []

    def need(obj: Any, keys: tuple[str, ...], where: str) -> None:
        if not isinstance(obj, dict):
            problems.append(f"{where}: expected an object")
            return
        problems.extend(f"{where}: missing {k!r}" for k in keys if k not in obj)

    need(doc, _TOP, "compare")
    if problems:
        return problems
    if doc["schema"] != SCHEMA:
        problems.append(f"schema: expected {SCHEMA!r}, got {doc['schema']!r}")
    if doc["mode"] not in ("items", "scores"):
        problems.append(f"mode: expected 'items' or 'scores', got {doc['mode']!r}")
    if doc["scale"] != "logit":
        problems.append(f"scale: expected 'logit', got {doc['scale']!r}")
    if not isinstance(doc["suites"], list) or not doc["suites"]:
        problems.append("suites: expected a non-empty list")
    else:
        for i, suite in enumerate(doc["suites"]):
            need(suite, _SUITE, f"suites[{i}]")
            if isinstance(suite, dict):
                for k in ("gain_pp_ci", "latent_gain_ci"):
                    if k in suite and not _interval(suite[k]):
                        problems.append(f"suites[{i}].{k}: expected [lo, hi]")
                if suite.get("category") not in ("targeted", "untargeted"):
                    problems.append(f"suites[{i}].category: expected targeted|untargeted")
    for scale in ("latent", "pp", "normalized"):
        need(doc["asymmetry"].get(scale) if isinstance(doc["asymmetry"], dict) else None, _ESTIMATE,
             f"asymmetry.{scale}")
    primary = doc["asymmetry"].get("primary") if isinstance(doc["asymmetry"], dict) else None
    if "verdict" in doc or primary is not None:  # documents written before issue 9 carry neither
        if doc.get("verdict") not in VERDICTS:
            problems.append(f"verdict: expected one of {', '.join(VERDICTS)}, got {doc.get('verdict')!r}")
        need(primary, _PRIMARY, "asymmetry.primary")
        if isinstance(primary, dict):
            if "sigma" not in primary and "sigma_grid" not in primary:
                problems.append("asymmetry.primary: missing 'sigma' or 'sigma_grid'")
            if "ci" in primary and not _interval(primary["ci"]):
                problems.append("asymmetry.primary.ci: expected [lo, hi]")
    gen = doc["generalisation"]
    need(gen, ("hksj", "permutation"), "generalisation")
    if isinstance(gen, dict):
        if gen.get("hksj") is not None:
            need(gen["hksj"], ("estimate", "ci", "p_value"), "generalisation.hksj")
        if gen.get("permutation") is not None:
            need(gen["permutation"], ("p_value", "n_labelings"), "generalisation.permutation")
    need(doc["flatness"], ("margin_pp", "ci90", "equivalent"), "flatness")
    if doc["triple_difference"] is not None:
        need(doc["triple_difference"], _TRIPLE, "triple_difference")
        controls = doc["triple_difference"].get("controls") if isinstance(doc["triple_difference"], dict) else None
        if isinstance(controls, list):
            for i, c in enumerate(controls):
                need(c, ("before", "after", "asymmetry", "se"), f"triple_difference.controls[{i}]")
    if "gatekeeping" in doc:
        for i, row in enumerate(doc["gatekeeping"] if isinstance(doc["gatekeeping"], list) else [None]):
            need(row, ("hypothesis", "tested", "p_value", "rejected"), f"gatekeeping[{i}]")
    if "conjunction" in doc:
        need(doc["conjunction"], ("targeted_disproportionate", "untargeted_flat", "holds"), "conjunction")
    ci90 = doc["flatness"].get("ci90") if isinstance(doc["flatness"], dict) else None
    if isinstance(doc["flatness"], dict) and (ci90 is None or not _interval(ci90)):
        problems.append("flatness.ci90: expected [lo, hi]")
    if "code_flags" in doc:  # documents written before issue 10's flag counts carry none
        _check_code_flags(doc["code_flags"], need, problems)
    if not isinstance(doc["summary"], str) or not doc["summary"].strip():
        problems.append("summary: expected the citable sentence")
    elif "proves" in doc["summary"].lower():
        problems.append("summary: says 'proves'; reports say 'consistent with'")
    return problems


def _check_code_flags(block: Any, need: Any, problems: list[str]) -> None:
    need(block, ("checked", "by_suite", "flagged_records", "carried", "rescored", "blocked"), "code_flags")
    if not isinstance(block, dict):
        return
    rows = block.get("by_suite")
    for i, row in enumerate(rows if isinstance(rows, list) else [None]):
        need(row, ("suite", "category", "release", "records", "flagged", "by_flag"), f"code_flags.by_suite[{i}]")
        if isinstance(row, dict):
            if row.get("release") not in ("before", "after"):
                problems.append(f"code_flags.by_suite[{i}].release: expected before|after")
            counts = [row.get("records"), row.get("flagged"), *(row.get("by_flag") or {}).values()]
            if not all(isinstance(n, int) and n >= 0 for n in counts) or row["flagged"] > row["records"]:
                problems.append(f"code_flags.by_suite[{i}]: counts must be whole numbers, flagged <= records")
    rescored = block.get("rescored")
    if rescored is not None:
        need(rescored, ("verdict", "estimate", "ci", "p_value"), "code_flags.rescored")
        if isinstance(rescored, dict) and rescored.get("verdict") not in VERDICTS:
            problems.append("code_flags.rescored.verdict: expected one of " + ", ".join(VERDICTS))
