# ruff: noqa: B905 - shipped into the sandbox, which may run Python 3.8 (zip has no strict= before 3.10)
"""Contest problems (LiveCodeBench) in the checker: stdin/stdout cases and LeetCode-style calls.

For stdin problems the checker sends each case's input to the candidate's process, which runs the whole
program on it (with the input on descriptor 0, so `input()`, `sys.stdin.buffer` and `open(0)` all work,
and `if __name__ == "__main__":` blocks run, as LiveCodeBench runs them) and sends back what it printed;
for functional problems it asks for `Solution().<func_name>(*args)` with the case's JSON arguments. The
expected outputs stay here. Outputs are compared as LiveCodeBench does: line by line after stripping,
and a line that differs as text may still match token by token as exact decimals. Each case has its own
time limit (LiveCodeBench uses 6 s), measured by the checker in active seconds; past it, the verdict is
`timeout` (the code scorer's `sandbox_timeout`).

Shipped into the sandbox as source (standard library only, Python 3.8+).
"""

import json as _sc_json
from decimal import Decimal as _sc_Decimal
from decimal import InvalidOperation as _sc_InvalidOperation

# --- host only: in the sandbox, checker_side's source precedes this file's in the same program
from harness.suites.scorers.checker_side import _CK_KINDS

# --- end host only

#: Imports contest code often assumes (LiveCodeBench prepends a similar header).
PRELUDE = (
    "from typing import *\nimport collections, heapq, bisect, math, itertools, functools, re, string, sys\n"
    "from collections import *\nfrom heapq import *\nfrom bisect import *\nfrom math import *\n"
    "from itertools import *\nfrom functools import *\n"
)


def _sc_lines(text):
    return [line.strip() for line in text.strip().split("\n")]


def _sc_same(got, want):
    got_lines, want_lines = _sc_lines(got), _sc_lines(want)
    if len(got_lines) != len(want_lines):
        return False
    for g, w in zip(got_lines, want_lines):
        if g == w:
            continue
        try:
            if [_sc_Decimal(t) for t in g.split()] != [_sc_Decimal(t) for t in w.split()]:
                return False
        except (_sc_InvalidOperation, ValueError):
            return False
    return True


def _sc_stdio(candidate, config, progress):
    cases = config["cases"]
    progress[1] = len(cases)
    for i, case in enumerate(cases):
        got = candidate.stdio(case["input"], config["case_timeout_s"], f"test case {i + 1}")
        if not _sc_same(got, case["output"]):
            raise AssertionError(f"wrong output on test case {i + 1} of {len(cases)}")
        progress[0] = i + 1


def _sc_functional(candidate, config, progress):
    cases = config["cases"]
    progress[1] = len(cases)
    for i, case in enumerate(cases):
        args = [_sc_json.loads(line) for line in case["input"].split("\n") if line.strip()]
        expected = _sc_json.loads(case["output"])
        got = candidate.call(config["func_name"], args, limit=config["case_timeout_s"],
                             what=f"test case {i + 1}", method_of="Solution")
        if isinstance(got, tuple):
            got = list(got)
        if got != expected:
            raise AssertionError(f"wrong output on test case {i + 1} of {len(cases)}")
        progress[0] = i + 1


_CK_KINDS["stdio"] = _sc_stdio
_CK_KINDS["functional"] = _sc_functional
