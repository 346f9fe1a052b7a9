"""Keeping secrets out of everything the harness writes: run directories, manifests, logs, messages.

Keys belong in the environment, but people paste them into URLs (`http://user:pw@host/v1`,
`?api_key=…`), into `--extra` JSON and into command lines. The tools, used wherever such text is
recorded or printed:

- `scrub_text`: free text (a command line, a model spec, an lm-eval `model_args` string) with every URL's
  user-info and query parameters (all but known-safe ones like api-version) masked;
- `scrub`: a JSON-able value with secret-named fields masked, and `scrub_text` applied to its strings;
- `redact_extra`: request extras for a manifest and a run's identity: a field that is not a known decoding
  parameter (or is secret-named) keeps only a short hash of its value, so a changed value still changes
  the run's configuration hash; `redact_headers` does the same for every HTTP header value, and
  `redact_args` for imported lm-eval / Inspect model arguments;
- `echo_secrets` / `mask`: the strings an endpoint may echo back (key, header values, hashed extras, URL
  credentials in every encoding), masked in what it returns.

Names that count as secret: api_key / apikey / token / secret / password / passwd / authorization /
auth / credential / bearer / session / cookie, in any case, anywhere in the name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

SECRET_NAME = re.compile(r"api[_-]?key|token|secret|passw(or)?d|authori[sz]ation|auth|credential|bearer|session|cookie",
                         re.I)
#: Shorter "keys" are placeholders (EMPTY, dummy, ollama, x…): masking them would corrupt answers
#: ("\boxed" with the key "x" became "\bo***ed") and protect nothing.
MIN_SECRET_LEN = 12
MASK = "***"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# Where a URL's authority can end at the latest: white space, quotes, brackets, a comma (k=v,k=v lists)
# or the next "@scheme://" (several replicas in one model spec).
_AUTHORITY_END = re.compile(r"[\s\"'<>(){}\[\],]|@?[A-Za-z][A-Za-z0-9+.-]*://")
_SECRET_PARAM = re.compile(
    r"([?&;][^=&#\s\"']*(?:api[_-]?key|token|secret|passw(?:or)?d|auth|credential|signature|sig)[^=&#\s\"']*=)"
    r"[^&#\s\"',]*", re.I)


#: URL query parameters known to hold no secret (an API version, a response format…): kept as they are.
#: Any other parameter's value is masked whatever its name: keys hide under key, code, sig, k, a gateway's
#: own name…, so a list of suspicious names always misses one.
SAFE_QUERY = frozenset({"api-version", "api_version", "version", "v", "format", "alt", "model", "deployment",
                        "region", "location", "stream", "timeout", "lang", "locale", "beta"})
# Where a URL ends in free text: white space, quotes, brackets, a comma, or the next "@scheme://" (replicas)
_URL_END = re.compile(r"[\s\"'<>(){}\[\],]|@[A-Za-z][A-Za-z0-9+.-]*://")


def _mask_queries(text: str) -> str:
    """Every URL's query parameters masked but the SAFE_QUERY ones (`?key=***&api-version=2024-06-01`)."""
    out: list[str] = []
    position = 0
    for match in _SCHEME.finditer(text):
        if match.start() < position:
            continue
        stop = _URL_END.search(text, match.end())
        end = stop.start() if stop else len(text)
        question = text.find("?", match.end(), end)
        if question < 0:
            continue
        query_end = end  # the fragment too: `#access_token=…` is a credential in some flows
        pieces = re.split(r"([&;#])", text[question + 1:query_end])
        for i in range(0, len(pieces), 2):
            name, sep, value = pieces[i].partition("=")
            if pieces[i] and not (sep and name.lower() in SAFE_QUERY):
                pieces[i] = f"{name}={MASK}" if sep else MASK
        out += [text[position:question + 1], "".join(pieces)]
        position = query_end
    out.append(text[position:])
    return "".join(out)


def scrub_text(text: str) -> str:
    """`text` with URL user-info (`scheme://***@host`) and query parameters masked (all but SAFE_QUERY
    ones in URLs; secret-named ones anywhere). The user-info runs to the *last* '@' before the host, so a
    password holding '@', '/', '?' or '#' (not percent-encoded, as people paste them) is masked whole."""
    if "://" not in text:
        return _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, text) if "=" in text else text
    out: list[str] = []
    position = 0
    for match in _SCHEME.finditer(text):
        start = match.end()
        if start <= position:
            continue
        stop = _AUTHORITY_END.search(text, start)
        end = stop.start() if stop else len(text)
        at = text.rfind("@", start, end)
        if at >= 0:
            out += [text[position:start], MASK, "@"]
            position = at + 1
    out.append(text[position:])
    return _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, _mask_queries("".join(out)))


_NAME = r"[\w.-]*(?:api[_-]?key|token|secret|passw(?:or)?d|authori[sz]ation|auth|credential|bearer|session|cookie)[\w.-]*"
# `"api_key": "sk-…"` (JSON in --extra), `api_key = "…"`, `api_key=…` (k=v lists), with any quoting
_ASSIGNMENT = re.compile(
    rf"""((["']?){_NAME}\2\s*[:=]\s*)("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;}}'"]+)""", re.I)


def scrub_command(command: str) -> str:
    """A command line as recorded: `scrub_text`, and the value of every secret-named field written in
    it (JSON `"api_key": "…"`, `token=…`) masked."""
    def mask(match: re.Match[str]) -> str:
        value = match.group(3)
        quote = value[0] if value[:1] in "\"'" else ""
        return f"{match.group(1)}{quote}{MASK}{quote}"

    return _ASSIGNMENT.sub(mask, scrub_text(command))


def scrub(value: Any) -> Any:
    """A copy of a JSON-able value with secrets removed: fields whose name says key/token/password are
    masked, strings go through `scrub_text`, and `k=v,k=v` argument strings (lm-eval's model_args) are
    scrubbed per pair."""
    if isinstance(value, Mapping):
        return {k: ("<redacted>" if SECRET_NAME.search(str(k)) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        pairs = kv_pairs(value)
        if pairs:
            return ",".join(f"{k}={'<redacted>' if SECRET_NAME.search(k) else scrub_text(v)}" for k, v in pairs)
        return scrub_text(value)
    return value


#: Request-body fields known to be decoding parameters: recorded as they are (they decide the answers, and
#: compare checks both releases used the same). Any other field may be a session id, a cookie or a key under
#: an innocent name, so only a hash of its value is recorded.
DECODING_FIELDS = frozenset({
    "temperature", "top_p", "top_k", "min_p", "typical_p", "max_tokens", "max_completion_tokens", "max_new_tokens",
    "min_tokens", "seed", "stop", "stop_token_ids", "n", "best_of", "presence_penalty", "frequency_penalty",
    "repetition_penalty", "length_penalty", "logprobs", "top_logprobs", "ignore_eos", "skip_special_tokens",
    "include_stop_str_in_output", "spaces_between_special_tokens", "reasoning_effort", "verbosity",
    "chat_template_kwargs", "enable_thinking", "thinking", "think", "budget_tokens", "reasoning", "effort",
    "exclude", "type", "tool_choice", "parallel_tool_calls", "response_format", "use_beam_search",
})


def hash_value(value: Any) -> str:
    """`<redacted sha256:…>` of a value: never the value, but two different values differ."""
    return f"<redacted sha256:{hashlib.sha256(repr(value).encode()).hexdigest()[:12]}>"


def kv_pairs(text: str) -> list[tuple[str, str]]:
    """`k=v,k=v` as pairs, where a value may itself hold commas (`api_key=a,b,c`): a piece that does not
    start with `name=` continues the previous value. Empty when `text` is not such a list."""
    if "=" not in text:
        return []
    pairs: list[tuple[str, str]] = []
    for piece in text.split(","):
        key, sep, rest = piece.partition("=")
        if sep and re.fullmatch(r"[\w.-]+", key.strip()):
            pairs.append((key, rest))
        elif pairs:
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]},{piece}")
        else:
            return []
    return pairs


def redact_extra(extra: Mapping[str, Any]) -> dict[str, Any]:
    """Request extras as recorded (manifests, run identity, compare.json, the report): known decoding
    parameters keep their values (secret-looking strings in them still masked); every other field, and
    any secret-named one, becomes `<redacted sha256:…>` of its value, so the record never holds a secret
    but two different values still make two different configurations."""
    out: dict[str, Any] = {}
    for key, value in extra.items():
        name = str(key)
        if value is None:
            out[key] = None  # a null removes a field the endpoint rejects; it holds nothing
        elif SECRET_NAME.search(name) or name not in DECODING_FIELDS:
            out[key] = value if _is_hashed(value) else hash_value(value)
        else:
            out[key] = _redact_value(value)
    return out


def redact_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """HTTP headers as recorded: the names, and a hash of every value (Cookie, Authorization, a
    gateway's session…): none of them is a decoding parameter."""
    return {str(k): hash_value(v) for k, v in headers.items()}


#: Model arguments of lm-eval (`--model_args`) and Inspect (`-M`) known to hold no secret: recorded as
#: they are (URLs scrubbed). Any other argument (key, hf_pat, a provider's session…) keeps only a hash of
#: its value, and header arguments a hash of each header's value.
SAFE_ARGS = DECODING_FIELDS | frozenset({
    "model", "pretrained", "base_url", "tokenizer", "tokenizer_backend", "tokenized_requests", "num_concurrent",
    "max_retries", "timeout", "max_length", "max_gen_toks", "batch_size", "max_batch_size", "device", "dtype",
    "revision", "trust_remote_code", "add_bos_token", "parallelize", "eos_string", "verify_certificate",
    "use_fast_tokenizer", "backend", "tensor_parallel_size", "data_parallel_size", "gpu_memory_utilization",
    "max_model_len", "think_end_token", "enable_thinking", "cache_dir", "model_path", "tokenizer_path", "spec",
})
HEADER_ARGS = frozenset({"header", "headers", "default_headers", "extra_headers", "http_headers"})


def redact_args(value: Any) -> Any:
    """lm-eval's model_args or Inspect's model args (a mapping, or `k=v,k=v` text) as recorded: SAFE_ARGS
    as they are (URL credentials and queries masked), a header mapping with each value hashed, every other
    argument `<redacted sha256:…>` of its value. An allowlist: a denylist of suspicious names let `key`,
    `hf_pat` and lm-eval's `header` through."""
    if isinstance(value, Mapping):
        return {k: _redact_arg(str(k), v) for k, v in value.items()}
    if isinstance(value, str):
        pairs = kv_pairs(value)
        if pairs:
            return ",".join(f"{k}={_redact_arg(k.strip(), v)}" for k, v in pairs)
        return scrub_text(value)
    return scrub(value)


def _redact_arg(name: str, value: Any) -> Any:
    if value is None or _is_hashed(value):
        return value
    if name.lower() in HEADER_ARGS and isinstance(value, Mapping):
        return redact_headers(value)
    if name in SAFE_ARGS and not SECRET_NAME.search(name):
        return scrub(value)
    return hash_value(value)


def _is_hashed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("<redacted sha256:") and value.endswith(">")


def _redact_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact_extra(value)
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def echo_secrets(*, key: str | None = None, headers: Mapping[str, Any] | None = None,
                 extras: Any = (), urls: Any = ()) -> tuple[str, ...]:
    """Every string an endpoint might echo back that must never be recorded, longest first: the API key,
    each header value (whole, and each `;`/`,`/space-separated piece and its `name=` value), every string
    under an extra field that `redact_extra` records only as a hash, URL query values (but SAFE_QUERY
    ones), and URL credentials as typed, percent-decoded, percent-encoded and inside the `Basic`
    authorization they become. Strings shorter
    than MIN_SECRET_LEN are left out: masking them would corrupt answers and protect nothing."""
    import base64
    from urllib.parse import quote, unquote, urlsplit

    found: set[str] = {key} if key else set()
    for value in (headers or {}).values():
        value = str(value)
        found.add(value)
        for piece in re.split(r"[;,\s]+", value):
            found.update((piece, piece.partition("=")[2]))
    for extra in extras:
        found.update(_hashed_leaves(extra))
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        for name, _, value in (piece.partition("=") for piece in re.split(r"[&;]", parts.query)):
            if name.lower() not in SAFE_QUERY:
                found.update((value, unquote(value)))
        user, password = parts.username or "", parts.password or ""
        if not password:
            continue
        for u, p in {(user, password), (unquote(user), unquote(password))}:
            found.update((p, quote(p, safe=""), f"{u}:{p}", base64.b64encode(f"{u}:{p}".encode()).decode()))
    return tuple(sorted((s for s in found if is_secret(s)), key=len, reverse=True))


def _hashed_leaves(extra: Mapping[str, Any]) -> set[str]:
    """The string (and long-integer) leaves of the fields `redact_extra` hashes."""
    out: set[str] = set()

    def leaves(value: Any) -> None:
        if isinstance(value, Mapping):
            for v in value.values():
                leaves(v)
        elif isinstance(value, list | tuple):
            for v in value:
                leaves(v)
        elif isinstance(value, str | int) and not isinstance(value, bool):
            out.add(str(value))

    for name, value in extra.items():
        if value is None:
            continue
        if SECRET_NAME.search(str(name)) or str(name) not in DECODING_FIELDS:
            leaves(value)
        elif isinstance(value, Mapping):
            out |= _hashed_leaves(value)
    return out


def mask(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with each of `secrets` (longest first) replaced by MASK."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def is_secret(key: str | None) -> bool:
    """Whether an API key is long enough to be masked in text (shorter ones are placeholders)."""
    return bool(key) and len(key) >= MIN_SECRET_LEN  # type: ignore[arg-type]
