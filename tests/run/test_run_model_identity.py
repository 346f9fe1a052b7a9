"""The right model, secrets in every field, and bad values (issue 10 §3, §4 run side), through the real
CLI and runner against loopback servers."""

from __future__ import annotations

import json

import pytest

import harness.suites.build
from harness.cli import main
from harness.errors import UserError
from harness.run.store import read_manifest
from tests.run.test_runner import exact_suite, run, spec
from tests.servers import Reply, serve

SECRET = "cookie-value-that-must-not-leak-123"


@pytest.fixture(autouse=True)
def fake_suites(monkeypatch):
    def load(names, data_dir=None, *, limit=None, external=None):
        return [exact_suite("s1", 4)]

    monkeypatch.setattr(harness.suites.build, "load_suites", load)


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def gateway(srv, listed: tuple[str, ...]) -> None:
    """Make `srv` list `listed` at /models while answering any model name (as some gateways do)."""
    from tests.servers import _json

    original = srv._server.reply

    def reply(request):
        if request.api == "models":
            return _json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in listed]})
        return original(request)

    srv._server.reply = reply


def test_run_and_check_refuse_a_model_the_server_does_not_list_unless_told(tmp_path, capsys):
    with serve(models=()) as srv:
        gateway(srv, ("served-model",))
        with pytest.raises(UserError, match=r"does not serve 'other-model' \(it lists: served-model\)"):
            run(tmp_path, [spec(srv.base_url, model="other-model")], [exact_suite("s", 2)])
        assert not (tmp_path / "results").exists() and not srv.generation_requests()
        code, out, err = cli(capsys, "run", "-m", f"q=vllm:other-model@{srv.base_url}", "--out", str(tmp_path / "o"),
                             "--quiet")
        assert code != 0 and "does not serve 'other-model'" in err.strip().splitlines()[-1]  # one line
        code, out, err = cli(capsys, "run", "-m", f"q=vllm:other-model@{srv.base_url}", "--out", str(tmp_path / "o"),
                             "--quiet", "--allow-unlisted-model")
        assert code == 0, err
        code, out, err = cli(capsys, "models", "check", f"q=vllm:other-model@{srv.base_url}")
        assert code != 0 and "not in the server's model list" in err
        code, out, err = cli(capsys, "models", "check", f"q=vllm:other-model@{srv.base_url}", "--allow-unlisted-model")
        assert code == 0, err
        code, out, err = cli(capsys, "models", "check", f"q=vllm:served-model@{srv.base_url}")
        assert code == 0, err


def test_a_resume_against_an_endpoint_answering_as_another_model_is_refused(tmp_path):
    served = {"name": "org/model-v1"}
    with serve(answer=lambda r: Reply(r.prompt, model=served["name"])) as srv:
        first = run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 4)], run_id="r")
        assert read_manifest(first.run_dir)["models"][0]["served_models"] == ["org/model-v1"]
        served["name"] = "org/model-v2"  # the server was restarted with other weights under the same name
        with pytest.raises(UserError, match=r"now answers as 'org/model-v2'.*org/model-v1"):
            run(tmp_path, [spec(srv.base_url)], [exact_suite("s", 8)], run_id="r")
    records = (first.run_dir / "items.jsonl").read_bytes().splitlines()
    assert len(records) == 4 and b"model-v2" not in b"".join(records)  # nothing of the new model journaled
    sessions = read_manifest(first.run_dir)["sessions"]
    assert sessions[0]["served"]["m"]["listed"] == ["test-model"]


def test_every_non_decoding_extra_and_every_header_is_recorded_only_as_a_hash(tmp_path, capsys):
    config = tmp_path / "models.toml"
    config.write_text(f'[q.headers]\nCookie = "session={SECRET}"\n[q.extra]\nsession_ref = "{SECRET}"\n')
    extra = json.dumps({"user_session": SECRET, "top_k": 20, "chat_template_kwargs": {"enable_thinking": False}})
    with serve() as srv:
        code, out, err = cli(capsys, "run", "-m", f"q=vllm:test-model@{srv.base_url}", "--model-config", str(config),
                             "--extra", extra, "--out", str(tmp_path / "out"), "--run-id", "r", "--quiet")
        sent = srv.generation_requests()[0].request
    assert code == 0, err
    assert sent.headers["cookie"] == f"session={SECRET}" and sent.body["user_session"] == SECRET  # really sent
    manifest = read_manifest(tmp_path / "out" / "r")
    assert manifest["decoding"]["extra"]["top_k"] == 20
    assert manifest["decoding"]["extra"]["chat_template_kwargs"] == {"enable_thinking": False}
    assert manifest["decoding"]["extra"]["user_session"].startswith("<redacted sha256:")
    assert manifest["models"][0]["headers"]["Cookie"].startswith("<redacted sha256:")
    assert manifest["models"][0]["extra"]["session_ref"].startswith("<redacted sha256:")
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in out + err


@pytest.mark.parametrize("argv, message", [
    (["--timeout", "0"], "--timeout must be a positive"),
    (["--timeout", "nan"], "--timeout must be a positive"),
    (["--temperature", "nan"], "--temperature must be a number"),
    (["--rpm", "0"], "--rpm must be a positive"),
    (["--rpm", "-5"], "--rpm must be a positive"),
    (["--shard", "3/2"], "--shard '3/2'"),
])
def test_bad_run_values_are_one_line_errors(tmp_path, capsys, argv, message):
    code, out, err = cli(capsys, "run", "-m", "q=vllm:test-model@http://127.0.0.1:9/v1", "--out", str(tmp_path),
                         "--quiet", *argv)
    assert code != 0 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not any(tmp_path.iterdir())


def test_no_usage_error_prints_a_url_password(tmp_path, capsys):
    code, out, err = cli(capsys, "run", "-m", "q=vllm:m@http://u:pa55word-secret@127.0.0.1:9/v1", "--out",
                         str(tmp_path), "--timeout", "nan")
    assert code != 0 and "pa55word-secret" not in out + err
    code, out, err = cli(capsys, "run", "-m", "q=vllm:m@http://u:pa55word-secret@127.0.0.1:notaport/v1")
    assert code != 0 and "pa55word-secret" not in out + err


@pytest.mark.parametrize("setting, message", [
    ("timeout = 0", "timeout must be a positive number"),
    ("timeout = nan", "timeout must be a positive number"),
    ("rpm = -5", "rpm must be a positive number"),
    ("tpm = 0", "tpm must be a positive number"),
    ("concurrency = 0", "concurrency must be a whole number >= 1"),
    ("retries = 1.5", "retries must be a whole number >= 0"),
])
def test_bad_per_model_limits_in_the_model_config_are_one_line_errors(tmp_path, capsys, setting, message):
    config = tmp_path / "models.toml"
    config.write_text(f"[q]\n{setting}\n")
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "run", "-m", "q=vllm:test-model@http://127.0.0.1:9/v1", "--out", str(out_dir),
                         "--quiet", "--model-config", str(config))
    assert code != 0 and f"{config} [q]: {message}" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not out_dir.exists()
