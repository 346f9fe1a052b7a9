"""The report's words come from the one sentence writer, harness.compare.wording (compare never imports
the report; the report imports this): the same rules and the same sentences in compare.json, the
terminal and every report file."""

from harness.compare.wording import *  # noqa: F403
from harness.compare.wording import (  # noqa: F401
    CAVEAT,
    GROUP_PP_METHOD,
    ITEM_LEVEL,
    SCORE_LEVEL,
    _get,
    check_wording,
    citation_paragraph,
    flat_level,
    group_pp,
    guard_lines,
    integrity_note,
    join_nonempty,
    level,
    percent,
    preregistration,
    verdict,
)
