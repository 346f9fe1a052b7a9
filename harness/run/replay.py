"""The `replay` adapter: answers from an earlier run's journal, so anyone can re-score a published run
without access to the model.

The runner records, in each journal record's `turns`, every request the suite made (as a key over the
messages, tools and sample index) and what came back (the last turn's text is left out when it is the
record's `response`, marked `text_is_response`). Replay looks requests up by that key: a changed
prompt, a different tool result in a multi-turn suite, or another sample index finds nothing and is
journaled as `replay_missing`, never answered with something else. Recorded errors replay as errors.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.items import canonical_json
from harness.models import open_adapter
from harness.models.base import Adapter, ChatRequest, ChatResponse, ModelError, ToolCall, Usage
from harness.models.spec import ModelSpec


def request_key(request: ChatRequest) -> str:
    """What a recorded answer is filed under: the conversation, the tools offered and the sample index."""
    return hashlib.sha256(canonical_json(
        {"messages": request.messages, "tools": request.tools, "sample": request.sample})).hexdigest()


def turn_record(key: str, response: ChatResponse | None = None, error: ModelError | None = None) -> dict[str, Any]:
    """One entry of a record's `turns`: the request key and the response (or the error) it got."""
    if error is not None:
        turn: dict[str, Any] = {"key": key, "error": error.kind, "text": error.response}
        if getattr(error, "redacted", False):
            turn["redacted"] = True
        return turn
    assert response is not None
    turn = {"key": key, "text": response.text, "finish_reason": response.finish_reason,
            "served_model": response.served_model, "latency_s": response.latency_s,
            "usage": [response.usage.prompt_tokens, response.usage.completion_tokens]}
    if response.tool_calls:
        turn["tool_calls"] = [{"name": c.name, "arguments": c.arguments, "id": c.id} for c in response.tool_calls]
    if response.redacted:
        turn["redacted"] = True  # the endpoint echoed a secret: the text holds *** where it was
    if response.invalid_unicode:
        turn["invalid_unicode"] = True  # a lone surrogate (or non-UTF-8 bytes) became U+FFFD
    return turn


class ReplayAdapter:
    """Serves recorded turns of model `spec.model` from the run directory `spec.base_urls[0]`."""

    def __init__(self, spec: ModelSpec) -> None:
        from harness.run.store import JOURNAL, read_manifest, signature, verify_journal

        self.spec = spec
        self.label = spec.label
        run_dir = Path(spec.base_urls[0])
        manifest = read_manifest(run_dir)
        self._path = run_dir / JOURNAL
        signed_size, signed_sha = signature(manifest)
        if not signed_sha:
            raise UserError(f"{run_dir / 'manifest.json'}: no journal_sha256, so its journal cannot be checked; "
                            "replay needs a run that finished a session (re-run its command first)")
        # request key (first 16 bytes) -> where its record's line starts: the answers stay on disk and are
        # read when asked, so memory does not grow with the responses (a later line supersedes an earlier);
        # each such line's digest is kept too, so a line changed during the replay is caught when read
        self._where: dict[bytes, int] = {}
        self._digests: dict[int, bytes] = {}
        labels: set[str] = set()
        records = 0
        offset = 0
        hasher = hashlib.sha256()  # the bytes actually read, checked against the manifest's signature
        self._fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC) if self._path.is_file() else None
        if self._fd is None:
            raise UserError(f"{self._path}: no journal; is {run_dir} a run directory?")
        with open(self._fd, "rb", closefd=False) as f:
            for line in f:
                start, offset = offset, offset + len(line)
                if signed_size is not None and offset > signed_size:  # a crashed run, or lines added by hand
                    self.close()
                    problem = verify_journal(run_dir) or f"{self._path}: bytes follow the part its manifest signed"
                    raise UserError(f"{problem} (replay reads only a journal exactly as its manifest signed it)")
                hasher.update(line)
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    self._refuse(f"corrupt journal line at byte {start}")
                model = str(record.get("model"))
                labels.add(model)
                if model != spec.model:
                    continue
                records += 1
                for turn in record.get("turns") or ():
                    self._where[bytes.fromhex(turn["key"])[:16]] = start
                self._digests[start] = _digest(line)
        if hasher.hexdigest() != signed_sha or (signed_size is not None and offset != signed_size):
            self._refuse("changed since its manifest was written (its sha256 no longer matches)")
        self.source = {"run_dir": str(run_dir), "run_id": manifest.get("run_id"),
                       "journal_sha256": hasher.hexdigest(), "journal_bytes": offset, "model": spec.model}
        if spec.model not in labels:
            raise UserError(f"{run_dir}: no records for model {spec.model!r}; it holds "
                            f"{', '.join(sorted(labels)) or 'no records'} (use LABEL=replay:MODEL@{run_dir})")
        if records and not self._where:
            raise UserError(f"{run_dir}: the records of {spec.model!r} carry no recorded turns (an imported run?); "
                            "only runs written by `asymmetry run` can be replayed")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _refuse(self, problem: str) -> None:
        """A one-line error for a source journal that is not what its manifest signed (and close it)."""
        self.close()
        raise UserError(f"{self._path}: {problem}; replay re-scores only a journal exactly as its manifest signed "
                        "it. Restore items.jsonl from a backup (or a published copy) and replay that")

    def __len__(self) -> int:
        """How many recorded answers this replay can serve."""
        return len(self._where)

    def _turn(self, key: str) -> dict[str, Any] | None:
        start = self._where.get(bytes.fromhex(key)[:16])
        if start is None:
            return None
        if self._fd is None:
            raise UserError(f"{self._path}: the replay was closed")
        chunks = []
        position = start
        while True:
            chunk = os.pread(self._fd, 1 << 16, position)
            newline = chunk.find(b"\n")
            if newline >= 0 or not chunk:
                chunks.append(chunk[: newline + 1 if newline >= 0 else len(chunk)])
                break
            chunks.append(chunk)
            position += len(chunk)
        line = b"".join(chunks)
        if _digest(line) != self._digests.get(start):
            self._refuse(f"changed while it was replayed (the line at byte {start} differs from what was checked)")
        record = orjson.loads(line)
        for turn in record.get("turns") or ():
            if turn.get("key") == key:
                return {**turn, "text": record.get("response")} if turn.get("text_is_response") else turn
        return None

    async def chat(self, request: ChatRequest) -> ChatResponse:
        turn = self._turn(request_key(request))
        if turn is None:
            raise ModelError("replay_missing", f"{self.label}: no recorded answer for this request (sample "
                             f"{request.sample}) in {self.source['run_dir']}; the prompt or suite changed")
        if turn.get("error"):
            raise ModelError(turn["error"], f"{self.label}: replayed error {turn['error']}",
                             response=turn.get("text") or "")
        usage = turn.get("usage") or [None, None]
        calls = tuple(ToolCall(c["name"], c["arguments"], c.get("id")) for c in turn.get("tool_calls") or ())
        return ChatResponse(turn.get("text") or "", calls, turn.get("finish_reason"), Usage(*usage),
                            float(turn.get("latency_s") or 0.0), turn.get("served_model"),
                            invalid_unicode=bool(turn.get("invalid_unicode")))

    async def aclose(self) -> None:
        self.close()


def _digest(line: bytes) -> bytes:
    return hashlib.blake2b(line, digest_size=16).digest()


def open_model(spec: ModelSpec, **options: Any) -> Adapter:
    """An adapter for `spec`: the replay of an earlier run for `replay:` specs, else the HTTP adapter.
    Options are the HTTP adapter's (see `harness.models.open_adapter`); replay takes none."""
    if spec.api == "replay":
        return ReplayAdapter(spec)
    return open_adapter(spec, **options)
