"""`\\boxed{...}` extraction with nested braces (the math and number scorers share it)."""

from __future__ import annotations

import re

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*")
_BRACE = re.compile(r"(?<!\\)[{}]")  # a brace not escaped by the character before it


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced (escaped ones `\\{`
    `\\}` do not count); `\\boxed 5` also works. None when there is none or its braces never close."""
    matches = list(_BOXED.finditer(text))
    closing = _closing_braces(text) if matches else {}
    for match in reversed(matches):
        start = match.end()
        if start < len(text) and text[start] == "{":
            if start in closing:
                return text[start + 1 : closing[start]]
            continue
        bare = re.match(r"([^\s$]+)", text[start:])
        if bare:
            return bare.group(1)
    return None


def _closing_braces(text: str) -> dict[int, int]:
    """Opening brace -> its closing brace, for every pair in one pass (a scan from each of 5,000 unclosed
    `\\boxed{` to the end took quadratic time)."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    for match in _BRACE.finditer(text):
        if match.group() == "{":
            opened.append(match.start())
        elif opened:
            pairs[opened.pop()] = match.start()
    return pairs
