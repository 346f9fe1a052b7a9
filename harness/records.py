"""The item record and item table contracts of DESIGN.md, in one place.

Every part that writes or reads per-item results (runner, importers, compare, report) uses these
names, so a journal written by one part is read unchanged by every other.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal, TypedDict

Category = Literal["targeted", "untargeted"]
Capability = Literal["coding", "agentic", "math", "factual"]

CATEGORIES: Final = ("targeted", "untargeted")
CAPABILITIES: Final = ("coding", "agentic", "math", "factual")
CAPABILITY_CATEGORY: Final = {
    "coding": "targeted",
    "agentic": "targeted",
    "math": "untargeted",
    "factual": "untargeted",
}

#: One JSON object per (model, suite, item, sample) in a run's append-only journal, in this order.
RECORD_FIELDS: Final = (
    "run_id",
    "model",
    "suite",
    "suite_version",
    "category",
    "capability",
    "item_id",
    "item_hash",
    "sample",
    "score",
    "correct",
    "error",
    "response",
    "extracted",
    "latency_s",
    "usage",
    "started_at",
)



class _RecordFields(TypedDict):
    """The fields DESIGN.md names (RECORD_FIELDS), present in every record of every journal."""

    run_id: str
    model: str
    suite: str
    suite_version: str | None
    category: str  # Category
    capability: str | None  # Capability (None in hand-made or old journals)
    item_id: str
    item_hash: str | None
    sample: int
    score: float
    correct: bool
    error: str | None  # None, or one of ERROR_KINDS
    response: Any  # the model's text (imported logs may keep their own structure)
    extracted: Any  # what the scorer read from the answer (code scorers: a dict with `flags`)
    latency_s: float | None
    usage: dict[str, Any] | None
    started_at: str | None


class ItemRecord(_RecordFields, total=False):
    """One line of a run's journal: the contract's fields, then what the writer adds. Readers use `.get` for
    these extras; compare reads only the contract's fields (and `cluster`, `release_date`, `extracted.flags`)."""

    # written by the runner (harness.run.runner)
    served_model: str | None  # the model id the endpoint said it served
    finish_reason: str | None
    seed: int | None
    cluster: str | None
    release_date: str | None
    turns: list[dict[str, Any]]  # every request and answer of an agentic item
    error_message: str  # what went wrong, when `error` is set (redacted)
    redacted: bool  # the endpoint echoed a secret: its text holds *** instead
    # written by the importers (harness.importers): where the line came from
    task: str
    source: str
    scorer: str
    error_scored: bool
    doc_id: int | None
    target: Any
    filter: str
    metric: str
    doc_hash: str
    prompt_hash: str | None
    target_hash: str | None


#: Columns every item table has; compare pairs two releases on (suite, item_id).
TABLE_REQUIRED: Final = ("model", "suite", "category", "item_id", "score")
#: Columns an item table may have.
TABLE_OPTIONAL: Final = ("sample", "cluster", "capability", "error", "item_hash", "suite_version", "release_date",
                         "flags")
#: The `flags` column: a record's review flags (`extracted["flags"]`, set by the code scorers; names in
#: harness.suites.scorers.code), sorted and joined with this separator; "" when the record has none.
FLAG_SEPARATOR: Final = ";"

#: Published-score table (score-level mode).
SCORES_REQUIRED: Final = ("model", "suite", "category", "score", "n_items")
SCORES_OPTIONAL: Final = ("source", "setting", "capability")

# Error kinds. An error is never a wrong answer: compare reports error rates per release and applies one
# pre-registered rule to both. Infrastructure errors say nothing about the model's ability (the item is
# left out of the pairing by default); model errors are the model's own doing (scored as failures by
# default, and still reported).
INFRA_ERRORS: Final = frozenset(
    {
        "timeout",  # the endpoint did not answer within the request timeout, after all retries
        "connection",  # refused, reset or dropped connection, after all retries
        "http_429",  # still rate-limited after all retries
        "http_4xx",  # a client error other than 429 (bad request, auth): usually a configuration problem
        "http_5xx",  # server error after all retries
        "malformed_response",  # the endpoint's body was not the protocol's JSON
        "replay_missing",  # the replay adapter has no recorded answer for this request
        "harness",  # a bug or unexpected exception inside the harness itself
    }
)
MODEL_ERRORS: Final = frozenset(
    {
        "parse_failure",  # the answer could not be parsed in the suite's protocol (e.g. a tool call)
        "refusal",  # the endpoint reported a refusal or content filter
        "truncated",  # generation stopped at max_tokens before an answer appeared
        "sandbox_timeout",  # model-written code ran past its wall-clock or CPU limit
        "sandbox_crash",  # model-written code crashed the interpreter (signal, not a test failure)
        "sandbox_memory",  # model-written code exceeded its address-space limit
        "sandbox_output",  # model-written code printed past the output cap
        "step_limit",  # an agent used up its step budget without finishing
    }
)
ERROR_KINDS: Final = INFRA_ERRORS | MODEL_ERRORS


def flags_text(extracted: object) -> str:
    """A record's review flags as the item table's `flags` value: sorted, ";"-joined, "" for none (also for
    an `extracted` that is not a mapping, as imported records' often is)."""
    found = extracted.get("flags") if isinstance(extracted, dict) else None
    if not isinstance(found, list | tuple):
        return ""
    return FLAG_SEPARATOR.join(sorted({str(f).strip() for f in found if str(f).strip()}))


def split_flags(text: object) -> list[str]:
    """The flag names in one `flags` cell ("" or a missing value: none)."""
    if not isinstance(text, str):
        return []
    return sorted({f.strip() for f in text.split(FLAG_SEPARATOR) if f.strip()})


def is_infra_error(kind: str | None) -> bool:
    """True for errors of the harness or endpoint, which say nothing about the model's ability."""
    return kind is not None and kind in INFRA_ERRORS


def category_of(capability: str) -> str:
    """The category (targeted|untargeted) a capability belongs to."""
    try:
        return CAPABILITY_CATEGORY[capability]
    except KeyError:
        raise ValueError(f"unknown capability {capability!r}; expected one of {', '.join(CAPABILITIES)}") from None


# ------------------------------------------------------------------ CSV cells of the tables we write
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


_DEFUSED = re.compile(r"'*[=+\-@\t\r]")  # (apostrophes, then) a formula's first character


def csv_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or CR (a formula, e.g. a
    suite or model named `=HYPERLINK(...)` or `+cmd|' /C calc'!A0`) gets a leading apostrophe, as OWASP
    advises; so does such text that already starts with apostrophes, so that `csv_unsafe` gives back
    exactly the text. Numbers, and text that is just a number ("-0.5"), are left as they are."""
    if isinstance(value, str) and _DEFUSED.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_unsafe(value: Any) -> Any:
    """The text `csv_safe` was given, from the cell it wrote (for readers of the CSVs we write, such as
    `asymmetry export`'s): one leading apostrophe before a formula's first character is dropped."""
    if isinstance(value, str) and value.startswith("'") and _DEFUSED.match(value, 1):
        return value[1:]
    return value
