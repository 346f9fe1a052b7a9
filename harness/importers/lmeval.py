"""Import lm-eval (0.4.x) `--log_samples` output as a run directory.

lm-eval writes, per invocation, `results_<date>.json` (aggregates, task configs, versions, the model's
config) and `samples_<task>_<date>.jsonl` beside it: one line per document *per filter*, carrying the
document, the raw and filtered responses, `doc_hash` and the per-document value of each metric.

Per task we keep one filter and one metric: by default the first pair lm-eval reports (the task author's
primary: the first filter of `filter_list`, the first metric of `metric_list`), overridable per task. Items
are identified by `doc_hash`, never by `doc_id`, which is only a row position (it shifts under `--samples`
and between dataset revisions), so two releases pair on the same document wherever it sat.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.importers.common import (
    ImportResult,
    SourceFile,
    SuiteSummary,
    check_label,
    iso_time,
    make_run_id,
    redact_args,
    scrub,
    write_import,
)
from harness.interop.configs import strip_addresses, suite_config
from harness.interop.mapping import Placement, TaskMap
from harness.items import content_hash
from harness.records import ItemRecord

#: lm-eval's default generation budget for API and HF models when neither the task nor model_args sets one.
LMEVAL_DEFAULT_MAX_GEN_TOKS = 256


@dataclass
class _Task:
    """One lm-eval task found in a results file, with its chosen filter and metric."""

    name: str
    results_file: Path
    samples_file: Path
    config: dict[str, Any]
    reported: dict[str, Any]  # results[task]: "metric,filter" -> aggregate
    n_effective: int | None
    higher_is_better: dict[str, bool]
    filter: str = ""
    metric: str = ""


def _date_id(results_file: Path) -> str:
    """lm-eval's date id: what follows the last underscore of the results file's stem."""
    stem = results_file.name.removesuffix(".json")
    if "_" not in stem:
        raise UserError(f"{results_file}: not an lm-eval results file name (expected results_<date>.json)")
    return stem.rsplit("_", 1)[1]


def find_results_files(path: Path) -> list[Path]:
    """The results JSON files PATH names: the file itself, the results beside a samples file, or every
    `results_*.json` below a directory (lm-eval's --output_path)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file or directory")
    if path.is_dir():
        found = sorted(path.rglob("results_*.json"))
        if not found:
            raise UserError(f"{path}: no results_*.json below it; point at lm-eval's --output_path of a run made "
                            "with --log_samples")
        return found
    if path.name.startswith("samples_") and path.name.endswith(".jsonl"):
        date = path.name.removesuffix(".jsonl").rsplit("_", 1)[-1]
        found = sorted(path.parent.glob(f"*_{date}.json"))
        if len(found) != 1:
            raise UserError(f"{path}: found {len(found)} results files dated {date} beside it; pass the results "
                            "JSON file instead")
        return found
    if path.suffix != ".json":
        raise UserError(f"{path}: expected lm-eval's results_<date>.json, a samples_*.jsonl or their directory")
    return [path]


def _load_results(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as e:
        raise UserError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict) or not isinstance(
            data.get("configs"), dict):
        raise UserError(f"{path}: not an lm-eval results file (no 'results' and 'configs')")
    return data


def _pairs(reported: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(metric, filter) pairs lm-eval reported, in its order (which follows filter_list, then metric_list)."""
    out = []
    for key in reported:
        metric, sep, filt = key.partition(",")
        if sep and not metric.endswith("_stderr"):
            out.append((metric, filt))
    return out


def _override(overrides: Mapping[str, str], task: str, placement: Placement) -> str | None:
    for key in (task, placement.suite, "*"):
        if key in overrides:
            return overrides[key]
    return None


def _choose(task: _Task, placement: Placement, filters: Mapping[str, str], metrics: Mapping[str, str]) -> None:
    """Set the task's filter and metric: --filter/--metric, then the task map, then lm-eval's first pair."""
    pairs = _pairs(task.reported)
    if not pairs:
        raise UserError(f"{task.results_file}: task {task.name!r} has no reported metrics; was it a group-only entry?")
    filt = _override(filters, task.name, placement) or placement.rule.filter or pairs[0][1]
    names = list(dict.fromkeys(f for _, f in pairs))
    if filt not in names:
        raise UserError(f"task {task.name}: no filter {filt!r} in {task.results_file.name}; lm-eval logged "
                        f"{', '.join(names)}: pass --filter {task.name}=NAME")
    metric = _override(metrics, task.name, placement) or placement.rule.metric or next(m for m, f in pairs if f == filt)
    available = [m for m, f in pairs if f == filt]
    if metric not in available:
        raise UserError(f"task {task.name}: no metric {metric!r} under filter {filt!r}; lm-eval logged "
                        f"{', '.join(available)}: pass --metric {task.name}=NAME")
    if task.higher_is_better.get(metric) is False:
        raise UserError(f"task {task.name}: metric {metric!r} is lower-is-better; asymmetry needs a score in [0, 1] "
                        f"where higher is better: pass --metric {task.name}=NAME")
    task.filter, task.metric = filt, metric


def _score(value: Any, where: str, task: _Task) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and not math.isnan(value) and 0.0 <= value <= 1.0:
        return float(value)
    if isinstance(value, int | float):
        raise UserError(f"{where}: {task.metric} = {value!r} is not a score in [0, 1]; choose another with "
                        f"--metric {task.name}=NAME")
    raise UserError(f"{where}: {task.metric} is not a per-document score (its per-document value is "
                    f"{type(value).__name__}: a corpus-level metric such as bleu or f1); choose another with "
                    f"--metric {task.name}=NAME")


def _response(resps: Any) -> Any:
    """The model's raw output: the text for generation tasks (first request, first repeat), else as logged."""
    if isinstance(resps, list) and len(resps) == 1 and isinstance(resps[0], list) and len(resps[0]) == 1 \
            and isinstance(resps[0][0], str):
        return resps[0][0]
    return resps


def _read_samples(task: _Task) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, sample) for the chosen filter; a broken line is an error naming file and line."""
    if not task.samples_file.is_file():
        raise UserError(f"{task.samples_file}: missing; lm-eval writes per-document samples only with "
                        "--log_samples (re-run it with that flag)")
    with open(task.samples_file, "rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                sample = orjson.loads(line)
            except orjson.JSONDecodeError:
                raise UserError(f"{task.samples_file}:{number}: not valid JSON (a torn or edited line); "
                                "restore the file lm-eval wrote") from None
            if not isinstance(sample, dict) or "doc_hash" not in sample:
                raise UserError(f"{task.samples_file}:{number}: not an lm-eval sample (no doc_hash); lm-eval "
                                "0.4.x writes doc_hash with --log_samples")
            if sample.get("filter", "none") == task.filter:
                yield number, sample


def _discover(path: Path) -> tuple[list[_Task], dict[str, str], dict[str, Any], list[Path]]:
    """Tasks across the results files, their group parents, the (single) run's header, the results files."""
    files = find_results_files(path)
    loaded = [(file, _load_results(file)) for file in files]
    models: dict[str, Path] = {}
    for file, data in loaded:
        models.setdefault(_model_identity(data), file)
    if len(models) > 1:
        listed = ", ".join(f"{m} ({p})" for m, p in models.items())
        raise UserError(f"{path}: results from several models ({listed}); import one model's directory or file "
                        "at a time")
    tasks: dict[str, _Task] = {}
    parents: dict[str, str] = {}
    header: dict[str, Any] = {}
    for file, data in loaded:
        date = _date_id(file)
        for group, children in (data.get("group_subtasks") or {}).items():
            for child in children:
                parents[child] = group
        for name, config in data["configs"].items():
            if name in tasks:
                raise UserError(f"task {name} appears in both {tasks[name].results_file} and {file}; pass the one "
                                "results file to import")
            n = (data.get("n-samples") or {}).get(name) or {}
            tasks[name] = _Task(name=name, results_file=file, samples_file=file.parent / f"samples_{name}_{date}.jsonl",
                                config=config, reported=(data["results"].get(name) or {}),
                                n_effective=n.get("effective"),
                                higher_is_better=(data.get("higher_is_better") or {}).get(name) or {})
        header = header or data
    return list(tasks.values()), parents, header, files


def _model_identity(results: Mapping[str, Any]) -> str:
    """Which model a results file is from: the spec label of an `--model asymmetry` run (lm-eval names
    those folders at random), else lm-eval's model name, else its backend."""
    config = results.get("config") or {}
    spec = config.get("asymmetry_spec") or {}
    return str(spec.get("label") or results.get("model_name") or config.get("model") or "?")


def _args(value: Any) -> dict[str, Any]:
    """lm-eval's model_args / gen_kwargs, given as a dict or as `k=v,k=v`."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        from harness.models.redact import kv_pairs

        return dict(kv_pairs(value))
    return {}


def _model_entry(label: str, header: Mapping[str, Any]) -> dict[str, Any]:
    config = header.get("config") or {}
    spec = config.get("asymmetry_spec")
    if spec:  # run through our lm-eval model class: the adapter's spec, without secrets
        return {"label": label, "provider": f"lm-eval/asymmetry:{spec.get('provider')}", "model": spec.get("model"),
                "served_models": [spec.get("model")], "asymmetry_spec": scrub(spec)}
    backend = header.get("model_source") or config.get("model") or "?"
    return {"label": label, "provider": f"lm-eval/{backend}", "model": header.get("model_name"),
            "served_models": [header.get("model_name")] if header.get("model_name") else [],
            "model_args": redact_args(config.get("model_args"))}


def _config(config: Any) -> Any:
    """lm-eval's config as recorded: secrets scrubbed, model_args hashed unless known to be harmless."""
    if not isinstance(config, Mapping):
        return scrub(config)
    return {**scrub(config), **({"model_args": redact_args(config["model_args"])} if "model_args" in config else {})}


def _decoding(header: Mapping[str, Any]) -> dict[str, Any]:
    """The settings lm-eval applied to every task: --gen_kwargs, and the model's own generation budget."""
    config = header.get("config") or {}
    model_args = _args(config.get("model_args"))
    return {"tool": "lm-eval", "gen_kwargs": _args(config.get("gen_kwargs")) or None,
            "max_gen_toks": config.get("asymmetry_max_gen_toks") or model_args.get("max_gen_toks"),
            "apply_chat_template": header.get("chat_template_sha") is not None or None,
            "system_instruction_sha": header.get("system_instruction_sha")}


def _ended(header: Mapping[str, Any]) -> str | None:
    """lm-eval's start time plus its recorded evaluation time."""
    try:
        return iso_time(float(header["date"]) + float(header["total_evaluation_time_seconds"]))
    except (KeyError, TypeError, ValueError):
        return None


def _warnings(tasks: list[_Task], header: Mapping[str, Any]) -> list[str]:
    out = []
    model_args = _args((header.get("config") or {}).get("model_args"))
    gen = _args((header.get("config") or {}).get("gen_kwargs"))
    own_budget = (header.get("config") or {}).get("asymmetry_max_gen_toks")  # our class: never lm-eval's 256
    capped = [t.name for t in tasks if not own_budget and t.config.get("output_type") == "generate_until"
              and not ({"max_gen_toks", "max_tokens"} & set(t.config.get("generation_kwargs") or {}))
              and not ({"max_gen_toks", "max_tokens"} & (set(model_args) | set(gen)))]
    if capped:
        out.append(f"{', '.join(capped)}: generated under lm-eval's default {LMEVAL_DEFAULT_MAX_GEN_TOKS}-token "
                   "limit; long reasoning may be cut off (re-run with --gen_kwargs max_gen_toks=2048)")
    repeated = [t.name for t in tasks if int(t.config.get("repeats") or 1) > 1]
    if repeated:
        out.append(f"{', '.join(repeated)}: repeats > 1 are folded into one score per document by lm-eval "
                   "(and sent with identical seeds); they are imported as one sample each")
    return out


def import_lmeval(path: Path, label: str, *, out: Path = Path("results"), task_map: TaskMap | None = None,
                  filters: Mapping[str, str] | None = None, metrics: Mapping[str, str] | None = None,
                  run_id: str | None = None) -> ImportResult:
    """Import lm-eval `--log_samples` output at PATH as model LABEL into `out/<run_id>/`.

    `filters` / `metrics` map a task (or suite, or "*") to the filter / metric to keep."""
    check_label(label)
    task_map = task_map or TaskMap()
    filters, metrics = dict(filters or {}), dict(metrics or {})
    tasks, parents, header, files = _discover(path)
    placements = task_map.place([t.name for t in tasks], parents)
    tasks = [t for t in tasks if t.name in placements]
    if not tasks:
        raise UserError(f"{path}: every task was skipped by the task map; nothing to import")
    for task in tasks:
        _choose(task, placements[task.name], filters, metrics)
    unused = (set(filters) | set(metrics)) - {"*"} - {t.name for t in tasks} - {p.suite for p in placements.values()}
    if unused:
        raise UserError(f"--filter/--metric name(s) {', '.join(sorted(unused))} match no imported task or suite; "
                        f"tasks are {', '.join(t.name for t in tasks)}")

    sources, extra_sources = _sources(tasks, files, header)
    suites = _summaries(tasks, placements)
    choices = {t.name: [placements[t.name].suite, t.filter, t.metric, placements[t.name].capability] for t in tasks}
    run_id = run_id or make_run_id(label, "lm-eval", sources, choices)
    started = iso_time(header.get("date"))
    warnings = _warnings(tasks, header)
    manifest = _manifest(label, header, tasks, placements, sources + extra_sources, started)
    # read fully first: the manifest states per-suite counts, and is written once
    rows = list(_records(tasks, placements, suites, run_id, label, started, warnings))
    for s in suites.values():
        n = s.extra.pop("reported_n", 0)
        total = s.extra.pop("reported_sum", 0.0)
        s.reported = total / n if n and n == s.n_records else None  # the source's own accuracy, item-weighted
    manifest["suites"] = [s.to_dict() for s in suites.values()]
    manifest["warnings"] = warnings
    run_dir = write_import(out, run_id, manifest, rows)
    return ImportResult(run_dir, list(suites.values()), warnings)


def _sources(tasks: list[_Task], files: list[Path],
             header: Mapping[str, Any]) -> tuple[list[SourceFile], list[SourceFile]]:
    """The files read (results and each task's samples, which must exist), and, apart, the request journal
    of an `--model asymmetry` run (every raw response, served model id and latency) when it is there."""
    sources = [SourceFile(f, "results") for f in files]
    for task in tasks:
        if not task.samples_file.is_file():
            raise UserError(f"{task.samples_file}: missing; lm-eval writes per-document samples only with "
                            "--log_samples (re-run it with that flag)")
        sources.append(SourceFile(task.samples_file, "samples", task.name))
    config = header.get("config") or {}
    journal = Path(config["asymmetry_journal"]) if config.get("asymmetry_journal") else None
    extra_sources = [SourceFile(journal, "journal")] if journal is not None and journal.is_file() else []
    return sources, extra_sources


def _summaries(tasks: list[_Task], placements: Mapping[str, Placement]) -> dict[str, SuiteSummary]:
    """One summary per suite the tasks are placed in; its version hashes each member task's config and
    the filter and metric chosen for it."""
    suites: dict[str, SuiteSummary] = {}
    for task in tasks:
        p = placements[task.name]
        s = suites.get(p.suite)
        if s is None:
            s = suites[p.suite] = SuiteSummary(p.suite, "", p.category, p.capability, p.label, [], "")
        s.tasks.append(task.name)
    for s in suites.values():
        members = [t for t in tasks if t.name in s.tasks]
        s.version = content_hash({t.name: {"config": suite_config(t.config), "filter": t.filter,
                                           "metric": t.metric} for t in members})
        pairs = sorted({f"{t.filter} / {t.metric}" for t in members})
        s.selection = pairs[0] if len(pairs) == 1 else "mixed: " + "; ".join(pairs)
    return suites


def _records(tasks: list[_Task], placements: Mapping[str, Placement], suites: dict[str, SuiteSummary],
             run_id: str, label: str, started: str | None, warnings: list[str]) -> Iterator[ItemRecord]:
    """Every task's documents as item records, counted into their suite's summary; a mismatch with the
    results file's own counts fails, a mismatch with its reported score is a warning."""
    seen: dict[str, dict[str, str]] = {}  # suite -> item_id -> task
    for task in tasks:
        p = placements[task.name]
        s = suites[p.suite]
        ids = seen.setdefault(p.suite, {})
        count = 0
        dup = 0
        task_sum_before = s.score_sum
        for number, sample in _read_samples(task):
            where = f"{task.samples_file}:{number}"
            if task.metric not in sample:
                raise UserError(f"{where}: no value for metric {task.metric!r}")
            score = _score(sample[task.metric], where, task)
            item_id = str(sample["doc_hash"])
            if item_id in ids and ids[item_id] == task.name:
                dup += 1  # the same document twice in one task: keep both, numbered
                k = 2
                while f"{item_id}#{k}" in ids:
                    k += 1
                item_id = f"{item_id}#{k}"
            elif item_id in ids:
                raise UserError(f"{where}: document {item_id[:12]}… is in both {ids[item_id]} and {task.name}, "
                                f"which share suite {p.suite!r}; map them to separate suites")
            ids[item_id] = task.name
            count += 1
            s.n_items += 1
            s.add(score, None)
            yield _record(sample, number, task, p, s, run_id, label, score, item_id, started)
        if task.n_effective is not None and count != task.n_effective:
            raise UserError(f"{task.samples_file}: {count} documents under filter {task.filter!r} but "
                            f"{task.results_file.name} says {task.n_effective}; the samples file is incomplete")
        reported = task.reported.get(f"{task.metric},{task.filter}")
        if isinstance(reported, int | float) and count:
            s.extra["reported_sum"] = s.extra.get("reported_sum", 0.0) + reported * count
            s.extra["reported_n"] = s.extra.get("reported_n", 0) + count
            mean = (s.score_sum - task_sum_before) / count
            if abs(mean - reported) > 1e-6:
                warnings.append(f"{task.name}: per-document {task.metric} averages {mean:.6f} but lm-eval "
                                f"reported {reported:.6f}; check the files are from the same run")
        if dup:
            warnings.append(f"{task.name}: {dup} duplicate document(s) (same doc_hash) kept as numbered items")


def _record(sample: Mapping[str, Any], number: int, task: _Task, p: Placement, s: SuiteSummary, run_id: str,
            label: str, score: float, item_id: str, started: str | None) -> ItemRecord:
    """One lm-eval document as an item record (the contract's fields, then lm-eval's own)."""
    filtered = sample.get("filtered_resps")
    return {
        "run_id": run_id, "model": label, "suite": p.suite, "suite_version": s.version,
        "category": p.category, "capability": p.capability, "item_id": item_id,
        "item_hash": content_hash([sample["doc_hash"], sample.get("target_hash")], 64),
        "sample": 0, "score": score, "correct": score >= 1.0, "error": None,
        "response": _response(sample.get("resps")),
        "extracted": filtered[0] if isinstance(filtered, list) and len(filtered) == 1 else filtered,
        "latency_s": None, "usage": None, "started_at": started,
        "cluster": p.cluster, "task": task.name, "doc_id": sample.get("doc_id"),
        "target": sample.get("target"), "filter": task.filter, "metric": task.metric,
        "doc_hash": sample["doc_hash"], "prompt_hash": sample.get("prompt_hash"),
        "target_hash": sample.get("target_hash"), "source": f"{task.samples_file.name}:{number}",
    }


def _manifest(label: str, header: Mapping[str, Any], tasks: list[_Task], placements: Mapping[str, Placement],
              files: list[SourceFile], started: str | None) -> dict[str, Any]:
    """The import's manifest before its suites and warnings (known only once every record is read)."""
    return {
        "kind": "import",
        "models": [_model_entry(label, header)],
        "source": {
            "format": "lm-eval",
            "lm_eval_version": header.get("lm_eval_version"),
            "git_hash": header.get("git_hash"),
            "files": [s.to_dict() for s in files],
            "config": _config(header.get("config")),
            "model_source": header.get("model_source"),
            "model_name": header.get("model_name"),
            "system_instruction_sha": header.get("system_instruction_sha"),
            "chat_template_sha": header.get("chat_template_sha"),
            "fewshot_as_multiturn": header.get("fewshot_as_multiturn"),
            "task_versions": {t.name: (header.get("versions") or {}).get(t.name) for t in tasks},
            "n_shot": {t.name: (header.get("n-shot") or {}).get(t.name) for t in tasks},
            "task_map": sorted({placements[t.name].rule.source for t in tasks}),
            "choices": {t.name: {"suite": placements[t.name].suite, "filter": t.filter, "metric": t.metric,
                                 "cluster": placements[t.name].cluster} for t in tasks},
            "generation_kwargs": {t.name: strip_addresses(t.config.get("generation_kwargs")) for t in tasks},
        },
        # run-wide settings only: each task's own generation kwargs are part of its suite's version
        "decoding": _decoding(header),
        "samples": 1,
        "status": "complete",
        "created_at": started,
        "started_at": started,
        "ended_at": _ended(header) or started,
    }
