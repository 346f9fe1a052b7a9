"""The package's imports flow one way: no module imports, even lazily inside a function, a module that
imports it back (benchmarks/layering/imports.py counts them; README "Layout")."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _counter():
    spec = importlib.util.spec_from_file_location("layering_imports", ROOT / "benchmarks" / "layering" / "imports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_package_has_no_import_cycle_even_through_imports_inside_functions():
    counter = _counter()
    files = counter.module_files()
    assert "harness.items" in files and "harness.suites.build" in files  # the walk sees the real package
    assert counter.cycles(counter.import_graph(files), list(files)) == []


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
