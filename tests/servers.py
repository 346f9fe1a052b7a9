"""Real loopback model servers for tests and benchmarks: OpenAI-compatible and Anthropic Messages.

Plain asyncio HTTP/1.1 (keep-alive, Content-Length bodies) on 127.0.0.1, in a background thread
(`serve()`) or a separate process (`python -m tests.servers`, used by the throughput benchmark). Each
server answers deterministically through an answer function, injects faults on a schedule, and logs
every request so tests can check what the client really sent (headers, bodies).

    from tests.servers import Faults, Reply, serve

    with serve(answer=lambda req: req.prompt.upper(), faults=Faults(at={1: "429", 2: "drop"})) as srv:
        ...  # srv.base_url == "http://127.0.0.1:PORT/v1"; srv.log is the list of requests seen

Endpoints: `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions` (OpenAI) and
`POST /v1/messages` (Anthropic). Fault kinds: "429" (with Retry-After), "401", "500", "502", "503",
"hang" (no reply until past the client's timeout, then the connection is closed), "malformed" (a 200
whose body is not JSON) and "drop" (headers and half the body, then the connection is cut).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

FAULT_KINDS = ("429", "401", "500", "502", "503", "hang", "malformed", "drop")
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Incoming:
    """One request as the server saw it. `api` is "chat", "completions", "messages" or "models"."""

    n: int  # 1-based arrival number over the server's lifetime (every path counts)
    api: str
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: Any  # the parsed JSON body, or None
    raw: bytes

    @property
    def prompt(self) -> str:
        """The last user text: the completions prompt, or the last user message's text (either API)."""
        body = self.body or {}
        if self.api == "completions":
            prompt = body.get("prompt", "")
            return prompt if isinstance(prompt, str) else str(prompt[0])
        for message in reversed(body.get("messages", [])):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, str):
                    return content
                return "".join(part.get("text", "") for part in content or () if isinstance(part, dict))
        return ""


@dataclass(frozen=True)
class Reply:
    """What the answer function may return instead of plain text: tool calls, a finish reason, a
    served-model name other than the one requested, an error status, or a raw body."""

    text: str | None = ""
    tool_calls: tuple[tuple[str, Mapping[str, Any] | str], ...] = ()  # (name, arguments)
    finish_reason: str = "stop"  # OpenAI spelling; mapped for Anthropic (stop->end_turn, length->max_tokens)
    model: str | None = None
    status: int = 200  # another status answers with an error body whose message is `text`
    body: bytes | None = None  # sent as the 200 response body exactly as given (bytes JSON encoders refuse)


@dataclass
class Faults:
    """When to misbehave. `at` maps arrival numbers to fault kinds; `rate` maps kinds to probabilities
    drawn per request from a seeded generator; `when` decides from the request itself (e.g. always fail
    one item), which keeps a schedule deterministic under concurrency. First match wins: when, at, rate."""

    at: Mapping[int, str] = field(default_factory=dict)
    rate: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0
    when: Callable[[Incoming], str | None] | None = None
    retry_after: str = "0"  # the Retry-After header sent with 429s (seconds)
    hang_s: float = 30.0  # how long "hang" waits before closing the connection

    def __post_init__(self) -> None:
        unknown = {*self.at.values(), *self.rate} - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
        self._random = random.Random(self.seed)

    def pick(self, request: Incoming) -> str | None:
        if request.api == "models":
            return self.at.get(request.n)
        if self.when is not None and (kind := self.when(request)):
            return kind
        if request.n in self.at:
            return self.at[request.n]
        for kind, p in self.rate.items():
            if self._random.random() < p:
                return kind
        return None


def echo(request: Incoming) -> str:
    """The default answer: the prompt itself, so an exact-match suite whose target is its prompt scores 1."""
    return request.prompt


@dataclass
class Logged:
    """One request in the log, with the fault (if any) it received."""

    request: Incoming
    fault: str | None
    at: float


class _Server:
    """The shared request handler; one instance behind every connection of a listening socket."""

    def __init__(self, answer: Callable[[Incoming], str | Reply], faults: Faults, models: tuple[str, ...],
                 api_key: str | None, latency_s: float, keep_log: bool) -> None:
        self.answer, self.faults, self.models = answer, faults, models
        self.api_key, self.latency_s, self.keep_log = api_key, latency_s, keep_log
        self.log: list[Logged] = []
        self.count = 0
        self.accepted = 0  # connections accepted (keep-alive reuse shows as few connections, many requests)
        self.transports: set[asyncio.Transport] = set()

    # -- building replies -------------------------------------------------------------------------
    def respond(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[float, bytes | None, str | None]:
        """(delay_s, response bytes or None to close, fault) for one request."""
        self.count += 1
        api = {"/v1/chat/completions": "chat", "/v1/completions": "completions", "/v1/messages": "messages",
               "/v1/models": "models"}.get(path.split("?")[0], "unknown")
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        request = Incoming(self.count, api, method, path, headers, body, raw)
        fault = self.faults.pick(request)
        if self.keep_log:
            self.log.append(Logged(request, fault, time.monotonic()))
        if fault == "hang":
            return self.faults.hang_s, None, fault
        if fault == "drop":
            payload = orjson.dumps({"id": "x", "choices": [{"message": {"content": "cut " * 64}}]})
            head = _head(200, len(payload), "application/json")
            return self.latency_s, head + payload[: len(payload) // 2], fault
        if fault == "malformed":
            payload = b'{"id": "x", "choices": [{"message": {"content": "unterminated'
            return self.latency_s, _head(200, len(payload), "application/json") + payload, fault
        if fault in ("429", "500", "502", "503", "401"):
            status = int(fault)
            extra = {"Retry-After": self.faults.retry_after} if status == 429 else {}
            return self.latency_s, _error(api, status, f"injected fault {fault}", extra), fault
        return self.latency_s, self.reply(request), None

    def reply(self, request: Incoming) -> bytes:
        api, body = request.api, request.body
        if api == "unknown":
            return _error(api, 404, f"no route for {request.path}")
        if self.api_key is not None:
            sent = (request.headers.get("x-api-key") if api == "messages"
                    else request.headers.get("authorization", "").removeprefix("Bearer "))
            if sent != self.api_key:
                return _error(api, 401, "invalid api key")
        if api == "models":
            if request.method != "GET":
                return _error(api, 400, "use GET")
            return _json(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "test"}
                                                          for m in self.models]})
        if not isinstance(body, dict):
            return _error(api, 400, "body is not a JSON object")
        model = body.get("model")
        if self.models and model not in self.models:
            return _error(api, 404, f"The model `{model}` does not exist.", code="model_not_found")
        out = self.answer(request)
        if not isinstance(out, Reply):
            out = Reply(text=out)
        if out.status != 200:
            return _error(api, out.status, out.text or "")
        if out.body is not None:
            return _head(200, len(out.body), "application/json") + out.body
        served = out.model or model
        usage_in, usage_out = len(request.raw) // 4, len(out.text or "") // 4 + 1
        if api == "messages":
            content: list[dict[str, Any]] = [{"type": "text", "text": out.text}] if out.text else []
            for i, (name, arguments) in enumerate(out.tool_calls):
                content.append({"type": "tool_use", "id": f"toolu_{request.n}_{i}", "name": name,
                                "input": arguments})
            stop = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}.get(
                out.finish_reason, out.finish_reason)
            if out.tool_calls and stop == "end_turn":
                stop = "tool_use"
            return _json(200, {"id": f"msg_{request.n}", "type": "message", "role": "assistant",
                               "model": served, "content": content, "stop_reason": stop,
                               "usage": {"input_tokens": usage_in, "output_tokens": usage_out}})
        usage = {"prompt_tokens": usage_in, "completion_tokens": usage_out, "total_tokens": usage_in + usage_out}
        if api == "completions":
            return _json(200, {"id": f"cmpl-{request.n}", "object": "text_completion", "created": 0,
                               "model": served, "usage": usage,
                               "choices": [{"index": 0, "text": out.text or "", "finish_reason": out.finish_reason,
                                            "logprobs": None}]})
        message: dict[str, Any] = {"role": "assistant", "content": out.text}
        finish = out.finish_reason
        if out.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{request.n}_{i}", "type": "function",
                 "function": {"name": name,
                              "arguments": arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()}}
                for i, (name, arguments) in enumerate(out.tool_calls)]
            finish = "tool_calls" if finish == "stop" else finish
        return _json(200, {"id": f"chatcmpl-{request.n}", "object": "chat.completion", "created": 0,
                           "model": served, "usage": usage,
                           "choices": [{"index": 0, "message": message, "finish_reason": finish}]})


def _head(status: int, length: int, content_type: str, extra: Mapping[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", f"Content-Type: {content_type}",
             f"Content-Length: {length}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _json(status: int, payload: Any, extra: Mapping[str, str] | None = None) -> bytes:
    body = orjson.dumps(payload)
    return _head(status, len(body), "application/json", extra) + body


def _error(api: str, status: int, message: str, extra: Mapping[str, str] | None = None, *,
           code: str | None = None) -> bytes:
    if api == "messages":
        kind = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
                429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return _json(status, {"type": "error", "error": {"type": kind, "message": message}}, extra)
    return _json(status, {"error": {"message": message, "type": "invalid_request_error" if status < 500 else
                                    "server_error", "code": code or status}}, extra)


class _Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies; requests on one connection answered in order."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.buffer = bytearray()
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.accepted += 1
        self.server.transports.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.transports.discard(self.transport)  # type: ignore[arg-type]
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._process()

    def _process(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            method, path, _ = (head[0].split(" ", 2) + ["", ""])[:3]
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", ""):
                self.transport.write(_error("unknown", 400, "chunked bodies are not supported"))
                self.transport.close()
                return
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buffer) < end + 4 + length:
                return
            raw = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            delay, response, fault = self.server.respond(method, path, headers, raw)
            if delay <= 0:
                self._send(response, fault)
            else:
                self.busy = True
                asyncio.get_running_loop().call_later(delay, self._finish, response, fault)

    def _send(self, response: bytes | None, fault: str | None) -> None:
        if self.transport is None:
            return
        if response is not None:
            self.transport.write(response)
        if response is None or fault == "drop":
            self.transport.close()

    def _finish(self, response: bytes | None, fault: str | None) -> None:
        self.busy = False
        self._send(response, fault)
        self._process()


@dataclass
class RunningServer:
    """A started server: `base_url` (ends in /v1), `port`, the request `log` and the arrival `count`."""

    port: int
    _server: _Server

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log(self) -> list[Logged]:
        return self._server.log

    @property
    def count(self) -> int:
        return self._server.count

    @property
    def connections(self) -> int:
        """Connections accepted so far."""
        return self._server.accepted

    def generation_requests(self) -> list[Logged]:
        """Logged requests to the generation endpoints (not /v1/models)."""
        return [entry for entry in self._server.log if entry.request.api in ("chat", "completions", "messages")]


async def start(answer: Callable[[Incoming], str | Reply] = echo, faults: Faults | None = None, *,
                models: tuple[str, ...] = ("test-model",), api_key: str | None = None, latency_s: float = 0.0,
                keep_log: bool = True, port: int = 0) -> tuple[RunningServer, asyncio.Server]:
    """Start a server on the running loop; returns it and the asyncio server to close."""
    handler = _Server(answer, faults or Faults(), tuple(models), api_key, latency_s, keep_log)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(handler), "127.0.0.1", port, backlog=1024)
    return RunningServer(server.sockets[0].getsockname()[1], handler), server


@contextlib.contextmanager
def serve(answer: Callable[[Incoming], str | Reply] = echo, faults: Faults | None = None, *,
          models: tuple[str, ...] = ("test-model",), api_key: str | None = None, latency_s: float = 0.0,
          keep_log: bool = True) -> Iterator[RunningServer]:
    """Run a server in a background thread for the duration of the block.

    `models` are the ids /v1/models lists and the only ones accepted (empty accepts any); `api_key`, when
    set, is required (Bearer for OpenAI, x-api-key for Anthropic); `latency_s` delays every reply."""
    loop = asyncio.new_event_loop()
    ready: dict[str, Any] = {}
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            try:
                ready["running"], ready["server"] = await start(
                    answer, faults, models=models, api_key=api_key, latency_s=latency_s, keep_log=keep_log)
            except BaseException as e:  # reported to the caller below
                ready["error"] = e
            started.set()

        loop.create_task(boot())
        loop.run_forever()

    thread = threading.Thread(target=run, name="test-model-server", daemon=True)
    thread.start()
    started.wait(10)
    if "error" in ready:
        raise ready["error"]
    running: RunningServer = ready["running"]
    try:
        yield running
    finally:
        async def shutdown() -> None:
            ready["server"].close()
            for transport in list(running._server.transports):
                transport.abort()
            await ready["server"].wait_closed()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@contextlib.contextmanager
def serve_process(*args: str) -> Iterator[str]:
    """Run `python -m tests.servers ARGS` in a subprocess (its own core); yields its base URL."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "tests.servers", "--exit-with-stdin", *args], cwd=root,
                            stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        if not line.startswith("http://"):
            raise RuntimeError(f"test server did not start (said {line!r})")
        yield line
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _drain(stream: Any) -> None:
    while stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096):
        pass


def main(argv: list[str] | None = None) -> None:
    """Standalone: print the base URL, then serve until interrupted (or until stdin closes, with
    --exit-with-stdin)."""
    parser = argparse.ArgumentParser(prog="python -m tests.servers", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model", action="append", default=None, help="model id to serve (repeatable)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each reply")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--fault-rate", action="append", default=[], metavar="KIND=P",
                        help="inject a fault kind with probability P per request (repeatable)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when stdin is closed")
    args = parser.parse_args(argv)
    rate = {kind: float(p) for kind, p in (spec.split("=", 1) for spec in args.fault_rate)}

    async def run() -> None:
        running, server = await start(faults=Faults(rate=rate, seed=args.seed),
                                      models=tuple(args.model or ("test-model",)), api_key=args.api_key,
                                      latency_s=args.latency, keep_log=False, port=args.port)
        print(running.base_url, flush=True)
        if args.exit_with_stdin:  # the parent holds our stdin open; its end (even by a crash) ends us
            await asyncio.get_running_loop().run_in_executor(None, _drain, sys.stdin.buffer)
        else:
            await asyncio.Event().wait()  # until SIGINT/SIGTERM
        server.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
