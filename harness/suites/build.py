"""Assembling suites: check a spec's names against the registries, load its items, version it, attach its
solver. `load_suites(["default"], data_dir)` loads the fixed set (items from `sources`, solver from
`solvers`, scorer from `scorers`) and versions each suite by a hash of its content.

Suites made elsewhere (`lm-eval:TASK`: lm-eval's tasks, harness.lmeval.tasks) come in through
`load_suites(..., external=...)`: the caller passes their source, so this layer imports nothing above it.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from harness.errors import UserError
from harness.items import Item, Suite, canonical_json
from harness.suites.prompt import check_template
from harness.suites.scorers import SCORER_SETTINGS, SCORERS
from harness.suites.solvers import SOLVERS
from harness.suites.sources import ROW_LOADERS, SourceUnavailable, items_for_spec
from harness.suites.spec import SUITES_DIR, SuiteSpec, read_spec

#: A suite source outside the suites layer, for names `PREFIX:REST`: called with (REST, data_dir), it returns
#: the suite or raises SourceUnavailable. The run command passes {"lm-eval": load_lmeval_suite}.
ExternalSource = Callable[[str, Path | None], Suite]
#: The name prefixes `resolve_names` keeps as strings, for an external source.
EXTERNAL_PREFIXES = ("lm-eval",)


def parse_spec(path: Path) -> SuiteSpec:
    """Read and check one spec file, including the loader, solver and scorer it names; any problem is one
    `UserError` naming the file and the field."""
    spec = read_spec(path)

    def bad(field_name: str, problem: str) -> UserError:
        return UserError(f"{spec.path}: field '{field_name}' {problem} (format: suites/README.md)")

    if not spec.builtin and spec.source["loader"] not in ROW_LOADERS:
        raise bad("source.loader", f"{spec.source['loader']!r} is not a loader; known: {', '.join(sorted(ROW_LOADERS))}")
    if spec.solver["kind"] not in SOLVERS:
        raise bad("solver.kind", f"{spec.solver['kind']!r} is not a solver; known: {', '.join(sorted(SOLVERS))}")
    scorer = spec.scorer
    if spec.solver["kind"] == "single_turn" or scorer:
        if scorer.get("kind") not in SCORERS:
            raise bad("scorer.kind", f"{scorer.get('kind')!r} is not a scorer; known: {', '.join(sorted(SCORERS))}")
        extra = sorted(set(scorer) - {"kind"} - SCORER_SETTINGS[scorer["kind"]])
        if extra:
            allowed = ", ".join(sorted(SCORER_SETTINGS[scorer["kind"]])) or "none"
            raise bad(f"scorer.{extra[0]}", f"is not a setting of the {scorer['kind']!r} scorer (its settings: {allowed})")
    return spec


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
                chosen.update((s.name, s) for s in specs if s.builtin and not s.record_only)
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


def external_prefixes(names: Sequence[str]) -> set[str]:
    """The external sources (EXTERNAL_PREFIXES) that `names` use, e.g. {"lm-eval"} for `lm-eval:gsm8k`."""
    parts = (part.strip() for entry in names for part in str(entry).split(","))
    return {p.partition(":")[0] for p in parts if p.partition(":")[0] in EXTERNAL_PREFIXES and ":" in p}


def load_suites(
    names: Sequence[str], data_dir: Path | None = None, *, limit: int | None = None,
    external: Mapping[str, ExternalSource] | None = None,
) -> list[Suite]:
    """Load suites by name: `default` (the fixed set), `builtin` (offline built-ins), suite names,
    `lm-eval:TASK`, or paths to spec files. `data_dir` (else $ASYMMETRY_DATA_DIR) holds local copies in
    the layouts of the reference data; `limit` keeps the first N items (the version is the full suite's).
    `external`: the sources of `PREFIX:NAME` entries (harness.lmeval.tasks.SUITE_SOURCES for lm-eval).

    Every suite that cannot be reached (no local copy, no network) is listed in one `UserError`.
    """
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
                suites.append(_load_external(entry, data_dir, limit, external or {}))
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


def _load_external(entry: str, data_dir: Path | None, limit: int | None,
                   external: Mapping[str, ExternalSource]) -> Suite:
    prefix, _, rest = entry.partition(":")
    source = external.get(prefix)
    if source is None:
        raise UserError(f"{entry}: {prefix} suites are not available here (load_suites was not given their "
                        f"source: pass external=harness.lmeval.tasks.SUITE_SOURCES)")
    suite = source(rest, data_dir)
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
