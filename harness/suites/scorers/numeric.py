"""The `number` scorer: GSM8K-style final-number extraction and exact rational comparison."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse
from harness.suites.scorers.boxed import last_boxed
from harness.suites.scorers.text import read_reply, visible_text

# A number as people write it: optional sign and currency, thousands separators, decimals, a/b fractions.
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>[-−–]?)\s?[$€£¥]?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s?/\s?(?P<den>\d+(?:\.\d+)?))?"
)
_MARKERS = (
    re.compile(r"####\s*", re.IGNORECASE),
    re.compile(r"answer\s*(?:is|:|=)\s*:?\s*", re.IGNORECASE),
)


def parse_number(text: str) -> Fraction | None:
    """The first number in `text` as an exact fraction ('1,234.50' -> 2469/2, '-3/4', '$18.', '.5')."""
    match = _NUMBER.search(text.replace("\\$", "$").replace("{,}", ","))
    return _to_fraction(match) if match else None


def _to_fraction(match: re.Match[str]) -> Fraction | None:
    try:
        value = Fraction(match.group("num").replace(",", ""))
        if match.group("den"):
            den = Fraction(match.group("den"))
            if den == 0:
                return None
            value /= den
    except (ValueError, ZeroDivisionError):
        return None
    return -value if match.group("sign") else value


def extract_number(text: str) -> tuple[Fraction, str] | None:
    """The model's final number and the text it came from. In order: the last `\\boxed{}`; the number
    right after the last '####' or 'answer is' / 'Answer:'; else the last number in the response."""
    text = visible_text(text)
    boxed = last_boxed(text)
    if boxed is not None:
        latex = re.sub(r"\\(?:text|mathrm|textbf)\{([^{}]*)\}", r"\1", boxed)
        frac = re.fullmatch(r"\s*(-?)\\d?frac\{([^{}]+)\}\{([^{}]+)\}\s*", latex)
        if frac:
            value = parse_number(f"{frac.group(1)}{frac.group(2)}/{frac.group(3)}")
        else:
            value = parse_number(latex)
        if value is not None:
            return value, boxed.strip()
    for marker in _MARKERS:
        hits = list(marker.finditer(text))
        if hits:
            tail = text[hits[-1].end():][:120]
            match = _NUMBER.search(tail.replace("\\$", "$"))
            if match and (value := _to_fraction(match)) is not None:
                return value, match.group(0).strip()
    matches = list(_NUMBER.finditer(text.replace("\\$", "$")))
    for match in reversed(matches):
        value = _to_fraction(match)
        if value is not None:
            return value, match.group(0).strip()
    return None


async def score_number(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """Numeric answers (GSM8K, built-in word problems). The final number is the last `\\boxed{}`, else
    the number after the last '####' / 'The answer is' / 'Answer:', else the last number in the text.
    Thousands separators, currency signs, units and trailing periods are ignored; '0.5', '.50' and
    '1/2' are equal (exact rational comparison, no rounding). No number at all is a parse failure.

    Settings: `tolerance` (default 0): accept |answer - target| <= tolerance.
    """
    target = parse_number(str(item.target))
    if target is None:
        raise ValueError(f"item {item.id}: target {item.target!r} is not a number")
    found = await read_reply(extract_number, response.text)
    if found is None:
        return Outcome(score=0.0, correct=False, error="parse_failure", extracted=None)
    value, _raw = found
    tolerance = Fraction(str(settings.get("tolerance", 0)))
    correct = abs(value - target) <= tolerance
    return Outcome(score=1.0 if correct else 0.0, correct=correct, extracted=_format(value))


def _format(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    try:
        as_float = float(value)
    except OverflowError:  # a model's 400-digit fraction
        return f"{value.numerator}/{value.denominator}"
    return repr(as_float) if Fraction(repr(as_float)) == value else f"{value.numerator}/{value.denominator}"
