"""Every repository path the README names exists in a fresh clone (review finding 9: it cited a report that
only a local simulation run writes). Paths are read from backtick spans and from the commands in its code
blocks; a path under harness/, tests/, benchmarks/ or suites/ must be a tracked file or folder, unless it is
an output listed in GENERATED with the command that writes it, which the README must also name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
REPO_DIRS = ("harness/", "tests/", "benchmarks/", "suites/", "results/", "reports/")
#: outputs the README names, with the command (as the README writes it) that produces each
GENERATED = {
    "benchmarks/calibration/out/primary_report.md": "benchmarks/calibration/run.py --primary --quick",
}
#: in results/ and reports/ (run outputs, git-ignored) only these ship with the clone
SHIPPED_OUTPUT_FOLDERS = ("results/README.md", "reports/README.md")


def tracked() -> set[str]:
    """The files of a fresh clone, and every folder above them ('harness/data/')."""
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True,
                              timeout=60)
        files = set(done.stdout.splitlines())
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: what is on disk
        files = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and ".venv" not in p.parts}
    folders = {str(Path(f).parents[i]) + "/" for f in files for i in range(len(Path(f).parents) - 1)}
    return files | folders


def readme_paths(text: str) -> set[str]:
    """Repository paths in backtick spans and code blocks: tokens that start with a repository folder."""
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    found = set()
    for token in " ".join([*spans, *blocks]).split():
        token = token.strip("\"'(),;:").rstrip(".")
        if token.startswith(REPO_DIRS) and not re.search(r"[<>*]|…", token):
            found.add(token)
    return found


def test_the_walk_finds_the_paths_a_reader_would_open() -> None:
    paths = readme_paths(README.read_text())
    assert {"harness/data/README.md", "tests/README.md", "benchmarks/sandbox/cheat_matrix.py"} <= paths
    assert readme_paths("see `benchmarks/nowhere.md` and\n```sh\npython benchmarks/x/run.py --quick\n```\n") == {
        "benchmarks/nowhere.md", "benchmarks/x/run.py"}


def test_every_repository_path_the_readme_names_exists_in_a_fresh_clone() -> None:
    text = README.read_text()
    files = tracked()
    missing = []
    for path in sorted(readme_paths(text)):
        if path in GENERATED:
            assert GENERATED[path] in " ".join(text.split()), f"{path}: the README must say what writes it"
            continue
        if path.startswith(("results/", "reports/")) and path not in SHIPPED_OUTPUT_FOLDERS:
            continue  # a run's or a report's output, written by the command beside it
        if path not in files and path.rstrip("/") + "/" not in files:
            missing.append(path)
    assert not missing, f"the README names paths a fresh clone does not have: {missing}"
