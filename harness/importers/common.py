"""What both importers share: run ids, secret scrubbing, per-suite summaries, and writing the run.

An import writes an ordinary run directory (`harness.run.store.write_run`), so compare and report read it
unchanged. The run id is derived from the source files' hashes and the import's choices, so importing the
same logs twice stops at "already exists" instead of duplicating a run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import UserError
from harness.items import content_hash, sha256_file
from harness.models.redact import redact_args, scrub  # noqa: F401 - the importers' names for them
from harness.records import ItemRecord
from harness.run.store import write_run

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def check_label(label: str) -> str:
    """A model label as the rest of the harness spells it (letters, digits, . _ + -)."""
    if not _LABEL.match(label or ""):
        raise UserError(f"--model {label!r}: a label is letters, digits and . _ + - (e.g. qwen3-8b)")
    return label


def iso_time(value: Any) -> str | None:
    """An ISO-8601 UTC timestamp from a unix time or an ISO string (None when absent)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(float(value), dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


@dataclass
class SourceFile:
    """One file an import read, with its hash: the provenance a skeptic re-checks."""

    path: Path
    role: str  # results | samples | log
    task: str | None = None
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = sha256_file(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path.resolve()), "role": self.role, "task": self.task, "sha256": self.sha256}


@dataclass
class SuiteSummary:
    """One imported suite, for the manifest and the command's table."""

    name: str
    version: str
    category: str
    capability: str
    label: str
    tasks: list[str]
    selection: str  # e.g. "flexible-extract / exact_match" or "match"
    n_items: int = 0
    n_records: int = 0
    n_errors: int = 0
    score_sum: float = 0.0  # over records without an error

    reported: float | None = None  # the source's own aggregate, when it states one (cross-check)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accuracy(self) -> float | None:
        """Mean score over the records without an error (errors are counted apart, as compare does)."""
        scored = self.n_records - self.n_errors
        return self.score_sum / scored if scored else None

    def add(self, score: float, error: str | None) -> None:
        self.n_records += 1
        if error is None:
            self.score_sum += score
        else:
            self.n_errors += 1

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "category": self.category,
                "capability": self.capability, "label": self.label, "tasks": self.tasks,
                "selection": self.selection, "n_items": self.n_items, "n_records": self.n_records,
                "n_errors": self.n_errors, "accuracy": self.accuracy, "reported": self.reported, **self.extra}


@dataclass
class ImportResult:
    """What an import produced: the run directory, its suites, and warnings the user should read."""

    run_dir: Path
    suites: list[SuiteSummary]
    warnings: list[str]


def make_run_id(label: str, fmt: str, sources: Iterable[SourceFile], choices: Any) -> str:
    """`<label>-<fmt>-<hash>`: the same logs imported the same way always get the same id."""
    digest = content_hash({"sources": sorted(s.sha256 for s in sources), "choices": choices, "label": label}, 10)
    return f"{label}-{fmt}-{digest}"


def write_import(out: Path, run_id: str, manifest: dict[str, Any], records: Iterable[ItemRecord]) -> Path:
    """Write the run directory atomically (never over an existing one)."""
    manifest = {"run_id": run_id, "harness_version": __version__,
                "imported_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"), **manifest}
    return write_run(Path(out) / run_id, manifest, records)
