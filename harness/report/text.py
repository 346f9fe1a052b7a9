"""The report's plain-text files: summary.md (for editors and notebooks) and citation.txt (for citing)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from harness.report import fmt, wording
from harness.report.page import estimand_rows


def source_line(doc: Mapping[str, Any]) -> str:
    """The one-line source printed on every chart."""
    inputs = doc.get("inputs") or {}
    paths = [PurePath(str(p)).name for p in inputs.get("paths") or []]
    hashes = list((inputs.get("sha256") or {}).values())
    what = ("published scores (vendor-reported, score-level)" if doc.get("mode") == "scores"
            else "item-level runs")
    where = f" in {', '.join(paths[:3])}{' …' if len(paths) > 3 else ''}" if paths else ""
    digest = f"; sha256 {str(hashes[0])[:12]}…" if hashes else ""
    return f"Source: {what}{where}{digest}. Chart: asymmetry {doc.get('harness_version', '')}."


#: Markdown punctuation that can start a link, an image, emphasis or code: backslash-escaped (every
#: CommonMark renderer shows the character itself). An underscore inside a word (a file or suite name)
#: can neither open nor close emphasis, and stays as it is.
_MD_ACTIVE = re.compile(r"([\\`*\[\]!]|(?<![^\W_])_|_(?![^\W_]))")
#: What GitHub-flavoured renderers turn into links without any brackets: `scheme://`, `www.` and e-mail
#: addresses. Escaping the `:`, the `.` or the `@` breaks the pattern and shows the same text.
_MD_AUTOLINK = re.compile(r"(?<=[A-Za-z0-9])(:)(?=//)|(?<=\bwww)(\.)|(@)", re.IGNORECASE)


def _md_text(text: Any) -> str:
    """Model labels, suite names and sentences built from them, made inert in Markdown: renderers in
    notebooks and editors render raw HTML, so `<` `>` `&` become entities; links, images, emphasis and
    code spans cannot start (their punctuation is backslash-escaped), nor can bare addresses become
    links; newlines cannot start blocks."""
    text = html.escape(str(text), quote=False).replace("\n", " ")
    text = _MD_ACTIVE.sub(r"\\\1", text)
    return _MD_AUTOLINK.sub(lambda m: "\\" + m.group(), text)


def _md_escape(text: Any) -> str:
    """A table cell: inert text that cannot end the cell either."""
    return _md_text(text).replace("|", "\\|")


def summary_markdown(doc: Mapping[str, Any]) -> str:
    """summary.md: the headline, the estimates, the per-suite table and the caveats."""
    lines = [f"# {_md_text(wording.title(doc))}", "", f"**{_md_text(doc.get('before'))} -> {_md_text(doc.get('after'))}** "
             f"({'published scores, score-level' if doc.get('mode') == 'scores' else 'item-level runs'}).", ""]
    lines += [_md_text(" ".join(wording.headline(doc))), "", f"> {_md_text(wording.evidence_note(doc))}", "",
              "## Estimates", "",
              f"| Estimand | Scale | Estimate | {wording.percent(wording.level(doc))} interval | p-value | Method |",
              "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in estimand_rows(doc)]
    cl = wording.ci_label(doc)
    lines += ["", "## Per suite", "", f"| Suite | Group | Items | Before % | After % | Change pp [{cl}] | "
              f"Latent gain, logits [{cl}] |", "|---|---|---|---|---|---|---|"]
    for s in doc.get("suites") or []:
        lines.append(f"| {_md_escape(s.get('suite'))} | {s.get('category')} | {fmt.count(s.get('n_items'))} | "
                     f"{fmt.num(s.get('before'), 1)} | {fmt.num(s.get('after'), 1)} | "
                     f"{fmt.signed(s.get('gain_pp'), 1)} {fmt.bracket(s.get('gain_pp_ci'), 1)} | "
                     f"{fmt.signed(s.get('latent_gain'))} {fmt.bracket(s.get('latent_gain_ci'))} |")
    td = doc.get("triple_difference")
    if isinstance(td, Mapping) and td.get("controls"):
        lines += ["", "## Other developers' transitions (controls)", "", "| Transition | Asymmetry (logits) | SE |",
                  "|---|---|---|"]
        lines += [f"| {_md_escape(c.get('before'))} -> {_md_escape(c.get('after'))} | {fmt.signed(c.get('asymmetry'))} | "
                  f"{fmt.num(c.get('se'))} |" for c in td["controls"]]
    lines += ["", "## What this shows", ""] + [f"- {_md_text(s)}" for s in wording.shows(doc)]
    lines += ["", "## What this does not show", ""] + [f"- {_md_text(s)}" for s in wording.does_not_show(doc)]
    command = str(doc.get("command") or "(not recorded)")
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", command)), default=0))  # never closed early
    lines += ["", "## Citation", "", _md_text(wording.citation_paragraph(doc)), "", f"*{_md_text(wording.caveat(doc))}*",
              "", "## Pre-registration", "", _md_text(wording.preregistration(doc)), "", "## Reproduce", "",
              f"{fence}sh", command, fence, ""]
    return "\n".join(lines)


def citation_text(doc: Mapping[str, Any]) -> str:
    """citation.txt: the paragraph, the numbers with intervals and methods, version, hashes, command."""
    lines = ["CITATION", "", wording.citation_paragraph(doc), "", wording.caveat(doc), "",
             f"NUMBERS ({wording.percent(wording.level(doc))} intervals unless stated; logits = log-odds scale; pp = percentage points)", ""]
    for estimand, scale, est, ci, p, method in estimand_rows(doc):
        p_text = (f"p = {p}" if not p.startswith("<") else f"p {p}") if p else ""
        inside = wording.join_nonempty([ci, p_text])  # never "(; p = 0.42)" for a row without an interval
        lines.append(f"- {estimand}: {est} {scale}{f' ({inside})' if inside else ''}. Method: {method or 'n/a'}.")
    lines += ["", "EVIDENCE", "", wording.evidence_note(doc), "", "PRE-REGISTRATION", "", wording.preregistration(doc),
              "", "PROVENANCE", "",
              f"- Harness: asymmetry {doc.get('harness_version', 'unknown')} (compare schema {doc.get('schema')})",
              f"- Generated: {doc.get('created_at', 'unknown')}",
              f"- Releases: before = {doc.get('before')}, after = {doc.get('after')}"]
    inputs = doc.get("inputs") or {}
    for path, digest in sorted((inputs.get("sha256") or {}).items()):
        lines.append(f"- Data: {path} sha256 {digest}")
    if not inputs.get("sha256"):
        lines.append("- Data: no input hashes recorded")
    lines += ["", "REPRODUCE", "", str(doc.get("command") or "(not recorded)"), ""]
    return "\n".join(lines)
