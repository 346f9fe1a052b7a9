"""Items and their hashes: the data every other part of the harness shares.

An `Item` is one question; a `Suite` pairs items with a `solve` coroutine that asks the model (through
the `generate` function the runner hands it) and scores the answer into an `Outcome`. The runner never
knows how a suite prompts or scores; a suite never knows about HTTP, retries or journals. This module sits
at the bottom of the package: it imports only the chat protocol of `harness.models.base`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from harness.models.base import Generate


def canonical_json(value: Any) -> bytes:
    """Stable bytes for hashing: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def content_hash(value: Any, n: int = 16) -> str:
    """sha256 of a JSON-able value's canonical JSON, cut to `n` hex digits (16: a suite version; run ids,
    content hashes)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()[:n]


def item_hash(input: Any, target: Any) -> str:
    """sha256 of an item's content; two releases pair on an item only when its hash is the same."""
    return hashlib.sha256(canonical_json({"input": input, "target": target})).hexdigest()


@dataclass(frozen=True, slots=True)
class Item:
    """One question. `input` is what the suite's prompt template renders; `target` what it scores against."""

    id: str
    input: Any
    target: Any = None
    cluster: str | None = None  # item-cluster (repo, passage, task family) for clustered inference
    release_date: str | None = None  # ISO date the item was published, for the fresh-items split
    meta: Mapping[str, Any] = field(default_factory=dict)
    hash: str = ""

    def __post_init__(self) -> None:
        if not self.hash:
            object.__setattr__(self, "hash", item_hash(self.input, self.target))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A scored answer. `error` (an `ERROR_KINDS` name) is kept apart from a wrong answer."""

    score: float
    correct: bool
    error: str | None = None
    response: str = ""
    extracted: Any = None


Solver = Callable[[Item, Generate], Awaitable[Outcome]]


@dataclass(frozen=True)
class Suite:
    """A loaded suite. `version` is the content hash over items + prompt + scorer settings."""

    name: str
    version: str
    category: str  # targeted | untargeted
    capability: str  # coding | agentic | math | factual
    items: Sequence[Item]
    solve: Solver
    description: str = ""
    source: str = ""
    offline: bool = True
    content_hash: str = ""  # the full sha256 behind `version`
    provenance: Mapping[str, Any] = field(default_factory=dict)  # where the items came from (files, sha256)
