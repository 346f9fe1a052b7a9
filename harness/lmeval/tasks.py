"""lm-eval tasks as suites: `asymmetry run --suites lm-eval:TASK[:CAPABILITY]`.

lm-eval builds the prompts exactly as it would itself (its fewshot and chat-message logic, the task's own
templates), and scores with the task's own filter and metric (the first of each, as the importer picks).
The model is asked through the harness runner (our adapters, journal, resume), so a suite made from an lm-eval
task behaves like any other: items keyed by lm-eval's `doc_hash`, a version that hashes the task config, the
filter, the metric and the documents, and errors kept apart from wrong answers.

Tasks come from lm-eval's catalogue or from folders of task YAML named in $ASYMMETRY_LMEVAL_INCLUDE
(searched first, alone: indexing lm-eval's whole catalogue takes seconds). With `--data-dir DIR`, a local copy
`DIR/<task>/<split>.jsonl` or `DIR/<dataset name>/<split>.jsonl` (e.g. DIR/gsm8k/test.jsonl for openai/gsm8k)
replaces the hub download. Tasks that execute model-written code (`unsafe_code`) are refused: lm-eval would
run that code outside any sandbox; use the harness's own sandboxed coding suites instead.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.interop.configs import suite_config
from harness.interop.mapping import TaskMap
from harness.items import Item, Outcome, Suite, content_hash
from harness.models.base import ChatRequest, Generate
from harness.records import CAPABILITIES, category_of

INCLUDE_ENV = "ASYMMETRY_LMEVAL_INCLUDE"
_SPLIT_SUFFIXES = (".jsonl", ".json", ".jsonl.gz")


@dataclass(frozen=True)
class _Doc:
    """What scoring one item needs: lm-eval's task, the document and the request lm-eval built for it."""

    task: Any
    doc: Mapping[str, Any]
    doc_id: int
    arguments: tuple[Any, ...]
    until: tuple[str, ...]


def _task_manager(name: str) -> Any:
    """An lm-eval TaskManager that knows `name`: the include folders alone when they define it."""
    from lm_eval.tasks import TaskManager

    include = [p for p in os.environ.get(INCLUDE_ENV, "").split(os.pathsep) if p]
    for path in include:
        if not Path(path).is_dir():
            raise UserError(f"${INCLUDE_ENV}: {path} is not a folder of lm-eval task YAML files")
    if include:
        manager = TaskManager(include_path=include, include_defaults=False)
        if name in manager.all_tasks:
            return manager
    return TaskManager(include_path=include or None)


def _local_copy(config: Mapping[str, Any], data_dir: Path | None) -> dict[str, Any] | None:
    """Overrides that point a task at local split files under `data_dir`, or None when there are none."""
    if data_dir is None:
        return None
    names = [str(config.get("task"))]
    if config.get("dataset_path"):
        names.append(str(config["dataset_path"]).rstrip("/").rsplit("/", 1)[-1])
    for name in names:
        for folder in (data_dir / name, data_dir / name.lower()):
            files = {}
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    for suffix in _SPLIT_SUFFIXES:
                        if path.name.endswith(suffix):
                            files[path.name[: -len(suffix)]] = str(path.resolve())
            if files:
                return {"dataset_path": "json", "dataset_name": None, "dataset_kwargs": {"data_files": files}}
    return None


def _build(manager: Any, name: str, data_dir: Path | None) -> dict[str, Any]:
    """{leaf task name: lm-eval Task} for a task or group, built from local copies where there are some."""
    from harness.suites.sources import SourceUnavailable

    index = manager.task_index
    if name not in index:
        close = difflib.get_close_matches(name, manager.all_tasks, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UserError(f"lm-eval:{name}: no such lm-eval task or group{hint}; `asymmetry lm-eval ls tasks` lists "
                        f"them, and ${INCLUDE_ENV} adds folders of your own task YAML")
    leaves = [n for n in _leaves(manager, name)]
    tasks: dict[str, Any] = {}
    for leaf in leaves:
        entry = index[leaf]
        raw = dict(entry.cfg or {})
        overrides = _local_copy({"task": leaf, **raw}, data_dir)
        try:
            tasks[leaf] = manager._factory.build(entry, overrides=overrides, registry=index)  # lm-eval 0.4.13
        except Exception as e:  # datasets raises many kinds (connection, offline mode, missing split)
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
            where = f"local copy {overrides['dataset_kwargs']['data_files']}" if overrides else \
                f"dataset {raw.get('dataset_path')!r}"
            raise SourceUnavailable(f"lm-eval task {leaf}: {where} could not be loaded ({type(e).__name__}: {first}); "
                                    f"pass --data-dir DIR holding DIR/{leaf}/test.jsonl (one file per split)") from None
    return tasks


def _leaves(manager: Any, name: str) -> list[str]:
    """The leaf tasks under a name (a task is its own leaf; groups and tags expand)."""
    from lm_eval.tasks._index import Kind

    entry = manager.task_index[name]
    if entry.kind in (Kind.TASK, Kind.PY_TASK):
        return [name]
    loaded = manager.load([name])
    return sorted(loaded["tasks"])


def _json_chat(history: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
    return json.dumps(history, ensure_ascii=False)


def _doc_hash(doc: Mapping[str, Any]) -> str:
    """lm-eval's own doc_hash, so these items pair with imported lm-eval logs of the same documents."""
    from lm_eval.utils import handle_non_serializable, hash_string

    return hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))


def _plain(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def load_lmeval_suite(task: str, data_dir: Path | None = None) -> Suite:
    """The suite for `TASK` or `TASK:CAPABILITY` (the capability names what an unmapped task measures)."""
    from lm_eval import __version__ as lm_eval_version

    from harness.lmeval.model import cut_at_stops, to_messages

    name, _, capability = task.partition(":")
    if capability and capability not in CAPABILITIES:
        raise UserError(f"lm-eval:{task}: capability {capability!r} is not one of {', '.join(CAPABILITIES)}")
    manager = _task_manager(name)
    tasks = _build(manager, name, Path(data_dir) if data_dir is not None else None)
    if capability:
        category, label = category_of(capability), capability
    else:
        rule = TaskMap().rule(name)
        if rule is None:
            raise UserError(f"lm-eval:{name}: no default capability for this task; name it, e.g. "
                            f"--suites lm-eval:{name}:factual (coding|agentic|math|factual)")
        capability, category, label = rule.capability, category_of(rule.capability), rule.label

    docs: dict[str, _Doc] = {}
    items: list[Item] = []
    configs: dict[str, Any] = {}
    choice: dict[str, list[str]] = {}
    for leaf, t in sorted(tasks.items()):
        config = t.dump_config()
        if config.get("unsafe_code"):
            raise UserError(f"lm-eval:{name}: task {leaf} executes model-written code with no sandbox; use the "
                            "harness's sandboxed coding suites (asymmetry suites list) instead")
        if config.get("output_type") != "generate_until":
            raise UserError(f"lm-eval:{name}: task {leaf} is {config.get('output_type')} (log-likelihood scoring); "
                            "chat endpoints give no prompt log-probabilities, so only generate-until tasks run here")
        filt = t._filters[0]
        metric = next(iter(t._metric_fn_list))
        configs[leaf] = suite_config(config)
        choice[leaf] = [filt.name, metric]
        t.build_all_requests(apply_chat_template=True, fewshot_as_multiturn=True, chat_template=_json_chat,
                             tokenizer_name="asymmetry-json-messages")
        for inst in t.instances:
            context, gen_kwargs = inst.args[0], dict(inst.args[1] if len(inst.args) > 1 else {})
            until = gen_kwargs.get("until") or ()
            until = (until,) if isinstance(until, str) else tuple(until)
            item_id = _doc_hash(inst.doc)
            k = 2
            while item_id in docs:
                item_id = f"{_doc_hash(inst.doc)}#{k}"
                k += 1
            docs[item_id] = _Doc(t, inst.doc, inst.doc_id, inst.args, until)
            items.append(Item(id=item_id, input={"messages": to_messages(context)}, target=_plain(t.doc_to_target(inst.doc)),
                              cluster=leaf if len(tasks) > 1 else None, meta={"task": leaf, "doc_id": inst.doc_id}))
    if not items:
        raise UserError(f"lm-eval:{name}: the task has no test documents")
    digest = content_hash({"tasks": configs, "choice": choice, "items": [it.hash for it in items],
                           "prompting": "chat messages, fewshot as multiturn"}, 64)

    async def solve(item: Item, generate: Generate) -> Outcome:
        d = docs[item.id]
        response = await generate(ChatRequest(messages=item.input["messages"]))
        text = cut_at_stops(response.text, d.until)
        score, extracted = await asyncio.to_thread(_score, d, text, name)
        return Outcome(score=score, correct=score >= 1.0, response=response.text, extracted=extracted)

    local = any(_local_copy({"task": leaf, **dict(manager.task_index[leaf].cfg or {})},
                            Path(data_dir) if data_dir else None) for leaf in tasks)
    selection = sorted({f"{f} / {m}" for f, m in choice.values()})
    return Suite(
        name=f"lm-eval:{name}", version=digest[:16], category=category, capability=capability, items=tuple(items),
        solve=solve,
        description=f"lm-eval {lm_eval_version} task {name} ({label}; {len(items)} documents), scored with its own "
                    f"filter and metric: {'; '.join(selection)}",
        source=f"lm-eval {lm_eval_version}: {name}", offline=local, content_hash=digest,
        provenance={"lm_eval_version": lm_eval_version, "tasks": sorted(tasks), "filter_metric": choice,
                    "task_versions": {leaf: (configs[leaf].get("version")) for leaf in configs},
                    "local_copy": local},
    )


#: The lm-eval suite source for harness.suites.build.load_suites (`lm-eval:TASK[:CAPABILITY]` names).
SUITE_SOURCES = {"lm-eval": load_lmeval_suite}


def _score(d: _Doc, text: str, name: str) -> tuple[float, Any]:
    """Apply the task's first filter and metric to one response (lm-eval's own code, one instance)."""
    from lm_eval.api.instance import Instance

    inst = Instance(request_type="generate_until", doc=dict(d.doc), arguments=d.arguments, idx=0,
                    metadata=(d.task.config.task, d.doc_id, 1))
    inst.resps = [text]
    ensemble = d.task._filters[0]
    ensemble.apply([inst])
    filtered = inst.filtered_resps[ensemble.name]
    metric = next(iter(d.task._metric_fn_list))
    value = d.task.process_results(d.doc, [filtered])[metric]
    if isinstance(value, bool):
        value = float(value)
    if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"lm-eval:{name}: metric {metric} gave {value!r}, not a score in [0, 1]")
    return float(value), _plain(filtered)
