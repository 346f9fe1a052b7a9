"""The texts table: one row per model answer, the only input the provenance layer reads.

Columns `model, prompt_id, domain, sample, text` (a contract); optional `split` (train|test), `template`
(a cluster of templated prompts), `passed` (the answer passed its tests: for the capability-matched
re-analysis), `temperature`, `served_model`, `prompt` (the prompt's text, shown in the report). It comes from a CSV, Parquet or JSONL file a researcher
brings, or from `asymmetry run` journals of the provenance bank.

The split is by prompt, never by text, so no prompt's answers are on both sides: the attribution model
is fitted on `train` prompts and every statistic is computed on `test` prompts. Without a `split` column
the split is a fixed function of the prompt id (sha256, 40% train), the same one the prompt bank uses,
so anyone can recompute it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from harness.errors import UserError
from harness.provenance.bank import split_of

REQUIRED = ("model", "prompt_id", "domain", "sample", "text")
OPTIONAL = ("split", "template", "passed", "temperature", "served_model", "prompt")
#: Domains the targeted-training hypothesis names; every other domain (math, factual, chat) is untargeted.
TARGETED_DOMAINS = ("coding", "agentic")
#: The identity battery: scored for self-identification only, never by the attribution model.
IDENTITY_DOMAIN = "identity"


def read_texts(path: Path) -> pd.DataFrame:
    """A texts table from CSV, Parquet or JSONL, validated (one-line errors name the file and row)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file; --texts takes a CSV, Parquet or JSONL texts table")
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix == ".gz" else path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".csv", ".csv.gz"):
            frame = pd.read_csv(path, dtype={"model": str, "prompt_id": str, "domain": str, "text": str},
                                keep_default_na=False, na_values=[])
        elif suffix in (".jsonl", ".jsonl.gz", ".json"):
            frame = pd.read_json(path, lines=True, dtype={"prompt_id": str, "model": str})
        else:
            raise UserError(f"{path}: unknown table format {path.suffix!r}; use .csv, .parquet or .jsonl")
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise UserError(f"{path}: cannot read the texts table ({str(e).splitlines()[0]})") from None
    return validate_texts(frame, source=str(path))


def validate_texts(frame: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check the contract's columns and values; returns a clean copy with `split` filled in."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise UserError(f"{source}: missing column(s) {', '.join(missing)}; a texts table needs "
                        f"{', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)})")
    if frame.empty:
        raise UserError(f"{source}: the texts table has no rows")
    frame = frame.reset_index(drop=True).copy()
    for col in ("model", "prompt_id", "domain"):
        empty = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
        if empty.any():
            raise UserError(f"{source}: row {int(frame.index[empty][0]) + 1}: empty {col!r}")
        frame[col] = frame[col].astype(str).str.strip()
    bad_text = frame["text"].isna() | ~frame["text"].map(lambda t: isinstance(t, str))
    if bad_text.any():
        raise UserError(f"{source}: row {int(frame.index[bad_text][0]) + 1}: 'text' is missing or not a string")
    empty_text = frame["text"].str.strip() == ""
    if empty_text.any():
        row = frame[empty_text].iloc[0]
        raise UserError(f"{source}: row {int(frame.index[empty_text][0]) + 1}: empty text for model "
                        f"{row['model']!r}, prompt {row['prompt_id']!r}; drop the row (an empty answer carries no "
                        "style) or mark it in your own table before importing")
    sample = pd.to_numeric(frame["sample"], errors="coerce")
    bad = sample.isna() | (sample < 0) | (sample != sample.round())
    if bad.any():
        raise UserError(f"{source}: row {int(frame.index[bad][0]) + 1}: sample {frame['sample'].iloc[int(frame.index[bad][0])]!r} "
                        "is not a whole number ≥ 0")
    frame["sample"] = sample.astype(int)
    dup = frame.duplicated(["model", "prompt_id", "sample"], keep=False)
    if dup.any():
        row = frame[dup].iloc[0]
        raise UserError(f"{source}: duplicate rows for model {row['model']!r}, prompt {row['prompt_id']!r}, sample "
                        f"{row['sample']}; each (model, prompt_id, sample) must appear once")
    domains = frame.groupby("prompt_id")["domain"].nunique()
    if (domains > 1).any():
        pid = domains[domains > 1].index[0]
        raise UserError(f"{source}: prompt {pid!r} has several domains; a prompt belongs to one domain")
    if "split" in frame.columns:
        split = frame["split"].astype(str).str.strip().str.lower()
        bad = ~split.isin(("train", "test"))
        if bad.any():
            raise UserError(f"{source}: row {int(frame.index[bad][0]) + 1}: split {frame['split'].iloc[int(frame.index[bad][0])]!r} "
                            "is not 'train' or 'test'")
        if (frame.assign(split=split).groupby("prompt_id")["split"].nunique() > 1).any():
            raise UserError(f"{source}: a prompt is in both splits; the split is by prompt (every answer to a "
                            "prompt on the same side)")
        frame["split"] = split
    else:
        frame["split"] = frame["prompt_id"].map(split_of)
    if "passed" in frame.columns:
        frame["passed"] = frame["passed"].map(_truth)
    if "template" not in frame.columns:
        frame["template"] = None
    return frame


def _truth(value: object) -> bool | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        v = value.strip().lower()
        return True if v in ("1", "true", "yes", "pass", "passed") else False if v in ("0", "false", "no", "fail",
                                                                                        "failed") else None
    return bool(value)


def check_models(frame: pd.DataFrame, named: Iterable[tuple[str, str]]) -> None:
    """Every model named on the command line (flag, label) has rows; the error lists the models there are."""
    have = set(frame["model"])
    for flag, label in named:
        if label not in have:
            listing = ", ".join(sorted(have)[:12]) + (" …" if len(have) > 12 else "")
            raise UserError(f"{flag} {label!r}: no texts for this model; the table has: {listing}")


def parse_transition(value: str, flag: str = "--control") -> tuple[str, str]:
    """`BEFORE:AFTER` → (before, after), with a one-line error naming the flag."""
    before, sep, after = str(value).partition(":")
    if not sep or not before.strip() or not after.strip():
        raise UserError(f"{flag} {value!r}: expected BEFORE:AFTER, e.g. llama3-8b:llama3.1-8b")
    return before.strip(), after.strip()


def table_sha256(frame: pd.DataFrame, columns: Sequence[str] = REQUIRED) -> str:
    """sha256 of the table's contract columns in a canonical row order: what a model was fitted on."""
    canon = frame[list(columns)].astype(str).sort_values(list(columns[:4])).to_csv(index=False)
    return hashlib.sha256(canon.encode()).hexdigest()


def texts_from_runs(run_dirs: Sequence[Path]) -> pd.DataFrame:
    """A texts table from `asymmetry run` directories: one row per record with a response.

    The domain, split and template come from the record's `extracted` (the provenance bank's record-only
    scorer writes them); records of other suites take their capability as domain and the hash split.
    Reasoning blocks (`<think>…</think>`) are removed: the style of the answer is what is compared. `passed` is the score of scored suites (for the capability-matched re-analysis), and the
    served model id comes from the manifest. Errored records and empty responses carry no style: skipped.
    """
    from harness.run.store import iter_records, read_manifest
    from harness.suites.scorers.text import visible_text

    rows = []
    if not run_dirs:
        raise UserError("no run directories given; pass --results results/<run_id> (one or more)")
    for run_dir in run_dirs:
        manifest = read_manifest(Path(run_dir))
        served = {str(m.get("label")): ", ".join(m.get("served_models") or []) or None
                  for m in manifest.get("models", []) if isinstance(m, dict)}
        for r in iter_records(Path(run_dir)):
            text = visible_text(r.get("response")) if isinstance(r.get("response"), str) else None
            if r.get("error") or not isinstance(text, str) or not text.strip():
                continue
            extracted = r.get("extracted") if isinstance(r.get("extracted"), dict) else {}
            record_only = extracted.get("record_only", False)
            rows.append({
                "model": r["model"], "prompt_id": f"{r['suite']}/{r['item_id']}" if not record_only else str(r["item_id"]),
                "domain": extracted.get("domain") or r.get("capability") or r.get("suite"),
                "sample": r.get("sample", 0), "text": text,
                "split": extracted.get("split") or split_of(f"{r['suite']}/{r['item_id']}"),
                "template": extracted.get("template"),
                "passed": None if record_only or r.get("score") is None else float(r["score"]) >= 1.0,
                "served_model": r.get("served_model") or served.get(str(r["model"])),
            })
    if not rows:
        raise UserError(f"{', '.join(map(str, run_dirs))}: no records with a response yet; finish or resume the run")
    return validate_texts(pd.DataFrame(rows), source=", ".join(map(str, run_dirs)))
