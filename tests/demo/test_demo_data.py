"""The demo's curated published-score table: provenance and shape (harness/data/)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from harness.data import curate
from harness.records import CAPABILITY_CATEGORY


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


SCORES = _read(curate.SCORES_CSV)
TRANSITIONS = _read(curate.TRANSITIONS_CSV)


def test_committed_tables_equal_a_fresh_curation_of_the_shared_file(shared_data: Path) -> None:
    scores, transitions = curate.curate(shared_data / "scores" / "published_scores.csv")
    assert scores == SCORES
    assert transitions == TRANSITIONS


def test_every_figure_and_link_is_the_shared_files_own(shared_data: Path) -> None:
    shared = _read(shared_data / "scores" / "published_scores.csv")
    index = {(r["source_id"], r["table"], r["model"], r["benchmark_raw"]): r for r in shared}
    for row in SCORES:
        original = index[(row["source_id"], row["table"], row["model"], row["benchmark_raw"])]
        assert row["score"] == original["score"], row
        assert row["source"] == original["source"] and row["source"], row


def test_each_transition_pairs_targeted_and_untargeted_suites_within_one_source_table() -> None:
    for t in TRANSITIONS:
        def suites(model: str, t: dict[str, str] = t) -> set[str]:
            return {r["suite"] for r in SCORES
                    if r["model"] == model and (r["source_id"], r["table"]) == (t["source_id"], t["table"])}

        paired = suites(t["before"]) & suites(t["after"])
        categories = {r["category"] for r in SCORES if r["suite"] in paired}
        assert categories == {"targeted", "untargeted"}, t["transition"]


def test_counts_categories_and_roles_are_well_formed() -> None:
    for row in SCORES:
        assert int(row["n_items"]) > 0 and row["n_items_basis"], row
        assert row["n_items_exact"] in ("true", "false")
        assert CAPABILITY_CATEGORY[row["capability"]] == row["category"]
        assert 0 <= float(row["score"]) <= 100
    assert {t["role"] for t in TRANSITIONS} == {"suspect", "control"}
    assert {t["lab"] for t in TRANSITIONS if t["role"] == "control"} == {"Meta", "DeepSeek"}
    assert len({t["transition"] for t in TRANSITIONS}) == len(TRANSITIONS)


def test_a_release_reported_in_two_tables_never_carries_two_figures_for_one_suite() -> None:
    # the demo merges transitions into one table keyed by (model, suite); a clash would be ambiguous
    seen: dict[tuple[str, str], str] = {}
    for row in SCORES:
        key = (row["model"], row["suite"])
        assert seen.setdefault(key, row["score"]) == row["score"], key


@pytest.mark.parametrize("suite", sorted({r["suite"] for r in SCORES}))
def test_every_suite_has_one_documented_count(suite: str) -> None:
    counts = {(r["n_items"], r["n_items_basis"]) for r in SCORES if r["suite"] == suite}
    assert len(counts) == 1
    assert curate.SUITES[suite].n_items == int(next(iter(counts))[0])
