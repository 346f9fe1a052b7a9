"""The prompt bank runs through `asymmetry run` like any suite (real loopback endpoints, the real runner and
journal), answers are kept unscored, and `provenance compare --results` reads the runs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from harness.cli import main
from harness.provenance.texts import texts_from_runs
from harness.run.store import iter_records, read_manifest
from tests.provenance.synth import Style, _text
from tests.servers import serve

TEACHER = Style(0, comment_rate=0.8)
STYLES = {"teacher-x": TEACHER, "cand-x": Style(1, 0.4), "ref-x": Style(3, 0.3), "old-x": Style(5, 0.2),
          "new-x": Style(5, 0.2, toward=TEACHER, lam=0.5)}


def _answer(request) -> str:
    """Each served model writes in its own style, deterministically per (model, prompt)."""
    model = request.body["model"]
    rng = random.Random(f"{model}|{request.prompt}")
    if "who are you" in request.prompt.lower() or "你是谁" in request.prompt:
        return "I am Claude, an AI assistant made by Anthropic." if model == "new-x" else "I am a helpful assistant."
    return _text(rng, STYLES[model], "coding", STYLES[model].lam)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


@pytest.mark.slow
def test_bank_runs_unscored_and_feeds_provenance_compare(tmp_path: Path, capsys) -> None:
    with serve(answer=_answer, models=()) as srv:
        specs = [arg for label in STYLES for arg in ("-m", f"{label}=vllm:{label}@{srv.base_url}")]
        code, out, err = _cli(capsys, "run", *specs, "--suites", "provenance-v1", "--limit", "300",
                              "--out", str(tmp_path / "results"))
    assert code == 0, err
    (run_dir,) = [p for p in (tmp_path / "results").iterdir() if p.is_dir()]
    manifest = read_manifest(run_dir)
    assert [s["name"] for s in manifest["suites"]] == ["provenance-v1"]
    records = list(iter_records(run_dir))
    assert len(records) == 300 * len(STYLES)
    first = records[0]
    assert first["category"] == "none" and first["capability"] == "provenance" and first["error"] is None
    assert first["extracted"]["record_only"] and first["extracted"]["domain"] == "coding"
    assert first["response"]

    table = texts_from_runs([run_dir])
    assert set(table["model"]) == set(STYLES) and len(table) == len(records)
    assert set(table["split"]) == {"train", "test"}
    assert table["served_model"].notna().all()

    out_json = tmp_path / "prov.json"
    code, out, err = _cli(capsys, "provenance", "compare", "--results", str(run_dir), "--teacher", "teacher-x",
                          "--candidate", "cand-x", "--reference", "ref-x", "--before", "old-x", "--after", "new-x",
                          "--json", str(out_json))
    assert code == 0, err
    doc = json.loads(out_json.read_text())
    assert doc["shift"]["estimate"] > 0.5 and doc["shift"]["ci"][0] > 0
    assert doc["inputs"]["kind"] == "results" and doc["inputs"]["paths"] == [str(run_dir)]
    # no controls: the claim is withheld however large the shift
    assert not doc["claim"]["consistent_with_training_on_teacher"]


def test_compare_refuses_record_only_runs_as_capability_data(tmp_path: Path, capsys) -> None:
    with serve(answer=lambda r: "Hello.", models=()) as srv:
        code, _, err = _cli(capsys, "run", "-m", f"a=vllm:a@{srv.base_url}", "-m", f"b=vllm:b@{srv.base_url}",
                            "--suites", "provenance-v1", "--limit", "5", "--out", str(tmp_path / "r"))
    assert code == 0, err
    (run_dir,) = list((tmp_path / "r").iterdir())
    code, _, err = _cli(capsys, "compare", "--before", "a", "--after", "b", "--results", str(run_dir))
    assert code == 2 and "category 'none'" in err and err.count("\n") == 1
