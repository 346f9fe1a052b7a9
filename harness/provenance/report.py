"""The provenance report a journalist reads: one citable sentence, the shift against the control
transitions (a chart, with its data as CSV), the verdict parts, and side-by-side answers to the same prompt
by the old release, the new release and the teacher with the style markers highlighted.

Built from the `asymmetry.provenance/1` document alone. Every model text, label and prompt enters the page
through `harness.report.page.e` (html.escape), the page loads nothing (inline SVG and CSS, the report's
Content-Security-Policy), and the examples are the ones the document chose by its fixed rule.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report.charts import CONTROL, INK, MUTED, STYLE, TARGETED, _inline
from harness.report.page import CSP, _css, e

_CSS = """
.prov-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:.8rem}
.prov-answer{border:1px solid #ccc;border-radius:4px;padding:.5rem;overflow-x:auto}
.prov-answer pre{white-space:pre-wrap;word-break:break-word;font-size:.8rem;margin:0}
.prov-answer h4{margin:.1rem 0 .4rem 0;font-size:.9rem}
mark.toward{background:#f6c89f}mark.away{background:#b9d7ee}
mark.marker{background:none;outline:1.5px solid #009E73;border-radius:2px}
.prov-legend mark{padding:0 .2rem}.prov-verdict li{margin:.2rem 0}
"""


def _fmt(x: Any, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:+.{digits}f}"


def _p(p: Any) -> str:
    """ "= 0.012", "< 0.001" or "= n/a": written after "p "."""
    return "= n/a" if p is None else "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _acc(x: Any) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def shift_chart(doc: Mapping[str, Any]) -> tuple[str, bytes, str, str]:
    """The suspect's shift and every control transition's, each with its interval: (inline SVG, PNG,
    standalone SVG, CSV). The suspect is drawn in the accent colour; the controls in grey."""
    import matplotlib
    from matplotlib.figure import Figure

    level = round(100 * (1 - doc.get("alpha", 0.05)))
    rows = [{"transition": f"{doc['before']} -> {doc['after']}", "role": "suspect",
             "shift": doc["shift"]["estimate"], "ci_low": doc["shift"]["ci"][0], "ci_high": doc["shift"]["ci"][1]}]
    for c in doc.get("controls") or []:
        s = c.get("shift") or {}
        rows.append({"transition": f"{c['before']} -> {c['after']}", "role": "control", "shift": s.get("estimate"),
                     "ci_low": (s.get("ci") or [None, None])[0], "ci_high": (s.get("ci") or [None, None])[1]})
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.4, 1.2 + 0.32 * len(rows)))
        ax = fig.add_subplot(111)
        for i, r in enumerate(reversed(rows)):
            if r["shift"] is None:
                continue
            colour = TARGETED if r["role"] == "suspect" else CONTROL
            if r["ci_low"] is not None:
                ax.plot([r["ci_low"], r["ci_high"]], [i, i], color=colour, lw=2 if r["role"] == "suspect" else 1.2)
            ax.plot([r["shift"]], [i], "o", color=colour, ms=7 if r["role"] == "suspect" else 5)
        ax.axvline(0, color=MUTED, lw=0.8, ls=":")
        ax.set_yticks(range(len(rows)), [r["transition"] for r in reversed(rows)])
        ax.set_xlabel(f"shift toward {doc['teacher']} (log-odds per prompt, {level}% CI)", color=INK)
        fig.suptitle(f"Movement toward {doc['teacher']}: the suspect against other developers' transitions",
                     x=0.01, ha="left", fontsize=10, color=INK)
        fig.text(0.01, 0.005, f"asymmetry provenance; model sha256 {doc.get('model_sha256', '')[:12]}", fontsize=7,
                 color=MUTED)
        fig.tight_layout(rect=(0, 0.03, 1, 0.93))
        png, svg = io.BytesIO(), io.StringIO()
        fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    import csv

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["transition", "role", "shift", "ci_low", "ci_high"], lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    text = svg.getvalue()
    return _inline(text, "provenance-shift", "Shift toward the teacher against control transitions"), \
        png.getvalue(), text, buf.getvalue()


def highlighted(text: str, spans: Sequence[Sequence[Any]]) -> str:
    """The answer as escaped HTML with its highlight spans as <mark> elements (each slice escaped)."""
    out, pos = [], 0
    for start, end, kind in sorted(spans):
        if start < pos or end > len(text):
            continue
        out.append(e(text[pos:start]))
        cls = "marker" if str(kind).startswith("marker:") else "toward" if kind == "toward" else "away"
        out.append(f'<mark class="{cls}" title="{e(kind)}">{e(text[start:end])}</mark>')
        pos = end
    out.append(e(text[pos:]))
    return "".join(out)


def _examples(doc: Mapping[str, Any]) -> str:
    parts = [f"<p>{e('Prompts shown: ' + str(doc.get('examples_rule', '')))}. Illustrations only: the statistic is "
             f"over all {doc['shift']['n_prompts']} test prompts.</p>",
             '<p class="prov-legend"><mark class="toward">word that pushes toward the teacher</mark> '
             '<mark class="away">word that pushes away</mark> <mark class="marker">style marker (comment, edge '
             'case, hedge, cause/fix, opener, closer, summary)</mark></p>']
    for ex in doc.get("examples") or []:
        parts.append(f"<h3>{e(ex['rule'])}: {e(ex['prompt_id'])} ({e(ex['domain'])}), shift {e(_fmt(ex['d']))}</h3>")
        if ex.get("prompt"):
            parts.append(f'<details><summary>prompt</summary><pre>{e(ex["prompt"])}</pre></details>')
        cols = []
        for role, title in (("before", "old release"), ("after", "new release"), ("teacher", "teacher")):
            a = (ex.get("answers") or {}).get(role)
            if not a:
                cols.append(f'<div class="prov-answer"><h4>{e(title)}</h4><p>no answer</p></div>')
                continue
            cut = " (cut)" if a.get("cut") else ""
            cols.append(f'<div class="prov-answer"><h4>{e(title)}: {e(a["model"])} · affinity '
                        f'{e(_fmt(a["affinity"]))}{e(cut)}</h4><pre>{highlighted(a["text"], a.get("spans", []))}</pre></div>')
        parts.append(f'<div class="prov-grid">{"".join(cols)}</div>')
    return "".join(parts)


def _verdict(doc: Mapping[str, Any]) -> str:
    cal = (doc.get("calibration") or {}).get("shift") or {}
    spec = doc.get("specificity") or []
    did = doc.get("domain_did") or {}
    items = [
        f"Excess over {cal.get('n_controls', 0)} control transitions: prediction-interval p {_p(cal.get('p_value'))}, "
        f"placebo rank p {_p(cal.get('rank_p'))}" + ("" if cal.get("testable") else " (descriptive: fewer than 8)"),
        "Specificity to the teacher: " + ("; ".join(f"vs {r['candidate']} Holm p {_p(r.get('p_holm'))}" for r in spec)
                                          or "not testable (no other candidate)"),
        f"Targeted minus untargeted shift: {_fmt(did.get('estimate'))} (one-sided p {_p(did.get('p_value'))})",
        f"Claim (intersection-union): {'consistent with training on the teacher' if doc['claim'].get('consistent_with_training_on_teacher') else 'not made'}"
        + (f" — {'; '.join(doc['claim'].get('reasons', []))}" if doc["claim"].get("reasons") else ""),
    ]
    return '<ul class="prov-verdict">' + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>"


def render_section(doc: Mapping[str, Any], chart_svg: str) -> str:
    """The provenance section (a <section>), for a standalone page or beside the capability report."""
    sh = doc["shift"]
    level = round(100 * (1 - doc.get("alpha", 0.05)))
    head = (f"<h2>Does {e(doc['after'])} write more like {e(doc['teacher'])} than {e(doc['before'])} did?</h2>"
            f"<p><strong>{e(doc['summary'])}</strong></p>"
            f"<p>Shift {e(_fmt(sh['estimate']))} log-odds ({level}% CI {e(_fmt(sh['ci'][0]))} to {e(_fmt(sh['ci'][1]))}, "
            f"SE {e(_fmt(sh['se']))}, {e(sh['n_prompts'])} test prompts); attribution model held-out accuracy "
            f"{e(_acc(doc['classifier'].get('heldout_accuracy')))} across {e(doc['classifier']['n_classes'])} training "
            f"models (length only: {e(_acc((doc['classifier'].get('baselines') or {}).get('length_only')))}); model sha256 "
            f"{e(doc.get('model_sha256', ''))}.</p>")
    caption = ("Each dot is a release transition scored by the same frozen model; the suspect in colour, other "
               "developers in grey; bars are intervals. Data: charts/provenance_shift.csv.")
    chart = f"<figure>{chart_svg}<figcaption>{e(caption)}</figcaption></figure>"
    return (f'<section id="provenance">{head}{_verdict(doc)}{chart}<h2>Side by side</h2>{_examples(doc)}'
            f"<p>{e(doc.get('caveat', ''))}</p></section>")


def page(doc: Mapping[str, Any], chart_svg: str) -> str:
    """A standalone, self-contained HTML page for the provenance document."""
    title = f"Provenance: {doc['before']} → {doc['after']} toward {doc['teacher']}"
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\"><meta name=\"referrer\" content=\"no-referrer\">"
            f"<title>{e(title)}</title><style>{_css()}{_CSS}</style></head><body><header><h1>{e(title)}</h1>"
            f"<p class=\"sub\">asymmetry {e(doc.get('harness_version', ''))} · generated {e(doc.get('created', ''))}</p>"
            f"</header><main>{render_section(doc, chart_svg)}</main><footer><p>From the provenance document "
            "<a href=\"provenance.json\">provenance.json</a> (schema asymmetry.provenance/1).</p></footer></body></html>\n")


def load_document(path: Path) -> dict[str, Any]:
    """A provenance document written by `provenance compare --json`, checked for the contract keys."""
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserError(f"{path}: no such file; write it with `asymmetry provenance compare … --json PATH`") from None
    except (ValueError, OSError) as err:
        raise UserError(f"{path}: not a JSON document ({err})") from None
    if not isinstance(doc, dict) or doc.get("schema") != "asymmetry.provenance/1":
        raise UserError(f"{path}: not an asymmetry.provenance/1 document")
    missing = [k for k in ("teacher", "before", "after", "classifier", "shift", "controls", "summary", "claim")
               if k not in doc]
    if missing:
        raise UserError(f"{path}: missing key(s) {', '.join(missing)}")
    return doc


def report_files(doc: Mapping[str, Any], *, standalone: bool) -> dict[str, bytes]:
    """The provenance report's files: index.html (standalone) or provenance.html (beside the capability
    report), provenance.json, the chart as PNG/SVG/CSV and a citation."""
    inline, png, svg, csv_text = shift_chart(doc)
    html = page(doc, inline).encode()
    return {("index.html" if standalone else "provenance.html"): html,
            "provenance.json": json.dumps(doc, indent=1, ensure_ascii=False).encode(),
            "charts/provenance_shift.png": png, "charts/provenance_shift.svg": svg.encode(),
            "charts/provenance_shift.csv": csv_text.encode(),
            "provenance_citation.txt": (str(doc["summary"]) + "\n\nMethod: " + str(doc.get("command", ""))
                                        + f"\nModel sha256: {doc.get('model_sha256', '')}\n").encode()}


def write_standalone(doc: Mapping[str, Any], out: Path, *, overwrite: bool = False) -> Path:
    """Write the provenance report into `out` (built beside it, then renamed into place)."""
    out = Path(out)
    if out.exists():
        if not overwrite:
            raise UserError(f"{out}: already exists; pass --overwrite to replace it, or choose another --out")
        if any(out.iterdir()) and not (out / "provenance.json").is_file():
            raise UserError(f"{out}: is not a provenance report directory; refusing to replace it")
    files = report_files(doc, standalone=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    for name, data in files.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_bytes(data)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
