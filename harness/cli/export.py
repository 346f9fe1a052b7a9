"""`asymmetry export`: run directories as one item table (CSV or Parquet) for your own tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ORDER = 45

HELP = (
    "Write the item table of run directories to a CSV or Parquet file: one row per model × suite × item × "
    "sample, with the columns model, suite, category, item_id, score, sample, cluster, capability, error, "
    "item_hash, suite_version, release_date and flags (a record's code flags joined by ';', empty for none). The rows are exactly those [bold]compare --results[/bold] "
    "analyses, and [bold]compare --items FILE[/bold] reads the file back.\n\n"
    "[bold]Examples[/bold]\n\n"
    "  asymmetry export --results results/* --out items.parquet\n\n"
    "  asymmetry export --results results/qwen3-8b-run --results results/qwen3.5-9b-run --out items.csv\n\n"
    "In Python: [bold]pandas.read_parquet('items.parquet')[/bold]."
)


def register(app: typer.Typer) -> None:
    app.command("export", help=HELP, context_settings={"allow_extra_args": True})(export)


def export(
    ctx: typer.Context,
    results: Annotated[list[Path], typer.Option(
        "--results", "-r", help="Run directories (results/<run_id>). Repeat the flag, or list several after one "
                                "--results (a shell glob works; files such as results/README.md are left out).",
        metavar="DIR...", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The file to write: .csv or .parquet.",
                                      metavar="FILE", show_default=False)],
    # a flag takes no value: an empty metavar keeps '<bool>' out of the help's type column
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing --out file.",
                                            metavar="")] = False,
) -> None:
    from harness.errors import UserError
    from harness.export import export_items
    from harness.run.store import skip_non_runs

    paths = list(results)
    for arg in ctx.args:
        if arg.startswith("-") or not Path(arg).exists():
            raise UserError(f"unexpected argument {arg!r}; only run directories may follow --results")
        paths.append(Path(arg))
    frame = export_items(skip_non_runs(paths), out, overwrite=overwrite)
    models = ", ".join(sorted(frame["model"].unique()))
    typer.echo(f"wrote {out}: {len(frame):,} rows ({frame['suite'].nunique()} suite(s); models {models})", err=True)
