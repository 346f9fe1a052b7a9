"""Item tables: the long DataFrame `compare` and `report` consume (DESIGN.md, "Item table").

They come from run directories, or a user's CSV/Parquet file; either way the same columns and the same
checks, so statistics never depend on where results came from. Beside DESIGN.md's columns, a table
read from runs carries `flags`: each record's review flags from the code scorers (harness.records.flags_text),
which compare counts per suite and release and holds against a targeted gain (harness.compare.flags).
A table without the column is analysed the same way, with the flags reported as not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from harness.errors import UserError
from harness.records import (
    CATEGORIES,
    FLAG_SEPARATOR,
    TABLE_OPTIONAL,
    TABLE_REQUIRED,
    flags_text,
    split_flags,
)
from harness.run.store import iter_records, read_manifest

_RUN_COLUMNS = ("model", "suite", "suite_version", "category", "capability", "item_id", "item_hash",
                "sample", "score", "error", "cluster", "release_date")


def items_from_runs(run_dirs: Sequence[Path]) -> pd.DataFrame:
    """One item table from several run directories (each may hold several models)."""
    frames = []
    for run_dir in run_dirs:
        read_manifest(run_dir)  # a clear error if this is not a run directory
        rows = [{**{k: r.get(k) for k in _RUN_COLUMNS}, "flags": flags_text(r.get("extracted"))}
                for r in iter_records(run_dir)]
        if not rows:
            raise UserError(f"{run_dir}: the journal has no records yet; finish or resume the run first")
        frame = pd.DataFrame.from_records(rows, columns=[*_RUN_COLUMNS, "flags"])
        frame["run"] = str(run_dir)
        frames.append(frame)
    if not frames:
        raise UserError("no run directories given; pass --results results/<run_id> (one or more)")
    return validate_items(pd.concat(frames, ignore_index=True), source=", ".join(map(str, run_dirs)))


def _undefused(frame: pd.DataFrame) -> pd.DataFrame:
    """A CSV's text cells as they were before csv_safe defused formulas (`asymmetry export` writes them)."""
    from harness.records import csv_unsafe

    text = frame.select_dtypes(include=["object", "string"]).columns
    frame[text] = frame[text].map(csv_unsafe)
    return frame


def items_from_file(path: Path) -> pd.DataFrame:
    """An item table from a CSV or Parquet file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".txt"):
            frame = _undefused(pd.read_csv(path, dtype={"item_id": str, "suite": str, "model": str}))
        else:
            raise UserError(f"{path}: unknown table format {suffix!r}; use .csv or .parquet")
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise UserError(f"{path}: cannot read table ({str(e).splitlines()[0]})") from None
    return validate_items(frame, source=str(path))


def validate_items(frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check the contract's columns and values; one-line errors name the source, column and row.

    A score is any number in [0, 1]: 0/1 for pass/fail items, a fraction for partial credit (which compare
    keeps out of its binomial-count methods; see harness.compare.suite_stats)."""
    missing = [c for c in TABLE_REQUIRED if c not in frame.columns]
    if missing:
        raise UserError(
            f"{source}: missing column(s) {', '.join(missing)}; an item table needs "
            f"{', '.join(TABLE_REQUIRED)} (optional: {', '.join(TABLE_OPTIONAL)})"
        )
    frame = frame.copy()
    for col in ("model", "suite", "item_id", "category"):
        if frame[col].isna().any():
            row = int(frame.index[frame[col].isna()][0])
            raise UserError(f"{source}: row {row + 1}: empty {col!r}")
        frame[col] = frame[col].astype(str)
    bad_cat = ~frame["category"].isin(CATEGORIES)
    if bad_cat.any():
        row = int(frame.index[bad_cat][0])
        raise UserError(
            f"{source}: row {row + 1}: category {frame['category'].iloc[row]!r} is not one of "
            f"{', '.join(CATEGORIES)}"
        )
    score = pd.to_numeric(frame["score"], errors="coerce")
    bad = score.isna() | (score < 0) | (score > 1)
    if "error" in frame.columns:
        # an errored record may carry no score; it is never a silent zero
        bad &= frame["error"].isna()
    if bad.any():
        row = int(frame.index[bad][0])
        raise UserError(
            f"{source}: row {row + 1}: score {frame['score'].iloc[row]!r} is not a number in [0, 1] "
            "(NaN scores are refused: mark the record's error kind instead)"
        )
    frame["score"] = score.astype(float)
    if "release_date" in frame.columns:
        given = frame["release_date"].notna() & (frame["release_date"].astype(str).str.strip() != "")
        dates = pd.to_datetime(frame["release_date"].where(given), errors="coerce", format="mixed")
        bad_date = given & dates.isna()
        if bad_date.any():
            row = int(frame.index[bad_date][0])
            raise UserError(f"{source}: row {row + 1}: release_date {frame['release_date'].iloc[row]!r} is not a "
                            "date (use YYYY-MM-DD)")
        frame["release_date"] = dates.dt.strftime("%Y-%m-%d").where(given, None)
    if "sample" not in frame.columns:
        frame["sample"] = frame.groupby(["model", "suite", "item_id"]).cumcount()
    frame["sample"] = pd.to_numeric(frame["sample"], errors="coerce").fillna(0).astype(int)
    if "flags" in frame.columns:  # review flags of code records: one normal form ("" for none), any source
        frame["flags"] = [FLAG_SEPARATOR.join(split_flags(v)) for v in frame["flags"]]
    if "error" not in frame.columns:
        frame["error"] = None
    frame["error"] = frame["error"].where(frame["error"].notna(), None)
    dup = frame.duplicated(["model", "suite", "item_id", "sample"], keep=False)
    if dup.any():
        row = frame[dup].iloc[0]
        raise UserError(
            f"{source}: duplicate rows for model {row['model']!r}, suite {row['suite']!r}, item "
            f"{row['item_id']!r}, sample {row['sample']}; each (model, suite, item, sample) must appear once"
        )
    return frame


def load_item_table(results: Iterable[Path] = (), items: Path | None = None) -> pd.DataFrame:
    """The item table for compare/report from `--results DIR…` and/or `--items FILE`."""
    frames = []
    results = list(results)
    if results:
        frames.append(items_from_runs(results))
    if items is not None:
        frames.append(items_from_file(items))
    if not frames:
        raise UserError("no inputs; pass --results DIR (one or more), --items FILE or --scores FILE")
    return frames[0] if len(frames) == 1 else validate_items(pd.concat(frames, ignore_index=True), source="inputs")
