"""Start-up time of the CLI and of the compare package, as ratios against a baseline commit in the same run.

What a user waits for before anything happens: `asymmetry --help` (the Typer app, every command's
registration and the rendered help), `import harness.compare` (what a reader of one of its names pays; the
package may import its modules lazily) and `from harness.compare import compare` (what an item-mode
comparison pays before it reads a file).

The baseline is checked out into a temporary git worktree (removed afterwards); both trees run with this
interpreter and its installed dependencies, each put first on PYTHONPATH, so only the package's own code
differs. Runs alternate baseline / head so that load on a shared machine hits both alike; one warm-up run
each (which also writes the baseline's __pycache__) is not counted. Reported: the median wall time and the
median CPU time (user + system, steadier under load) of each, and head / baseline of the medians (below 1 =
head starts faster). Absolute times depend on the machine and its load; compare the ratios. A head whose
help lists more commands renders more text: part of a --help ratio above 1 can be that.

Run: `.venv/bin/python benchmarks/startup/run.py [--base 91a5d5c] [--head PATH] [--repeat 7]`
(`--head` defaults to this checkout, uncommitted changes included).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: name -> Python code run in a fresh interpreter; `--help` is called as the console script calls it.
TASKS = {
    "asymmetry --help": "import sys; sys.argv = ['asymmetry', '--help']; from harness.cli import main; main()",
    "import harness.compare": "import harness.compare",
    # the package imports its modules on first use: this is what an item-mode comparison pays before it runs
    "from h.compare import compare": "from harness.compare import compare",
}


def run_once(tree: Path, code: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh interpreter running `code` with `tree` first on
    the import path. CPU time is less disturbed by other processes on a loaded machine than wall time."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "100", "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{tree}: {code!r} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_tree(tree: Path) -> None:
    """Refuse to measure if `harness` would not be imported from `tree` (an installed copy would win)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    found = subprocess.run([sys.executable, "-c", "import harness; print(harness.__file__)"], cwd=tree, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"harness imports from {found}, not from {tree}")


def measure(base: Path, head: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of each task in each tree, alternating the trees, and head / base."""
    out: dict[str, dict[str, float]] = {}
    for name, code in TASKS.items():
        run_once(base, code), run_once(head, code)  # warm-up: bytecode caches, file-system cache
        runs: dict[str, list[tuple[float, float]]] = {"base": [], "head": []}
        for _ in range(repeat):
            runs["base"].append(run_once(base, code))
            runs["head"].append(run_once(head, code))
        row: dict[str, float] = {}
        for kind, i in (("wall", 0), ("cpu", 1)):
            b = statistics.median(r[i] for r in runs["base"])
            h = statistics.median(r[i] for r in runs["head"])
            row.update({f"base_{kind}": b, f"head_{kind}": h, f"ratio_{kind}": h / b})
        out[name] = row
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="91a5d5c", help="baseline commit (checked out into a temporary worktree)")
    parser.add_argument("--head", type=Path, default=ROOT, help="the tree to measure against it (default: this one)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per task and tree (median)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="startup-base-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.base],
                       check=True)
        try:
            check_tree(base)
            check_tree(args.head)
            results = measure(base, args.head, args.repeat)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True)
    head_rev = subprocess.run(["git", "-C", str(args.head), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    print(f"base {args.base} vs head {head_rev} ({args.head}), median of {args.repeat} runs each, alternating")
    print(f"{'task':<32} {'wall: base':>10} {'head':>7} {'head/base':>9}   {'cpu: base':>9} {'head':>7} "
          f"{'head/base':>9}")
    for name, r in results.items():
        print(f"{name:<32} {r['base_wall']:>10.3f} {r['head_wall']:>7.3f} {r['ratio_wall']:>9.2f}   "
              f"{r['base_cpu']:>9.3f} {r['head_cpu']:>7.3f} {r['ratio_cpu']:>9.2f}")

if __name__ == "__main__":
    main()
