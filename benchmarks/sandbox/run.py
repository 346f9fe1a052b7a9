"""Sandboxed code scoring speed: HumanEval's 164 reference solutions, every one must pass.

Programs are `prompt + canonical_solution + test + check(entry_point)`, as the code scorer builds them.
Compared in the same run, each with the same number of programs at once (--workers, default 2):

  baseline         one fresh `python -I -S -c PROGRAM` per item inside bubblewrap (the same bwrap command
                   line and interpreter as ours and, as root, the same drop to uid 65534): the issue's
                   per-item-process measurement
  bare processes   the same without bubblewrap (what bubblewrap itself costs, for reference)
  ours, plain      harness.sandbox in plain mode: one bwrap + worker per program, with all limits (the
                   fallback where nested namespaces are not allowed)
  ours, fork       harness.sandbox in fork mode (the default): pre-started workers, one namespaced fork
                   per program, with all limits

The configurations take turns, round after round (--repeat rounds), so that changes in the machine's load
hit them alike; a configuration's figure is its best round. CPU per item is the CPU time of everything a
configuration ran, from a cgroup of the benchmark's own (root only; it hardly depends on the load).
Pool start-up is excluded from items/s and shown apart.

    .venv/bin/python benchmarks/sandbox/run.py [--data-dir ../shared/data] [--workers 2] [--repeat 3] [--json PATH]
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

from harness.sandbox import SANDBOX_UID, Limits, Sandbox, bwrap_args, find_bwrap, sandbox_python  # noqa: E402

BASELINE = "baseline: fresh python per item in bwrap"
FORK = "ours, fork mode"
Measure = Callable[[], tuple[float, float, list[str], dict]]  # start-up s, seconds, failed ids, info


def humaneval_programs(data_dir: Path) -> list[tuple[str, str]]:
    path = data_dir / "humaneval" / "HumanEval.jsonl.gz"
    if not path.is_file():
        sys.exit(f"error: {path} not found; pass --data-dir with a humaneval/HumanEval.jsonl.gz inside")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [
        (
            r["task_id"],
            r["prompt"] + r["canonical_solution"] + "\n" + r["test"] + f"\ncheck({r['entry_point']})\n",
        )
        for r in rows
    ]


def fresh_processes(programs: list[tuple[str, str]], workers: int, *, bwrap: bool) -> tuple[float, list[str]]:
    """Seconds for all programs, one fresh interpreter each, `workers` at a time; ids that failed."""
    python = sandbox_python()
    prefix = bwrap_args(find_bwrap() or "bwrap", python, Limits()) if bwrap else []
    drop = {"user": SANDBOX_UID, "group": SANDBOX_UID, "extra_groups": []} if os.geteuid() == 0 else {}

    def one(item: tuple[str, str]) -> str | None:
        task_id, program = item
        done = subprocess.run(
            [*prefix, python, "-I", "-S", "-c", program],
            capture_output=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
            cwd="/tmp",
            check=False,
            **drop,
        )
        return None if done.returncode == 0 else task_id

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        failed = [t for t in pool.map(one, programs) if t]
    return time.perf_counter() - start, failed


def our_sandbox(
    programs: list[tuple[str, str]], workers: int, mode: str
) -> tuple[float, float, list[str], dict]:
    """(start-up seconds, seconds for all programs, failed ids, sandbox info)."""

    async def go() -> tuple[float, float, list[str], dict]:
        sandbox = Sandbox(workers=workers, mode=mode)
        t0 = time.perf_counter()
        await sandbox.start()
        t1 = time.perf_counter()
        results = await asyncio.gather(*(sandbox.run(p, timeout_s=30) for _, p in programs))
        t2 = time.perf_counter()
        info = sandbox.info()
        await sandbox.aclose()
        failed = [
            f"{t} ({r.status}: {r.stderr.strip()[-200:]})"
            for (t, _), r in zip(programs, results, strict=True)
            if not r.passed
        ]
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


def measure_all(configurations: dict[str, Measure], repeat: int, n: int, meter: CpuMeter) -> dict[str, dict]:
    """Take turns, round after round; keep each configuration's best round."""
    rows: dict[str, dict] = {}
    for round_ in range(1, repeat + 1):
        for name, measure in configurations.items():
            before = meter.read()
            startup, seconds, failed, info = measure()
            after = meter.read()
            cpu_ms = None if before is None or after is None else 1000 * (after - before) / n
            if failed:
                sys.exit(
                    f"error: {name}: {len(failed)} of {n} reference solutions did not pass: {failed[:3]}"
                )
            if name not in rows or seconds < rows[name]["seconds"]:
                rows[name] = {
                    "seconds": seconds,
                    "items_per_s": n / seconds,
                    "startup_s": startup,
                    "cpu_ms_per_item": cpu_ms,
                    "info": info,
                }
            cpu_text = "" if cpu_ms is None else f"  {cpu_ms:5.1f} ms CPU/item"
            print(
                f"round {round_}: {name:42s} {seconds:6.2f} s {n / seconds:6.1f} items/s{cpu_text}",
                file=sys.stderr,
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if find_bwrap() is None:
        sys.exit("error: bubblewrap (bwrap) is not installed; the benchmark measures the sandbox")
    programs = humaneval_programs(args.data_dir)
    n = len(programs)
    configurations: dict[str, Measure] = {
        BASELINE: lambda: (0.0, *fresh_processes(programs, args.workers, bwrap=True), {}),
        "bare: fresh python per item, no bwrap": lambda: (
            0.0,
            *fresh_processes(programs, args.workers, bwrap=False),
            {},
        ),
        "ours, plain mode": lambda: our_sandbox(programs, args.workers, "plain"),
        FORK: lambda: our_sandbox(programs, args.workers, "fork"),
    }
    meter = CpuMeter()
    try:
        rows = measure_all(configurations, args.repeat, n, meter)
    finally:
        meter.close()

    print(f"\n{'configuration':44s} {'best':>8s} {'items/s':>8s} {'CPU/item':>10s} {'start-up':>9s}")
    for name, row in rows.items():
        cpu = "n/a" if row["cpu_ms_per_item"] is None else f"{row['cpu_ms_per_item']:.1f} ms"
        print(
            f"{name:44s} {row['seconds']:6.2f} s {row['items_per_s']:8.1f} {cpu:>10s} {row['startup_s']:7.2f} s"
        )
    ratio = rows[FORK]["items_per_s"] / rows[BASELINE]["items_per_s"]
    print(f"\nall {n} HumanEval reference solutions passed in every configuration ({args.workers} at a time)")
    print(f"ratio, ours (fork mode) / baseline: {ratio:.2f}x items/s   (target >= 2x)")
    cpu_ratio = None
    if rows[FORK]["cpu_ms_per_item"] and rows[BASELINE]["cpu_ms_per_item"]:
        cpu_ratio = rows[BASELINE]["cpu_ms_per_item"] / rows[FORK]["cpu_ms_per_item"]
        print(f"CPU per item, baseline / ours (fork mode): {cpu_ratio:.1f}x")
    info = rows[FORK]["info"]
    print(
        f"sandbox: {info.get('bwrap')}, python {info.get('python_version')} ({info.get('python')}), "
        f"uid {info.get('uid')}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end"
    )
    if args.json:
        doc = {
            "items": n,
            "workers": args.workers,
            "repeat": args.repeat,
            "rows": rows,
            "ratio_items_per_s": ratio,
            "ratio_cpu": cpu_ratio,
            "load_average_end": os.getloadavg()[0],
        }
        args.json.write_text(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
