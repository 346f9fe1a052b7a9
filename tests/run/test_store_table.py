"""Run directories and item tables: the contracts every part reads and writes."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.errors import UserError
from harness.items import sha256_file
from harness.records import RECORD_FIELDS
from harness.run.store import iter_records, read_manifest, write_run
from harness.table import items_from_file, load_item_table


def _record(model: str, item: str, score: float, error: str | None = None) -> dict:
    r = dict.fromkeys(RECORD_FIELDS)
    r.update(run_id="r1", model=model, suite="s", suite_version="v1", category="targeted",
             capability="coding", item_id=item, item_hash="h" + item, sample=0, score=score,
             correct=score == 1, error=error, response="x", usage={}, started_at="2026-01-01T00:00:00Z")
    return r


def test_write_run_round_trips_and_records_journal_hash(tmp_path):
    run = write_run(tmp_path / "r1", {"run_id": "r1"}, [_record("a", "1", 1.0), _record("b", "1", 0.0)])
    manifest = read_manifest(run)
    assert manifest["counts"]["records"] == 2
    assert manifest["journal_sha256"] == sha256_file(run / "items.jsonl")
    assert [r["model"] for r in iter_records(run)] == ["a", "b"]


def test_write_run_never_overwrites_an_existing_run(tmp_path):
    write_run(tmp_path / "r1", {}, [_record("a", "1", 1.0)])
    with pytest.raises(UserError, match="already exists"):
        write_run(tmp_path / "r1", {}, [_record("a", "1", 0.0)])
    assert next(iter_records(tmp_path / "r1"))["score"] == 1.0


def test_torn_last_line_is_skipped_but_corruption_inside_is_named(tmp_path):
    run = write_run(tmp_path / "r1", {}, [_record("a", "1", 1.0), _record("a", "2", 0.0)])
    with open(run / "items.jsonl", "ab") as f:
        f.write(b'{"model": "a", "sui')
    assert len(list(iter_records(run))) == 2
    lines = (run / "items.jsonl").read_bytes().split(b"\n")
    (run / "items.jsonl").write_bytes(b"\n".join([lines[0], b"{broken", lines[1]]) + b"\n")
    with pytest.raises(UserError, match=r"items.jsonl:2: corrupt journal line"):
        list(iter_records(run))


def test_item_table_from_runs_has_contract_columns(tmp_path):
    run = write_run(tmp_path / "r1", {}, [_record("a", "1", 1.0), _record("b", "1", 0.0, "timeout")])
    table = load_item_table(results=[run])
    assert {"model", "suite", "category", "item_id", "score", "sample", "error"} <= set(table.columns)
    assert table.loc[table.model == "b", "error"].item() == "timeout"


@pytest.mark.parametrize(
    "rows, message",
    [
        ({"model": ["a"], "suite": ["s"], "item_id": ["1"], "score": [1]}, "missing column"),
        ({"model": ["a"], "suite": ["s"], "category": ["coding"], "item_id": ["1"], "score": [1]},
         "row 1: category 'coding'"),
        ({"model": ["a"], "suite": ["s"], "category": ["targeted"], "item_id": ["1"], "score": [float("nan")]},
         "NaN scores are refused"),
        ({"model": ["a", "a"], "suite": ["s", "s"], "category": ["targeted"] * 2, "item_id": ["1", "1"],
          "score": [1, 0], "sample": [0, 0]}, "duplicate rows"),
    ],
)
def test_bad_item_tables_get_one_line_errors(tmp_path, rows, message):
    path = tmp_path / "items.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    with pytest.raises(UserError, match=message) as info:
        items_from_file(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
