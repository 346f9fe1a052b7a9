"""The self-contained index.html: headline, for policy, for researchers.

Everything from the compare document, the run journals or the score table is untrusted text and enters
the page only through `e()` (html.escape). The page loads nothing: charts are inline SVG, styles are
inline, fonts are the reader's system fonts, and a Content-Security-Policy forbids scripts and every
network request. The only URLs are source links, written as plain anchors and only when they are http(s).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from importlib import resources
from typing import Any

from harness.compare import wording
from harness.report import fmt, methods
from harness.report.charts import NAMES, Chart
from harness.report.examples import Example
from harness.report.timeline import Case, benchmark_rows

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'"
_URL = re.compile(r"https?://[^\s\"'<>`]+")


def e(value: Any) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def link(source: Any) -> str:
    """A source as text, its leading http(s) URL (if any) as a plain anchor; anything else (javascript:,
    data:, prose) stays text."""
    text = "" if source is None else str(source).strip()
    m = _URL.match(text)
    if not m:
        return e(text)
    url = m.group(0)
    return f'<a href="{e(url)}" rel="noopener noreferrer">{e(url)}</a>{e(text[m.end():])}'


def css() -> str:
    """The report's style sheet (also used by methods.html and the provenance report)."""
    return resources.files("harness.report").joinpath("page.css").read_text(encoding="utf-8")


_css = css  # the name harness.provenance.report imports


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return fmt.count(value)
    if isinstance(value, float):
        return fmt.num(value, 3) if abs(value) < 1000 else fmt.num(value, 0)
    if value is None:
        return "-"
    if isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, numeric: Sequence[int] = (),
          row_classes: Sequence[str] | None = None, raw: bool = False) -> str:
    """A scrollable table. Cells are escaped unless `raw` (cells already built from escaped parts)."""
    head = "".join(f'<th class="n">{e(h)}</th>' if i in numeric else f"<th>{e(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{e(row_classes[r])}"' if row_classes and row_classes[r] else ""
        cells = "".join(
            f'<td class="n">{c if raw else e(_cell(c))}</td>' if i in numeric else f"<td>{c if raw else e(_cell(c))}</td>"
            for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        return '<p class="small">None.</p>'
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def dict_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A table of records with whatever keys they have (diagnostics are open-ended)."""
    rows = [r for r in rows if isinstance(r, Mapping)]
    if not rows:
        return '<p class="small">None.</p>'
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    return table(keys, ([r.get(k) for k in keys] for r in rows))


def cite(key: str) -> str:
    """A citation of the methods document as a link: 'methods §2.3'."""
    return f'<a class="cite" href="{e(methods.href(key))}">{e(methods.cite(key))}</a>'


def figure(chart: Chart) -> str:
    """A chart: its finding as a heading, the drawing, then what it shows, its source and its files."""
    if chart.missing:
        return f'<p class="missing">Chart not drawn ({e(chart.title.lower())}): {e(chart.missing)}.</p>'
    return (f'<figure id="chart-{e(chart.name)}"><p class="chart-title">{e(chart.title)}</p>{chart.inline_svg}'
            f'<figcaption>{e(chart.caption)} <span class="source">{e(chart.source)}</span> '
            f'Files: <a href="charts/{e(chart.name)}.png">PNG</a> · <a href="charts/{e(chart.name)}.svg">SVG</a> · '
            f'<a href="charts/{e(chart.name)}.csv">data (CSV)</a>.</figcaption></figure>')


def _ci_cell(value: Any, ci: Any, digits: int = 2, unit: str = "") -> str:
    if not fmt.is_num(value):
        return "n/a"
    return f"{fmt.num(value, digits)}{unit} {fmt.bracket(ci, digits)}"


# ---------------------------------------------------------------------------------------------- sections

def _churn(case: Case | None) -> str:
    """What the new release's own table stopped reporting: said before anything else."""
    if case is None or not case.churn:
        return ""
    items = "".join(f"<p>{e(c.sentence())}</p>" for c in case.churn)
    return (f'<div class="note churn" id="churn"><p class="label">Missing from the new table</p>{items}'
            f'<p class="small">Why this matters: {cite("churn")}.</p></div>')


def _guards(doc: Mapping[str, Any]) -> str:
    """The checks that raised a warning, one plain line each, the most serious first, right under the
    headline (the technical messages are under Diagnostics)."""
    lines = wording.guard_plain(doc)
    if not lines:
        return ""
    serious = any(name in ("journal_integrity", "unequal_samples", "score_fractions") for name, _ in lines)
    items = "".join(f'<li data-guard="{e(name)}">{e(line)}</li>' for name, line in lines)
    return (f'<div class="note guards{" serious" if serious else ""}" id="guards"><p class="label">Before you cite '
            f'this</p><ul>{items}</ul><p class="small">Explained in {cite("guards")}; full messages under '
            '<a href="#diagnostics">Diagnostics</a>.</p></div>')


def _headline(doc: Mapping[str, Any], charts: Mapping[str, Chart], case: Case | None = None) -> str:
    v = wording.verdict(doc)
    sentences = "".join(f"<p>{e(s)}</p>" for s in wording.headline(doc))  # logits, ranks, methods: below
    note = (f'<div class="note"><strong>Kind of evidence.</strong> {e(wording.evidence_note(doc))} '
            f'({cite("scores" if doc.get("mode") == "scores" else "unit")})</div>')
    shows = "".join(f"<li>{e(s)}</li>" for s in wording.shows(doc))
    not_shows = "".join(f"<li>{e(s)}</li>" for s in wording.does_not_show(doc))
    return (f'<section id="headline"><h2>Headline</h2>{_churn(case)}'
            f'<p class="badge"><span class="verdict {e(v)}">{e(wording.badge(doc))}</span></p>'
            f'<p class="headline">{e(wording.headline_sentence(doc))}</p>{_guards(doc)}'
            f'<div class="detail"><p class="small">In detail ({cite("verdict")}):</p>{sentences}</div>{note}'
            f"{_case(doc, charts, case)}{figure(charts['slopes'])}"
            f'<div class="cols"><div><h3>What this shows</h3><ul>{shows}</ul></div>'
            f"<div><h3>What this does not show</h3><ul>{not_shows}</ul></div></div></section>")


def _case(doc: Mapping[str, Any], charts: Mapping[str, Chart], case: Case | None) -> str:
    """The context around the comparison: the timeline and its two answers, benchmarks per capability."""
    if case is None or not case.steps or "timeline" not in charts:
        return ""
    answers = []
    change, unusual = wording.change_sentence(case), wording.unusual_sentence(case)
    period = wording.period_phrase(case)
    if change:
        answers.append(f"<p><strong>Did the pattern change after the window?</strong> {e(change)}</p>")
    if unusual:
        answers.append(f"<p><strong>Is it unusual {e(period)}?</strong> {e(unusual)}</p>")
    where_text = wording.timeline_where(case)
    where = f'<p class="small">{e(where_text)} ({cite("timeline")}).</p>' if where_text else ""
    rows = benchmark_rows(case, doc)
    per_cap = (table(["Capability", "Benchmarks here", "What may be said"], rows, numeric=(1,))
               if rows else "")
    window = wording.window_phrase(case)
    source = (f'<p class="small">{e(window[0].upper() + window[1:])}: {e(case.window_source)}.</p>'
              if window and case.window_source else "")
    return (f'<div id="timeline" class="case"><h3>{e(case.title or "Other steps of the period")}</h3>'
            f"{source}{''.join(answers)}{figure(charts['timeline'])}{where}"
            f"<h4>Benchmarks per capability in this comparison</h4>{per_cap}</div>")


def _caveats(case: Case | None) -> str:
    if case is None or not (case.caveats or case.skipped):
        return ""
    out = ""
    if case.caveats:
        rows = [[c["step"], c["what"], c["action"], c["note"]] for c in case.caveats]
        out += (f"<h3>Known problems of these figures</h3><p class=\"small\">Recorded as data and applied by the "
                f"curation ({cite('caveats')}).</p>" + table(["Step", "Row", "Handling", "Why"], rows))
    if case.skipped:
        rows = [[c["step"], c["released"], c["reason"]] for c in case.skipped]
        out += "<h3>Other developers' steps not used as controls</h3>" + table(["Step", "Released", "Why not"], rows)
    return out


def estimand_rows(doc: Mapping[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(estimand, scale, estimate, interval at the document's level, p-value, method) for the policy table
    and summary.md (the flatness row states its own level)."""
    rows: list[tuple[str, str, str, str, str, str]] = []
    asym = doc.get("asymmetry") or {}
    lat = asym.get("latent") or {}
    prim = wording.primary(doc)  # the verdict's asymmetry (the latent row for documents that predate it)
    rows.append(("Asymmetry: targeted minus untargeted mean item gain (primary)", "logits",
                 fmt.signed(prim.get("estimate")), fmt.interval(prim.get("ci")), fmt.p_value(prim.get("p_value")),
                 str(prim.get("method") or "")))
    if fmt.is_num(prim.get("pp_at_50")):
        _, pts_ci = wording.points_at_50(doc)
        rows.append(("Same asymmetry for a benchmark starting at 50%", "pp", fmt.signed(prim["pp_at_50"], 1),
                     fmt.interval(pts_ci, 1) if fmt.is_num(pts_ci[0]) else "see the logit row", "",
                     f"the primary asymmetry translated at a 50% starting level, its interval's ends likewise "
                     f"({methods.cite('points')})"))
    if prim is not lat and fmt.is_num(lat.get("estimate")):
        what = ("Asymmetry on the published accuracies' log odds (pulled by starting levels)"
                if doc.get("mode") == "scores" else
                "Asymmetry on these items (Mantel-Haenszel log odds; pulled by starting levels)")
        rows.append((what, "logits",
                     fmt.signed(lat.get("estimate")), fmt.interval(lat.get("ci")), fmt.p_value(lat.get("p_value")),
                     str(lat.get("method") or "")))
    adjusted = prim.get("baseline_adjusted") if isinstance(prim.get("baseline_adjusted"), Mapping) else None
    if adjusted and fmt.is_num(adjusted.get("estimate")):
        rows.append(("Asymmetry adjusted for starting levels (robustness)", "logits", fmt.signed(adjusted["estimate"]),
                     fmt.interval(adjusted.get("ci")), fmt.p_value(adjusted.get("p_value")),
                     str(adjusted.get("method") or "")))
    exact = asym.get("latent_exact")
    if isinstance(exact, Mapping):
        rows.append(("Exact test of the pooled gain/loss odds, targeted vs untargeted", "odds", "", "",
                     fmt.p_value(exact.get("p_value")), str(exact.get("method") or "")))
    for key, label, unit, digits in (("pp", "Asymmetry in raw percentage points (ceiling-sensitive)", "pp", 1),
                                     ("normalized", "Asymmetry in normalized gain (sensitivity only)", "normalized", 3)):
        est = asym.get(key) or {}
        rows.append((label, unit, fmt.signed(est.get("estimate"), digits), fmt.interval(est.get("ci"), digits),
                     fmt.p_value(est.get("p_value")), str(est.get("method") or "")))
    groups = doc.get("groups") or {}
    for cat in ("targeted", "untargeted"):
        g = groups.get(cat) or {}
        if fmt.is_num(g.get("gain_ratio")):
            method = str(g.get("gain_ratio_method") or "geometric mean of the group's per-suite gain/loss ratios "
                         "(e^ of the mean latent gain), not a pooled count ratio")
            if g.get("gains") is not None:
                method += f"; raw counts: {g['gains']} newly solved, {g['losses']} newly failed"
            if g.get("zero_cell_suites"):
                method += (f"; indicative only: {', '.join(g['zero_cell_suites'])} had no gains or no losses "
                           "(+0.5 correction)")
            rows.append((f"{cat.capitalize()}: items newly solved per item newly failed (average over suites)",
                         "ratio", fmt.ratio(g["gain_ratio"]), fmt.interval(g.get("gain_ratio_ci"), 1), "", method))
        if fmt.is_num(g.get("latent")):
            rows.append((f"{cat.capitalize()}: mean latent gain", "logits", fmt.signed(g["latent"]),
                         fmt.interval(g.get("latent_ci")), "", "equal-weight mean of the group's suites"))
        mean, ci = wording.group_pp(doc, cat)
        rows.append((f"{cat.capitalize()}: mean accuracy change", "pp", fmt.signed(mean, 1), fmt.interval(ci, 1), "",
                     wording.GROUP_PP_METHOD))
    flat = doc.get("flatness") or {}
    if flat:
        verdict = "inside" if flat.get("equivalent") else "not inside"
        rows.append((f"Untargeted pooled change vs the ±{fmt.num(flat.get('margin_pp'), 1)} pp equivalence margin",
                     "pp", fmt.signed(flat.get("pooled_gain_pp"), 1),
                     f"{wording.percent(wording.flat_level(doc))} CI " + fmt.interval(flat.get("ci90"), 1), "",
                     f"{flat.get('method') or 'TOST'}; the {wording.percent(wording.flat_level(doc))} interval is "
                     f"{verdict} the margin"))
    lat_flat = flat.get("latent") if isinstance(flat.get("latent"), Mapping) else None
    if lat_flat:
        verdict = "inside" if lat_flat.get("equivalent") else "not inside"
        rows.append((f"Untargeted mean latent gain vs the ±{fmt.num(lat_flat.get('margin_logit'), 2)} logit margin "
                     "(secondary)", "logits", fmt.signed(lat_flat.get("estimate")),
                     f"{wording.percent(lat_flat.get('level') or wording.flat_level(doc))} CI "
                     + fmt.interval(lat_flat.get("ci")), "",
                     f"{lat_flat.get('method') or 'TOST'}; the interval is {verdict} the margin"))
    td = doc.get("triple_difference")
    if isinstance(td, Mapping) and not fmt.is_num(td.get("excess")):
        n = len(td.get("controls") or [])
        rows.append(("Excess asymmetry over other developers' transitions", "logits", "not estimable", "", "",
                     f"{n} comparable control transition(s): only the placebo rank test applies (rank p = "
                     f"{fmt.p_value(td.get('rank_p_value'))}); {td.get('note') or ''}".rstrip("; ")))
    elif isinstance(td, Mapping):
        rows.append(("Excess asymmetry over other developers' transitions", "logits", fmt.signed(td.get("excess")),
                     fmt.interval(td.get("ci")), fmt.p_value(td.get("t_p_value")),
                     f"prediction-interval t-test against {len(td.get('controls') or [])} controls (df "
                     f"{fmt.num(td.get('df'), 0)}); placebo rank p = {fmt.p_value(td.get('rank_p_value'))}"))
    return rows


_LOGIT_NOTE = {
    False: "Logits are changes in log-odds of success; from paired items they are conditional log odds, which under "
           "a one-parameter item model do not shrink near 0% or 100% as percentage points do",
    True: "Logits are changes in log-odds of the published accuracies: these marginal log odds shrink less near 0% "
          "or 100% than percentage points do, but they are not ceiling-free",
}


def _policy(doc: Mapping[str, Any], charts: Mapping[str, Chart]) -> str:
    rows = estimand_rows(doc)
    est_table = table(["Estimand", "Scale", "Estimate", f"{wording.percent(wording.level(doc))} interval", "p-value",
                       "Method"], rows, numeric=(2, 3, 4))
    citation = (f"<blockquote><p>{e(wording.citation_paragraph(doc))}</p></blockquote><p class=\"small\">This "
                "paragraph is the compare document's own summary, caveat included. With the numbers, methods, data "
                "hashes and the command that reproduces it, it is in <a href=\"citation.txt\">citation.txt</a>.</p>")
    return (f'<section id="policy"><h2>For policy</h2><h3>Estimates, each with its interval and scale</h3>{est_table}'
            f"<p class=\"small\">{e(_LOGIT_NOTE[doc.get('mode') == 'scores'])} ({cite('gains')}). Percentage points (pp) "
            f"are absolute differences between accuracies, never relative changes.</p><h3>Citation</h3>{citation}"
            f"<h3>Pre-registration</h3><p>{e(wording.preregistration(doc))}</p>"
            f"{figure(charts['asymmetry'])}<h3>Other developers' release transitions</h3>{figure(charts['controls'])}"
            "</section>")


def _samples(s: Mapping[str, Any]) -> str:
    """k per item: one number when both releases agree, 'before / after' when they differ."""
    b, a = s.get("samples_before"), s.get("samples_after")
    if fmt.is_num(b) and fmt.is_num(a) and b != a:
        return f"{b:g} / {a:g}"
    return str(s.get("samples")) if s.get("samples") is not None else "-"


def _suite_table(doc: Mapping[str, Any]) -> str:
    rows, classes = [], []
    for s in doc.get("suites") or []:
        cap = s.get("capability") or ""
        rows.append([s.get("suite"), s.get("category"), wording.CAPABILITY_WORDS.get(cap, cap),
                     fmt.count(s.get("n_items")),
                     _samples(s),
                     _ci_cell(s.get("before"), s.get("before_ci"), 1), _ci_cell(s.get("after"), s.get("after_ci"), 1),
                     f"{fmt.signed(s.get('gain_pp'), 1)} {fmt.bracket(s.get('gain_pp_ci'), 1)}",
                     fmt.count(s.get("gains")), fmt.count(s.get("losses")),
                     _ci_cell(s.get("gain_ratio"), s.get("gain_ratio_ci"), 2),
                     f"{fmt.signed(s.get('latent_gain'))} {fmt.bracket(s.get('latent_gain_ci'))}",
                     fmt.p_value(s.get("mcnemar_midp")), fmt.p_value(s.get("p_holm")),
                     ", ".join(map(str, s.get("flags") or [])) or "-"])
        classes.append(str(s.get("category")))
    cl = wording.ci_label(doc)
    return table(["Suite", "Group", "Capability", "Items", "Samples", f"Before % [{cl}]", f"After % [{cl}]",
                  f"Change pp [{cl}]", "Gains", "Losses", f"Gain/loss ratio [{cl}]", f"Latent gain, logits [{cl}]",
                  "Paired test p", "Holm p", "Flags"], rows, numeric=tuple(range(3, 14)), row_classes=classes)


def _methods(doc: Mapping[str, Any]) -> str:
    asym = doc.get("asymmetry") or {}
    gen = doc.get("generalisation") or {}
    diag = doc.get("diagnostics") or {}
    suite_methods = sorted({str(s.get("latent_method")) for s in doc.get("suites") or [] if s.get("latent_method")})
    pp_methods = sorted({str(s.get("gain_pp_method")) for s in doc.get("suites") or [] if s.get("gain_pp_method")})
    test_methods = sorted({str(s.get("mcnemar_method")) for s in doc.get("suites") or [] if s.get("mcnemar_method")})
    items = [
        f"Mode: {doc.get('mode')} ({wording.evidence_note(doc)})",
        f"Primary scale: {doc.get('scale')} (log-odds). Per-suite latent gains: {'; '.join(suite_methods) or 'n/a'}.",
        f"Per-suite percentage-point intervals: {'; '.join(pp_methods) or 'n/a'}.",
        f"Per-suite paired tests (the 'Paired test p' column): {'; '.join(test_methods) or 'n/a'}.",
    ]
    for key in ("latent", "pp", "normalized"):
        est = asym.get(key) or {}
        if est.get("method"):
            note = f" ({est['note']})" if est.get("note") else ""
            items.append(f"Asymmetry, {key} scale: {est['method']}{note}.")
    if gen.get("note"):
        items.append(f"Generalisation beyond these suites: {gen['note']}")
    flat = doc.get("flatness") or {}
    if flat.get("method"):
        items.append(f"Equivalence of untargeted gains: {flat['method']}, margin ±{fmt.num(flat.get('margin_pp'), 1)} "
                     f"pp, {wording.percent(wording.flat_level(doc))} interval.")
    items.append(f"Significance level: {fmt.num(doc.get('alpha', 0.05), 2)}; per-suite p-values Holm-adjusted; "
                 f"hypotheses tested in a fixed sequence (gatekeeping, {methods.cite('order')}).")
    rule = diag.get("error_rule")
    if isinstance(rule, Mapping):
        items.append(f"Errored records (rule '{rule.get('rule')}'): {rule.get('text')}")
    elif rule:
        items.append(f"Errored records: rule '{rule}', applied identically to both releases.")
    boot = diag.get("bootstrap")
    if isinstance(boot, Mapping):
        items.append(f"Item-cluster bootstrap: {boot.get('n_boot')} resamples, seed {boot.get('seed')}, "
                     f"{boot.get('interval')}.")
    items.append(f"{wording.GROUP_PP_METHOD[0].upper()}{wording.GROUP_PP_METHOD[1:]} (the group means in the headline).")
    return ("<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>"
            '<p>Every method, decision rule and wording rule is described in the <a href="methods.html">methods '
            "document</a> shipped with this report.</p>")


def _generalisation(doc: Mapping[str, Any]) -> str:
    gen = doc.get("generalisation") or {}
    rows = []
    for key, label in (("hksj", "Random-effects meta-regression, HKSJ"),
                       ("hksj_modified", "Same, modified HKSJ (q >= 1)")):
        g = gen.get(key)
        if isinstance(g, Mapping):
            rows.append([label, fmt.signed(g.get("estimate")), fmt.interval(g.get("ci")), fmt.p_value(g.get("p_value"))])
        else:
            rows.append([label, "not run", "", ""])
    perm = gen.get("permutation")
    if isinstance(perm, Mapping):
        rows.append([f"Exact suite-label permutation ({fmt.count(perm.get('n_labelings'))} labelings)", "", "",
                     fmt.p_value(perm.get("p_value"))])
    status = gen.get("note") or ("testable" if gen.get("testable") else "not testable with fewer than 3 + 3 suites")
    return (f"<p>{e(gen.get('n_targeted', '?'))} targeted and {e(gen.get('n_untargeted', '?'))} untargeted suites. "
            f"{e(status)}</p>"
            + table(["Test", "Estimate (logits)", f"{wording.percent(wording.level(doc))} interval", "p-value"], rows,
                    numeric=(1, 2, 3)))


def _controls_table(doc: Mapping[str, Any]) -> str:
    td = doc.get("triple_difference")
    if not isinstance(td, Mapping):
        return "<p>No control transitions were compared.</p>"
    rows = [[f"{c.get('before')} -> {c.get('after')}", fmt.signed(c.get("asymmetry")), fmt.num(c.get("se")),
             fmt.bracket(c.get("ci")), ", ".join(map(str, c.get("suites") or [])) or fmt.count(c.get("n_items"))]
            for c in td.get("controls") or []]
    suspect = td.get("suspect_asymmetry")
    if not fmt.is_num(suspect):
        suspect = ((doc.get("asymmetry") or {}).get("latent") or {}).get("estimate")
    summary = [["Suspect asymmetry", fmt.signed(suspect)],
               ["Control mean", fmt.signed(td.get("control_mean"))],
               [f"Excess [{wording.ci_label(doc)}]", f"{fmt.signed(td.get('excess'))} {fmt.bracket(td.get('ci'))}"],
               ["t statistic (df)", f"{fmt.num(td.get('t_stat'))} ({fmt.num(td.get('df'), 0)})"],
               ["Prediction-interval p (one-sided)", fmt.p_value(td.get("t_p_value"))],
               ["Placebo rank p", fmt.p_value(td.get("rank_p_value"))]]
    note = f'<p class="small">{e(td["note"])}</p>' if td.get("note") else ""
    return (table(["Control transition", "Asymmetry (logits)", "SE", f"{wording.percent(wording.level(doc))} interval",
                   "Suites (or paired items)"], rows,
                  numeric=(1, 2, 3))
            + table(["Triple difference", "Value"], summary, numeric=(1,)) + note)


def _power_block(doc: Mapping[str, Any], charts: Mapping[str, Chart]) -> str:
    power = doc.get("power")
    if not isinstance(power, Mapping):
        return figure(charts["power"])
    design = power.get("design") or {}
    rows = [["Minimum detectable latent asymmetry (80% power)", fmt.logits(power.get("mde_latent"))],
            ["Same, in pp at a 50% starting level", fmt.pp(power.get("mde_pp"))]]
    if fmt.is_num(power.get("mde_ddd")):
        rows.append(["Minimum detectable excess over controls", fmt.logits(power.get("mde_ddd"))])
    rows += [[f"Design: {k}", _cell(v)] for k, v in design.items()] if isinstance(design, Mapping) else []
    return figure(charts["power"]) + table(["Power analysis", "Value"], rows, numeric=(1,))


def _rate(entry: Any) -> str:
    if not isinstance(entry, Mapping) or not fmt.is_num(entry.get("rate")):
        return "-"
    return f"{fmt.num(100 * entry['rate'], 1)} ({fmt.count(entry.get('errors'))}/{fmt.count(entry.get('samples'))})"


def _error_rates(doc: Mapping[str, Any]) -> str:
    rates = (doc.get("diagnostics") or {}).get("error_rates") or []
    before, after = str(doc.get("before")), str(doc.get("after"))
    if rates and all(isinstance(r, Mapping) and "suite" in r for r in rates):
        rows = [[r.get("suite"), _rate(r.get("before")), _rate(r.get("after")), fmt.p_value(r.get("fisher_p")),
                 "yes" if r.get("flagged") else "no"] for r in rates]
        return table(["Suite", f"{before}: % (errors/samples)", f"{after}: % (errors/samples)", "Fisher p",
                      "Flagged"], rows, numeric=(1, 2, 3))
    rows = [[s.get("suite"), fmt.num(100 * s["error_rate_before"], 1) if fmt.is_num(s.get("error_rate_before")) else "-",
             fmt.num(100 * s["error_rate_after"], 1) if fmt.is_num(s.get("error_rate_after")) else "-"]
            for s in doc.get("suites") or []]
    if all(r[1] == "-" and r[2] == "-" for r in rows):
        return '<p class="small">Not available (published scores carry no error records).</p>'
    return table(["Suite", f"{before} (%)", f"{after} (%)"], rows, numeric=(1, 2))


def _decoding(doc: Mapping[str, Any]) -> str:
    decoding = (doc.get("diagnostics") or {}).get("decoding")
    if not isinstance(decoding, Mapping) or not decoding:
        return '<p class="small">Not recorded.</p>'
    sides = {label: decoding.get(key) for key, label in (("before", doc.get("before")), ("after", doc.get("after")))
             if key in decoding}
    note = f'<p class="small">{e(decoding["note"])}</p>' if decoding.get("note") else ""
    if not sides:
        return note or '<p class="small">Not recorded.</p>'
    keys: list[str] = []
    for settings in sides.values():
        if isinstance(settings, Mapping):
            keys.extend(k for k in settings if k not in keys)
    rows = [[label, *[(settings.get(k) if isinstance(settings, Mapping) else settings) for k in keys]]
            for label, settings in sides.items()]
    checked = "checked: identical in both releases" if decoding.get("checked") else "not checked"
    return table(["Release", *keys], rows) + f'<p class="small">{e(checked)}</p>' + note


def _diagnostics(doc: Mapping[str, Any]) -> str:
    diag = doc.get("diagnostics") or {}
    out = []
    named = {str(g.get("message")): str(g.get("name")) for g in diag.get("guards") or [] if isinstance(g, Mapping)}
    warnings = [f"{named[w]}: {w}" if w in named else str(w) for w in diag.get("warnings") or []]
    warnings += [f"{p.get('path')}: {p.get('problem')}" for p in diag.get("integrity") or [] if isinstance(p, Mapping)]
    out.append("<h4>Warnings</h4>" + ("<ul>" + "".join(f"<li>{e(w)}</li>" for w in warnings) + "</ul>"
                                      if warnings else '<p class="small">None.</p>'))
    out.append(f"<h4>Error rates per release (% of samples)</h4>{_error_rates(doc)}")
    out.append(f"<h4>Unpaired items</h4>{dict_table(diag.get('unpaired') or [])}")
    disc = []
    for s in doc.get("suites") or []:
        g, loss, n = s.get("gains"), s.get("losses"), s.get("n_items")
        known = fmt.is_num(g) and fmt.is_num(loss)
        rate = (g + loss) / n if known and fmt.is_num(n) and n else None
        disc.append([s.get("suite"), fmt.count(g), fmt.count(loss), fmt.count(g + loss) if known else "n/a",
                     fmt.num(rate, 3) if rate is not None else "n/a"])
    out.append("<h4>Discordance counts</h4>"
               + table(["Suite", "Gains (0 to 1)", "Losses (1 to 0)", "Discordant", "Discordance rate"], disc,
                       numeric=(1, 2, 3, 4)))
    if all(r[3] == "n/a" for r in disc):
        out.append('<p class="small">Unavailable for published scores: which items flipped is unknown.</p>')
    versions = diag.get("suite_versions") or {}
    if not versions:
        versions = {s.get("suite"): s.get("suite_version") for s in doc.get("suites") or [] if s.get("suite_version")}
    out.append("<h4>Suite versions</h4>" + (table(["Suite", "Version"], sorted(
        ([k, v] for k, v in versions.items()), key=lambda r: str(r[0]))) if versions
        else '<p class="small">Not recorded.</p>'))
    out.append(f"<h4>Decoding settings</h4>{_decoding(doc)}")
    if diag.get("hash_mismatch"):
        out.append("<h4>Item hash mismatches</h4>" + dict_table(
            [h if isinstance(h, Mapping) else {"item": h} for h in diag["hash_mismatch"]]))
    other = [[label, diag.get(key)] for key, label in (
        ("samples_per_item", "Samples per item"), ("clusters", "Item clusters"), ("discordance", "Discordance"),
        ("bootstrap", "Bootstrap")) if diag.get(key) is not None]
    if other:
        out.append("<h4>Design</h4>" + table(["Quantity", "Value"], other))
    inputs = doc.get("inputs") or {}
    hashes = inputs.get("sha256") or {}
    out.append("<h4>Data hashes (sha256)</h4>" + (table(["Input", "sha256"], sorted(hashes.items())) if hashes
                                                   else '<p class="small">None recorded.</p>'))
    command = doc.get("command") or "(not recorded)"
    out.append(f"<h4>Reproduce</h4><pre><code>{e(command)}</code></pre>")
    return "".join(out)


def _examples(examples: Sequence[Example], doc: Mapping[str, Any]) -> str:
    if not examples:
        reason = ("published scores have no item-level outputs" if doc.get("mode") == "scores"
                  else "no run journals with model outputs were given (pass --results)")
        return f'<p class="small">No examples: {e(reason)}.</p>'
    parts = []
    for ex in examples:
        what = "newly solved" if ex.kind == "gain" else "newly failed"
        parts.append(
            f"<details><summary>{e(ex.suite)} · item {e(ex.item_id)} · {e(what)} "
            f"({fmt.num(ex.before_score, 2)} to {fmt.num(ex.after_score, 2)})</summary><div class=\"resp\">"
            f"<div><h4>{e(doc.get('before'))} (score {fmt.num(ex.before_score, 2)})</h4>"
            f"<pre>{e(ex.before_output)}</pre></div>"
            f"<div><h4>{e(doc.get('after'))} (score {fmt.num(ex.after_score, 2)})</h4>"
            f"<pre>{e(ex.after_output)}</pre></div></div></details>")
    return ("<p class=\"small\">Chosen by item id, not by how they read; model output is shown as plain text.</p>"
            + "".join(parts))


def _sources(sources: Sequence[Mapping[str, Any]] | None) -> str:
    if not sources:
        return ""
    basis = any(s.get("n_items_basis") for s in sources)
    setting = any(s.get("setting") for s in sources)
    flags = any(s.get("caveats") for s in sources)

    def where(s: Mapping[str, Any]) -> str:
        name = str(s.get("source_name") or "").strip()
        if not name:
            return link(s.get("source"))
        m = _URL.match(str(s.get("source") or "").strip())
        who = f" ({e(s['evaluator'])})" if s.get("evaluator") else ""
        return (f'<a href="{e(m.group(0))}" rel="noopener noreferrer">{e(name)}</a>{who}' if m else f"{e(name)}{who}")

    rows = [[e(s.get("model")), e(s.get("suite")), e(s.get("score", "")),
             *([e(s.get("setting") or "")] if setting else []), e(s.get("n_items", "")),
             *([e(s.get("n_items_basis") or "")] if basis else []), where(s),
             *([e(s.get("caveats") or "")] if flags else [])]
            for s in sources]
    headers = ["Release", "Suite", "Reported score (%)", *(["Setting"] if setting else []), "Items",
               *(["Where the item count comes from"] if basis else []), "Source", *(["Caveats"] if flags else [])]
    return ("<h3>Sources of the published scores</h3>"
            + table(headers, rows, numeric=(2, 4 if setting else 3), raw=True))


def _research(doc: Mapping[str, Any], charts: Mapping[str, Chart], examples: Sequence[Example],
              sources: Sequence[Mapping[str, Any]] | None, case: Case | None = None) -> str:
    conj = doc.get("conjunction") or {}
    conj_rows = [["Targeted gains disproportionate (latent, one-sided)", conj.get("targeted_disproportionate")],
                 ["Untargeted gains within the equivalence margin", conj.get("untargeted_flat")],
                 ["Both (intersection-union test)", conj.get("holds")]] if conj else []
    gate = [[g.get("hypothesis"), g.get("tested"), fmt.p_value(g.get("p_value")), g.get("rejected"),
             g.get("reason") or ""] for g in doc.get("gatekeeping") or []]
    contamination = doc.get("contamination")
    if isinstance(contamination, Mapping):
        cont = table(["Items", "Estimate (logits)", f"{wording.percent(wording.level(doc))} interval", "p-value",
                      "n items"], [
            [k, fmt.signed((contamination.get(k) or {}).get("estimate")), fmt.interval((contamination.get(k) or {}).get("ci")),
             fmt.p_value((contamination.get(k) or {}).get("p_value")), fmt.count((contamination.get(k) or {}).get("n_items"))]
            for k in ("fresh", "old", "difference")], numeric=(1, 2, 3, 4))
    else:
        cont = '<p class="small">No fresh/old split: the inputs carry no item release dates and cutoffs.</p>'
    return (f'<section id="research"><h2>For researchers</h2><h3>Methods</h3>{_methods(doc)}'
            f"<h3>Per-suite results</h3>{_suite_table(doc)}{figure(charts['forest'])}"
            f"<h3>Generalisation beyond these suites (L2)</h3>{_generalisation(doc)}"
            f"<h3>Equivalence and the conjunction claim</h3>"
            f"{table(['Component', 'Holds'], conj_rows) if conj_rows else '<p class=small>Not computed.</p>'}"
            f"<h3>Hypotheses in their fixed order (gatekeeping)</h3>"
            f"{table(['Hypothesis', 'Tested', 'p-value (one-sided)', 'Rejected', 'Note'], gate, numeric=(2,))}"
            f"<h3>Triple difference against other developers (L3)</h3>{_controls_table(doc)}"
            f"<h3>Contamination split</h3>{cont}<h3>Power</h3>{_power_block(doc, charts)}"
            f"<h3 id=\"diagnostics\">Diagnostics</h3>{_diagnostics(doc)}"
            f"<h3>Examples of discordant items</h3>{_examples(examples, doc)}{_caveats(case)}{_sources(sources)}"
            "</section>")


def _files(charts: Sequence[Chart], extra: Sequence[str]) -> str:
    names = ["compare.json", "summary.md", "citation.txt", "methods.html", "methods.md", *extra]
    for c in charts:
        if not c.missing:
            names += [f"charts/{c.name}.png", f"charts/{c.name}.svg", f"charts/{c.name}.csv"]
    items = "".join(f'<li><a href="{e(n)}">{e(n)}</a></li>' for n in names)
    return f'<section id="files" class="files"><h2>Files</h2><ul>{items}</ul></section>'


def render_page(doc: Mapping[str, Any], charts: Sequence[Chart], *, examples: Sequence[Example] = (),
                sources: Sequence[Mapping[str, Any]] | None = None, extra_files: Sequence[str] = (),
                case: Case | None = None) -> str:
    """The whole index.html as a string."""
    by_name = {c.name: c for c in charts}
    for name in NAMES:  # a chart not rendered at all is reported as missing, never silently dropped
        by_name.setdefault(name, Chart(name=name, title=name, caption="", missing="not rendered"))
    mode = "published scores (score-level)" if doc.get("mode") == "scores" else "item-level runs"
    sub = (f"{e(doc.get('before'))} &rarr; {e(doc.get('after'))} · {e(mode)} · generated {e(doc.get('created_at', ''))} "
           f"· asymmetry {e(doc.get('harness_version', ''))}")
    nav = ('<nav><a href="#headline">Headline</a><a href="#policy">For policy</a>'
           '<a href="#research">For researchers</a><a href="methods.html">Methods</a><a href="#files">Files</a></nav>')
    body = (_headline(doc, by_name, case) + _policy(doc, by_name) + _research(doc, by_name, examples, sources, case)
            + _files(charts, extra_files))
    footer = (f"<footer><p>{e(wording.caveat(doc))}</p><p>Made with asymmetry {e(doc.get('harness_version', ''))} "
              f"from the compare document <a href=\"compare.json\">compare.json</a> (schema {e(doc.get('schema'))}). "
              'Methods, decision rules and wording rules: <a href="methods.html">methods.html</a> (also as '
              '<a href="methods.md">methods.md</a>).</p></footer>')
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            f"<title>{e(wording.title(doc))}</title><style>{css()}</style></head><body>"
            f"<header><h1>{e(wording.title(doc))}</h1><p class=\"sub\">{sub}</p>{nav}</header><main>{body}</main>"
            f"{footer}</body></html>\n")
