"""Which suite, category and capability an imported lm-eval or Inspect task belongs to.

Built-in defaults cover the task families the fixed suite set is about (coding: humaneval, mbpp; math:
gsm8k, minerva_math, hendrycks_math; factual: triviaqa, nq_open, mmlu). A family matches its own name
and its variants (`gsm8k_cot`, `mmlu_anatomy`, `inspect_evals/humaneval`). Everything else needs a task
map, a small TOML file:

    [tasks.arc_challenge]            # a task name, or a glob such as "arc_*"
    capability = "factual"           # coding | agentic | math | factual (the category follows)
    label = "science QA"             # optional: how reports describe it
    suite = "arc"                    # optional: the suite name (default: the task, or its mapped group)
    filter = "none"                  # optional, lm-eval: the primary filter
    metric = "acc"                   # optional: lm-eval metric, or Inspect scorer
    skip = true                      # optional: leave this task out of the import
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.records import CAPABILITIES, category_of

#: family -> (capability, label). A family matches `name` and `name_*` (after any `namespace/`).
DEFAULT_FAMILIES: Mapping[str, tuple[str, str]] = {
    "humaneval": ("coding", "coding"),
    "mbpp": ("coding", "coding"),
    "gsm8k": ("math", "math"),
    "minerva_math": ("math", "math"),
    "hendrycks_math": ("math", "math"),
    "triviaqa": ("factual", "factual recall"),
    "nq_open": ("factual", "factual recall"),
    "mmlu": ("factual", "knowledge"),
}

_KEYS = {"capability", "category", "label", "suite", "filter", "metric", "skip"}


@dataclass(frozen=True)
class TaskRule:
    """One entry of a task map (or a built-in default)."""

    pattern: str
    capability: str = ""
    label: str = ""
    suite: str | None = None
    filter: str | None = None
    metric: str | None = None
    skip: bool = False
    source: str = "default"  # "default" or the map file it came from


@dataclass(frozen=True)
class Placement:
    """Where one task lands: its suite, the suite's category and capability, and the rule that said so."""

    task: str
    suite: str
    category: str
    capability: str
    label: str
    rule: TaskRule
    cluster: str | None = None  # set when several tasks share one suite (e.g. MMLU subjects)


def base_name(task: str) -> str:
    """`inspect_evals/gsm8k` -> `gsm8k`: the task's own name without a registry namespace."""
    return task.rsplit("/", 1)[-1]


def _default_rule(name: str) -> TaskRule | None:
    name = base_name(name)
    for family, (capability, label) in DEFAULT_FAMILIES.items():
        if name == family or name.startswith(family + "_"):
            return TaskRule(pattern=family, capability=capability, label=label)
    return None


class TaskMap:
    """Rules from a map file (first match wins, exact names before globs), then the built-in defaults."""

    def __init__(self, rules: Sequence[TaskRule] = ()) -> None:
        exact = [r for r in rules if not any(c in r.pattern for c in "*?[")]
        globs = [r for r in rules if r not in exact]
        self.rules = exact + globs

    def rule(self, name: str) -> TaskRule | None:
        """The rule for a task or group name, or None when neither the map nor the defaults know it."""
        for candidate in (name, base_name(name)):
            for r in self.rules:
                if fnmatch.fnmatchcase(candidate, r.pattern):
                    return r
        return _default_rule(name)

    def place(self, tasks: Iterable[str], parents: Mapping[str, str] | None = None) -> dict[str, Placement]:
        """Place every task. `parents` maps a task or group to its group (from lm-eval's `group_subtasks`);
        tasks inside a mapped group join the group's suite with the task as its cluster. Unmapped tasks
        give one error naming them all and how to map them; tasks whose rule says `skip` are left out."""
        parents = dict(parents or {})
        placed: dict[str, Placement] = {}
        unmapped: list[str] = []
        for task in tasks:
            chain = [task]  # the task, its group, the group's group...
            while chain[-1] in parents and parents[chain[-1]] not in chain:
                chain.append(parents[chain[-1]])
            found = [(name, r) for name in chain if (r := self.rule(name)) is not None]
            # a map entry for the task or its nearest group is the most specific intent; failing that,
            # the outermost group a default knows decides the suite (mmlu, not mmlu_stem)
            explicit = [(name, r) for name, r in found if r.source != "default"]
            owner, rule = (explicit[0] if explicit else found[-1]) if found else (task, None)
            if rule is None:
                unmapped.append(task)
                continue
            if rule.skip:
                continue
            suite = rule.suite or base_name(owner)
            placed[task] = Placement(task, suite, category_of(rule.capability), rule.capability,
                                     rule.label or rule.capability, rule)
        if unmapped:
            names = ", ".join(sorted(unmapped))
            raise UserError(
                f"no suite mapping for task(s) {names}: pass --map tasks.toml with a [tasks.\"NAME\"] entry "
                "(capability = \"coding|agentic|math|factual\", or skip = true) for each"
            )
        by_suite: dict[str, list[str]] = {}
        for task, p in placed.items():
            by_suite.setdefault(p.suite, []).append(task)
        for suite, members in by_suite.items():
            caps = {placed[t].capability for t in members}
            if len(caps) > 1:
                raise UserError(f"suite {suite!r} gets tasks of different capabilities ({', '.join(sorted(caps))}); "
                                "map them to separate suites")
            if len(members) > 1 or members[0] != suite:
                for t in members:
                    p = placed[t]
                    placed[t] = Placement(p.task, p.suite, p.category, p.capability, p.label, p.rule,
                                          cluster=base_name(t))
        return placed


def load_task_map(path: Path | None) -> TaskMap:
    """Read a task map (TOML); None gives the defaults only. Errors name the file and the entry."""
    if path is None:
        return TaskMap()
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such task map file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML ({e})") from None
    extra = set(data) - {"tasks"}
    if extra or not isinstance(data.get("tasks"), dict):
        raise UserError(f"{path}: expected only [tasks.NAME] tables (found {', '.join(sorted(extra)) or 'none'})")
    rules = []
    for pattern, entry in data["tasks"].items():
        where = f"{path}: [tasks.{pattern!r}]"
        if not isinstance(entry, dict):
            raise UserError(f"{where}: expected a table of keys")
        unknown = set(entry) - _KEYS
        if unknown:
            raise UserError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(_KEYS))}")
        for key in ("capability", "category", "label", "suite", "filter", "metric"):
            if key in entry and not isinstance(entry[key], str):
                raise UserError(f"{where}: {key} must be a string")
        skip = entry.get("skip", False)
        if not isinstance(skip, bool):
            raise UserError(f"{where}: skip must be true or false")
        capability = entry.get("capability", "")
        if not skip:
            if capability not in CAPABILITIES:
                raise UserError(f"{where}: capability {capability!r} is not one of {', '.join(CAPABILITIES)}")
            if "category" in entry and entry["category"] != category_of(capability):
                raise UserError(f"{where}: category {entry['category']!r} contradicts capability {capability!r} "
                                f"(which is {category_of(capability)}); drop the category key")
        rules.append(TaskRule(pattern=pattern, capability=capability, label=entry.get("label", ""),
                              suite=entry.get("suite"), filter=entry.get("filter"), metric=entry.get("metric"),
                              skip=skip, source=str(path)))
    return TaskMap(rules)
