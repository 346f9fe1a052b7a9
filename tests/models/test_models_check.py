"""`asymmetry models check` and `presets` through the real CLI, against real loopback servers."""

from __future__ import annotations

import socket

import pytest

from harness.cli import main
from tests.servers import Faults, Reply, serve


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_check_reports_latency_and_the_served_model_id(capsys):
    with serve(answer=lambda r: Reply("OK", model="Qwen/Qwen3-8B-AWQ"), models=("test-model", "other")) as srv:
        code, out, err = cli(capsys, "models", "check", f"q=vllm:test-model@{srv.base_url}")
    assert code == 0, err
    assert "Qwen/Qwen3-8B-AWQ" in out and " ms" in out and "test-model, other" in out


def test_check_without_label_and_across_replicas(capsys):
    with serve() as a, serve() as b:
        code, out, _ = cli(capsys, "models", "check", f"vllm:test-model@{a.base_url}@{b.base_url}")
        assert len(a.generation_requests()) == len(b.generation_requests()) == 1
    assert code == 0 and out.count("ok") >= 2


def test_unreachable_endpoint_says_how_to_start_it(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = cli(capsys, "models", "check", f"q=vllm:Qwen/Qwen3-8B@http://127.0.0.1:{port}/v1")
    assert code == 2 and "unreachable" in err and "vllm serve Qwen/Qwen3-8B" in err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_refused_key_names_the_variable_and_never_prints_the_key(capsys, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-fake-999")
    with serve(api_key="the-right-one") as srv:
        code, out, err = cli(capsys, "models", "check", f"q=openrouter:test-model@{srv.base_url}")
    assert code == 2 and "OPENROUTER_API_KEY is set but was refused" in err
    assert "sk-or-fake-999" not in out + err
    monkeypatch.delenv("OPENROUTER_API_KEY")
    with serve(api_key="the-right-one") as srv:
        code, _, err = cli(capsys, "models", "check", f"q=openrouter:test-model@{srv.base_url}")
    assert "OPENROUTER_API_KEY is not set" in err


def test_wrong_model_name_lists_what_the_server_offers(capsys):
    with serve(models=("Qwen/Qwen3-8B", "Qwen/Qwen3-32B")) as srv:
        code, _, err = cli(capsys, "models", "check", f"q=vllm:Qwen/Qwen3-9B@{srv.base_url}")
    assert code == 2 and "model 'Qwen/Qwen3-9B' is not served there; it offers: Qwen/Qwen3-8B, Qwen/Qwen3-32B" in err


def test_anthropic_check_goes_through_the_messages_api(capsys, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    with serve(answer=lambda r: "OK") as srv:
        code, out, _ = cli(capsys, "models", "check", f"c=anthropic:test-model@{srv.base_url}")
        assert [e.request.path for e in srv.log] == ["/v1/models", "/v1/messages"]
    assert code == 0 and "test-model" in out


def test_a_server_error_is_reported_with_its_kind(capsys):
    with serve(faults=Faults(rate={"503": 1.0})) as srv:
        code, _, err = cli(capsys, "models", "check", f"q=vllm:test-model@{srv.base_url}")
    assert code == 2 and "http_5xx" in err


def test_presets_list_every_provider_with_its_key_variable(capsys):
    code, out, _ = cli(capsys, "models", "presets")
    assert code == 0
    for name in ("openai", "vllm", "sglang", "ollama", "llamacpp", "lmstudio", "dashscope", "openrouter",
                 "together", "anthropic", "replay"):
        assert name in out


def test_check_of_a_replay_source_counts_its_recorded_answers(tmp_path, capsys):
    import asyncio

    from harness.models import parse_model_spec
    from harness.run.runner import RunConfig, execute
    from tests.run.test_runner import exact_suite

    with serve() as srv:
        config = RunConfig(models=[parse_model_spec(f"m=vllm:test-model@{srv.base_url}")],
                           suites=[exact_suite("s", 7)], out=tmp_path, run_id="src")
        asyncio.run(execute(config, show_progress=False))
    code, out, _ = cli(capsys, "models", "check", f"r=replay:m@{tmp_path / 'src'}")
    assert code == 0 and "7 recorded answers of model 'm'" in out
    code, _, err = cli(capsys, "models", "check", f"r=replay:other@{tmp_path / 'src'}")
    assert code == 2 and "no records for model 'other'; it holds m" in err
