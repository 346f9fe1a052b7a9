"""The report's five charts, drawn with matplotlib from the compare document alone.

Each chart comes with the data behind it (a table ready for newsroom chart tools), a PNG, a standalone
SVG and an SVG fragment to inline in the page. A chart whose data the document does not hold is not
invented: it comes back with `missing` set to the reason, and the page says so.

Style: the Okabe-Ito colour-blind-safe palette, with shape as well as colour telling targeted (circles)
from untargeted (squares), labelled axes with units, and a source line on every chart.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from harness.report import fmt
from harness.report.wording import level, percent, suites_of

TARGETED = "#D55E00"  # vermillion
UNTARGETED = "#0072B2"  # blue
CONTROL = "#7F7F7F"
ACCENT = "#009E73"  # bluish green
INK = "#222222"
MUTED = "#555555"
COLOURS = {"targeted": TARGETED, "untargeted": UNTARGETED}
MARKERS = {"targeted": "o", "untargeted": "s"}
GROUP_LABEL = {"targeted": "Targeted (coding, agentic)", "untargeted": "Untargeted (math, factual)"}

STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "svg.fonttype": "none",  # text stays text: selectable, searchable, drawn in the reader's system font
    "svg.hashsalt": "asymmetry",  # stable ids, so the same document gives the same SVG
}

NAMES = ("slopes", "forest", "asymmetry", "controls", "power")


@dataclass
class Chart:
    """One chart: its data as rows, and (unless `missing`) its renderings."""

    name: str
    title: str
    caption: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    png: bytes | None = None
    svg: str | None = None  # standalone file
    inline_svg: str | None = None  # fragment for the page
    missing: str | None = None


class _Missing(Exception):
    pass


def _label(text: Any) -> str:
    """Untrusted text for matplotlib: `$` would start mathtext."""
    return str(text).replace("$", r"\$")


def _wrap(text: Any, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(_label(text), width)) or " "


def _ci(value: Any) -> tuple[float | None, float | None]:
    if isinstance(value, Sequence) and len(value) == 2:
        lo, hi = value
        return (lo if fmt.is_num(lo) else None, hi if fmt.is_num(hi) else None)
    return None, None


def _source(fig: Any, source: str) -> None:
    fig.text(0.01, 0.01, _label(source), fontsize=6.5, color=MUTED, ha="left", va="bottom")


def _spread(ys: list[float], gap: float) -> list[float]:
    """Nudge label positions apart by at least `gap`, keeping their order."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for prev, cur in zip(order, order[1:], strict=False):
        if out[cur] - out[prev] < gap:
            out[cur] = out[prev] + gap
    return out


def _errorbar(ax: Any, x: float | None, y: float, ci: tuple[float | None, float | None], **kw: Any) -> None:
    lo, hi = ci
    if x is None:
        return
    if lo is not None and hi is not None:
        # an estimate may sit outside its own interval (exact or bootstrap intervals): never a negative bar
        ax.errorbar([x], [y], xerr=[[max(0.0, x - lo)], [max(0.0, hi - x)]], fmt=kw.pop("marker", "o"), capsize=2.5,
                    **kw)
        if not lo <= x <= hi:
            ax.plot([lo, hi], [y, y], color=kw.get("color"), linewidth=kw.get("elinewidth", 1.3))
    else:
        ax.plot([x], [y], kw.pop("marker", "o"), color=kw.get("color"), markersize=kw.get("markersize", 6))


# ---------------------------------------------------------------------------------------------- charts


def _slopes(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str]:
    rows = []
    for s in doc.get("suites") or []:
        lo, hi = _ci(s.get("gain_pp_ci"))
        rows.append({"suite": s.get("suite"), "category": s.get("category"), "capability": s.get("capability"),
                     "n_items": s.get("n_items"), "before_pct": s.get("before"), "after_pct": s.get("after"),
                     "gain_pp": s.get("gain_pp"), "gain_pp_ci_low": lo, "gain_pp_ci_high": hi})
    values = [v for r in rows for v in (r["before_pct"], r["after_pct"]) if fmt.is_num(v)]
    if not values:
        raise _Missing("the document has no per-suite accuracies")
    ymin, ymax = max(0.0, min(values) - 8), min(100.0, max(values) + 8)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, cat in zip(axes, ("targeted", "untargeted"), strict=True):
        colour = COLOURS[cat]
        members = [r for r in rows if r["category"] == cat]
        ys, labels = [], []
        for r in members:
            if not (fmt.is_num(r["before_pct"]) and fmt.is_num(r["after_pct"])):
                continue
            ax.plot([0, 1], [r["before_pct"], r["after_pct"]], color=colour, marker=MARKERS[cat], linewidth=1.8,
                    markersize=5)
            ys.append(r["after_pct"])
            labels.append(f"{_wrap(r['suite'], 20)}  {fmt.pp(r['gain_pp'])}")
        for y, text in zip(_spread(ys, (ymax - ymin) * 0.065), labels, strict=True):
            ax.text(1.06, y, text, va="center", ha="left", fontsize=7.5, color=INK)
        if not members:
            ax.text(0.5, (ymin + ymax) / 2, "no suites in this group", ha="center", color=MUTED)
        ax.set_title(GROUP_LABEL[cat], color=colour, loc="left")
        ax.set_xticks([0, 1], [_wrap(doc.get("before"), 18), _wrap(doc.get("after"), 18)])
        ax.set_xlim(-0.2, 2.5)
        ax.set_ylim(ymin, ymax)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes[0].set_ylabel("Accuracy (%)")
    fig.subplots_adjust(left=0.08, right=0.99, top=0.8, bottom=0.2, wspace=0.08)
    columns = ["suite", "category", "capability", "n_items", "before_pct", "after_pct", "gain_pp", "gain_pp_ci_low",
               "gain_pp_ci_high"]
    return columns, rows, "Accuracy of each suite before and after, in percent; labels give the change in pp."


def _forest(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str]:
    rows: list[dict[str, Any]] = []
    for cat in ("targeted", "untargeted"):
        for s in suites_of(doc, cat):
            lo, hi = _ci(s.get("latent_gain_ci"))
            rows.append({"row": s.get("suite"), "kind": "suite", "category": cat,
                         "latent_gain_logits": s.get("latent_gain"), "ci_low": lo, "ci_high": hi,
                         "method": s.get("latent_method", "")})
        group = ((doc.get("groups") or {}).get(cat)) or {}
        if fmt.is_num(group.get("latent")):
            lo, hi = _ci(group.get("latent_ci"))
            rows.append({"row": f"{cat} mean", "kind": "group", "category": cat,
                         "latent_gain_logits": group["latent"], "ci_low": lo, "ci_high": hi,
                         "method": "equal-weight group mean"})
    if not any(fmt.is_num(r["latent_gain_logits"]) for r in rows):
        raise _Missing("the document has no per-suite latent gains")
    ax = fig.subplots()
    n = len(rows)
    for i, r in enumerate(rows):
        y = n - 1 - i
        group = r["kind"] == "group"
        est = r["latent_gain_logits"] if fmt.is_num(r["latent_gain_logits"]) else None
        _errorbar(ax, est, y, (r["ci_low"], r["ci_high"]), marker="D" if group else MARKERS[r["category"]],
                  color=COLOURS[r["category"]], markersize=7 if group else 5, elinewidth=2.2 if group else 1.3)
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_yticks(range(n), [_wrap(r["row"], 28) for r in reversed(rows)])
    for tick, r in zip(ax.get_yticklabels(), reversed(rows), strict=True):
        tick.set_color(COLOURS[r["category"]])
        if r["kind"] == "group":
            tick.set_fontweight("bold")
    ax.set_xlabel("Latent gain, new minus old release (logits: change in log-odds of success)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    fig.subplots_adjust(left=0.26, right=0.97, top=0.84, bottom=0.2)
    columns = ["row", "kind", "category", "latent_gain_logits", "ci_low", "ci_high", "method"]
    return columns, rows, (f"Per-suite latent (log-odds) gains with {percent(level(doc))} intervals; diamonds are "
                           "group means.")


_SCALES = (
    ("latent", "Latent (primary)", "logits"),
    ("pp", "Percentage points (ceiling-sensitive)", "pp"),
    ("normalized", "Normalized gain (Hake; sensitivity only)", "normalized-gain units"),
)


def _asymmetry(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str]:
    asym = doc.get("asymmetry") or {}
    rows = []
    for key, label, unit in _SCALES:
        e = asym.get(key) or {}
        lo, hi = _ci(e.get("ci"))
        rows.append({"scale": key, "unit": unit, "estimate": e.get("estimate"), "ci_low": lo, "ci_high": hi,
                     "p_value": e.get("p_value"), "method": e.get("method", ""), "label": label})
    if not fmt.is_num(rows[0]["estimate"]):
        raise _Missing("the document has no latent asymmetry estimate")
    axes = fig.subplots(3, 1)
    for ax, r in zip(axes, rows, strict=True):
        est = r["estimate"] if fmt.is_num(r["estimate"]) else None
        colour = INK if r["scale"] == "latent" else MUTED
        if est is None:
            ax.text(0.5, 0.5, "not estimated", transform=ax.transAxes, ha="center", va="center", color=MUTED)
        else:
            _errorbar(ax, est, 0, (r["ci_low"], r["ci_high"]), marker="o", color=colour, markersize=6,
                      elinewidth=1.8)
            ends = [v for v in (est, r["ci_low"], r["ci_high"]) if v is not None]
            span = max(abs(v) for v in ends) * 1.25 or 1.0
            ax.set_xlim(-span, span)
            ax.text(est, 0.35, f"{fmt.signed(est)}  [{fmt.num(r['ci_low'])}, {fmt.num(r['ci_high'])}]",
                    ha="center", va="bottom", fontsize=7.5, color=colour)
        ax.axvline(0, color=MUTED, linewidth=0.8)
        ax.set_ylim(-0.6, 0.9)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_title(f"{r['label']}", loc="left", fontsize=8.5, color=colour)
        ax.set_xlabel(f"targeted minus untargeted gain ({r['unit']})", fontsize=7.5)
    fig.subplots_adjust(left=0.05, right=0.97, top=0.82, bottom=0.13, hspace=1.25)
    for r in rows:
        r.pop("label")
    columns = ["scale", "unit", "estimate", "ci_low", "ci_high", "p_value", "method"]
    return columns, rows, (f"The asymmetry (targeted minus untargeted gain) on three scales, with "
                           f"{percent(level(doc))} intervals.")


def _controls(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str]:
    td = doc.get("triple_difference")
    if not isinstance(td, Mapping) or not td.get("controls"):
        raise _Missing("no control transitions were compared (pass --control BEFORE:AFTER, one per transition)")
    rows = []
    z = NormalDist().inv_cdf(0.5 + level(doc) / 2)  # the document's level, not a hard-coded 95%
    for c in td["controls"]:
        a, se = c.get("asymmetry"), c.get("se")
        rows.append({"transition": f"{c.get('before')} -> {c.get('after')}", "role": "control",
                     "asymmetry_logits": a, "se": se,
                     "ci_low": a - z * se if fmt.is_num(a) and fmt.is_num(se) else None,
                     "ci_high": a + z * se if fmt.is_num(a) and fmt.is_num(se) else None})
    lat = (doc.get("asymmetry") or {}).get("latent") or {}
    suspect = td.get("suspect_asymmetry", lat.get("estimate"))
    lo, hi = _ci(lat.get("ci"))
    rows.append({"transition": f"{doc.get('before')} -> {doc.get('after')}", "role": "suspect",
                 "asymmetry_logits": suspect, "se": lat.get("se"), "ci_low": lo, "ci_high": hi})
    plotted = sorted((r for r in rows if fmt.is_num(r["asymmetry_logits"])), key=lambda r: r["asymmetry_logits"])
    fig.set_size_inches(7.5, max(3.2, 1.7 + 0.5 * len(plotted)))
    ax = fig.subplots()
    for y, r in enumerate(plotted):
        suspect_row = r["role"] == "suspect"
        _errorbar(ax, r["asymmetry_logits"], y, (r["ci_low"], r["ci_high"]), marker="D" if suspect_row else "o",
                  color=TARGETED if suspect_row else CONTROL, markersize=8 if suspect_row else 5,
                  elinewidth=2 if suspect_row else 1.2)
    ax.set_yticks(range(len(plotted)), [_wrap(r["transition"] + (" (suspect)" if r["role"] == "suspect" else ""), 30)
                                        for r in plotted])
    for tick, r in zip(ax.get_yticklabels(), plotted, strict=True):
        if r["role"] == "suspect":
            tick.set_color(TARGETED)
            tick.set_fontweight("bold")
    mean = td.get("control_mean")
    if fmt.is_num(mean):
        ax.axvline(mean, color=CONTROL, linestyle="--", linewidth=1)
        ax.text(mean, len(plotted) - 0.4, " control mean", color=MUTED, fontsize=7, va="bottom")
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_ylim(-0.7, len(plotted) - 0.1)
    ax.set_xlabel("Latent asymmetry, targeted minus untargeted gain (logits)")
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    fig.subplots_adjust(left=0.4, right=0.97, top=1 - 0.8 / fig.get_size_inches()[1],
                        bottom=0.75 / fig.get_size_inches()[1])
    columns = ["transition", "role", "asymmetry_logits", "se", "ci_low", "ci_high"]
    return columns, rows, "Each release transition's latent asymmetry; the suspect transition is the diamond."


def _power(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str]:
    power = doc.get("power")
    curve = power.get("curve") if isinstance(power, Mapping) else None
    points = [p for p in curve or [] if fmt.is_num(p.get("effect")) and fmt.is_num(p.get("power"))]
    if not points:
        raise _Missing("the document has no power analysis (compare adds one from harness.stats.power)")
    points.sort(key=lambda p: p["effect"])
    rows = [{"effect_logits": p["effect"], "power_pct": 100 * p["power"]} for p in points]
    ax = fig.subplots()
    ax.plot([r["effect_logits"] for r in rows], [r["power_pct"] for r in rows], color=ACCENT, linewidth=2)
    ax.axhline(80, color=MUTED, linestyle=":", linewidth=1)
    ax.text(rows[0]["effect_logits"], 81, "80% power", color=MUTED, fontsize=7, va="bottom")
    xs = [r["effect_logits"] for r in rows]
    mid = (min(xs) + max(xs)) / 2

    def mark(x: float, y: float, text: str, colour: str, style: str) -> None:
        ax.axvline(x, color=colour, linestyle=style, linewidth=1)
        ax.text(x, y, f" {text} " if x <= mid else f" {text} ", color=colour, fontsize=7.5,
                ha="left" if x <= mid else "right")

    mde = power.get("mde_latent")
    if fmt.is_num(mde):
        mark(mde, 4, f"detectable at 80%: {fmt.num(mde)} logits", ACCENT, "--")
    observed = ((doc.get("asymmetry") or {}).get("latent") or {}).get("estimate")
    if fmt.is_num(observed):
        mark(abs(observed), 14, f"observed |asymmetry|: {fmt.num(abs(observed))}", TARGETED, "-")
    ax.set_ylim(0, 100)
    ax.set_xlabel("True latent asymmetry (logits)")
    ax.set_ylabel("Power to detect it (%)")
    ax.grid(color="#dddddd", linewidth=0.6)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.84, bottom=0.2)
    return (["effect_logits", "power_pct"], rows,
            "Probability that this design detects an asymmetry of each size (two-sided, alpha 0.05).")


_DRAW: dict[str, tuple[str, Callable[[Mapping[str, Any], Any], tuple[list[str], list[dict[str, Any]], str]],
                       tuple[float, float]]] = {
    "slopes": ("Accuracy before and after, by suite", _slopes, (8.0, 4.6)),
    "forest": ("Per-suite latent gains", _forest, (7.5, 4.6)),
    "asymmetry": ("The asymmetry on three scales", _asymmetry, (7.5, 4.8)),
    "controls": ("This transition among other developers' transitions", _controls, (7.5, 3.5)),
    "power": ("What this design could detect", _power, (7.5, 4.2)),
}

_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def _inline(svg: str, name: str, title: str) -> str:
    """An SVG fragment safe to inline: no XML prolog, no metadata, no namespace URLs, ids prefixed."""
    svg = re.sub(r"<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = _ID.sub(lambda m: f'id="{name}-{m.group(1)}"', svg)
    svg = _REF.sub(lambda m: f"{m.group(1)}{name}-{m.group(2)}", svg)
    svg = re.sub(r'<svg\b([^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r"<svg\1", svg, count=1)
    from html import escape

    return svg.replace("<svg", f'<svg role="img" aria-label="{escape(title)}" class="chart"', 1)


def render(doc: Mapping[str, Any], name: str, *, source: str) -> Chart:
    """Draw one chart (`name` in NAMES); a chart without data comes back with `missing` set."""
    import matplotlib
    from matplotlib.figure import Figure

    title, draw, size = _DRAW[name]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=size)
        try:
            columns, rows, caption = draw(doc, fig)
        except _Missing as e:
            return Chart(name=name, title=title, caption="", missing=str(e))
        fig.suptitle(f"{title}\n{_label(doc.get('before'))} -> {_label(doc.get('after'))}", x=0.01, ha="left",
                     fontsize=10, color=INK, linespacing=1.4)
        _source(fig, source)
        png, svg = io.BytesIO(), io.StringIO()
        fig.savefig(png, format="png", dpi=150, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    text = svg.getvalue()
    return Chart(name=name, title=title, caption=caption, columns=columns, rows=rows, png=png.getvalue(), svg=text,
                 inline_svg=_inline(text, name, title))


def render_all(doc: Mapping[str, Any], *, source: str) -> list[Chart]:
    """The five charts, in reading order."""
    return [render(doc, name, source=source) for name in NAMES]


def to_csv(chart: Chart) -> str:
    """The chart's data as CSV (empty cells for missing values; numbers unrounded; text that a spreadsheet
    would read as a formula defused, `harness.report.fmt.csv_safe`)."""
    import csv


    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([fmt.csv_safe(c) for c in chart.columns])
    for row in chart.rows:
        writer.writerow([fmt.csv_safe("" if row.get(c) is None else row.get(c)) for c in chart.columns])
    return buf.getvalue()
