"""`asymmetry report` through the command line: the same inputs as compare, a refused existing --out,
--overwrite, and discordant examples read from real run journals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.test_browser import _runs

pytestmark = pytest.mark.slow


def asymmetry(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "2000", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_report_from_run_directories_refuses_an_existing_out_and_overwrites_on_request(tmp_path: Path) -> None:
    runs = _runs(tmp_path, "old", "new")
    args = ["report", "--before", "old", "--after", "new", "--results", *map(str, runs), "--out", "reports/r1"]
    proc = asymmetry(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "reports" / "r1"
    assert "reports/r1/index.html" in proc.stdout and "chart power" not in proc.stdout
    doc = json.loads((out / "compare.json").read_text())
    assert doc["command"].startswith("asymmetry compare --before old --after new --results")
    html = (out / "index.html").read_text()
    assert html.count("<details>") >= 8  # two examples per suite and direction, from the journals
    assert "&lt;script&gt;window.__pwned" in html
    decoding = html.split(">Decoding settings<")[1].split("</table>")[0]
    assert "<th>temperature</th>" in decoding and "<th>max_tokens</th>" in decoding and "2,048" in decoding
    assert "checked: identical in both releases" in html
    stamp = (out / "index.html").stat().st_mtime_ns

    proc = asymmetry(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("error: reports/r1: already exists; pass --overwrite to replace it (the new report "
                                   "is built beside it and swapped in), or choose another --out")
    assert (out / "index.html").stat().st_mtime_ns == stamp

    proc = asymmetry(*args, "--overwrite", "--examples", "0", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "<details>" not in (out / "index.html").read_text()
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["r1"]


def test_report_takes_published_scores_like_compare(tmp_path: Path) -> None:
    (tmp_path / "scores.csv").write_text(
        "model,suite,category,score,n_items,source\n"
        "a,code,targeted,40.0,164,https://example.org/a\n"
        "a,math,untargeted,70.0,500,https://example.org/a\n"
        "b,code,targeted,55.0,164,https://example.org/b\n"
        "b,math,untargeted,72.0,500,https://example.org/b\n")
    proc = asymmetry("report", "--before", "a", "--after", "b", "--scores", "scores.csv", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "score-level, unpaired evidence" in proc.stdout
    html = (tmp_path / "out" / "index.html").read_text()
    assert '<a href="https://example.org/b" rel="noopener noreferrer">' in html


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    proc = asymmetry("report", "--before", "a", "--after", "b", "--scores", "missing.csv", "--out", "o", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip() == "error: missing.csv: no such file"
    assert not (tmp_path / "o").exists()


def test_help_teaches_inputs_and_the_overwrite_rule(tmp_path: Path) -> None:
    proc = asymmetry("report", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for phrase in ("--results", "--scores", "--control", "--out", "--overwrite", "refused unless you pass --overwrite",
                   "never replaced"):
        assert phrase in text, phrase
