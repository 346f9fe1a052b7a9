"""`\\boxed{...}` extraction with nested braces (the math and number scorers share it)."""

from __future__ import annotations

import re

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*")


def last_boxed(text: str) -> str | None:
    """The content of the last `\\boxed{...}` (or `\\fbox{...}`), braces balanced; `\\boxed 5` also
    works. None when there is none or its braces never close."""
    for match in reversed(list(_BOXED.finditer(text))):
        start = match.end()
        if start < len(text) and text[start] == "{":
            depth = 0
            for i in range(start, len(text)):
                ch = text[i]
                if ch == "\\":  # skip escaped braces like \{ \}
                    continue
                if ch == "{" and text[i - 1] != "\\":
                    depth += 1
                elif ch == "}" and text[i - 1] != "\\":
                    depth -= 1
                    if depth == 0:
                        return text[start + 1 : i]
            continue
        bare = re.match(r"([^\s$]+)", text[start:])
        if bare:
            return bare.group(1)
    return None
