"""`asymmetry import inspect`: real Inspect AI logs (its offline mockllm model, .eval and .json formats,
two epochs) imported and checked against Inspect's own accuracy."""

from __future__ import annotations

import re

import pytest

from harness.errors import UserError
from harness.importers import load_task_map
from harness.importers.inspectlogs import import_inspect
from harness.items import sha256_file
from harness.records import ItemRecord
from harness.run.store import iter_records, read_manifest
from harness.table import load_item_table

pytest.importorskip("inspect_ai", reason="inspect-ai is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # inside inspect-ai itself

N = 10
FAILING = "q7"  # the sample whose generation raises in the "errored" run


def _model(kind: str, **model_args):
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    def answer(messages, tools, tool_choice, config):
        n = int(re.search(r"What is (\d+)\+1", messages[-1].text).group(1))
        if kind == "errored" and n == 7:
            raise RuntimeError("the endpoint blew up")
        right = n % 2 == 1 if kind == "before" else n % 5 != 0  # before 5/10, after 8/10
        output = ModelOutput.from_content("mockllm/model", f"{n + 1}" if right else "no idea")
        output.usage = ModelUsage(input_tokens=7, output_tokens=2, total_tokens=9)  # no tokenizer download
        return output

    return get_model("mockllm/model", custom_outputs=answer, **model_args)


def _task():
    from inspect_ai import Task
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import Score, Target, includes, match, scorer
    from inspect_ai.scorer._metrics import accuracy
    from inspect_ai.solver import TaskState, generate

    @scorer(metrics=[accuracy()])
    def split():
        async def score(state: TaskState, target: Target) -> Score:
            return Score(value={"exact": float(state.output.completion == target.text), "nonempty": 1.0})
        return score

    samples = [Sample(id=f"q{i}", input=f"What is {i}+1?", target=str(i + 1)) for i in range(N)]
    return Task(dataset=samples, solver=[generate()], scorer=[match(), includes(), split()], name="arith")


def _eval(kind: str, log_dir, fmt: str, **kwargs):
    from inspect_ai import eval as inspect_eval

    [log] = inspect_eval(_task(), model=_model(kind), log_dir=str(log_dir), log_format=fmt, epochs=2,
                         display="none", **kwargs)
    return log


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inspect")
    out = {}
    for kind in ("before", "after"):
        for fmt in ("eval", "json"):
            log = _eval(kind, root / f"{kind}_{fmt}", fmt)
            assert log.status == "success"
            out[(kind, fmt)] = root / f"{kind}_{fmt}"
    _eval("errored", root / "errored", "eval", fail_on_error=False)
    out["errored"] = root / "errored"
    failed = _eval("errored", root / "failed", "eval", fail_on_error=True)
    assert failed.status == "error"
    out["failed"] = root / "failed"
    (root / "map.toml").write_text('[tasks.arith]\ncapability = "math"\n')
    out["map"] = load_task_map(root / "map.toml")
    return out


def _import(logs, key, tmp_path, label=None, **kwargs):
    label = label or (key[0] if isinstance(key, tuple) else key)
    return import_inspect(logs[key], label, out=tmp_path / "results", task_map=logs["map"], **kwargs)


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_inspect_logs_import_epochs_as_samples_and_match_inspects_accuracy(logs, tmp_path, fmt):
    before = _import(logs, ("before", fmt), tmp_path)
    after = _import(logs, ("after", fmt), tmp_path)
    [b], [a] = before.suites, after.suites
    assert (b.name, b.category, b.capability, b.selection) == ("arith", "untargeted", "math", "match")
    assert (b.n_items, b.n_records, b.accuracy, b.reported) == (N, 2 * N, 0.5, 0.5)
    assert (a.accuracy, a.reported) == (0.8, 0.8)
    table = load_item_table(results=[before.run_dir, after.run_dir])
    assert sorted(table["sample"].unique()) == [0, 1]
    wide = table.pivot_table(index="item_id", columns="model", values="score", aggfunc="mean")
    for i in range(N):
        assert wide.loc[f"q{i}", "before"] == float(i % 2 == 1)
        assert wide.loc[f"q{i}", "after"] == float(i % 5 != 0)
    records = list(iter_records(before.run_dir))
    assert {r["usage"]["completion_tokens"] for r in records} == {2}
    assert all(set(r) <= ItemRecord.__required_keys__ | ItemRecord.__optional_keys__ for r in records)
    assert all(r["response"] in ("no idea", str(int(r["item_id"][1:]) + 1)) for r in records)


def test_eval_and_json_formats_give_the_same_records(logs, tmp_path):
    def strip(run):
        return [{k: v for k, v in r.items() if k not in ("run_id", "source", "started_at", "latency_s")}
                for r in iter_records(run.run_dir)]

    eval_run = _import(logs, ("before", "eval"), tmp_path, label="b1")
    json_run = _import(logs, ("before", "json"), tmp_path, label="b2")
    key = lambda r: (r["item_id"], r["sample"])  # noqa: E731
    assert sorted(({**r, "model": ""} for r in strip(eval_run)), key=key) == \
        sorted(({**r, "model": ""} for r in strip(json_run)), key=key)


def test_errored_samples_are_kept_apart_from_wrong_answers(logs, tmp_path):
    result = _import(logs, "errored", tmp_path)
    records = list(iter_records(result.run_dir))
    failed = [r for r in records if r["item_id"] == FAILING]
    assert len(failed) == 2 and all(r["error"] == "harness" and not r["correct"] for r in failed)
    assert "blew up" in failed[0]["error_message"]
    assert all(r["error"] is None for r in records if r["item_id"] != FAILING)
    [suite] = result.suites
    assert suite.n_errors == 2
    assert suite.accuracy == pytest.approx(7 / 9)  # after-style answers (8/10 right) without the errored q7
    assert suite.reported == pytest.approx(7 / 9) and not result.warnings  # Inspect leaves errors out too


def test_a_log_that_stopped_on_error_needs_allow_incomplete(logs, tmp_path):
    with pytest.raises(UserError, match=r"status is 'error'.*--allow-incomplete"):
        _import(logs, "failed", tmp_path)
    result = _import(logs, "failed", tmp_path, allow_incomplete=True)
    assert any("status 'error'" in w for w in result.warnings)


def test_scorer_choice_and_dict_valued_scores(logs, tmp_path):
    includes = _import(logs, ("after", "eval"), tmp_path, label="inc", scorers={"*": "includes"})
    assert includes.suites[0].selection == "includes" and includes.suites[0].accuracy == 0.8
    with pytest.raises(UserError, match=r"no scorer 'exactish'; the log has match, includes, split"):
        _import(logs, ("after", "eval"), tmp_path, label="x", scorers={"arith": "exactish"})
    with pytest.raises(UserError, match=r"several values \(exact, nonempty\); pass --scorer arith=split/KEY"):
        _import(logs, ("after", "eval"), tmp_path, label="y", scorers={"arith": "split"})
    keyed = _import(logs, ("after", "eval"), tmp_path, label="z", scorers={"arith": "split/nonempty"})
    assert keyed.suites[0].accuracy == 1.0 and keyed.suites[0].selection == "split/nonempty"


def test_manifest_names_the_logs_with_hashes(logs, tmp_path):
    result = _import(logs, ("before", "eval"), tmp_path)
    manifest = read_manifest(result.run_dir)
    [source] = manifest["source"]["files"]
    assert source["path"].endswith(".eval") and sha256_file(source["path"]) == source["sha256"]
    assert manifest["source"]["inspect_version"] and manifest["source"]["logs"][0]["epochs"] == 2
    assert manifest["models"][0]["served_models"] == ["mockllm/model"] and manifest["samples"] == 2


def test_unmapped_task_and_the_same_task_twice_are_refused(logs, tmp_path):
    with pytest.raises(UserError, match=r"no suite mapping for task\(s\) arith"):
        import_inspect(logs[("before", "eval")], "x", out=tmp_path / "r")
    with pytest.raises(UserError, match="appears in both"):  # the parent holds every run's logs
        import_inspect(logs[("before", "eval")].parent, "x", out=tmp_path / "r", task_map=logs["map"])


def test_cli_imports_inspect_logs_and_names_bad_input(logs, tmp_path, capsys):
    from harness.cli import main

    map_file = tmp_path / "map.toml"
    map_file.write_text('[tasks.arith]\ncapability = "math"\n')
    with pytest.raises(SystemExit) as done:
        main(["import", "inspect", str(logs[("after", "json")]), "--model", "after", "--map", str(map_file),
              "--out", str(tmp_path / "results"), "--scorer", "includes"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "arith" in out and "80.0%" in out
    with pytest.raises(SystemExit) as done:
        main(["import", "inspect", str(tmp_path / "missing.eval"), "--model", "after"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.eval: no such file" in err and err.count("\n") == 1


def test_tasks_sharing_a_suite_keep_their_sample_ids_apart(logs, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    for kind in ("before", "after"):
        [log] = logs[(kind, "eval")].iterdir()
        (shared / log.name).write_bytes(log.read_bytes())
    # the same task twice is refused, so rename one copy's task through Inspect's own API
    from inspect_ai.log import read_eval_log, write_eval_log

    [first, second] = sorted(shared.iterdir())
    log = read_eval_log(str(second))
    log.eval.task = "arith_again"
    write_eval_log(log, str(second))
    task_map = tmp_path / "map.toml"
    task_map.write_text('[tasks."arith*"]\ncapability = "math"\nsuite = "sums"\n')
    result = import_inspect(shared, "x", out=tmp_path / "r", task_map=load_task_map(task_map))
    [suite] = result.suites
    assert suite.name == "sums" and suite.n_items == 2 * N and suite.n_records == 4 * N
    ids = {r["item_id"] for r in iter_records(result.run_dir)}
    assert "arith/q0" in ids and "arith_again/q0" in ids


def test_model_args_other_than_known_harmless_ones_are_recorded_as_hashes(tmp_path):
    import secrets

    from inspect_ai import eval as inspect_eval

    leak, gateway = f"sk-{secrets.token_hex(12)}", f"gw-{secrets.token_hex(12)}"
    model = _model("before", key=leak, hf_pat=leak, headers={"X-Gateway": gateway}, max_length=512)

    [log] = inspect_eval(_task(), model=model, log_dir=str(tmp_path / "logs"), log_format="eval", display="none")
    assert log.status == "success" and log.eval.model_args["key"] == leak  # Inspect itself keeps it
    (tmp_path / "map.toml").write_text('[tasks.arith]\ncapability = "math"\n')
    result = import_inspect(tmp_path / "logs", "m", out=tmp_path / "results",
                            task_map=load_task_map(tmp_path / "map.toml"))
    recorded = read_manifest(result.run_dir)["source"]["logs"][0]["model_args"]
    assert recorded["key"].startswith("<redacted sha256:") and recorded["hf_pat"].startswith("<redacted sha256:")
    assert recorded["headers"]["X-Gateway"].startswith("<redacted sha256:") and recorded["max_length"] == 512
    for path in result.run_dir.iterdir():
        assert leak not in path.read_text() and gateway not in path.read_text()
