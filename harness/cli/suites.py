"""`asymmetry suites list | show`: the fixed suite set, where each suite's items come from, and how it
prompts and scores."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer

ORDER = 60

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder with local copies of the benchmark files (layouts as in each spec's source.local, "
        "e.g. DIR/gsm8k/test.jsonl). Default: $ASYMMETRY_DATA_DIR.",
        show_default=False,
    ),
]

_LIST_HELP = """List the suites: category (targeted = coding, agentic; untargeted = math, factual), items,
where the items come from, and whether they load offline with this --data-dir.

[bold]default[/bold] marks the fixed set that [bold]--suites default[/bold] runs; [bold]--suites builtin[/bold] runs the
built-in suites, which need no download.

[bold]Examples[/bold]

  asymmetry suites list
  asymmetry suites list --data-dir ~/asymmetry-data --check   (load each reachable suite: real counts and versions)
  asymmetry suites list --json > suites.json
"""

_SHOW_HELP = """Show one suite: its source, a rendered prompt for one item exactly as the model receives it,
and how the answer is scored. Tool suites also show the tools and the plain-text tool-call protocol used
for endpoints without native tool calling.

[bold]Examples[/bold]

  asymmetry suites show gsm8k --data-dir ~/asymmetry-data
  asymmetry suites show bfcl_simple --data-dir ~/asymmetry-data --item simple_python_7
  asymmetry suites show builtin-tools --index 3
"""


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="suites",
        help="The fixed, versioned suite set: list the suites, show how one prompts and scores.",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    group.command("list", help=_LIST_HELP)(list_command)
    group.command("show", help=_SHOW_HELP)(show_command)
    app.add_typer(group, name="suites")


def list_command(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (name, category, capability, n_items, offline, ...).")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Load every reachable suite to report its real item count and version.")
    ] = False,
) -> None:
    from harness.suites.build import build_suite, list_specs, resolve_data_dir

    data_dir = resolve_data_dir(data_dir)
    rows: list[dict[str, Any]] = []
    for spec in list_specs():
        offline = spec.offline(data_dir)
        row: dict[str, Any] = {
            "name": spec.name,
            "category": spec.category,
            "capability": spec.capability,
            "n_items": spec.expected_items(),
            "offline": offline,
            "default": spec.default,
            "source": spec.source_label(),
            "description": spec.description,
            "version": None,
        }
        if check:
            from harness.suites.sources import SourceUnavailable

            try:
                suite = build_suite(spec, data_dir)
            except SourceUnavailable as e:
                row["error"] = str(e)
            else:
                row["n_items"], row["version"] = len(suite.items), suite.version
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Suites (* = in the fixed default set)", title_justify="left")
    for column, justify in (("name", "left"), ("category", "left"), ("capability", "left"), ("items", "right"),
                            ("source", "left"), ("offline", "center")):  # fmt: skip
        table.add_column(column, justify=justify, no_wrap=column in ("name", "items"), overflow="ellipsis")  # type: ignore[arg-type]
    if check:
        table.add_column("version")
    for row in rows:
        cells = [
            ("* " if row["default"] else "  ") + row["name"],
            row["category"],
            row["capability"],
            "?" if row["n_items"] is None else f"{row['n_items']:,}",
            row["source"],
            "yes" if row["offline"] else "no",
        ]
        if check:
            cells.append(row.get("version") or "unavailable (see --json)")
        table.add_row(*cells)
    console = Console()
    console.print(table)
    targeted = sum(1 for r in rows if r["default"] and r["category"] == "targeted")
    untargeted = sum(1 for r in rows if r["default"] and r["category"] == "untargeted")
    console.print(
        f"default set: {targeted} targeted + {untargeted} untargeted suites. "
        "offline = loads without the network here (built-in, or a local copy under --data-dir)."
    )


def show_command(
    name: Annotated[str, typer.Argument(help="Suite name (see `asymmetry suites list`) or a path to a .toml spec.")],
    data_dir: DataDir = None,
    item: Annotated[str | None, typer.Option("--item", help="The item id to render (default: the first).")] = None,
    index: Annotated[int, typer.Option("--index", help="The position of the item to render.")] = 0,
) -> None:
    from rich.console import Console
    from rich.panel import Panel
    from rich.text import Text

    from harness.suites.build import build_suite, list_specs, resolve_data_dir, resolve_names
    from harness.suites.prompt import item_tools, render_messages
    from harness.suites.sources import SourceUnavailable
    from harness.suites.toolcalls import render_tool_protocol

    data_dir = resolve_data_dir(data_dir)
    (spec,) = _one_spec(name, list_specs(), resolve_names)
    console = Console()
    header = Text()
    header.append(f"{spec.name}", style="bold")
    header.append(f"  {spec.category} / {spec.capability}" + ("  (in the default set)" if spec.default else "") + "\n")
    header.append(f"{spec.description}\n")
    header.append(f"source: {spec.source_label()}   spec: {spec.path}\n")
    suite = None
    try:
        suite = build_suite(spec, data_dir)
    except SourceUnavailable as e:
        header.append(f"items: not available here ({e}); pass --data-dir with a local copy to render one\n", style="yellow")
    if suite is not None:
        dates = sorted(d for d in (it.release_date for it in suite.items) if d)
        span = f", released {dates[0]} .. {dates[-1]}" if dates else ""
        clusters = len({it.cluster for it in suite.items if it.cluster})
        header.append(
            f"items: {len(suite.items):,}{span}" + (f", {clusters} clusters" if clusters else "")
            + f"   version: {suite.version}\n"
        )
    console.print(header)

    if suite is not None:
        chosen = _pick(suite.items, item, index)
        console.print(Text(f"Item {chosen.id}" + (f" (released {chosen.release_date})" if chosen.release_date else ""), style="bold"))
        for message in render_messages(spec.prompt, chosen):
            console.print(Panel(Text(str(message.get("content") or "")), title=str(message.get("role")), title_align="left"))
        tools = item_tools(chosen)
        if tools:
            console.print(Text(f"Tools offered natively ({len(tools)}):", style="bold"))
            console.print(Text(json.dumps(tools, indent=1, ensure_ascii=False)))
            console.print(Text("Without native tool calling (tool_mode = \"json\") this text joins the system prompt:", style="bold"))
            console.print(Panel(Text(render_tool_protocol(tools)), title="tool-call protocol", title_align="left"))
        console.print(Text("Expected (target):", style="bold"))
        console.print(Text(_short(chosen.target)))
    else:
        console.print(Text("Prompt template:", style="bold"))
        if spec.prompt.get("system"):
            console.print(Panel(Text(spec.prompt["system"]), title="system", title_align="left"))
        console.print(Panel(Text(spec.prompt.get("template") or "(the item's own messages)"), title="user", title_align="left"))

    console.print(Text("\nScoring", style="bold"))
    console.print(Text(_scoring_text(spec)), soft_wrap=True)
    if spec.solver.get("kind") != "single_turn":
        console.print(Text(f"solver: {spec.solver}"))


def _one_spec(name: str, specs: list[Any], resolve: Any) -> list[Any]:
    from harness.errors import UserError

    chosen = [s for s in resolve([name], specs) if not isinstance(s, str)]
    if len(chosen) != 1:
        raise UserError(f"`suites show` takes one suite name, not {name!r}")
    return chosen


def _pick(items: Any, item_id: str | None, index: int) -> Any:
    from harness.errors import UserError

    if item_id is not None:
        for it in items:
            if it.id == item_id:
                return it
        raise UserError(f"no item {item_id!r} in this suite (ids look like {items[0].id!r})")
    if not 0 <= index < len(items):
        raise UserError(f"--index {index} is outside 0..{len(items) - 1}")
    return items[index]


def _scoring_text(spec: Any) -> str:
    if spec.solver.get("kind") == "single_turn":
        from harness.suites.scorers import SCORERS

        scorer = SCORERS[spec.scorer["kind"]]
        settings = {k: v for k, v in spec.scorer.items() if k != "kind"}
        doc = _paragraphs(inspect.getdoc(scorer) or "")
        return f"scorer: {spec.scorer['kind']}" + (f" {settings}" if settings else "") + f"\n{doc}"
    from harness.suites.solvers import SOLVERS

    factory = SOLVERS[spec.solver["kind"]]
    doc = inspect.getdoc(factory) or ""
    if spec.solver["kind"] == "tool_env":
        try:
            from harness.suites.builtin.tools_env import make_solver

            doc = inspect.getdoc(make_solver) or doc
        except ImportError:
            pass
    return f"solver: {spec.solver['kind']}\n{_paragraphs(doc)}"


def _paragraphs(doc: str) -> str:
    """A docstring with its hard line breaks joined, so the terminal can wrap it."""
    return "\n\n".join(" ".join(part.split()) for part in doc.split("\n\n"))


def _short(value: Any, limit: int = 1500) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"
