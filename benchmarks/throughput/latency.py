"""High concurrency against a slow endpoint: items/s as a fraction of the ideal (concurrency / latency)
for `asymmetry run` with client processes (automatic above the threshold), with one process, and for a
single-loop raw aiohttp client, all against the same loopback server (200 ms per reply, its own
process) in the same session, in rotated rounds. Client CPU per item counts every client process.

    nice -n 10 .venv/bin/python benchmarks/throughput/latency.py [--concurrency 1024] [--latency 0.2]
                                                              [--items 12000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.throughput.run import make_items, our_suite  # noqa: E402
from tests.servers import serve_process  # noqa: E402

BODY = orjson.dumps({"model": "test-model", "messages": [{"role": "user", "content": "What is 2+2?"}],
                     "max_tokens": 16})


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


async def _raw(url: str, n: int, concurrency: int) -> None:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        queue = iter(range(n))

        async def worker() -> None:
            for _ in queue:
                async with session.post(url, data=BODY, headers={"Content-Type": "application/json"}) as r:
                    orjson.loads(await r.read())

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def raw_aiohttp(url: str, n: int, concurrency: int) -> tuple[float, float]:
    started, cpu = time.perf_counter(), _cpu()
    asyncio.run(_raw(f"{url}/chat/completions", n, concurrency))
    return n / (time.perf_counter() - started), 1e6 * (_cpu() - cpu) / n


def ours(url: str, rows: list[dict], concurrency: int, processes: int | None, out: Path) -> tuple[float, float, int]:
    from harness.models import Decoding, parse_model_spec
    from harness.run.runner import RunConfig, execute

    started, cpu = time.perf_counter(), _cpu()
    config = RunConfig(models=[parse_model_spec(f"m=vllm:test-model@{url}")], suites=[our_suite(rows)], out=out,
                       run_id=f"c{concurrency}-{time.monotonic_ns()}", concurrency=concurrency, processes=processes,
                       decoding=Decoding(max_tokens=16), adapter_options={"timeout_s": 60.0})
    result = asyncio.run(execute(config, show_progress=False))
    elapsed = time.perf_counter() - started
    assert result.status == "complete" and result.written == len(rows), (result.status, result.written)
    return len(rows) / elapsed, 1e6 * (_cpu() - cpu) / len(rows), result.processes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=1024)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--items", type=int, default=12000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ideal = args.concurrency / args.latency
    rows = make_items(args.items)
    import harness.run.runner  # noqa: F401  (imports outside the timings)
    import harness.run.workers  # noqa: F401

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    print(f"concurrency {args.concurrency}, server latency {args.latency * 1000:.0f} ms -> ideal {ideal:,.0f} items/s; "
          f"{args.items:,} items per measurement, {args.rounds} rotated rounds, medians")
    results: dict[str, list[tuple[float, float]]] = {"raw aiohttp, one loop": [], "asymmetry, one process": [],
                                                     "asymmetry, client processes (auto)": []}
    procs_used = 0
    with tempfile.TemporaryDirectory() as tmp, serve_process("--latency", str(args.latency)) as url:
        out = Path(tmp)
        raw_aiohttp(url, 1000, 256)  # warm-up
        names = list(results)
        for r in range(args.rounds):
            for name in names[r % 3:] + names[: r % 3]:
                if name.startswith("raw"):
                    results[name].append(raw_aiohttp(url, args.items, args.concurrency))
                elif "one process" in name:
                    rate, cpu, _ = ours(url, rows, args.concurrency, 1, out)
                    results[name].append((rate, cpu))
                else:
                    rate, cpu, procs_used = ours(url, rows, args.concurrency, None, out)
                    results[name].append((rate, cpu))
                print(f"  round {r + 1}: {name:<36} {results[name][-1][0]:7,.0f} items/s  "
                      f"{results[name][-1][1]:5.0f} us CPU/item", flush=True)
    print()
    medians = {name: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
               for name, v in results.items()}
    for name, (rate, cpu) in medians.items():
        label = name.replace("(auto)", f"(auto: {procs_used})")
        print(f"{label:<40} {rate:7,.0f} items/s = {100 * rate / ideal:4.0f}% of ideal   {cpu:5.0f} us client CPU/item")
    raw_rate, raw_cpu = medians["raw aiohttp, one loop"]
    mp_rate, mp_cpu = medians["asymmetry, client processes (auto)"]
    one_rate, one_cpu = medians["asymmetry, one process"]
    print(f"\nclient processes vs raw aiohttp: {mp_rate / raw_rate:.2f}x items/s (target > 1, and >= 60% of ideal)")
    print(f"client CPU per item vs raw aiohttp: processes {mp_cpu / raw_cpu:.2f}x, one process {one_cpu / raw_cpu:.2f}x "
          "(target <= 1.3x)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
