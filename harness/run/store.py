"""Run directories: `results/<run_id>/manifest.json` + `items.jsonl` (DESIGN.md, "Run directory").

Reading is shared by compare, report and the importers; the runner's resumable journal writer builds on
the same files. Nothing here ever overwrites a completed result.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.items import sha256_file
from harness.records import RECORD_FIELDS, is_infra_error

MANIFEST = "manifest.json"
JOURNAL = "items.jsonl"
SCHEMA = "asymmetry.run/1"




def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The run's manifest, or a one-line error naming the file."""
    path = Path(run_dir) / MANIFEST
    if not path.is_file():
        raise UserError(f"{path}: no manifest; is {run_dir} a run directory (results/<run_id>/)?")
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON ({e}); restore it from a backup or re-run") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: expected a JSON object")
    return manifest


def iter_records(run_dir: Path, *, allow_torn_tail: bool = True, history: bool = False) -> Iterator[dict[str, Any]]:
    """Yield the journal's current records: one per (model, suite, item, sample).

    The journal is append-only. A unit whose record is an infrastructure error (endpoint down, 5xx after
    all retries…) is asked again when the run resumes, and the new record supersedes the error; the old
    line stays in the file as history (`history=True` yields every line). Error records are therefore
    held back until the end, so they come after the completed records. A torn last line (a crash
    mid-write) is skipped when allowed; a bad line anywhere else is an error naming the file and line."""
    path = Path(run_dir) / JOURNAL
    if not path.is_file():
        raise UserError(f"{path}: no journal; is {run_dir} a run directory?")
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    last = len(lines) - 1
    pending: dict[tuple[Any, ...], dict[str, Any]] = {}  # infrastructure errors a later line may supersede
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            if allow_torn_tail and number - 1 == last:
                break  # a torn final line without its newline: the record was never completed
            raise UserError(
                f"{path}:{number}: corrupt journal line; re-run the same command to repair a torn "
                "tail, or remove the line by hand"
            ) from None
        if not isinstance(record, dict):
            raise UserError(f"{path}:{number}: expected a JSON object per line")
        if history:
            yield record
            continue
        key = (record.get("model"), record.get("suite"), record.get("item_id"), record.get("sample"))
        pending.pop(key, None)
        if is_infra_error(record.get("error")):
            pending[key] = record
        else:
            yield record
    yield from pending.values()


def write_run(run_dir: Path, manifest: dict[str, Any], records: Iterable[dict[str, Any]]) -> Path:
    """Write a complete run directory in one go (importers). Refuses to touch an existing run; writes
    to a temporary directory and renames it, so a half-written run never appears as complete."""
    run_dir = Path(run_dir)
    if run_dir.exists():
        raise UserError(f"{run_dir}: already exists; choose another --out or run id (results are never overwritten)")
    tmp = run_dir.with_name(f".{run_dir.name}.tmp-{os.getpid()}")
    tmp.mkdir(parents=True)
    n = 0
    with open(tmp / JOURNAL, "wb") as f:
        for record in records:
            missing = [k for k in RECORD_FIELDS if k not in record]
            if missing:
                raise ValueError(f"record {n + 1} lacks {', '.join(missing)}")
            f.write(orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
            n += 1
    manifest = {"schema": SCHEMA, **manifest}
    manifest.setdefault("counts", {})["records"] = n
    manifest["journal_sha256"] = sha256_file(tmp / JOURNAL)
    (tmp / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, run_dir)
    return run_dir


# -- the runner's resumable journal ----------------------------------------------------------------------


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically (write a temporary file, then rename): a crash never leaves half
    of one."""
    path = Path(run_dir) / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
    tmp.write_bytes(orjson.dumps({"schema": SCHEMA, **manifest}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
                                 default=str))
    os.replace(tmp, path)


def repair_torn_tail(path: Path) -> int:
    """Truncate a journal's torn last line (a crash mid-write leaves bytes after the last newline);
    returns how many bytes were removed. Complete lines are never touched. Takes the journal's writer
    lock first and refuses (a one-line error) while another process holds it: a "torn" line may be that
    process's write in progress, and cutting it would lose completed results."""
    path = Path(path)
    if not path.exists():
        return 0
    with open(path, "r+b") as f:
        _lock(f, path)
        return _cut_torn_tail(f)


def _lock(f: Any, path: Path) -> None:
    """Take the exclusive writer lock on the open journal `f`, or a one-line error if another holds it."""
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(f"{path}: another asymmetry process is writing this run; wait for it to finish "
                        "or stop it first") from None


def _cut_torn_tail(f: Any) -> int:
    """Truncate the locked, readable journal `f` after its last newline; returns the bytes removed."""
    size = os.fstat(f.fileno()).st_size
    position = size
    block = 1 << 16
    while position > 0:
        start = max(0, position - block)
        f.seek(start)
        chunk = f.read(position - start)
        if start + len(chunk) == size and chunk.endswith(b"\n"):
            return 0
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        position = start
    else:
        keep = 0
    if keep == size:
        return 0
    f.truncate(keep)
    f.flush()
    os.fsync(f.fileno())
    return size - keep


def encode_record(record: dict[str, Any]) -> bytes:
    """One journal line. Model output can hold what orjson refuses (integers beyond 64 bits, non-string
    keys from a Python-literal tool call): such a record is still written, as plain JSON with string
    keys, never dropped and never a crash of the run."""
    try:
        return orjson.dumps(record, option=orjson.OPT_SERIALIZE_NUMPY, default=str) + b"\n"
    except TypeError:
        import json

        return json.dumps(_plain(record), default=str, ensure_ascii=False).encode() + b"\n"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # as orjson writes them: JSON has no NaN or infinity
    return value


class Journal:
    """Append-only writer of `items.jsonl`: records are encoded at once and written in batches (every
    `batch` records or `interval_s` seconds), so a crash loses at most the unflushed tail, which resume
    redoes. Holds an exclusive lock: two processes never write the same run.

    A torn last line (a crash mid-write) is cut off only once the lock is held (`repaired` says how many
    bytes): before it, the "torn" line may be another live process's write in progress."""

    def __init__(self, run_dir: Path, *, batch: int = 512, interval_s: float = 0.5) -> None:
        import time

        self.path = Path(run_dir) / JOURNAL
        self._clock = time.monotonic
        self._file = open(self.path, "a+b")  # closed in close(); readable, to find a torn tail
        try:
            _lock(self._file, self.path)
            self.repaired = _cut_torn_tail(self._file)  # safe now: no other writer can be mid-line
        except BaseException:
            self._file.close()
            raise
        self._buffer: list[bytes] = []
        self._batch, self._interval = batch, interval_s
        self._last = self._clock()
        self.written = 0

    def append(self, record: dict[str, Any]) -> None:
        self._buffer.append(encode_record(record))
        if len(self._buffer) >= self._batch or self._clock() - self._last >= self._interval:
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            self._file.write(b"".join(self._buffer))
            self.written += len(self._buffer)
            self._buffer.clear()
        self._file.flush()
        self._last = self._clock()

    def close(self) -> None:
        """Flush, fsync and release the lock."""
        if self._file.closed:
            return
        self.flush()
        os.fsync(self._file.fileno())
        self._file.close()
