"""The lm-eval model class's request journal: every request it sent and what came back, one file per model.

It doubles as the cache, and unlike lm-eval's `--use_cache` (a sqlite file keyed on the request alone,
so pointing two models at one cache file serves one model's answers to the other) every entry is keyed
by the model's identity (provider, model name, api, extras) together with the messages and decoding.
Appends are flushed line by line, so a crash loses at most the request in flight; a torn last line is
cut off before the next append. Errors are journaled too but never served: re-running retries them.
Several processes may share one journal (two lm-eval runs of the same model): each line is written, and
a torn tail is only cut, under an exclusive lock, so one process never cuts another's write in progress.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.items import canonical_json
from harness.models.base import Decoding

#: Where journals go unless the model_args say `cache_dir=`.
CACHE_ENV = "ASYMMETRY_LMEVAL_CACHE"


def default_cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "asymmetry" / "lm-eval")


def decoding_dict(decoding: Decoding) -> dict[str, Any]:
    """The decoding as plain JSON data (built directly: `dataclasses.asdict` deep-copies, per request)."""
    return {"temperature": decoding.temperature, "top_p": decoding.top_p, "max_tokens": decoding.max_tokens,
            "seed": decoding.seed, "stop": list(decoding.stop), "extra": dict(decoding.extra)}


class RequestJournal:
    """Append-only JSONL at `<dir>/<label>-<identity hash>.jsonl`, loaded into memory as the cache."""

    def __init__(self, directory: Path, label: str, identity: Mapping[str, Any]) -> None:
        self.identity = dict(identity)
        self.identity_hash = hashlib.sha256(canonical_json(self.identity)).hexdigest()
        directory = Path(directory).expanduser()
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UserError(f"cache_dir {directory}: cannot create it ({e.strerror})") from None
        self.path = directory / f"{label}-{self.identity_hash[:12]}.jsonl"
        self._answers: dict[str, dict[str, Any]] = {}
        self.hits = 0
        self.appended = 0
        self._file = open(self.path, "a+b")  # noqa: SIM115 - kept open for the model's lifetime
        try:
            self._load()
        except BaseException:
            self._file.close()
            raise

    def key(self, messages: Sequence[Mapping[str, Any]], decoding: Mapping[str, Any]) -> str:
        """The cache key: this model's identity, the conversation and the decoding (`decoding_dict`, seed
        included)."""
        return hashlib.sha256(canonical_json(
            {"model": self.identity_hash, "messages": messages, "decoding": decoding})).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self._answers.get(key)
        if entry is not None:
            self.hits += 1
        return entry

    def append(self, entry: dict[str, Any]) -> None:
        entry = {"at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"), "model": self.identity_hash,
                 **entry}
        line = orjson.dumps(entry) + b"\n"
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)  # another process may be cutting a torn tail
        try:
            self._file.write(line)
            self._file.flush()
        finally:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
        self.appended += 1
        if entry.get("error") is None:
            self._answers[entry["key"]] = entry

    def close(self) -> None:
        if not self._file.closed:
            os.fsync(self._file.fileno())
            self._file.close()

    def _load(self) -> None:
        f = self._file
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # no other process is mid-line while we read and cut
        try:
            f.seek(0)
            data = f.read()
            if data and not data.endswith(b"\n"):  # a torn last line: a crash before the request completed
                cut = data.rfind(b"\n") + 1
                f.truncate(cut)
                f.flush()
                data = data[:cut]
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
        for number, line in enumerate(data.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise UserError(f"{self.path}:{number}: corrupt journal line; remove that line (the request "
                                "will be sent again)") from None
            if entry.get("model") == self.identity_hash and entry.get("error") is None and "key" in entry:
                self._answers[entry["key"]] = entry
