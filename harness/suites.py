"""Suites: a fixed, versioned set of items, a way to ask the model about each, and a way to score it.

Inspect AI's split, kept small: an `Item` is data, a `Suite` pairs items with a `solve` coroutine that
asks the model (through the `generate` function the runner hands it) and scores the answer into an
`Outcome`. The runner never knows how a suite prompts or scores; a suite never knows about HTTP,
retries or journals.

Suites are declared by spec files (suites/*.toml, format in suites/README.md): `list_specs()` reads them,
`load_suites(["default"], data_dir)` loads the fixed set (items from harness.loaders, solver from
harness.solvers, scorer from harness.scorers) and versions each suite by a hash of its content.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tomllib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from harness.errors import UserError
from harness.models.base import Generate
from harness.records import CAPABILITIES, category_of


def canonical_json(value: Any) -> bytes:
    """Stable bytes for hashing: sorted keys, no whitespace, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def item_hash(input: Any, target: Any) -> str:
    """sha256 of an item's content; two releases pair on an item only when its hash is the same."""
    return hashlib.sha256(canonical_json({"input": input, "target": target})).hexdigest()


@dataclass(frozen=True, slots=True)
class Item:
    """One question. `input` is what the suite's prompt template renders; `target` what it scores against."""

    id: str
    input: Any
    target: Any = None
    cluster: str | None = None  # item-cluster (repo, passage, task family) for clustered inference
    release_date: str | None = None  # ISO date the item was published, for the fresh-items split
    meta: Mapping[str, Any] = field(default_factory=dict)
    hash: str = ""

    def __post_init__(self) -> None:
        if not self.hash:
            object.__setattr__(self, "hash", item_hash(self.input, self.target))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A scored answer. `error` (an `ERROR_KINDS` name) is kept apart from a wrong answer."""

    score: float
    correct: bool
    error: str | None = None
    response: str = ""
    extracted: Any = None


Solver = Callable[[Item, Generate], Awaitable[Outcome]]


@dataclass(frozen=True)
class Suite:
    """A loaded suite. `version` is the content hash over items + prompt + scorer settings."""

    name: str
    version: str
    category: str  # targeted | untargeted
    capability: str  # coding | agentic | math | factual
    items: Sequence[Item]
    solve: Solver
    description: str = ""
    source: str = ""
    offline: bool = True
    content_hash: str = ""  # the full sha256 behind `version`
    provenance: Mapping[str, Any] = field(default_factory=dict)  # where the items came from (files, sha256)


# --------------------------------------------------------------------------------------------------
# Suite specs (suites/*.toml) and loading. Format: suites/README.md.
# --------------------------------------------------------------------------------------------------

#: Where the fixed suite specs live (override with ASYMMETRY_SUITES_DIR).
SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"
SOURCE_KINDS = ("datasets", "url", "file", "builtin")
_SPEC_KEYS = frozenset(
    {"name", "category", "capability", "description", "default", "cluster_field", "release_date_field",
     "n_items", "source", "prompt", "scorer", "solver"}
)  # fmt: skip
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class SuiteSpec:
    """One parsed suite spec file. `raw` is the whole TOML document (handed to solver factories)."""

    name: str
    category: str
    capability: str
    description: str
    default: bool
    source: Mapping[str, Any]
    prompt: Mapping[str, Any]
    scorer: Mapping[str, Any]
    solver: Mapping[str, Any]
    cluster_field: str = ""
    release_date_field: str = ""
    n_items: int | None = None
    path: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.source["kind"])

    @property
    def builtin(self) -> bool:
        return self.kind == "builtin"

    def local_files(self) -> list[str]:
        """The offline copies this suite reads, relative to --data-dir (questions, then answers)."""
        return [*_as_list(self.source.get("local")), *_as_list(self.source.get("answers"))]

    def offline(self, data_dir: Path | None) -> bool:
        """True when the suite loads without the network: built-in, or every local copy is present."""
        if self.builtin:
            return True
        files = self.local_files()
        return bool(data_dir and files) and all((Path(data_dir) / f).is_file() for f in files)

    def expected_items(self) -> int | None:
        """The item count known without loading: `n` for built-in suites, `n_items` otherwise."""
        if self.builtin:
            return int(self.source["n"])
        return self.n_items

    def source_label(self) -> str:
        """A short human description of where the items come from."""
        s = self.source
        if self.builtin:
            return f"builtin:{s['generator']} seed={s['seed']}"
        if self.kind == "datasets":
            revision = str(s.get("revision", ""))[:7]
            config = f"/{s['config']}" if s.get("config") else ""
            return f"{s['dataset']}{config}:{s['split']}@{revision}"
        if self.kind == "url":
            return _url_label(_as_list(s["url"])[0])
        return f"file:{', '.join(_as_list(s['local']))}"


def parse_spec(path: Path) -> SuiteSpec:
    """Read and check one spec file; any problem is one `UserError` naming the file and the field."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: suite spec not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: not valid TOML ({e}); fix the file (format: suites/README.md)") from None

    def bad(field_name: str, problem: str) -> UserError:
        return UserError(f"{path}: field '{field_name}' {problem} (format: suites/README.md)")

    unknown = sorted(set(raw) - _SPEC_KEYS)
    if unknown:
        raise bad(unknown[0], f"is not a spec field; known fields: {', '.join(sorted(_SPEC_KEYS))}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise bad("name", "must be a lower-case name like 'gsm8k'")
    if path.suffix == ".toml" and path.stem != name:
        raise bad("name", f"is {name!r} but the file is {path.name}; they must match")
    capability = raw.get("capability")
    if capability not in CAPABILITIES:
        raise bad("capability", f"must be one of {', '.join(CAPABILITIES)}, not {capability!r}")
    category = raw.get("category")
    if category != category_of(capability):
        raise bad("category", f"must be {category_of(capability)!r} for capability {capability!r}, not {category!r}")
    for key in ("description", "cluster_field", "release_date_field"):
        if not isinstance(raw.get(key, ""), str):
            raise bad(key, "must be a string")
    if not isinstance(raw.get("default", False), bool):
        raise bad("default", "must be true or false")
    n_items = raw.get("n_items")
    if n_items is not None and (not isinstance(n_items, int) or isinstance(n_items, bool) or n_items <= 0):
        raise bad("n_items", "must be a positive integer (the expected item count)")

    source = raw.get("source")
    if not isinstance(source, dict):
        raise bad("source", "must be a table ([source])")
    kind = source.get("kind")
    if kind not in SOURCE_KINDS:
        raise bad("source.kind", f"must be one of {', '.join(SOURCE_KINDS)}, not {kind!r}")
    required = {
        "builtin": ("generator", "seed", "n"),
        "datasets": ("dataset", "split", "revision", "loader"),
        "url": ("url", "loader"),
        "file": ("local", "loader"),
    }[kind]
    for key in required:
        if key not in source:
            raise bad(f"source.{key}", f"is required for source.kind = {kind!r}")
    if kind == "builtin":
        for key in ("seed", "n"):
            if not isinstance(source[key], int) or isinstance(source[key], bool) or source[key] < 0:
                raise bad(f"source.{key}", "must be a non-negative integer")
    else:
        from harness.loaders import ROW_LOADERS

        if source["loader"] not in ROW_LOADERS:
            raise bad("source.loader", f"{source['loader']!r} is not a loader; known: {', '.join(sorted(ROW_LOADERS))}")
        for key in ("local", "url", "sha256", "answers"):
            value = source.get(key)
            if value is not None and not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
                raise bad(f"source.{key}", "must be a string or a list of strings")
        if kind == "url" and source.get("local") is not None and len(_as_list(source["local"])) != len(_as_list(source["url"])):
            raise bad("source.local", "must list one local copy per url")
        for key in ("window_start", "window_end"):
            if key in source and not (isinstance(source[key], str) and _DATE.match(source[key])):
                raise bad(f"source.{key}", "must be an ISO date like '2024-10-01'")
        subsample = source.get("subsample")
        if subsample is not None and (not isinstance(subsample, int) or subsample <= 0):
            raise bad("source.subsample", "must be a positive integer")

    prompt = raw.get("prompt", {})
    if not isinstance(prompt, dict) or not all(isinstance(prompt.get(k, ""), str) for k in ("system", "template")):
        raise bad("prompt", "must be a table with string 'system' and 'template'")
    if set(prompt) - {"system", "template"}:
        raise bad(f"prompt.{sorted(set(prompt) - {'system', 'template'})[0]}", "is not a prompt field (system, template)")
    scorer = raw.get("scorer", {})
    solver = raw.get("solver", {"kind": "single_turn"})
    if not isinstance(solver, dict):
        raise bad("solver", "must be a table ([solver])")
    solver = {"kind": "single_turn", **solver}
    from harness.solvers import SOLVERS

    if solver["kind"] not in SOLVERS:
        raise bad("solver.kind", f"{solver['kind']!r} is not a solver; known: {', '.join(sorted(SOLVERS))}")
    if solver["kind"] == "single_turn" and set(solver) != {"kind"}:
        raise bad(f"solver.{sorted(set(solver) - {'kind'})[0]}", "is not a setting of the single_turn solver (it has none)")
    if not isinstance(scorer, dict):
        raise bad("scorer", "must be a table ([scorer])")
    if solver["kind"] == "single_turn" or scorer:
        from harness.scorers import SCORER_SETTINGS, SCORERS

        if scorer.get("kind") not in SCORERS:
            raise bad("scorer.kind", f"{scorer.get('kind')!r} is not a scorer; known: {', '.join(sorted(SCORERS))}")
        extra = sorted(set(scorer) - {"kind"} - SCORER_SETTINGS[scorer["kind"]])
        if extra:
            allowed = ", ".join(sorted(SCORER_SETTINGS[scorer["kind"]])) or "none"
            raise bad(f"scorer.{extra[0]}", f"is not a setting of the {scorer['kind']!r} scorer (its settings: {allowed})")

    return SuiteSpec(
        name=name,
        category=category,
        capability=capability,
        description=raw.get("description", ""),
        default=raw.get("default", False),
        source=source,
        prompt=prompt,
        scorer=scorer,
        solver=solver,
        cluster_field=raw.get("cluster_field", ""),
        release_date_field=raw.get("release_date_field", ""),
        n_items=n_items,
        path=path,
        raw={**raw, "solver": solver},
    )


def suites_dir() -> Path:
    """The folder of spec files: $ASYMMETRY_SUITES_DIR, else the project's suites/."""
    return Path(os.environ.get("ASYMMETRY_SUITES_DIR") or SUITES_DIR)


def list_specs(directory: Path | None = None) -> list[SuiteSpec]:
    """Every suite spec, sorted by name (for `asymmetry suites list` and name resolution)."""
    folder = Path(directory) if directory else suites_dir()
    if not folder.is_dir():
        raise UserError(f"suite folder {folder} not found; set ASYMMETRY_SUITES_DIR to the folder of suites/*.toml")
    specs = [parse_spec(p) for p in sorted(folder.glob("*.toml"))]
    return sorted(specs, key=lambda s: s.name)


def resolve_names(names: Sequence[str], specs: Sequence[SuiteSpec]) -> list[SuiteSpec | str]:
    """Expand `default`, `builtin`, comma lists and spec paths; `lm-eval:TASK` entries stay strings."""
    by_name = {s.name: s for s in specs}
    chosen: dict[str, SuiteSpec | str] = {}
    for entry in names:
        for name in (part.strip() for part in str(entry).split(",")):
            if not name:
                continue
            if name == "default":
                chosen.update((s.name, s) for s in specs if s.default)
            elif name == "builtin":
                chosen.update((s.name, s) for s in specs if s.builtin)
            elif name.startswith("lm-eval:"):
                if not name[len("lm-eval:"):]:
                    raise UserError("'lm-eval:' needs a task name, e.g. lm-eval:gsm8k")
                chosen[name] = name
            elif name.endswith(".toml"):
                spec = parse_spec(Path(name))
                chosen[spec.name] = spec
            elif name in by_name:
                chosen[name] = by_name[name]
            else:
                close = difflib.get_close_matches(name, list(by_name), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise UserError(
                    f"unknown suite {name!r}{hint}; run `asymmetry suites list` for the names, or use "
                    "default, builtin, lm-eval:TASK or a path to a .toml spec"
                )
    return list(chosen.values())


def load_suites(
    names: Sequence[str], data_dir: Path | None = None, *, limit: int | None = None
) -> list[Suite]:
    """Load suites by name: `default` (the fixed set), `builtin` (offline built-ins), suite names,
    `lm-eval:TASK`, or paths to spec files. `data_dir` (else $ASYMMETRY_DATA_DIR) holds local copies in
    the layouts of the reference data; `limit` keeps the first N items (the version is the full suite's).

    Every suite that cannot be reached (no local copy, no network) is listed in one `UserError`.
    """
    from harness.loaders import SourceUnavailable

    if limit is not None and limit <= 0:
        raise UserError(f"--limit must be a positive number of items, not {limit}")
    data_dir = resolve_data_dir(data_dir)
    wanted = resolve_names(names, list_specs())
    if not wanted:
        raise UserError("no suites named; pass --suites default, builtin or suite names (asymmetry suites list)")
    suites: list[Suite] = []
    unreachable: list[tuple[str, str]] = []
    for entry in wanted:
        try:
            if isinstance(entry, str):
                suites.append(_load_lmeval(entry, data_dir, limit))
            else:
                suites.append(build_suite(entry, data_dir, limit=limit))
        except SourceUnavailable as e:
            unreachable.append((entry if isinstance(entry, str) else entry.name, str(e)))
    if unreachable:
        listing = "; ".join(f"{name} ({why})" for name, why in unreachable)
        message = (
            f"{len(unreachable)} suite(s) cannot be loaded here: {listing}. Pass --data-dir DIR with local copies "
            "(the layout of each spec's source.local, e.g. DIR/gsm8k/test.jsonl), connect to the network, "
            "or use --suites builtin for the offline built-in suites"
        )
        if suites:
            message += f"; the reachable ones are: --suites {','.join(s.name for s in suites)}"
        raise UserError(message)
    return suites


def build_suite(spec: SuiteSpec, data_dir: Path | None = None, *, limit: int | None = None) -> Suite:
    """Load one spec's items, compute its version and attach its solver."""
    from harness.loaders import items_for_spec
    from harness.solvers import SOLVERS, check_template

    data_dir = resolve_data_dir(data_dir)
    items, provenance = items_for_spec(spec, data_dir)
    if spec.n_items is not None and len(items) != spec.n_items:
        raise UserError(
            f"{spec.path}: n_items = {spec.n_items} but {provenance.get('from', spec.source_label())} gave "
            f"{len(items)} items; the copy differs from the pinned one (check its sha256 in the spec), or fix n_items"
        )
    if not items:
        raise UserError(f"{spec.path}: the source gave no items; check source.window_start/window_end and the copy")
    check_template(spec, items[0])
    content_hash = suite_content_hash(spec, items)
    solve = SOLVERS[spec.solver["kind"]](spec.raw)
    if limit is not None:
        items = items[:limit]
    return Suite(
        name=spec.name,
        version=content_hash[:16],
        category=spec.category,
        capability=spec.capability,
        items=tuple(items),
        solve=solve,
        description=spec.description,
        source=spec.source_label(),
        offline=spec.offline(data_dir),
        content_hash=content_hash,
        provenance=provenance,
    )


def suite_content_hash(spec: SuiteSpec, items: Sequence[Item]) -> str:
    """sha256 over every item (id, content hash, cluster, release date) + prompt + scorer + solver settings."""
    content = {
        "items": [[it.id, it.hash, it.cluster, it.release_date] for it in items],
        "prompt": dict(spec.prompt),
        "scorer": dict(spec.scorer),
        "solver": dict(spec.solver),
    }
    return hashlib.sha256(canonical_json(content)).hexdigest()


def _load_lmeval(entry: str, data_dir: Path | None, limit: int | None) -> Suite:
    try:
        from harness.lmeval.tasks import load_lmeval_suite
    except ImportError as e:
        raise UserError(f"{entry}: lm-eval tasks are not available in this installation ({e})") from None
    suite = load_lmeval_suite(entry[len("lm-eval:"):], data_dir)
    if limit is not None:
        suite = replace(suite, items=tuple(suite.items[:limit]))
    return suite


def resolve_data_dir(data_dir: Path | None) -> Path | None:
    """`--data-dir`, else $ASYMMETRY_DATA_DIR, checked to be a folder."""
    if data_dir is None and os.environ.get("ASYMMETRY_DATA_DIR"):
        data_dir = Path(os.environ["ASYMMETRY_DATA_DIR"])
    if data_dir is not None and not Path(data_dir).is_dir():
        raise UserError(f"--data-dir {data_dir} is not a folder; point it at the folder holding the local copies")
    return Path(data_dir) if data_dir is not None else None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _url_label(url: str) -> str:
    """github:owner/repo@abc1234 or hf:owner/name@abc1234 for pinned URLs; the host otherwise."""
    gh = re.match(r"https://raw\.githubusercontent\.com/([^/]+/[^/]+)/([0-9a-f]{7})", url)
    if gh:
        return f"github:{gh.group(1)}@{gh.group(2)}"
    hf = re.match(r"https://huggingface\.co/datasets/([^/]+/[^/]+)/resolve/([^/]+)/", url)
    if hf:
        return f"hf:{hf.group(1)}@{hf.group(2)[:7]}"
    release = re.match(r"https://github\.com/([^/]+/[^/]+)/releases/download/([^/]+)/", url)
    if release:
        return f"github:{release.group(1)}@{release.group(2)}"
    return url.split("/")[2] if "//" in url else url
