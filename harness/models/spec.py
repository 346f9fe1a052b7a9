"""Model spec strings (`LABEL=PROVIDER:MODEL[@BASE_URL]`) and the provider presets behind them.

A preset names a provider's default base URL, the environment variable holding its API key and its wire
protocol. Keys are read from the environment when a request is sent and are never stored in a spec, so a
spec (and everything derived from it: manifests, journals, logs) can be written out safely.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harness.errors import UserError
from harness.models.redact import redact_extra, redact_headers, scrub_text

APIS = ("chat", "completions", "messages", "replay")
TOOL_MODES = ("native", "json")


@dataclass(frozen=True)
class Preset:
    """A provider's defaults. `key_required` means the default URL is a hosted API that needs a key."""

    base_url: str
    key_env: str | None
    api: str = "chat"
    key_required: bool = False
    note: str = ""


PRESETS: Mapping[str, Preset] = {
    "openai": Preset("https://api.openai.com/v1", "OPENAI_API_KEY", key_required=True,
                     note="OpenAI, or any OpenAI-compatible server given with @URL"),
    "vllm": Preset("http://127.0.0.1:8000/v1", "VLLM_API_KEY", note="vllm serve MODEL (--api-key optional)"),
    "sglang": Preset("http://127.0.0.1:30000/v1", "SGLANG_API_KEY", note="python -m sglang.launch_server"),
    "ollama": Preset("http://127.0.0.1:11434/v1", "OLLAMA_API_KEY", note="ollama serve; MODEL like qwen3:8b"),
    "llamacpp": Preset("http://127.0.0.1:8080/v1", "LLAMACPP_API_KEY", note="llama-server -m FILE.gguf"),
    "lmstudio": Preset("http://127.0.0.1:1234/v1", "LMSTUDIO_API_KEY", note="LM Studio's local server"),
    "dashscope": Preset("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY",
                        key_required=True, note="Alibaba Cloud Model Studio (Qwen hosted), international"),
    "openrouter": Preset("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", key_required=True),
    "together": Preset("https://api.together.xyz/v1", "TOGETHER_API_KEY", key_required=True),
    "anthropic": Preset("https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", api="messages", key_required=True),
    "replay": Preset("", None, api="replay", note="answers from an earlier run: LABEL=replay:MODEL@RUN_DIR"),
}

_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_URL_START = re.compile(r"@(?=https?://)")


@dataclass(frozen=True)
class ModelSpec:
    """One model under test. `api`, `tool_mode` and `extra` change what is sent, so they are part of a
    run's configuration; the base URLs are where it is sent (replicas), recorded but not part of it."""

    label: str
    provider: str
    model: str
    base_urls: tuple[str, ...]
    api: str = "chat"  # chat | completions (base models) | messages (Anthropic) | replay
    key_env: str | None = None
    tool_mode: str = "native"  # native | json (tools rendered into the prompt, harness.suites.toolcalls)
    extra: Mapping[str, Any] = field(default_factory=dict)  # provider extras merged into each request body
    key_required: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)  # extra HTTP headers (a gateway's cookie…)

    def __str__(self) -> str:
        return f"{self.label}={self.provider}:{self.model}" + "".join(f"@{u}" for u in self.public_urls())

    def public_urls(self) -> tuple[str, ...]:
        """The base URLs without user-info, query or fragment (they may carry credentials)."""
        return tuple(public_url(u) for u in self.base_urls)

    def api_key(self) -> str | None:
        """The API key from the environment (never stored); a clear error when a hosted API needs one."""
        key = os.environ.get(self.key_env) if self.key_env else None
        if not key and self.key_required:
            raise UserError(f"model {self.label}: set {self.key_env} in the environment (the API key for "
                            f"{self.provider}); keys are read from the environment only")
        return key or None

    def describe(self) -> dict[str, Any]:
        """The spec as recorded in a manifest: no secrets, only the name of the key variable (and of a
        secret-named extra, a hash of its value)."""
        return {"label": self.label, "provider": self.provider, "model": self.model, "api": self.api,
                "base_urls": list(self.public_urls()), "api_key_env": self.key_env, "tool_mode": self.tool_mode,
                "extra": redact_extra(self.extra), **({"headers": redact_headers(self.headers)} if self.headers else {})}

    def identity(self) -> dict[str, Any]:
        """What decides the answers (part of a run's configuration hash): not URLs, not keys."""
        return {"label": self.label, "provider": self.provider, "model": self.model, "api": self.api,
                "tool_mode": self.tool_mode, "extra": redact_extra(self.extra)}


def public_url(url: str) -> str:
    """`url` without user-info, query and fragment, for records and messages."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a non-numeric port, e.g. an unencoded '/' in a password
    except ValueError:
        return "<unparseable url>"
    if not parts.scheme:
        return url  # a path (replay run directories)
    host = parts.hostname or ""
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def check_url(url: str, where: str) -> None:
    """A one-line error for a base URL that cannot be used, never quoting its user-info (a password)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise UserError(f"{where}: base URL {scrub_text(url)!r} cannot be parsed (a bad port, or a password with "
                        "an unencoded '/', '?', '#' or '@': percent-encode it, or better, use the provider's "
                        "API-key variable)") from None
    if not parts.hostname:
        raise UserError(f"{where}: base URL {public_url(url)!r} has no host")
    if "@" in url[len(parts.scheme) + 3 + len(parts.netloc):]:
        raise UserError(f"{where}: base URL {scrub_text(url)!r} has an '@' after its host (a password with an "
                        "unencoded '/', '?' or '#'?): percent-encode it, or better, use the provider's API-key "
                        "variable")


def parse_model_spec(text: str) -> ModelSpec:
    """Parse `LABEL=PROVIDER:MODEL[@BASE_URL[@BASE_URL…]]`; several URLs are load-balanced replicas.

    The model name may itself contain ':' (ollama's `qwen3:8b`). For `replay`, the part after '@' is the
    earlier run's directory and MODEL the label it was recorded under. Error messages never quote a
    URL's user-info."""
    shown = scrub_text(text)
    label, sep, rest = text.partition("=")
    label = label.strip()
    if not sep or not rest:
        raise UserError(f"model spec {shown!r}: expected LABEL=PROVIDER:MODEL[@BASE_URL], "
                        "e.g. qwen3-8b=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1")
    if not _LABEL.match(label):
        raise UserError(f"model spec {shown!r}: label {label!r} must be 1-64 letters, digits, '.', '_' or '-'")
    provider, sep, rest = rest.partition(":")
    provider = provider.strip().lower()
    if provider not in PRESETS:
        raise UserError(f"model spec {shown!r}: unknown provider {provider!r}; choose one of "
                        f"{', '.join(PRESETS)} (`asymmetry models presets` lists them)")
    if not sep or not rest.strip():
        raise UserError(f"model spec {shown!r}: no model name after '{provider}:'")
    preset = PRESETS[provider]
    if provider == "replay":
        model, sep, run_dir = rest.partition("@")
        if not sep or not model or not run_dir:
            raise UserError(f"model spec {shown!r}: replay needs LABEL=replay:MODEL@RUN_DIR, where MODEL is the "
                            "label the earlier run recorded, e.g. q=replay:qwen3-8b@results/my-run")
        return ModelSpec(label, provider, model, (run_dir,), api="replay")
    model, *urls = _URL_START.split(rest)
    if "@" in model and not urls:
        raise UserError(f"model spec {shown!r}: the base URL after '@' must start with http:// or https://")
    for url in urls:
        check_url(url, f"model spec {shown!r}")
    base_urls = tuple(u.rstrip("/") for u in urls) or (preset.base_url,)
    hosted_default = not urls
    return ModelSpec(label, provider, model.strip(), base_urls, api=preset.api, key_env=preset.key_env,
                     key_required=preset.key_required and hosted_default)


def with_options(spec: ModelSpec, options: Mapping[str, Any], *, where: str) -> ModelSpec:
    """`spec` with per-model settings (from `--model-config` or CLI flags); unknown keys are errors."""
    known = {"api", "tool_mode", "extra", "api_key_env", "headers"}
    unknown = set(options) - known
    if unknown:
        raise UserError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(known))}")
    changes: dict[str, Any] = {}
    if "api" in options:
        if spec.api in ("messages", "replay") or options["api"] not in ("chat", "completions"):
            raise UserError(f"{where}: api must be 'chat' or 'completions' for an OpenAI-compatible provider "
                            f"(got {options['api']!r} for provider {spec.provider})")
        changes["api"] = options["api"]
    if "tool_mode" in options:
        if options["tool_mode"] not in TOOL_MODES:
            raise UserError(f"{where}: tool_mode must be one of {', '.join(TOOL_MODES)}")
        changes["tool_mode"] = options["tool_mode"]
    if "extra" in options:
        if not isinstance(options["extra"], Mapping):
            raise UserError(f"{where}: extra must be a table/object of request-body fields")
        changes["extra"] = {**spec.extra, **options["extra"]}
    if "headers" in options:
        headers = options["headers"]
        if not isinstance(headers, Mapping) or not all(isinstance(v, str) for v in headers.values()):
            raise UserError(f"{where}: headers must be a table of header names and string values")
        changes["headers"] = {**spec.headers, **{str(k): v for k, v in headers.items()}}
    if "api_key_env" in options:
        changes["key_env"] = str(options["api_key_env"])
    return replace(spec, **changes)
