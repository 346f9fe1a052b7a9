"""`asymmetry demo --out DIR` replaces only an earlier demo report (review note): a report of real runs
at DIR was replaced without --overwrite before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.report import write_report
from tests.report.test_report_samples import scores_doc

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_never_replaces_a_report_it_did_not_write(tmp_path):
    mine = tmp_path / "my-report"
    write_report(scores_doc(), mine)  # what `asymmetry report` writes for a real comparison
    before = {p.relative_to(mine): p.read_bytes() for p in mine.rglob("*") if p.is_file()}
    done = subprocess.run([sys.executable, "-m", "harness", "demo", "--out", str(mine)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "not one the demo wrote" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert {p.relative_to(mine): p.read_bytes() for p in mine.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["my-report"]  # nothing built beside it either
