"""The product's methods document (harness/methods.md): shipped with the package, copied into every report
as methods.md and as a readable methods.html, and cited by section ("methods §2.3") from the report,
summary.md and citation.txt.

SECTION names the sections the code cites, so a renumbering breaks a test rather than a citation.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape
from importlib import resources

#: What the report cites -> the section number in harness/methods.md.
SECTION = {
    "question": "1", "layers": "1.2", "gains": "2.1", "asymmetry": "2.2", "primary": "2.3", "points": "2.4",
    "sensitivity": "2.5", "unit": "3.1", "per_suite": "3.2", "layer1": "3.3", "layer2": "3.4", "layer3": "3.5",
    "flat": "3.6", "scores": "3.7", "power": "3.8", "verdict": "4.1", "guards": "4.2", "order": "4.3",
    "preregistration": "4.4", "wording": "5", "limitations": "6", "demo": "7", "caveats": "7.2", "timeline": "7.3",
    "churn": "7.4", "version": "8",
}
_HEADING = re.compile(r"^(#{2,3}) (\d+(?:\.\d+)?)\.? (.*)$", re.M)


@lru_cache(maxsize=1)
def markdown() -> str:
    """The methods document as shipped."""
    return resources.files("harness").joinpath("methods.md").read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """Section number -> title, as they stand in the document."""
    return {m.group(2): m.group(3).strip() for m in _HEADING.finditer(markdown())}


def anchor(number: str) -> str:
    """The id of a section in methods.html: '2.3' -> 's2-3'."""
    return "s" + number.replace(".", "-")


def cite(key: str) -> str:
    """'methods §2.3' for a key of SECTION."""
    return f"methods §{SECTION[key]}"


def href(key: str) -> str:
    """The link to a cited section, relative to the report folder."""
    return f"methods.html#{anchor(SECTION[key])}"


def html(version: str, css: str) -> str:
    """methods.html: the document rendered as a self-contained page (raw HTML in the source is escaped, not
    passed through; no scripts, no requests), with an anchor per numbered section."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    tokens = md.parse(markdown())
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            m = re.match(r"(\d+(?:\.\d+)?)\.? ", tokens[i + 1].content)
            if m:
                tok.attrSet("id", anchor(m.group(1)))
    body = md.renderer.render(tokens, md.options, {})
    csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            f"<title>asymmetry methods ({escape(version)})</title><style>{css}</style></head><body>"
            f"<header><p class=\"sub\">Methods of asymmetry {escape(version)} · "
            "<a href=\"index.html\">back to the report</a></p></header>"
            f"<main class=\"methods\">{body}</main></body></html>\n")
