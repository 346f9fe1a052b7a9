"""Sandboxed code scoring speed: HumanEval's 164 reference solutions (all must pass), and 164 solutions that
sleep past their time limit.

Our configurations run exactly what the code scorer runs: for each item, the candidate's process (the
solution) and the checker's process (HumanEval's test code, calling the solution across a pipe), built by
harness.suites.scorers.code.programs and judged by its `judge`. Compared in the same run:

  baseline         one fresh `python -I -S -c PROGRAM` per item inside bubblewrap, PROGRAM = prompt +
                   solution + test + check(entry_point) in one process (the same bwrap command line and
                   interpreter as ours and, as root, the same drop to uid 65534), --workers at a time: the
                   naive per-item-process measurement
  bare processes   the same without bubblewrap (what bubblewrap itself costs, for reference)
  ours, plain      harness.sandbox in plain mode (the fallback where nested namespaces are refused)
  ours, fork       harness.sandbox in fork mode (the default), its default pool
  ours, fork, pool = CPUs
                   the same with the pool held at the CPU count (the pool before issue 15), so the new
                   pool's effect on normal solutions shows
  sleepers         every solution sleeps; --sleep-timeout limits each: pool = CPUs (before issue 15) vs our
                   default pool, which grows while programs sleep

The configurations take turns, round after round (--repeat rounds), so that changes in the machine's load
hit them alike; a configuration's figure is its best round. CPU per item is the CPU time of everything a
configuration ran, from a cgroup of the benchmark's own (root only; it hardly depends on the load).
Pool start-up is excluded from items/s and shown apart.

    .venv/bin/python benchmarks/sandbox/run.py [--data-dir DATA] [--workers 2] [--repeat 3]
        [--sleepers 164] [--sleep-timeout 1] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.items import Item  # noqa: E402
from harness.sandbox import (  # noqa: E402
    SANDBOX_UID,
    Limits,
    Sandbox,
    bwrap_args,
    cpu_count,
    default_workers,
    find_bwrap,
    sandbox_python,
)
from harness.suites.scorers.code import judge, programs, support_modules  # noqa: E402
from harness.suites.sources import humaneval  # noqa: E402

BASELINE = "baseline: fresh python per item in bwrap"
FORK = "ours, fork mode"
FORK_CPUS = "ours, fork mode, pool = CPUs"
PLAIN = "ours, plain mode"
SLEEP_BEFORE = "sleepers, pool = CPUs (before)"
SLEEP_OURS = "sleepers, ours"
SETTINGS = {"prepend_prompt": True}
Measure = Callable[[], tuple[float, float, list[str], dict]]  # start-up s, seconds, failed ids, info


def humaneval_items(data_dir: Path) -> list[tuple[Item, str, str]]:
    """(item as the humaneval suite loads it, canonical solution, the naive one-process program)."""
    path = data_dir / "humaneval" / "HumanEval.jsonl.gz"
    if not path.is_file():
        sys.exit(f"error: {path} not found; pass --data-dir with a humaneval/HumanEval.jsonl.gz inside")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [
        (humaneval(r, i, {}), r["canonical_solution"],
         r["prompt"] + r["canonical_solution"] + "\n" + r["test"] + f"\ncheck({r['entry_point']})\n")
        for i, r in enumerate(rows)
    ]


def fresh_processes(items: list[tuple[Item, str, str]], workers: int, *, bwrap: bool) -> tuple[float, list[str]]:
    """Seconds for all programs, one fresh interpreter each, `workers` at a time; ids that failed."""
    python = sandbox_python()
    prefix = bwrap_args(find_bwrap() or "bwrap", python, Limits()) if bwrap else []
    drop = {"user": SANDBOX_UID, "group": SANDBOX_UID, "extra_groups": []} if os.geteuid() == 0 else {}

    def one(entry: tuple[Item, str, str]) -> str | None:
        item, _, program = entry
        done = subprocess.run(
            [*prefix, python, "-I", "-S", "-c", program],
            capture_output=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
            cwd="/tmp",
            check=False,
            **drop,
        )
        return None if done.returncode == 0 else item.id

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        failed = [t for t in pool.map(one, items) if t]
    return time.perf_counter() - start, failed


def our_sandbox(
    items: list[tuple[Item, str, str]], workers: int, mode: str, *, sleep: float | None = None
) -> tuple[float, float, list[str], dict]:
    """(start-up seconds, seconds for all items, ids whose verdict was not the expected one, sandbox info).
    `sleep`: every solution sleeps past this time limit instead (each must come out a timeout)."""
    timeout = sleep or 10.0
    pairs = []
    for item, solution, _ in items:
        entry = item.target["entry_point"]
        code = solution if sleep is None else f"def {entry}(*args, **kwargs):\n    import time\n    time.sleep(3600)\n"
        pairs.append((item.id, *programs(item, code, SETTINGS)))

    async def go() -> tuple[float, float, list[str], dict]:
        sandbox = Sandbox(workers=workers, mode=mode, modules=support_modules())
        t0 = time.perf_counter()
        await sandbox.start()
        t1 = time.perf_counter()
        results = await asyncio.gather(*(sandbox.run(c, timeout_s=timeout, checker=k) for _, c, k in pairs))
        t2 = time.perf_counter()
        info = sandbox.info()
        await sandbox.aclose()
        failed = []
        for (item_id, *_), result in zip(pairs, results, strict=True):
            passed, status, _, detail, _ = judge(result)
            if (sleep is None and not passed) or (sleep is not None and status != "timeout"):
                failed.append(f"{item_id} ({status}: {detail[-200:]})")
        return t1 - t0, t2 - t1, failed, info

    return asyncio.run(go())


class CpuMeter:
    """CPU seconds used by this process and everything it starts, from a cgroup of our own (v1 cpuacct or
    v2 cpu.stat). Needs root; `read()` is None where no cgroup can be made. Processes inside bubblewrap
    are not all reaped up to us, so getrusage(RUSAGE_CHILDREN) would miss them; a cgroup does not."""

    def __init__(self) -> None:
        self.dir: Path | None = None
        self.parent = Path()
        self.counter = ""
        for base, counter, marker in (
            (Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage", "cpuacct.usage"),
            (Path("/sys/fs/cgroup"), "cpu.stat", "cgroup.controllers"),
        ):
            if not (base / marker).exists():
                continue
            path = base / f"asymmetry-bench-{os.getpid()}"
            try:
                path.mkdir()
                (path / "cgroup.procs").write_text("0")  # "0": the writing process; its children follow
            except OSError:
                continue
            self.dir, self.parent, self.counter = path, base, counter
            return

    def read(self) -> float | None:
        if self.dir is None:
            return None
        text = (self.dir / self.counter).read_text()
        if self.counter == "cpuacct.usage":
            return int(text) / 1e9
        return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6

    def close(self) -> None:
        if self.dir is not None:
            try:
                (self.parent / "cgroup.procs").write_text("0")
                self.dir.rmdir()
            except OSError:
                pass


def measure_all(configurations: dict[str, tuple[int, Measure]], repeat: int, meter: CpuMeter) -> dict[str, dict]:
    """Take turns, round after round; keep each configuration's best round."""
    rows: dict[str, dict] = {}
    for round_ in range(1, repeat + 1):
        for name, (n, measure) in configurations.items():
            before = meter.read()
            startup, seconds, failed, info = measure()
            after = meter.read()
            cpu_ms = None if before is None or after is None else 1000 * (after - before) / n
            if failed:
                sys.exit(f"error: {name}: {len(failed)} of {n} items did not come out as expected: {failed[:3]}")
            if name not in rows or seconds < rows[name]["seconds"]:
                rows[name] = {
                    "items": n,
                    "seconds": seconds,
                    "items_per_s": n / seconds,
                    "startup_s": startup,
                    "cpu_ms_per_item": cpu_ms,
                    "info": info,
                }
            cpu_text = "" if cpu_ms is None else f"  {cpu_ms:6.1f} ms CPU/item"
            print(
                f"round {round_}: {name:42s} {seconds:7.2f} s {n / seconds:7.2f} items/s{cpu_text}",
                file=sys.stderr,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("ASYMMETRY_SHARED_DATA") or ROOT.parent / "shared" / "data"),
                        help="the reference data folder (default: $ASYMMETRY_SHARED_DATA, else the one beside the checkout)")
    parser.add_argument("--workers", type=int, default=cpu_count(), help="baseline processes at once")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sleepers", type=int, default=164, help="sleeping solutions per round (0: none)")
    parser.add_argument("--sleep-timeout", type=float, default=1.0, help="the sleepers' time limit, seconds")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if find_bwrap() is None:
        sys.exit("error: bubblewrap (bwrap) is not installed; the benchmark measures the sandbox")
    items = humaneval_items(args.data_dir)
    n = len(items)
    pool, cpus = default_workers(), cpu_count()
    configurations: dict[str, tuple[int, Measure]] = {
        BASELINE: (n, lambda: (0.0, *fresh_processes(items, args.workers, bwrap=True), {})),
        "bare: fresh python per item, no bwrap": (n, lambda: (0.0, *fresh_processes(items, args.workers, bwrap=False), {})),
        PLAIN: (n, lambda: our_sandbox(items, pool, "plain")),
        FORK: (n, lambda: our_sandbox(items, pool, "fork")),
        FORK_CPUS: (n, lambda: our_sandbox(items, cpus, "fork")),
    }
    sleepers = (items * (args.sleepers // n + 1))[: args.sleepers]
    if sleepers:
        configurations[SLEEP_BEFORE] = (len(sleepers), lambda: our_sandbox(sleepers, cpus, "fork", sleep=args.sleep_timeout))
        configurations[SLEEP_OURS] = (len(sleepers), lambda: our_sandbox(sleepers, pool, "fork", sleep=args.sleep_timeout))
    meter = CpuMeter()
    try:
        rows = measure_all(configurations, args.repeat, meter)
    finally:
        meter.close()

    print(f"\n{'configuration':44s} {'best':>9s} {'items/s':>8s} {'CPU/item':>10s} {'start-up':>9s}")
    for name, row in rows.items():
        cpu = "n/a" if row["cpu_ms_per_item"] is None else f"{row['cpu_ms_per_item']:.1f} ms"
        print(f"{name:44s} {row['seconds']:7.2f} s {row['items_per_s']:8.2f} {cpu:>10s} {row['startup_s']:7.2f} s")
    rate = {name: row["items_per_s"] for name, row in rows.items()}
    ratios = {
        "fork / baseline": rate[FORK] / rate[BASELINE],
        "plain / baseline": rate[PLAIN] / rate[BASELINE],
        "fork, default pool / pool = CPUs": rate[FORK] / rate[FORK_CPUS],
    }
    targets = {"fork / baseline": 2.0, "plain / baseline": 1.0, "fork, default pool / pool = CPUs": 0.95}
    if sleepers:
        ratios["sleepers, ours / before"] = rate[SLEEP_OURS] / rate[SLEEP_BEFORE]
        targets["sleepers, ours / before"] = 8.0
    print(f"\nall {n} HumanEval reference solutions passed in every configuration; every sleeper timed out")
    print(f"pool: {pool} workers at most (default here), {cpus} CPUs; baseline: {args.workers} processes at once")
    for name, ratio in ratios.items():
        print(f"ratio, {name}: {ratio:.2f}x items/s   (target >= {targets[name]:g}x)")
    cpu_ratio = None
    if rows[FORK]["cpu_ms_per_item"] and rows[BASELINE]["cpu_ms_per_item"]:
        cpu_ratio = rows[BASELINE]["cpu_ms_per_item"] / rows[FORK]["cpu_ms_per_item"]
        print(f"CPU per item, baseline / ours (fork mode): {cpu_ratio:.2f}x")
    info = rows[FORK]["info"]
    print(
        f"sandbox: {info.get('bwrap')}, python {info.get('python_version')} ({info.get('python')}), "
        f"uid {info.get('uid')}; load average {os.getloadavg()[0]:.1f} at the end"
    )
    if args.json:
        doc = {"items": n, "workers": args.workers, "pool": pool, "cpus": cpus, "repeat": args.repeat,
               "sleep_timeout_s": args.sleep_timeout, "rows": rows, "ratios": ratios, "targets": targets,
               "ratio_cpu": cpu_ratio, "load_average_end": os.getloadavg()[0]}
        args.json.write_text(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
