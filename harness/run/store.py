"""Run directories: `results/<run_id>/manifest.json` + `items.jsonl` (DESIGN.md, "Run directory").

Reading is shared by compare, report and the importers; the runner's resumable journal writer builds on
the same files. Nothing here ever overwrites a completed result.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.items import sha256_file
from harness.records import RECORD_FIELDS, ItemRecord, is_infra_error

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


def iter_records(run_dir: Path, *, allow_torn_tail: bool = True, history: bool = False) -> Iterator[ItemRecord]:
    """Yield the journal's current records: one per (model, suite, item, sample).

    The journal is append-only. A unit whose record is an infrastructure error (endpoint down, 5xx after
    all retries…) is asked again when the run resumes, and the new record supersedes the error; the old
    line stays in the file as history (`history=True` yields every line). Error records are therefore
    held back until the end, so they come after the completed records. A torn last line (a crash
    mid-write) is skipped when allowed; a bad line anywhere else is an error naming the file and line."""
    path = Path(run_dir) / JOURNAL
    if not path.is_file():
        raise UserError(f"{path}: no journal; is {run_dir} a run directory?")
    pending: dict[tuple[Any, ...], ItemRecord] = {}  # infrastructure errors a later line may supersede
    with open(path, "rb") as f:  # line by line: memory stays flat however long the journal is
        for number, line in enumerate(f, start=1):
            record = _parse_line(line, path, number, allow_torn_tail)
            if record is None:
                continue
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


def _parse_line(line: bytes, path: Path, number: int, allow_torn_tail: bool) -> ItemRecord | None:
    """One journal line as a record; None for a blank line or (when allowed) a torn last line."""
    if not line.strip():
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        if allow_torn_tail and not line.endswith(b"\n"):
            return None  # a torn final line without its newline: the record was never completed
        raise UserError(
            f"{path}:{number}: corrupt journal line; re-run the same command to repair a torn "
            "tail, or remove the line by hand"
        ) from None
    if not isinstance(record, dict):
        raise UserError(f"{path}:{number}: expected a JSON object per line")
    return record


def write_run(run_dir: Path, manifest: dict[str, Any], records: Iterable[ItemRecord]) -> Path:
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
    manifest["journal_bytes"] = (tmp / JOURNAL).stat().st_size
    (tmp / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, run_dir)
    return run_dir


# -- the runner's resumable journal ----------------------------------------------------------------------


RESERVE = ".reserve"  # room kept free in a run directory so the final manifest can be written on a full disk
RESERVE_BYTES = 1 << 20


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically (write a temporary file, then rename): a crash never leaves half
    of one. On a full disk the run directory's reserve is given up to make room for it."""
    path = Path(run_dir) / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.tmp-{os.getpid()}")
    data = orjson.dumps({"schema": SCHEMA, **manifest}, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
                        default=str)
    try:
        _write_file(tmp, data)
    except OSError:
        tmp.unlink(missing_ok=True)
        if not release_reserve(run_dir):
            raise
        _write_file(tmp, data)
    os.replace(tmp, path)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def make_reserve(run_dir: Path) -> None:
    """Set aside RESERVE_BYTES in the run directory (given back at the end, or when a manifest must be
    written on a full disk)."""
    path = Path(run_dir) / RESERVE
    try:
        with open(path, "wb") as f:
            os.posix_fallocate(f.fileno(), 0, RESERVE_BYTES)
    except OSError as e:
        path.unlink(missing_ok=True)
        raise UserError(f"{run_dir}: cannot write to the run directory ({e.strerror or e}); free disk space "
                        "and run again. Nothing was written") from None


def release_reserve(run_dir: Path) -> bool:
    """Give the reserve back; True if there was one."""
    try:
        (Path(run_dir) / RESERVE).unlink()
    except FileNotFoundError:
        return False
    return True


def repair_torn_tail(path: Path) -> int:
    """Truncate a journal's torn last line (a crash mid-write leaves bytes after the last newline);
    returns how many bytes were removed. Complete lines and the part the manifest signed are never
    touched. Takes the journal's writer lock first and refuses (a one-line error) while another process
    holds it: a "torn" line may be that process's write in progress, and cutting it would lose completed
    results."""
    path = Path(path)
    if not path.exists():
        return 0
    with open(path, "r+b") as f:
        _lock(f, path)
        return _cut_torn_tail(f, _signed_bytes(path.parent))


def _lock(f: Any, path: Path) -> None:
    """Take the exclusive writer lock on the open journal `f` (a file or a descriptor), or a one-line
    error if another process holds it."""
    import fcntl

    try:
        fcntl.flock(f if isinstance(f, int) else f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UserError(f"{path}: another asymmetry process is writing this run; wait for it to finish "
                        "or stop it first") from None


def _cut_torn_tail(f: Any, signed: int = 0) -> int:
    """Truncate the locked, readable journal `f` (a file or a descriptor) after its last newline;
    returns the bytes removed. Never cuts into the first `signed` bytes (the part a manifest signed): a
    journal whose signed part is itself torn is a truncated copy, left as found for the check to report."""
    fd = f if isinstance(f, int) else f.fileno()
    size = os.fstat(fd).st_size
    if size <= signed:
        return 0
    position = size
    block = 1 << 16
    while position > 0:
        start = max(0, position - block)
        chunk = os.pread(fd, position - start, start)
        if start + len(chunk) == size and chunk.endswith(b"\n"):
            return 0
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        position = start
    else:
        keep = 0
    if keep == size or keep < signed:
        return 0
    os.ftruncate(fd, keep)
    os.fsync(fd)
    return size - keep


# -- verifying a journal against its manifest ------------------------------------------------------------


def signature(manifest: dict[str, Any]) -> tuple[int | None, str | None]:
    """(bytes, sha256) the manifest signed: the journal's first `bytes` bytes hash to `sha256`. Runs
    written before `journal_bytes` was recorded sign the whole file (bytes None)."""
    size = manifest.get("journal_bytes")
    return (int(size) if isinstance(size, int) and size >= 0 else None), manifest.get("journal_sha256")


def _mismatch(path: Path, size: int | None, expected: str | None, actual_size: int, counts: Any) -> str:
    """The one-line problem for a journal whose signed part changed."""
    what = "changed since the manifest was written"
    if size is not None and actual_size < size:
        what = f"is {size - actual_size:,} bytes shorter than when the manifest was written (lines deleted?)"
    recorded = counts.get("records") if isinstance(counts, dict) else None
    hint = f" (the manifest counts {recorded:,} records)" if isinstance(recorded, int) else ""
    return (f"{path}: the journal {what}{hint}; its sha256 no longer matches the manifest's "
            f"{str(expected)[:12]}…. Restore items.jsonl from a backup, or start a new run: a changed or deleted "
            "line is not re-asked silently")


def session_ended(manifest: dict[str, Any]) -> bool:
    """Whether the run's last session ended (and signed the whole journal as it did): everything but a
    manifest that still says "running" for a session without `ended_at` (a crash or a kill mid-run)."""
    sessions = manifest.get("sessions") or []
    last = sessions[-1] if sessions and isinstance(sessions[-1], dict) else {}
    return not (manifest.get("status") == "running" and not last.get("ended_at"))


def _unsigned(path: Path, manifest: dict[str, Any], size: int, actual_size: int) -> str:
    """The one-line problem for bytes after the signed part: a crashed session's last records (a resume
    keeps and signs them), or, after a session that ended, lines nobody's run wrote."""
    extra = f"{path}: {actual_size - size:,} bytes follow the part the manifest signed"
    if not session_ended(manifest):
        return f"{extra} (a run that crashed or is still running); re-run its command to finish and sign it"
    import shlex

    return (f"{extra}, added after the last session ended ({manifest.get('status')}): no run wrote them. Cut them "
            f"off (truncate -s {size} {shlex.quote(str(path))}) or restore items.jsonl from a backup; a resume will "
            "not sign them")


class Scan:
    """One pass over a journal: every line parsed (in file order) and its bytes hashed, checking the
    part the manifest signed. `records` yields; afterwards `sha256`/`size` hold the whole file's hash
    and length, `hasher` can continue it, and `unsigned_bytes` says how much followed the signature:
    kept only when the last session never ended (it crashed), else refused like a changed line."""

    def __init__(self, run_dir: Path, manifest: dict[str, Any] | None) -> None:
        import hashlib

        self.path = Path(run_dir) / JOURNAL
        self.manifest = manifest or {}
        self.signed_size, self.signed_sha = signature(self.manifest)
        self.hasher = hashlib.sha256()
        self.size = 0
        self.lines = 0
        self.unsigned_bytes = 0

    def records(self) -> Iterator[ItemRecord]:
        signed_size, signed_sha = self.signed_size, self.signed_sha
        checked = signed_sha is None
        with open(self.path, "rb") as f:
            for line in f:
                if not checked and signed_size is not None and self.size + len(line) > signed_size:
                    self._check(signed_size)
                    checked = True
                    if session_ended(self.manifest):  # only a crashed session leaves records it never signed
                        raise UserError(_unsigned(self.path, self.manifest, signed_size, os.path.getsize(self.path)))
                self.hasher.update(line)
                self.size += len(line)
                self.lines += 1
                if not checked and not line.endswith(b"\n"):  # torn inside the signed part: a truncated copy
                    self._check(signed_size if signed_size is not None else self.size)
                    checked = True
                record = _parse_line(line, self.path, self.lines, False)
                if record is not None:
                    yield record
        if not checked:
            self._check(signed_size if signed_size is not None else self.size)
        if signed_size is not None:
            self.unsigned_bytes = max(0, self.size - signed_size)

    def _check(self, at: int) -> None:
        if self.size != at or self.hasher.hexdigest() != self.signed_sha:
            raise UserError(_mismatch(self.path, self.signed_size, self.signed_sha,
                                      os.path.getsize(self.path), self.manifest.get("counts")))

    @property
    def sha256(self) -> str:
        return self.hasher.hexdigest()


def verify_journal(run_dir: Path) -> str | None:
    """None when `run_dir`'s journal is exactly what its manifest signed, else a one-line problem (for
    compare and report: a changed, truncated or extended journal, or one never signed). Streams the
    file; memory stays flat."""
    run_dir = Path(run_dir)
    try:
        manifest = read_manifest(run_dir)
    except UserError as e:
        return str(e)
    path = run_dir / JOURNAL
    if not path.is_file():
        return f"{path}: no journal"
    size, sha = signature(manifest)
    if not sha:
        return f"{run_dir / MANIFEST}: no journal_sha256; the run never finished a session (re-run its command)"
    import hashlib

    hasher = hashlib.sha256()
    read = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            if size is not None and read + len(chunk) > size:
                hasher.update(chunk[: size - read])
                read = size
                break
            hasher.update(chunk)
            read += len(chunk)
    actual = path.stat().st_size
    if hasher.hexdigest() != sha or (size is not None and read != size):
        return _mismatch(path, size, sha, actual, manifest.get("counts"))
    if size is not None and actual > size:
        return _unsigned(path, manifest, size, actual)
    return None


class JournalError(UserError):
    """The journal could not be written for longer than the writer waits (disk full, I/O error). Nothing
    half-written stays behind; the run stops as interrupted and the same command resumes it."""


def encode_record(record: ItemRecord) -> bytes:
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

    Every batch goes out with plain `write(2)` on an O_APPEND descriptor and is counted as written only
    when all its bytes are: a failed or short write (disk full for a moment) is cut back to the last whole
    batch and the batch kept for the next attempt, so a line is never written twice or spliced. A failure
    that lasts `give_up_s` raises `JournalError`. The running sha256 of the file is kept as batches land,
    so signing the journal never re-reads it.

    A torn last line (a crash mid-write) is cut off only once the lock is held (`repaired` says how many
    bytes): before it, the "torn" line may be another live process's write in progress. Only bytes after
    the part the manifest signed are ever cut: a torn line inside it is left for the resume's check."""

    def __init__(self, run_dir: Path, *, batch: int = 512, interval_s: float = 0.5, give_up_s: float | None = None,
                 retry_s: float = 0.2) -> None:
        import hashlib
        import time

        if give_up_s is None:  # how long a full disk is waited out; the environment can shorten it (tests)
            give_up_s = float(os.environ.get("ASYMMETRY_JOURNAL_GIVE_UP_S") or 30.0)

        self.path = Path(run_dir) / JOURNAL
        self._clock = time.monotonic
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            _lock(self._fd, self.path)
            # safe now: no other writer can be mid-line; and never inside what the manifest signed
            self.repaired = _cut_torn_tail(self._fd, _signed_bytes(Path(run_dir)))
        except BaseException:
            os.close(self._fd)
            raise
        self.size = os.fstat(self._fd).st_size
        self.hasher = hashlib.sha256()
        self._hashed = False  # set by `continue_hash` after a verified scan; else hashed on first need
        self._buffer: list[bytes] = []
        self._batch, self._interval = batch, interval_s
        self._give_up_s, self._retry_s = give_up_s, retry_s
        self._last = self._clock()
        self._failing_since: float | None = None
        self.written = 0
        self.write_failures = 0  # failed write attempts (each rolled back and retried)
        self.dropped = 0  # records never written because the disk stayed full (asked again on resume)
        self.closed = False
        self.on_flush: Any = None  # called after each batch lands (the runner checkpoints the manifest)

    def continue_hash(self, scan: Scan) -> None:
        """Take over the hash of a scan of this very file (so it is not read twice)."""
        if scan.size != self.size:
            raise UserError(f"{self.path}: the journal changed while it was read ({scan.size} != {self.size} bytes)")
        self.hasher, self._hashed = scan.hasher, True

    def _ensure_hash(self) -> None:
        if not self._hashed:
            with open(self.path, "rb") as f:
                while chunk := f.read(1 << 20):
                    self.hasher.update(chunk)
            self._hashed = True

    @property
    def sha256(self) -> str:
        self._ensure_hash()
        return self.hasher.hexdigest()

    def append(self, record: ItemRecord) -> None:
        self.append_line(encode_record(record))

    def append_line(self, line: bytes) -> None:
        """Append one encoded record (a line ending in a newline), e.g. from a client process."""
        self._buffer.append(line)
        now = self._clock()
        if self._failing_since is not None:
            if now - self._last >= self._retry_s:
                self.flush()
        elif len(self._buffer) >= self._batch or now - self._last >= self._interval:
            self.flush()

    def flush(self) -> bool:
        """Write the buffered records; False (and nothing written) when the write failed and will be
        retried. Raises `JournalError` once writes have failed for `give_up_s`."""
        self._last = self._clock()
        if not self._buffer:
            return True
        self._ensure_hash()
        data = b"".join(self._buffer)
        try:
            _write_all(self._fd, data)
        except OSError as e:
            self._rollback()
            self.write_failures += 1
            if self._failing_since is None:
                self._failing_since = self._clock()
            if self._clock() - self._failing_since >= self._give_up_s:
                raise JournalError(f"{self.path}: cannot write the journal ({e.strerror or e}) for "
                                   f"{self._give_up_s:g}s; {len(self._buffer):,} finished record(s) were not kept. "
                                   "Free disk space, then re-run the same command: it resumes") from None
            return False
        self.hasher.update(data)
        self.size += len(data)
        self.written += len(self._buffer)
        self._buffer.clear()
        self._failing_since = None
        if self.on_flush is not None:
            self.on_flush()
        return True

    def _rollback(self) -> None:
        """Cut whatever part of a failed batch reached the file (a short write leaves half a line)."""
        try:
            if os.fstat(self._fd).st_size != self.size:
                os.ftruncate(self._fd, self.size)
        except OSError as e:
            raise JournalError(f"{self.path}: a failed write could not be rolled back ({e.strerror or e}); "
                               "re-run the same command once the disk is healthy: it repairs a torn tail") from None

    def close(self) -> None:
        """Flush (waiting out a transient failure up to `give_up_s`), fsync and release the lock. If the
        buffer cannot be written, it is dropped (those units are asked again on resume) and
        `JournalError` is raised after the lock is released."""
        if self.closed:
            return
        import time

        error: JournalError | None = None
        try:
            while not self.flush():
                time.sleep(self._retry_s)
        except JournalError as e:
            error = e
            self.dropped += len(self._buffer)
            self._buffer.clear()
        try:
            os.fsync(self._fd)
        except OSError:
            pass
        os.close(self._fd)
        self.closed = True
        if error is not None:
            raise error


def _signed_bytes(run_dir: Path) -> int:
    """How many leading journal bytes the run's manifest signed (0 without a manifest, or for one written
    before `journal_bytes` was recorded)."""
    try:
        manifest = read_manifest(run_dir)
    except UserError:
        return 0
    return signature(manifest)[0] or 0


def _write_all(fd: int, data: bytes) -> None:
    """write(2) until every byte is out; a short write followed by an error raises that error."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(28, "short write")
        view = view[n:]


def skip_non_runs(paths: Sequence[Path]) -> list[Path]:
    """Of several --results paths (a shell glob such as results/*), the run directories; anything else
    (results/README.md, a folder of plots) is left out with a note on stderr. One path is taken as given, so
    a mistyped run directory still gets its own error."""
    import sys

    if len(paths) < 2:
        return list(paths)
    runs = [p for p in paths if (Path(p) / MANIFEST).is_file()]
    skipped = [str(p) for p in paths if p not in runs]
    if runs and skipped:
        print(f"note: left out {', '.join(skipped)}: not run directories (no {MANIFEST})", file=sys.stderr)
    return runs or list(paths)
