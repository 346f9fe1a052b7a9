"""`provenance compare`: the document `asymmetry.provenance/1` from a texts table and a frozen model.

One function, `provenance_document`, computes everything a reader may cite, in the order of STATISTICS
§4.3: classifier sanity, per-prompt affinities, the paired shift, by domain, the domain DiD, specificity,
the control transitions and their calibration, the pre-trend, the claim, secondary rows and guards.
Everything is computed on `test` prompts outside the identity battery; the identity battery feeds only the
self-identification rows. Contract keys (DESIGN.md): schema, teacher, before, after, classifier
{heldout_accuracy, n_classes, baselines}, shift {estimate, se, ci, p_value}, by_domain, domain_did,
specificity, controls, pretrend, summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from harness import __version__
from harness.errors import UserError
from harness.provenance import secondary
from harness.provenance.examples import build_examples
from harness.provenance.features import (
    LENGTH_FEATURES,
    STYLE_FEATURES,
    code_only,
    strip_markdown,
    style_matrix,
)
from harness.provenance.model import AttributionModel, heldout
from harness.provenance.sentence import caveat, summary_sentence
from harness.provenance.stats import (
    calibrate,
    claim,
    mean_shift,
    paired_one_sided,
    sign_flip_p,
    specificity,
    welch_did,
)
from harness.provenance.texts import IDENTITY_DOMAIN, TARGETED_DOMAINS, table_sha256

SCHEMA = "asymmetry.provenance/1"


class Scorer:
    """Affinities of texts under a frozen model, computed once per row and cached."""

    def __init__(self, model: AttributionModel, table: pd.DataFrame, progress: Callable[[str], None] | None = None):
        self.model, self.table = model, table
        self._say = progress or (lambda _m: None)
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    def per_prompt(self, label: str, transform: str = "none") -> pd.DataFrame:
        """Mean affinity toward each class per test prompt of `label` (rows: prompt_id; columns: classes)."""
        key = (label, transform)
        if key not in self._cache:
            rows = self.table[(self.table["model"] == label) & (self.table["split"] == "test")
                              & (self.table["domain"] != IDENTITY_DOMAIN)]
            texts = rows["text"].tolist()
            if transform == "markdown_stripped":
                texts = [strip_markdown(t) for t in texts]
            elif transform == "code_only":
                keep = [bool(code_only(t).strip()) for t in texts]
                rows, texts = rows[keep], [code_only(t) for t, k in zip(texts, keep, strict=True) if k]
            self._say(f"scoring {label} ({len(texts):,} texts{'' if transform == 'none' else ', ' + transform})")
            aff = pd.DataFrame(self.model.affinity(texts), columns=list(self.model.classes), index=rows.index)
            self._cache[key] = aff.groupby(rows["prompt_id"].to_numpy()).mean()
        return self._cache[key]

    def text_affinity(self, label: str) -> pd.Series:
        """Per-text affinity toward the teacher (index: table rows)."""
        rows = self.table[(self.table["model"] == label) & (self.table["split"] == "test")
                          & (self.table["domain"] != IDENTITY_DOMAIN)]
        return pd.Series(self.model.affinity(rows["text"].tolist())[:, self.model.classes.index(self.model.teacher)],
                         index=rows.index)


def _differences(scorer: Scorer, before: str, after: str, cls: str, transform: str = "none",
                 prompts: Sequence[str] | None = None) -> pd.Series:
    a0, a1 = scorer.per_prompt(before, transform), scorer.per_prompt(after, transform)
    common = a0.index.intersection(a1.index)
    if prompts is not None:
        common = common.intersection(pd.Index(prompts))
    return (a1.loc[common, cls] - a0.loc[common, cls]).sort_index()


def _domains(table: pd.DataFrame) -> pd.Series:
    return table.drop_duplicates("prompt_id").set_index("prompt_id")["domain"]


def _clusters(table: pd.DataFrame, prompts: pd.Index) -> np.ndarray | None:
    tmpl = table.drop_duplicates("prompt_id").set_index("prompt_id")["template"]
    values = tmpl.reindex(prompts)
    if values.isna().all():
        return None
    return values.fillna(pd.Series(prompts, index=prompts)).astype(str).to_numpy()


def _did(d: pd.Series, domains: pd.Series, targeted: Sequence[str]) -> dict[str, Any]:
    is_t = domains.reindex(d.index).isin(targeted).to_numpy()
    return welch_did(d.to_numpy()[is_t], d.to_numpy()[~is_t])


def provenance_document(table: pd.DataFrame, model: AttributionModel, *, before: str, after: str,
                        controls: Sequence[tuple[str, str]] = (), pretrend: str | None = None,
                        targeted: Sequence[str] = TARGETED_DOMAINS, alpha: float = 0.05, n_boot: int = 2000,
                        seed: int = 0, identity_aliases: Sequence[str] = (), secondary_rows: bool = True,
                        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every statistic of the fingerprint layer for S0 = before → S1 = after, toward model.teacher."""
    say = progress or (lambda _m: None)
    teacher = model.teacher
    trained = set(model.classes)
    scored = {before, after, *(m for pair in controls for m in pair), *([pretrend] if pretrend else [])}
    leaked = sorted(trained & scored)
    if leaked:
        raise UserError(f"{', '.join(leaked)} trained the attribution model and cannot also be scored as a release "
                        "or control (f must never have seen the texts it scores); refit without them")
    level = 1 - alpha
    domains = _domains(table)
    scorer = Scorer(model, table, say)

    say("held-out accuracy of the attribution model")
    clf = heldout(model, table)
    d = _differences(scorer, before, after, teacher)
    if d.size < 2:
        raise UserError(f"{before} and {after} share {d.size} test prompt(s) outside the identity battery; the paired "
                        "shift needs at least 2 (check the split and prompt ids)")
    clusters = _clusters(table, d.index)
    shift = mean_shift(d.to_numpy(), clusters, level=level)
    shift["sign_flip_p"] = sign_flip_p(d.to_numpy(), seed=seed)
    shift["scale"] = "log-odds of teacher authorship above its base rate, per prompt, paired S0 → S1"
    shift["note"] = ("descriptive: its p-value tests 'no change in style', which any new release may reject; "
                     "the claim rests on the control transitions")
    by_domain = {}
    for dom, group in d.groupby(domains.reindex(d.index).to_numpy()):
        row = mean_shift(group.to_numpy(), None, level=level)
        by_domain[str(dom)] = row | {"targeted": dom in targeted}
    did = _did(d, domains, targeted)

    others = [c for c in model.meta.get("candidates", []) if c != teacher]
    spec = specificity(d.to_numpy(), {c: _differences(scorer, before, after, c).reindex(d.index).to_numpy()
                                      for c in others}, level=level)

    ctrl_rows = []
    for b, a in controls:
        dc = _differences(scorer, b, a, teacher, prompts=d.index)
        row = {"before": b, "after": a, "n_prompts": int(dc.size)}
        if dc.size < 2:
            row["note"] = "fewer than 2 test prompts shared with the suspect's analysis"
            ctrl_rows.append(row)
            continue
        row["shift"] = mean_shift(dc.to_numpy(), None, level=level)
        row["domain_did"] = _did(dc, domains, targeted)
        ctrl_rows.append(row)
    usable = [r for r in ctrl_rows if "shift" in r]
    calibration = calibrate(shift["estimate"], shift["se"], [r["shift"]["estimate"] for r in usable],
                            [r["shift"]["se"] for r in usable], level=level)
    did_usable = [r for r in usable if r["domain_did"].get("estimate") is not None]
    did_cal = calibrate(did["estimate"], did["se"], [r["domain_did"]["estimate"] for r in did_usable],
                        [r["domain_did"]["se"] for r in did_usable], level=level) if did.get("estimate") is not None \
        else {"testable": False, "note": "no domain difference (needs targeted and untargeted prompts)"}

    pre: dict[str, Any] | None = None
    if pretrend:
        dp = _differences(scorer, pretrend, before, teacher, prompts=d.index)
        pre = {"before": pretrend, "after": before, "shift": mean_shift(dp.to_numpy(), None, level=level)}
        common = d.index.intersection(dp.index)
        pre["exceeds"] = paired_one_sided((d[common] - dp[common]).to_numpy(), level=level) | {
            "method": "paired one-sided t: Δ(S0→S1) - Δ(S₋₁→S0) over shared prompts"}
    decision = claim(calibration, spec, pre, did_cal, alpha=alpha, classifier=clf)

    doc: dict[str, Any] = {
        "schema": SCHEMA, "teacher": teacher, "before": before, "after": after,
        "candidates": others, "references": list(model.meta.get("references", [])),
        "model_sha256": model.sha256, "alpha": alpha,
        "classifier": {"heldout_accuracy": clf.get("heldout_accuracy"), "n_classes": clf["n_classes"],
                       "baselines": clf.get("baselines", {})} | {k: v for k, v in clf.items()
                                                                 if k not in ("heldout_accuracy", "n_classes", "baselines")},
        "shift": shift, "by_domain": by_domain, "domain_did": did | {"targeted_domains": list(targeted)},
        "specificity": spec, "controls": ctrl_rows,
        "calibration": {"shift": calibration, "domain_did": did_cal},
        "pretrend": pre if pre is not None else {"note": "not given (--pretrend PREVIOUS): the claim cannot rule out "
                                                          "that the movement started a release earlier"},
        "claim": decision.to_dict(),
        "prompts": {"n_test": int(d.size), "per_prompt": [{"prompt_id": p, "domain": str(domains.get(p)), "d": float(v)}
                                                        for p, v in d.items()]},
    }
    say("examples")
    doc["examples"] = build_examples(table, model, doc["prompts"]["per_prompt"], before=before, after=after,
                                     prompts=prompt_texts(table))
    doc["examples_rule"] = ("the 3 test prompts with the largest shift, the 3 around the median and the 3 most "
                            "negative, fixed before the answers are read; first sample of each model")
    say("guards")
    doc["guards"] = guards(table, scorer, before, after, d, identity_aliases, level)
    if secondary_rows:
        doc["secondary"] = secondary_statistics(table, model, before, after, n_boot=n_boot, seed=seed,
                                                identity_aliases=identity_aliases, level=level, progress=say)
    doc["inputs"] = {"texts_sha256": table_sha256(table), "n_texts": len(table), "n_models": int(table["model"].nunique())}
    doc["harness_version"] = __version__
    doc["created"] = datetime.now(UTC).isoformat(timespec="seconds")
    doc["summary"] = summary_sentence(doc)
    doc["caveat"] = caveat()
    return doc


def prompt_texts(table: pd.DataFrame) -> dict[str, str]:
    """Prompt texts by id: the table's optional `prompt` column, else the provenance bank's."""
    if "prompt" in table.columns:
        rows = table.dropna(subset=["prompt"]).drop_duplicates("prompt_id")
        return dict(zip(rows["prompt_id"], rows["prompt"].astype(str), strict=True))
    from harness.provenance.bank import BANK_FILE, load_bank

    wanted = set(table["prompt_id"])
    if not BANK_FILE.is_file() or not any(str(p).startswith("provenance-") for p in wanted):
        return {}
    return {r["prompt_id"]: r["text"] for r in load_bank() if r["prompt_id"] in wanted}


def guards(table: pd.DataFrame, scorer: Scorer, before: str, after: str, d: pd.Series,
           identity_aliases: Sequence[str], level: float) -> dict[str, Any]:
    """Endpoint integrity, language mix, length-matched, capability-matched and markdown-stripped re-analyses."""
    teacher = scorer.model.teacher
    out: dict[str, Any] = {}
    served = {}
    if "served_model" in table.columns:
        for model, group in table.groupby("model"):
            ids = sorted({str(s) for s in group["served_model"].dropna()})
            served[model] = ids
    out["endpoint"] = {"served_model": served,
                       "claims_to_be_teacher": secondary.impostors(table, teacher, identity_aliases),
                       "note": "a non-teacher model that claims to be the teacher may have been served by the "
                               "teacher's endpoint; check the served model id and prefer first-party endpoints"}
    # length: re-centre each text's affinity within deciles of its length (pooled over both releases)
    rows = table[table["model"].isin((before, after)) & (table["split"] == "test") & (table["domain"] != IDENTITY_DOMAIN)]
    aff = pd.concat([scorer.text_affinity(before), scorer.text_affinity(after)])
    length = style_matrix(rows["text"].tolist(), LENGTH_FEATURES[:1])[:, 0]
    bins = pd.qcut(pd.Series(length, index=rows.index), 10, labels=False, duplicates="drop")
    centred = aff.loc[rows.index] - aff.loc[rows.index].groupby(bins).transform("mean")
    per = centred.groupby([rows["model"], rows["prompt_id"]]).mean()
    if before in per.index.get_level_values(0) and after in per.index.get_level_values(0):
        dl = (per[after] - per[before]).dropna()
        out["length_matched"] = mean_shift(dl.to_numpy(), None, level=level) | {
            "method": "affinity re-centred within deciles of log length (both releases pooled), then paired",
            "log_length_shift": float(np.mean(length[(rows["model"] == after).to_numpy()])
                                      - np.mean(length[(rows["model"] == before).to_numpy()]))}
    if "passed" in table.columns and table["passed"].notna().any():
        ok = rows.groupby(["model", "prompt_id"])["passed"].apply(lambda s: bool(s.fillna(False).all()))
        both = [p for p in d.index if ok.get((before, p), False) and ok.get((after, p), False)]
        out["capability_matched"] = mean_shift(d.loc[both].to_numpy(), None, level=level) | {
            "method": "prompts on which every answer of both releases passed its tests"}
    else:
        out["capability_matched"] = {"note": "not available: the texts carry no pass/fail (column 'passed')"}
    dm = _differences(scorer, before, after, teacher, "markdown_stripped", prompts=d.index)
    out["markdown_stripped"] = mean_shift(dm.to_numpy(), None, level=level) | {
        "method": "the same frozen model on the texts without their markdown skeleton"}
    dc = _differences(scorer, before, after, teacher, "code_only", prompts=d.index)
    out["code_only"] = mean_shift(dc.to_numpy(), None, level=level) | {
        "method": "the same frozen model on the code blocks only (prompts whose answers contain code)"}
    cjk = rows.assign(zh=rows["text"].str.contains(r"[\u4e00-\u9fff]", regex=True))
    out["language"] = {m: float(g["zh"].mean()) for m, g in cjk.groupby("model")}
    return out


def secondary_statistics(table: pd.DataFrame, model: AttributionModel, before: str, after: str, *, n_boot: int,
                         seed: int, identity_aliases: Sequence[str], level: float,
                         progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """AUC shift, exact-prefix agreement, teacher-phrase rates and self-identification (module secondary)."""
    say = progress or (lambda _m: None)
    teacher = model.teacher
    out: dict[str, Any] = {}
    say("secondary: cross-fitted AUC shift")
    out["auc_shift"] = secondary.auc_shift(table, teacher, before, after, n_boot=n_boot, seed=seed, level=level)
    out["prefix_agreement"] = secondary.prefix_agreement(table, teacher, before, after)
    say("secondary: teacher phrases")
    train = table[table["model"].isin(model.classes) & (table["split"] == "train") & (table["domain"] != IDENTITY_DOMAIN)]
    markers = secondary.phrase_markers(train["text"].tolist(), (train["model"] == teacher).tolist())
    out["teacher_phrases"] = secondary.phrase_rate_ratio(table, [m["ngram"] for m in markers], before, after,
                                                         level=level) | {"top": markers[:20]}
    out["self_identification"] = secondary.self_identification(
        table, teacher, sorted(set(table["model"])), before, after, identity_aliases, level=level)
    out["style_markers"] = marker_shifts(table, before, after)
    return out


def marker_shifts(table: pd.DataFrame, before: str, after: str) -> list[dict[str, Any]]:
    """Per style feature: mean in S0 and S1 over test prompts and the paired difference with a BH-adjusted
    p (descriptive; it feeds the report's marker table)."""
    from harness.stats import benjamini_hochberg

    rows = table[table["model"].isin((before, after)) & (table["split"] == "test") & (table["domain"] != IDENTITY_DOMAIN)]
    values = pd.DataFrame(style_matrix(rows["text"].tolist()), columns=list(STYLE_FEATURES), index=rows.index)
    per = values.groupby([rows["model"], rows["prompt_id"]]).mean()
    if before not in per.index.get_level_values(0) or after not in per.index.get_level_values(0):
        return []
    b, a = per.loc[before], per.loc[after]
    common = a.index.intersection(b.index)
    out = []
    for name in STYLE_FEATURES:
        diff = (a.loc[common, name] - b.loc[common, name]).to_numpy()
        test = paired_one_sided(diff)
        p = test["p_value"]
        two = None if p is None else min(1.0, 2 * min(p, 1 - p))
        out.append({"marker": name, "before": float(b.loc[common, name].mean()), "after": float(a.loc[common, name].mean()),
                    "difference": test["estimate"], "ci": test["ci"], "p_value": two})
    adj = benjamini_hochberg(np.array([r["p_value"] if r["p_value"] is not None else 1.0 for r in out]))
    for row, q in zip(out, adj, strict=True):
        row["p_bh"] = float(q)
    return out
