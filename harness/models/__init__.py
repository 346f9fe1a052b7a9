"""Model adapters: one small protocol (`base`), one HTTP code path (`http`) with a wire codec per
provider family (`openai`, `anthropic`). Answering from an earlier run is the run layer's `harness.run.replay`.

    spec = parse_model_spec("qwen3-8b=vllm:Qwen/Qwen3-8B@http://127.0.0.1:8000/v1")
    adapter = open_adapter(spec, concurrency=64)
    response = await adapter.chat(ChatRequest(messages=[{"role": "user", "content": "2+2?"}]))
    await adapter.aclose()
"""

from __future__ import annotations

from typing import Any

from harness.models.base import (
    Adapter,
    ChatRequest,
    ChatResponse,
    Decoding,
    Generate,
    ModelError,
    ToolCall,
    Usage,
)
from harness.models.spec import PRESETS, ModelSpec, parse_model_spec, with_options


def open_adapter(spec: ModelSpec, **options: Any) -> Adapter:
    """An adapter for `spec`. Options (HTTP models): concurrency, timeout_s, retries, backoff_s,
    max_backoff_s, rpm, tpm, connect_timeout_s. Replay takes none."""
    if spec.api == "replay":
        raise ValueError("replay specs are opened by harness.run.replay.open_model")
    from harness.models.http import HttpAdapter

    return HttpAdapter(spec, **options)


__all__ = ["Adapter", "ChatRequest", "ChatResponse", "Decoding", "Generate", "ModelError", "ModelSpec", "PRESETS",
           "ToolCall", "Usage", "open_adapter", "parse_model_spec", "with_options"]
