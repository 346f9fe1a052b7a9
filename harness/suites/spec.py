"""Suite specs (suites/*.toml): the parsed form of one spec file and its structural checks.

Format: suites/README.md. This module knows the file format only; `harness.suites.build` checks the names a
spec refers to against the loaders, solvers and scorers, and assembles a loaded `Suite`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.records import CAPABILITIES, category_of


def _specs_folder() -> Path:
    """The top-level suites/ is the one copy of the specs; harness/suites/specs links to it, so a checkout
    reads suites/ and a wheel (which gets the linked files as package data) reads its own copy. A checkout
    whose git wrote the link as a plain file (symlinks off) falls back to suites/ beside the package."""
    linked = Path(__file__).resolve().parent / "specs"
    return linked.resolve() if linked.is_dir() else Path(__file__).resolve().parents[2] / "suites"


#: Where the fixed suite specs live (override with ASYMMETRY_SUITES_DIR).
SUITES_DIR = _specs_folder()
SOURCE_KINDS = ("datasets", "url", "file", "builtin")
_SPEC_KEYS = frozenset(
    {"name", "category", "capability", "description", "default", "cluster_field", "release_date_field",
     "n_items", "source", "prompt", "scorer", "solver"}
)  # fmt: skip
#: (capability, category) of record-only suites: never scored, never compared, read by `asymmetry provenance`.
RECORD_ONLY = ("provenance", "none")
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

    @property
    def record_only(self) -> bool:
        """Answers kept as data, never scored (the provenance bank); not part of `builtin` or `default`."""
        return (self.capability, self.category) == RECORD_ONLY

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


def read_spec(path: Path) -> SuiteSpec:
    """Read one spec file and check its structure; any problem is one `UserError` naming the file and the
    field. The names it refers to (loader, solver, scorer) are checked by `harness.suites.build.parse_spec`,
    which knows the registries."""
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
    category = raw.get("category")
    record_only = (raw.get("scorer") or {}).get("kind") == "none"
    if record_only and (capability, category) != RECORD_ONLY:  # answers kept as data (the provenance bank)
        raise bad("capability", f"of a record-only suite (scorer 'none') must be {RECORD_ONLY[0]!r} with category "
                                f"{RECORD_ONLY[1]!r}")
    if not record_only and capability not in CAPABILITIES:
        raise bad("capability", f"must be one of {', '.join(CAPABILITIES)}, not {capability!r}")
    if not record_only and category != category_of(capability):
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
    if solver["kind"] == "single_turn" and set(solver) != {"kind"}:
        raise bad(f"solver.{sorted(set(solver) - {'kind'})[0]}", "is not a setting of the single_turn solver (it has none)")
    if not isinstance(scorer, dict):
        raise bad("scorer", "must be a table ([scorer])")

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
