"""`asymmetry models check SPEC` and `asymmetry models presets`: is the endpoint there, and what does it
say it serves?"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

ORDER = 40


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        name="models",
        help=("Check model endpoints before a run, and list the provider presets.\n\n"
              "Example: [bold]asymmetry models check q=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1[/bold]"),
        no_args_is_help=True, rich_markup_mode="rich")
    group.command("check", help=(
        "Reachability, latency and the served model id of a model spec (each replica): lists the models the "
        "server offers, sends one tiny chat request through the same code path as a run, and explains "
        "failures (unreachable, missing or wrong API key, wrong model name)."))(check)
    group.command("presets", help="Providers, their default base URLs and API-key variables.")(presets)
    app.add_typer(group)


def check(
    spec: Annotated[str, typer.Argument(help="LABEL=PROVIDER:MODEL\\[@BASE_URL…], as for `asymmetry run --model`. "
                                        "The LABEL= part may be left out.", show_default=False)],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each request.")] = 30.0,
    allow_unlisted_model: Annotated[bool, typer.Option(
        "--allow-unlisted-model", help="Accept a model the endpoint answers but does not list at /models.")] = False,
) -> None:
    import asyncio
    import math

    from rich.console import Console
    from rich.table import Table

    from harness.errors import UserError
    from harness.models import parse_model_spec
    from harness.terminal import plain

    if not math.isfinite(timeout) or timeout <= 0:
        raise UserError(f"--timeout must be a positive number of seconds, not {timeout}")
    text = spec if "=" in spec.split(":", 1)[0] else f"check={spec}"
    parsed = parse_model_spec(text)
    if parsed.api == "replay":
        from harness.run.replay import ReplayAdapter

        adapter: Any = ReplayAdapter(parsed)
        Console().print(plain(f"replay source {adapter.source['run_dir']} (run {adapter.source['run_id']}): "
                              f"{len(adapter):,} recorded answers of model {parsed.model!r}"))
        return
    results = asyncio.run(_check_all(parsed, timeout, allow_unlisted_model))
    table = Table(title=plain(parsed), title_justify="left")
    for column in ("replica", "status", "latency", "served model", "models offered"):
        table.add_column(column)
    for r in results:
        # what the endpoint reported (its model ids) is shown as written, never as markup
        table.add_row(plain(r["url"]), "[green]ok[/]" if r["ok"] else "[red]failed[/]",
                      f"{r['latency_ms']:.0f} ms" if r.get("latency_ms") is not None else "-",
                      plain(r.get("served") or "-"), plain(", ".join(r.get("offered", [])[:8]) or "-"))
    Console().print(table)
    failures = [r for r in results if not r["ok"]]
    if failures:
        raise UserError("; ".join(f"{r['url']}: {r['problem']}" for r in failures))


async def _check_all(spec: Any, timeout: float, allow_unlisted: bool = False) -> list[dict[str, Any]]:
    import dataclasses

    return [await _check_one(dataclasses.replace(spec, base_urls=(url,)), timeout, allow_unlisted)
            for url in spec.base_urls]


async def _check_one(spec: Any, timeout: float, allow_unlisted: bool = False) -> dict[str, Any]:
    import aiohttp

    from harness.models import ChatRequest, Decoding, ModelError, open_adapter

    url = spec.public_urls()[0]
    result: dict[str, Any] = {"url": url, "ok": False, "offered": []}
    adapter: Any = open_adapter(spec, concurrency=1, retries=0, timeout_s=timeout, connect_timeout_s=min(timeout, 10))
    try:
        try:
            status, body = await adapter.get("/models")
        except (aiohttp.ClientError, TimeoutError) as e:
            result["problem"] = (f"unreachable ({type(e).__name__}); is the server running and is the URL right? "
                                 f"{_start_hint(spec)}")
            return result
        if status in (401, 403):
            result["problem"] = _key_problem(spec, status)
            return result
        if status == 200:
            try:
                import orjson

                result["offered"] = [str(m.get("id")) for m in orjson.loads(body).get("data", [])]
            except (ValueError, AttributeError):
                result["offered"] = []
        request = ChatRequest(messages=[{"role": "user", "content": "Reply with the word OK."}],
                              decoding=Decoding(max_tokens=16))
        started = time.perf_counter()
        try:
            response = await adapter.chat(request)
        except ModelError as e:
            message = str(e)
            if " 401" in message or " 403" in message:
                result["problem"] = _key_problem(spec, 401)
            elif " 404" in message or "does not exist" in message or "not found" in message.lower():
                offered = ", ".join(result["offered"]) or "(the server did not list its models)"
                result["problem"] = f"model {spec.model!r} is not served there; it offers: {offered}"
            else:
                result["problem"] = f"{e.kind}: {message}"
            return result
        result.update(ok=True, latency_ms=1000 * (time.perf_counter() - started), served=response.served_model)
        if result["offered"] and spec.model not in result["offered"] and spec.api != "messages":
            if allow_unlisted:
                result["note"] = "the model answered but is not in /models"
            else:
                offered = ", ".join(result["offered"][:8])
                result.update(ok=False, problem=f"model {spec.model!r} answered but is not in the server's model list "
                                                f"({offered}); check the name, or pass --allow-unlisted-model")
        return result
    finally:
        await adapter.aclose()


def _key_problem(spec: Any, status: int) -> str:
    var = spec.key_env or "the provider's API-key variable"
    import os

    state = "is set but was refused" if spec.key_env and os.environ.get(spec.key_env) else "is not set"
    return f"HTTP {status}: the API key was refused; {var} {state}. Export a valid key in {var}"


def _start_hint(spec: Any) -> str:
    hints = {"vllm": f"start it with `vllm serve {spec.model}`", "sglang": "start it with "
             f"`python -m sglang.launch_server --model-path {spec.model}`", "ollama": "start it with `ollama serve`",
             "llamacpp": "start it with `llama-server -m MODEL.gguf`", "lmstudio": "start LM Studio's local server"}
    return hints.get(spec.provider, "check the network and the base URL")


def presets() -> None:
    from rich.console import Console
    from rich.table import Table

    from harness.models import PRESETS

    table = Table(title="Providers (LABEL=PROVIDER:MODEL\\[@BASE_URL])", title_justify="left")
    for column in ("provider", "default base URL", "API key variable", "protocol", "note"):
        table.add_column(column)
    for name, preset in PRESETS.items():
        key = (preset.key_env or "-") + (" (required)" if preset.key_required else " (optional)" if preset.key_env else "")
        table.add_row(name, preset.base_url or "-", key, preset.api, preset.note)
    Console().print(table)
