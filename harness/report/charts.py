"""The report's charts, drawn with matplotlib from the compare document (and, for the timeline, from the
report's context): each with the data behind it, a PNG and a standalone SVG for newsroom tools, and an SVG
fragment to inline in the page.

Phone first: every chart is drawn 4.4 inches wide with labels of at least 10.5 pt, so on a 390 px phone
(about 358 px of content) its text renders at about 11.9 CSS px, and the page caps its width on a desktop.
The standalone files carry the title (the finding, in words) and the source line (the original sources:
the vendor's table or the evaluator); the inline fragment leaves both to the page's HTML text, which
wraps and scales with the reader's settings.

A chart whose data the document does not hold is not invented: it comes back with `missing` set to the
reason, and the page says so. Style: the Okabe-Ito colour-blind-safe palette, with shape as well as colour
telling targeted (circles) from untargeted (squares), labelled axes with units.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from harness.compare import wording
from harness.compare.wording import asymmetry_title, level, percent, suites_of  # noqa: F401  (asymmetry_title: charts.asymmetry_title)
from harness.report import fmt

TARGETED = "#D55E00"  # vermillion
UNTARGETED = "#0072B2"  # blue
CONTROL = "#6F6F6F"
ACCENT = "#009E73"  # bluish green
INK = "#222222"
MUTED = "#555555"
COLOURS = {"targeted": TARGETED, "untargeted": UNTARGETED}
MARKERS = {"targeted": "o", "untargeted": "s"}

WIDTH = 4.4  # inches: phone first
LABEL = 10.5  # pt: the smallest text in a chart
STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": LABEL,
    "axes.titlesize": LABEL,
    "axes.labelsize": LABEL,
    "xtick.labelsize": LABEL,
    "ytick.labelsize": LABEL,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "svg.fonttype": "none",  # text stays text: selectable, searchable, drawn in the reader's system font
    "svg.hashsalt": "asymmetry",  # stable ids, so the same document gives the same SVG
}
SIDES = ("← untargeted \ngained more ", " targeted →\n gained more")  # left and right of zero

NAMES = ("slopes", "forest", "asymmetry", "controls", "power")


@dataclass
class Chart:
    """One chart: its data as rows, and (unless `missing`) its renderings."""

    name: str
    title: str  # the finding, in words
    caption: str
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    png: bytes | None = None
    svg: str | None = None  # standalone file (title and source drawn in)
    inline_svg: str | None = None  # fragment for the page (title and source are the page's text)
    missing: str | None = None
    source: str = ""


class _Missing(Exception):
    pass


def _label(text: Any) -> str:
    """Untrusted text for matplotlib: `$` would start mathtext."""
    return str(text).replace("$", r"\$")


def _wrap(text: Any, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(_label(text), width, break_on_hyphens=False)) or " "


def _ci(value: Any) -> tuple[float | None, float | None]:
    if isinstance(value, Sequence) and len(value) == 2:
        lo, hi = value
        return (lo if fmt.is_num(lo) else None, hi if fmt.is_num(hi) else None)
    return None, None


def _spread(ys: list[float], gaps: list[float], lo: float, hi: float) -> list[float]:
    """Label positions near `ys`, each at least its gap from the next, kept inside [lo, hi] when they fit
    (else they run past `hi` and the caller widens the axis)."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    out = list(ys)
    for prev, cur in zip(order, order[1:], strict=False):
        need = (gaps[prev] + gaps[cur]) / 2
        if out[cur] - out[prev] < need:
            out[cur] = out[prev] + need
    if order and out[order[-1]] > hi:  # pushed past the top: settle them downwards from the top
        out[order[-1]] = hi
        for cur, prev in zip(order[::-1], order[-2::-1], strict=False):
            need = (gaps[prev] + gaps[cur]) / 2
            out[prev] = min(out[prev], out[cur] - need)
        if out[order[0]] < lo:  # too many to fit: start at the bottom and let them run above
            out[order[0]] = lo
            for prev, cur in zip(order, order[1:], strict=False):
                out[cur] = max(out[cur], out[prev] + (gaps[prev] + gaps[cur]) / 2)
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


def _sides(ax: Any) -> None:
    """Which side of zero means what, written above the axis on either side of zero."""
    at = ax.get_xaxis_transform()  # x in data (zero), y in axes units
    for text, ha, colour in ((SIDES[0], "right", UNTARGETED), (SIDES[1], "left", TARGETED)):
        ax.text(0, 1.01, text, transform=at, ha=ha, va="bottom", fontsize=LABEL, color=colour, linespacing=1.1,
                multialignment=ha)


def _symmetric(ax: Any, values: Sequence[float | None], pad: float = 1.15) -> None:
    ends = [abs(v) for v in values if v is not None and fmt.is_num(v)]
    span = (max(ends) if ends else 1.0) * pad or 1.0
    ax.set_xlim(-span, span)


@dataclass
class _Row:
    """One line of a dot chart: a header, or a labelled estimate with its interval."""

    label: str
    header: bool = False
    estimate: float | None = None
    ci: tuple[float | None, float | None] = (None, None)
    colour: str = INK
    marker: str = "o"
    size: float = 5
    bold: bool = False
    muted: bool = False
    hollow: bool = False
    note: str = ""  # shown instead of a dot


def _dot_rows(fig: Any, rows: Sequence[_Row], xlabel: str, *, band: tuple[float, float] | None = None,
              zero: bool = True, sides: bool = True, wrap: int = 44) -> Any:
    """Rows of estimates for a phone: each label on its own line above its dot and interval, so the axis has
    the full width and every label sits next to its own mark, however many rows there are."""
    texts = [_wrap(r.label, wrap) for r in rows]
    units = [0.9 + 0.55 * t.count("\n") if r.header else 1.95 + 0.55 * t.count("\n") for r, t in zip(rows, texts, strict=True)]
    fig.set_size_inches(WIDTH, 0.95 + 0.2 * sum(units))
    ax = fig.subplots()
    ends = [v for r in rows for v in (r.estimate, *r.ci) if fmt.is_num(v)]
    _symmetric(ax, ends + ([*band] if band else []), pad=1.12)
    y = sum(units)
    for r, text, unit in zip(rows, texts, units, strict=True):
        top = y
        y -= unit
        if r.header:
            ax.text(0.0, top - 0.15, text, transform=ax.get_yaxis_transform(), ha="left", va="top", fontsize=LABEL,
                    fontweight="bold", color=INK).set_in_layout(False)  # wrapped to fit: never shrinks the axis
            continue
        bar = y + 0.5
        ax.text(0.0, top - 0.05, text, transform=ax.get_yaxis_transform(), ha="left", va="top", fontsize=LABEL,
                fontweight="bold" if r.bold else "normal", color=r.colour if r.bold else (MUTED if r.muted else INK),
                linespacing=1.1).set_in_layout(False)
        if band and fmt.is_num(r.estimate):
            ax.fill_between(band, bar - 0.32, bar + 0.32, color="#e6e6e6", zorder=0, linewidth=0)
        if zero:
            ax.plot([0, 0], [bar - 0.35, bar + 0.35], color=MUTED, linewidth=0.8, zorder=1)
        if fmt.is_num(r.estimate):
            _errorbar(ax, r.estimate, bar, r.ci, marker=r.marker, color=r.colour, markersize=r.size,
                      elinewidth=2.2 if r.bold else 1.3, markerfacecolor="white" if r.hollow else r.colour, zorder=3)
        elif r.note:
            ax.text(0.0, bar, _wrap(r.note, wrap), transform=ax.get_yaxis_transform(), ha="left", va="center",
                    fontsize=LABEL, color=MUTED, style="italic").set_in_layout(False)
    ax.set_ylim(0, sum(units) + 0.1)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(_wrap(xlabel, 50))
    if sides:
        _sides(ax)
    return ax


# ---------------------------------------------------------------------------------------------- charts


def _group_label(cat: str, members: Sequence[Mapping[str, Any]]) -> str:
    """'Targeted: coding, agentic' or, when a capability is missing, what the group really holds."""
    return wording.group_label(cat, [r.get("capability") or None for r in members])


def _slopes(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str, str]:
    rows = []
    for s in doc.get("suites") or []:
        lo, hi = _ci(s.get("gain_pp_ci"))
        rows.append({"suite": s.get("suite"), "category": s.get("category"), "capability": s.get("capability"),
                     "n_items": s.get("n_items"), "before_pct": s.get("before"), "after_pct": s.get("after"),
                     "gain_pp": s.get("gain_pp"), "gain_pp_ci_low": lo, "gain_pp_ci_high": hi})
    drawn = [r for r in rows if fmt.is_num(r["before_pct"]) and fmt.is_num(r["after_pct"])]
    if not drawn:
        raise _Missing("the document has no per-suite accuracies")
    groups = [(cat, sorted((r for r in drawn if r["category"] == cat), key=lambda r: -r["after_pct"]))
              for cat in ("targeted", "untargeted")]
    groups = [(cat, members) for cat, members in groups if members]
    index = {id(r): k for k, r in enumerate(rows)}
    line = 0.2  # inches per label line
    labels = {id(r): f"{_wrap(r['suite'], 20)}  {fmt.num(r['after_pct'], 1)}% ({fmt.pp(r['gain_pp'])})"
              for _, m in groups for r in m}
    heights = [0.95 + max(1.3, sum(line * (1 + labels[id(r)].count("\n")) + 0.05 for r in m)) for _, m in groups]
    fig.set_size_inches(WIDTH, sum(heights) + 0.3)
    axes = fig.subplots(len(groups), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    for ax, (cat, members), height in zip(axes, groups, heights, strict=True):
        colour = COLOURS[cat]
        values = [v for r in members for v in (r["before_pct"], r["after_pct"])]
        ymin, ymax = max(0.0, min(values) - 4), min(100.0, max(values) + 4)
        per_inch = (ymax - ymin) / max(0.5, height - 0.95)
        texts = [labels[id(r)] for r in members]
        gaps = [(line * (1 + text.count("\n")) + 0.05) * per_inch for text in texts]
        ys = _spread([r["after_pct"] for r in members], gaps, ymin, ymax)
        top = max([ymax, *(y + g / 2 for y, g in zip(ys, gaps, strict=True))])
        bottom = min([ymin, *(y - g / 2 for y, g in zip(ys, gaps, strict=True))])
        for r, y, text in zip(members, ys, texts, strict=True):
            k = index[id(r)]
            ax.plot([0, 1], [r["before_pct"], r["after_pct"]], color=colour, marker=MARKERS[cat], linewidth=1.8,
                    markersize=4, gid=f"line-{k}")
            # a leader from the line's end to its label: labels keep the lines' order, so leaders never cross
            ax.plot([1.04, 1.16], [r["after_pct"], y], color="#9a9a9a", linewidth=0.7, gid=f"leader-{k}")
            ax.text(1.2, y, text, va="center", ha="left", fontsize=LABEL, color=INK, linespacing=1.05,
                    gid=f"label-{k}")
        ax.set_title(f"{_group_label(cat, members)} ({len(members)})", color=colour, loc="left", fontsize=LABEL,
                     fontweight="bold")
        ax.set_xticks([0, 1], ["before", "after"])
        ax.spines["bottom"].set_bounds(0, 1)
        ax.set_xlim(-0.15, 3.3)
        ax.set_ylim(bottom, top)
        ax.set_ylabel("Accuracy (%)")
        ax.grid(axis="y", color="#e2e2e2", linewidth=0.6)
    axes[-1].set_xlabel(_wrap(f"before: {doc.get('before')}; after: {doc.get('after')}", 50), loc="left")
    columns = ["suite", "category", "capability", "n_items", "before_pct", "after_pct", "gain_pp", "gain_pp_ci_low",
               "gain_pp_ci_high"]
    title = wording.slopes_title(doc)
    return (columns, rows, "Accuracy of each benchmark before and after, in percent; each label gives the new "
            "accuracy and the change in percentage points (pp).", title)


def _forest(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str, str]:
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
    dots = [_Row(label=("Mean of the " + r["category"] + " group") if r["kind"] == "group" else str(r["row"]),
                 estimate=r["latent_gain_logits"] if fmt.is_num(r["latent_gain_logits"]) else None,
                 ci=(r["ci_low"], r["ci_high"]), colour=COLOURS[r["category"]],
                 marker="D" if r["kind"] == "group" else MARKERS[r["category"]],
                 size=7 if r["kind"] == "group" else 5, bold=r["kind"] == "group") for r in rows]
    _dot_rows(fig, dots, "Gain, new minus old release (logits)", sides=False)
    title = wording.forest_title(doc)
    columns = ["row", "kind", "category", "latent_gain_logits", "ci_low", "ci_high", "method"]
    return columns, rows, (f"Per-benchmark latent (log-odds) gains with {percent(level(doc))} intervals; diamonds are "
                           "group means."), title


_SCALES = (
    ("primary", "Primary estimate (logits)", "logits"),
    ("latent", "Log-odds scale (logits)", "logits"),
    ("pp", "Percentage points (ceiling-sensitive)", "pp"),
    ("normalized", "Normalized gain (sensitivity only)", "normalized-gain units"),
)


def _asymmetry(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str, str]:
    asym = doc.get("asymmetry") or {}
    rows = []
    for key, label, unit in _SCALES:
        e = asym.get(key)
        if key == "primary" and not isinstance(e, Mapping):
            continue
        e = e or {}
        lo, hi = _ci(e.get("ci"))
        rows.append({"scale": key, "unit": unit, "estimate": e.get("estimate"), "ci_low": lo, "ci_high": hi,
                     "p_value": e.get("p_value"), "method": e.get("method", ""), "label": label})
    lead = "primary" if fmt.is_num(((doc.get("asymmetry") or {}).get("primary") or {}).get("estimate")) else "latent"
    if not any(r["scale"] == lead and fmt.is_num(r["estimate"]) for r in rows):
        raise _Missing("the document has no latent asymmetry estimate")
    fig.set_size_inches(WIDTH, 0.4 + 1.25 * len(rows))
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for i, (ax, r) in enumerate(zip(axes, rows, strict=True)):
        est = r["estimate"] if fmt.is_num(r["estimate"]) else None
        colour = INK if r["scale"] == lead else MUTED
        digits = 1 if r["unit"] == "pp" else 2
        if est is None:
            ax.text(0.5, 0.3, "not estimated", transform=ax.transAxes, ha="center", va="center", color=MUTED)
        else:
            _errorbar(ax, est, 0, (r["ci_low"], r["ci_high"]), marker="o", color=colour, markersize=6,
                      elinewidth=1.8)
            _symmetric(ax, [est, r["ci_low"], r["ci_high"]], pad=1.3)
            ax.text(est, 0.3, f"{fmt.signed(est, digits)}  [{fmt.num(r['ci_low'], digits)}, "
                    f"{fmt.num(r['ci_high'], digits)}]", ha="center", va="bottom", fontsize=LABEL, color=colour)
        ax.axvline(0, color=MUTED, linewidth=0.8)
        ax.set_ylim(-0.6, 1.0)
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.set_xlabel(r["label"], color=colour, fontweight="bold" if r["scale"] == lead else "normal")
        if i == 0:
            _sides(ax)
    for r in rows:
        r.pop("label")
    columns = ["scale", "unit", "estimate", "ci_low", "ci_high", "p_value", "method"]
    return columns, rows, (f"The asymmetry (targeted minus untargeted gain) on each scale, with {percent(level(doc))} "
                           "intervals; right of zero, targeted benchmarks gained more."), asymmetry_title(doc)


def _controls(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str, str]:
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
    plotted = sorted((r for r in rows if fmt.is_num(r["asymmetry_logits"])), key=lambda r: -r["asymmetry_logits"])
    mean = td.get("control_mean")
    dots = [_Row(label=r["transition"].replace(" -> ", " → ") + (" (this step)" if r["role"] == "suspect" else ""),
                 estimate=r["asymmetry_logits"], ci=(r["ci_low"], r["ci_high"]),
                 colour=TARGETED if r["role"] == "suspect" else CONTROL, marker="D" if r["role"] == "suspect" else "o",
                 size=8 if r["role"] == "suspect" else 5, bold=r["role"] == "suspect") for r in plotted]
    ax = _dot_rows(fig, dots, "Targeted minus untargeted gain (logits)"
                   + ("; dashed: the controls' mean" if fmt.is_num(mean) else ""))
    if fmt.is_num(mean):
        ax.axvline(mean, color=CONTROL, linestyle="--", linewidth=1, zorder=0)
    title = wording.controls_title(doc)
    columns = ["transition", "role", "asymmetry_logits", "se", "ci_low", "ci_high"]
    return columns, rows, ("Each release step's asymmetry on this comparison's benchmarks; the diamond is this step, "
                           f"bars are {percent(level(doc))} intervals."), title


def _power(doc: Mapping[str, Any], fig: Any) -> tuple[list[str], list[dict[str, Any]], str, str]:
    power = doc.get("power")
    curve = power.get("curve") if isinstance(power, Mapping) else None
    points = [p for p in curve or [] if fmt.is_num(p.get("effect")) and fmt.is_num(p.get("power"))]
    if not points:
        raise _Missing("the document has no power analysis (compare adds one from harness.stats.power)")
    points.sort(key=lambda p: p["effect"])
    rows = [{"effect_logits": p["effect"], "power_pct": 100 * p["power"]} for p in points]
    fig.set_size_inches(WIDTH, 3.2)
    ax = fig.subplots()
    ax.plot([r["effect_logits"] for r in rows], [r["power_pct"] for r in rows], color=ACCENT, linewidth=2)
    ax.axhline(80, color=MUTED, linestyle=":", linewidth=1)
    ax.text(rows[0]["effect_logits"], 81, "80% power", color=MUTED, fontsize=LABEL, va="bottom")
    xs = [r["effect_logits"] for r in rows]
    mid = (min(xs) + max(xs)) / 2

    def mark(x: float, y: float, text: str, colour: str, style: str) -> None:
        ax.axvline(x, color=colour, linestyle=style, linewidth=1)
        ax.text(x, y, f" {text} ", color=colour, fontsize=LABEL, ha="left" if x <= mid else "right")

    mde = power.get("mde_latent")
    if fmt.is_num(mde):
        mark(mde, 4, f"detectable: {fmt.num(mde)}", ACCENT, "--")
    observed = ((doc.get("asymmetry") or {}).get("latent") or {}).get("estimate")
    if fmt.is_num(observed):
        mark(abs(observed), 16, f"observed: {fmt.num(abs(observed))}", TARGETED, "-")
    ax.set_ylim(0, 100)
    ax.set_xlabel("True asymmetry (logits)")
    ax.set_ylabel("Power to detect it (%)")
    ax.grid(color="#e2e2e2", linewidth=0.6)
    title = wording.power_title(doc)
    return (["effect_logits", "power_pct"], rows,
            "Probability that this design detects an asymmetry of each size (two-sided, alpha 0.05), for the "
            "Mantel-Haenszel latent test; the verdict's primary (mean item gain) needs more when items gain "
            "unevenly.", title)


def _timeline(case: Any, fig: Any) -> tuple[list[str], list[dict[str, Any]], str, str]:
    steps = list(case.steps)
    if not any(s.estimable for s in steps):
        raise _Missing("no step could be measured")
    window = case.window is not None
    sections: list[tuple[str, list[Any]]] = []
    if window:
        for phase in wording.PHASES:
            members = sorted((s for s in steps if s.kind == "qwen" and s.phase == phase), key=lambda s: s.released)
            if members:
                sections.append((f"{members[0].lab}, {phase} the window", members))
    else:
        sections.append(("Steps of the same family", sorted((s for s in steps if s.kind == "qwen"),
                                                             key=lambda s: s.released)))
    others = sorted((s for s in steps if s.kind in ("control", "context")),
                    key=lambda s: (s.kind != "control", not s.estimable, s.released))
    if others:
        sections.append(("Other developers, same period", others))
    dots: list[_Row] = []
    for head, members in sections:
        dots.append(_Row(label=head, header=True))
        for s in members:
            qwen = s.kind == "qwen"
            by = "" if "vendor" in s.evaluator or not s.evaluator else f", {s.evaluator.split(' (')[0]}"
            dots.append(_Row(label=s.label.replace(" -> ", " → ") + by + (" (this step)" if s.current else ""),
                             estimate=s.estimate, ci=s.ci, colour=TARGETED if qwen else CONTROL,
                             marker="D" if qwen else "o", size=9 if s.current else (6 if qwen else 5),
                             bold=s.current, muted=not qwen, hollow=s.kind == "context",
                             note="" if s.estimable else "not measurable: " + s.reason.replace("its table reports ", "")
                             .split(" with ")[0]))
    controls = [s.estimate for s in steps if s.kind == "control" and s.estimable]
    band = (min(controls), max(controls)) if len(controls) >= 2 else None
    _dot_rows(fig, dots, "Targeted minus untargeted gain (logits), each step on its own table"
              + ("; grey: other developers' range" if band else ""), band=band)
    rows = [{"transition": s.transition, "step": s.label, "kind": s.kind, "released": s.released, "phase": s.phase,
             "asymmetry_logits": s.estimate, "ci_low": s.ci[0], "ci_high": s.ci[1], "p_value": s.p_value,
             "not_estimable_because": s.reason} for s in steps]
    columns = ["transition", "step", "kind", "released", "phase", "asymmetry_logits", "ci_low", "ci_high", "p_value",
               "not_estimable_because"]
    caption = ("Each release step's targeted-minus-untargeted gain on the benchmarks its own table reports, with 95% "
               "intervals: right of zero, targeted benchmarks gained more. Diamonds are "
               f"{steps[0].lab if steps else 'this family'}'s steps; hollow circles are shown for context only.")
    return columns, rows, caption, wording.timeline_title(case)


_DRAW: dict[str, tuple[str, Callable[[Any, Any], tuple[list[str], list[dict[str, Any]], str, str]]]] = {
    "slopes": ("Accuracy before and after, by benchmark", _slopes),
    "forest": ("Per-benchmark gains on the log-odds scale", _forest),
    "asymmetry": ("The asymmetry on each scale", _asymmetry),
    "controls": ("This step among other developers' steps", _controls),
    "power": ("What this design could detect", _power),
    "timeline": ("Each step's lean towards targeted gains", _timeline),
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


def _draw_chart(name: str, data: Any, source: str) -> Chart:
    """Draw once: save the inline fragment, then give the figure its title and source line (growing it to
    hold them) and save the standalone PNG and SVG."""
    import matplotlib
    from matplotlib.figure import Figure

    fallback, draw = _DRAW[name]
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH, 3.0), layout="constrained")
        try:
            columns, rows, caption, title = draw(data, fig)
        except _Missing as e:
            return Chart(name=name, title=fallback, caption="", missing=str(e), source=source)
        inline, png, svg = io.StringIO(), io.BytesIO(), io.StringIO()
        fig.savefig(inline, format="svg", metadata={"Date": None, "Creator": None})
        head = textwrap.fill(_label(title), 40)
        foot = textwrap.fill(_label(source), 74)
        w, h = fig.get_size_inches()
        fig.set_size_inches(w, h + 0.22 * (head.count("\n") + 1) + 0.16 * (foot.count("\n") + 1) + 0.15)
        fig.suptitle(head, x=0.02, ha="left", fontsize=12, fontweight="bold", color=INK)
        fig.supxlabel(foot, x=0.02, ha="left", fontsize=8, color=MUTED)
        fig.savefig(png, format="png", dpi=220, metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return Chart(name=name, title=title, caption=caption, columns=columns, rows=rows, png=png.getvalue(),
                 svg=svg.getvalue(), inline_svg=_inline(inline.getvalue(), name, title), source=source)


def render(doc: Mapping[str, Any], name: str, *, source: str, capability: Mapping[str, str] | None = None) -> Chart:
    """Draw one chart of the document (`name` in NAMES); a chart without data comes back with `missing` set.
    `capability` (suite -> capability) names what each group holds when the document does not say."""
    if capability:
        doc = {**doc, "suites": [{**s, "capability": s.get("capability") or capability.get(s.get("suite"))}
                                 for s in doc.get("suites") or []]}
    return _draw_chart(name, doc, source)


def render_timeline(case: Any, *, source: str) -> Chart:
    """The timeline of a report's context (harness.report.timeline.Case)."""
    return _draw_chart("timeline", case, source)


def render_all(doc: Mapping[str, Any], *, source: str | Mapping[str, str],
               capability: Mapping[str, str] | None = None) -> list[Chart]:
    """The document's charts, in reading order; `source` is one line for all, or one per chart name."""
    def line(name: str) -> str:
        return source if isinstance(source, str) else source.get(name, source.get("", ""))

    return [render(doc, name, source=line(name), capability=capability) for name in NAMES]


def to_csv(chart: Chart) -> str:
    """The chart's data as CSV: columns empty in every row dropped, numbers without float noise, text a
    spreadsheet would run as a formula defused (harness.report.fmt.tidy_csv)."""
    return fmt.tidy_csv(chart.columns, chart.rows)
