"""Interop commands: `asymmetry import lm-eval|inspect` brings existing lm-eval or Inspect AI logs in as run
directories; `asymmetry lm-eval …` is lm-eval's own command line with `--model asymmetry` registered."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from harness.importers import ImportResult

ORDER = 25

_MAP_HELP = ("Task map (TOML): suite, capability and choices for tasks the defaults do not know. Defaults: "
             "humaneval*, mbpp* (coding); gsm8k*, minerva_math*, hendrycks_math* (math); triviaqa*, nq_open* "
             "(factual); mmlu* (factual, 'knowledge'). Entry: \\[tasks.\"arc_*\"] capability = \"factual\".")

Label = Annotated[str, typer.Option("--model", "-m", help="Label for this model in results (e.g. qwen3-8b).",
                                    show_default=False)]
Out = Annotated[Path, typer.Option("--out", "-o", help="Where run directories go.")]
MapFile = Annotated[Path | None, typer.Option("--map", help=_MAP_HELP, show_default=False)]
RunId = Annotated[str | None, typer.Option("--run-id", help="Run directory name (default: LABEL-FORMAT-<hash of "
                                           "the sources>, so re-importing the same logs is refused).")]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="import",
        help=("Import per-item logs from lm-eval (--log_samples) or Inspect AI as run directories, so that "
              "[bold]compare[/bold] and [bold]report[/bold] work on them unchanged.\n\n"
              "Example: [bold]asymmetry import lm-eval out/qwen3-8b --model qwen3-8b[/bold]"),
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    group.command("lm-eval")(lm_eval)
    group.command("inspect")(inspect)
    app.add_typer(group)
    app.command(
        "lm-eval",
        help=("lm-eval's own command line (all arguments pass through) with [bold]--model asymmetry[/bold] "
              "registered: its generate-until tasks run through our adapters (concurrency, retries, per-model "
              "journal).\n\nExample: [bold]asymmetry lm-eval run --model asymmetry --model_args "
              "spec=q=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1 --tasks gsm8k --apply_chat_template "
              "--log_samples --output_path out/[/bold] (then [bold]asymmetry import lm-eval out/ --model q[/bold])"),
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )(lm_eval_engine)


LM_EVAL_HELP = """asymmetry lm-eval: lm-eval's own command line (every argument passes through to lm-eval 0.4.13),
with one model class added: --model asymmetry, which sends lm-eval's generate-until requests through
asymmetry's HTTP adapters (pooled async requests, retries with backoff, rate limits, keys from the
environment only) and keeps a per-model journal that is also the cache (a re-run asks only what is missing).

  asymmetry lm-eval run --model asymmetry \\
      --model_args spec=q=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1,concurrency=32 \\
      --tasks gsm8k --apply_chat_template --log_samples --output_path out/q
  asymmetry import lm-eval out/q --model q         (then compare it like any run)

--model_args for --model asymmetry (comma-separated key=value):
  spec=LABEL=PROVIDER:MODEL[@BASE_URL]   required; the model spec of `asymmetry run -m` (providers:
                                         `asymmetry models presets`)
  max_gen_toks=2048     tokens per answer when the task sets none (lm-eval's API backends stop at 256,
                        which cuts off chain-of-thought; this default is announced in the log)
  seed=1234             base seed; repeat j of a document is sent with seed+j (lm-eval repeats one seed)
  concurrency=16  timeout=300  retries=4      per-request settings of the adapter
  api=chat|completions  the endpoint kind (completions for base models)
  cache=true  cache_dir=~/.cache/asymmetry/lm-eval   the per-model request journal
  on_error=raise|empty  raise (stop; finished requests are kept) or score failed requests as empty answers

Only generate-until tasks run through it: chat endpoints give no prompt log-probabilities. The other
models lm-eval knows (hf, vllm, local-chat-completions, ...) work unchanged.

lm-eval's own help follows.
"""


def lm_eval_engine(ctx: typer.Context) -> None:
    from harness.lmeval.cli import run

    if not ctx.args or any(a in ("-h", "--help") for a in ctx.args):
        typer.echo(LM_EVAL_HELP)  # lm-eval's help cannot know of --model asymmetry: say it first
    run(ctx.args)


def parse_choices(values: list[str] | None, flag: str) -> dict[str, str]:
    """`TASK=NAME` (or a bare `NAME` for every task) from a repeatable flag."""
    from harness.errors import UserError

    out: dict[str, str] = {}
    for value in values or []:
        task, sep, name = value.partition("=")
        task, name = (task, name) if sep else ("*", task)
        if not task or not name:
            raise UserError(f"{flag} {value!r}: expected TASK=NAME (or NAME for every task)")
        if task in out and out[task] != name:
            raise UserError(f"{flag}: {task} given twice ({out[task]!r} and {name!r})")
        out[task] = name
    return out


def lm_eval(
    path: Annotated[Path, typer.Argument(help="lm-eval's --output_path (or a results_<date>.json in it), from a "
                                         "run with --log_samples.", show_default=False)],
    model: Label,
    out: Out = Path("results"),
    task_map: MapFile = None,
    filter_: Annotated[list[str] | None, typer.Option(
        "--filter", help="Filter to keep, TASK=NAME or NAME for all (default: the task's first filter, e.g. "
                         "gsm8k's strict-match). Repeatable.", show_default=False)] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="Metric to keep, TASK=NAME or NAME for all (default: the task's first metric). "
                         "Repeatable.", show_default=False)] = None,
    run_id: RunId = None,
) -> None:
    """Import lm-eval --log_samples output (results_<date>.json + samples_<task>_<date>.jsonl).

    Items are keyed by lm-eval's doc_hash (never doc_id, a row position), so two releases pair on the same document. One filter and one metric per task are kept; the table shows which, with lm-eval's own aggregate beside the imported accuracy as a cross-check.
    """  # noqa: E501
    from harness.importers import load_task_map
    from harness.importers.lmeval import import_lmeval

    result = import_lmeval(path, model, out=out, task_map=load_task_map(task_map),
                           filters=parse_choices(filter_, "--filter"), metrics=parse_choices(metric, "--metric"),
                           run_id=run_id)
    _show(result, model, "filter / metric")


def inspect(
    path: Annotated[Path, typer.Argument(help="An Inspect log (.eval or .json) or a log directory.",
                                         show_default=False)],
    model: Label,
    out: Out = Path("results"),
    task_map: MapFile = None,
    scorer: Annotated[list[str] | None, typer.Option(
        "--scorer", help="Scorer to keep, TASK=NAME or NAME for all; NAME/KEY for a scorer with several values "
                         "(default: the log's headline scorer). Repeatable.", show_default=False)] = None,
    allow_incomplete: Annotated[bool, typer.Option(
        "--allow-incomplete", help="Import the samples of a log that errored or was cancelled.")] = False,
    run_id: RunId = None,
) -> None:
    """Import Inspect AI eval logs: sample id as the item, epoch as the sample, the scorer's value as score.

    C/I/P/N count as 1/0/0.5/0. Samples that errored or hit a limit are kept, marked with an error kind, apart from wrong answers.
    """  # noqa: E501
    from harness.importers import load_task_map
    from harness.importers.inspectlogs import import_inspect

    result = import_inspect(path, model, out=out, task_map=load_task_map(task_map),
                            scorers=parse_choices(scorer, "--scorer"), run_id=run_id,
                            allow_incomplete=allow_incomplete)
    _show(result, model, "scorer")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _show(result: ImportResult, label: str, selection: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"Imported [bold]{label}[/bold] → {result.run_dir}", highlight=False, soft_wrap=True)
    table = Table(caption=f"kept: the {selection} imported per task; reported: the source's own accuracy",
                  caption_justify="left")
    table.add_column("suite", no_wrap=True)
    table.add_column("group")
    table.add_column("kept")
    for column in ("items", "records", "errors", "accuracy", "reported"):
        table.add_column(column, justify="right", no_wrap=True)
    for s in result.suites:
        name = s.name if s.tasks == [s.name] else f"{s.name} ({len(s.tasks)} tasks)"
        group = f"{s.category} {s.label}"
        table.add_row(name, group, s.selection, str(s.n_items), str(s.n_records), str(s.n_errors),
                      _pct(s.accuracy), _pct(s.reported))
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    console.print(f"next: asymmetry compare --results {result.run_dir} --results results/<other run> "
                  f"--before <label> --after <label>", highlight=False, soft_wrap=True)
