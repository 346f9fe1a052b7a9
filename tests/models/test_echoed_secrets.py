"""Secrets an endpoint echoes back (security review finding 5): header values from --model-config, the
values of --extra fields recorded only as hashes, and URL credentials (as typed, decoded, and inside the
`Authorization: Basic` header they become) are masked in stored answers, tool calls and error bodies."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import orjson

from harness.models import Decoding
from harness.run.store import iter_records
from tests.run.test_runner import exact_suite, run, spec
from tests.servers import Reply, serve


def _token(name: str) -> str:
    return f"{name}-{secrets.token_hex(10)}"  # fake secrets, made at run time


COOKIE, GATEWAY, API_KEY, SESSION, NESTED = (_token(n) for n in ("cookie", "gateway", "apikey", "session", "nested"))
PASSWORD_TYPED = f"pw%40{secrets.token_hex(8)}"  # percent-encoded in the URL: the password holds an '@'
PASSWORD = PASSWORD_TYPED.replace("%40", "@")
BASIC = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


def _everything(request) -> Reply:
    """Echo the request's headers and body: as the answer, as a tool call, or in an error body."""
    echoed = orjson.dumps({"headers": dict(request.headers), "body": request.body}).decode()
    if request.prompt.endswith("q-1"):
        return Reply(text=echoed, status=400)
    if request.prompt.endswith("q-2"):
        return Reply(text="calling", tool_calls=(("lookup", {"echo": echoed}),))
    return Reply(text=f"prod answer; {echoed}", model=f"served-{COOKIE}")


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_header_extra_and_url_credential_values_echoed_by_the_endpoint_never_reach_the_run_directory(tmp_path):
    headers = {"Cookie": f"theme=dark; session={COOKIE}", "X-Gateway": GATEWAY, "X-Env": "prod"}
    extra = {"session": SESSION, "metadata": {"user": "bob", "session_token": NESTED}}
    with serve(answer=_everything) as srv:
        url = srv.base_url.replace("http://", f"http://alice:{PASSWORD_TYPED}@")
        model = spec(url, headers=headers, extra=extra)
        result = run(tmp_path, [model], [exact_suite("s", 3)], decoding=Decoding(extra={"api_key": API_KEY}),
                     adapter_options={"retries": 0})
        sent = srv.generation_requests()[0].request
    # really sent, and really echoed
    assert sent.headers["cookie"].endswith(COOKIE) and sent.headers["authorization"] == f"Basic {BASIC}"
    assert sent.body["api_key"] == API_KEY and sent.body["metadata"]["session_token"] == NESTED
    stored = _all_bytes(result.run_dir)
    for secret in (COOKIE, GATEWAY, API_KEY, SESSION, NESTED, PASSWORD, PASSWORD_TYPED, BASIC):
        assert secret.encode() not in stored, secret
    records = {r["item_id"]: r for r in iter_records(result.run_dir)}
    assert records["1"]["error"] == "http_4xx" and "***" in records["1"]["error_message"]
    assert all(records[k]["redacted"] is True for k in "012")
    assert records["0"]["response"].startswith("prod answer")  # a short header value ("prod") is not masked
    assert '"user":"bob"' in records["0"]["response"]  # nor a short extra value
