"""The one HTTP code path under every hosted or local model: a pooled aiohttp session per model,
replicas, adaptive concurrency, rate budgets, and retries with backoff.

Providers differ only in their wire codec (`harness.models.openai`, `harness.models.anthropic`): pure
request builders and response parsers. aiohttp is the transport because it is the fastest measured here
(benchmarks/throughput/transport.py: about 2-4k requests/s per core against a loopback server, 3-20x
httpx's async client) and lm-eval's `api` extra already depends on it.

Failure policy: timeouts, dropped connections, 5xx and malformed bodies are retried with exponential
backoff and jitter; 429 honours Retry-After, pauses new requests to that endpoint and halves its
concurrency (recovering as requests succeed); other 4xx fail at once (a configuration problem). After
the last retry a `ModelError` carries the error kind, so the runner journals it instead of scoring it.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import re
import time
from collections import Counter
from dataclasses import replace
from types import ModuleType
from typing import Any

import aiohttp
import orjson

from harness.errors import UserError
from harness.models import anthropic, openai
from harness.models.base import ChatRequest, ChatResponse, ModelError, ToolCall
from harness.models.limits import AdaptiveLimit, RateBudget
from harness.models.redact import echo_secrets, mask, scrub_text
from harness.models.spec import ModelSpec, public_url

MAX_RETRY_AFTER_S = 600.0


class _Replica:
    __slots__ = ("url", "public", "inflight", "served", "down_until", "failures")

    def __init__(self, url: str) -> None:
        self.url = url
        self.public = public_url(url)
        self.inflight = 0
        self.served = 0
        self.down_until = 0.0  # after a timeout or connection failure, others are preferred until then
        self.failures = 0


class HttpAdapter:
    """A model behind an OpenAI-compatible or Anthropic endpoint (one or several replicas)."""

    def __init__(self, spec: ModelSpec, *, concurrency: int = 32, timeout_s: float = 300.0, retries: int = 4,
                 backoff_s: float = 0.5, max_backoff_s: float = 30.0, rpm: float | None = None,
                 tpm: float | None = None, connect_timeout_s: float = 30.0) -> None:
        self.spec = spec
        self.label = spec.label
        self.codec: ModuleType = anthropic if spec.api == "messages" else openai
        key = spec.api_key()
        self._headers = {**self.codec.headers(spec, key), **dict(spec.headers)}
        if any(_has_userinfo(u) for u in spec.base_urls) and any(
                k.lower() in ("authorization", "x-api-key") for k in self._headers):
            raise UserError(f"model {spec.label}: the base URL carries a user name or password and "
                            f"{spec.key_env or 'an API key'} is set too; both would go in the request's credentials "
                            "and every request would fail. Keep one (better: the key, from the environment)")
        # what an endpoint may echo and must never be recorded: the key, every configured header value, the
        # values of extras recorded only as hashes, URL credentials in every form (placeholders left out)
        self._secrets = echo_secrets(key=key, headers=spec.headers, extras=[spec.extra], urls=spec.base_urls)
        self._learned: dict[int, Any] = {}  # request extras (by identity, kept alive) already added above
        self.timeout_s, self.retries = timeout_s, retries
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.connect_timeout_s = connect_timeout_s
        self.limit = AdaptiveLimit(concurrency)
        self.rpm = RateBudget(rpm) if rpm else None
        self.tpm = RateBudget(tpm) if tpm else None
        self.replicas = [_Replica(url) for url in spec.base_urls]
        self._turn = 0
        self._paused_until = 0.0
        self._session: aiohttp.ClientSession | None = None
        self.retried: Counter[str] = Counter()  # retried attempts by error kind (reported after a run)
        self.served_models: Counter[str] = Counter()

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self.limit.ceiling * len(self.replicas),
                                         limit_per_host=self.limit.ceiling, keepalive_timeout=30)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s, sock_connect=min(self.connect_timeout_s, self.timeout_s))
        return aiohttp.ClientSession(connector=connector, timeout=timeout, headers=self._headers,
                                     auto_decompress=True, trust_env=False)

    def _pick(self) -> _Replica:
        replicas = self.replicas
        if len(replicas) == 1:
            return replicas[0]
        self._turn += 1
        n = len(replicas)
        now = time.monotonic()
        return min((replicas[(self._turn + i) % n] for i in range(n)),
                   key=lambda r: (r.down_until > now, r.inflight))

    def redact(self, text: str) -> str:
        """`text` with this model's secrets masked (servers echo keys, cookies and request bodies in
        answers and error bodies). Values shorter than `MIN_SECRET_LEN` are placeholders and left alone:
        masking "x" would corrupt answers."""
        return mask(text, self._secrets) if self._secrets else text

    def _learn(self, extra: Any) -> None:
        """Add the secrets of a request's extras (the run's --extra) the first time they are seen."""
        if extra and id(extra) not in self._learned:
            self._learned[id(extra)] = extra
            added = echo_secrets(extras=[extra])
            if added:
                self._secrets = tuple(sorted({*self._secrets, *added}, key=len, reverse=True))

    def _message(self, text: str) -> str:
        """An error message as recorded: no key, no URL credentials (transport errors may quote URLs)."""
        return self.redact(scrub_text(text))

    def _failure(self, kind: str, text: str, raw: bytes = b"") -> ModelError:
        """The error for a failed request; flagged `redacted` when its message or the body it quotes
        (`raw`) echoed a secret."""
        message = self._message(text)
        body = raw.decode("utf-8", "replace")
        return ModelError(kind, message, redacted=message != scrub_text(text) or self.redact(body) != body)

    async def chat(self, request: ChatRequest) -> ChatResponse:
        path, payload = self.codec.build(self.spec, request)
        self._learn(request.decoding.extra)
        body = orjson.dumps(payload)
        if self._session is None:
            self._session = self._open()
        session = self._session
        estimate = len(body) / 4 + request.decoding.max_tokens
        attempt = 0
        while True:
            if self._paused_until:
                wait = self._paused_until - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            if self.rpm:
                await self.rpm.take(1)
            if self.tpm:
                await self.tpm.take(estimate)
            await self.limit.acquire()
            replica = self._pick()
            replica.inflight += 1
            kind = detail = ""
            status, retry_after, raw, location = 0, None, b"", ""
            started = time.perf_counter()
            try:
                # never follow a redirect: aiohttp drops Authorization on a cross-origin one, not x-api-key
                async with session.post(replica.url + path, data=body, allow_redirects=False) as resp:
                    status = resp.status
                    raw = await resp.read()
                    if status == 429:
                        retry_after = resp.headers.get("Retry-After")
                    location = resp.headers.get("Location", "")
            except TimeoutError:
                kind, detail = "timeout", f"no complete answer within {self.timeout_s:g}s"
            except aiohttp.ClientError as e:
                kind, detail = "connection", f"{type(e).__name__}: {e}"
            except (ValueError, TypeError, OSError) as e:  # the request could not be sent (e.g. bad credentials)
                kind, detail = "connection", f"{type(e).__name__}: {e}"
            finally:
                replica.inflight -= 1
                self.limit.release()
            latency = time.perf_counter() - started
            if kind and len(self.replicas) > 1:
                replica.failures += 1
                replica.down_until = time.monotonic() + min(30.0, 0.5 * 2 ** min(replica.failures, 6))
            if not kind:
                if status == 200:
                    try:
                        body = _body(raw)
                        response = self.codec.parse(self.spec, request, body)
                    except (json.JSONDecodeError, KeyError, TypeError, IndexError, AttributeError) as e:
                        kind, detail = "malformed_response", f"the body is not the protocol's JSON ({type(e).__name__})"
                    except ModelError as e:  # a refusal or unreadable tool calls: the text is kept, key masked
                        raise self._scrub_error(e) from None
                    else:
                        self.limit.succeeded()
                        replica.served += 1
                        replica.failures = 0
                        if response.served_model:
                            self.served_models[response.served_model] += 1
                        if self.tpm and response.usage.completion_tokens is not None:
                            used = (response.usage.prompt_tokens or 0) + response.usage.completion_tokens
                            self.tpm.refund(max(0.0, estimate - used))
                        if self._secrets:
                            response = self._scrub(response)  # an endpoint echoed a secret: never keep it
                        if isinstance(body, _Lossy):
                            response = replace(response, invalid_unicode=True)
                        return _with_latency(response, latency)
                elif status == 429:
                    kind, detail = "http_429", "rate limited"
                    self.limit.throttled()
                elif status >= 500:
                    kind, detail = "http_5xx", f"HTTP {status}: {_snippet(raw, self.redact)}"
                elif 300 <= status < 400:
                    raise self._failure("http_4xx", (
                        f"{self.label}: HTTP {status} from {replica.public}{path} redirects to "
                        f"{public_url(location) if location else 'nowhere'}; redirects are not followed (the API "
                        "key would go with them): give the final address as the base URL"))
                else:
                    raise self._failure("http_4xx", (
                        f"{self.label}: HTTP {status} from {replica.public}{path}: {_snippet(raw, self.redact)}"
                        f"{self._hint(status)}"), raw)
            if attempt >= self.retries:
                raise self._failure(kind, (
                    f"{self.label}: {kind} from {replica.public}{path} after {attempt + 1} attempt(s): {detail}"), raw)
            self.retried[kind] += 1
            delay = min(self.max_backoff_s, self.backoff_s * 2**attempt) * random.uniform(0.5, 1.0)
            if kind == "http_429":
                honoured = _retry_after_s(retry_after)
                if honoured is not None:
                    delay = max(delay, honoured)
                self._paused_until = max(self._paused_until, time.monotonic() + delay)
            attempt += 1
            await asyncio.sleep(delay)

    async def get(self, path: str) -> tuple[int, bytes]:
        """GET `path` on the first replica (e.g. /models for `asymmetry models check`); no retries, no
        redirects followed (a 3xx comes back as it is). Raises aiohttp.ClientError or TimeoutError when
        the endpoint cannot be reached."""
        if self._session is None:
            self._session = self._open()
        async with self._session.get(self.replicas[0].url + path, allow_redirects=False) as resp:
            return resp.status, await resp.read()

    def _scrub(self, response: ChatResponse) -> ChatResponse:
        """`response` with every secret masked in its text, tool calls and served model id (itself when
        none appears)."""
        calls = tuple(ToolCall(c.name, self._mask_tree(c.arguments), c.id) for c in response.tool_calls)
        text, served = self.redact(response.text), self.redact(response.served_model or "") or None
        if text == response.text and served == response.served_model and calls == response.tool_calls:
            return response
        return replace(response, text=text, tool_calls=calls, served_model=served, redacted=True)

    def _mask_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self._mask_tree(k): self._mask_tree(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._mask_tree(v) for v in value)
        return value

    def _scrub_error(self, error: ModelError) -> ModelError:
        """`error` with every secret masked in its message and in the model text it carries."""
        message, text = str(error), error.response
        if self.redact(message) == message and self.redact(text) == text:
            return error
        return ModelError(error.kind, self.redact(message), response=self.redact(text), redacted=True)

    def _hint(self, status: int) -> str:
        if status in (401, 403):
            var = self.spec.key_env or "the provider's API-key variable"
            return f" (check {var} in the environment)"
        if status == 404:
            return f" (is model {self.spec.model!r} served there? try `asymmetry models check`)"
        return ""

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _has_userinfo(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return bool(parts.username or parts.password)


def _with_latency(response: ChatResponse, latency: float) -> ChatResponse:
    return replace(response, latency_s=latency)


class _Lossy(dict):  # type: ignore[type-arg]
    """A parsed body in which characters JSON text cannot carry were replaced (see `_body`)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _body(raw: bytes) -> Any:
    """The parsed JSON body. orjson refuses a lone surrogate escape (`\\ud800`) and bytes that are not
    UTF-8; such an answer is still the model's answer, not a malformed response to ask again forever (and
    excluded from scoring meanwhile), so it is read by the standard library with those characters replaced
    by U+FFFD, and marked (`_Lossy`) so the record can say so. NaN and Infinity stay refused."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass

    def refuse(constant: str) -> Any:
        raise json.JSONDecodeError(f"{constant} is not JSON", constant, 0)

    text = raw.decode("utf-8", "replace")
    data = json.loads(text, parse_constant=refuse)
    cleaned = _clean(data)
    if not isinstance(data, dict) or (cleaned == data and "\ufffd" not in text):
        return data  # nothing was replaced (orjson refused something else the standard library reads)
    return _Lossy(cleaned)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _snippet(raw: bytes, redact: Any = None, n: int = 200) -> str:
    """The first `n` characters of an error body's message, secrets masked (by `redact`) before it is cut,
    so no part of one survives at the cut."""
    redact = redact or (lambda text: text)
    try:
        data: Any = orjson.loads(raw)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and error.get("message"):
            return redact(str(error["message"]))[:n]
    except orjson.JSONDecodeError:
        pass
    text = redact(raw[: n + 4096].decode("utf-8", "replace"))[:n]
    return " ".join(text.split()) or "(empty body)"


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped; None if absent/bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))
