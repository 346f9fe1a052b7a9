"""`asymmetry compare`: test whether a release's gains concentrated in the targeted suites.

The input options below are `Annotated` aliases and harness.compare.resolve_compare turns them into the
compare document, so `asymmetry report` takes exactly the same inputs (REPORT builds on them):

    @app.command(context_settings=CONTEXT_SETTINGS)
    def report(ctx: typer.Context, before: Before, after: After, results: Results = None, ...):
        doc = resolve_compare(before, after, results=results, ..., extra_args=ctx.args)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    pass

ORDER = 30

#: Lets `--results results/*` (a shell glob) pass several run directories after one flag.
CONTEXT_SETTINGS: dict[str, Any] = {"allow_extra_args": True}

_PANEL = "Inputs (same for compare and report)"
_ANALYSIS = "Analysis"

Before = Annotated[str, typer.Option(
    "--before", help="Label of the earlier release, as in the results (e.g. qwen3-8b).", show_default=False,
    rich_help_panel=_PANEL)]
After = Annotated[str, typer.Option(
    "--after", help="Label of the new release whose gains are tested.", show_default=False, rich_help_panel=_PANEL)]
Results = Annotated[list[Path] | None, typer.Option(
    "--results", "-r", help="Run directories (results/<run_id>). Repeat the flag, or list several after one "
                            "--results (a shell glob works).", show_default=False, rich_help_panel=_PANEL)]
Items = Annotated[Path | None, typer.Option(
    "--items", help="An item table (CSV or Parquet: model, suite, category, item_id, score; optional sample, "
                    "cluster, error, item_hash, suite_version, release_date, flags).", show_default=False,
    rich_help_panel=_PANEL)]
Scores = Annotated[Path | None, typer.Option(
    "--scores", help="Published-score table (model, suite, category, score in percent, n_items): score-level "
                     "mode, unpaired and clearly weaker evidence.", show_default=False, rich_help_panel=_PANEL)]
Controls = Annotated[list[str] | None, typer.Option(
    "--control", "-c", help="A control release transition by another lab, BEFORE:AFTER (repeat; 8 or more for the "
                            "industry-trend t-test, 19 for a rank p of 0.05).", show_default=False,
    rich_help_panel=_PANEL)]
PlanFile = Annotated[Path | None, typer.Option(
    "--plan", help="Pre-registration file from `asymmetry plan`: its suites, categories and settings are used "
                   "and every deviation is recorded.", show_default=False, rich_help_panel=_PANEL)]
Force = Annotated[bool, typer.Option(
    "--force", help="Compare even when decoding settings or suite versions differ between the releases, or a "
                    "score table mixes fractions with percentages (recorded as warnings).", rich_help_panel=_ANALYSIS)]
MarginPp = Annotated[float, typer.Option(
    "--margin-pp", help="Equivalence margin for 'flat' untargeted gains, in percentage points (TOST).",
    rich_help_panel=_ANALYSIS)]
NBoot = Annotated[int, typer.Option(
    "--n-boot", help="Item-cluster bootstrap resamples (used when items carry a cluster; 0 turns it off).",
    rich_help_panel=_ANALYSIS)]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap and of sampled permutations.",
                                   rich_help_panel=_ANALYSIS)]
Cutoffs = Annotated[list[str] | None, typer.Option(
    "--cutoff", help="A model's training cutoff, LABEL=YYYY-MM-DD (repeat), for the fresh-vs-old contamination "
                     "split when items carry release dates.", show_default=False, rich_help_panel=_ANALYSIS)]
Errors = Annotated[str, typer.Option(
    "--errors", help="Errored records: default (infrastructure errors unpaired, model errors = failures), "
                     "exclude (all unpaired) or fail (all failures).", rich_help_panel=_ANALYSIS)]


def register(app: typer.Typer) -> None:
    app.command(
        "compare", context_settings=CONTEXT_SETTINGS,
        help=(
            "Test whether [bold]--after[/bold]'s gains over [bold]--before[/bold] are concentrated in the targeted "
            "suites (coding, agentic) rather than the untargeted ones (math, factual): paired, latent-scale "
            "(logit) difference-in-differences with percentage-point and normalised-gain sensitivity rows, "
            "generalisation over benchmarks, the excess over other labs' transitions, and an equivalence test "
            "for 'flat' untargeted gains. Ends with a sentence you can cite, intervals and caveat included."
            "\n\n[bold]Examples[/bold]\n\n"
            "  asymmetry compare --before qwen3-8b --after qwen3.5-9b --results results/*\n\n"
            "  asymmetry compare --before old --after new --items items.csv --control llama3:llama3.1 "
            "--plan plan.json --json compare.json\n\n"
            "  asymmetry compare --before Qwen2.5-72B --after Qwen3-235B --scores published.csv   (weaker: unpaired)"
        ),
    )(compare_cmd)


def compare_cmd(
    ctx: typer.Context,
    before: Before,
    after: After,
    results: Results = None,
    items: Items = None,
    scores: Scores = None,
    control: Controls = None,
    plan: PlanFile = None,
    force: Force = False,
    margin_pp: MarginPp = 3.0,
    n_boot: NBoot = 10_000,
    seed: Seed = 0,
    cutoff: Cutoffs = None,
    errors: Errors = "default",
    json_path: Annotated[Path | None, typer.Option(
        "--json", help="Write the compare document (JSON contract) here; '-' prints it instead of the tables.",
        show_default=False)] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --json file.")] = False,
) -> None:
    """Compare two releases and print the suites table, the layers table and the citable sentence."""
    import orjson
    from rich.console import Console

    from harness.compare import resolve_compare
    from harness.errors import UserError

    if json_path is not None and str(json_path) != "-" and json_path.exists() and not overwrite:
        raise UserError(f"{json_path}: already exists; choose another --json path or pass --overwrite")
    console = Console(stderr=str(json_path) == "-")
    with console.status("Comparing…"):
        doc = resolve_compare(before, after, results=results, items=items, scores=scores, controls=control,
                              plan=plan, force=force, margin_pp=margin_pp, n_boot=n_boot, seed=seed,
                              cutoffs=cutoff, errors=errors, extra_args=ctx.args)
    data = orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY) + b"\n"
    if json_path is not None and str(json_path) == "-":
        typer.echo(data.decode(), nl=False)
        return
    print_compare(doc, console)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = json_path.with_name(f".{json_path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(json_path)
        console.print(f"wrote {json_path}")


def _ci(ci: Sequence[Any] | None, digits: int = 2) -> str:
    from harness.compare import fmt

    return fmt.bracket(ci, digits)


def _p(p: Any) -> str:
    from harness.compare import fmt

    return fmt.p_value(p) if fmt.is_num(p) else fmt.NA


class _Rows:
    """The layers table's rows (layer, estimate, interval, p, method), drawn as five columns on a wide
    terminal and as three in 80 columns (the method under its layer, the interval under its estimate), so
    no column is squeezed into a word per line."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add_row(self, layer: str, estimate: str, interval: str, p: str, method: str) -> None:
        self.rows.append((layer, estimate, interval, p, method))

    def table(self, title: str, wide: bool) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, title_justify="left", show_lines=not wide)
        if wide:
            for col in ("layer", "estimate", "interval", "p", "method"):
                table.add_column(col)
            for row in self.rows:
                table.add_row(*row)
            return table
        table.add_column("layer · method", ratio=1)
        table.add_column("estimate · interval", justify="right", no_wrap=True)
        table.add_column("p", justify="right", no_wrap=True)
        for layer, estimate, interval, p, method in self.rows:
            name = Text(layer)
            if method:
                name.append("\n" + method, style="dim")
            table.add_row(name, "\n".join(x for x in (estimate, interval) if x), p)
        return table


def print_compare(doc: Mapping[str, Any], console: Any) -> None:
    """The terminal view of a compare document: suites, layers, warnings and the summary."""
    from rich.panel import Panel
    from rich.table import Table

    from harness.compare import fmt

    scores_mode = doc["mode"] == "scores"
    from harness.terminal import escaped, plain

    # labels and suite names come from run directories or tables anyone may have made: never markup
    head = f"[bold]{escaped(doc['before'])} → {escaped(doc['after'])}[/bold] · {escaped(doc.get('evidence', doc['mode']))}"
    console.print(head)
    # intervals sit under their estimates and the raw mid-p shows only on wide terminals, so the table
    # stays readable in 80 columns (a journalist's default terminal)
    lvl = 1 - float(doc.get("alpha", 0.05))
    cl = f"{100 * lvl:.1f}".rstrip("0").rstrip(".") + "% CI"
    wide = console.width >= 110
    if wide:
        columns = [("suite", "left"), ("cat.", "left"), ("items", "right"), ("before → after %", "right"),
                   (f"gain pp [{cl}]", "right"), ("gains/losses", "right"), (f"latent δ [{cl}]", "right"),
                   ("test p", "right"), ("Holm p", "right"), ("flags", "left")]
    else:  # 80 columns: two lines per suite, intervals under their estimates; published scores have no item
        # counts or per-suite tests, so their G/L and Holm columns (all empty) and the flag every row carries go
        columns = [("suite", "left"), ("acc. %", "right"), ("gain pp", "right"), ("latent δ", "right"),
                   *([] if scores_mode else [("G/L", "right"), ("Holm p", "right")]), ("flags", "left")]
    suites = Table(title="Per suite", title_justify="left", show_lines=not wide, caption=None if wide else (
        f"suite (T targeted, U untargeted; items) · accuracy before, after · {cl[:-3]} intervals under estimates · "
        + ("every row unpaired (published scores)" if scores_mode else "G/L items gained/lost")),
        caption_justify="left")
    for col, justify in columns:  # numbers never wrap; names and flags fold
        suites.add_column(col, justify=justify, no_wrap=justify == "right", overflow="fold",  # type: ignore[arg-type]
                          min_width={"suite": 8, "flags": 5}.get(col))
    for s in doc["suites"]:
        gl = "–" if s["gains"] is None else f"{s['gains']}/{s['losses']}"
        cat = "T" if s["category"] == "targeted" else "U"
        gain = (f"{s['gain_pp']:+.1f}", _ci(s["gain_pp_ci"], 1))
        latent = (fmt.num(s["latent_gain"]), _ci(s["latent_gain_ci"]))
        flags = ", ".join(s.get("flags", []))
        if wide:
            suites.add_row(plain(s["suite"]), cat, str(s["n_items"]), f"{fmt.num(s['before'], 1)} → {fmt.num(s['after'], 1)}",
                           " ".join(gain), gl, " ".join(latent), _p(s["mcnemar_midp"]), _p(s["p_holm"]), flags)
        else:
            if scores_mode:
                flags = ", ".join(f for f in s.get("flags", []) if f != "unpaired (published scores)")
            counts = [] if scores_mode else [gl, _p(s["p_holm"])]
            suites.add_row(plain(f"{s['suite']}\n{cat} · {s['n_items']}"), f"{fmt.num(s['before'], 1)}\n→ {fmt.num(s['after'], 1)}",
                           "\n".join(gain), "\n".join(latent), *counts, flags)
    console.print(suites)

    layers = _Rows()
    a = doc["asymmetry"]
    prim = a.get("primary") or {}
    if prim:
        what = ("σ estimated per suite" if "sigma_grid" not in prim
                else f"union over σ = 0..{fmt.num(prim.get('sigma_max'), 1)} (one sample per item)")
        layers.add_row("L1 primary (mean item gain)", f"{fmt.num(prim.get('estimate'))} logits", _ci(prim.get("ci")),
                       _p(prim.get("p_value")), f"random item-gain model, items as the unit; {what}")
        if prim.get("pp_at_50") is not None:
            layers.add_row("  = at a 50% start", fmt.pp(prim["pp_at_50"]), "", "", "pp-equivalent of the primary")
        adjusted = prim.get("baseline_adjusted") or {}
        if adjusted.get("estimate") is not None:
            layers.add_row("  adjusted for baselines", f"{fmt.num(adjusted['estimate'])} logits", _ci(adjusted.get("ci")),
                           _p(adjusted.get("p_value")), "robustness: meta-regression on starting logit, HKSJ")
    layers.add_row("L1 latent A^L (these items)", f"{fmt.num(a['latent']['estimate'])} logits", _ci(a["latent"]["ci"]),
                   _p(a["latent"]["p_value"]), a["latent"].get("method", ""))
    layers.add_row("L1 pp A^P", f"{fmt.num(a['pp']['estimate'], 1)} pp", _ci(a["pp"]["ci"], 1), _p(a["pp"]["p_value"]),
                   "ceiling-sensitive")
    layers.add_row("L1 normalised A^N", fmt.num(a["normalized"]["estimate"], 3), _ci(a["normalized"]["ci"], 3),
                   _p(a["normalized"]["p_value"]), "ceiling-sensitive")
    if "latent_exact" in a:
        layers.add_row("L1 exact (pooled)", "", "", _p(a["latent_exact"]["p_value"]), "Fisher exact, gain/loss odds")
    gen = doc["generalisation"]
    if gen.get("hksj"):
        layers.add_row("L2 HKSJ", f"{fmt.num(gen['hksj']['estimate'])} logits", _ci(gen["hksj"]["ci"]),
                       _p(gen["hksj"]["p_value"]), "random-effects meta-regression, t(S-2)")
        layers.add_row("L2 modified HKSJ", "", _ci(gen["hksj_modified"]["ci"]), _p(gen["hksj_modified"]["p_value"]),
                       "q ← max(q, 1)")
        perm = gen["permutation"]
        layers.add_row("L2 permutation", "", "", _p(perm["p_value"]), f"exact over {perm['n_labelings']} labelings")
    if not gen.get("testable"):
        layers.add_row("L2", "not testable", "", "", f"{gen['n_targeted']} + {gen['n_untargeted']} suites")
    td = doc.get("triple_difference")
    if td and td.get("excess") is not None:
        layers.add_row("L3 excess vs controls", f"{fmt.num(td['excess'])} logits", _ci(td["ci"]), _p(td["t_p_value"]),
                       f"prediction-interval t, {len(td['controls'])} controls; rank p = {td['rank_p_value']:.2f}")
    elif td:
        layers.add_row("L3", "1 control", "", "", f"rank p = {td['rank_p_value']:.2f}")
    f = doc["flatness"]
    flat_level = f.get("level") or 1 - 2 * (1 - lvl)
    layers.add_row("Flatness (untargeted)", f"{fmt.num(f.get('pooled_gain_pp'), 1)} pp",
                   f"{100 * flat_level:.1f}".rstrip("0").rstrip(".") + f"% {_ci(f['ci90'], 1)}",
                   _p(f.get("p_value")), f"TOST ±{f['margin_pp']:g} pp: {'equivalent' if f['equivalent'] else 'not shown'}")
    console.print(layers.table("Asymmetry (targeted minus untargeted)", wide))
    gates = Table(title="Gatekeeping (each at one-sided α/2, in order)", title_justify="left")
    for col in ("hypothesis", "p (one-sided)", "result"):
        gates.add_column(col)
    for g in doc["gatekeeping"]:
        result = "rejected" if g["rejected"] else ("not rejected" if g["tested"] else g["reason"])
        gates.add_row(g["hypothesis"], _p(g["p_value"]) if g["tested"] else "–", result)
    console.print(gates)
    if doc.get("code_flags"):
        console.print(code_flags_line(doc), highlight=False)
    named = {g["message"]: g["name"] for g in doc["diagnostics"].get("guards") or []}
    for w in doc["diagnostics"]["warnings"]:
        label = f"warning ({named[w]})" if w in named else "warning"
        console.print(f"[yellow]{label}:[/yellow] {escaped(w)}", highlight=False)
    console.print(f"[bold]verdict:[/bold] {doc.get('verdict', 'n/a')}", highlight=False)
    title = "Summary (published scores: weaker evidence)" if scores_mode else "Summary"
    console.print(Panel(plain(doc["summary"]), title=title, title_align="left"))


def code_flags_line(doc: Mapping[str, Any]) -> str:
    """One line: each release's flagged code records per suite (harness.compare.flags), or why none show."""
    block = doc.get("code_flags") or {}
    if not block.get("checked"):
        return f"code flags: not checked ({block.get('note', 'no flags in the inputs')})"
    rows = block.get("by_suite") or []
    if not rows:
        return "code flags: none (no coding suite and no flagged record in the two releases)"
    parts = []
    for release in ("before", "after"):
        mine = [r for r in rows if r["release"] == release]
        if mine:
            cells = [f"{r['suite']} {r['flagged']}/{r['records']}"
                     + (" (" + ", ".join(f"{k} {v}" for k, v in r["by_flag"].items()) + ")" if r["by_flag"] else "")
                     for r in mine]
            parts.append(f"{mine[0]['model']} {', '.join(cells)}")
    blocked = "; they carry the change, so the verdict is fragile" if block.get("blocked") else ""
    return "code flags (flagged/records): " + "; ".join(parts) + blocked
