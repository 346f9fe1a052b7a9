"""Run directories as one item table (DESIGN.md's columns), for pandas, R, DuckDB or a spreadsheet.

The runs are read by the same reader `compare --results` uses (harness.table.items_from_runs), so the
exported file holds exactly the rows compare would analyse, and `compare --items FILE` on it pairs and
tests them the same way (decoding and suite-content checks aside: those need the run manifests). In a CSV,
text a spreadsheet would run as a formula (`=HYPERLINK(...)`) starts with an apostrophe (csv_safe), and
the readers of item and score tables drop it again (csv_unsafe), so the round trip is exact."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from harness.errors import UserError
from harness.records import TABLE_OPTIONAL, TABLE_REQUIRED, csv_safe

#: The exported columns, in order: the contract's required ones, then its optional ones.
COLUMNS = (*TABLE_REQUIRED, *TABLE_OPTIONAL)
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def item_table(run_dirs: Sequence[Path]) -> pd.DataFrame:
    """The item table of these run directories, with exactly COLUMNS, sorted for stable diffs."""
    from harness.table import items_from_runs

    frame = items_from_runs([Path(d) for d in run_dirs])
    frame = frame.reindex(columns=list(COLUMNS))
    return frame.sort_values(["model", "suite", "item_id", "sample"], kind="stable").reset_index(drop=True)


def export_items(run_dirs: Sequence[Path], out: Path, *, overwrite: bool = False) -> pd.DataFrame:
    """Write the runs' item table to `out` (.csv or .parquet, by its suffix); returns the table. The file
    appears whole or not at all (written beside it, then renamed)."""
    out = Path(out)
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise UserError(f"--out {out}: name a .csv or .parquet file (the suffix picks the format)")
    if out.exists() and not overwrite:
        raise UserError(f"--out {out}: already exists; choose another name or pass --overwrite")
    frame = item_table(run_dirs)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        if kind == "csv":  # text that a spreadsheet would run as a formula is defused; readers undo it
            frame.map(csv_safe).to_csv(partial, index=False)
        else:
            frame.to_parquet(partial, index=False)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return frame
