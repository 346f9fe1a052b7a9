"""What `asymmetry run` says and refuses before anything is asked: the reasoning-model budget warning
comes first (it was printed after the run, when the tokens were spent) and never for a replay; coding
suites without bubblewrap stop the run at once, before the other suites are asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from tests.servers import serve

R1 = "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_the_reasoning_budget_warning_comes_before_the_run_and_once(tmp_path: Path, capsys) -> None:
    with serve(models=(R1,)) as srv:
        code, _, err = cli(capsys, "run", "-m", f"r1=vllm:{R1}@{srv.base_url}", "--suites", "builtin-math",
                           "--limit", "2", "--out", str(tmp_path / "r"), "-q")
    assert code == 0, err
    warning = err.index("looks like a reasoning model")
    assert warning < err.index("run ") < err.index("record(s) written")
    assert err.count("looks like a reasoning model") == 1


def test_a_replay_gets_no_budget_warning(tmp_path: Path, capsys) -> None:
    with serve(models=(R1,)) as srv:
        code, _, err = cli(capsys, "run", "-m", f"deepseek-r1=vllm:{R1}@{srv.base_url}", "--suites", "builtin-math",
                           "--limit", "2", "--out", str(tmp_path / "r"), "--run-id", "first", "-q")
    assert code == 0 and "looks like a reasoning model" in err
    code, _, err = cli(capsys, "run", "-m", f"again=replay:deepseek-r1@{tmp_path / 'r' / 'first'}", "--suites",
                       "builtin-math", "--limit", "2", "--out", str(tmp_path / "r"), "-q")
    assert code == 0, err
    assert "reasoning model" not in err


def test_coding_suites_without_bubblewrap_stop_the_run_before_any_question(tmp_path: Path, capsys,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no bwrap on PATH, as on a machine without it
    with serve() as srv:
        code, _, err = cli(capsys, "run", "-m", f"q=openai:test-model@{srv.base_url}", "--suites",
                           "builtin-math,builtin-code,builtin-facts", "--out", str(tmp_path / "r"), "-q")
        asked = len(srv.generation_requests())
    assert code == 2 and asked == 0 and not (tmp_path / "r").exists()
    assert err.startswith("error: suite(s) builtin-code run model-written code, which needs bubblewrap")
    assert "apt-get install bubblewrap" in err and "--allow-unsandboxed-code" in err and err.count("\n") == 1


def test_suites_without_model_code_run_without_bubblewrap(tmp_path: Path, capsys,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with serve() as srv:
        code, _, err = cli(capsys, "run", "-m", f"q=openai:test-model@{srv.base_url}", "--suites",
                           "builtin-math,builtin-facts", "--limit", "2", "--out", str(tmp_path / "r"), "-q")
    assert code == 0, err
