"""The flagged-code rule on item tables (harness.compare.flags), for the cases the run-based test
(test_compare_code_flags.py) does not reach: flags in a user's table, a before release whose flagged passes
hide a loss, a verdict that survives its flagged records, and a verdict that states nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.compare import compare
from harness.compare.schema import validate_compare
from harness.records import flags_text, split_flags
from harness.table import validate_items

N = 40


def table(code_before, code_after, flags_before=lambda i: "", flags_after=lambda i: "", math_gain=True) -> pd.DataFrame:
    """Two targeted suites of N items, `code` and `code2` (capability coding, alike), and two untargeted,
    `math` and `math2` (5 gained, 5 lost): a group of one suite can carry no verdict (leave-one-out cannot
    check it), so each group has two. The untargeted suites start where the targeted ones do: groups whose
    starting levels do not overlap carry no verdict either."""
    start = sum(bool(code_before(i)) for i in range(N))
    rows = []
    for code, maths in (("code", "math"), ("code2", "math2")):
        for i in range(N):
            rows += [{"model": "b", "suite": code, "category": "targeted", "capability": "coding", "item_id": str(i),
                      "score": float(code_before(i)), "flags": flags_before(i)},
                     {"model": "a", "suite": code, "category": "targeted", "capability": "coding", "item_id": str(i),
                      "score": float(code_after(i)), "flags": flags_after(i)},
                     {"model": "b", "suite": maths, "category": "untargeted", "capability": "math", "item_id": str(i),
                      "score": float(i < start)},
                     {"model": "a", "suite": maths, "category": "untargeted", "capability": "math", "item_id": str(i),
                      "score": float(5 <= i < start + 5 if math_gain else i < start)}]
    return pd.DataFrame(rows)


def run(frame: pd.DataFrame) -> dict:
    doc = compare(frame, "b", "a", n_boot=0)
    assert validate_compare(doc) == []
    return doc


def guards(doc: dict) -> dict[str, str]:
    return {g["name"]: g["message"] for g in doc["diagnostics"]["guards"]}


def test_a_records_flags_become_one_sorted_cell_and_any_cell_is_normalised():
    assert flags_text({"flags": ["names_harness", "inspects_frames", "names_harness"]}) == "inspects_frames;names_harness"
    assert flags_text({"code": "x"}) == "" and flags_text("an lm-eval answer") == "" and flags_text(None) == ""
    assert split_flags(" b ;a;;b") == ["a", "b"] and split_flags(float("nan")) == []
    frame = validate_items(pd.DataFrame({"model": ["m", "m"], "suite": ["s", "s"], "category": ["targeted"] * 2,
                                         "item_id": ["1", "2"], "score": [1, 0], "flags": ["z;a", None]}), source="t")
    assert frame["flags"].tolist() == ["a;z", ""]


def test_flagged_passes_that_carry_the_gain_make_the_verdict_fragile():
    gained = lambda i: i >= 5  # noqa: E731
    clean = run(table(lambda i: i < 10, gained))
    assert clean["verdict"] == "targeted_larger" and "flagged_code" not in guards(clean)
    doc = run(table(lambda i: i < 10, gained, flags_after=lambda i: "inspects_frames" if i >= 10 else ""))
    assert doc["verdict"] == "fragile" and doc["code_flags"]["blocked"]
    assert "30 of the 30 item(s) the after release newly solved" in guards(doc)["flagged_code"]
    row = next(r for r in doc["code_flags"]["by_suite"] if r["release"] == "after")
    assert (row["flagged"], row["by_flag"]) == (30, {"inspects_frames": 30})
    # the gatekeeping's targeted component follows the verdict, not the unflagged interval
    assert not doc["conjunction"]["targeted_disproportionate"]


def test_a_few_flagged_items_the_verdict_survives_raise_the_guard_but_keep_the_verdict():
    # the gain of 30 items holds without the 2 flagged ones: the guard names them, the verdict stands
    frame = table(lambda i: i < 10, lambda i: i >= 5, flags_after=lambda i: "names_harness" if i in (20, 30) else "")
    doc = run(frame)
    assert doc["verdict"] == "targeted_larger" and not doc["code_flags"]["blocked"]
    assert doc["code_flags"]["rescored"]["verdict"] == "targeted_larger"
    assert "2 of the 30 item(s)" in guards(doc)["flagged_code"]
    assert "does not rest on them" in guards(doc)["flagged_code"]


def test_flagged_passes_of_the_before_release_that_hide_a_loss_count_too():
    # the before release passed items 0-29 with flagged code; the after release fails 25 of them honestly, so
    # the apparent targeted loss is carried by the before release's flagged passes
    frame = table(lambda i: i < 30, lambda i: 25 <= i < 35, flags_before=lambda i: "ends_process" if i < 30 else "")
    unflagged = run(frame.assign(flags=""))
    assert unflagged["verdict"] == "untargeted_larger"
    doc = run(frame)
    assert doc["code_flags"]["carried"] == [{"suite": s, "category": "targeted", "gained": 5, "gained_flagged": 0,
                                             "lost": 25, "lost_flagged": 25} for s in ("code", "code2")]
    assert doc["verdict"] == "fragile" and doc["code_flags"]["blocked"]
    assert doc["code_flags"]["rescored"]["verdict"] in ("no_difference_shown", "fragile")  # sparse once re-scored
    assert "25 of the 25 item(s) it newly lost (flagged before)" in guards(doc)["flagged_code"]


def test_re_scoring_never_creates_a_verdict():
    # no difference shown as scored; with the before release's flagged passes (items 5-34, all passed by the
    # after release too) scored as failures the targeted gain would show, but re-scoring only removes
    # evidence: the verdict stays, and no changed item carries a flag, so no guard
    frame = table(lambda i: i < 35, lambda i: 5 <= i < 40, flags_before=lambda i: "ends_process" if 5 <= i < 35 else "")
    doc = run(frame)
    # re-scored, the interval excludes 0 (fragile here only because the re-scored code suites have no concordant
    # passes, so their item-gain fits do not converge away from σ = 0)
    assert doc["code_flags"]["rescored"]["verdict"] in ("targeted_larger", "fragile")
    assert doc["code_flags"]["rescored"]["ci"][0] > 0
    assert doc["verdict"] == "no_difference_shown" and not doc["code_flags"]["blocked"]
    assert doc["code_flags"]["carried"] == [] and "flagged_code" not in guards(doc)


@pytest.mark.parametrize("drop", [True, False])
def test_a_table_without_flags_or_without_flagged_rows_is_analysed_as_before(drop):
    frame = table(lambda i: i < 10, lambda i: i >= 5)
    doc = run(frame.drop(columns=["flags"]) if drop else frame)
    assert doc["verdict"] == "targeted_larger" and doc["code_flags"]["checked"] is (not drop)
    assert doc["code_flags"]["rescored"] is None and doc["code_flags"]["by_suite"] == (
        [] if drop else [{"suite": s, "category": "targeted", "release": r, "model": m, "records": N,
                          "flagged": 0, "by_flag": {}} for s in ("code", "code2") for r, m in (("before", "b"), ("after", "a"))])


def test_the_validator_checks_the_block():
    doc = run(table(lambda i: i < 10, lambda i: i >= 5, flags_after=lambda i: "left_early"))
    bad = {**doc, "code_flags": {**doc["code_flags"], "by_suite": [{**doc["code_flags"]["by_suite"][1], "flagged": 99}]}}
    assert any("flagged <= records" in p for p in validate_compare(bad))
    bad = {**doc, "code_flags": {**doc["code_flags"], "rescored": {**doc["code_flags"]["rescored"], "verdict": "yes"}}}
    assert validate_compare(bad) == ["code_flags.rescored.verdict: expected one of targeted_larger, untargeted_larger, "
                                     "no_difference_shown, fragile, not_testable"]
