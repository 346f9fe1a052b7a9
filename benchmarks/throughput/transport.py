"""Raw transport rates against the zero-latency loopback server (separate process): the measurements
behind the choice of aiohttp as the one transport under every adapter.

    .venv/bin/python benchmarks/throughput/transport.py [--requests 4000] [--concurrency 1,16,64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.servers import serve_process  # noqa: E402

BODY = orjson.dumps({"model": "test-model", "messages": [{"role": "user", "content": "What is 2+2?"}]})


async def _drive(post, n: int, concurrency: int) -> float:
    queue = iter(range(n))

    async def worker() -> None:
        for _ in queue:
            await post()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return n / (time.perf_counter() - start)


async def aiohttp_rate(url: str, n: int, concurrency: int) -> float:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def post() -> None:
            async with session.post(url, data=BODY, headers={"Content-Type": "application/json"}) as r:
                orjson.loads(await r.read())

        await _drive(post, 200, concurrency)  # warm the pool
        return await _drive(post, n, concurrency)


async def httpx_rate(url: str, n: int, concurrency: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        async def post() -> None:
            r = await client.post(url, content=BODY, headers={"Content-Type": "application/json"})
            orjson.loads(r.content)

        await _drive(post, 200, concurrency)
        return await _drive(post, n, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", default="1,16,64")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    with serve_process() as base:
        url = f"{base}/chat/completions"
        for c in [int(x) for x in args.concurrency.split(",")]:
            a = asyncio.run(aiohttp_rate(url, args.requests, c))
            h = asyncio.run(httpx_rate(url, args.requests, c))
            print(f"concurrency {c:>3}: aiohttp {a:7.0f} req/s   httpx {h:7.0f} req/s   ratio {a / h:4.1f}x")


if __name__ == "__main__":
    main()
