"""`asymmetry import lm-eval`: real lm-eval 0.4.13 runs (its Python API, a local-data task, its
local-chat-completions backend) against a loopback server for two models, imported and checked.

The "after" run reads the same documents in a shuffled file, so its doc_ids point at different documents
than the "before" run's: pairing must follow doc_hash, and the check below would fail if it followed doc_id.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.importers import load_task_map
from harness.importers.lmeval import import_lmeval
from harness.items import sha256_file
from harness.records import ItemRecord
from harness.run.store import iter_records, read_manifest
from harness.table import load_item_table
from tests.servers import Incoming, serve

N_DOCS = 36  # at least the minimum suite size compare analyses (30; issue 9)
SECRET = "sk-" + f"test-{secrets.token_hex(12)}"  # a fake key, made at run time
TASK = "toy_arith"
CODE = "toy_code"
GROUP = "mmlu_toy"  # a group whose name the default task map knows (mmlu family): a suite with clusters


def docs(offset: int = 0, n: int = N_DOCS) -> list[dict]:
    return [{"id": offset + i, "question": f"What is {i + 2}+{3 * i}?", "answer": str(i + 2 + 3 * i)}
            for i in range(n)]


def answer_for(model: str, doc_id: int, answer: int) -> str:
    """The deterministic "models": before answers 3 of 4 right, one of those in a bare form that only the
    flexible filter accepts; after gets every third wrong."""
    if model == "before-model":
        return {0: f"The answer is {answer}", 1: f"{answer}", 2: f"The answer is {answer + 1}",
                3: f"The answer is {answer}"}[doc_id % 4]
    return f"The answer is {answer + 1}" if doc_id % 3 == 0 else f"The answer is {answer}"


def expected(model: str, doc_id: int, answer: int, *, flexible: bool = False) -> float:
    text = answer_for(model, doc_id, answer)
    pattern = r"(-?[0-9]+)" if flexible else r"answer is (\-?[0-9]+)"
    found = re.findall(pattern, text)
    return float(bool(found) and found[-1 if flexible else 0] == str(answer))


def server_answer(request: Incoming) -> str:
    doc_id, a, b = map(int, re.search(r"Question (\d+): What is (\d+)\+(\d+)\?", request.prompt).groups())
    return answer_for(request.body["model"], doc_id, a + b)


TASK_YAML = """\
task: {name}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
  cache_dir: {cache}
output_type: generate_until
test_split: test
doc_to_text: "Question {{{{id}}}}: {{{{question}}}}\\nAnswer:"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["\\n\\n"]
{generation}metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
filter_list:
  - name: strict
    filter:
      - function: regex
        regex_pattern: "answer is (\\\\-?[0-9]+)"
      - function: take_first
  - name: flexible
    filter:
      - function: regex
        group_select: -1
        regex_pattern: "(-?[0-9]+)"
      - function: take_first
{extra}metadata:
  version: 1.0
"""


def write_task(folder: Path, name: str, rows: list[dict], cache: Path, *,
               generation: str = "  do_sample: false\n  max_gen_toks: 64\n", extra: str = "") -> None:
    """A local-data generate-until task with two filters (strict first, so it is the default)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"{name}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / f"{name}.yaml").write_text(TASK_YAML.format(name=name, data=data, cache=cache, generation=generation,
                                                          extra=extra))


def write_group(folder: Path, cache: Path) -> None:
    write_task(folder, f"{GROUP}_alg", docs(100, 6), cache)
    write_task(folder, f"{GROUP}_geo", docs(200, 6), cache)
    (folder / f"{GROUP}.yaml").write_text(
        f"group: {GROUP}\ntask:\n  - {GROUP}_alg\n  - {GROUP}_geo\naggregate_metric_list:\n"
        "  - metric: exact_match\n    weight_by_size: true\nmetadata:\n  version: 1\n")


def run_lmeval(include: Path, tasks: list[str], out: Path, *, lm: str = "local-chat-completions",
               model_args: dict | None = None) -> dict:
    """Run lm-eval through its Python API and save exactly what `lm_eval --log_samples --output_path` saves."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=str(include), include_defaults=False)
    tracker = EvaluationTracker(output_path=str(out))
    results = lm_eval.simple_evaluate(model=lm, model_args=model_args, tasks=tasks, task_manager=manager,
                                      apply_chat_template=True, log_samples=True,
                                      evaluation_tracker=tracker, bootstrap_iters=0)
    samples = results.pop("samples")
    tracker.save_results_aggregated(results=results, samples=samples)
    for name in results["configs"]:
        tracker.save_results_samples(task_name=name, samples=samples[name])
    return results


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real lm-eval runs: before (original order, plus the group) and after (shuffled documents)."""
    root = tmp_path_factory.mktemp("lmeval")
    cache = root / "hf-cache"
    shuffled = docs()
    random.Random(7).shuffle(shuffled)
    for side, rows in (("before", docs()), ("after", shuffled)):
        write_task(root / f"tasks_{side}", TASK, rows, cache)
        write_task(root / f"tasks_{side}", CODE, docs(300), cache)  # mapped as coding: a targeted suite
        write_group(root / f"tasks_{side}", cache)
    with serve(answer=server_answer, models=("before-model", "after-model")) as server:
        url = server.base_url + "/chat/completions"
        run_lmeval(root / "tasks_before", [TASK, CODE, GROUP], root / "out_before",
                   model_args={"model": "before-model", "base_url": url, "num_concurrent": 2, "max_retries": 1,
                               "auth_token": SECRET})
        run_lmeval(root / "tasks_after", [TASK, CODE, GROUP], root / "out_after",
                   model_args={"model": "after-model", "base_url": url, "num_concurrent": 2, "max_retries": 1})
        requests = len(server.generation_requests())
    (root / "map.toml").write_text(f'[tasks.{TASK}]\ncapability = "math"\nlabel = "arithmetic"\n\n'
                                   f'[tasks.{CODE}]\ncapability = "coding"\n')
    return {"root": root, "before": root / "out_before", "after": root / "out_after", "map": root / "map.toml",
            "requests": requests, "shuffled": shuffled}


def _import(runs, which: str, tmp_path: Path, **kwargs):
    return import_lmeval(runs[which], which, out=tmp_path / "results",
                         task_map=load_task_map(runs["map"]), **kwargs)


def test_real_lmeval_logs_import_and_pair_on_doc_hash_not_doc_id(runs, tmp_path):
    assert runs["requests"] == 2 * (2 * N_DOCS + 12)  # every document reached the server once per model
    before = _import(runs, "before", tmp_path)
    after = _import(runs, "after", tmp_path)
    table = load_item_table(results=[before.run_dir, after.run_dir])
    wide = table[table.suite == TASK].pivot(index="item_id", columns="model", values="score")
    assert len(wide) == N_DOCS and not wide.isna().any().any()  # all documents paired

    b_recs = {r["item_id"]: r for r in iter_records(before.run_dir) if r["suite"] == TASK}
    a_recs = {r["item_id"]: r for r in iter_records(after.run_dir)}
    original, shuffled = docs(), runs["shuffled"]
    moved = 0
    for item, b in b_recs.items():
        a = a_recs[item]
        doc = original[b["doc_id"]]
        assert shuffled[a["doc_id"]] == doc  # the same document on both sides of the pair
        moved += a["doc_id"] != b["doc_id"]
        assert wide.loc[item, "before"] == b["score"] == expected("before-model", doc["id"], int(doc["answer"]))
        assert wide.loc[item, "after"] == a["score"] == expected("after-model", doc["id"], int(doc["answer"]))
    assert moved > N_DOCS // 2  # the rows really moved: pairing on doc_id would have mixed documents up
    declared = ItemRecord.__required_keys__ | ItemRecord.__optional_keys__
    assert all(set(r) <= declared for r in [*b_recs.values(), *a_recs.values()])  # the TypedDict names every key


def test_accuracies_match_lmeval_and_the_default_filter_is_the_tasks_first(runs, tmp_path):
    before = _import(runs, "before", tmp_path)
    suite = next(s for s in before.suites if s.name == TASK)
    strict = sum(expected("before-model", d["id"], int(d["answer"])) for d in docs()) / N_DOCS
    assert suite.selection == "strict / exact_match"
    assert suite.accuracy == pytest.approx(strict) and suite.reported == pytest.approx(strict)
    assert strict == 0.5

    flexible = import_lmeval(runs["before"], "before-flex", out=tmp_path / "results",
                             task_map=load_task_map(runs["map"]), filters={TASK: "flexible"})
    suite = next(s for s in flexible.suites if s.name == TASK)
    assert suite.selection == "flexible / exact_match"
    assert suite.accuracy == pytest.approx(0.75) and suite.reported == pytest.approx(0.75)
    versions = [{r["suite_version"] for r in iter_records(run.run_dir) if r["suite"] == TASK} for run in (before, flexible)]
    assert len(versions[0]) == len(versions[1]) == 1 and versions[0] != versions[1]  # another filter: another suite


def test_suite_versions_match_across_runs_despite_different_data_paths(runs, tmp_path):
    before = {r["suite"]: r["suite_version"] for r in iter_records(_import(runs, "before", tmp_path).run_dir)}
    after = {r["suite"]: r["suite_version"] for r in iter_records(_import(runs, "after", tmp_path).run_dir)}
    assert before[TASK] == after[TASK]


def test_group_members_become_one_suite_with_clusters_by_default(runs, tmp_path):
    result = _import(runs, "before", tmp_path)
    group = next(s for s in result.suites if s.name == GROUP)
    assert (group.category, group.capability, group.label) == ("untargeted", "factual", "knowledge")
    assert sorted(group.tasks) == [f"{GROUP}_alg", f"{GROUP}_geo"] and group.n_items == 12
    clusters = {r["cluster"] for r in iter_records(result.run_dir) if r["suite"] == GROUP}
    assert clusters == {f"{GROUP}_alg", f"{GROUP}_geo"}
    expected_acc = sum(expected("before-model", d["id"], int(d["answer"])) for d in docs(100, 6) + docs(200, 6)) / 12
    assert group.accuracy == pytest.approx(expected_acc) == group.reported


def test_manifest_records_sources_with_hashes_versions_and_choices_without_secrets(runs, tmp_path):
    result = _import(runs, "before", tmp_path)
    manifest = read_manifest(result.run_dir)
    files = manifest["source"]["files"]
    assert {f["role"] for f in files} == {"results", "samples"}
    assert len([f for f in files if f["role"] == "samples"]) == 4
    for f in files:
        assert sha256_file(Path(f["path"])) == f["sha256"]
    assert manifest["source"]["lm_eval_version"] == "0.4.13"
    assert manifest["models"][0]["served_models"] == ["before-model"]
    suites = {s["name"]: s for s in manifest["suites"]}
    assert suites[TASK]["selection"] == "strict / exact_match" and suites[TASK]["n_items"] == N_DOCS
    assert manifest["source"]["choices"][f"{GROUP}_alg"] == {"suite": GROUP, "filter": "strict",
                                                              "metric": "exact_match", "cluster": f"{GROUP}_alg"}
    assert manifest["counts"]["records"] == 2 * N_DOCS + 12
    assert manifest["source"]["config"]["model_args"]["auth_token"].startswith("<redacted sha256:")
    for path in result.run_dir.iterdir():
        assert SECRET not in path.read_text()


def test_model_args_given_as_text_are_hashed_unless_known_harmless_headers_included(runs, tmp_path):
    # what `lm_eval --model_args '...'` records: the text as typed, with a key under names no denylist has
    leak = "sk-" + secrets.token_hex(12)
    copy = tmp_path / "copy"
    shutil.copytree(runs["before"], copy)
    [results] = copy.rglob("results_*.json")
    data = json.loads(results.read_text())
    data["config"]["model_args"] = (f"model=before-model,base_url=http://h/v1?key={leak},num_concurrent=2,"
                                    f'key={leak},hf_pat={leak},header={{"Authorization": "Bearer {leak}"}}')
    results.write_text(json.dumps(data))
    result = import_lmeval(copy, "before", out=tmp_path / "results", task_map=load_task_map(runs["map"]))
    manifest = read_manifest(result.run_dir)
    for args in (manifest["models"][0]["model_args"], manifest["source"]["config"]["model_args"]):
        assert "model=before-model" in args and "num_concurrent=2" in args and "key=***" in args
        assert "hf_pat=<redacted sha256:" in args and "header=<redacted sha256:" in args
    for path in result.run_dir.iterdir():
        assert leak not in path.read_text()


def test_reimport_is_refused_and_keeps_the_first_run(runs, tmp_path):
    first = _import(runs, "before", tmp_path)
    digest = sha256_file(first.run_dir / "items.jsonl")
    with pytest.raises(UserError, match="already exists"):
        _import(runs, "before", tmp_path)
    assert sha256_file(first.run_dir / "items.jsonl") == digest


def _copy(runs, tmp_path: Path, which: str = "before") -> tuple[Path, Path]:
    target = tmp_path / "copy"
    shutil.copytree(runs[which], target)
    samples = next(target.rglob(f"samples_{TASK}_*.jsonl"))
    return target, samples


def test_torn_samples_line_is_named_with_file_and_line(runs, tmp_path):
    target, samples = _copy(runs, tmp_path)
    lines = samples.read_text().splitlines(keepends=True)
    lines[4] = lines[4][: len(lines[4]) // 2] + "\n"
    samples.write_text("".join(lines))
    with pytest.raises(UserError, match=rf"{re.escape(samples.name)}:5: not valid JSON"):
        import_lmeval(target, "x", out=tmp_path / "r", task_map=load_task_map(runs["map"]))
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())  # nothing half-written


def test_truncated_samples_file_is_refused_as_incomplete(runs, tmp_path):
    target, samples = _copy(runs, tmp_path)
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines[:20]))  # strict's N_DOCS lines come first: the rest of them are gone
    with pytest.raises(UserError, match="incomplete"):
        import_lmeval(target, "x", out=tmp_path / "r", task_map=load_task_map(runs["map"]))


def test_missing_samples_means_no_log_samples(runs, tmp_path):
    target, samples = _copy(runs, tmp_path)
    samples.unlink()
    with pytest.raises(UserError, match="--log_samples"):
        import_lmeval(target, "x", out=tmp_path / "r", task_map=load_task_map(runs["map"]))


def test_unmapped_tasks_are_listed_with_how_to_map_them(runs, tmp_path):
    with pytest.raises(UserError, match=rf"no suite mapping for task\(s\) {TASK}, {CODE}: pass --map") as info:
        import_lmeval(runs["before"], "x", out=tmp_path / "r")
    assert GROUP not in str(info.value)  # the group's members are mapped by the mmlu default


@pytest.mark.parametrize("kwargs, message", [
    ({"filters": {TASK: "loose"}}, "no filter 'loose'.*strict, flexible"),
    ({"metrics": {TASK: "bleu"}}, "no metric 'bleu' under filter 'strict'.*exact_match"),
    ({"metrics": {"gsm8k": "acc"}}, "match no imported task or suite"),
])
def test_bad_filter_or_metric_choices_say_what_exists(runs, tmp_path, kwargs, message):
    with pytest.raises(UserError, match=message):
        import_lmeval(runs["before"], "x", out=tmp_path / "r", task_map=load_task_map(runs["map"]), **kwargs)


def test_task_map_can_skip_and_rename(runs, tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(f'[tasks."toy_*"]\nskip = true\n\n[tasks."{GROUP}"]\ncapability = "factual"\nsuite = "trivia"\n')
    result = import_lmeval(runs["before"], "x", out=tmp_path / "r", task_map=load_task_map(path))
    assert [s.name for s in result.suites] == ["trivia"]
    assert {r["suite"] for r in iter_records(result.run_dir)} == {"trivia"}


def test_cli_imports_and_bad_input_is_one_line_exit_2(runs, tmp_path):
    out = tmp_path / "results"
    ok = subprocess.run([sys.executable, "-m", "harness", "import", "lm-eval", str(runs["after"]), "--model",
                         "after", "--map", str(runs["map"]), "--out", str(out), "--filter", f"{TASK}=flexible"],
                        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert ok.returncode == 0, ok.stderr
    assert "flexible / exact_match" in ok.stdout and "66.7%" in ok.stdout
    [run_dir] = out.iterdir()
    assert read_manifest(run_dir)["models"][0]["label"] == "after"

    bad = subprocess.run([sys.executable, "-m", "harness", "import", "lm-eval", str(tmp_path / "nowhere"),
                          "--model", "after"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("error: ") and "nowhere" in bad.stderr


def test_compare_reads_imported_runs_unchanged(runs, tmp_path):
    from harness.compare.schema import validate_compare

    before, after = _import(runs, "before", tmp_path), _import(runs, "after", tmp_path)
    out = tmp_path / "compare.json"
    done = subprocess.run([sys.executable, "-m", "harness", "compare", "--before", "before", "--after", "after",
                           "--results", str(before.run_dir), "--results", str(after.run_dir), "--n-boot", "200",
                           "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert validate_compare(doc) == []
    suites = {s["suite"]: s for s in doc["suites"]}
    assert set(suites) == {TASK, CODE, GROUP}
    assert (suites[CODE]["category"], suites[TASK]["category"]) == ("targeted", "untargeted")
    for name, rows in ((TASK, docs()), (CODE, docs(300)), (GROUP, docs(100, 6) + docs(200, 6))):
        assert suites[name]["n_items"] == len(rows)
        for side, model in (("before", "before-model"), ("after", "after-model")):
            want = 100 * sum(expected(model, d["id"], int(d["answer"])) for d in rows) / len(rows)
            assert suites[name][side] == pytest.approx(want)


def test_a_folder_with_two_models_outputs_is_refused(runs, tmp_path):
    with pytest.raises(UserError, match="results from several models.*import one model's directory"):
        import_lmeval(runs["root"], "x", out=tmp_path / "r", task_map=load_task_map(runs["map"]))


@pytest.mark.parametrize("value, expected_value", [
    ("pretrained=org/m,api_key=sk-123,auth_token=t0k", "pretrained=org/m,api_key=<redacted>,auth_token=<redacted>"),
    ("https://user:pa55@host.example:8443/v1", "https://***@host.example:8443/v1"),
    ({"base_url": "http://u:p@h/v1", "headers": {"Authorization": "Bearer x"}, "seed": 3},
     {"base_url": "http://***@h/v1", "headers": {"Authorization": "<redacted>"}, "seed": 3}),
    # our own --model_args form, as lm-eval records it in config.model_args (review finding 7c)
    ("spec=q=vllm:M@http://user:pw@host/v1,cache_dir=/tmp/j", "spec=q=vllm:M@http://***@host/v1,cache_dir=/tmp/j"),
    ("base_url=http://h/v1?api_key=sk-QUERY&x=1", "base_url=http://h/v1?api_key=***&x=***"),  # any name
    ("base_url=http://h/v1?key=sk-Q&api-version=2024-06-01", "base_url=http://h/v1?key=***&api-version=2024-06-01"),
    ("http://alice:p@ss@h/v1", "http://***@h/v1"),  # an unencoded '@' in the password
])
def test_secrets_are_scrubbed_from_recorded_configs(value, expected_value):
    from harness.importers.common import scrub

    assert scrub(value) == expected_value
