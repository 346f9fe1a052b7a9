"""Complete compare documents for report tests, shaped exactly as harness/compare_schema.py describes.

The report must render whatever a valid document holds (items or scores mode, with or without controls,
power, plan), so tests build documents here and check them against the contract first; end-to-end tests
elsewhere use the real `compare`.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from harness.compare_schema import SCHEMA, validate_compare


def _est(estimate: float, se: float, p: float, method: str, note: str = "") -> dict[str, Any]:
    return {"estimate": estimate, "se": se, "ci": [estimate - 1.96 * se, estimate + 1.96 * se], "p_value": p,
            "method": method, "note": note}


def items_doc(*, before: str = "old-release", after: str = "new-release") -> dict[str, Any]:
    """Items mode, 2 + 2 suites (KA8's gain/loss counts), three controls, power, a plan."""
    suites = []
    for suite, cat, cap, g, loss, b, a in (
        ("humaneval", "targeted", "coding", 90, 20, 40.0, 82.7),
        ("bfcl-simple", "targeted", "agentic", 30, 10, 55.0, 60.0),
        ("math500", "untargeted", "math", 35, 25, 80.0, 82.0),
        ("nq-open", "untargeted", "factual", 25, 15, 70.0, 72.0),
    ):
        delta, se = math.log(g / loss), math.sqrt(1 / g + 1 / loss)
        suites.append({
            "suite": suite, "category": cat, "capability": cap, "n_items": 500, "samples": 1,
            "suite_version": "1.0.0", "before": b, "after": a, "before_ci": [b - 4, b + 4],
            "after_ci": [a - 4, a + 4], "gain_pp": a - b, "gain_pp_ci": [a - b - 3, a - b + 3],
            "gain_pp_method": "Tango score interval (paired)", "gains": g, "losses": loss,
            "gain_ratio": g / loss, "gain_ratio_ci": [g / loss * 0.7, g / loss * 1.4],
            "latent_gain": delta, "latent_gain_ci": [delta - 1.96 * se, delta + 1.96 * se],
            "latent_gain_se": se, "latent_method": "Mantel-Haenszel over items (RBG variance)",
            "mcnemar_midp": 0.001, "p_holm": 0.004, "error_rate_before": 0.01, "error_rate_after": 0.0,
            "flags": [],
        })
    curve = [{"effect": e / 10, "power": min(0.999, 0.05 + 0.9 * (e / 10) ** 2)} for e in range(0, 11)]
    doc: dict[str, Any] = {
        "schema": SCHEMA, "harness_version": "0.1.0", "alpha": 0.05, "created_at": "2025-06-01T12:00:00Z",
        "before": before, "after": after, "mode": "items", "scale": "logit", "suites": suites,
        "asymmetry": {
            "latent": {**_est(0.877696, 0.304008, 0.0039, "latent MH difference-in-differences"),
                       "pp_at_50": 18.2},
            "pp": _est(10.35, 3.1, 0.0008, "paired pp difference-in-differences", "ceiling-sensitive"),
            "normalized": _est(0.55, 0.12, 0.0001, "normalized gain difference (Hake)", "matches no null"),
        },
        "groups": {
            "targeted": {"suites": ["humaneval", "bfcl-simple"], "gain_ratio": 3.674, "gain_ratio_ci": [2.39, 5.66],
                         "latent": 1.301, "latent_ci": [0.93, 1.67], "gain_pp": 23.85},
            "untargeted": {"suites": ["math500", "nq-open"], "gain_ratio": 1.528, "gain_ratio_ci": [1.01, 2.30],
                           "latent": 0.424, "latent_ci": [0.01, 0.84], "gain_pp": 2.0},
        },
        "generalisation": {"hksj": None, "permutation": {"p_value": 0.1667, "n_labelings": 6},
                           "hksj_modified": None, "testable": False, "n_targeted": 2, "n_untargeted": 2,
                           "note": "No inference beyond these four benchmarks is statistically supported."},
        "flatness": {"margin_pp": 3.0, "ci90": [-0.5, 4.5], "equivalent": False, "pooled_gain_pp": 2.0,
                     "method": "TOST on the pooled untargeted paired gain"},
        "conjunction": {"targeted_disproportionate": True, "untargeted_flat": False, "holds": False},
        "gatekeeping": [
            {"hypothesis": "H1 latent asymmetry > 0", "tested": True, "p_value": 0.0039, "rejected": True},
            {"hypothesis": "H2 excess over controls", "tested": True, "p_value": 0.02, "rejected": True},
            {"hypothesis": "H3 generalisation (L2)", "tested": False, "p_value": None, "rejected": False},
        ],
        "triple_difference": {
            "controls": [
                {"before": "lab-b-1", "after": "lab-b-2", "asymmetry": 0.1, "se": 0.2},
                {"before": "lab-c-1", "after": "lab-c-2", "asymmetry": 0.3, "se": 0.25},
                {"before": "lab-d-1", "after": "lab-d-2", "asymmetry": -0.05, "se": 0.3},
            ],
            "excess": 0.76, "ci": [0.1, 1.42], "t_p_value": 0.02, "rank_p_value": 0.25,
            "suspect_asymmetry": 0.877696, "control_mean": 0.1167, "t_stat": 5.2, "df": 2,
        },
        "contamination": None,
        "power": {"mde_latent": 0.67, "mde_pp": 16.1, "design": {"n_items": 500, "samples": 1}, "curve": curve},
        "diagnostics": {
            "warnings": ["suite nq-open: 12 items unpaired (present for one release only)"],
            "unpaired": [{"suite": "nq-open", "model": before, "n_items": 12}],
            "hash_mismatch": [],
            "error_rates": [{"model": before, "suite": "humaneval", "rate": 0.01, "kinds": {"timeout": 5}},
                            {"model": after, "suite": "humaneval", "rate": 0.0, "kinds": {}}],
            "decoding": {before: {"temperature": 0.0, "max_tokens": 2048},
                         after: {"temperature": 0.0, "max_tokens": 2048}},
            "suite_versions": {"humaneval": "1.0.0", "bfcl-simple": "1.0.0", "math500": "1.0.0", "nq-open": "1.0.0"},
            "plan": None, "error_rule": "default",
        },
        "inputs": {"kind": "results", "paths": ["results/run-a", "results/run-b"],
                   "sha256": {"results/run-a/items.jsonl": "ab" * 32, "results/run-b/items.jsonl": "cd" * 32}},
        "command": f"asymmetry compare --before {before} --after {after} --results results/run-a --results results/run-b",
        "summary": "Targeted gains exceeded untargeted gains by 0.88 logits (95% CI 0.28 to 1.47); consistent with "
                   "targeted investment, which does not identify its source.",
        "caveat": "Disproportionate gains are consistent with targeted distillation, but also with other targeted "
                  "investments and with benchmark contamination.",
    }
    assert validate_compare(doc) == [], validate_compare(doc)
    return doc


def scores_doc() -> dict[str, Any]:
    """Scores mode: no gain/loss counts, no McNemar, no power, no controls, untargeted gains larger."""
    doc = items_doc(before="Qwen2.5-72B-Instruct", after="Qwen3-235B-A22B")
    doc["mode"] = "scores"
    for s in doc["suites"]:
        s.update(gains=None, losses=None, gain_ratio=None, gain_ratio_ci=None, mcnemar_midp=None, p_holm=None,
                 error_rate_before=None, error_rate_after=None, samples=None)
    doc["asymmetry"]["latent"].update(estimate=-0.2, ci=[-0.6, 0.2], p_value=0.33, pp_at_50=-5.0)
    doc["groups"]["targeted"].update(gain_ratio=None, gain_ratio_ci=None)
    doc["groups"]["untargeted"].update(gain_ratio=None, gain_ratio_ci=None)
    doc["triple_difference"] = None
    doc["gatekeeping"] = [{"hypothesis": "H1 latent asymmetry > 0", "tested": True, "p_value": 0.33,
                           "rejected": False}]
    doc.pop("power")
    doc["inputs"] = {"kind": "scores", "paths": ["harness/data/published_scores.csv"],
                     "sha256": {"harness/data/published_scores.csv": "ef" * 32}}
    doc["command"] = "asymmetry demo"
    assert validate_compare(doc) == [], validate_compare(doc)
    return doc


def with_changes(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `doc` with top-level keys replaced."""
    out = copy.deepcopy(doc)
    out.update(changes)
    return out


def test_sample_documents_follow_the_compare_contract() -> None:
    assert validate_compare(items_doc()) == []
    assert validate_compare(scores_doc()) == []


def test_the_contract_validator_catches_a_document_that_says_proves() -> None:
    doc = with_changes(items_doc(), summary="This proves distillation.")
    assert any("proves" in p for p in validate_compare(doc))
