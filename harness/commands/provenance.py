"""`asymmetry provenance …` (issue 13): the command group lives with its library in harness.provenance.cli."""

from harness.provenance.cli import register  # noqa: F401  (harness.cli calls register(app))

ORDER = 45
