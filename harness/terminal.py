"""Text from outside the harness, made safe to print on a terminal.

An endpoint's model ids and error bodies, model output, and labels and suite names read from run
directories someone else made are untrusted: printed through Rich as markup, `[/x]` crashes the print
and `[link=...]` makes a live hyperlink; printed raw, escape sequences (ESC, OSC, CSI, also their 8-bit
C1 forms) can set hyperlinks, write the clipboard (OSC 52), retitle the window or clear the screen. So
such text loses its C0 and C1 control characters (tab and newline kept) and reaches Rich escaped or as
a `Text`, never as markup.
"""

from __future__ import annotations

import re
from typing import Any

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: Any) -> str:
    """`value` as text without control characters (tab and newline kept)."""
    return _CONTROLS.sub("", str(value))


def escaped(value: Any) -> str:
    """`value` cleaned and escaped for a Rich markup string (it prints as written)."""
    from rich.markup import escape

    return escape(clean(value))


def plain(value: Any, style: str = "") -> Any:
    """`value` cleaned, as a Rich `Text` (a table cell or a print that is never read as markup)."""
    from rich.text import Text

    return Text(clean(value), style=style)
