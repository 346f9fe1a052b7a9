"""The report's plain-text files: summary.md (for editors and notebooks) and citation.txt (for citing)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.compare import wording
from harness.report import fmt, methods
from harness.report.page import estimand_rows


def chart_sources(doc: Mapping[str, Any], sources: Sequence[Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Each chart's source line: the charts of this step cite its own table; the controls chart all."""
    own = wording.source_line(doc, sources, models=[str(doc.get("before")), str(doc.get("after"))])
    return {"": own, "controls": wording.source_line(doc, sources)}


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
    lines += [f"**{_md_text(wording.badge(doc))}.** {_md_text(wording.headline_sentence(doc))}", ""]
    guards = wording.guard_plain(doc)
    if guards:
        lines += ["**Before you cite this:**", "", *[f"- {_md_text(line)} (`{name}`)" for name, line in guards], ""]
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
    lines += ["", "## Methods", "", "Estimands, tests, decision rules, wording rules and limitations: methods\\.md in this "
              f"folder ({methods.cite('asymmetry')} the asymmetry, {methods.cite('verdict')} the verdict, "
              f"{methods.cite('limitations')} limitations)."]
    lines += ["", "## Citation", "", _md_text(wording.citation_paragraph(doc)), "", f"*{_md_text(wording.caveat(doc))}*",
              "", "## Pre-registration", "", _md_text(wording.preregistration(doc)), "", "## Reproduce", "",
              f"{fence}sh", command, fence, ""]
    return "\n".join(lines)


def citation_text(doc: Mapping[str, Any]) -> str:
    """citation.txt: a short citable paragraph and the full method line first; then compare's own full
    summary, the numbers with intervals and methods, version, hashes and the command."""
    refs = f"{methods.cite('primary')}, {methods.cite('verdict')} (methods.md in this folder)"
    lines = ["CITATION", "", wording.citation_short(doc, refs), "", "METHOD", "", wording.method_line(doc), "",
             "FULL SUMMARY", "", wording.citation_paragraph(doc), "",
             f"NUMBERS ({wording.percent(wording.level(doc))} intervals unless stated; logits = log-odds scale, {methods.cite('gains')}; pp = percentage "
             "points)", ""]
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
