"""Importers: other harnesses' per-item logs (lm-eval, Inspect AI) as ordinary run directories, so that
`compare` and `report` work on them unchanged."""

from harness.importers.common import ImportResult, SuiteSummary
from harness.interop.mapping import DEFAULT_FAMILIES, TaskMap, load_task_map

__all__ = ["DEFAULT_FAMILIES", "ImportResult", "SuiteSummary", "TaskMap", "load_task_map"]
