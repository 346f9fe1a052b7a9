"""Compare documents for report tests, made by the real `harness.compare` from item tables whose
gain/loss counts are known (STATISTICS.md KA8), so the report is tested on what compare really writes.

`items_doc()` has 2 + 2 suites, three control transitions and a power analysis; `scores_doc()` is
score-level (published accuracies). Tests that need another state (a passed equivalence test, a given
interval) change a copy of these documents.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import pandas as pd
import pytest

from harness.compare import compare, compare_scores
from harness.compare.schema import validate_compare
from harness.table import validate_items

SUITES = {"humaneval": ("targeted", "coding"), "bfcl-simple": ("targeted", "agentic"),
          "math500": ("untargeted", "math"), "nq-open": ("untargeted", "factual")}
N_ITEMS = 500
#: (gains 0->1, losses 1->0, both right) per suite; the rest of the 500 items are wrong in both releases.
SUSPECT = {"humaneval": (90, 20, 200), "bfcl-simple": (30, 10, 250), "math500": (35, 25, 380), "nq-open": (25, 15, 330)}
CONTROLS = {
    ("lab-b-1", "lab-b-2"): {"humaneval": (40, 30, 200), "bfcl-simple": (20, 16, 250), "math500": (30, 25, 380),
                             "nq-open": (22, 18, 330)},
    ("lab-c-1", "lab-c-2"): {"humaneval": (45, 28, 200), "bfcl-simple": (22, 15, 250), "math500": (28, 26, 380),
                             "nq-open": (20, 19, 330)},
    ("lab-d-1", "lab-d-2"): {"humaneval": (35, 33, 200), "bfcl-simple": (18, 17, 250), "math500": (33, 24, 380),
                             "nq-open": (26, 17, 330)},
}


def transition_rows(before: str, after: str, counts: dict[str, tuple[int, int, int]]) -> list[dict[str, Any]]:
    """Item-table rows for one release pair with exactly the given gain/loss/both-right counts."""
    rows = []
    for suite, (gains, losses, right) in counts.items():
        category, capability = SUITES[suite]
        pattern = [(0, 1)] * gains + [(1, 0)] * losses + [(1, 1)] * right
        pattern += [(0, 0)] * (N_ITEMS - len(pattern))
        for i, (b, a) in enumerate(pattern):
            for model, score in ((before, b), (after, a)):
                rows.append({"model": model, "suite": suite, "category": category, "capability": capability,
                             "item_id": f"{suite}-{i}", "score": float(score)})
    return rows


def item_table(before: str = "old-release", after: str = "new-release") -> pd.DataFrame:
    rows = transition_rows(before, after, SUSPECT)
    for (b, a), counts in CONTROLS.items():
        rows += transition_rows(b, a, counts)
    return validate_items(pd.DataFrame(rows), source="test item table")


@lru_cache(maxsize=4)
def _items_doc(before: str, after: str) -> dict[str, Any]:
    doc = compare(item_table(before, after), before, after, controls=[f"{b}:{a}" for b, a in CONTROLS], n_boot=0,
                  inputs={"kind": "items", "paths": ["items.csv"], "sha256": {"items.csv": "ab" * 32}},
                  command=f"asymmetry compare --before {before} --after {after} --items items.csv")
    assert validate_compare(doc) == [], validate_compare(doc)
    return doc


def items_doc(*, before: str = "old-release", after: str = "new-release") -> dict[str, Any]:
    """Items mode from the real compare: A^L = 0.8777 logits, 95% CI 0.28 to 1.47 (KA8), three controls."""
    return copy.deepcopy(_items_doc(before, after))


PUBLISHED = [  # model, suite, category, score (%), n_items
    ("Qwen2.5-72B-Instruct", "LiveCodeBench", "targeted", 30.7, 186),
    ("Qwen2.5-72B-Instruct", "BFCL v3", "targeted", 63.4, 4441),
    ("Qwen2.5-72B-Instruct", "MATH-500", "untargeted", 83.6, 500),
    ("Qwen2.5-72B-Instruct", "GPQA Diamond", "untargeted", 49.0, 198),
    ("Qwen3-235B-A22B", "LiveCodeBench", "targeted", 35.3, 186),
    ("Qwen3-235B-A22B", "BFCL v3", "targeted", 68.0, 4441),
    ("Qwen3-235B-A22B", "MATH-500", "untargeted", 91.2, 500),
    ("Qwen3-235B-A22B", "GPQA Diamond", "untargeted", 62.9, 198),
]


@lru_cache(maxsize=1)
def _scores_doc() -> dict[str, Any]:
    frame = pd.DataFrame(PUBLISHED, columns=["model", "suite", "category", "score", "n_items"])
    frame["source"] = "https://github.com/QwenLM/Qwen3/blob/7a2f61f/Qwen3_Technical_Report.pdf (Table 12)"
    doc = compare_scores(frame, "Qwen2.5-72B-Instruct", "Qwen3-235B-A22B",
                         inputs={"kind": "scores", "paths": ["scores.csv"], "sha256": {"scores.csv": "ef" * 32}},
                         command="asymmetry compare --before Qwen2.5-72B-Instruct --after Qwen3-235B-A22B "
                                 "--scores scores.csv")
    assert validate_compare(doc) == [], validate_compare(doc)
    return doc


def scores_doc() -> dict[str, Any]:
    """Score-level mode from the real compare_scores: no gain/loss counts, no controls, no power."""
    return copy.deepcopy(_scores_doc())


def with_changes(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `doc` with top-level keys replaced."""
    out = copy.deepcopy(doc)
    out.update(changes)
    return out


def test_sample_documents_carry_the_known_answers() -> None:
    doc = items_doc()
    lat = doc["asymmetry"]["latent"]
    assert lat["estimate"] == pytest.approx(0.877696, abs=1e-6)
    assert lat["ci"][0] == pytest.approx(0.28184, abs=1e-4)
    assert len(doc["triple_difference"]["controls"]) == 3 and doc["power"]["curve"]
    assert scores_doc()["mode"] == "scores" and scores_doc()["triple_difference"] is None
