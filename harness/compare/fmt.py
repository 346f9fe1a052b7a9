"""The one number formatter: one spelling for every scale, so pp, percent and logits never mix, in the
compare document's sentence, the terminal tables and the report alike.

ASCII minus signs throughout: readers paste these numbers into spreadsheets and chart tools.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from harness.records import csv_safe, csv_unsafe  # noqa: F401 - (their home; the report's formatters are here)

NA = "n/a"


def is_num(x: Any) -> bool:
    """True for a finite real number (not None, NaN, inf or bool)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def num(x: Any, digits: int = 2) -> str:
    """`0.88`; n/a for a missing or non-finite value."""
    if not is_num(x):
        return NA
    text = f"{x:.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text  # no "-0.00"


def signed(x: Any, digits: int = 2) -> str:
    """`+0.88` / `-0.35` / `0.00`."""
    text = num(x, digits)
    if text == NA or text.startswith("-") or float(text) == 0:
        return text
    return "+" + text


def pp(x: Any, digits: int = 1) -> str:
    """A change in percentage points: `+4.6 pp`."""
    text = signed(x, digits)
    return text if text == NA else f"{text} pp"


def percent(level: float) -> str:
    """A confidence level or share: 0.95 -> `95%`, 0.975 -> `97.5%` (never a hard-coded level)."""
    return f"{100 * level:.1f}".rstrip("0").rstrip(".") + "%"


def pct(x: Any, digits: int = 1) -> str:
    """An accuracy in percent: `30.7%`."""
    text = num(x, digits)
    return text if text == NA else f"{text}%"


def logits(x: Any, digits: int = 2) -> str:
    """A latent (log-odds) quantity: `0.88 logits`."""
    text = num(x, digits)
    return text if text == NA else f"{text} logits"


def _end(x: Any, digits: int, f: Any) -> str:
    """One end of an interval: an open end is an unbounded side, and an end that is not zero is never written
    as 0 (more digits until it shows, so -0.2 is never '0' beside '33')."""
    places = digits
    while x != 0 and float(num(x, places)) == 0 and places < digits + 3:
        places += 1
    if x != 0 and float(num(x, places)) == 0:  # tinier still: its sign at the usual digits ('-0.00')
        return ("-" if x < 0 else "+") + f(abs(x), digits).lstrip("+")
    return f(x, places)


def _ends(lo: Any, hi: Any, digits: int, f: Any) -> tuple[str, str]:
    """Both ends, with open ends as the unbounded sides (a missing lower end is -inf, a missing upper +inf)."""
    lo_text = _end(lo, digits, f) if is_num(lo) else "-inf"
    hi_text = _end(hi, digits, f) if is_num(hi) else "+inf"
    return lo_text, hi_text


def interval(ci: Sequence[Any] | None, digits: int = 2, *, signed_: bool = False) -> str:
    """`0.28 to 1.47` (an open end is written as an unbounded side). An end that is not zero never reads as
    0, so an interval across zero always shows it: `-0.2 to 33`, never `0 to 33`."""
    if not ci or len(ci) != 2:
        return NA
    lo, hi = ci
    if not is_num(lo) and not is_num(hi):
        return NA
    lo_text, hi_text = _ends(lo, hi, digits, signed if signed_ else num)
    return f"{lo_text} to {hi_text}"


def bracket(ci: Sequence[Any] | None, digits: int = 2) -> str:
    """`[0.28, 1.47]` for tables (ends written as in `interval`)."""
    if not ci or len(ci) != 2 or not any(is_num(v) for v in ci):
        return NA
    lo_text, hi_text = _ends(ci[0], ci[1], digits, num)
    return f"[{lo_text}, {hi_text}]"


def p_value(p: Any) -> str:
    """`0.004`, `< 0.001`; p-values are never rounded to zero."""
    if not is_num(p):
        return NA
    if p < 0.001:
        return "< 0.001"
    if p < 0.01:
        return f"{p:.3f}"
    return f"{p:.2f}" if p < 0.995 else "1.00"


def p_phrase(p: Any) -> str:
    """`p = 0.004` / `p < 0.001`."""
    text = p_value(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def ratio(x: Any) -> str:
    """A gain/loss ratio: `3.7`."""
    return num(x, 1) if is_num(x) and x < 100 else num(x, 0)


def count(n: Any) -> str:
    """An integer count with thousands separators."""
    return f"{int(n):,}" if is_num(n) else NA


