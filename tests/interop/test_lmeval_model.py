"""`--model asymmetry`: real lm-eval 0.4.13 evaluations whose requests go through our adapters to a
loopback server, then imported and checked; the journal/cache, retries, failures, token limits, seeds
per repeat and stop sequences, each against what the server really received."""

from __future__ import annotations

import logging
import re

import orjson
import pytest

import harness.lmeval.model  # noqa: F401 - registers "asymmetry" with lm-eval
from harness.importers import load_task_map
from harness.importers.lmeval import import_lmeval
from harness.lmeval.model import AsymmetryLM, GenerationFailed
from harness.run.store import iter_records, read_manifest
from harness.table import load_item_table
from tests.interop.test_import_lmeval import (
    N_DOCS,
    TASK,
    docs,
    expected,
    run_lmeval,
    server_answer,
    write_task,
)
from tests.servers import Faults, Incoming, serve

MODELS = ("before-model", "after-model")


@pytest.fixture
def tasks(tmp_path):
    folder = tmp_path / "tasks"
    write_task(folder, TASK, docs(), tmp_path / "hf-cache")
    (tmp_path / "map.toml").write_text(f'[tasks.{TASK}]\ncapability = "math"\n')
    return folder


def _args(server, label: str, tmp_path, **extra) -> dict:
    model = label if label in MODELS else MODELS[0]
    return {"spec": f"{label}=openai:{model}@{server.base_url}", "cache_dir": str(tmp_path / "journal"),
            "concurrency": 4, **extra}


def _bodies(server) -> list[dict]:
    return [entry.request.body for entry in server.generation_requests()]


def test_two_models_through_the_class_import_pair_and_score_like_lmeval(tasks, tmp_path):
    with serve(answer=server_answer, models=MODELS) as server:
        results = {}
        for label in MODELS:
            results[label] = run_lmeval(tasks, [TASK], tmp_path / f"out-{label}", lm="asymmetry",
                                        model_args=_args(server, label, tmp_path))
        assert len(server.generation_requests()) == 2 * N_DOCS
    runs = [import_lmeval(tmp_path / f"out-{label}", label.split("-")[0], out=tmp_path / "results",
                          task_map=load_task_map(tmp_path / "map.toml")) for label in MODELS]
    table = load_item_table(results=[r.run_dir for r in runs])
    wide = table.pivot(index="item_id", columns="model", values="score")
    assert len(wide) == N_DOCS and not wide.isna().any().any()
    for run, label in zip(runs, MODELS, strict=True):
        want = sum(expected(label, d["id"], int(d["answer"])) for d in docs()) / N_DOCS
        assert run.suites[0].accuracy == pytest.approx(want) == results[label]["results"][TASK]["exact_match,strict"]
        manifest = read_manifest(run.run_dir)
        assert manifest["models"][0]["served_models"] == [label]
        journal = [f for f in manifest["source"]["files"] if f["role"] == "journal"]
        assert len(journal) == 1 and journal[0]["path"].endswith(".jsonl")
        assert not any("256-token" in w for w in manifest["warnings"])  # this class sends its own budget
        assert manifest["ended_at"] > manifest["started_at"]
    by_doc = {r["doc_id"]: r for r in iter_records(runs[0].run_dir)}
    assert by_doc[1]["response"] == "6" and by_doc[1]["extracted"] == "[invalid]"  # the bare answer, strict


def test_journal_answers_reruns_and_is_never_shared_between_models(tasks, tmp_path):
    with serve(answer=server_answer, models=MODELS) as server:
        first = run_lmeval(tasks, [TASK], tmp_path / "o1", lm="asymmetry", model_args=_args(server, MODELS[0], tmp_path))
        assert len(server.generation_requests()) == N_DOCS
        again = run_lmeval(tasks, [TASK], tmp_path / "o2", lm="asymmetry", model_args=_args(server, MODELS[0], tmp_path))
        assert len(server.generation_requests()) == N_DOCS  # every answer came from the journal
        assert again["results"][TASK] == first["results"][TASK]
        other = run_lmeval(tasks, [TASK], tmp_path / "o3", lm="asymmetry", model_args=_args(server, MODELS[1], tmp_path))
        assert len(server.generation_requests()) == 2 * N_DOCS  # same prompts, other model: asked again
        assert other["results"][TASK] != first["results"][TASK]
    journals = sorted((tmp_path / "journal").iterdir())
    assert [p.name.split("-")[0] for p in journals] == ["after", "before"]
    lines = [orjson.loads(line) for line in journals[1].read_bytes().splitlines()]
    assert len(lines) == N_DOCS and {line["served_model"] for line in lines} == {MODELS[0]}


def test_transient_faults_are_retried_by_the_adapter(tasks, tmp_path):
    faults = Faults(at={2: "429", 3: "500", 5: "drop", 7: "malformed"})
    with serve(answer=server_answer, models=MODELS, faults=faults) as server:
        result = run_lmeval(tasks, [TASK], tmp_path / "o", lm="asymmetry",
                            model_args=_args(server, MODELS[1], tmp_path, retries=3))
        faulted = [e for e in server.log if e.fault]
    assert len(faulted) == 4 and len(server.generation_requests()) == N_DOCS + 4
    want = sum(expected(MODELS[1], d["id"], int(d["answer"])) for d in docs()) / N_DOCS
    assert result["results"][TASK]["exact_match,strict"] == pytest.approx(want)


def test_persistent_failure_stops_with_the_rest_journaled_and_a_rerun_sends_only_it(tasks, tmp_path):
    def broken(request: Incoming) -> str | None:
        return "503" if "Question 5:" in request.prompt else None

    with serve(answer=server_answer, models=MODELS, faults=Faults(when=broken)) as server:
        with pytest.raises(GenerationFailed, match=rf"1 of {N_DOCS} requests to before failed after retries \(http_5xx"):
            run_lmeval(tasks, [TASK], tmp_path / "o", lm="asymmetry",
                       model_args=_args(server, "before", tmp_path, retries=1))
        assert len(server.generation_requests()) == N_DOCS + 1  # one retry of the broken one
    with serve(answer=server_answer, models=MODELS) as server:
        result = run_lmeval(tasks, [TASK], tmp_path / "o", lm="asymmetry",
                            model_args=_args(server, "before", tmp_path, retries=1))
        [sent] = _bodies(server)
    assert "Question 5:" in sent["messages"][-1]["content"]
    assert result["results"][TASK]["exact_match,strict"] == pytest.approx(0.5)


def test_on_error_empty_scores_failures_as_empty_answers(tasks, tmp_path, caplog):
    with serve(answer=server_answer, models=MODELS, faults=Faults(when=lambda r: "500" if "Question 0:" in
                                                                   r.prompt else None)) as server:
        with caplog.at_level(logging.WARNING, logger="harness.lmeval"):
            result = run_lmeval(tasks, [TASK], tmp_path / "o", lm="asymmetry",
                                model_args=_args(server, MODELS[1], tmp_path, retries=0, on_error="empty"))
    assert "scoring them as empty answers" in caplog.text
    want = (sum(expected(MODELS[1], d["id"], int(d["answer"])) for d in docs()) - expected(MODELS[1], 0, 2)) / N_DOCS
    assert result["results"][TASK]["exact_match,strict"] == pytest.approx(want)


def test_token_limit_default_is_not_lmevals_256_and_is_announced(tmp_path, caplog):
    folder = tmp_path / "tasks"
    write_task(folder, TASK, docs(n=4), tmp_path / "hf-cache", generation="  do_sample: false\n")
    write_task(folder, "capped", docs(n=4), tmp_path / "hf-cache")  # max_gen_toks: 64
    with serve(answer=server_answer, models=MODELS) as server, caplog.at_level(logging.WARNING, "harness.lmeval"):
        run_lmeval(folder, [TASK, "capped"], tmp_path / "o", lm="asymmetry", model_args=_args(server, "m", tmp_path))
        limits = sorted(body["max_tokens"] for body in _bodies(server))
    assert limits == [64] * 4 + [2048] * 4
    assert f"{TASK} set no max_gen_toks: lm-eval's own API and HF backends would stop at 256" in caplog.text
    assert "capped" not in caplog.text.split("set no max_gen_toks")[0]


def test_repeats_get_distinct_seeds_and_a_warning(tmp_path, caplog):
    folder = tmp_path / "tasks"
    write_task(folder, TASK, docs(n=3), tmp_path / "hf-cache",
               generation="  do_sample: true\n  temperature: 0.7\n  max_gen_toks: 32\n", extra="repeats: 3\n")
    with serve(answer=server_answer, models=MODELS) as server, caplog.at_level(logging.WARNING, "harness.lmeval"):
        run_lmeval(folder, [TASK], tmp_path / "o", lm="asymmetry", model_args=_args(server, "m", tmp_path, seed=100))
        bodies = _bodies(server)
    seeds: dict[str, list[int]] = {}
    for body in bodies:
        assert body["temperature"] == 0.7
        seeds.setdefault(body["messages"][-1]["content"], []).append(body["seed"])
    assert len(seeds) == 3 and all(sorted(s) == [100, 101, 102] for s in seeds.values())
    assert "send the same seed with every repeat" in caplog.text


def test_generation_is_cut_at_the_tasks_stop_sequences_client_side(tmp_path):
    folder = tmp_path / "tasks"
    write_task(folder, TASK, docs(n=4), tmp_path / "hf-cache")

    def chatty(request: Incoming) -> str:
        return server_answer(request) + "\n\nBy the way, 12345 is my favourite number"

    with serve(answer=chatty, models=MODELS) as server:
        result = run_lmeval(folder, [TASK], tmp_path / "o", lm="asymmetry", model_args=_args(server, "m", tmp_path))
        assert _bodies(server)[0]["stop"] == ["\n\n"]
    # the flexible filter takes the last number: uncut, every answer would end in 12345 and score 0
    want = sum(expected(MODELS[0], d["id"], int(d["answer"]), flexible=True) for d in docs(n=4)) / 4
    assert want == 0.75 and result["results"][TASK]["exact_match,flexible"] == pytest.approx(want)


def test_loglikelihood_and_bad_model_args_say_what_to_do(tmp_path):
    lm = AsymmetryLM(spec="m=openai:x@http://127.0.0.1:9/v1", cache=False)
    with pytest.raises(NotImplementedError, match="generate-until tasks only"):
        lm.loglikelihood([])
    from harness.errors import UserError
    with pytest.raises(UserError, match="spec=LABEL=PROVIDER:MODEL"):
        AsymmetryLM()
    with pytest.raises(UserError, match="on_error"):
        AsymmetryLM(spec="m=openai:x@http://127.0.0.1:9/v1", cache=False, on_error="ignore")


@pytest.mark.slow  # lm-eval's CLI always indexes its whole task catalogue (~10 s)
def test_asymmetry_lm_eval_runs_lm_evals_own_cli_with_the_class_registered(tasks, tmp_path, capsys):
    from harness.cli import main

    with serve(answer=server_answer, models=MODELS) as server:
        spec = f"spec=after=openai:after-model@{server.base_url},cache_dir={tmp_path / 'journal'}"
        with pytest.raises(SystemExit) as done:
            main(["lm-eval", "run", "--model", "asymmetry", "--model_args", spec, "--tasks", TASK, "--include_path",
                  str(tasks), "--apply_chat_template", "--log_samples", "--output_path", str(tmp_path / "out")])
        assert done.value.code == 0
        assert len(server.generation_requests()) == N_DOCS
    assert re.search(r"exact_match.*0\.6667", capsys.readouterr().out)  # lm-eval's own table
    result = import_lmeval(tmp_path / "out", "after", out=tmp_path / "results",
                           task_map=load_task_map(tmp_path / "map.toml"))
    assert result.suites[0].accuracy == pytest.approx(16 / 24)
