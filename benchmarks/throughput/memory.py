"""Peak RSS of a fresh run, a resume of it (everything already done: the journal is verified and
scanned), and a replay of it, at N records, each in its own process, against the zero-latency loopback
server (separate process). Resume should stay within +25 MB of the fresh run; replay keeps answers on disk.

    nice -n 10 .venv/bin/python benchmarks/throughput/memory.py [--items 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def child(url: str, out: str, items: int, mode: str) -> None:
    from benchmarks.throughput.run import make_items, our_suite
    from harness.models import Decoding, parse_model_spec
    from harness.run.runner import RunConfig, execute

    started = time.perf_counter()
    suite = our_suite(make_items(items))
    loaded = time.perf_counter() - started
    spec = f"m=vllm:test-model@{url}" if mode != "replay" else f"m=replay:m@{out}/r"
    config = RunConfig(models=[parse_model_spec(spec)], suites=[suite], out=Path(out),
                       run_id="r" if mode != "replay" else "replayed", concurrency=64, decoding=Decoding(max_tokens=16))
    result = asyncio.run(execute(config, show_progress=False))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "rss_mb": rss, "written": result.written, "skipped": result.skipped,
                      "status": result.status, "suite_build_s": loaded, "s": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.items, args.child[2])
        return
    from tests.servers import serve_process

    with tempfile.TemporaryDirectory() as tmp, serve_process() as url:
        for mode in ("fresh", "resume", "replay"):
            out = subprocess.run([sys.executable, __file__, "--items", str(args.items), "--child", url, tmp, mode],
                                 capture_output=True, text=True, check=True).stdout
            print(out.strip(), flush=True)
        print(f"journal: {(Path(tmp) / 'r' / 'items.jsonl').stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
