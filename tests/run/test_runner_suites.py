"""The runner over the real suites (built-in and reference datasets), and replay of those runs: the same
records again without the model, multi-turn tool items included."""

from __future__ import annotations

import asyncio

import pytest

from harness.models import parse_model_spec
from harness.run.runner import RunConfig, execute
from harness.run.store import iter_records, read_manifest
from harness.suites.build import load_suites
from tests.servers import Reply, serve


def agentish(request) -> Reply | str:
    """Calls the first offered tool once, then answers; code prompts get a tiny program; else echo."""
    body = request.body or {}
    messages = body.get("messages", [])
    if body.get("tools") and not any(m.get("role") == "tool" for m in messages):
        name = body["tools"][0]["function"]["name"]
        return Reply(text=None, tool_calls=((name, {}),))
    if body.get("tools"):
        return "done"
    return "```python\nprint(42)\n```" if "python" in request.prompt.lower() else request.prompt


def run(tmp_path, models, suites, run_id):
    config = RunConfig(models=models, suites=suites, out=tmp_path / "results", run_id=run_id, concurrency=8)
    return asyncio.run(execute(config, show_progress=False))


def view(run_dir):
    return {(r["suite"], r["item_id"], r["sample"]): (r["score"], r["response"], r["error"], len(r["turns"]))
            for r in iter_records(run_dir)}


@pytest.mark.slow
def test_builtin_suites_run_and_replay_identically(tmp_path):
    suites = load_suites(["builtin"], limit=6)
    assert {s.capability for s in suites} == {"coding", "agentic", "math", "factual"}
    with serve(answer=agentish) as srv:
        original = run(tmp_path, [parse_model_spec(f"m=vllm:test-model@{srv.base_url}")], suites, "orig")
    records = list(iter_records(original.run_dir))
    assert len(records) == 6 * len(suites) and not any(r["error"] == "harness" for r in records)
    tools = [r for r in records if r["capability"] == "agentic"]
    assert any(r["usage"]["calls"] >= 2 for r in tools)  # multi-turn items really happened
    replayed = run(tmp_path, [parse_model_spec(f"r=replay:m@{original.run_dir}")], load_suites(["builtin"], limit=6),
                   "replayed")
    assert view(replayed.run_dir) == view(original.run_dir)
    assert read_manifest(replayed.run_dir)["models"][0]["served_models"] == ["test-model"]


def test_reference_gsm8k_runs_with_suite_versions_and_provenance(tmp_path, shared_data):
    suites = load_suites(["gsm8k"], shared_data, limit=5)
    with serve(answer=lambda r: "The answer is 18") as srv:
        result = run(tmp_path, [parse_model_spec(f"m=vllm:test-model@{srv.base_url}")], suites, "g")
    manifest = read_manifest(result.run_dir)
    entry = manifest["suites"][0]
    assert entry["name"] == "gsm8k" and entry["version"] == suites[0].version and entry["n_items"] == 5
    assert entry["content_sha256"].startswith(suites[0].version) and entry["provenance"]["files"][0]["sha256"]
    first = next(iter_records(result.run_dir))
    assert first["item_id"] == suites[0].items[0].id and first["item_hash"] == suites[0].items[0].hash
    assert first["correct"]  # GSM8K test item 0 (Janet's ducks) is 18
