"""Simulation-based calibration of the asymmetry statistics: size, coverage and power of every estimator and test
of the methods document (methods §2-4), on simulated releases.

Simulates the §3.1 data-generating process (tests/sim) for the §3.2 null scenarios N1-N7 and the §3.3
power checks, runs the production estimators of `harness.stats` (and the documented-invalid procedures of
`harness.stats.robustness`) on every replication, and prints size, coverage and power with Monte Carlo SEs
and seeds. Any procedure whose size leaves the acceptance band in a scenario it claims is flagged; the
documented-invalid uses must show their known failures. Writes benchmarks/calibration/out/calibration_report.md.

    .venv/bin/python benchmarks/calibration/run.py --quick          # R = 1,000 per cell (~2 min on 2 cores)
    .venv/bin/python benchmarks/calibration/run.py                  # R = 5,000 per cell (the acceptance run)
    .venv/bin/python benchmarks/calibration/run.py --only N1,N5 --reps 2000 --jobs 1
    .venv/bin/python benchmarks/calibration/run.py --quick --curves # + §3.3 L1 power curves (PNG + table)
    nice -n 10 .venv/bin/python benchmarks/calibration/run.py --primary --quick   # §1.4b grid, R = 1,000
    nice -n 10 .venv/bin/python benchmarks/calibration/run.py --primary           # §1.4b core grid, R = 5,000

`--primary` runs the §1.4b grid instead (tests/sim/verdict_cal.py): the primary asymmetry (random item-gain
model) and the verdict sentence under heterogeneous item gains, σ ∈ {0, 0.5, 1, 1.5}, k ∈ {1, 3, 10},
baselines 10-95% in either group, suite sizes 30-5,000, sparse suites and clusters, plus power. Every
--quick (R = 1,000) runs 32 of the grid's 66 cells (QUICK below: the corners thinned to fit a shared 2-core
machine); R = 5,000 (the default) runs the 5 CORE cells where the design is most at risk; --cells all runs
every cell at any R.
Writes benchmarks/calibration/out/primary_report.md.

Exit status 1 when any claim is flagged (so CI can gate on it), 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sim.calibrate import plot_curves, render_curves, render_report, run_all  # noqa: E402
from sim.scenarios import CURVE_ANCHORS, all_cells, curve_cells  # noqa: E402

from harness import __version__  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def _commit() -> str:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=False)
        return done.stdout.strip() or "unknown commit"
    except OSError:
        return "unknown commit"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="R = 1,000 per cell (the CI smoke version)")
    parser.add_argument("--reps", type=int, default=None, help="replications per cell (default 5,000)")
    parser.add_argument("--only", default="", help="comma-separated cell-id prefixes, e.g. N1,N4/S=4,P3")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    parser.add_argument("--out", type=Path, default=OUT / "calibration_report.md", help="report path")
    parser.add_argument("--curves", action="store_true",
                        help="also simulate the §3.3 L1 power curves (R = 2,000 per point unless --reps) and "
                             "draw power_curves.png beside the report")
    parser.add_argument("--primary", action="store_true", help="the §1.4b grid: primary asymmetry and verdict")
    parser.add_argument("--cells", choices=("quick", "core", "all"), default=None,
                        help="--primary: which cells (default: quick at R <= 1,000, core above)")
    args = parser.parse_args(argv)
    if args.primary:
        return _primary(args, argv)

    reps = args.reps or (1_000 if args.quick else 5_000)
    if reps < 50:
        parser.error("--reps must be at least 50")
    cells = all_cells()
    if args.only:
        prefixes = [p.strip() for p in args.only.split(",") if p.strip()]
        cells = [c for c in cells if any(c.id == p or c.id.startswith(p) for p in prefixes)]
        if not cells:
            parser.error(f"--only {args.only!r} matches no cell; ids look like N1, N4/S=6, N5/normal/C=8, P2")
    command = "benchmarks/calibration/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"calibration: {len(cells)} cells x R = {reps:,} ({args.jobs} process(es))", file=sys.stderr)

    def progress(cell: object, rows: list, elapsed: float) -> None:
        flags = sum(r.flagged for r in rows)
        mark = f"  {flags} FLAG(S)" if flags else ""
        print(f"  {cell.id:<16} {elapsed:6.1f} s{mark}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    rows = run_all(cells, reps, on_done=progress, jobs=args.jobs)
    elapsed = time.perf_counter() - start
    report = render_report(rows, reps=reps, command=command.strip(), elapsed_s=elapsed,
                           version=f"asymmetry {__version__}, {_commit()}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.curves:
        curve_reps = args.reps or 2_000
        points = curve_cells()
        print(f"power curves: {len(points)} points x R = {curve_reps:,}", file=sys.stderr)
        curve_rows = run_all(points, curve_reps, on_done=progress, jobs=args.jobs)
        report += "\n" + render_curves(curve_rows, CURVE_ANCHORS, curve_reps)
        png = args.out.with_name("power_curves.png")
        plot_curves(curve_rows, CURVE_ANCHORS, png)
        report += f"\n![L1 power curves]({png.name})\n"
    args.out.write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"\nwritten: {args.out}", file=sys.stderr)
    return 1 if any(r.flagged for r in rows) else 0


#: The §1.4b grid as run on the shared 2-core machine (every cell of tests/sim/verdict_cal.py is 66 cells: at
#: R = 1,000 that is ~10 CPU-hours here, so the corners are thinned and said so in the report). QUICK: R = 1,000.
QUICK = ("V/s=0/k=1/T-high", "V/s=0/k=1/T-low", "V/s=1/k=1/T-high", "V/s=1/k=1/T-low", "V/s=1.5/k=1/T-high",
         "V/s=1.5/k=1/T-low", "V/s=0/k=3/T-high", "V/s=0/k=3/T-low", "V/s=0.5/k=3/T-high", "V/s=1/k=3/T-high",
         "V/s=1/k=3/T-low", "V/s=1.5/k=3/T-high", "V/s=1.5/k=3/T-low", "V/s=1/k=3/even", "V/s=0/k=10/T-high",
         "V/s=1.5/k=10/T-high", "V/s=1/k=10/T-low", "V/sizes/k=3", "V/sparse/k=1", "V/sparse/k=3",
         "V/clusters/k=3", "V/few-clusters/k=3", "V/audit-6+6/k=3", "R/bimodal/k=3", "R/rho/k=3", "R/sigma2.5/k=1",
         "P/k=1/d=1/T-high", "P/k=3/d=0.5/T-high", "P/k=3/d=1/T-high", "P/k=3/d=0.5/even", "P/k=10/d=0.5/T-high",
         "P/k=3/d=0.5/6+6x500")
#: R = 5,000 (the acceptance run), sized to the shared machine (~400 s of wall time per 1,000 replications
#: here): the cells where the design is most at risk (targeted and untargeted baselines far apart; σ = 0,
#: 1 and 1.5, with one and three samples per item).
CORE = ("V/s=0/k=1/T-high", "V/s=1.5/k=1/T-high", "V/s=0/k=3/T-high", "V/s=1/k=3/T-high", "V/s=1.5/k=3/T-low")


def _primary(args: argparse.Namespace, argv: list[str] | None) -> int:
    from sim.verdict_cal import null_vcells, power_vcells, render_vtable, run_vcells

    reps = args.reps or (1_000 if args.quick else 5_000)
    which = args.cells or ("quick" if reps <= 1_000 else "core")
    cells = null_vcells() + power_vcells()
    if which != "all":
        chosen = QUICK if which == "quick" else CORE
        cells = sorted((c for c in cells if c.id in chosen), key=lambda c: chosen.index(c.id))
    if args.only:
        prefixes = [p.strip() for p in args.only.split(",") if p.strip()]
        cells = [c for c in cells if any(c.id.startswith(p) for p in prefixes)]
    command = "benchmarks/calibration/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"primary calibration: {len(cells)} cells x R = {reps:,} ({args.jobs} process(es))", file=sys.stderr)

    def progress(row: object) -> None:
        print(f"  {row.cell.id:<24} {row.elapsed:7.1f} s  verdict {row.verdict_rate:6.1%}  primary "
              f"{row.primary_size:6.1%}  coverage {row.coverage:6.1%}  {row.status}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    rows = run_vcells(cells, reps, jobs=args.jobs, on_done=progress)
    elapsed = time.perf_counter() - start
    note = (f"Generated by `{command.strip()}` (asymmetry {__version__}, {_commit()}); R = {reps:,} replications per "
            f"cell ({which} cells); {elapsed:.0f} s wall on this machine ({args.jobs} process(es)). Seeds: CRC32 of "
            "each cell id. Acceptance band at this R: nominal ± max(1 pp, 3 MC SE).")
    report = "# Calibration of the primary asymmetry and the verdict (§1.4b)\n\n" + render_vtable(rows, note)
    out = args.out if args.out != OUT / "calibration_report.md" else OUT / "primary_report.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"\nwritten: {out}", file=sys.stderr)
    return 1 if any(r.flagged for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
