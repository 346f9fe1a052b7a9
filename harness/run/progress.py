"""Progress of a run: one bar per model and suite (rate, ETA, errors), and the closing table.

Counting is plain integers on the hot path; a timer pushes them to Rich a few times a second, so a run
at thousands of items per second spends almost nothing on its display.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from harness.terminal import escaped, plain


@dataclass
class Tally:
    """Counts for one (model, suite): records this session and before it."""

    total: int
    done: int = 0
    errors: int = 0
    already: int = 0  # completed in earlier sessions (resume)


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} it/s" if speed else "   - it/s", style="progress.data.speed")


class RunProgress:
    """Bars for every (model, suite); `advance` is cheap and safe to call per item."""

    def __init__(self, totals: Iterable[tuple[str, str, int, int]], *, console: Console | None = None,
                 enabled: bool = True, refresh_s: float = 0.2) -> None:
        self.tallies: dict[tuple[str, str], Tally] = {
            (model, suite): Tally(total, already=already) for model, suite, total, already in totals}
        self.enabled = enabled
        self.refresh_s = refresh_s
        self._progress = Progress(
            TextColumn("[bold]{task.fields[model]}[/] · {task.fields[suite]}"), BarColumn(), MofNCompleteColumn(),
            TaskProgressColumn(), _Rate(), TimeRemainingColumn(), TextColumn("{task.fields[errors]}"),
            console=console, transient=False, refresh_per_second=5) if enabled else None
        self._tasks: dict[tuple[str, str], Any] = {}
        self._timer: asyncio.Task[None] | None = None

    def advance(self, model: str, suite: str, error: bool) -> None:
        tally = self.tallies[(model, suite)]
        tally.done += 1
        if error:
            tally.errors += 1

    def _push(self) -> None:
        assert self._progress is not None
        for key, tally in self.tallies.items():
            errors = f"[red]{tally.errors} errors[/]" if tally.errors else ""
            self._progress.update(self._tasks[key], completed=tally.already + tally.done, errors=errors)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            self._push()

    async def __aenter__(self) -> RunProgress:
        if self._progress is not None:
            for (model, suite), tally in self.tallies.items():
                self._tasks[(model, suite)] = self._progress.add_task(  # (the columns are markup: escaped)
                    "", total=tally.total, completed=tally.already, model=escaped(model), suite=escaped(suite),
                    errors="")
            self._progress.start()
            self._timer = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._progress is not None:
            if self._timer is not None:
                self._timer.cancel()
            self._push()
            self._progress.stop()


def summary_table(rows: Iterable[Mapping[str, Any]], *, title: str = "Run summary") -> Table:
    """The closing table: per model and suite, items, accuracy and errors by kind.

    Accuracy is the mean score over records without an infrastructure error (those say nothing about the
    model); model errors (parse failures, truncation, sandbox limits) count as failures, as compare does
    by default."""
    table = Table(title=plain(title), title_justify="left")
    for column, justify in (("model", "left"), ("suite", "left"), ("items", "right"), ("accuracy", "right"),
                            ("errors", "left"), ("served model", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        scored = row["scored"]
        accuracy = f"{100 * row['score_sum'] / scored:.1f}%" if scored else "-"
        errors = ", ".join(f"{kind} {n}" for kind, n in sorted(row["errors"].items())) or "-"
        # labels, suite names and the model ids the endpoint reported are shown as written, never as markup
        table.add_row(plain(row["model"]), plain(row["suite"]), f"{row['records']:,}/{row['expected']:,}", accuracy,
                      plain(errors, style="red" if row["errors"] else ""), plain(", ".join(row["served"]) or "-"))
    return table
