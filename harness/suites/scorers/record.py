"""`none`: the record-only scorer of suites whose answers are data, not right or wrong (the provenance
bank). The response is kept whole; `extracted` carries `record_only: true` and the item's metadata (domain,
split, template), so `asymmetry provenance --results` can rebuild the texts table from the journal. The
score is 0.0 only because the item record requires a number; nothing reads it as an accuracy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse


async def score_none(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    meta = {k: item.meta[k] for k in ("domain", "kind", "split", "template", "language") if k in item.meta}
    return Outcome(score=0.0, correct=False, error=None, response=response.text,
                   extracted={"record_only": True, **meta})
