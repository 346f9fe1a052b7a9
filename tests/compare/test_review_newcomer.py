"""The newcomer review's findings (notes/reviews/newcomer.md), each pinned against the real CLI or the real
compare document: mixed score scales, the citation's verdict, named warnings, controls that share a model
with the suspect, the power command's primary, intervals across zero."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.compare import compare_scores, load_scores
from harness.errors import UserError

ROWS = [
    # model, suite, category, score (percent), n_items
    ("v1", "humaneval", "targeted", 40.0, 500), ("v2", "humaneval", "targeted", 50.0, 500),
    ("v1", "bfcl", "targeted", 60.0, 400), ("v2", "bfcl", "targeted", 75.0, 400),
    ("v1", "gsm8k", "untargeted", 80.0, 1319), ("v2", "gsm8k", "untargeted", 82.0, 1319),
    ("v1", "nq", "untargeted", 30.0, 3610), ("v2", "nq", "untargeted", 31.0, 3610),
]


def run_cli(*args: str, columns: int = 200) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": str(columns), "PATH": "/usr/bin:/bin"})


def write_scores(path: Path, rows: list[tuple]) -> Path:
    pd.DataFrame(rows, columns=["model", "suite", "category", "score", "n_items"]).to_csv(path, index=False)
    return path


def mixed_rows() -> list[tuple]:
    rows = list(ROWS)
    rows[6] = ("v1", "nq", "untargeted", 0.30, 3610)  # a fraction among percentages: v1 "0.3%" on nq
    return rows


# ---------------------------------------------------------------------------------------------- 1. mixed scales

def test_mixed_fraction_and_percent_scores_are_a_cli_error_naming_the_file_and_row(tmp_path):
    path = write_scores(tmp_path / "mixed.csv", mixed_rows())
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    err = out.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert str(path) in err and "line 8" in err and "v1 on nq (0.3)" in err
    assert "mixed scales" in err and "multiply these by 100" in err and "--force" in err


def test_mixed_scores_forced_are_compared_with_the_named_guard(tmp_path):
    path = write_scores(tmp_path / "mixed.csv", mixed_rows())
    out_json = tmp_path / "doc.json"
    out = run_cli("compare", "--before", "v1", "--after", "v2", "--scores", str(path), "--force", "--json",
                  str(out_json))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out_json.read_text())
    names = [g["name"] for g in doc["diagnostics"]["guards"]]
    assert "score_fractions" in names
    assert "score_fractions" in out.stdout  # the terminal names the guard too


def test_mixed_scores_are_refused_by_the_library_too(tmp_path):
    frame = pd.DataFrame(mixed_rows(), columns=["model", "suite", "category", "score", "n_items"])
    with pytest.raises(UserError, match="mixed scales.*v1 on nq"):
        compare_scores(frame, "v1", "v2")
    with pytest.raises(UserError, match="line 8"):
        load_scores(write_scores(tmp_path / "m.csv", mixed_rows()))


def test_all_fraction_scores_stay_an_error_and_percentages_pass(tmp_path):
    fractions = [(m, s, c, v / 100, n) for m, s, c, v, n in ROWS]
    with pytest.raises(UserError, match="every score is between 0 and 1.*multiply them by 100"):
        load_scores(write_scores(tmp_path / "f.csv", fractions))
    doc = compare_scores(load_scores(write_scores(tmp_path / "p.csv", ROWS)), "v1", "v2")
    assert "score_fractions" not in [g["name"] for g in doc["diagnostics"]["guards"]]
