"""`asymmetry merge`: the shards of one run (`asymmetry run --shard I/N`, one per machine) combined into
one run directory that compare and report read like any other.

Refused, each with a one-line error: shards of different configurations (models, suites and versions,
decoding, samples, plan) or suite contents; a shard missing (a gap) or given twice; a unit found in two
shards (an overlap); a shard not complete; a journal that does not match its manifest's sha256. The
merged journal is the shards' journals, byte for byte, one after the other (so each shard's lines can
still be checked against its own signature, recorded under `merged_from`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.run.store import JOURNAL, MANIFEST, iter_records, read_manifest, verify_journal, write_manifest


def merge_runs(run_dirs: Sequence[Path], out: Path, run_id: str | None = None) -> Path:
    """Combine the shard run directories `run_dirs` into `out/<run_id>` (default: the run id an unsharded
    run of the same configuration gets); returns the new run directory."""
    if not run_dirs:
        raise UserError("merge: give the shard run directories, e.g. asymmetry merge results/run-shard1of2 "
                        "results/run-shard2of2")
    shards: list[tuple[Path, dict[str, Any]]] = []
    for d in map(Path, run_dirs):
        manifest = read_manifest(d)
        problem = verify_journal(d)
        if problem:
            raise UserError(f"merge: {problem}")
        shards.append((d, manifest))
    first_dir, first = shards[0]
    count = (first.get("shard") or {}).get("count")
    if not count:
        raise UserError(f"merge: {first_dir} is not a shard (run it with --shard I/N)")
    seen: dict[int, Path] = {}
    for d, m in shards:
        shard = m.get("shard") or {}
        if m.get("config_sha256") != first.get("config_sha256"):
            raise UserError(f"merge: {d} was run with a different configuration from {first_dir} (models, suites, "
                            "decoding, samples or plan differ); only shards of one run can be merged")
        if _suites(m) != _suites(first):
            raise UserError(f"merge: {d} ran other suite contents (versions or content hashes) than {first_dir}")
        if shard.get("count") != count:
            raise UserError(f"merge: {d} is shard {shard.get('index')}/{shard.get('count')}, not of {count} shards")
        if shard.get("index") in seen:
            raise UserError(f"merge: shard {shard['index']}/{count} given twice ({seen[shard['index']]} and {d})")
        if m.get("status") != "complete":
            raise UserError(f"merge: {d} is {m.get('status')!r}, not complete; re-run its command to finish it first")
        seen[shard["index"]] = d
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise UserError(f"merge: shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing (a gap); run them "
                        "and pass every shard's directory")
    owner: dict[tuple[Any, ...], int] = {}
    for d, m in shards:
        index = m["shard"]["index"]
        for r in iter_records(d):
            key = (r.get("model"), r.get("suite"), r.get("item_id"), r.get("sample"))
            other = owner.setdefault(key, index)
            if other != index:
                raise UserError(f"merge: {key[0]}/{key[1]} item {key[2]} sample {key[3]} is in shards {other} and "
                                f"{index} (an overlap); shards must split the units")
    shards.sort(key=lambda s: s[1]["shard"]["index"])
    run_id = run_id or str(first.get("run_id", "run")).rsplit(f"-shard{first['shard']['index']}of{count}", 1)[0]
    target = Path(out) / run_id
    if target.exists():
        raise UserError(f"merge: {target} already exists; choose another --out or --run-id")
    tmp = target.with_name(f".{target.name}.merge-{os.getpid()}")
    tmp.mkdir(parents=True)
    hasher = hashlib.sha256()
    size = 0
    with open(tmp / JOURNAL, "wb") as f:
        for d, _ in shards:
            with open(d / JOURNAL, "rb") as src:
                while chunk := src.read(1 << 20):
                    f.write(chunk)
                    hasher.update(chunk)
                    size += len(chunk)
        f.flush()
        os.fsync(f.fileno())
    manifest = _merged_manifest(shards, run_id)
    manifest.update(journal_sha256=hasher.hexdigest(), journal_bytes=size)
    write_manifest(tmp, manifest)
    os.replace(tmp, target)
    return target


def _suites(manifest: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(s.get("name"), s.get("version"), s.get("content_sha256")) for s in manifest.get("suites", [])]


def _merged_manifest(shards: list[tuple[Path, dict[str, Any]]], run_id: str) -> dict[str, Any]:
    first = shards[0][1]
    manifest = {k: v for k, v in first.items() if k not in ("schema", "sessions", "journal_sha256", "journal_bytes",
                                                            "counts", "warnings", "shard")}
    manifest["run_id"] = run_id
    manifest["sessions"] = [{**s, "shard": m["shard"]["index"]} for _, m in shards for s in m.get("sessions", [])]
    manifest["warnings"] = [w for _, m in shards for w in m.get("warnings", [])]
    manifest["merged_from"] = [{"run_id": m.get("run_id"), "path": str(d), "shard": m["shard"],
                                "journal_sha256": m.get("journal_sha256"), "journal_bytes": m.get("journal_bytes")}
                               for d, m in shards]
    manifest["created_at"] = min(str(m.get("created_at")) for _, m in shards)
    manifest["ended_at"] = max(str(m.get("ended_at")) for _, m in shards)
    manifest["status"] = "complete"
    manifest["counts"] = _sum_counts([m.get("counts") or {} for _, m in shards])
    served: dict[str, list[str]] = {}
    for _, m in shards:
        for entry in m.get("models", []):
            names = served.setdefault(entry["label"], [])
            names += [n for n in entry.get("served_models", []) if n not in names]
    for entry in manifest.get("models", []):
        entry["served_models"] = served.get(entry["label"], [])
    return manifest


def _sum_counts(counts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"records": 0, "expected": 0, "errors": {}, "by_model_suite": [], "unanswered": {}}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for c in counts:
        out["records"] += c.get("records", 0)
        out["expected"] += c.get("expected", 0)
        for kind, n in (c.get("errors") or {}).items():
            out["errors"][kind] = out["errors"].get(kind, 0) + n
        for label, n in (c.get("unanswered") or {}).items():
            out["unanswered"][label] = out["unanswered"].get(label, 0) + n
        for r in c.get("by_model_suite", []):
            row = rows.setdefault((r["model"], r["suite"]), {"model": r["model"], "suite": r["suite"], "records": 0,
                                                            "expected": 0, "scored": 0, "errors": {}, "_sum": 0.0})
            for k in ("records", "expected", "scored"):
                row[k] += r.get(k, 0)
            row["_sum"] += (r.get("accuracy") or 0.0) * r.get("scored", 0)
            for kind, n in (r.get("errors") or {}).items():
                row["errors"][kind] = row["errors"].get(kind, 0) + n
    for row in rows.values():
        total = row.pop("_sum")
        row["accuracy"] = total / row["scored"] if row["scored"] else None
        out["by_model_suite"].append(row)
    return out


__all__ = ["merge_runs", "MANIFEST"]
