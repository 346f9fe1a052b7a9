"""Reports for three audiences from one compare document (issue 5).

`write_report(doc, out)` writes, into the directory `out`:

    index.html      self-contained page: headline, the context (timeline), for policy, for researchers
    compare.json    the compare document itself (the contract; harness/compare/schema.py)
    summary.md      the same findings as Markdown
    citation.txt    the citable paragraph, numbers with intervals and methods, version, data hashes, command
    methods.md      the product's methods document, which the other files cite by section
    methods.html    the same, readable in a browser
    charts/         slopes, forest, asymmetry, controls, power (and timeline with a context): each as .png,
                    .svg and .csv (its data)

It reads only the compare document, plus optional discordant-item examples (from run journals), source
rows (published scores) and a context (harness.report.timeline.Case: other steps of the period, what the
tables stopped reporting, known caveats), which the demo supplies. A report directory is never replaced silently: an existing one is
refused unless `overwrite=True`, and every report is built in a temporary directory and renamed into
place, so a half-written report never appears.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report import fmt

__all__ = ["Report", "write_report", "check_target", "REPORT_MARKERS"]

#: Files whose presence marks a directory as an asymmetry report (and so replaceable with --overwrite).
REPORT_MARKERS = ("index.html", "compare.json")


@dataclass(frozen=True)
class Report:
    path: Path
    verdict: str
    one_line: str
    headline: list[str]
    charts: dict[str, str | None]  # name -> None when drawn, else the reason it was not


def check_target(out: Path, overwrite: bool) -> None:
    """Refuse an existing `out` unless `overwrite`, and never replace a directory that is not a report."""
    if not out.exists():
        return
    if not overwrite:
        raise UserError(f"{out}: already exists; pass --overwrite to replace it (the new report is built beside "
                        "it and swapped in), or choose another --out")
    if not out.is_dir():
        raise UserError(f"{out}: exists and is not a directory; choose another --out")
    if any(out.iterdir()) and not all((out / m).is_file() for m in REPORT_MARKERS):
        raise UserError(f"{out}: is not an asymmetry report directory (no index.html and compare.json); refusing to "
                        "replace it even with --overwrite; choose another --out")


def _sources_csv(sources: Sequence[Mapping[str, Any]]) -> str:
    keys: list[str] = []
    for row in sources:
        keys.extend(k for k in row if k not in keys)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=[fmt.csv_safe(k) for k in keys], lineterminator="\n")
    writer.writeheader()
    writer.writerows({fmt.csv_safe(k): fmt.csv_safe(v) for k, v in row.items()} for row in sources)
    return buf.getvalue()


def write_report(doc: Mapping[str, Any], out: Path, *, overwrite: bool = False, examples: Sequence[Any] = (),
                 sources: Sequence[Mapping[str, Any]] | None = None,
                 extra_files: Mapping[str, bytes] | None = None, case: Any = None) -> Report:
    """Write the full report for `doc` to the directory `out` (see the module docstring).

    `examples`: discordant items with model output (harness.report.examples); `sources`: rows with a
    `source` link per published score (default: the document's own diagnostics.sources); `extra_files`:
    more files to ship in the report (name -> bytes), e.g. the demo's input table; `case`: the context
    around the comparison (harness.report.timeline.Case), drawn as the timeline and its notes."""
    import orjson

    from harness.compare import wording
    from harness.compare.schema import validate_compare
    from harness.report import charts as charts_mod
    from harness.report import methods, text
    from harness.report.page import css, render_page

    problems = validate_compare(dict(doc))
    if problems:
        raise UserError(f"the compare document does not follow the contract: {problems[0]}"
                        + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    out = Path(out)
    check_target(out, overwrite)

    if sources is None:
        sources = (doc.get("diagnostics") or {}).get("sources") or None
    drawn = charts_mod.render_all(doc, source=text.chart_sources(doc, sources),
                                  capability=getattr(case, "capability", None))
    if case is not None and getattr(case, "steps", None):
        drawn.append(charts_mod.render_timeline(case, source=wording.timeline_source_line(doc, case)))
    extra = [*(extra_files or {}), *(["sources.csv"] if sources else [])]
    files: dict[str, bytes] = {
        "index.html": render_page(doc, drawn, examples=examples, sources=sources, extra_files=extra,
                                  case=case).encode(),
        "compare.json": orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY
                                     | orjson.OPT_NON_STR_KEYS) + b"\n",
        "summary.md": text.summary_markdown(doc).encode(),
        "citation.txt": text.citation_text(doc).encode(),
        "methods.md": methods.markdown().encode(),
        "methods.html": methods.html(str(doc.get("harness_version", "")), css()).encode(),
    }
    for chart in drawn:
        if chart.missing:
            continue
        files[f"charts/{chart.name}.png"] = chart.png or b""
        files[f"charts/{chart.name}.svg"] = (chart.svg or "").encode()
        files[f"charts/{chart.name}.csv"] = charts_mod.to_csv(chart).encode()
    if sources:
        files["sources.csv"] = _sources_csv(sources).encode()
    for name, data in (extra_files or {}).items():
        files[name] = data
    ours = " ".join([wording.headline_sentence(doc), wording.badge(doc), wording.citation_short(doc),
                     *wording.headline(doc), wording.citation_paragraph(doc), *wording.shows(doc),
                     *wording.does_not_show(doc)])
    bad = wording.check_wording(ours)
    if bad:  # a bug in the wording rules, never the reader's problem: fail loudly rather than print it
        raise RuntimeError(f"report wording breaks the wording rules ({methods.cite('wording')}): {bad}")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return Report(path=out, verdict=wording.verdict(doc), one_line=wording.one_line(doc),
                  headline=wording.headline(doc), charts={c.name: c.missing for c in drawn})
