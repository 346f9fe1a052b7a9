"""`asymmetry run`: put one or more model releases through the suites into a resumable run directory."""

from __future__ import annotations

import dataclasses
import shlex
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

ORDER = 10

_EXAMPLES = """

[bold]Examples[/bold]

  asymmetry run -m qwen3-8b=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1 \\
                -m qwen3.5-9b=vllm:Qwen/Qwen3.5-9B@http://127.0.0.1:8001/v1 --suites default

  asymmetry run -m qwen3-max=dashscope:qwen3-max -m claude=anthropic:claude-sonnet-4-5 \\
                --suites builtin --samples 3 --rpm 300        (keys from DASHSCOPE_API_KEY, ANTHROPIC_API_KEY)

  asymmetry run -m again=replay:qwen3-8b@results/<run_id> --suites default   (re-score without the model)

Re-running the same command resumes: finished items are kept, only the rest is asked, and items that
failed at the endpoint (timeouts, 5xx, dropped connections) are asked again. A model whose endpoint keeps
failing is stopped rather than journaling every item as an error. Ctrl-C stops cleanly and prints the
command that resumes. Per-model settings go in [bold]--model-config FILE[/bold] (TOML, one
table per label):

  \\[qwen3-8b]
  extra = { chat_template_kwargs = { enable_thinking = false } }   # merged into each request body
  tool_mode = "json"      # tools described in the prompt instead of the API's tools field
  api = "completions"     # plain completions, for base models
  api_key_env = "MY_KEY"  # read the key from another variable
  headers = { Cookie = "…" }   # extra HTTP headers (recorded only as hashes)
  rpm = 60                # also: tpm, concurrency, timeout, retries
"""

_SPEC_KEYS = {"api", "tool_mode", "extra", "api_key_env", "headers"}
_ADAPTER_KEYS = {"rpm": "rpm", "tpm": "tpm", "concurrency": "concurrency", "timeout": "timeout_s",
                 "retries": "retries"}

Models = Annotated[list[str], typer.Option(
    "--model", "-m", show_default=False,
    help="LABEL=PROVIDER:MODEL\\[@BASE_URL] (repeat for each release). Providers: openai, vllm, sglang, ollama, "
         "llamacpp, lmstudio, dashscope, openrouter, together, anthropic, replay (see `asymmetry models presets`). "
         "Several @URLs = load-balanced replicas.")]


def register(app: typer.Typer) -> None:
    app.command("run", help=(
        "Query model releases over the suites, keeping every item's response, score and provenance in "
        "results/<run_id>/ (manifest.json + items.jsonl)." + _EXAMPLES))(run)


def run(
    ctx: typer.Context,
    model: Models,
    suites: Annotated[str, typer.Option(
        "--suites", "-s", help="Comma-separated: default (the fixed set), builtin (offline), suite names, "
                               "lm-eval:TASK, or paths to suite specs. See `asymmetry suites list`.")] = "default",
    samples: Annotated[int, typer.Option("--samples", "-k", help="Samples per item (K), sent with seeds seed+0 … seed+K-1.")] = 1,
    limit: Annotated[int | None, typer.Option("--limit", "-n", help="Only the first N items of each suite (a pilot); "
                                              "a later run without it resumes and adds the rest.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", help="Requests in flight per model (lowered "
                                             "automatically while the endpoint answers 429).")] = 32,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Folder with local copies of the datasets "
                                                  "(offline use); else $ASYMMETRY_DATA_DIR.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where run directories go.")] = Path("results"),
    run_id: Annotated[str | None, typer.Option("--run-id", help="Run directory name. Default: a slug of models and "
                                               "suites plus a hash of the configuration, so the same command "
                                               "resumes the same run.")] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.", rich_help_panel="Decoding")] = 0.0,
    top_p: Annotated[float | None, typer.Option("--top-p", help="Nucleus sampling; unset = server default.",
                                                rich_help_panel="Decoding")] = None,
    max_tokens: Annotated[int, typer.Option("--max-tokens", help="Completion budget per call. Reasoning models "
                                            "(Qwen3, R1, o-series) need 8192 or more, or thinking turned off.",
                                            rich_help_panel="Decoding")] = 2048,
    seed: Annotated[int, typer.Option(help="Base seed; sample j uses seed+j.", rich_help_panel="Decoding")] = 1234,
    stop: Annotated[list[str] | None, typer.Option("--stop", help="Stop sequence (repeatable).",
                                                   rich_help_panel="Decoding")] = None,
    extra: Annotated[str | None, typer.Option(
        "--extra", help='JSON merged into every request body, e.g. \'{"chat_template_kwargs": {"enable_thinking": '
                        "false}}' for Qwen3 on vLLM/SGLang. A null removes a field the endpoint rejects, e.g. "
                        "'{\"temperature\": null}' for OpenAI o-series. Per-model extras go in --model-config.",
        rich_help_panel="Decoding")] = None,
    model_config: Annotated[Path | None, typer.Option("--model-config", help="TOML file of per-model settings "
                                                      "(one table per label; see the example above).",
                                                      rich_help_panel="Endpoints")] = None,
    tool_mode: Annotated[str | None, typer.Option("--tool-mode", help="native (the API's tools field) or json (tools "
                                                  "described in the prompt, for servers without tool calling).",
                                                  rich_help_panel="Endpoints")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request before it counts as a timeout.",
                                           rich_help_panel="Endpoints")] = 300.0,
    retries: Annotated[int, typer.Option(help="Retries after a timeout, dropped connection, 5xx, 429 or malformed "
                                         "body (exponential backoff with jitter).", rich_help_panel="Endpoints")] = 4,
    rpm: Annotated[float | None, typer.Option(help="Requests per minute per model (hosted API limits).",
                                              rich_help_panel="Endpoints")] = None,
    tpm: Annotated[float | None, typer.Option(help="Tokens per minute per model (prompt + max_tokens, corrected by "
                                              "reported usage).", rich_help_panel="Endpoints")] = None,
    plan: Annotated[Path | None, typer.Option("--plan", help="Pre-registration plan (asymmetry plan); its sha256 is "
                                              "recorded and becomes part of the run's identity.")] = None,
    allow_unsandboxed_code: Annotated[bool, typer.Option(
        "--allow-unsandboxed-code", help="Run model-written code WITHOUT the bubblewrap sandbox when bubblewrap is "
                                         "missing. Only on a throwaway machine.")] = False,
    sandbox_workers: Annotated[int | None, typer.Option(
        "--sandbox-workers", help="Most model-written programs tested at once (default: 16 per CPU, "
                                  "as many as free memory holds at their full budget). Waiting programs cost no "
                                  "CPU, and time limits count active time, so this may exceed the CPU count. "
                                  "Recorded in the manifest.")] = None,
    shard: Annotated[str | None, typer.Option("--shard", help="I/N: run only shard I of N of the items (split by a "
                                              "hash of suite and item id), e.g. one per machine; combine the "
                                              "run directories with `asymmetry merge`.")] = None,
    processes: Annotated[int | None, typer.Option("--processes", help="Client processes (each its own event loop and "
                                                  "connection pool, one journal writer). Default: automatic, several "
                                                  "from --concurrency 256 on.", rich_help_panel="Endpoints")] = None,
    allow_unlisted_model: Annotated[bool, typer.Option(
        "--allow-unlisted-model", help="Run even when the endpoint's /models list lacks the model (gateways that "
                                       "route names they do not list).", rich_help_panel="Endpoints")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    import asyncio

    from rich.console import Console

    from harness.errors import UserError
    from harness.models import Decoding, parse_model_spec
    from harness.run.needs import require_sandbox
    from harness.run.runner import (
        RunConfig,
        check_config,
        execute,
        parse_shard,
        redact_command,
        start_warnings,
    )
    from harness.sandbox import MAX_WORKERS
    from harness.suites.build import external_prefixes, load_suites
    from harness.terminal import escaped

    err = Console(stderr=True, soft_wrap=True)  # messages and paths stay whole lines (copyable)
    check_values(temperature=temperature, top_p=top_p, timeout=timeout, rpm=rpm, tpm=tpm, retries=retries)
    shard_spec = parse_shard(shard) if shard is not None else None
    specs = [parse_model_spec(text) for text in model]
    specs, adapter_options = _apply_model_config(specs, model_config, tool_mode)
    decoding = Decoding(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed,
                        stop=tuple(stop or ()), extra=_json_option(extra, "--extra"))
    if max_tokens < 1:
        raise UserError(f"--max-tokens must be positive, not {max_tokens}")
    if sandbox_workers is not None and not 1 <= sandbox_workers <= MAX_WORKERS:
        raise UserError(f"--sandbox-workers must be from 1 to {MAX_WORKERS}, not {sandbox_workers}")
    if allow_unsandboxed_code:
        err.print("[bold red]WARNING: --allow-unsandboxed-code: model-written code will run on this machine "
                  "without a sandbox if bubblewrap is missing. Use a throwaway VM or container.[/]")
    names = [n.strip() for n in suites.split(",") if n.strip()]
    require_sandbox(names, allow_unsandboxed=allow_unsandboxed_code)  # before any data is loaded or asked
    external = {}
    if external_prefixes(names):  # lm-eval:TASK entries: lm-eval's tasks as suites (a heavy import, only then)
        from harness.lmeval.tasks import SUITE_SOURCES as external
    loaded = load_suites(names, data_dir, limit=limit, external=external)
    options: dict[str, Any] = {"timeout_s": timeout, "retries": retries}
    if rpm is not None:
        options["rpm"] = rpm
    if tpm is not None:
        options["tpm"] = tpm
    config = RunConfig(models=specs, suites=loaded, samples=samples, decoding=decoding, out=out, run_id=run_id,
                       limit=limit, concurrency=concurrency, adapter_options=options, plan=plan,
                       suite_request=names, model_options=adapter_options, shard=shard_spec, processes=processes,
                       allow_unlisted_model=allow_unlisted_model,
                       sandbox_workers=sandbox_workers or 0, allow_unsandboxed_code=allow_unsandboxed_code)
    _, resolved_id = check_config(config)
    command = redact_command(_resume_command(ctx, resolved_id))
    config = dataclasses.replace(config, command=command)
    early = start_warnings(config)  # before the run, while it can still be changed
    for warning in early:
        err.print(f"[yellow]warning:[/] {escaped(warning)}")
    err.print(f"run [bold]{escaped(resolved_id)}[/] → {escaped(out / resolved_id)}/  ({len(specs)} model(s) × "
              f"{sum(len(s.items) for s in loaded):,} items × {samples} sample(s))")
    result = asyncio.run(execute(config, show_progress=not quiet, console=err))
    _report(result, command, early, err)

def _report(result: Any, command: str, early: list[str], err: Any) -> None:
    """The run's summary table and its new warnings; an interrupted or incomplete run says how to resume
    (the command, verbatim) and exits 130 or 3."""
    from rich.console import Console

    from harness.run.progress import summary_table
    from harness.terminal import clean, escaped

    Console().print(summary_table(result.rows, title=f"{result.run_id}: {result.status}"))
    for warning in result.warnings:  # (they may quote the endpoint: escaped)
        if warning not in early:
            err.print(f"[yellow]warning:[/] {escaped(warning)}")
    if result.status == "interrupted":
        if result.error:
            typer.echo(f"error: {clean(result.error)}", err=True)
        err.print(f"[bold]interrupted[/]: {result.written:,} new record(s) kept in {result.run_dir}/items.jsonl. "
                  "Resume with:")
        typer.echo(f"  {command}", err=True)  # unwrapped and verbatim, to copy
        raise typer.Exit(130)
    if result.status == "incomplete":
        missing = ", ".join(f"{escaped(label)} {n:,}" for label, n in result.unanswered.items() if n)
        err.print(f"[bold red]incomplete[/]: {sum(result.unanswered.values()):,} unit(s) unanswered ({missing}): they "
                  "failed at the endpoint after every retry or were not asked. Fix the endpoint, then re-run the "
                  "same command to ask only those:")
        typer.echo(f"  {command}", err=True)
        raise typer.Exit(3)
    retried = (f" ({result.retried:,} that failed at the endpoint before were asked again)"
               if result.retried else "")
    err.print(f"{result.written:,} record(s) written{retried}, {result.skipped:,} kept from earlier sessions, "
              f"{result.elapsed_s:.1f}s → {result.run_dir}")


def check_values(*, temperature: float, top_p: float | None, timeout: float, rpm: float | None,
                 tpm: float | None, retries: int) -> None:
    """Bad numbers are one-line errors, never quietly a default (NaN compares false with everything)."""
    import math

    from harness.errors import UserError

    if not math.isfinite(temperature) or temperature < 0:
        raise UserError(f"--temperature must be a number >= 0, not {temperature}")
    if top_p is not None and not (math.isfinite(top_p) and 0 < top_p <= 1):
        raise UserError(f"--top-p must be in (0, 1], not {top_p}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise UserError(f"--timeout must be a positive number of seconds, not {timeout}")
    for flag, value in (("--rpm", rpm), ("--tpm", tpm)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UserError(f"{flag} must be a positive number per minute, not {value} (leave it out for no limit)")
    if retries < 0:
        raise UserError(f"--retries must be 0 or more, not {retries}")


def _apply_model_config(specs: list, path: Path | None, tool_mode: str | None) -> tuple[list, dict[str, dict]]:
    """Per-model settings from --model-config (and the global --tool-mode) applied to the specs."""
    from harness.errors import UserError
    from harness.models import with_options

    tables: dict[str, Any] = {}
    if path is not None:
        try:
            tables = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UserError(f"--model-config {path}: no such file") from None
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{path}: not valid TOML ({e})") from None
    labels = [s.label for s in specs]
    for label, table in tables.items():
        if label not in labels:
            raise UserError(f"{path}: table [{label}] matches no --model label (labels: {', '.join(labels)})")
        if not isinstance(table, Mapping):
            raise UserError(f"{path}: [{label}] must be a table of settings")
    out, adapter_options = [], {}
    for spec in specs:
        table = dict(tables.get(spec.label, {}))
        spec_part = {k: v for k, v in table.items() if k not in _ADAPTER_KEYS}
        if tool_mode is not None:
            spec_part.setdefault("tool_mode", tool_mode)
        out.append(with_options(spec, spec_part, where=f"{path or '--tool-mode'} [{spec.label}]"))
        adapter_options[spec.label] = {_ADAPTER_KEYS[k]: _adapter_value(k, v, f"{path} [{spec.label}]")
                                       for k, v in table.items() if k in _ADAPTER_KEYS}
    return out, adapter_options


def _adapter_value(key: str, value: Any, where: str) -> Any:
    """A per-model limit from --model-config, checked like its flag: NaN, 0 or a negative is an error."""
    import math

    from harness.errors import UserError

    number = isinstance(value, int | float) and not isinstance(value, bool)
    if key in ("concurrency", "retries"):
        least = 1 if key == "concurrency" else 0
        if not (number and float(value).is_integer() and value >= least):
            raise UserError(f"{where}: {key} must be a whole number >= {least}, not {value!r}")
        return int(value)
    if not (number and math.isfinite(value) and value > 0):
        unit = "seconds" if key == "timeout" else "per minute"
        raise UserError(f"{where}: {key} must be a positive number ({unit}), not {value!r}")
    return value


def _json_option(text: str | None, flag: str) -> dict[str, Any]:
    import orjson

    from harness.errors import UserError

    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as e:
        raise UserError(f"{flag}: not valid JSON ({e}); quote it, e.g. {flag} '{{\"top_k\": 20}}'") from None
    if not isinstance(value, dict):
        raise UserError(f"{flag}: expected a JSON object of request-body fields")
    return value


def _resume_command(ctx: typer.Context, run_id: str) -> str:
    """The command that resumes this run: the options given (non-default ones) with the run id pinned."""
    words = ["asymmetry", "run"]
    for param in ctx.command.params:
        if getattr(param, "param_type_name", "") != "option" or param.name in ("run_id", "help"):
            continue
        value = ctx.params.get(param.name)
        if value is None or value == param.default or value == [] or (param.is_flag and not value):
            continue
        flag = max(param.opts, key=len)
        if param.name == "extra":  # recorded: decoding fields as given, every other value as a hash
            import orjson

            from harness.models.redact import redact_extra

            try:
                value = orjson.dumps(redact_extra(orjson.loads(value))).decode()
            except (orjson.JSONDecodeError, AttributeError):
                value = "***"
        if param.is_flag:
            words.append(flag)
        elif isinstance(value, list | tuple):
            for v in value:
                words += [flag, str(v)]
        else:
            words += [flag, str(value)]
    words += ["--run-id", run_id]
    return shlex.join(words)
