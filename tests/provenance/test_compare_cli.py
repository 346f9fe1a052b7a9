"""End to end: `asymmetry provenance fit|compare|markers` on texts with known authorship."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main

CONTROLS = [f"c{c}-old:c{c}-new" for c in range(8)]
WHO = ["--teacher", "teacher", "--candidate", "cand-a", "--candidate", "cand-b", "--reference", "ref-a",
       "--reference", "ref-b"]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(argv)
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, planted: pd.DataFrame, null_table: pd.DataFrame) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("texts")
    cols = ["model", "prompt_id", "domain", "sample", "text"]
    planted[cols].to_csv(folder / "planted.csv", index=False)
    null_table[cols].to_parquet(folder / "null.parquet")
    return {"planted": folder / "planted.csv", "null": folder / "null.parquet", "dir": folder}


@pytest.mark.slow
def test_planted_teacher_style_is_found_and_the_contract_keys_are_there(files, capsys) -> None:
    out_json = files["dir"] / "planted.json"
    code, out, err = _run(["provenance", "compare", "--texts", str(files["planted"]), *WHO, "--before", "s0",
                           "--after", "s1", *sum((["--control", c] for c in CONTROLS), []), "--json",
                           str(out_json)], capsys)
    assert code == 0, err
    doc = json.loads(out_json.read_text())
    for key in ("schema", "teacher", "before", "after", "classifier", "shift", "by_domain", "domain_did",
                "specificity", "controls", "pretrend", "summary"):
        assert key in doc
    assert doc["schema"] == "asymmetry.provenance/1"
    assert set(doc["classifier"]) >= {"heldout_accuracy", "n_classes", "baselines"}
    assert set(doc["shift"]) >= {"estimate", "se", "ci", "p_value"}
    assert doc["shift"]["estimate"] > 1 and doc["shift"]["ci"][0] > 0
    assert doc["by_domain"]["coding"]["estimate"] > doc["by_domain"]["math"]["estimate"]
    assert doc["domain_did"]["estimate"] > 0 and doc["domain_did"]["p_value"] < 0.01
    assert [r["candidate"] for r in doc["specificity"]] == ["cand-a", "cand-b"]
    assert all(r["p_holm"] < 0.01 for r in doc["specificity"])
    assert len(doc["controls"]) == 8 and doc["calibration"]["shift"]["testable"]
    assert doc["calibration"]["shift"]["p_value"] < 0.01 and doc["calibration"]["shift"]["rank_p"] == pytest.approx(1 / 9)
    assert doc["claim"]["consistent_with_training_on_teacher"] and doc["claim"]["targeted"]
    assert "consistent with training on teacher's outputs" in doc["summary"] and "not proof" in doc["summary"]
    assert "proves" not in doc["summary"]
    assert "Shift toward teacher" in out and "consistent with training" in out
    assert doc["command"].startswith("asymmetry provenance compare --texts")


@pytest.mark.slow
def test_no_movement_no_claim_and_frozen_model_round_trip(files, capsys) -> None:
    model_dir = files["dir"] / "model"
    code, out, err = _run(["provenance", "fit", "--texts", str(files["null"]), *WHO, "--out", str(model_dir)], capsys)
    assert code == 0, err
    sha = next(line.split()[-1] for line in out.splitlines() if line.startswith("sha256:"))
    assert len(sha) == 64 and "length only (baseline)" in out
    code, _, err = _run(["provenance", "fit", "--texts", str(files["null"]), *WHO, "--out", str(model_dir)], capsys)
    assert code == 2 and "never overwritten" in err
    out_json = files["dir"] / "null.json"
    code, out, err = _run(["provenance", "compare", "--texts", str(files["null"]), "--model", str(model_dir),
                           "--model-sha256", sha[:16], "--teacher", "teacher", "--before", "s0", "--after", "s1",
                           *sum((["--control", c] for c in CONTROLS), []), "--json", str(out_json)], capsys)
    assert code == 0, err
    doc = json.loads(out_json.read_text())
    assert doc["model_sha256"] == sha
    assert abs(doc["shift"]["estimate"]) < 0.5
    assert not doc["claim"]["consistent_with_training_on_teacher"]
    assert "does not meet the pre-set criteria" in doc["summary"]
    code, _, err = _run(["provenance", "compare", "--texts", str(files["null"]), "--model", str(model_dir),
                         "--model-sha256", "ab" * 8, "--teacher", "teacher", "--before", "s0", "--after", "s1"], capsys)
    assert code == 2 and "not the pre-registered" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--teacher", "claude", "--before", "s0", "--after", "s1"], "--teacher 'claude': no texts for this model"),
    (["--teacher", "teacher", "--before", "s0", "--after", "s9"], "--after 's9': no texts for this model"),
    (["--teacher", "teacher", "--before", "s0", "--after", "s1", "--control", "c0-old"], "expected BEFORE:AFTER"),
    (["--teacher", "teacher", "--before", "s0", "--after", "s1", "--reference", "s0"], "s0 trained the attribution"),
])
def test_bad_arguments_get_one_line_errors(files, capsys, argv: list[str], message: str) -> None:
    code, _, err = _run(["provenance", "compare", "--texts", str(files["planted"]), *argv], capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_exactly_one_input(files, capsys) -> None:
    code, _, err = _run(["provenance", "compare", "--teacher", "t", "--before", "a", "--after", "b"], capsys)
    assert code == 2 and "pass exactly one input" in err
    code, _, err = _run(["provenance", "compare", "--texts", str(files["planted"]), "--results", str(files["dir"]),
                         "--teacher", "t", "--before", "a", "--after", "b"], capsys)
    assert code == 2 and "pass exactly one input" in err


def test_markers_show_the_teacher_habits(files, capsys) -> None:
    out_json = files["dir"] / "markers.json"
    code, out, err = _run(["provenance", "markers", "--texts", str(files["planted"]), "--teacher", "teacher",
                           "--top", "5", "--json", str(out_json)], capsys)
    assert code == 0, err
    doc = json.loads(out_json.read_text())
    comments = doc["style"]["code_comment_lines"]
    assert comments["teacher"] > comments["ref-b"]
    assert doc["phrases"] and doc["phrases"][0]["rates"]["teacher"] > doc["phrases"][0]["rates"]["ref-b"]
    assert "Style markers" in out
