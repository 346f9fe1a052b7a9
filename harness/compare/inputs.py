"""Inputs of a comparison, resolved in the library (the CLI and the demo both call `resolve_compare`): run
directories (each journal verified against its manifest's sha256 first), item tables, published-score
tables and plans; the sha256 of every input and the command that reproduces the document.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.compare import guards
from harness.errors import UserError
from harness.items import sha256_file
from harness.plan import load_plan
from harness.records import CATEGORIES, SCORES_OPTIONAL, SCORES_REQUIRED, csv_unsafe
from harness.run.store import JOURNAL, read_manifest, skip_non_runs, verify_journal
from harness.table import load_item_table


def load_scores(path: Path, force: bool = False) -> pd.DataFrame:
    """A published-score table (DESIGN.md): model, suite, category, score (percent), n_items; optional
    source, setting, capability. One row per (model, suite); bad rows get one-line errors (a table mixing
    fractions and percentages too, unless `force`)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"model": str, "suite": str, "category": str})
            text = frame.select_dtypes(include=["object", "string"]).columns
            frame[text] = frame[text].map(csv_unsafe)  # a defused formula (csv_safe) reads back as written
    except (ValueError, OSError, pd.errors.ParserError) as e:
        raise UserError(f"{path}: cannot read the score table ({str(e).splitlines()[0]})") from None
    missing = [c for c in SCORES_REQUIRED if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}; a score table needs "
                        f"{', '.join(SCORES_REQUIRED)} (optional: {', '.join(SCORES_OPTIONAL)})")
    for col in ("model", "suite", "category"):
        if frame[col].isna().any():
            raise UserError(f"{path}: line {int(np.flatnonzero(frame[col].isna())[0]) + 2}: empty {col!r}")
    bad = ~frame["category"].isin(CATEGORIES)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise UserError(f"{path}: line {i + 2}: category {frame['category'].iloc[i]!r} is not one of "
                        f"{', '.join(CATEGORIES)}")
    score = pd.to_numeric(frame["score"], errors="coerce")
    n = pd.to_numeric(frame["n_items"], errors="coerce")
    for name, values, ok in (("score", score, (score >= 0) & (score <= 100)), ("n_items", n, (n >= 1) & (n % 1 == 0))):
        if (~ok | values.isna()).any():
            i = int(np.flatnonzero(~ok | values.isna())[0])
            what = "a percentage in [0, 100]" if name == "score" else "a whole number of items >= 1"
            raise UserError(f"{path}: line {i + 2}: {name} {str(frame[name].iloc[i])!r} is not {what}")
    frame = frame.assign(score=score.astype(float), n_items=n.astype(int))
    error, _ = guards.score_fractions(frame, path, force=force, lines=True)
    if error:
        raise UserError(error)
    # the same score reported in two source tables is one score; two different scores are a conflict
    key = ["model", "suite"]
    dup = frame.duplicated(key, keep=False)
    if dup.any():
        values = frame[dup].groupby(key)[["score", "n_items", "category"]].nunique()
        conflict = values[(values > 1).any(axis=1)]
        if not conflict.empty:
            model, suite = conflict.index[0]
            lines = [str(i + 2) for i in np.flatnonzero((frame["model"] == model) & (frame["suite"] == suite))]
            raise UserError(f"{path}: lines {', '.join(lines)}: different scores for model {model!r}, suite "
                            f"{suite!r}; keep one row per (model, suite) (one setting, one source)")
        frame = frame.drop_duplicates(key, keep="first").reset_index(drop=True)
    return frame


def parse_cutoffs(values: Sequence[str] | None) -> dict[str, str]:
    """`LABEL=YYYY-MM-DD` entries → {label: iso date}, with a one-line error naming the flag."""
    out = {}
    for v in values or ():
        label, sep, when = str(v).partition("=")
        try:
            if not sep or not label.strip():
                raise ValueError
            out[label.strip()] = date.fromisoformat(when.strip()).isoformat()
        except ValueError:
            raise UserError(f"--cutoff {v!r}: expected LABEL=YYYY-MM-DD, e.g. qwen3-8b=2025-03-31") from None
    return out


def _results(results: Sequence[Path] | None, extra_args: Sequence[str]) -> list[Path]:
    paths = list(results or [])
    if extra_args:
        if not paths:
            raise UserError(f"unexpected argument {extra_args[0]!r}; inputs go after --results, --items or --scores")
        for arg in extra_args:
            if arg.startswith("-") or not Path(arg).exists():
                raise UserError(f"unexpected argument {arg!r}; only run directories may follow --results")
            paths.append(Path(arg))
    return skip_non_runs(paths)


def _manifests(table: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """Each model label → the manifests of the run directories its rows came from."""
    out: dict[str, list[dict[str, Any]]] = {}
    if "run" not in table:
        return out
    for run, models in table.groupby("run")["model"].unique().items():
        manifest = read_manifest(Path(run))
        for label in models:
            out.setdefault(str(label), []).append(manifest)
    return out


def compare_command(before: str, after: str, results: Sequence[Path], items: Path | None, scores: Path | None,
                    controls: Sequence[str], plan: Path | None, force: bool, margin_pp: float, n_boot: int,
                    seed: int, cutoffs: Mapping[str, str], errors: str) -> str:
    """The `asymmetry compare` command line that reproduces a document."""
    parts = ["asymmetry", "compare", "--before", before, "--after", after]
    for r in results:
        parts += ["--results", str(r)]
    if items:
        parts += ["--items", str(items)]
    if scores:
        parts += ["--scores", str(scores)]
    for c in controls:
        parts += ["--control", c]
    if plan:
        parts += ["--plan", str(plan)]
    if force:
        parts.append("--force")
    if margin_pp != 3.0:
        parts += ["--margin-pp", f"{margin_pp:g}"]
    if n_boot != 10_000:
        parts += ["--n-boot", str(n_boot)]
    if seed:
        parts += ["--seed", str(seed)]
    for label, when in cutoffs.items():
        parts += ["--cutoff", f"{label}={when}"]
    if errors != "default":
        parts += ["--errors", errors]
    return shlex.join(parts)


def journal_integrity(run_dirs: Sequence[Path], force: bool) -> list[dict[str, str]]:
    """Each run's journal against the sha256 its manifest signed (issue 10 §2): a journal changed, cut or
    extended since is a one-line error, or with `force` a recorded problem the document and the report
    show on their first screen."""
    problems = []
    for d in run_dirs:
        problem = verify_journal(Path(d))
        if problem is None:
            continue
        if not force:
            raise UserError(f"{problem}; pass --force to compare anyway (the document and the report then say so)")
        problems.append({"path": str(d), "problem": problem})
    return problems


def resolve_compare(before: str, after: str, *, results: Sequence[Path] | None = None, items: Path | None = None,
                    scores: Path | None = None, controls: Sequence[str] | None = None, plan: Path | None = None,
                    force: bool = False, margin_pp: float = 3.0, n_boot: int = 10_000, seed: int = 0,
                    cutoffs: Sequence[str] | None = None, errors: str = "default",
                    extra_args: Sequence[str] = ()) -> dict[str, Any]:
    """The compare document for command-line inputs (shared by `compare` and `report`): loads the item
    table (or published scores), the run manifests and the plan, records input sha256s and the
    reproducing command, and calls harness.compare."""
    from harness.compare.items import compare
    from harness.compare.scores import compare_scores

    run_dirs = _results(results, extra_args)
    controls = list(controls or [])
    cut = parse_cutoffs(cutoffs)
    plan_doc = load_plan(plan) if plan else None
    command = compare_command(before, after, run_dirs, items, scores, controls, plan, force, margin_pp, n_boot,
                              seed, cut, errors)
    if scores is not None:
        if run_dirs or items is not None:
            raise UserError("--scores is a mode of its own (published accuracies); do not combine it with "
                            "--results or --items")
        published = load_scores(scores, force)  # a missing or malformed file is a one-line error, before hashing
        inputs = {"kind": "scores", "paths": [str(scores)], "sha256": {str(scores): sha256_file(scores)}}
        return compare_scores(published, before, after, controls=controls, margin_pp=margin_pp,
                              plan=plan_doc, inputs=inputs, command=command, seed=seed, force=force)
    if not run_dirs and items is None:
        raise UserError("no inputs: pass --results DIR (one or more run directories), --items FILE or --scores FILE")
    integrity = journal_integrity(run_dirs, force)
    table = load_item_table(results=run_dirs, items=items)
    sha = {str(d): sha256_file(Path(d) / JOURNAL) for d in run_dirs}
    if items is not None:
        sha[str(items)] = sha256_file(items)
    kind = "results" if run_dirs and items is None else "items" if items is not None and not run_dirs else "mixed"
    inputs: dict[str, Any] = {"kind": kind, "paths": list(sha), "sha256": sha}
    if integrity:
        inputs["integrity"] = integrity
    return compare(table, before, after, controls=controls, plan=plan_doc, force=force, margin_pp=margin_pp,
                   n_boot=n_boot, seed=seed, cutoffs=cut or None, error_rule=errors,
                   manifests=_manifests(table) if run_dirs else None, inputs=inputs, command=command)
