"""End-to-end throughput of `asymmetry run` against a zero-latency loopback OpenAI-compatible server,
with lm-eval 0.4.13's `local-chat-completions` API backend on the same server and items as the baseline.

"End to end" for us: every item requested, scored by the real `single_turn` solver with the `exact`
scorer, journaled (batch-flushed, fsynced at the end) and the manifest written with the journal's
sha256: `harness.run.runner.execute` exactly as `asymmetry run` calls it. For lm-eval: `simple_evaluate`
on a local `generate_until` task with `exact_match` (no log_samples). Imports are excluded from both
timings; each figure is the best of --repeat runs. The server runs in its own process.

    .venv/bin/python benchmarks/throughput/run.py [--items 4000] [--concurrency 1,8,32,64,128]
                                                  [--lmeval-concurrency 8,32] [--repeat 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.servers import serve_process  # noqa: E402


def make_items(n: int) -> list[dict]:
    """Questions whose echo is right for two thirds of them (the server echoes the prompt)."""
    return [{"id": str(i), "question": f"What is item {i}?",
             "answer": f"What is item {i}?" if i % 3 else "something else"} for i in range(n)]


def our_suite(rows: list[dict]):
    from harness.items import Item, Suite
    from harness.suites.solvers import SOLVERS

    spec = {"name": "bench", "prompt": {"template": "{question}"}, "scorer": {"kind": "exact"},
            "solver": {"kind": "single_turn"}}
    items = tuple(Item(id=r["id"], input={"question": r["question"]}, target=r["answer"]) for r in rows)
    return Suite("bench", "v1", "targeted", "coding", items, SOLVERS["single_turn"](spec))


def run_ours(url: str, rows: list[dict], concurrency: int, out: Path, progress: bool) -> tuple[float, float, float]:
    from harness.models import Decoding, parse_model_spec
    from harness.run.runner import RunConfig, execute
    from harness.run.store import read_manifest

    started, cpu = time.perf_counter(), time.process_time()
    suite = our_suite(rows)
    config = RunConfig(models=[parse_model_spec(f"m=vllm:test-model@{url}")], suites=[suite], out=out,
                       run_id=f"c{concurrency}-{time.monotonic_ns()}", concurrency=concurrency,
                       decoding=Decoding(max_tokens=16))
    result = asyncio.run(execute(config, show_progress=progress))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    manifest = read_manifest(result.run_dir)
    assert manifest["counts"]["records"] == len(rows) and not manifest["counts"]["errors"], manifest["counts"]
    accuracy = manifest["counts"]["by_model_suite"][0]["accuracy"]
    return len(rows) / elapsed, accuracy, 1e6 * cpu / len(rows)


def run_lmeval(url: str, data: Path, concurrency: int, task_dir: Path) -> tuple[float, float, float]:
    import lm_eval
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(task_dir), include_defaults=False)
    started, cpu = time.perf_counter(), time.process_time()
    results = lm_eval.simple_evaluate(
        model="local-chat-completions",
        model_args=(f"model=test-model,base_url={url}/chat/completions,num_concurrent={concurrency},"
                    "max_retries=1,tokenized_requests=False,max_gen_toks=16"),
        tasks=["asymmetry_bench"], task_manager=manager, apply_chat_template=True, log_samples=False,
        random_seed=0, numpy_random_seed=0, torch_random_seed=0, fewshot_random_seed=0)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    n = int(results["n-samples"]["asymmetry_bench"]["effective"])
    accuracy = results["results"]["asymmetry_bench"]["exact_match,none"]
    return n / elapsed, accuracy, 1e6 * cpu / n


def write_lmeval_task(folder: Path, data: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "asymmetry_bench.yaml").write_text(
        "task: asymmetry_bench\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: generate_until\n"
        'doc_to_text: "{{question}}"\n'
        'doc_to_target: "{{answer}}"\n'
        "generation_kwargs:\n  until: []\n  do_sample: false\n  max_gen_toks: 16\n"
        "metric_list:\n  - metric: exact_match\n    aggregation: mean\n    higher_is_better: true\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=4000)
    parser.add_argument("--concurrency", default="1,8,32,64,128")
    parser.add_argument("--lmeval-concurrency", default="8,32", help="empty to skip the baseline")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--progress", action="store_true", help="show our progress bars (as the CLI does)")
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.disable(logging.WARNING)
    rows = make_items(args.items)
    ours_c = [int(c) for c in args.concurrency.split(",") if c]
    theirs_c = [int(c) for c in args.lmeval_concurrency.split(",") if c]

    import harness.run.runner  # noqa: F401  (imports outside the timings)
    import harness.suites.solvers  # noqa: F401
    if theirs_c:
        import lm_eval  # noqa: F401

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    print(f"items: {args.items}; best of {args.repeat}; server: zero-latency loopback, separate process")
    ours: dict[int, float] = {}
    theirs: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp, serve_process() as url:
        tmp_path = Path(tmp)
        data = tmp_path / "items.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
        write_lmeval_task(tmp_path / "tasks", data)
        run_ours(url, rows[:500], 32, tmp_path / "warm", False)  # warm-up
        for c in ours_c:
            rates = [run_ours(url, rows, c, tmp_path / "ours", args.progress) for _ in range(args.repeat)]
            ours[c] = max(r[0] for r in rates)
            print(f"asymmetry  concurrency {c:>4}: {ours[c]:8.0f} items/s   client CPU {min(r[2] for r in rates):5.0f} us/item"
                  f"   (accuracy {rates[0][1]:.3f})", flush=True)
        for c in theirs_c:
            rates = [run_lmeval(url, data, c, tmp_path / "tasks") for _ in range(args.repeat)]
            theirs[c] = max(r[0] for r in rates)
            print(f"lm-eval    concurrency {c:>4}: {theirs[c]:8.0f} items/s   client CPU {min(r[2] for r in rates):5.0f} us/item"
                  f"   (accuracy {rates[0][1]:.3f})", flush=True)
    best_ours = max(ours.values())
    print(f"\nbest asymmetry: {best_ours:.0f} items/s (target >= 2000)")
    if theirs:
        best_theirs = max(theirs.values())
        print(f"best lm-eval:   {best_theirs:.0f} items/s")
        print(f"ratio (best vs best): {best_ours / best_theirs:.1f}x (target >= 5x)")
        for c in theirs_c:
            if c in ours:
                print(f"ratio at concurrency {c}: {ours[c] / theirs[c]:.1f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
