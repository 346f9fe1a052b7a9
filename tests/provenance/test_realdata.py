"""Validation on real model outputs (../shared/data/outputs; skipped with the reason when absent).

MultiPL-E: 4-way source attribution of Qwen2 7B/72B and Llama-3 8B/70B answers to the 164 HumanEval
prompts, grouped 5-fold CV by prompt. The research notes measured 0.82 (word n-grams) against 0.48 for
length only; the pass bar here is the pre-registered 0.70, below the measured value to avoid flakiness.

EvalPerf: the full shift statistic on three real release transitions, with Qwen2.5-72B-Instruct as a
stand-in teacher and each transition's own models kept out of training. The same-vendor transition
(CodeQwen1.5-7B → Qwen2.5-7B) must move toward the stand-in teacher with p < 0.01 and more than the other
two (notes: +2.33 vs -0.75 and -0.32). A real-data known answer for the plumbing, not evidence of
distillation: same-vendor shared data is the likely cause.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.provenance.compare import provenance_document
from harness.provenance.model import fit_model, grouped_cv_accuracy
from harness.provenance.texts import validate_texts
from tests.provenance.realdata import EVALPERF_FILES, evalperf_table, multiple_table

TEACHER = "qwen2.5-72b"
TRANSITIONS = [("codeqwen1.5-7b", "qwen2.5-7b"), ("llama3-8b", "llama3.1-8b"), ("deepseek-v2.5", "deepseek-v3")]


@pytest.mark.slow
def test_multipl_e_four_way_attribution(outputs: Path) -> None:
    table = multiple_table(outputs)
    acc = grouped_cv_accuracy(table["text"], table["model"], table["prompt_id"], folds=5)
    assert acc["n"] == 656 and acc["chance"] == 0.25
    assert acc["full"] >= 0.70
    assert acc["length_only"] < 0.6 and acc["full"] - acc["length_only"] > 0.2
    assert acc["style_only"] < acc["full"] + 0.05


@pytest.mark.slow
def test_evalperf_same_vendor_transition_moves_toward_the_stand_in_teacher(outputs: Path) -> None:
    table = validate_texts(evalperf_table(outputs, samples=5), source="evalperf")
    shifts = {}
    for before, after in TRANSITIONS:
        references = [m for m in EVALPERF_FILES if m not in (TEACHER, before, after)]
        model = fit_model(table, TEACHER, [], references)
        doc = provenance_document(table, model, before=before, after=after, secondary_rows=False)
        shifts[(before, after)] = doc["shift"]
    same_vendor = shifts[TRANSITIONS[0]]
    assert same_vendor["estimate"] > 1.0 and same_vendor["p_value"] < 0.01
    assert same_vendor["estimate"] > max(s["estimate"] for s in list(shifts.values())[1:])
    assert shifts[TRANSITIONS[1]]["estimate"] < 0 and shifts[TRANSITIONS[2]]["estimate"] < 0.5
