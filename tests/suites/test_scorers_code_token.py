"""The code scorer's pass token (review finding 9): it is not in the program's text, file or code objects,
so a wrong solution can no longer read it from its own source and exit early with it. The limit that
remains (a solution walking the interpreter's frames) is flagged, and this test shows it honestly."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from harness.items import Item
from harness.models.base import ChatResponse
from harness.suites.scorers.code import score_code

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")

ADD = Item(id="add", input={"prompt": "def add(a, b):\n"},
           target={"entry_point": "add", "test": "assert add(1, 2) == 3\nassert add(2, 2) == 4\n"})


@pytest.fixture(scope="module", autouse=True)
def _close_pool():
    yield
    from harness.sandbox import close_shared

    asyncio.run(close_shared())


def score(code: str):
    return asyncio.run(score_code(ADD, ChatResponse(text=f"```python\n{code}\n```"), {}))


READ_OWN_SOURCE = """
import os, re, sys
for text in (open(sys.argv[0]).read(), open(__file__).read(), repr(sys._getframe(0).f_code.co_consts)):
    found = re.findall(r"asymmetry-pass-[0-9a-f]+", text)
    if found:
        os.write(1, ("\\n" + found[0] + "\\n").encode())
        os._exit(0)
def add(a, b):
    return 0
"""

WALK_FRAMES = """
import os, sys
frame = sys._getframe(1)
while frame is not None:
    token = frame.f_locals.get("token")
    if isinstance(token, bytes) and token:
        os.write(1, b"\\n" + token + b"\\n")
        os._exit(0)
    frame = frame.f_back
def add(a, b):
    return 0
"""


def test_a_wrong_solution_cannot_read_the_token_from_its_source_file_or_code():
    outcome = score(READ_OWN_SOURCE)
    assert not outcome.correct and outcome.score == 0.0
    assert outcome.extracted["status"] in ("no_pass_token", "failed")
    assert "reads its own file" in outcome.extracted["flags"] and "mentions the pass token" in outcome.extracted["flags"]


def test_the_remaining_in_process_route_is_flagged():
    # Frames and memory are shared with the tests: a determined solution can still find the token there.
    # The scorer cannot prevent it (see harness/suites/scorers/code.py); it flags it for a reviewer.
    outcome = score(WALK_FRAMES)
    assert "inspects frames" in outcome.extracted["flags"] and "ends the process itself" in outcome.extracted["flags"]


def test_an_honest_solution_passes_unflagged_and_an_early_exit_fails():
    honest = score("def add(a, b):\n    return a + b")
    assert honest.correct and "flags" not in honest.extracted
    early = score("import sys\ndef add(a, b):\n    return 0\nsys.exit(0)")
    assert not early.correct and early.extracted["status"] == "no_pass_token"
