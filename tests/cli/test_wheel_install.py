"""A wheel install works outside the checkout: the wheel is built from the project's files, installed
into a fresh virtual environment, and its `asymmetry` lists, shows, plans, runs a built-in suite against
a loopback server, and writes the demo, from a folder that is not the checkout.

The wheel brings the package (and the suite specs, package data read through the link
harness/suites/specs -> suites/); its dependencies are lent by the environment running the tests, put
on the fresh environment's path after its own site-packages, so no download is needed."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.servers import serve

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _project_files() -> list[str]:
    """What a fresh clone holds: git's tracked files plus new ones not ignored (a developer's tree)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot tell the project's files from local clutter")
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout
    return sorted({name for name in listed.split("\0") if name})


def _copy_project(target: Path) -> None:
    for name in _project_files():
        source, dest = ROOT / name, target / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            dest.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, dest)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bin/ of a fresh venv with the project's wheel installed (not editable, not the checkout)."""
    base = tmp_path_factory.mktemp("wheel")
    source, dist, venv = base / "src", base / "dist", base / "venv"
    _copy_project(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
                   check=True, capture_output=True, text=True, timeout=600)
    [wheel] = dist.glob("asymmetry-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   capture_output=True, text=True, timeout=300)
    own = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip())
    lent = [p for p in {*site.getsitepackages(), sysconfig.get_paths()["purelib"]} if Path(p).is_dir()]
    (own / "zz_lent_dependencies.pth").write_text("".join(f"{p}\n" for p in lent))
    return venv / "bin"


def asymmetry(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ASYMMETRY_SUITES_DIR")}
    env.update({"COLUMNS": "200", "ASYMMETRY_OFFLINE": "1"})
    return subprocess.run([str(bin_dir / "asymmetry"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_the_installed_package_is_the_wheel_with_its_suite_specs(installed: Path, tmp_path: Path) -> None:
    code = "import harness, harness.suites.spec as s; print(harness.__file__); print(s.SUITES_DIR)"
    done = subprocess.run([str(installed / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    package, specs = (Path(line) for line in done.stdout.split())
    venv = installed.parent
    assert package.is_relative_to(venv) and specs.is_relative_to(venv)
    assert {p.name for p in specs.glob("*.toml")} == {p.name for p in (ROOT / "suites").glob("*.toml")}
    for spec in specs.glob("*.toml"):  # the same bytes as the one copy in suites/
        assert spec.read_bytes() == (ROOT / "suites" / spec.name).read_bytes()


def test_suites_plan_run_and_demo_work_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    listed = asymmetry(installed, tmp_path, "suites", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    names = {row["name"] for row in json.loads(listed.stdout)}
    assert {"builtin-math", "builtin-code", "gsm8k", "humaneval_plus"} <= names

    shown = asymmetry(installed, tmp_path, "suites", "show", "builtin-math")
    assert shown.returncode == 0, shown.stderr
    assert "builtin-math" in shown.stdout and "Scoring" in shown.stdout

    plan = asymmetry(installed, tmp_path, "plan", "--suites", "builtin", "--before", "old", "--after", "new",
                     "--out", "plan.json")
    assert plan.returncode == 0, plan.stderr
    assert set(json.loads((tmp_path / "plan.json").read_text())["targeted"]) == {"builtin-code", "builtin-tools"}

    with serve() as server:
        run = asymmetry(installed, tmp_path, "run", "-m", f"q=openai:test-model@{server.base_url}", "--suites",
                        "builtin-math,builtin-facts", "--limit", "3", "--quiet")
    assert run.returncode == 0, run.stderr
    [run_dir] = (tmp_path / "results").iterdir()
    records = (run_dir / "items.jsonl").read_text().splitlines()
    assert len(records) == 6 and json.loads((run_dir / "manifest.json").read_text())["counts"]

    demo = asymmetry(installed, tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "reports" / "demo" / "index.html").is_file()
