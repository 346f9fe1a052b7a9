"""The report's number formatter is the compare package's (harness.compare.fmt): one spelling of every
number across the compare document's sentence, the terminal and the report."""

from harness.compare.fmt import (  # noqa: F401
    NA,
    bracket,
    count,
    csv_safe,
    csv_unsafe,
    interval,
    is_num,
    logits,
    num,
    p_phrase,
    p_value,
    pct,
    percent,
    pp,
    ratio,
    signed,
)
