"""Prompts: the chat messages a suite's spec renders for an item, checked when the suite loads.

Shared by the solvers and the built-in tool environment, so neither imports the other for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.errors import UserError
from harness.items import Item


class _Fields(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


def render_messages(prompt: Mapping[str, Any], item: Item) -> list[dict[str, Any]]:
    """The chat messages for an item: the spec's system prompt, then its template filled with the
    item's input fields (`str.format`; literal braces doubled), or the item's own `messages`."""
    messages: list[dict[str, Any]] = []
    if prompt.get("system"):
        messages.append({"role": "system", "content": prompt["system"]})
    template = prompt.get("template", "")
    fields = item.input if isinstance(item.input, Mapping) else {"input": item.input}
    if template:
        messages.append({"role": "user", "content": template.format_map(_Fields(fields))})
    elif isinstance(fields.get("messages"), list):
        messages.extend(dict(m) for m in fields["messages"])
    else:
        raise KeyError("messages")
    return messages


def item_tools(item: Item) -> list[dict[str, Any]] | None:
    """The OpenAI-style tools an item offers, if any (`item.input["tools"]`)."""
    if isinstance(item.input, Mapping) and item.input.get("tools"):
        return list(item.input["tools"])
    return None


def check_template(spec: Any, item: Item) -> None:
    """Fail at load time, naming the spec file, when the prompt cannot be rendered for the items."""
    try:
        render_messages(spec.prompt, item)
    except KeyError as e:
        fields = sorted(item.input) if isinstance(item.input, Mapping) else ["input"]
        raise UserError(
            f"{spec.path}: field 'prompt.template' uses {{{e.args[0]}}} but items have fields {', '.join(fields)}; "
            "use those names (double literal braces: {{ }})"
        ) from None
    except (ValueError, IndexError) as e:
        raise UserError(f"{spec.path}: field 'prompt.template' is not a valid format string ({e}); double literal braces: {{{{ }}}}") from None
