"""The one small protocol every model adapter speaks.

A suite builds a `ChatRequest` (messages and optional tools); the runner fills in the run's decoding
parameters and sample index; an adapter turns it into its provider's HTTP call and returns a
`ChatResponse`. Failures after the adapter's retries are raised as `ModelError` with an error kind from
`harness.records.ERROR_KINDS`, so the runner can journal them instead of counting them as wrong answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Decoding:
    """Decoding parameters; recorded in the manifest and identical for every suite of a run."""

    temperature: float = 0.0
    top_p: float | None = None
    max_tokens: int = 2048
    seed: int | None = 1234  # sample j is sent with seed + j, so K samples are distinct but repeatable
    stop: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # provider extras passed through verbatim

    def for_sample(self, sample: int) -> Decoding:
        """The parameters for sample `sample`: same settings, seed offset by the sample index."""
        if self.seed is None:
            return self
        return Decoding(self.temperature, self.top_p, self.max_tokens, self.seed + sample, self.stop, self.extra)


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call the model asked for. `arguments` is the parsed JSON object, or the raw string
    when it was not valid JSON (suites decide whether that is a parse failure)."""

    name: str
    arguments: dict[str, Any] | str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What a suite asks of a model: OpenAI-style messages, optional OpenAI-style tool schemas."""

    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] | None = None
    decoding: Decoding = field(default_factory=Decoding)
    sample: int = 0


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ChatResponse:
    """What came back. `served_model` is the model id the endpoint says it served (provenance)."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    latency_s: float = 0.0
    served_model: str | None = None
    redacted: bool = False  # the endpoint echoed a secret, which was masked (`***`) in the text
    invalid_unicode: bool = False  # the body held characters JSON text cannot carry (a lone surrogate): U+FFFD now


class ModelError(Exception):
    """A request that failed after all retries; `kind` is one of `harness.records.ERROR_KINDS`.
    `response` keeps whatever text the model did return (a filtered or unparseable reply)."""

    def __init__(self, kind: str, message: str, *, response: str = "", redacted: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.response = response
        self.redacted = redacted  # the API key was masked in `response` or the message


def is_json_data(value: Any, depth: int = 0) -> bool:
    """Whether `value` is plain JSON data (objects with string keys, arrays, strings, numbers, booleans,
    null). Tool calls read from a model's text as a Python literal may hold anything else ({1: "x"},
    sets, bytes): those are unreadable calls, not data to store or act on."""
    if depth > 100:
        return False
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, list | tuple):
        return all(is_json_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_data(v, depth + 1) for k, v in value.items())
    return False


class Adapter(Protocol):
    """A model endpoint. One instance per model; it owns its pooled client and retry policy."""

    label: str

    async def chat(self, request: ChatRequest) -> ChatResponse: ...

    async def aclose(self) -> None: ...


#: What a suite's solver is handed: send one request to the model under test, get its response.
Generate = Callable[[ChatRequest], Awaitable[ChatResponse]]
