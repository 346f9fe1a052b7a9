"""`--model asymmetry`: an lm-eval model class that sends generate-until requests through our adapters.

    asymmetry lm-eval --model asymmetry \\
        --model_args spec=qwen3-8b=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1,concurrency=32 \\
        --tasks gsm8k --apply_chat_template --log_samples --output_path out/

Requests go through `harness.run.replay.open_model` (pooled async HTTP, adaptive concurrency, retries with
Retry-After, API keys from the environment only) and into a per-model journal that doubles as the cache
(`harness.lmeval.journal`). Two lm-eval habits are corrected, loudly:
- lm-eval's API and HF backends stop generations at 256 tokens when a task sets no `max_gen_toks`, which
  cuts off chain-of-thought answers; this class sends `max_gen_toks` (default 2048) and says so.
- lm-eval sends the same seed with every repeat of a document (`repeats: K`), so at temperature > 0 a
  server that honours seeds returns K identical samples; this class sends seed + j for repeat j.
Only generate-until tasks are supported: chat endpoints give no prompt log-probabilities.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# lm-eval fills its model registry lazily, and only while it is empty: fill it before registering
# "asymmetry" below, or every built-in model (hf, vllm, local-chat-completions...) would disappear.
import lm_eval.models  # noqa: F401
import orjson
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from harness import __version__
from harness.errors import UserError
from harness.lmeval.journal import RequestJournal, decoding_dict, default_cache_dir
from harness.models import ChatRequest, Decoding, ModelError, parse_model_spec, with_options
from harness.run.replay import open_model

log = logging.getLogger("harness.lmeval")

LMEVAL_DEFAULT_MAX_GEN_TOKS = 256
DEFAULT_MAX_GEN_TOKS = 2048
_ERROR_CHOICES = ("raise", "empty")


class GenerationFailed(RuntimeError):
    """Some requests failed after all retries; the others are journaled and re-running retries only these."""


@dataclass(frozen=True)
class _Job:
    messages: list[dict[str, Any]]
    decoding: Decoding
    until: tuple[str, ...]
    sample: int
    meta: dict[str, Any]


def to_messages(context: Any) -> list[dict[str, Any]]:
    """lm-eval's context as chat messages: the JSON our `apply_chat_template` wrote, else one user turn."""
    text = context.prompt if hasattr(context, "prompt") else context  # lm-eval's JsonChatStr
    if isinstance(text, str) and text.startswith("[{"):
        try:
            messages = orjson.loads(text)
        except orjson.JSONDecodeError:
            messages = None
        if isinstance(messages, list) and messages and all(
                isinstance(m, dict) and "role" in m and "content" in m for m in messages):
            return messages
    return [{"role": "user", "content": str(text)}]


def cut_at_stops(text: str, until: Sequence[str]) -> str:
    """lm-eval's semantics: the generation ends before the first stop sequence (whatever the server did)."""
    for stop in until:
        if stop:
            text = text.split(stop, 1)[0]
    return text


@register_model("asymmetry")
class AsymmetryLM(LM):
    """lm-eval model backed by an asymmetry adapter (`spec=LABEL=PROVIDER:MODEL@URL`)."""

    def __init__(self, spec: str = "", api: str | None = None, concurrency: int = 16, timeout: float = 300.0,
                 retries: int = 4, max_gen_toks: int = DEFAULT_MAX_GEN_TOKS, seed: int = 1234,
                 cache: bool = True, cache_dir: str | None = None, on_error: str = "raise",
                 batch_size: Any = None, max_batch_size: Any = None, device: Any = None) -> None:
        super().__init__()
        if not spec:
            raise UserError("--model asymmetry needs --model_args spec=LABEL=PROVIDER:MODEL[@BASE_URL]")
        self.spec = parse_model_spec(str(spec))
        if api is not None:
            self.spec = with_options(self.spec, {"api": api}, where="--model_args api")
        if on_error not in _ERROR_CHOICES:
            raise UserError(f"--model_args on_error={on_error!r}: choose raise (stop, nothing lost) or empty "
                            "(score failed requests as empty answers, as lm-eval's API backends do)")
        self.options = {"concurrency": int(concurrency), "timeout_s": float(timeout), "retries": int(retries)}
        self.max_gen_toks = int(max_gen_toks)
        self.seed = int(seed)
        self.on_error = on_error
        self.journal = (RequestJournal(cache_dir or default_cache_dir(), self.spec.label, self.spec.identity())
                        if cache else None)

    # -- what lm-eval asks of a model ----------------------------------------------------------------
    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        jobs = self._jobs(requests)
        texts, failures = _run_sync(self._generate(jobs, disable_tqdm))
        if failures:
            kinds = ", ".join(f"{k} ×{n}" for k, n in Counter(e.kind for e in failures.values()).most_common())
            where = f"journaled in {self.journal.path}" if self.journal else "not cached (cache=false)"
            message = (f"{len(failures)} of {len(jobs)} requests to {self.spec.label} failed after retries ({kinds}); "
                       f"the {len(jobs) - len(failures)} answers that came back are {where}")
            if self.on_error == "raise":
                raise GenerationFailed(message + "; run the same command again to retry only the failed ones "
                                                 "(or pass on_error=empty)")
            log.warning("%s; scoring them as empty answers (on_error=empty)", message)
        return [texts.get(i, "") for i in range(len(jobs))]

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        raise NotImplementedError(_NO_LOGPROBS)

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError(_NO_LOGPROBS)

    def apply_chat_template(self, chat_history: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
        """The conversation as JSON messages; the server applies the model's own chat template."""
        return orjson.dumps(chat_history).decode()

    @property
    def tokenizer_name(self) -> str:
        return "asymmetry-json-messages"

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        return None

    def get_model_info(self) -> dict[str, Any]:
        """Merged by lm-eval into results_<date>.json's `config`: what ran, and where its journal is."""
        return {"asymmetry_version": __version__, "asymmetry_spec": self.spec.describe(),
                "asymmetry_journal": str(self.journal.path) if self.journal else None,
                "asymmetry_max_gen_toks": self.max_gen_toks, "asymmetry_seed": self.seed}

    # -- the work -------------------------------------------------------------------------------------
    def _jobs(self, requests: Sequence[Any]) -> list[_Job]:
        repeat: Counter[tuple[Any, ...]] = Counter()
        unlimited: set[str] = set()
        repeated: dict[str, int] = {}
        jobs = []
        for req in requests:
            context, gen_kwargs = req.args[0], dict(req.args[1] if len(req.args) > 1 else {})
            task = getattr(req, "task_name", None) or "?"
            slot = (task, getattr(req, "doc_id", None), getattr(req, "idx", 0), str(context))
            j = repeat[slot]
            repeat[slot] += 1
            if (getattr(req, "repeats", None) or 1) > 1:
                repeated[task] = req.repeats
            until = gen_kwargs.pop("until", None) or ()
            until = (until,) if isinstance(until, str) else tuple(until)
            limit = gen_kwargs.pop("max_gen_toks", None) or gen_kwargs.pop("max_tokens", None)
            if limit is None:
                unlimited.add(task)
            do_sample = gen_kwargs.pop("do_sample", None)
            temperature = float(gen_kwargs.pop("temperature", 0.0) or 0.0)
            if do_sample is False:
                temperature = 0.0
            top_p = gen_kwargs.pop("top_p", None)
            seed = int(gen_kwargs.pop("seed", self.seed))
            decoding = Decoding(temperature=temperature, top_p=None if top_p is None else float(top_p),
                                max_tokens=int(limit or self.max_gen_toks), seed=seed + j,
                                stop=until[:4],  # OpenAI-compatible APIs take at most 4; all are cut below
                                extra=dict(gen_kwargs))
            jobs.append(_Job(to_messages(context), decoding, until, j,
                             {"task": task, "doc_id": getattr(req, "doc_id", None), "repeat": j}))
        if unlimited:
            log.warning("%s set no max_gen_toks: lm-eval's own API and HF backends would stop at %d tokens and cut "
                        "off reasoning; asymmetry sends max_tokens=%d (change with --model_args max_gen_toks=N)",
                        ", ".join(sorted(unlimited)), LMEVAL_DEFAULT_MAX_GEN_TOKS, self.max_gen_toks)
        if repeated:
            log.warning("%s repeat each document (repeats=%s): lm-eval's API backends send the same seed with every "
                        "repeat, so servers that honour seeds return identical samples; asymmetry sends seed+j "
                        "for repeat j", ", ".join(sorted(repeated)), ",".join(map(str, sorted(set(repeated.values())))))
        return jobs

    async def _generate(self, jobs: list[_Job], disable_tqdm: bool) -> tuple[dict[int, str], dict[int, ModelError]]:
        from tqdm import tqdm

        texts: dict[int, str] = {}
        failures: dict[int, ModelError] = {}
        truncated = 0
        adapter = open_model(self.spec, **self.options)
        bar = tqdm(total=len(jobs), disable=disable_tqdm, desc=f"asymmetry {self.spec.label}")

        async def one(i: int, job: _Job) -> None:
            nonlocal truncated
            decoding = decoding_dict(job.decoding)
            key = self.journal.key(job.messages, decoding) if self.journal else ""
            hit = self.journal.get(key) if self.journal else None
            if hit is not None:
                texts[i] = cut_at_stops(hit["text"], job.until)
                bar.update(1)
                return
            try:
                response = await adapter.chat(ChatRequest(job.messages, decoding=job.decoding, sample=job.sample))
            except ModelError as e:
                failures[i] = e
                if self.journal:
                    self.journal.append({"key": key, "error": e.kind, "message": str(e)[:500], **job.meta})
                bar.update(1)
                return
            truncated += response.finish_reason == "length"
            if self.journal:
                self.journal.append({
                    "key": key, "error": None, "text": response.text, "finish_reason": response.finish_reason,
                    "served_model": response.served_model, "latency_s": round(response.latency_s, 6),
                    "usage": [response.usage.prompt_tokens, response.usage.completion_tokens],
                    "messages": job.messages, "decoding": decoding, **job.meta})
            texts[i] = cut_at_stops(response.text, job.until)
            bar.update(1)

        try:
            await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))
        finally:
            bar.close()
            await adapter.aclose()
        if truncated:
            log.warning("%d of %d responses from %s stopped at their token limit (finish_reason 'length')",
                        truncated, len(jobs), self.spec.label)
        if self.journal and self.journal.hits:
            log.info("%d of %d answers came from the journal %s", self.journal.hits, len(jobs), self.journal.path)
        return texts, failures

    def __del__(self) -> None:
        journal = getattr(self, "journal", None)
        if journal is not None:
            journal.close()


_NO_LOGPROBS = ("the asymmetry model runs generate-until tasks only: chat endpoints return no prompt log-probabilities "
                "(for multiple-choice tasks use lm-eval's local-completions backend against a completions endpoint)")


def _run_sync(coro: Any) -> Any:
    """Run a coroutine from lm-eval's synchronous call, also when the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()

