"""The one sentence writer (harness.compare.wording): the wording fixes of issue 9 item 9, each pinned, on
documents from the real compare where the case can be built, and the rule that the sentence says the
verdict."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from harness.compare import compare, wording
from harness.table import validate_items
from tests.compare.test_compare_ka import long_table


def _samples_table(suites: dict[str, tuple[str, float, float, float]], k: int = 3, n: int = 300,
                   seed: int = 0) -> pd.DataFrame:
    """Rasch items with k samples per item: suite → (category, base, shift of the new release)."""
    rng = np.random.default_rng(seed)
    rows = []
    for suite, (category, base, shift, spread) in suites.items():
        b = rng.normal(0, spread, n)
        for model, s in (("old", 0.0), ("new", shift)):
            p = 1 / (1 + np.exp(b - base - s))
            y = rng.random((n, k)) < p[:, None]
            for i in range(n):
                for j in range(k):
                    rows.append({"model": model, "suite": suite, "category": category, "item_id": str(i),
                                 "sample": j, "score": float(y[i, j])})
    return validate_items(pd.DataFrame(rows), source="test")


@pytest.fixture(scope="module")
def decrease_doc() -> dict:
    """Targeted suites get worse, untargeted better: odds ratios below 1 on the targeted side."""
    return compare(_samples_table({"code": ("targeted", 0.0, -0.4, 1.5), "agent": ("targeted", 0.2, -0.3, 1.5),
                                   "math": ("untargeted", 0.0, 0.5, 1.5), "fact": ("untargeted", 0.3, 0.4, 1.5)}),
                   "old", "new", n_boot=0)


def test_a_decrease_in_odds_is_never_said_to_rise(decrease_doc):
    ratio = decrease_doc["groups"]["targeted"]["gain_ratio"]
    assert ratio < 1
    summary = decrease_doc["summary"]
    assert "-fold" not in summary.split("on untargeted items")[0]  # was "odds … rose 0.74-fold"
    assert f"fell to {ratio:.2f} times its earlier value" in summary
    assert wording.odds_change(0.9) == "fell to 0.90 times its earlier value"
    assert wording.odds_change(1.5) == "rose 1.50-fold"


def test_when_the_data_lean_the_other_way_the_sentence_says_so(decrease_doc):
    assert decrease_doc["asymmetry"]["primary"]["estimate"] < 0
    if decrease_doc["verdict"] == "untargeted_larger":
        assert "the untargeted suites gained more than the targeted ones" in decrease_doc["summary"]
    doc = copy.deepcopy(decrease_doc)
    doc["verdict"] = "no_difference_shown"
    assert "The data lean the other way" in wording.verdict_sentence(doc)
    assert "the data lean the other way" in wording.sentence_test(doc)


def test_a_flatness_interval_wholly_above_the_margin_says_what_it_shows():
    doc = compare(long_table({"code": ("targeted", 60, 20, 60, 60), "agent": ("targeted", 50, 20, 70, 60),
                              "math": ("untargeted", 70, 10, 60, 60), "fact": ("untargeted", 65, 12, 60, 63)}),
                  "old", "new", n_boot=0)
    lo, hi = doc["flatness"]["ci90"]
    assert lo > 3 and not doc["flatness"]["equivalent"]
    assert "Untargeted gains were larger than +3 percentage points" in doc["summary"]
    assert "the whole interval lies above the equivalence margin" in doc["summary"]
    assert "not shown to lie within" not in doc["summary"]  # the under-claim of the audit
    below = copy.deepcopy(doc)
    below["flatness"]["ci90"] = [-9.0, -4.0]
    assert "fell by more than 3 percentage points" in wording.flatness_sentence(below)
    inside = copy.deepcopy(doc)
    inside["flatness"]["ci90"] = [-1.0, 4.0]
    assert "not shown to lie within ±3 percentage points" in wording.flatness_sentence(inside)


def test_a_difference_that_rounds_to_zero_points_is_not_called_smaller():
    assert wording.pp_difference(-0.3) == "a targeted gain within half a percentage point of the untargeted gain"
    assert "0 percentage points" not in wording.pp_difference(0.4)
    assert wording.pp_difference(1.2) == "a targeted gain about 1 percentage point larger than the untargeted gain"
    assert wording.pp_difference(-7.6) == "a targeted gain about 8 percentage points smaller than the untargeted gain"


def test_suites_left_out_are_named_in_on_these_benchmarks():
    doc = compare(long_table({"code": ("targeted", 60, 20, 60, 60), "agent": ("targeted", 50, 20, 70, 60),
                              "math": ("untargeted", 40, 40, 60, 60), "fact": ("untargeted", 10, 5, 400, 5)}),
                  "old", "new", n_boot=0)
    assert doc["groups"]["untargeted"]["suites"] == ["math"]
    assert doc["summary"].startswith("On these 3 benchmarks (2 targeted: agent, code; 1 untargeted: math; left out: "
                                     "fact (starts above 90% with fewer than 30 discordant items))")
    assert any(g["name"] == "ceiling_floor" for g in doc["diagnostics"]["guards"])


def test_citation_never_prints_an_empty_interval_before_a_p_value():
    from harness.report.text import citation_text

    # few gains or losses: the pooled exact test has a p-value but no estimate or interval of its own
    doc = compare(long_table({"code": ("targeted", 40, 3, 60, 60), "agent": ("targeted", 30, 4, 60, 60),
                              "math": ("untargeted", 12, 10, 60, 60), "fact": ("untargeted", 14, 9, 60, 60)}),
                  "old", "new", n_boot=0)
    assert "latent_exact" in doc["asymmetry"]
    text = citation_text(doc)
    assert "(; p" not in text and "odds (p = " in text or "odds (p < " in text


def test_the_sentence_says_the_verdict_for_every_verdict(decrease_doc):
    expected = {"targeted_larger": "consistent with a disproportionate targeted gain",
                "untargeted_larger": "the untargeted suites gained more than the targeted ones",
                "no_difference_shown": "do not show a disproportionate targeted gain",
                "fragile": "the finding is fragile", "not_testable": "No verdict is possible"}
    for verdict, phrase in expected.items():
        doc = copy.deepcopy(decrease_doc)
        doc["verdict"] = verdict
        assert phrase in wording.verdict_sentence(doc)
        assert not wording.check_wording(wording.summary_for(doc))
    # the stored document's sentence is the writer's output for its own verdict
    assert wording.verdict_sentence(decrease_doc) in decrease_doc["summary"]


def test_numbers_use_one_minus_sign():
    assert wording.fmt.num(-0.5) == "-0.50" and "−" not in wording.fmt.interval([-1.0, -0.2])
