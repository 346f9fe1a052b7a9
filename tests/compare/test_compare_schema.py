"""The compare JSON contract: the validator catches drift from DESIGN.md's keys and the honesty rules."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from harness.compare import compare
from harness.compare.schema import validate_compare
from harness.table import validate_items


@pytest.fixture(scope="module")
def doc() -> dict:
    rows = []
    for suite, cat, pairs in (("code", "targeted", [(0, 1)] * 40 + [(1, 0)] * 10 + [(1, 1)] * 30),
                              ("math", "untargeted", [(0, 1)] * 15 + [(1, 0)] * 12 + [(1, 1)] * 50)):
        for i, (y0, y1) in enumerate(pairs):
            rows += [{"model": "a", "suite": suite, "category": cat, "item_id": str(i), "score": y0},
                     {"model": "b", "suite": suite, "category": cat, "item_id": str(i), "score": y1}]
    return compare(validate_items(pd.DataFrame(rows), source="t"), "a", "b")


def test_a_real_document_conforms(doc):
    assert validate_compare(doc) == []


@pytest.mark.parametrize("break_it, problem", [
    (lambda d: d.pop("summary"), "compare: missing 'summary'"),
    (lambda d: d.update(mode="guess"), "mode: expected 'items' or 'scores'"),
    (lambda d: d.update(scale="pp"), "scale: expected 'logit'"),
    (lambda d: d["suites"][0].pop("latent_gain_ci"), "suites[0]: missing 'latent_gain_ci'"),
    (lambda d: d["suites"][0].update(gain_pp_ci=[1]), "suites[0].gain_pp_ci: expected [lo, hi]"),
    (lambda d: d["asymmetry"]["latent"].pop("se"), "asymmetry.latent: missing 'se'"),
    (lambda d: d["generalisation"].update(permutation={"p_value": 0.3}), "missing 'n_labelings'"),
    (lambda d: d["flatness"].update(ci90=None), "flatness.ci90: expected [lo, hi]"),
    (lambda d: d["gatekeeping"][0].pop("rejected"), "gatekeeping[0]: missing 'rejected'"),
    (lambda d: d.update(summary="This proves distillation."), "says 'proves'"),
    (lambda d: d.update(triple_difference={"controls": [{"before": "x"}]}), "triple_difference: missing 'excess'"),
])
def test_validator_names_each_departure(doc, break_it, problem):
    broken = copy.deepcopy(doc)
    break_it(broken)
    assert any(problem in p for p in validate_compare(broken)), validate_compare(broken)
