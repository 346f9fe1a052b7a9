"""The report's number formatter is the compare package's (harness.compare.fmt): one spelling of every
number across the compare document's sentence, the terminal and the report. Beside it, how the report's
CSVs write numbers for chart tools (no float noise, no empty columns)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from harness.compare.fmt import (  # noqa: F401
    NA,
    bracket,
    count,
    csv_safe,
    csv_unsafe,
    interval,
    is_num,
    logits,
    num,
    p_phrase,
    p_value,
    pct,
    percent,
    pp,
    ratio,
    signed,
)


def csv_number(x: Any) -> Any:
    """A number for a chart's CSV cell, at the precision a reader can use: 3 decimals from 1 up
    (-5.18358859017 -> -5.184, 4.600000000000004 -> 4.6), 4 significant digits below 1 (0.862301333 ->
    0.8623, 1.2e-10 stays). The exact values stay in compare.json; integers and non-numbers pass through."""
    if isinstance(x, float) and math.isfinite(x):
        y = round(x, 3) if abs(x) >= 1 else float(f"{x:.4g}")
        return int(y) if y.is_integer() and abs(y) < 1e15 else y
    return x


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and not math.isfinite(value))


def tidy_csv(columns: Sequence[str], rows: Sequence[Any]) -> str:
    """Rows (mappings) as CSV for newsroom tools: columns empty in every row are dropped, numbers lose
    their float noise, and text a spreadsheet would run as a formula is defused (`csv_safe`)."""
    import csv
    import io

    kept = [c for c in columns if any(not _empty(r.get(c)) for r in rows)] or list(columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_safe(c) for c in kept])
    for r in rows:
        writer.writerow([csv_safe("" if _empty(r.get(c)) else csv_number(r.get(c))) for c in kept])
    return buf.getvalue()
