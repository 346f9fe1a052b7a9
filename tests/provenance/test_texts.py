"""The texts table: the formats it reads, the split, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import UserError
from harness.provenance.texts import check_models, parse_transition, read_texts, split_of

ROWS = [
    {"model": "a", "prompt_id": "p1", "domain": "coding", "sample": 0, "text": "def f(): pass"},
    {"model": "a", "prompt_id": "p2", "domain": "math", "sample": 0, "text": "2 + 2 = 4"},
    {"model": "b", "prompt_id": "p1", "domain": "coding", "sample": 0, "text": "Here is f."},
    {"model": "b", "prompt_id": "p1", "domain": "coding", "sample": 1, "text": "Sure, f."},
]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_reads_each_format_to_the_same_table(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    frame = pd.DataFrame(ROWS)
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    table = read_texts(path)
    assert table[["model", "prompt_id", "domain", "sample", "text"]].to_dict("records") == ROWS
    assert set(table["split"]) <= {"train", "test"}
    assert (table["split"] == table["prompt_id"].map(split_of)).all()


def test_split_is_a_fixed_function_of_the_prompt_id() -> None:
    ids = [f"bank/coding/{i:04d}" for i in range(2000)]
    splits = [split_of(i) for i in ids]
    assert splits == [split_of(i) for i in ids]
    assert 0.36 < splits.count("train") / len(ids) < 0.44


def _write(tmp_path: Path, rows: list[dict], name: str = "t.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda rows: [{k: v for k, v in r.items() if k != "domain"} for r in rows], "missing column(s) domain"),
    (lambda rows: rows + [rows[0]], "duplicate rows for model 'a', prompt 'p1', sample 0"),
    (lambda rows: [rows[0] | {"text": "   "}, *rows[1:]], "row 1: empty text for model 'a'"),
    (lambda rows: [rows[0] | {"model": ""}, *rows[1:]], "row 1: empty 'model'"),
    (lambda rows: [rows[0] | {"sample": "x"}, *rows[1:]], "row 1: sample 'x' is not a whole number"),
    (lambda rows: [*rows[:2], rows[2] | {"domain": "math"}, rows[3]], "prompt 'p1' has several domains"),
    (lambda rows: [r | {"split": "train" if i else "dev"} for i, r in enumerate(rows)], "is not 'train' or 'test'"),
    (lambda rows: [r | {"split": "train" if i == 0 else "test"} for i, r in enumerate(rows)], "in both splits"),
])
def test_bad_tables_get_one_line_errors(tmp_path: Path, mutate, message: str) -> None:
    with pytest.raises(UserError) as e:
        read_texts(_write(tmp_path, mutate([dict(r) for r in ROWS])))
    assert message in str(e.value)
    assert "\n" not in str(e.value)
    assert str(tmp_path) in str(e.value)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        read_texts(tmp_path / "nope.csv")
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(UserError, match="unknown table format"):
        read_texts(tmp_path / "t.xlsx")


def test_unknown_model_lists_the_models_there_are(tmp_path: Path) -> None:
    table = read_texts(_write(tmp_path, ROWS))
    with pytest.raises(UserError, match=r"--teacher 'claude': no texts for this model; the table has: a, b"):
        check_models(table, [("--before", "a"), ("--teacher", "claude")])


def test_transition_spelling() -> None:
    assert parse_transition("llama3:llama3.1") == ("llama3", "llama3.1")
    with pytest.raises(UserError, match="expected BEFORE:AFTER"):
        parse_transition("llama3")
