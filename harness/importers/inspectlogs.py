"""Import Inspect AI eval logs (`.eval` or `.json`) as a run directory.

Each log holds one task run against one model. Every (sample, epoch) becomes a record: the sample id is
the item, the epoch (1-based in Inspect) is the sample index (0-based here), and the chosen scorer's value
is the score (C/I/P/N as 1/0/0.5/0, booleans, or numbers in [0, 1]). A sample that errored or hit a limit
keeps that apart from a wrong answer, as the harness's own runs do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.importers.common import (
    ImportResult,
    SourceFile,
    SuiteSummary,
    check_label,
    make_run_id,
    redact_args,
    scrub,
    write_import,
)
from harness.interop.configs import strip_addresses
from harness.interop.mapping import Placement, TaskMap
from harness.items import content_hash, item_hash
from harness.records import ItemRecord

_LETTER = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}
_TRUNCATING_LIMITS = {"token", "context"}


@dataclass
class _Log:
    path: Path
    header: Any  # inspect_ai.log.EvalLog without samples
    task: str
    scorer: str = ""
    key: str | None = None  # for scorers whose value is a dict


def _inspect():
    try:
        import inspect_ai.log as log
    except ImportError:
        raise UserError("reading Inspect logs needs inspect-ai: pip install inspect-ai") from None
    return log


def find_logs(path: Path) -> list[Path]:
    """The log files PATH names: the file itself, or every Inspect log below a directory."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix not in (".eval", ".json"):
            raise UserError(f"{path}: expected an Inspect log (.eval or .json)")
        return [path]
    from urllib.parse import unquote, urlsplit

    # Inspect's own listing knows its log naming (it skips logs.json and eval-set manifests)
    found = sorted(Path(unquote(urlsplit(info.name).path)) if info.name.startswith("file://") else Path(info.name)
                   for info in _inspect().list_eval_logs(str(path.resolve()), recursive=True))
    if not found:
        raise UserError(f"{path}: no Inspect logs (.eval or .json) below it; pass Inspect's --log-dir")
    return found


def _read_header(path: Path) -> Any:
    log = _inspect()
    try:
        return log.read_eval_log(str(path), header_only=True)
    except Exception as e:  # inspect raises pydantic/zip/JSON errors of many kinds for a bad file
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"{path}: not a readable Inspect log ({first})") from None


def _scorer_names(header: Any) -> list[str]:
    names = [s.name for s in (header.results.scores if header.results else [])]
    names += [s.name for s in (header.eval.scorers or [])]
    return list(dict.fromkeys(names))


def _choose_scorer(log: _Log, placement: Placement, overrides: Mapping[str, str]) -> None:
    """--scorer for the task/suite/all, then the task map's `metric`, then Inspect's headline scorer."""
    names = _scorer_names(log.header)
    chosen = next((overrides[k] for k in (log.task, placement.suite, "*") if k in overrides), None)
    chosen = chosen or placement.rule.metric
    if not chosen:
        headline = getattr(log.header.results, "headline", None) if log.header.results else None
        chosen = getattr(headline, "scorer", None) or (names[0] if names else None)
    if not chosen:
        raise UserError(f"{log.path}: task {log.task} has no scorer; score it with `inspect score` first")
    key = None
    if chosen not in names and "/" in chosen:
        chosen, key = chosen.rsplit("/", 1)
    if chosen not in names:
        raise UserError(f"{log.path}: no scorer {chosen!r}; the log has {', '.join(names)}: pass "
                        f"--scorer {log.task}=NAME")
    log.scorer, log.key = chosen, key


def _value(value: Any, where: str, log: _Log) -> float:
    """A score in [0, 1] from an Inspect Score.value; anything else is an error naming the sample."""
    if isinstance(value, dict):
        if log.key is None:
            raise UserError(f"{where}: scorer {log.scorer!r} gives several values ({', '.join(map(str, value))}); "
                            f"pass --scorer {log.task}={log.scorer}/KEY")
        if log.key not in value:
            raise UserError(f"{where}: scorer {log.scorer!r} has no value {log.key!r} ({', '.join(map(str, value))})")
        value = value[log.key]
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        if value in _LETTER:
            return _LETTER[value]
        try:
            value = float(value)
        except ValueError:
            raise UserError(f"{where}: score {value!r} is neither C/I/P/N nor a number") from None
    if isinstance(value, int | float) and 0.0 <= float(value) <= 1.0:
        return float(value)
    raise UserError(f"{where}: score {value!r} is not in [0, 1]; asymmetry needs accuracy-like scores")


def _error_kind(sample: Any) -> str | None:
    """The harness error kind for a sample that errored or hit a limit (None when it ran normally)."""
    if sample.error is not None:
        message = (sample.error.message or "").lower()
        if "429" in message or "rate limit" in message:
            return "http_429"
        if "timeout" in message or "timed out" in message:
            return "timeout"
        if "connect" in message:
            return "connection"
        return "harness"  # an exception inside the evaluation (Inspect, its solver or the API client)
    if sample.limit is not None:
        return "truncated" if sample.limit.type in _TRUNCATING_LIMITS else "step_limit"
    return None


def _text_of(value: Any) -> Any:
    """Inputs as plain data for hashing: a string, or (role, text) per chat message (ids excluded)."""
    if isinstance(value, str):
        return value
    return [[getattr(m, "role", ""), getattr(m, "text", str(m))] for m in value]


def _usage(sample: Any) -> dict[str, int] | None:
    usage = getattr(sample, "model_usage", None) or {}
    if not usage:
        return None
    return {"prompt_tokens": sum(u.input_tokens or 0 for u in usage.values()),
            "completion_tokens": sum(u.output_tokens or 0 for u in usage.values())}


def _suite_basis(log: _Log) -> dict[str, Any]:
    """What a task asks and how it scores (not which model or decoding): the basis of the suite version."""
    e = log.header.eval
    plan = log.header.plan
    return strip_addresses({
        "task": e.task.rsplit("/", 1)[-1], "task_version": e.task_version, "task_args": e.task_args,
        "solver": e.solver, "solver_args": e.solver_args,
        "plan": [[s.solver, s.params] for s in (plan.steps if plan else [])],
        "scorers": [[s.name, s.options] for s in (e.scorers or [])], "scorer": log.scorer, "key": log.key,
    })


def import_inspect(path: Path, label: str, *, out: Path = Path("results"), task_map: TaskMap | None = None,
                   scorers: Mapping[str, str] | None = None, run_id: str | None = None,
                   allow_incomplete: bool = False) -> ImportResult:
    """Import the Inspect logs at PATH as model LABEL into `out/<run_id>/`.

    `scorers` maps a task (or suite, or "*") to the scorer to keep (`NAME` or `NAME/KEY`)."""
    check_label(label)
    inspect_log = _inspect()
    task_map = task_map or TaskMap()
    scorers = dict(scorers or {})
    logs, warnings = _read_logs(path, allow_incomplete)
    placements = task_map.place(logs)
    chosen = [log for task, log in logs.items() if task in placements]
    if not chosen:
        raise UserError(f"{path}: every task was skipped by the task map; nothing to import")
    for log in chosen:
        _choose_scorer(log, placements[log.task], scorers)
    unused = set(scorers) - {"*"} - set(logs) - {p.suite for p in placements.values()}
    if unused:
        raise UserError(f"--scorer name(s) {', '.join(sorted(unused))} match no imported task or suite; tasks are "
                        f"{', '.join(logs)}")

    suites = _summaries(chosen, placements)
    sources = [SourceFile(log.path, "log", log.task) for log in chosen]
    choices = {log.task: [placements[log.task].suite, log.scorer, log.key] for log in chosen}
    run_id = run_id or make_run_id(label, "inspect", sources, choices)
    served: set[str] = set()  # model ids the endpoint reported in its outputs
    rows = list(_records(inspect_log, chosen, placements, suites, run_id, label, served, warnings))
    manifest = _manifest(label, chosen, placements, sources, served, suites, warnings)
    run_dir = write_import(out, run_id, manifest, rows)
    return ImportResult(run_dir, list(suites.values()), warnings)


def _read_logs(path: Path, allow_incomplete: bool) -> tuple[dict[str, _Log], list[str]]:
    """The logs at PATH by task (one log per task, one model), and a warning per log that did not finish
    (refused unless `allow_incomplete`)."""
    logs: dict[str, _Log] = {}
    models: dict[str, Path] = {}
    warnings: list[str] = []
    for file in find_logs(path):
        header = _read_header(file)
        status = header.status
        if status != "success":
            done = header.results.completed_samples if header.results else "?"
            if not allow_incomplete:
                raise UserError(f"{file}: the log's status is {status!r} ({done} samples completed); pass "
                                "--allow-incomplete to import the samples it has")
            warnings.append(f"{file.name}: status {status!r}; imported the samples it has")
        task = header.eval.task
        if task in logs:
            raise UserError(f"task {task} appears in both {logs[task].path} and {file}; pass the one log to import")
        logs[task] = _Log(file, header, task)
        models.setdefault(header.eval.model, file)
    if len(models) > 1:
        raise UserError(f"{path}: logs of several models ({', '.join(models)}); import one model's logs at a time")
    return logs, warnings


def _summaries(chosen: list[_Log], placements: Mapping[str, Placement]) -> dict[str, SuiteSummary]:
    """One summary per suite the logs are placed in; its version hashes what each member task asks and how
    it scores."""
    suites: dict[str, SuiteSummary] = {}
    for log in chosen:
        p = placements[log.task]
        s = suites.setdefault(p.suite, SuiteSummary(p.suite, "", p.category, p.capability, p.label, [], ""))
        s.tasks.append(log.task)
    for s in suites.values():
        members = [log for log in chosen if log.task in s.tasks]
        s.version = content_hash({log.task: _suite_basis(log) for log in members})
        picks = sorted({log.scorer + (f"/{log.key}" if log.key else "") for log in members})
        s.selection = ", ".join(picks)
    return suites


def _records(inspect_log: Any, chosen: list[_Log], placements: Mapping[str, Placement],
             suites: dict[str, SuiteSummary], run_id: str, label: str, served: set[str],
             warnings: list[str]) -> Iterator[ItemRecord]:
    """Every sample of every log as an item record, counted into its suite's summary; the model ids the
    endpoint reported go into `served`, a mismatch with Inspect's reported accuracy into `warnings`."""
    for log in chosen:
        p = placements[log.task]
        s = suites[p.suite]
        items: set[str] = set()
        reported = _reported(log)
        task_sum, task_n = 0.0, 0
        for sample in inspect_log.read_eval_log_samples(str(log.path), all_samples_required=False):
            where = f"{log.path}: sample {sample.id!r} epoch {sample.epoch}"
            error = _error_kind(sample)
            score_obj = (sample.scores or {}).get(log.scorer)
            if score_obj is None:
                if error is None:
                    raise UserError(f"{where}: no {log.scorer!r} score; score the log with `inspect score`")
                score = 0.0
            else:
                score = _value(score_obj.value, where, log)
            # ids are per task: prefix them when several tasks share the suite
            item_id = f"{p.cluster}/{sample.id}" if p.cluster else str(sample.id)
            if sample.output and sample.output.model:
                served.add(sample.output.model)
            if item_id not in items:
                items.add(item_id)
                s.n_items += 1
            s.add(score, error)
            if error is None:
                task_sum, task_n = task_sum + score, task_n + 1
            yield {
                "run_id": run_id, "model": label, "suite": p.suite, "suite_version": s.version,
                "category": p.category, "capability": p.capability, "item_id": item_id,
                "item_hash": item_hash(_text_of(sample.input), sample.target), "sample": int(sample.epoch) - 1,
                "score": score, "correct": score >= 1.0 and error is None, "error": error,
                "response": sample.output.completion if sample.output else "",
                "extracted": score_obj.answer if score_obj is not None else None,
                "latency_s": sample.total_time, "usage": _usage(sample),
                "started_at": sample.started_at or log.header.eval.created,
                "cluster": p.cluster, "task": log.task, "scorer": log.scorer,
                "error_scored": error is not None and score_obj is not None,
                "error_message": sample.error.message.splitlines()[0][:500] if sample.error else None,
                "source": f"{log.path.name}#{sample.id}/{sample.epoch}",
            }
        if reported is not None and task_n and abs(task_sum / task_n - reported) > 1e-6:
            warnings.append(f"{log.task}: per-sample {log.scorer} averages {task_sum / task_n:.6f} but Inspect "
                            f"reported accuracy {reported:.6f}")
        if len(s.tasks) == 1:
            s.reported = reported


def _manifest(label: str, chosen: list[_Log], placements: Mapping[str, Placement], sources: list[SourceFile],
              served: set[str], suites: dict[str, SuiteSummary], warnings: list[str]) -> dict[str, Any]:
    """The import's manifest, once every record is read (served model ids and suite counts come from them)."""
    first = chosen[0].header.eval
    return {
        "kind": "import",
        "models": [{"label": label, "provider": "inspect", "model": first.model,
                    "served_models": sorted(served) or [first.model], "base_url": scrub(first.model_base_url)}],
        "source": {
            "format": "inspect",
            "inspect_version": (first.packages or {}).get("inspect_ai"),
            "files": [src.to_dict() for src in sources],
            "logs": [{"task": log.task, "task_version": log.header.eval.task_version, "status": log.header.status,
                      "eval_id": log.header.eval.eval_id, "run_id": log.header.eval.run_id,
                      "created": log.header.eval.created, "epochs": log.header.eval.config.epochs,
                      "model_args": redact_args(log.header.eval.model_args)} for log in chosen],
            "task_map": sorted({placements[log.task].rule.source for log in chosen}),
        },
        "decoding": _decoding(chosen),
        "samples": max(int(log.header.eval.config.epochs or 1) for log in chosen),
        "status": "complete" if all(log.header.status == "success" for log in chosen) else "incomplete",
        "created_at": min(str(log.header.eval.created) for log in chosen),
        "started_at": min(str(log.header.eval.created) for log in chosen),
        "ended_at": max(str(log.header.stats.completed_at or log.header.eval.created) for log in chosen),
        "suites": [s.to_dict() for s in suites.values()],
        "warnings": warnings,
    }


def _decoding(logs: list[_Log]) -> dict[str, Any]:
    """The generate config the user gave Inspect (temperature, max_tokens…): one dict when every log agrees."""
    configs = {log.task: scrub(log.header.eval.model_generate_config.model_dump(exclude_none=True)) for log in logs}
    unique = {repr(sorted(c.items())) for c in configs.values()}
    first = next(iter(configs.values()))
    return {"tool": "inspect", **first} if len(unique) == 1 else {"tool": "inspect", "per_task": configs}


def _reported(log: _Log) -> float | None:
    """Inspect's own accuracy for the chosen scorer, when the log states one (a cross-check)."""
    if log.key or not log.header.results:
        return None
    for score in log.header.results.scores:
        if score.name == log.scorer and "accuracy" in score.metrics and score.reducer in (None, "mean"):
            return float(score.metrics["accuracy"].value)
    return None
