"""The run engine against real loopback servers: every unit exactly once, errors by kind, resume,
configuration identity, replay, warnings."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.items import Item, Outcome, Suite, sha256_file
from harness.models import ChatRequest, Decoding, parse_model_spec, with_options
from harness.records import RECORD_FIELDS, ItemRecord
from harness.run.runner import RunConfig, default_run_id, execute
from harness.run.store import iter_records, read_manifest
from tests.servers import Faults, Reply, serve


def exact_suite(name: str = "s", n: int = 12, *, prefix: str = "", category: str = "targeted",
                capability: str = "coding", dated: bool = False) -> Suite:
    """An exact-match suite: item i asks 'q-i'; every third target differs from the echo (a wrong answer).
    `dated`: the first half of the items was published in 2023, the rest in 2026."""
    items = [Item(id=str(i), input={"q": f"{name} q-{i}"}, target=f"{name} q-{i}" if i % 3 else "other",
                  release_date=("2023-01-15" if i < n // 2 else "2026-06-01") if dated else None)
             for i in range(n)]

    async def solve(item: Item, generate) -> Outcome:
        response = await generate(ChatRequest(messages=[{"role": "user", "content": prefix + item.input["q"]}]))
        ok = response.text.strip() == item.target
        return Outcome(float(ok), ok, None, response.text, response.text.strip())

    return Suite(name, "v1", category, capability, tuple(items), solve)


def two_turn_suite(n: int = 4) -> Suite:
    """A tool-style suite with two model calls per item, the second depending on the first answer."""
    items = [Item(id=str(i), input={"q": f"t-{i}"}, target=f"result: t-{i}!") for i in range(n)]

    async def solve(item: Item, generate) -> Outcome:
        messages = [{"role": "user", "content": item.input["q"]}]
        first = await generate(ChatRequest(messages=messages))
        messages += [{"role": "assistant", "content": first.text},
                     {"role": "user", "content": f"result: {first.text}!"}]
        second = await generate(ChatRequest(messages=messages))
        ok = second.text == item.target
        return Outcome(float(ok), ok, None, second.text)

    return Suite("tools", "v1", "targeted", "agentic", tuple(items), solve)


def spec(url: str, label: str = "m", model: str = "test-model", **options):
    s = parse_model_spec(f"{label}=vllm:{model}@{url}")
    return with_options(s, options, where="test") if options else s


def run(tmp_path: Path, models, suites, **kwargs):
    kwargs.setdefault("adapter_options", {"backoff_s": 0.01, "max_backoff_s": 0.05, "timeout_s": 2.0})
    config = RunConfig(models=models, suites=suites, out=tmp_path / "results", **kwargs)
    return asyncio.run(execute(config, show_progress=False))


def keys(run_dir: Path) -> list[tuple]:
    return [(r["model"], r["suite"], r["item_id"], r["sample"]) for r in iter_records(run_dir)]


def test_a_run_journals_every_unit_once_with_scores_and_a_checkable_manifest(tmp_path):
    with serve(answer=lambda r: Reply(r.prompt, model="Org/Served-7B")) as srv:
        result = run(tmp_path, [spec(srv.base_url, "a"), spec(srv.base_url, "b")],
                     [exact_suite("s1", 9), exact_suite("s2", 6, category="untargeted", capability="math")],
                     samples=2, decoding=Decoding(temperature=0.7, seed=100, max_tokens=64), concurrency=4)
    records = list(iter_records(result.run_dir))
    assert Counter(keys(result.run_dir)).most_common(1)[0][1] == 1 and len(records) == 2 * (9 + 6) * 2
    assert all(set(RECORD_FIELDS) <= set(r) for r in records)
    declared = ItemRecord.__required_keys__ | ItemRecord.__optional_keys__  # the record's TypedDict names them all
    assert ItemRecord.__required_keys__ == set(RECORD_FIELDS) and all(set(r) <= declared for r in records)
    wrong = [r for r in records if r["item_id"] in {"0", "3", "6"}]
    assert all(r["score"] == 0 and not r["correct"] and r["error"] is None for r in wrong)
    assert sum(r["correct"] for r in records) == len(records) - len(wrong)
    assert {r["seed"] for r in records} == {100, 101} and {r["served_model"] for r in records} == {"Org/Served-7B"}
    sent_seeds = Counter(e.request.body["seed"] for e in srv.generation_requests())
    assert sent_seeds == {100: 30, 101: 30}
    manifest = read_manifest(result.run_dir)
    assert manifest["status"] == "complete" and manifest["counts"]["records"] == 60
    assert manifest["journal_sha256"] == sha256_file(result.run_dir / "items.jsonl")
    assert manifest["decoding"]["temperature"] == 0.7 and manifest["seeds"] == [100, 101]
    assert [(s["name"], s["version"]) for s in manifest["suites"]] == [("s1", "v1"), ("s2", "v1")]
    assert manifest["models"][0]["served_models"] == ["Org/Served-7B"] and manifest["models"][0]["seed_sent"]
    assert manifest["models"][0]["base_urls"] == [srv.base_url]
    row = next(r for r in result.rows if (r["model"], r["suite"]) == ("a", "s1"))
    assert row["records"] == 18 and row["score_sum"] / row["scored"] == pytest.approx(12 / 18)


def test_item_release_dates_reach_the_journal_so_compare_can_split_fresh_items(tmp_path):
    from harness.compare import compare
    from harness.table import load_item_table

    with serve(answer=lambda r: r.prompt if r.body["model"] == "new" or "q-1" not in r.prompt else "no",
               models=("old", "new")) as srv:
        result = run(tmp_path, [spec(srv.base_url, "old", "old"), spec(srv.base_url, "new", "new")],
                     [exact_suite("t", 40, dated=True),
                      exact_suite("u", 40, category="untargeted", capability="math", dated=True)])
    table = load_item_table(results=[result.run_dir])
    assert set(table["release_date"]) == {"2023-01-15", "2026-06-01"}
    doc = compare(table, "old", "new", cutoffs={"old": "2024-06-30", "new": "2025-12-31"}, n_boot=200)
    split = doc["contamination"]
    assert split is not None and split["fresh"]["n_items"] == 40 and split["old"]["n_items"] == 40


def test_faults_end_as_error_kinds_never_as_wrong_answers_and_nothing_is_lost(tmp_path):
    permanent = {"s q-1": "500", "s q-2": "drop", "s q-4": "malformed", "s q-5": "hang"}
    faults = Faults(when=lambda r: permanent.get(r.prompt), rate={"503": 0.15, "429": 0.05}, seed=3, hang_s=5)
    with serve(faults=faults) as srv:
        result = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 40)], concurrency=8,
                     adapter_options={"backoff_s": 0.005, "max_backoff_s": 0.02, "timeout_s": 0.25, "retries": 6})
    records = {r["item_id"]: r for r in iter_records(result.run_dir)}
    assert sorted(records, key=int) == [str(i) for i in range(40)] and len(keys(result.run_dir)) == 40
    assert {k: records[k]["error"] for k in ("1", "2", "4", "5")} == {
        "1": "http_5xx", "2": "connection", "4": "malformed_response", "5": "timeout"}
    assert all(records[k]["score"] == 0 and not records[k]["correct"] for k in ("1", "2", "4", "5"))
    assert "after 7 attempt(s)" in records["1"]["error_message"]
    rest = [r for k, r in records.items() if k not in {"1", "2", "4", "5"}]
    assert all(r["error"] is None for r in rest)  # transient 503/429 were retried away
    assert all(r["correct"] == (int(r["item_id"]) % 3 != 0) for r in rest)
    assert read_manifest(result.run_dir)["counts"]["errors"] == {
        "http_5xx": 1, "connection": 1, "malformed_response": 1, "timeout": 1}


def test_resuming_asks_infrastructure_failures_again_and_the_answer_supersedes_the_error(tmp_path):
    down = {"s q-1": "500", "s q-2": "drop", "s q-4": "503"}
    fast = {"backoff_s": 0.005, "max_backoff_s": 0.02, "timeout_s": 1.0, "retries": 1}
    with serve(faults=Faults(when=lambda r: down.get(r.prompt))) as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 12)], adapter_options=fast)
    assert sorted(r["error"] or "" for r in iter_records(first.run_dir))[-3:] == ["connection", "http_5xx", "http_5xx"]
    with serve() as srv:  # the endpoint is healthy again: the same command resumes
        second = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 12)], adapter_options=fast)
        assert sorted(e.request.prompt for e in srv.generation_requests()) == ["s q-1", "s q-2", "s q-4"]
    assert (second.run_dir, second.retried, second.written, second.skipped) == (first.run_dir, 3, 3, 9)
    current = list(iter_records(second.run_dir))
    assert len(current) == 12 and all(r["error"] is None for r in current)
    assert len(list(iter_records(second.run_dir, history=True))) == 15  # append-only: the errors stay as history
    manifest = read_manifest(second.run_dir)
    assert manifest["counts"]["records"] == 12 and manifest["counts"]["errors"] == {}
    assert manifest["journal_sha256"] == sha256_file(second.run_dir / "items.jsonl")
    from harness.table import load_item_table

    assert len(load_item_table(results=[second.run_dir])) == 12  # readers see one record per unit


def test_model_errors_are_the_models_answer_and_are_not_asked_again(tmp_path):
    async def solve(item, generate):
        response = await generate(ChatRequest(messages=[{"role": "user", "content": item.input}]))
        return Outcome(0.0, False, "parse_failure", response.text)

    suite = Suite("p", "v1", "targeted", "agentic", tuple(Item(id=str(i), input=f"q{i}") for i in range(4)), solve)
    with serve() as srv:
        run(tmp_path, [spec(srv.base_url)], [suite])
        again = run(tmp_path, [spec(srv.base_url)], [suite])
        assert len(srv.generation_requests()) == 4
    assert (again.retried, again.written, again.skipped) == (0, 0, 4)


def test_an_endpoint_that_keeps_failing_trips_the_breaker_instead_of_journaling_every_item(tmp_path):
    from harness.run.runner import BREAKER_THRESHOLD

    with serve(faults=Faults(rate={"503": 1.0})) as srv:
        result = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 200)], concurrency=4,
                     adapter_options={"backoff_s": 0.001, "max_backoff_s": 0.002, "timeout_s": 1.0, "retries": 0})
    journaled = list(iter_records(result.run_dir))
    assert BREAKER_THRESHOLD <= len(journaled) < BREAKER_THRESHOLD + 4  # in-flight units finish, nothing more
    assert {r["error"] for r in journaled} == {"http_5xx"} and result.status == "incomplete"
    assert result.unanswered == {"m": 200}  # the failed units and those never asked
    assert any("stopped after" in w and "re-run the same command" in w for w in result.warnings)


def test_an_endpoint_refusing_connections_is_an_error_before_anything_is_written(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserError, match=r"m: cannot connect to http://127.0.0.1:\d+/v1; start the server"):
        run(tmp_path, [spec(f"http://127.0.0.1:{port}/v1")], [exact_suite("s", 3)])
    assert not (tmp_path / "results").exists()


def test_same_configuration_resumes_and_skips_completed_units(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 10)], limit=None, samples=2)
        n = len(srv.generation_requests())
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 10)], samples=2)
        assert len(srv.generation_requests()) == n  # nothing re-asked
    assert again.run_dir == first.run_dir and again.resumed and again.written == 0 and again.skipped == 20
    assert len(keys(first.run_dir)) == 20 and len(read_manifest(first.run_dir)["sessions"]) == 2


def test_a_longer_suite_after_a_limited_run_only_asks_the_new_items(tmp_path):
    with serve() as srv:
        small = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 5)], limit=5)
        full = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 12)])
        assert len(srv.generation_requests()) == 12
    assert small.run_dir == full.run_dir and full.skipped == 5 and full.written == 7


def test_changed_configuration_under_the_same_run_id_is_refused(tmp_path):
    with serve() as srv:
        run(tmp_path, [spec(srv.base_url)], [exact_suite()], run_id="mine")
        with pytest.raises(UserError, match=r"different configuration \(decoding changed\).*--run-id") as info:
            run(tmp_path, [spec(srv.base_url)], [exact_suite()], run_id="mine", decoding=Decoding(temperature=1.0))
    assert "\n" not in str(info.value)
    assert len(keys(tmp_path / "results" / "mine")) == 12  # the completed run is untouched


def test_default_run_id_follows_configuration_not_urls_or_concurrency():
    a = RunConfig(models=[spec("http://h1/v1")], suites=[exact_suite()], concurrency=1, suite_request=["default"])
    b = RunConfig(models=[spec("http://h2/v1")], suites=[exact_suite()], concurrency=64, suite_request=["default"])
    c = RunConfig(models=[spec("http://h1/v1")], suites=[exact_suite()], samples=3, suite_request=["default"])
    assert default_run_id(a) == default_run_id(b) != default_run_id(c)
    assert default_run_id(a).startswith("m_default-")


def test_a_torn_last_line_is_repaired_on_resume(tmp_path):
    with serve() as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
        journal = first.run_dir / "items.jsonl"
        with open(journal, "ab") as f:  # a crash in the middle of a record written after the last checkpoint
            f.write(journal.read_bytes().splitlines(keepends=True)[4][:30])
        again = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 6)])
    assert again.written == 0 and sorted(k[2] for k in keys(first.run_dir)) == [str(i) for i in range(6)]
    assert read_manifest(first.run_dir)["sessions"][-1]["repaired_bytes"] == 30


def test_two_writers_on_one_run_are_refused(tmp_path):
    from harness.run.store import Journal

    (tmp_path / "r").mkdir()
    held = Journal(tmp_path / "r")
    try:
        with pytest.raises(UserError, match="another asymmetry process"):
            Journal(tmp_path / "r")
    finally:
        held.close()


def test_a_bug_in_a_suite_is_journaled_as_harness_error_and_the_run_goes_on(tmp_path):
    suite = exact_suite("s", 6)

    async def solve(item, generate):
        if item.id == "2":
            raise RuntimeError("scorer exploded")
        return await suite.solve(item, generate)

    broken = Suite("s", "v1", "targeted", "coding", suite.items, solve)
    with serve() as srv:
        result = run(tmp_path, [spec(srv.base_url)], [broken])
    records = {r["item_id"]: r for r in iter_records(result.run_dir)}
    assert records["2"]["error"] == "harness" and "scorer exploded" in records["2"]["error_message"]
    assert sum(r["error"] is None for r in records.values()) == 5


def test_stopping_at_max_tokens_without_an_answer_is_truncated_and_warned(tmp_path):
    with serve(answer=lambda r: Reply("thinking about it", finish_reason="length"), models=("Qwen/Qwen3-8B",)) as srv:
        result = run(tmp_path, [spec(srv.base_url, model="Qwen/Qwen3-8B")], [exact_suite("s", 3)],
                     decoding=Decoding(max_tokens=512))
    assert {r["error"] for r in iter_records(result.run_dir)} == {"truncated"}
    assert any("looks like a reasoning model" in w for w in result.warnings)
    assert any("3 record(s) stopped at max_tokens=512" in w for w in result.warnings)


def test_no_reasoning_warning_when_thinking_is_switched_off(tmp_path):
    extra = {"chat_template_kwargs": {"enable_thinking": False}}
    with serve(models=("Qwen/Qwen3-8B",)) as srv:
        result = run(tmp_path, [spec(srv.base_url, model="Qwen/Qwen3-8B", extra=extra)], [exact_suite("s", 2)])
    assert result.warnings == []
    assert all(e.request.body["chat_template_kwargs"] == {"enable_thinking": False} for e in srv.generation_requests())


def test_replay_rescores_a_run_without_the_model_including_multi_turn_items(tmp_path):
    with serve(answer=lambda r: r.prompt.upper() if r.prompt.startswith("result") else r.prompt) as srv:
        original = run(tmp_path, [spec(srv.base_url, "orig")], [exact_suite("s", 6), two_turn_suite()], samples=2)
    replay = parse_model_spec(f"again=replay:orig@{original.run_dir}")
    replayed = run(tmp_path, [replay], [exact_suite("s", 6), two_turn_suite()], samples=2)

    def view(run_dir):
        return {(r["suite"], r["item_id"], r["sample"]): (r["score"], r["response"], r["error"], r["served_model"])
                for r in iter_records(run_dir)}

    assert view(replayed.run_dir) == view(original.run_dir)
    single = [r for r in iter_records(original.run_dir) if r["suite"] == "s"]
    assert all(r["turns"][-1]["text"] is None and r["turns"][-1]["text_is_response"] for r in single)  # stored once
    assert read_manifest(replayed.run_dir)["models"][0]["replay_source"]["run_id"] == original.run_id
    changed = run(tmp_path, [replay], [exact_suite("s", 6, prefix="Please: ")], run_id="changed")
    assert {r["error"] for r in iter_records(changed.run_dir)} == {"replay_missing"}
    with pytest.raises(UserError, match="no records for model 'nobody'; it holds orig"):
        run(tmp_path, [parse_model_spec(f"x=replay:nobody@{original.run_dir}")], [exact_suite()])


def test_replay_reproduces_recorded_errors(tmp_path):
    with serve(faults=Faults(when=lambda r: "500" if r.prompt == "s q-1" else None)) as srv:
        original = run(tmp_path, [spec(srv.base_url, "orig")], [exact_suite("s", 3)],
                       adapter_options={"retries": 0})
    replayed = run(tmp_path, [parse_model_spec(f"r=replay:orig@{original.run_dir}")], [exact_suite("s", 3)])
    assert {r["item_id"]: r["error"] for r in iter_records(replayed.run_dir)} == {"0": None, "1": "http_5xx", "2": None}


def test_plan_hash_is_recorded_and_part_of_the_identity(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"targeted": ["s"]}))
    with serve() as srv:
        with_plan = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 2)], plan=plan)
        without = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 2)])
    assert with_plan.run_dir != without.run_dir
    assert read_manifest(with_plan.run_dir)["plan"]["sha256"] == sha256_file(plan)
    with pytest.raises(UserError, match="no such file"):
        run(tmp_path, [spec("http://127.0.0.1:9/v1")], [exact_suite("s", 2)], plan=tmp_path / "missing.json")


def test_resume_tracks_each_model_separately(tmp_path):
    def fail_once(request):  # model a's item 2 and model b's item 7 fail at the endpoint in the first session
        return "500" if (request.body["model"], request.prompt) in (("ma", "s q-2"), ("mb", "s q-7")) else None

    with serve(faults=Faults(when=fail_once), models=()) as srv:
        models = [spec(srv.base_url, "a", "ma"), spec(srv.base_url, "b", "mb")]
        first = run(tmp_path, models, [exact_suite("s", 8)],
                    adapter_options={"retries": 0, "timeout_s": 2.0})
        assert first.status == "incomplete" and first.unanswered == {"a": 1, "b": 1}
        before = len(srv.generation_requests())
        srv._server.faults = Faults()
        run(tmp_path, models, [exact_suite("s", 8)])
        asked = sorted(e.request.prompt for e in srv.generation_requests()[before:])
    assert asked == ["s q-2", "s q-7"] and sorted(keys(first.run_dir)) == sorted(
        (m, "s", str(i), 0) for m in "ab" for i in range(8))


def test_the_shared_sandbox_is_closed_at_the_end_of_a_run(tmp_path):
    sandbox = pytest.importorskip("harness.sandbox")

    async def solve(item, generate):
        response = await generate(ChatRequest(messages=[{"role": "user", "content": f"print({item.id} * 2)"}]))
        try:
            result = await (await sandbox.shared_sandbox()).run(response.text, timeout_s=10)
        except sandbox.SandboxUnavailable as e:
            pytest.skip(f"no sandbox here: {e}")
        ok = result.stdout.strip() == str(int(item.id) * 2)
        return Outcome(float(ok), ok, result.error_kind, response.text, result.stdout.strip())

    suite = Suite("code", "v1", "targeted", "coding", tuple(Item(id=str(i), input=i) for i in range(3)), solve)
    with serve() as srv:
        result = run(tmp_path, [spec(srv.base_url)], [suite])
    assert [r["correct"] for r in iter_records(result.run_dir)] == [True, True, True]
    assert sandbox._shared is None  # the runner closed the process-wide pool
    contained = read_manifest(result.run_dir)["sandbox"]  # provenance: what ran the model's code
    assert contained["mode"] in {"fork", "plain"} and contained["limits"]["nproc"] > 0


def test_progress_shows_each_model_and_suite_with_counts_and_errors(tmp_path):
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=150, force_terminal=False)
    faults = Faults(when=lambda r: "500" if r.prompt == "s2 q-1" else None)
    with serve(faults=faults) as srv:
        config = RunConfig(models=[spec(srv.base_url, "a"), spec(srv.base_url, "b")],
                           suites=[exact_suite("s1", 5), exact_suite("s2", 4)], out=tmp_path / "results",
                           adapter_options={"retries": 0})
        asyncio.run(execute(config, show_progress=True, console=console))
    lines = [line for line in buffer.getvalue().splitlines() if "·" in line]
    assert len(lines) == 4
    assert any("a · s1" in line and "5/5" in line for line in lines)
    assert any("b · s2" in line and "4/4" in line and "1 errors" in line for line in lines)


def test_a_configuration_problem_inside_a_suite_stops_the_run_and_keeps_what_finished(tmp_path):
    suite = exact_suite("s", 30)
    broken = {"on": True}

    async def solve(item, generate):
        if broken["on"] and item.id == "20":
            raise UserError("no sandbox: install bubblewrap or pass --allow-unsandboxed-code")
        return await suite.solve(item, generate)

    flaky = Suite("s", "v1", "targeted", "coding", suite.items, solve)
    with serve() as srv:
        with pytest.raises(UserError, match="install bubblewrap"):
            run(tmp_path, [spec(srv.base_url)], [flaky], concurrency=2)
        run_dir = next((tmp_path / "results").iterdir())
        manifest = read_manifest(run_dir)
        kept = len(keys(run_dir))
        assert manifest["status"] == "stopped" and "install bubblewrap" in manifest["sessions"][-1]["error"]
        assert 0 < kept < 30 and manifest["counts"]["records"] == kept and "harness" not in manifest["counts"]["errors"]
        broken["on"] = False
        again = run(tmp_path, [spec(srv.base_url)], [flaky], concurrency=2)
    assert again.status == "complete" and again.skipped == kept and len(set(keys(run_dir))) == 30 == len(keys(run_dir))
