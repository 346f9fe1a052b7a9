"""`asymmetry demo`: the whole pipeline offline, on real published Qwen scores (harness/data/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ORDER = 5

HELP = (
    "Run the whole pipeline offline (no model, no network) on real published scores. The default is the 2026 "
    "case: Qwen3.7-Max → Qwen3.8-Max, the first Qwen flagship step made entirely after the alleged extraction "
    "window of 22 April to 5 June 2026 (the dates Anthropic gave in its letter of 10 June 2026 to the US Senate "
    "Banking Committee), both from Qwen's Qwen3.8 launch table, against every step of other "
    "developers in the same period that shares its benchmarks (GLM, Kimi, GPT, Claude, Gemini). The report adds "
    "a timeline of every Qwen step before, inside and after the window next to the other developers' steps, "
    "and says first what the new release's table stopped reporting. Writes a complete report to "
    "[bold]--out[/bold] and prints its headline.\n\n"
    "Published scores are score-level, unpaired evidence, weaker than the item-level runs of "
    "[bold]asymmetry run[/bold]; the demo shows the method on real numbers, not a finding about any lab.\n\n"
    "An earlier demo report at --out is replaced: the new one is built beside it and swapped in. Any other "
    "directory, a report of your own runs included, is never replaced.\n\n"
    "[bold]Examples[/bold]\n\n"
    "  asymmetry demo\n\n"
    "  asymmetry demo --list\n\n"
    "  asymmetry demo --transition 'qwen3.6-plus>qwen3.7-plus' --out reports/qwen3.7-plus/\n\n"
    "  asymmetry demo --transition 'qwen2.5-72b>qwen3-235b' --out reports/qwen3/"
)


def register(app: typer.Typer) -> None:
    app.command("demo", help=HELP)(demo_cmd)


def demo_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Report directory.")] = Path("reports/demo"),
    transition: Annotated[str, typer.Option(
        "--transition", "-t", help="Which Qwen step is the suspect (see --list).")] = "qwen3.7-max>qwen3.8-max",
    list_: Annotated[bool, typer.Option("--list", help="List the curated release steps and exit.")] = False,
) -> None:
    """Compare a Qwen release step with other labs' steps on published scores; write the report."""
    import time

    from rich.console import Console
    from rich.markup import escape
    from rich.padding import Padding
    from rich.table import Table

    from harness import demo
    from harness.compare import wording
    from harness.report import fmt

    console = Console()
    if list_:
        table = Table(title="Curated release steps (the demo's data; --transition takes a suspect)",
                      title_justify="left")
        for col in ("transition", "role", "before → after", "source table", "released", "window"):
            table.add_column(col)
        for t in demo.load_transitions():
            table.add_row(t.transition, t.role, f"{t.before} → {t.after}", f"{t.source_id} {t.table}".strip(),
                          t.released, t.phase)
        console.print(table)
        return
    started = time.perf_counter()
    with console.status("Comparing published scores and writing the report…"):
        result = demo.run_demo(out, transition)
    elapsed = time.perf_counter() - started
    doc, inputs = result.doc, result.inputs
    where = " · ".join(x for x in (inputs.suspect.table, inputs.suspect.evaluator) if x)  # the table, not its id
    console.print(f"[bold]asymmetry demo[/bold] · suspect {inputs.suspect.before} → {inputs.suspect.after}"
                  + (f" · {where}" if where else ""), highlight=False)
    first, _, rest = wording.SCORE_LEVEL.partition(": ")
    console.print(f"[yellow]{first}:[/yellow] {rest}", highlight=False)
    used = ", ".join(f"{t.before} → {t.after}" for t in inputs.controls) or "none"
    console.print(f"Controls sharing a targeted and an untargeted suite with the suspect: {used} "
                  f"({len(inputs.skipped)} other-lab step(s) report different benchmarks and were left out).",
                  highlight=False)
    console.print()
    for churn in result.case.churn:
        console.print(f"[yellow]missing:[/yellow] {escape(churn.sentence())}", highlight=False)
    console.print(f"[bold]Headline[/bold] ({escape(wording.badge(doc))})", highlight=False)
    indented = (0, 0, 0, 2)  # paragraphs keep their indent when the terminal wraps them
    console.print(Padding(escape(wording.headline_sentence(doc)), indented), highlight=False)
    for _, line in wording.guard_plain(doc):
        console.print(Padding(f"[yellow]check:[/yellow] {escape(line)}", indented), highlight=False)
    console.print("[bold]In detail[/bold]")
    for sentence in wording.headline(doc):
        console.print(Padding(escape(sentence), indented), highlight=False)
    console.print()
    if result.case.steps:
        title = ("Every step on its own table, placed against the window" if result.case.window
                 else "The other Qwen steps, each on its own source table (no controls)")
        wide = console.width >= 100  # in 80 columns the interval goes under its estimate, never split
        table = Table(title=title, title_justify="left", show_lines=not wide)
        asym = "asymmetry, logits [95% CI]" if wide else "asymmetry,\nlogits\n[95% CI]"
        for col, justify in (("step", "left"), ("released", "left"), ("window", "left"), (asym, "right"),
                             ("verdict", "left")):
            table.add_column(col, justify=justify, no_wrap=col in (asym, "released"),  # type: ignore[arg-type]
                             overflow="fold")  # a step's name is folded, never cut short
        for step in result.case.steps:
            value = (f"{fmt.signed(step.estimate)}{' ' if wide else chr(10)}{fmt.bracket(step.ci)}" if step.estimable
                     else "not measurable")
            name = step.label.replace(" -> ", " → ") + (" (this step)" if step.current else "")
            table.add_row(name, step.released, step.phase or "", value, step.verdict.replace("_", " "))
        console.print(table)
        window = wording.window_phrase(result.case)
        if window and result.case.window_source:
            console.print(f"  {escape(window[0].upper() + window[1:])}: {escape(result.case.window_source)}.",
                          highlight=False)
        for sentence in (wording.change_sentence(result.case), wording.unusual_sentence(result.case)):
            if sentence:
                console.print(Padding(escape(sentence), indented), highlight=False)
        console.print()
    verb = "replaced the earlier report at" if result.replaced else "wrote"
    console.print(f"{verb} [bold]{Path(result.path) / 'index.html'}[/bold] in {elapsed:.1f} s", highlight=False)
    console.print(f"reproduce compare.json: {doc.get('command')}", highlight=False, soft_wrap=True)
