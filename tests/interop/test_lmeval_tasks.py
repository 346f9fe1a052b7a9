"""`asymmetry run --suites lm-eval:TASK`: lm-eval tasks as suites, prompted and scored by lm-eval's own code,
asked through the harness runner; checked against lm-eval itself running the same task on the same server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from harness.errors import UserError
from harness.importers import load_task_map
from harness.importers.lmeval import import_lmeval
from harness.lmeval.tasks import INCLUDE_ENV, SUITE_SOURCES, load_lmeval_suite
from harness.models import open_adapter, parse_model_spec
from harness.run.store import iter_records
from harness.suites.build import external_prefixes, load_suites
from harness.table import load_item_table
from tests.interop.test_import_lmeval import (
    GROUP,
    N_DOCS,
    TASK,
    docs,
    expected,
    run_lmeval,
    server_answer,
    write_group,
    write_task,
)
from tests.servers import serve

MODELS = ("before-model", "after-model")


@pytest.fixture
def include(tmp_path, monkeypatch):
    folder = tmp_path / "tasks"
    write_task(folder, TASK, docs(), tmp_path / "hf-cache")
    write_group(folder, tmp_path / "hf-cache")
    monkeypatch.setenv(INCLUDE_ENV, str(folder))
    return folder


def test_lmeval_task_becomes_a_suite_keyed_like_lmevals_own_logs(include, tmp_path):
    [suite] = load_suites([f"lm-eval:{TASK}:math"], external=SUITE_SOURCES)
    assert (suite.name, suite.category, suite.capability, len(suite.items)) == (f"lm-eval:{TASK}", "untargeted",
                                                                                 "math", N_DOCS)
    assert suite.provenance["filter_metric"] == {TASK: ["strict", "exact_match"]}
    assert suite.items[0].input["messages"] == [{"role": "user", "content": "Question 0: What is 2+0?\nAnswer:"}]
    with serve(answer=server_answer, models=MODELS) as server:
        run_lmeval(include, [TASK], tmp_path / "out", model_args={
            "model": MODELS[0], "base_url": server.base_url + "/chat/completions", "num_concurrent": 2})
    (tmp_path / "map.toml").write_text(f'[tasks.{TASK}]\ncapability = "math"\n')
    imported = import_lmeval(tmp_path / "out", "x", out=tmp_path / "r", task_map=load_task_map(tmp_path / "map.toml"))
    assert {r["item_id"] for r in iter_records(imported.run_dir)} == {it.id for it in suite.items}


def test_solve_scores_with_the_tasks_own_filter_and_metric_like_lmeval(include, tmp_path):
    suite = load_lmeval_suite(f"{TASK}:math")
    with serve(answer=server_answer, models=MODELS) as server:
        async def ask_all():
            adapter = open_adapter(parse_model_spec(f"b=openai:{MODELS[0]}@{server.base_url}"))
            try:
                return [await suite.solve(item, adapter.chat) for item in suite.items]
            finally:
                await adapter.aclose()

        outcomes = asyncio.run(ask_all())
        lmeval = run_lmeval(include, [TASK], tmp_path / "out", model_args={
            "model": MODELS[0], "base_url": server.base_url + "/chat/completions", "num_concurrent": 2})
    ours = [o.score for o in outcomes]
    assert ours == [expected(MODELS[0], d["id"], int(d["answer"])) for d in docs()]
    assert sum(ours) / N_DOCS == lmeval["results"][TASK]["exact_match,strict"]
    assert outcomes[1].extracted == "[invalid]" and outcomes[1].response == "6"  # strict filter, bare answer


def test_asymmetry_run_with_lmeval_suites_pairs_two_models(include, tmp_path):
    with serve(answer=server_answer, models=MODELS) as server:
        done = subprocess.run(
            [sys.executable, "-m", "harness", "run", "--model", f"before=openai:{MODELS[0]}@{server.base_url}",
             "--model", f"after=openai:{MODELS[1]}@{server.base_url}", "--suites", f"lm-eval:{TASK}:math,lm-eval:{GROUP}",
             "--out", str(tmp_path / "results")],
            capture_output=True, text=True, timeout=300, env={**os.environ, INCLUDE_ENV: str(include)})
    assert done.returncode == 0, done.stderr[-2000:]
    [run_dir] = (tmp_path / "results").iterdir()
    table = load_item_table(results=[run_dir])
    arith = table[table.suite == f"lm-eval:{TASK}"].pivot(index="item_id", columns="model", values="score")
    assert len(arith) == N_DOCS and not arith.isna().any().any()
    for model in MODELS:
        label = model.split("-")[0]
        want = sum(expected(model, d["id"], int(d["answer"])) for d in docs()) / N_DOCS
        assert arith[label].mean() == pytest.approx(want)
    group = [r for r in iter_records(run_dir) if r["suite"] == f"lm-eval:{GROUP}"]
    assert {r["cluster"] for r in group} == {f"{GROUP}_alg", f"{GROUP}_geo"} and len(group) == 2 * 12
    assert {r["capability"] for r in group} == {"factual"}  # the mmlu default


def test_local_copy_from_data_dir_replaces_the_hub(shared_data, tmp_path, monkeypatch):
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "gsm8k_local.yaml").write_text(
        "task: gsm8k_local\ndataset_path: openai/gsm8k\ndataset_name: main\noutput_type: generate_until\n"
        "test_split: test\ndoc_to_text: \"Question: {{question}}\\nAnswer:\"\ndoc_to_target: \"{{answer}}\"\n"
        "generation_kwargs:\n  until: [\"Question:\"]\nmetric_list:\n  - metric: exact_match\nmetadata:\n  version: 1\n")
    monkeypatch.setenv(INCLUDE_ENV, str(folder))
    suite = load_lmeval_suite("gsm8k_local", shared_data)  # DIR/gsm8k/test.jsonl, by the dataset's name
    assert len(suite.items) == 1319 and suite.offline and suite.provenance["local_copy"]
    assert (suite.category, suite.capability) == ("untargeted", "math")  # the gsm8k family default
    assert suite.items[0].input["messages"][0]["content"].startswith("Question: Janet")


def test_unreachable_dataset_is_listed_by_load_suites(tmp_path):
    folder = tmp_path / "tasks"
    folder.mkdir()
    (folder / "remote.yaml").write_text(
        "task: remote_only\ndataset_path: no-such-org/no-such-dataset\noutput_type: generate_until\n"
        "test_split: test\ndoc_to_text: \"{{q}}\"\ndoc_to_target: \"{{a}}\"\nmetric_list:\n  - metric: exact_match\n")
    code = ("from harness.suites.build import load_suites\nfrom harness.errors import UserError\n"
            "from harness.lmeval.tasks import SUITE_SOURCES\n"
            "try:\n    load_suites(['lm-eval:remote_only:math'], external=SUITE_SOURCES)\nexcept UserError as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, INCLUDE_ENV: str(folder), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"})
    assert "cannot be loaded here: lm-eval:remote_only:math" in done.stdout
    assert "--data-dir DIR holding DIR/remote_only/test.jsonl" in done.stdout


@pytest.mark.parametrize("yaml, name, message", [
    ("task: codey\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {data}\nunsafe_code: true\n"
     "output_type: generate_until\ntest_split: test\ndoc_to_text: \"{{{{question}}}}\"\ndoc_to_target: \"{{{{answer}}}}\"\n"
     "metric_list:\n  - metric: exact_match\n", "codey:coding", "executes model-written code with no sandbox"),
    ("task: choosy\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: {data}\n"
     "output_type: multiple_choice\ntest_split: test\ndoc_to_text: \"{{{{question}}}}\"\ndoc_to_choice: [\"a\", \"b\"]\n"
     "doc_to_target: 0\nmetric_list:\n  - metric: acc\n", "choosy:factual", "only generate-until tasks run here"),
    ("", f"{TASK}", f"no default capability for this task; name it, e.g. --suites lm-eval:{TASK}:factual"),
    ("", f"{TASK}:vibes", "capability 'vibes' is not one of"),
])
def test_tasks_that_cannot_be_suites_say_why(include, yaml, name, message):
    if yaml:
        (include / f"{name.split(':')[0]}.yaml").write_text(yaml.format(data=include / f"{TASK}.jsonl"))
    with pytest.raises(UserError, match=message):
        load_lmeval_suite(name)


def test_unknown_task_names_suggest_close_ones(include):
    from lm_eval.tasks import TaskManager

    from harness.lmeval.tasks import _build

    manager = TaskManager(include_path=str(include), include_defaults=False)  # the real lookup adds lm-eval's own
    with pytest.raises(UserError, match=f"no such lm-eval task or group \\(did you mean {TASK}"):
        _build(manager, "toy_arithm", None)


def test_registering_the_class_keeps_lmevals_own_models():
    from lm_eval.api.registry import get_model

    import harness.lmeval.model  # noqa: F401

    assert get_model("asymmetry").__name__ == "AsymmetryLM"
    assert get_model("local-chat-completions").__name__ == "LocalChatCompletion"


def test_the_suites_layer_loads_lmeval_suites_only_through_the_source_it_is_given():
    # harness.suites.build imports nothing from the interop layer: without the source, the name is refused
    # in one line that says what to pass (the run command passes it; tests/test_layering.py keeps it so)
    with pytest.raises(UserError, match=r"lm-eval:gsm8k: lm-eval suites are not available here .*SUITE_SOURCES"):
        load_suites(["lm-eval:gsm8k"])
    assert external_prefixes(["builtin-math,lm-eval:x", "gsm8k"]) == {"lm-eval"} and not external_prefixes(["gsm8k"])
