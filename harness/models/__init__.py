"""Model adapters: one module per provider family, one small protocol in `base`."""

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

__all__ = ["Adapter", "ChatRequest", "ChatResponse", "Decoding", "Generate", "ModelError", "ToolCall", "Usage"]
