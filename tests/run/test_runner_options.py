"""`asymmetry run` options and bad input, in process: per-model config, extras, tool mode, decoding,
warnings, the closing table, and one-line errors that leave no run directory behind."""

from __future__ import annotations

import json

import pytest

import harness.suites.build
from harness.cli import main
from harness.run.store import iter_records, read_manifest
from tests.run.test_runner import exact_suite
from tests.servers import Reply, serve


@pytest.fixture(autouse=True)
def fake_suites(monkeypatch):
    """`--suites` answers with two small exact-match suites (only the Suite contract is needed here)."""
    def load(names, data_dir=None, *, limit=None, external=None):
        suites = [exact_suite("s1", 6), exact_suite("s2", 6, category="untargeted", capability="math")]
        return suites if limit is None else [type(s)(**{**s.__dict__, "items": s.items[:limit]}) for s in suites]

    monkeypatch.setattr(harness.suites.build, "load_suites", load)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_model_config_extras_and_decoding_reach_the_requests_and_the_manifest(tmp_path, capsys):
    config = tmp_path / "models.toml"
    config.write_text('[q]\nextra = { chat_template_kwargs = { enable_thinking = false } }\nrpm = 6000\n'
                      'concurrency = 2\n')
    with serve(models=("Qwen/Qwen3-8B",)) as srv:
        code, out, err = cli(capsys, "run", "-m", f"q=vllm:Qwen/Qwen3-8B@{srv.base_url}", "--model-config", str(config),
                             "--extra", '{"top_k": 20}', "--temperature", "0.6", "--top-p", "0.95", "--seed", "7",
                             "--stop", "###", "--max-tokens", "100", "--out", str(tmp_path / "r"), "--run-id", "x",
                             "-q")
        bodies = [e.request.body for e in srv.generation_requests()]
    assert code == 0, err
    assert all(b["chat_template_kwargs"] == {"enable_thinking": False} and b["top_k"] == 20 for b in bodies)
    assert {(b["temperature"], b["top_p"], b["max_tokens"], tuple(b["stop"])) for b in bodies} == {(0.6, 0.95, 100, ("###",))}
    assert {b["seed"] for b in bodies} == {7}
    manifest = read_manifest(tmp_path / "r" / "x")
    model = manifest["models"][0]
    assert model["extra"] == {"chat_template_kwargs": {"enable_thinking": False}}
    assert model["options"]["rpm"] == 6000 and model["options"]["concurrency"] == 2
    assert manifest["decoding"]["extra"] == {"top_k": 20} and manifest["decoding"]["stop"] == ["###"]
    assert "looks like a reasoning model" not in err  # thinking is off
    assert "s1" in out and "66.7%" in out  # the closing table


def test_tool_mode_json_and_completions_api_from_the_model_config(tmp_path, capsys):
    config = tmp_path / "models.toml"
    config.write_text('[base]\napi = "completions"\n')
    with serve(answer=lambda r: Reply(r.prompt)) as srv:
        code, _, err = cli(capsys, "run", "-m", f"base=vllm:test-model@{srv.base_url}", "--model-config", str(config),
                           "--out", str(tmp_path / "r"), "-q", "--tool-mode", "json")
        paths = {e.request.path for e in srv.generation_requests()}
    assert code == 0, err
    assert paths == {"/v1/completions"}
    run_dir = next((tmp_path / "r").iterdir())
    assert read_manifest(run_dir)["models"][0]["api"] == "completions"
    assert read_manifest(run_dir)["models"][0]["tool_mode"] == "json"


def test_reasoning_model_with_small_budget_is_warned(tmp_path, capsys):
    with serve(models=("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",)) as srv:
        code, _, err = cli(capsys, "run", "-m", f"r1=vllm:deepseek-ai/DeepSeek-R1-Distill-Qwen-7B@{srv.base_url}",
                           "--out", str(tmp_path / "r"), "-q", "--limit", "2")
    assert code == 0 and "looks like a reasoning model" in err and "--max-tokens 32768" in err


@pytest.mark.parametrize("argv, message", [
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "--extra", "{oops"], "error: --extra: not valid JSON"),
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "--extra", "[1]"], "error: --extra: expected a JSON object"),
    (["-m", "q=nowhere:x"], "error: model spec 'q=nowhere:x': unknown provider 'nowhere'"),
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "--samples", "0"], "error: --samples must be at least 1"),
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "-m", "q=vllm:y@http://127.0.0.1:9/v1"], "labels must be distinct"),
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "--tool-mode", "xml"], "tool_mode must be one of native, json"),
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "--plan", "/nonexistent/plan.json"], "--plan /nonexistent/plan.json: no such file"),
    (["-m", "q=dashscope:qwen3-max"], "set DASHSCOPE_API_KEY in the environment"),
    (["-m", "q=vllm:x@http://127.0.0.1:9/v1", "--run-id", "../escape"], "--run-id '../escape': use letters"),
])
def test_bad_input_is_one_line_and_leaves_no_run_directory(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.setenv("VLLM_API_KEY", "sk-fake-in-env-123")
    code, out, err = cli(capsys, "run", *argv, "--out", str(tmp_path / "r"), "-q")
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert "sk-fake-in-env-123" not in out + err
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())


@pytest.mark.parametrize("content, message", [
    ("[nobody]\nrpm = 1\n", "table [nobody] matches no --model label (labels: q)"),
    ("[q]\ncolour = 'red'\n", "unknown setting(s) colour"),
    ("[q\n", "not valid TOML"),
    ('[q]\napi = "messages"\n', "api must be 'chat' or 'completions'"),
])
def test_bad_model_config_names_the_file_and_the_problem(tmp_path, capsys, content, message):
    config = tmp_path / "models.toml"
    config.write_text(content)
    code, _, err = cli(capsys, "run", "-m", "q=vllm:x@http://127.0.0.1:9/v1", "--model-config", str(config),
                       "--out", str(tmp_path / "r"))
    assert code == 2 and message in err and str(config) in err


def test_sandbox_options_reach_the_sandbox_as_parameters_and_the_manifest(tmp_path, capsys, monkeypatch):
    """--allow-unsandboxed-code and --sandbox-workers are parameters of the run's sandbox (no environment
    variable carries them), and the manifest says what contained the model's code."""
    from dataclasses import replace
    from pathlib import Path

    from harness.suites.build import build_suite, parse_spec
    from harness.suites.builtin import code_tasks

    spec = parse_spec(Path(__file__).resolve().parents[2] / "suites" / "builtin-code.toml")
    suite = build_suite(spec, None)
    monkeypatch.setattr(harness.suites.build, "load_suites",
                        lambda names, data_dir=None, *, limit=None, external=None: [replace(suite, items=suite.items[:1])])
    reference = code_tasks.generate_tasks(2026, 1)[0].reference_source()
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no bubblewrap on it
    monkeypatch.setenv("ASYMMETRY_ALLOW_UNSANDBOXED", "1")  # the old switch: no longer a way in
    with serve(answer=lambda req: f"```python\n{reference}```") as srv:
        argv = ["run", "-m", f"q=vllm:test-model@{srv.base_url}", "-q", "--limit", "1"]
        refused, _, err = cli(capsys, *argv, "--out", str(tmp_path / "refused"))
        assert refused == 2 and "needs bubblewrap" in err and "--allow-unsandboxed-code" in err
        code, _, err = cli(capsys, *argv, "--allow-unsandboxed-code", "--sandbox-workers", "3",
                           "--out", str(tmp_path / "r"))
    assert code == 0 and "WARNING" in err and "without a sandbox" in err
    run_dir = next((tmp_path / "r").iterdir())
    assert [r["correct"] for r in iter_records(run_dir)] == [True]
    contained = read_manifest(run_dir)["sandbox"]
    assert contained["mode"] == "unsandboxed" and contained["workers"] == 3


@pytest.mark.parametrize("workers", ["0", "-2", "100000"])
def test_bad_sandbox_workers_is_one_line(tmp_path, capsys, workers):
    code, _, err = cli(capsys, "run", "-m", "q=vllm:x@http://127.0.0.1:9/v1", "--sandbox-workers", workers,
                       "--out", str(tmp_path / "r"))
    assert code == 2 and "--sandbox-workers must be from 1 to" in err and not (tmp_path / "r").exists()


def test_rerunning_the_same_command_resumes_and_says_so(tmp_path, capsys):
    with serve() as srv:
        argv = ["run", "-m", f"q=vllm:test-model@{srv.base_url}", "--out", str(tmp_path / "r"), "-q"]
        assert cli(capsys, *argv)[0] == 0
        code, _, err = cli(capsys, *argv)
    assert code == 0 and "0 record(s) written, 12 kept from earlier sessions" in err
    run_dir = next((tmp_path / "r").iterdir())
    assert run_dir.name.startswith("q_default-") and len(list(iter_records(run_dir))) == 12
    sessions = read_manifest(run_dir)["sessions"]
    assert len(sessions) == 2 and json.dumps(sessions).count("--run-id") == 2
