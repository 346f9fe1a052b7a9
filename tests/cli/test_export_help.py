"""`asymmetry export --help` (review finding 14): it names every exported column, and its option column
reads as what to type (DIR..., FILE, a bare flag), not as Python types (<list[Path]>, <bool>)."""

from __future__ import annotations

import os
import subprocess
import sys

from harness.export import COLUMNS


def test_export_help_names_every_column_and_reads_plainly() -> None:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run([sys.executable, "-m", "harness", "export", "--help"], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    listed = text.split("with the columns", 1)[1].split(". The rows", 1)[0]
    for column in COLUMNS:
        assert column in listed, column
    assert "DIR..." in text and "FILE" in text
    assert "<list[Path]>" not in text
    overwrite = next(line for line in done.stdout.splitlines() if "--overwrite" in line)
    assert "<bool>" not in overwrite and "Replace an existing --out file." in overwrite
