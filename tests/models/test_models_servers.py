"""The loopback test servers themselves behave like the APIs they stand in for, faults included."""

from __future__ import annotations

import socket

import httpx
import orjson
import pytest

from tests.servers import Faults, Reply, serve, serve_process


def _chat(prompt: str, model: str = "test-model") -> dict:
    return {"model": model, "messages": [{"role": "user", "content": prompt}]}


def test_openai_chat_completions_and_models_answer_deterministically():
    with serve(answer=lambda r: r.prompt[::-1], models=("m1", "m2")) as srv, httpx.Client() as client:
        listed = client.get(f"{srv.base_url}/models").json()
        assert [m["id"] for m in listed["data"]] == ["m1", "m2"]
        chat = client.post(f"{srv.base_url}/chat/completions", json=_chat("abc", "m1")).json()
        assert chat["choices"][0]["message"]["content"] == "cba" and chat["model"] == "m1"
        completion = client.post(f"{srv.base_url}/completions", json={"model": "m2", "prompt": "xyz"}).json()
        assert completion["choices"][0]["text"] == "zyx"
        missing = client.post(f"{srv.base_url}/chat/completions", json=_chat("abc", "nope"))
        assert missing.status_code == 404 and "does not exist" in missing.json()["error"]["message"]
        assert [e.request.api for e in srv.log] == ["models", "chat", "completions", "chat"]


def test_anthropic_messages_with_tool_use_and_key_check():
    reply = Reply(text="calling", tool_calls=(("add", {"a": 1}),))
    with serve(answer=lambda r: reply, api_key="k-123") as srv, httpx.Client() as client:
        url = f"{srv.base_url}/messages"
        denied = client.post(url, json=_chat("hi"), headers={"x-api-key": "wrong"})
        assert denied.status_code == 401 and denied.json()["error"]["type"] == "authentication_error"
        body = client.post(url, json=_chat("hi"), headers={"x-api-key": "k-123"}).json()
        assert body["stop_reason"] == "tool_use"
        assert body["content"][1] == {"type": "tool_use", "id": "toolu_2_0", "name": "add", "input": {"a": 1}}
        assert srv.log[1].request.headers["x-api-key"] == "k-123"


def test_fault_schedule_by_number_and_by_request():
    faults = Faults(at={1: "429", 2: "503", 3: "malformed"}, retry_after="7",
                    when=lambda r: "500" if r.prompt == "bad" else None)
    with serve(faults=faults) as srv, httpx.Client() as client:
        url = f"{srv.base_url}/chat/completions"
        first = client.post(url, json=_chat("a"))
        assert first.status_code == 429 and first.headers["retry-after"] == "7"
        assert client.post(url, json=_chat("a")).status_code == 503
        malformed = client.post(url, json=_chat("a"))
        assert malformed.status_code == 200
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(malformed.content)
        assert client.post(url, json=_chat("bad")).status_code == 500
        assert client.post(url, json=_chat("good")).json()["choices"][0]["message"]["content"] == "good"
        assert [e.fault for e in srv.log] == ["429", "503", "malformed", "500", None]


def test_dropped_body_and_hang_fail_the_client_like_a_real_outage():
    with serve(faults=Faults(at={1: "drop", 2: "hang"}, hang_s=5)) as srv:
        with httpx.Client() as client, pytest.raises(httpx.RemoteProtocolError):
            client.post(f"{srv.base_url}/chat/completions", json=_chat("a"))
        with httpx.Client(timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
            client.post(f"{srv.base_url}/chat/completions", json=_chat("a"))


def test_probabilistic_faults_are_seeded():
    def kinds(seed: int) -> list:
        with serve(faults=Faults(rate={"500": 0.5}, seed=seed)) as srv, httpx.Client() as client:
            for _ in range(20):
                client.post(f"{srv.base_url}/chat/completions", json=_chat("a"))
            return [e.fault for e in srv.log]

    assert kinds(1) == kinds(1) and kinds(1) != kinds(2) and 3 < kinds(1).count("500") < 17


def test_keep_alive_reuses_one_connection():
    with serve() as srv, httpx.Client() as client:
        for _ in range(5):
            client.post(f"{srv.base_url}/chat/completions", json=_chat("a"))
        assert srv.count == 5 and srv.connections == 1


def test_standalone_process_serves_until_terminated():
    with serve_process("--model", "bench") as base_url, httpx.Client() as client:
        assert client.get(f"{base_url}/models").json()["data"][0]["id"] == "bench"
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_standalone_server_keeps_serving_with_stdin_at_eof():
    import subprocess
    import sys
    from pathlib import Path

    proc = subprocess.Popen([sys.executable, "-m", "tests.servers"], cwd=Path(__file__).resolve().parents[2],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        with httpx.Client() as client:
            assert client.post(f"{base_url}/chat/completions", json=_chat("up")).status_code == 200
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)
