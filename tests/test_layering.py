"""The package's imports flow one way (README "Layout"): every module belongs to one layer of LAYERS, listed
bottom-up as in the README, and imports only modules of its own layer or of the layers below it. Every
import counts, including those inside functions (a lazy import is still a dependency) and those under
TYPE_CHECKING. There are no import cycles, even through lazy imports (benchmarks/layering/imports.py
counts them)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The layers, bottom-up: (name, the modules or packages in it, the README Layout entries that name it).
#: A module belongs to the layer of the longest entry it equals or lies under; `harness` itself (the package
#: __init__, which holds only the version) is the bottom's.
LAYERS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("bottom", ("harness", "harness.errors", "harness.records", "harness.items", "harness.models.base",
                "harness.terminal"),
     ("errors.py", "models/base.py")),
    ("sandbox", ("harness.sandbox",), ("sandbox/",)),
    # the provenance prompt bank is stored data that a built-in suite reads (suites/builtin); the rest of
    # provenance analyses runs and sits near the top
    ("suites", ("harness.suites", "harness.provenance.bank"), ("suites/",)),
    ("models", ("harness.models",), ("models/",)),
    ("run", ("harness.run",), ("run/",)),
    ("interop", ("harness.interop", "harness.importers", "harness.lmeval"), ("interop/",)),
    ("stats", ("harness.stats",), ("stats/",)),
    ("plan and table", ("harness.plan", "harness.table"), ("plan.py",)),
    ("compare", ("harness.compare",), ("compare/",)),
    ("export", ("harness.export",), ("export.py",)),
    ("report", ("harness.report",), ("report/",)),
    ("provenance", ("harness.provenance",), ("provenance/",)),
    ("demo", ("harness.demo", "harness.data"), ("demo.py",)),
    ("cli", ("harness.cli", "harness.__main__"), ("cli/",)),
]

#: Imports allowed against the layers: (importer, imported) -> why. Each must still exist (no stale entry).
EXCEPTIONS: dict[tuple[str, str], str] = {}
#: An import of a submodule counts as an edge to that submodule (as import linters count it), but Python
#: runs the package's __init__ first. The one place that matters: importing harness.models.base (bottom)
#: runs harness/models/__init__.py (models layer), the package's facade, which loads these too. They import
#: only harness.errors and each other; the adapters load lazily (open_adapter). Checked at run time below.
IMPLICIT: dict[str, str] = {
    "harness.models": "the package __init__ of harness.models.base",
    "harness.models.spec": "imported by that __init__ (parse_model_spec); imports errors and redact only",
    "harness.models.redact": "imported by harness.models.spec; imports nothing from the package",
}


def _counter():
    spec = importlib.util.spec_from_file_location("layering_imports", ROOT / "benchmarks" / "layering" / "imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def layer_of(module: str, layers=LAYERS) -> int | None:
    """The index of the module's layer in `layers`, or None when no layer holds it."""
    if module == "harness":
        return 0
    best: tuple[int, int] | None = None  # (length of the matching entry, layer index)
    for index, (_, entries, _) in enumerate(layers):
        for entry in entries:
            if entry != "harness" and (module == entry or module.startswith(entry + ".")):
                if best is None or len(entry) > best[0]:
                    best = (len(entry), index)
    return None if best is None else best[1]


def upward_imports(edges: dict[str, set[str]], layers=LAYERS) -> list[tuple[str, str, str, str]]:
    """Every import of a module in a higher layer: (importer, its layer, imported, its layer)."""
    names = [name for name, _, _ in layers]
    found = []
    for module, targets in sorted(edges.items()):
        for target in sorted(targets):
            a, b = layer_of(module, layers), layer_of(target, layers)
            if a is not None and b is not None and b > a:
                found.append((module, names[a], target, names[b]))
    return found


@pytest.fixture(scope="module")
def graph():
    counter = _counter()
    files = counter.module_files()
    return counter, files, counter.import_graph(files)


def test_the_package_has_no_import_cycle_even_through_imports_inside_functions(graph):
    counter, files, edges = graph
    assert "harness.items" in files and "harness.suites.build" in files  # the walk sees the real package
    assert counter.cycles(edges, list(files)) == []


def test_every_module_belongs_to_a_layer(graph):
    _, files, _ = graph
    assert [m for m in files if layer_of(m) is None] == []  # a new package needs its place in LAYERS and the README


def test_every_import_goes_to_the_same_or_a_lower_layer(graph):
    _, _, edges = graph
    upward = [u for u in upward_imports(edges) if (u[0], u[2]) not in EXCEPTIONS]
    assert upward == [], "\n".join(f"{a} ({la}) imports {b} ({lb})" for a, la, b, lb in upward)
    stale = [pair for pair in EXCEPTIONS if pair[1] not in edges.get(pair[0], set())]
    assert stale == []


def test_the_bottom_loads_nothing_above_it_at_run_time():
    bottom = [m for m in LAYERS[0][1] if m != "harness"]
    code = f"import sys\nimport {', '.join(bottom)}\nprint(' '.join(sorted(m for m in sys.modules if m.startswith('harness'))))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    loaded = set(done.stdout.split())
    assert set(bottom) <= loaded and loaded - set(LAYERS[0][1]) == set(IMPLICIT)


def test_the_suites_layer_does_not_reach_lmeval_or_the_runner(graph):
    # the issue-11 knots, named so a regression reads plainly: suites -> lm-eval tasks, suites -> run
    _, _, edges = graph
    reach = {t for m, ts in edges.items() if m.startswith("harness.suites") for t in ts}
    assert not any(t.startswith(("harness.lmeval", "harness.importers", "harness.interop", "harness.run"))
                   for t in reach)


def test_the_readme_lists_the_layers_in_the_same_order():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    firsts = [m.group(1) for m in re.finditer(r"^  (\S+)", block, re.MULTILINE)]
    expected = [entry for _, _, readme in LAYERS for entry in readme]
    assert [f for f in firsts if f in expected] == expected


def test_the_layer_check_finds_an_upward_import_made_inside_a_function(tmp_path, monkeypatch):
    package = tmp_path / "harness"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low" / "__init__.py").write_text("")
    (package / "low" / "a.py").write_text("def f():\n    from harness import high\n    return high\n")
    (package / "high.py").write_text("from harness.low import a\n")
    counter = _counter()
    monkeypatch.setattr(counter, "ROOT", tmp_path)
    files = counter.module_files()
    layers = [("low", ("harness.low",), ()), ("high", ("harness.high",), ())]
    assert upward_imports(counter.import_graph(files), layers) == [("harness.low.a", "low", "harness.high", "high")]


def test_the_cycle_counter_finds_a_cycle_made_by_a_lazy_import(tmp_path, monkeypatch):
    package = tmp_path / "harness"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from harness.sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from harness import a\n    return a\n")
    (package / "c.py").write_text("from harness.sub import b\n")
    counter = _counter()
    monkeypatch.setattr(counter, "ROOT", tmp_path)
    files = counter.module_files()
    assert counter.cycles(counter.import_graph(files), list(files)) == [["harness.a", "harness.sub.b"]]
