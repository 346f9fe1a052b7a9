"""The demo's curated published-score tables: provenance, caveats as data, and shape (harness/data/)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harness import demo
from harness.data import curate
from harness.records import CAPABILITY_CATEGORY


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


SCORES = _read(curate.SCORES_CSV)
TRANSITIONS = _read(curate.TRANSITIONS_CSV)
CAVEATS = _read(curate.CAVEATS_CSV)
BY_ID = {t["transition"]: t for t in TRANSITIONS}


def _shared(shared_data: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in curate.SHARED_FILES:
        rows += _read(shared_data / "scores" / name)
    return rows


def _step_rows(transition: str) -> dict[tuple[str, str], dict[str, str]]:
    t = BY_ID[transition]
    return {(r["model"], r["suite"]): r for r in SCORES
            if (r["source_id"], r["table"]) == (t["source_id"], t["table"]) and r["model"] in (t["before"], t["after"])}


def test_committed_tables_equal_a_fresh_curation_of_the_shared_files(shared_data: Path) -> None:
    scores, transitions, caveats = curate.curate(shared_data / "scores")
    assert scores == SCORES
    assert transitions == TRANSITIONS
    assert caveats == CAVEATS


def test_every_figure_and_link_is_the_shared_files_own(shared_data: Path) -> None:
    index = {(r["source_id"], r["table"], r["model"], r["benchmark_raw"]): r for r in _shared(shared_data)}
    for row in SCORES:
        original = index[(row["source_id"], row["table"], row["model"], row["benchmark_raw"])]
        assert row["score"] == original["score"], row
        assert row["source"] == original["source"] and row["source"], row
        assert row["source_url"].startswith("https://"), row  # a public link, never a private index id
        assert row["source_name"] and row["evaluator"], row


def test_the_2026_steps_pair_the_releases_the_issue_names_within_one_table() -> None:
    qwen = {t["transition"]: t["phase"] for t in TRANSITIONS if t["lab"] == "Qwen" and t["phase"]}
    assert qwen == {"qwen3.5-35b>qwen3.6-35b": "before", "qwen3.5-27b>qwen3.6-27b": "before",
                    "qwen3.6-plus>qwen3.7-plus": "inside", "qwen3.6-plus>qwen3.7-max": "inside",
                    "qwen3.6-max-preview>qwen3.7-max (AA)": "inside", "qwen3.7-max>qwen3.8-max": "after",
                    "qwen3.6-27b>qwen3.8-27b": "after"}
    controls = {t["before"] + ">" + t["after"] for t in TRANSITIONS if t["role"] == "control" and t["phase"]}
    assert {"GLM-5>GLM-5.1", "Kimi K2.5>Kimi K2.6", "GPT-5.4>GPT-5.5", "Claude Opus 4.6>Claude Opus 4.7",
            "Gemini 3 Flash>Gemini 3.5 Flash"} <= controls
    # the published figures themselves (Qwen3.8 launch blog, as curated)
    q5 = _step_rows("qwen3.7-max>qwen3.8-max")
    assert q5[("Qwen3.7-Max", "Terminal-Bench 2.1")]["score"] == "74.5"
    assert q5[("Qwen3.8-Max", "SWE-bench Pro")]["score"] == "67.7"
    assert {s for _, s in q5} == {"Terminal-Bench 2.1", "SWE-bench Pro", "DeepSWE 1.1", "SkillsBench", "GPQA Diamond",
                                  "HLE"}


def test_a_release_on_the_windows_first_day_is_before_it_and_phases_follow_the_dates() -> None:
    assert curate.phase("2026-04-22") == "before" and curate.phase("2026-04-23") == "inside"
    assert curate.phase("2026-06-05") == "inside" and curate.phase("2026-06-06") == "after"
    assert curate.phase("2025-04") == ""
    for t in TRANSITIONS:
        assert t["phase"] == curate.phase(t["released"]), t["transition"]


def test_caveats_are_applied_as_data_not_only_described() -> None:
    # the typo (68.5 for 88.5) is left out, so MMLU-Pro does not pair in the Qwen3.7-Max table...
    assert not any(s == "MMLU-Pro" for _, s in _step_rows("qwen3.6-plus>qwen3.7-max"))
    assert ("Qwen3.6-Plus", "MMLU-Pro") in _step_rows("qwen3.6-plus>qwen3.7-plus")  # ...but does where it is right
    # the failed 4.4 baseline, the abstention-driven accuracy drop and HLE-with-tools rows are left out
    assert not any(s == "SkillsBench" for _, s in _step_rows("qwen3.5-35b>qwen3.6-35b"))
    aa = _step_rows("qwen3.6-max-preview>qwen3.7-max (AA)")
    assert {s for _, s in aa} == {"HLE", "Terminal-Bench Hard (AA)"}
    assert not any(r["suite"] == "HLE with tools" for r in SCORES)
    # Terminal-Bench 2.0 and 2.1 are different suites, flagged where a release's figure moved between them
    q6 = _step_rows("qwen3.6-27b>qwen3.8-27b")
    assert ("Qwen3.6-27B", "Terminal-Bench 2.1") in q6 and ("Qwen3.6-27B", "Terminal-Bench 2.0") not in q6
    assert "version-change" in q6[("Qwen3.6-27B", "Terminal-Bench 2.1")]["caveats"].split()
    assert "carried-over" in q6[("Qwen3.6-27B", "SWE-bench Pro")]["caveats"].split()
    # the re-run baseline is kept and flagged
    assert "baseline-rerun" in _step_rows("qwen3.7-max>qwen3.8-max")[("Qwen3.7-Max", "SkillsBench")]["caveats"].split()
    assert BY_ID["qwen3.6-plus>qwen3.7-max"]["caveats"] == "tier-change"
    assert BY_ID["gemma-3-27b>gemma-4-31b"]["role"] == "context"
    ids = {c["caveat"] for c in CAVEATS}
    for row in [*SCORES, *TRANSITIONS]:
        assert set(row["caveats"].split()) <= ids, row


def test_every_exclude_caveat_matches_a_row_of_the_shared_files(shared_data: Path) -> None:
    shared = _shared(shared_data)
    for c in CAVEATS:
        if c["transition"]:
            assert c["transition"] in BY_ID, c
            continue
        hits = [r for r in shared if r["source_id"] == c["source_id"] and c["model"] in ("", r["model"])
                and c["benchmark_raw"] in ("", r["benchmark_raw"])]
        assert hits, c  # a caveat that matches nothing would be silently stale


def test_each_transition_pairs_targeted_and_untargeted_suites_or_says_why_not() -> None:
    for t in TRANSITIONS:
        categories = {r["category"] for r in _step_rows(t["transition"]).values()}
        if t["transition"] == "glm-5.1>glm-5.2":  # its README compares two agentic/coding rows only
            assert categories == {"targeted"}
            continue
        assert categories == {"targeted", "untargeted"}, t["transition"]


def test_reported_counts_show_the_churn_in_qwen38s_tables() -> None:
    assert BY_ID["qwen3.7-max>qwen3.8-max"]["reported"].endswith("math 0; factual 2")
    assert "math 4" in BY_ID["qwen3.6-plus>qwen3.7-max"]["reported"]
    assert "math 0" in BY_ID["qwen3.6-27b>qwen3.8-27b"]["reported"]


def test_counts_categories_and_roles_are_well_formed() -> None:
    for row in SCORES:
        assert int(row["n_items"]) > 0 and row["n_items_basis"], row
        assert row["n_items_exact"] in ("true", "false")
        assert CAPABILITY_CATEGORY[row["capability"]] == row["category"]
        assert 0 <= float(row["score"]) <= 100
        assert "shared/data" not in row["n_items_basis"] and "GitHub-index" not in row["source_url"]
    assert {t["role"] for t in TRANSITIONS} == {"suspect", "control", "context"}
    assert len({t["transition"] for t in TRANSITIONS}) == len(TRANSITIONS)


@pytest.mark.parametrize("transition", sorted(t["transition"] for t in TRANSITIONS if t["role"] == "suspect"))
def test_every_step_builds_one_unambiguous_score_table(transition: str) -> None:
    # the demo merges a step and its controls into one table keyed by (model, suite); a release re-run in a
    # later table (Qwen3.7-Max's SkillsBench: 59.2, then 61.2) must never meet its other figure there
    inputs = demo.demo_inputs(transition)
    keys = [(r["model"], r["suite"]) for r in inputs.rows]
    assert len(keys) == len(set(keys))
    for t in inputs.controls:
        assert abs(demo._months(t.released) - demo._months(inputs.suspect.released)) <= demo.CONTROL_MONTHS


def test_a_release_in_two_tables_with_two_figures_for_one_suite_is_a_flagged_rerun() -> None:
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for row in SCORES:
        first = seen.setdefault((row["model"], row["suite"]), row)
        if first["score"] != row["score"]:
            assert "baseline-rerun" in (first["caveats"] + " " + row["caveats"]).split(), row


@pytest.mark.parametrize("suite", sorted({r["suite"] for r in SCORES}))
def test_every_suite_has_one_documented_count(suite: str) -> None:
    counts = {(r["n_items"], r["n_items_basis"]) for r in SCORES if r["suite"] == suite}
    assert len(counts) == 1
    assert curate.SUITES[suite].n_items == int(next(iter(counts))[0])
