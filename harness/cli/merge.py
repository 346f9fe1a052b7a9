"""`asymmetry merge`: combine the shard run directories of one run into one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ORDER = 11


def register(app: typer.Typer) -> None:
    app.command("merge", help=(
        "Combine the run directories of `asymmetry run --shard I/N` (one per machine) into one run directory. "
        "Refuses overlaps, gaps, differing configurations or suite versions, unfinished shards and journals "
        "that do not match their manifest's sha256.\n\n"
        "Example: [bold]asymmetry merge results/RUN-shard1of2 results/RUN-shard2of2 --out results/[/bold]"))(merge)


def merge(
    run_dirs: Annotated[list[Path], typer.Argument(help="The shards' run directories (every shard once).",
                                                   show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the merged run directory goes.")] = Path("results"),
    run_id: Annotated[str | None, typer.Option("--run-id", help="Name of the merged run directory. Default: the run "
                                               "id without its -shardIofN suffix.")] = None,
) -> None:
    from rich.console import Console

    from harness.run.merge import merge_runs
    from harness.run.store import read_manifest

    target = merge_runs(run_dirs, out, run_id)
    counts = read_manifest(target).get("counts", {})
    Console(stderr=True, soft_wrap=True).print(
        f"merged {len(run_dirs)} shard(s): {counts.get('records', 0):,} records → {target}")
