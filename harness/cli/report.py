"""`asymmetry report`: the compare, written up for three audiences (issue 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from harness.cli.compare import (
    CONTEXT_SETTINGS,
    After,
    Before,
    Controls,
    Cutoffs,
    Errors,
    Force,
    Items,
    MarginPp,
    NBoot,
    PlanFile,
    Results,
    Scores,
    Seed,
)

ORDER = 40

HELP = (
    "Write a report of [bold]--after[/bold] versus [bold]--before[/bold] into [bold]--out[/bold]: a self-contained "
    "index.html (headline chart and three plain sentences; estimates with intervals, the citable paragraph and "
    "the pre-registration status for policy; methods, every table and diagnostic for researchers), five charts "
    "as PNG, SVG and CSV, compare.json, summary.md and citation.txt. Takes exactly the inputs of "
    "[bold]asymmetry compare[/bold].\n\n"
    "An existing --out is refused unless you pass --overwrite; either way the report is built in a temporary "
    "directory and renamed into place, so a half-written report never appears, and a directory that is not a "
    "report is never replaced.\n\n"
    "[bold]Examples[/bold]\n\n"
    "  asymmetry report --before qwen3-8b --after qwen3.5-9b --results results/* --out reports/qwen3.5/\n\n"
    "  asymmetry report --before Qwen2.5-72B --after Qwen3-235B --scores published.csv --out reports/published/"
)


def register(app: typer.Typer) -> None:
    app.command("report", context_settings=CONTEXT_SETTINGS, help=HELP)(report_cmd)


def report_cmd(
    ctx: typer.Context,
    before: Before,
    after: After,
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="The report directory to write, e.g. reports/qwen3.5/.", show_default=False)],
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
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace an existing report at --out (built beside it, then swapped in).")] = False,
    examples: Annotated[int, typer.Option(
        "--examples", help="Discordant items per suite and direction shown with both releases' outputs (from "
                           "the run journals; 0 for none).", min=0)] = 2,
    provenance: Annotated[Path | None, typer.Option(
        "--provenance", help="A document from `asymmetry provenance compare --json`: adds the provenance report "
                             "(citable sentence, shift against controls, side-by-side answers) as provenance.html; "
                             "without --results/--items/--scores it is the whole report.", show_default=False)] = None,
) -> None:
    """Compare two releases and write the report."""
    from rich.console import Console

    from harness.compare import resolve_compare
    from harness.errors import UserError
    from harness.report import check_target, write_report
    from harness.report.examples import discordant_examples

    console = Console()
    if provenance is not None:
        from harness.provenance.report import load_document, report_files, write_standalone

        prov = load_document(provenance)
        if (prov["before"], prov["after"]) != (before, after):
            raise UserError(f"--provenance {provenance}: it compares {prov['before']} → {prov['after']}, not "
                            f"{before} → {after}")
        if results is None and items is None and scores is None:
            path = write_standalone(prov, out, overwrite=overwrite)
            console.print(f"{prov['summary']}\nreport: [bold]{path / 'index.html'}[/bold]", highlight=False)
            return
    check_target(out, overwrite)  # refuse before the work, not after
    for path in (scores, items, plan):  # a missing file is a one-line error, never a traceback
        if path is not None and not Path(path).is_file():
            raise UserError(f"{path}: no such file")
    with console.status("Comparing…"):
        doc = resolve_compare(before, after, results=results, items=items, scores=scores, controls=control,
                              plan=plan, force=force, margin_pp=margin_pp, n_boot=n_boot, seed=seed,
                              cutoffs=cutoff, errors=errors, extra_args=ctx.args)
    run_dirs = [Path(p) for p in (doc.get("inputs") or {}).get("paths", []) if Path(p).is_dir()]
    picked = discordant_examples(run_dirs, before, after, per_suite=examples) if run_dirs and examples else []
    with console.status("Drawing the charts and writing the report…"):
        extra = report_files(prov, standalone=False) if provenance is not None else None
        report = write_report(doc, out, overwrite=overwrite, examples=picked, extra_files=extra)
    print_report(report, doc, console)


def print_report(report: Any, doc: dict[str, Any], console: Any) -> None:
    """Where the report is, its headline, and what it could not draw."""
    from rich.panel import Panel
    from rich.text import Text

    from harness.compare import wording

    headline = Text.assemble((f"{wording.badge(doc)}. ", "bold"), wording.headline_sentence(doc))
    console.print(Panel(headline, title=Text(f"{doc['before']} → {doc['after']}"), title_align="left"))
    for _, line in wording.guard_plain(doc):
        console.print(Text.assemble(("check: ", "yellow"), line))
    console.print(" ".join(report.headline), highlight=False)
    if doc.get("mode") == "scores":
        console.print(f"[yellow]note:[/yellow] {wording.SCORE_LEVEL}", highlight=False)
    for name, reason in report.charts.items():
        if reason:
            console.print(f"[dim]chart {name} not drawn: {reason}[/dim]", highlight=False)
    console.print(f"report: [bold]{report.path / 'index.html'}[/bold]", highlight=False)
