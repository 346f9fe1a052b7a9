"""Score-level mode: published accuracies with item counts, unpaired and labelled as weaker evidence."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import effectsize_2proportions

from harness.compare import compare_scores, load_scores
from harness.compare.schema import validate_compare
from harness.errors import UserError
from harness.stats import newcombe_unpaired_ci

ROWS = [
    # model, suite, category, score (percent), n_items
    ("v1", "humaneval", "targeted", 40.0, 500), ("v2", "humaneval", "targeted", 50.0, 500),
    ("v1", "bfcl", "targeted", 60.0, 400), ("v2", "bfcl", "targeted", 75.0, 400),
    ("v1", "gsm8k", "untargeted", 80.0, 1319), ("v2", "gsm8k", "untargeted", 82.0, 1319),
    ("v1", "nq", "untargeted", 30.0, 3610), ("v2", "nq", "untargeted", 31.0, 3610),
]


def write_scores(path: Path, rows: list[tuple], extra: dict | None = None) -> Path:
    frame = pd.DataFrame(rows, columns=["model", "suite", "category", "score", "n_items"])
    for k, v in (extra or {}).items():
        frame[k] = v
    frame.to_csv(path, index=False)
    return path


def test_score_mode_latent_gain_is_the_unpaired_log_odds_ratio(tmp_path):
    scores = load_scores(write_scores(tmp_path / "s.csv", ROWS, {"source": "https://example.org/table"}))
    doc = compare_scores(scores, "v1", "v2")
    assert validate_compare(doc) == [] and doc["mode"] == "scores"
    json.dumps(doc, allow_nan=False)
    he = next(s for s in doc["suites"] if s["suite"] == "humaneval")
    eff, var = effectsize_2proportions(250, 500, 200, 500, statistic="odds-ratio")
    assert he["latent_gain"] == pytest.approx(eff, abs=1e-12)
    assert he["latent_gain_se"] == pytest.approx(math.sqrt(var), abs=1e-12)
    assert he["gain_pp_ci"] == pytest.approx([100 * c for c in newcombe_unpaired_ci(250, 500, 200, 500)])
    assert he["gains"] is None and he["mcnemar_midp"] is None and he["p_holm"] is None
    assert "unpaired (published scores)" in he["flags"]
    lat = doc["asymmetry"]["latent"]
    t = [s["latent_gain"] for s in doc["suites"] if s["category"] == "targeted"]
    u = [s["latent_gain"] for s in doc["suites"] if s["category"] == "untargeted"]
    assert lat["estimate"] == pytest.approx(np.mean(t) - np.mean(u))
    assert doc["evidence"].startswith("published scores, unpaired (weaker evidence")
    assert doc["summary"].startswith("From published scores only (unpaired; weaker evidence).")
    assert "weaker evidence than an item-level comparison" in doc["caveat"]
    assert doc["diagnostics"]["sources"][0]["source"] == "https://example.org/table"


def test_score_mode_with_control_transitions(tmp_path):
    rows = list(ROWS)
    rng = np.random.default_rng(0)
    for c in range(4):
        for suite, cat, base, n in (("humaneval", "targeted", 40, 500), ("bfcl", "targeted", 60, 400),
                                    ("gsm8k", "untargeted", 80, 1319), ("nq", "untargeted", 30, 3610)):
            rows += [(f"lab{c}-a", suite, cat, base, n), (f"lab{c}-b", suite, cat, base + 3 + rng.normal(0, 1), n)]
    doc = compare_scores(load_scores(write_scores(tmp_path / "s.csv", rows)), "v1", "v2",
                         controls=[f"lab{c}-a:lab{c}-b" for c in range(4)])
    assert validate_compare(doc) == []
    td = doc["triple_difference"]
    assert td["n_controls"] == 4 and len(td["controls"]) == 4
    assert td["rank_p_value"] == pytest.approx(1 / 5)  # the suspect's asymmetry is above every control's


def test_identical_duplicates_collapse_and_conflicts_are_named(tmp_path):
    dup = write_scores(tmp_path / "d.csv", [*ROWS, ("v1", "gsm8k", "untargeted", 80.0, 1319)])
    assert len(load_scores(dup)) == len(ROWS)
    conflict = write_scores(tmp_path / "c.csv", [*ROWS, ("v1", "gsm8k", "untargeted", 81.0, 1319)])
    with pytest.raises(UserError, match=r"c.csv: lines 6, 10: different scores for model 'v1', suite 'gsm8k'"):
        load_scores(conflict)


@pytest.mark.parametrize("change, message", [
    (lambda f: f.drop(columns="n_items"), "missing column"),
    (lambda f: f.assign(score=["x"] + list(f.score[1:])), "line 2: score 'x' is not a percentage"),
    (lambda f: f.assign(score=[140] + list(f.score[1:])), "line 2: score '140.0' is not a percentage"),
    (lambda f: f.assign(n_items=[0] + list(f.n_items[1:])), "line 2: n_items '0' is not a whole number"),
    (lambda f: f.assign(category=["coding"] + list(f.category[1:])), "line 2: category 'coding'"),
])
def test_bad_score_tables_get_one_line_errors(tmp_path, change, message):
    frame = pd.DataFrame(ROWS, columns=["model", "suite", "category", "score", "n_items"])
    path = tmp_path / "bad.csv"
    change(frame).to_csv(path, index=False)
    with pytest.raises(UserError, match=message) as info:
        load_scores(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_score_mode_needs_both_categories(tmp_path):
    rows = [r for r in ROWS if r[2] == "targeted"]
    with pytest.raises(UserError, match="at least one targeted and one untargeted"):
        compare_scores(load_scores(write_scores(tmp_path / "t.csv", rows)), "v1", "v2")


def test_the_curated_published_table_compares_for_each_suspect_transition(tmp_path):
    # the curated file holds many source tables, and a release re-run for a later table (Qwen3.7-Max) has two
    # figures for one suite; each step is compared on its own table, as the demo does, through the CSV reader
    from harness import demo

    scores = demo.load_published_scores()
    for t in demo.load_transitions():
        if t.role != "suspect":
            continue
        rows = demo.transition_rows(t, scores)
        if {r["category"] for r in rows} != {"targeted", "untargeted"}:
            continue
        path = tmp_path / "scores.csv"
        path.write_bytes(demo.scores_csv([{k: r[k] for k in demo.SCORE_COLUMNS} for r in rows]))
        doc = compare_scores(load_scores(path), t.before, t.after)
        assert validate_compare(doc) == [], t.transition
        json.dumps(doc, allow_nan=False)
