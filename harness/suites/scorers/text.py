"""Text scorers: `exact` (string equality after strip) and `short_answer` (SQuAD-style normalisation
against a list of aliases), plus `visible_text`, which every scorer uses to drop reasoning blocks."""

from __future__ import annotations

import asyncio
import re
import string
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from harness.items import Item, Outcome
from harness.models.base import ChatResponse

_THINK_OPEN = re.compile("<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile("</think>", re.IGNORECASE)
#: The most characters of a reply's visible part that the scorers read (its last ones): every extraction
#: step is linear, and this bounds the time one reply can hold the event loop (a degenerate reply that
#: repeats itself to its token limit says nothing new past this).
MAX_SCORED_CHARS = 200_000
#: Replies longer than this are read in a worker thread (see `read_reply`).
OFF_LOOP_CHARS = 32_768
_T = TypeVar("_T")


async def read_reply(extract: Callable[..., _T], text: str | None, *args: Any) -> _T:
    """`extract(text, *args)`: in a worker thread for a long reply, so that the event loop, which serves
    every other request of the run, gets its turns between the extraction's steps; inline for a short
    one (the thread would cost more than the reading)."""
    if text is not None and len(text) > OFF_LOOP_CHARS:
        return await asyncio.to_thread(extract, text, *args)
    return extract(text, *args)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | {"‘", "’", "“", "”", "–", "—", "…", "«", "»"}
_LEAD_INS = re.compile(
    r"^(?:(?:the\s+)?(?:final\s+|short\s+|correct\s+)?answer\s*(?:is|:)\s*|a:\s*)", re.IGNORECASE
)
_MARKER = re.compile(r"(?:final answer|answer)\s*(?:is|:)\s*", re.IGNORECASE)


def strip_think(text: str) -> str:
    """`text` without its `<think>…</think>` blocks (each up to the first closing tag after it; an opening
    tag that is never closed stays). A scan, not a regex: `<think>.*?</think>` retried from each of
    20,000 unclosed tags takes quadratic time."""
    kept, pos = [], 0
    while (opening := _THINK_OPEN.search(text, pos)) is not None:
        closing = _THINK_CLOSE.search(text, opening.end())
        if closing is None:
            break
        kept.append(text[pos : opening.start()])
        pos = closing.end()
    kept.append(text[pos:])
    return "".join(kept)


def visible_text(text: str | None, *, keep_indent: bool = False) -> str:
    """The answer part of a response: `<think>…</think>` blocks removed (and anything before a lone
    closing `</think>`, which some servers leave when they strip the opening tag), at most its last
    MAX_SCORED_CHARS characters, then stripped (only of blank lines with `keep_indent`, so a code
    completion keeps its first line's indent)."""
    text = strip_think(text or "")
    closings = list(_THINK_CLOSE.finditer(text))
    if closings:
        text = text[closings[-1].end() :]
    text = text[-MAX_SCORED_CHARS:]
    if keep_indent:
        return "\n".join(text.split("\n")[_first_content_line(text):]).rstrip()
    return text.strip()


def _first_content_line(text: str) -> int:
    lines = text.split("\n")
    return next((i for i, line in enumerate(lines) if line.strip()), len(lines))


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles (a/an/the), single spaces; plus
    Unicode NFKC and accents folded, so 'Zürich' matches 'Zurich'."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = "".join(" " if ch in _PUNCT else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def extract_short_answer(text: str) -> str:
    """The answer a model gave: after the last 'Answer:' / 'answer is' marker if there is one, else
    the first non-empty line; lead-ins like 'The answer is' and a trailing period are dropped."""
    text = visible_text(text)
    markers = list(_MARKER.finditer(text))
    if markers:
        text = text[markers[-1].end():]
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = _LEAD_INS.sub("", line.strip("*_ \t")).strip("*_ \t")
    return line.rstrip(".").strip()


def match_aliases(answer: str, aliases: Sequence[str], *, contains: bool = False, max_tokens: int = 10) -> str | None:
    """The alias the answer matches, or None. Exact match after normalisation; with `contains`, an alias
    may also appear as a whole-word span inside an answer of at most `max_tokens` words."""
    got = normalize_answer(answer)
    if not got:
        return None
    for alias in aliases:
        if normalize_answer(alias) == got:
            return alias
    if contains:
        tokens = got.split()
        if len(tokens) <= max_tokens:
            padded = f" {got} "
            for alias in aliases:
                norm = normalize_answer(alias)
                if norm and f" {norm} " in padded:
                    return alias
    return None


async def score_short_answer(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """Short factual answers (NQ-open, TriviaQA, SimpleQA). The answer is read from the response
    (after 'Answer:' if present, else its first line), normalised SQuAD-style (case, punctuation,
    articles, spaces, accents) and compared with every alias in `item.target`.

    Settings: `contains` (default false): also accept an alias that appears as a whole-word span in an
    answer of at most `max_tokens` (default 10) words. Chat models wrap short answers in short sentences
    ('It was Bobby Scott'); the length cap keeps lists and essays from passing by mentioning the alias.
    """
    aliases = [item.target] if isinstance(item.target, str) else [str(a) for a in item.target or ()]
    answer = await read_reply(extract_short_answer, response.text)
    if not answer:
        return Outcome(score=0.0, correct=False, error="parse_failure", extracted=None)
    hit = match_aliases(
        answer, aliases, contains=bool(settings.get("contains", False)), max_tokens=int(settings.get("max_tokens", 10))
    )
    return Outcome(score=1.0 if hit else 0.0, correct=hit is not None, extracted=answer)


async def score_exact(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """Exact string match after stripping whitespace (reasoning blocks removed); `item.target` may be a
    string or a list of acceptable strings. For simple suites and the throughput benchmark."""
    targets = [item.target] if not isinstance(item.target, (list, tuple)) else list(item.target)
    got = await read_reply(visible_text, response.text)
    correct = any(got == str(t).strip() for t in targets)
    return Outcome(score=1.0 if correct else 0.0, correct=correct, extracted=got)
