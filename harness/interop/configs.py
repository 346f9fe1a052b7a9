"""The part of another harness's task config that defines a suite's version: what is asked and how it is
scored, never where the data files sit on disk nor which model ran. Imported lm-eval logs and lm-eval
tasks run as suites hash the same parts, so the two agree on a task's version."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def strip_addresses(value: Any) -> Any:
    """Drop memory addresses from reprs (`<function f at 0x7f..>`) so config hashes are stable across runs."""
    if isinstance(value, str):
        return re.sub(r" at 0x[0-9a-fA-F]+>", ">", value)
    if isinstance(value, Mapping):
        return {k: strip_addresses(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip_addresses(v) for v in value]
    return value


def suite_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an lm-eval task config that define what is asked and how it is scored (not where the
    data files sit on disk, nor which model ran): the basis of the suite version."""
    keep = {k: v for k, v in config.items() if k not in ("metadata", "dataset_kwargs")}
    keep["version"] = (config.get("metadata") or {}).get("version")
    return strip_addresses(keep)
