"""Credentials at the adapter and spec level (review findings 7a, 8): redirects are never followed with a
key, and a URL whose password the parser cannot read is a one-line error that never quotes it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from harness.errors import UserError
from harness.models import ChatRequest, Decoding, ModelError, open_adapter, parse_model_spec
from harness.models.spec import public_url

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-" + "fake-" + os.urandom(8).hex()  # made at run time


async def _redirecting_pair(seen: list[dict]) -> tuple[list[web.AppRunner], int, int]:
    """Two real loopback servers: the first redirects every request (307) to the second, another origin."""
    async def steal(request: web.Request) -> web.Response:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return web.json_response({"error": "gotcha"}, status=400)

    runners, ports = [], []
    for handler in (None, steal):
        app = web.Application()
        if handler is None:
            async def redirect(request: web.Request) -> web.Response:
                raise web.HTTPTemporaryRedirect(f"http://localhost:{ports[1]}/steal")

            handler = redirect
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    return runners, ports[0], ports[1]


@pytest.mark.parametrize("provider, variable, header", [
    ("anthropic", "ANTHROPIC_API_KEY", "x-api-key"),  # aiohttp strips only Authorization across origins
    ("openrouter", "OPENROUTER_API_KEY", "authorization"),
])
def test_a_redirect_is_an_error_and_the_key_never_goes_to_another_address(provider, variable, header, monkeypatch):
    monkeypatch.setenv(variable, KEY)
    seen: list[dict] = []

    async def go() -> tuple[ModelError, int]:
        runners, first, _ = await _redirecting_pair(seen)
        spec = parse_model_spec(f"m={provider}:some-model@http://127.0.0.1:{first}/v1")
        spec = type(spec)(**{**spec.__dict__, "key_env": variable})
        adapter = open_adapter(spec, retries=0, timeout_s=5)
        try:
            with pytest.raises(ModelError) as info:
                await adapter.chat(ChatRequest([{"role": "user", "content": "hi"}], None, Decoding(), 0))
            status, _ = await adapter.get("/models")  # `asymmetry models check` does not follow either
            return info.value, status
        finally:
            await adapter.aclose()
            for runner in runners:
                await runner.cleanup()

    error, status = asyncio.run(go())
    assert seen == []  # the other origin never heard from us, with or without the key
    assert error.kind == "http_4xx" and "redirects to http://localhost:" in str(error) and KEY not in str(error)
    assert status == 307


@pytest.mark.parametrize("url", [
    "http://alice:p/ss@127.0.0.1:9/v1",  # '/' in the password: the port becomes "p"
    "http://alice:p?ss@127.0.0.1:9/v1",
    "http://alice:12/ss@127.0.0.1:9/v1",  # the port parses (12), the rest of the password is a "path"
])
def test_an_unparseable_url_is_one_line_that_never_quotes_the_password(url):
    with pytest.raises(UserError) as info:
        parse_model_spec(f"m=vllm:M@{url}")
    assert "ss@" not in str(info.value) and "alice" not in str(info.value) and "***@127.0.0.1" in str(info.value)
    assert public_url(url) in ("<unparseable url>", "http://alice:12/ss@127.0.0.1:9/v1")  # never raises


@pytest.mark.parametrize("command", [["run", "--suites", "builtin-math"], ["models", "check"]])
def test_the_cli_prints_one_error_line_without_the_password(command, tmp_path):
    spec = "m=vllm:M@http://alice:s3cr/et@127.0.0.1:9/v1"
    argv = [sys.executable, "-m", "harness", *command,
            *(["--model", spec, "--out", str(tmp_path)] if command[0] == "run" else [spec])]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert "s3cr" not in done.stderr + done.stdout and "et@" not in done.stderr
