"""Review finding 8: a model at chance blocks any convergence claim and says so; a shift of 0.00 is no change."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.provenance.compare import provenance_document
from harness.provenance.model import chance_check, fit_model
from harness.provenance.sentence import summary_sentence
from harness.provenance.texts import validate_texts
from tests.provenance.synth import Style, synthetic_table

CONTROLS = [("c0-old", "c0-new")]


@pytest.fixture(scope="module")
def blind() -> tuple[pd.DataFrame, dict]:
    """Every model writes in one and the same style: no attribution model can tell them apart."""
    same = Style(0, comment_rate=0.3)
    names = ["teacher", "cand-a", "ref-a", "ref-b", "s0", "s1", "c0-old", "c0-new"]
    table = validate_texts(synthetic_table({n: same for n in names}, prompts=60, samples=1, seed=11), source="blind")
    model = fit_model(table, "teacher", ["cand-a"], ["ref-a", "ref-b"])
    doc = provenance_document(table, model, before="s0", after="s1", controls=CONTROLS, secondary_rows=False)
    return table, doc


def test_a_model_at_chance_warns_and_blocks_the_claim(blind) -> None:
    _, doc = blind
    clf = doc["classifier"]
    lo, hi = clf["heldout_ci"]
    assert lo <= clf["chance"] <= hi and clf["at_chance"] is True
    assert doc["claim"]["consistent_with_training_on_teacher"] is False
    assert "cannot tell the sources apart" in doc["claim"]["reasons"][0]
    assert "Warning: The attribution model's held-out accuracy" in doc["summary"]
    assert "so no convergence claim is made" in doc["summary"]
    assert "consistent with training on teacher" not in doc["summary"]
    # said once, not repeated among the reasons the closing sentence lists
    assert doc["summary"].count("cannot tell the sources apart") == 1


def test_fit_prints_the_chance_warning(blind, tmp_path: Path, capsys) -> None:
    table, _ = blind
    texts = tmp_path / "blind.csv"
    table[["model", "prompt_id", "domain", "sample", "text"]].to_csv(texts, index=False)
    with pytest.raises(SystemExit) as e:
        main(["provenance", "fit", "--texts", str(texts), "--teacher", "teacher", "--candidate", "cand-a",
              "--reference", "ref-a", "--reference", "ref-b", "--out", str(tmp_path / "model")])
    out, err = capsys.readouterr()
    assert (e.value.code or 0) == 0, err
    assert "Warning:" in out and "cannot tell the sources apart" in " ".join(out.split())
    meta = json.loads((tmp_path / "model" / "model.json").read_text())["meta"]["heldout"]
    assert meta["at_chance"] is True


def test_chance_check_separates_a_good_model_from_a_blind_one() -> None:
    assert chance_check(0.9, 120, 0.2)["at_chance"] is False
    assert chance_check(0.25, 120, 0.2)["at_chance"] is True
    lo, hi = chance_check(0.5, 40, 0.25)["heldout_ci"]
    assert lo < 0.5 < hi


@pytest.mark.parametrize(("estimate", "words"), [(0.0, "about as teacher-like as before"),
                                                  (-0.004, "about as teacher-like as before"),
                                                  (0.004, "about as teacher-like as before"),
                                                  (-0.3, "less teacher-like"), (0.3, "more teacher-like")])
def test_a_shift_that_rounds_to_zero_is_no_change(blind, estimate: float, words: str) -> None:
    doc = copy.deepcopy(blind[1])
    doc["shift"]["estimate"] = estimate
    sentence = summary_sentence(doc)
    assert f"scored as {words} (mean shift" in sentence
    if abs(estimate) < 0.005:
        assert "less teacher-like" not in sentence and "more teacher-like" not in sentence
