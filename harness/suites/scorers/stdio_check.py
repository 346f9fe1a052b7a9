"""Test programs for contest problems (LiveCodeBench): stdin/stdout cases and LeetCode-style calls.

The model's program is embedded as a string and run once per test case inside the sandbox: for stdin
problems with the case's input on file descriptor 0 (so `input()`, `sys.stdin.buffer` and `open(0)` all
work) and its printed output captured; for functional problems by calling `Solution().<func_name>(*args)`
with the JSON arguments. Outputs are compared as LiveCodeBench does: line by line after stripping,
and a line that differs as text may still match token by token as exact decimals. Each case has its own
time limit (LiveCodeBench uses 6 s), reported as `sandbox_timeout` (harness/suites/scorers/timelimit.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from harness.suites.scorers.timelimit import RUNTIME as TIME_LIMIT_RUNTIME

#: Imports contest code often assumes (LiveCodeBench prepends a similar header).
PRELUDE = (
    "from typing import *\nimport collections, heapq, bisect, math, itertools, functools, re, string, sys\n"
    "from collections import *\nfrom heapq import *\nfrom bisect import *\nfrom math import *\n"
    "from itertools import *\nfrom functools import *\n"
)

RUNTIME = r'''
import io as _sc_io
import json as _sc_json
import os as _sc_os
import sys as _sc_sys
import tempfile as _sc_tempfile
from decimal import Decimal as _sc_Decimal, InvalidOperation as _sc_InvalidOperation


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


def _sc_run_stdio(source, cases, limit):
    code = compile(source, "<solution>", "exec")
    saved_fd = _sc_os.dup(0)
    for i, case in enumerate(cases):
        with _sc_tempfile.TemporaryFile() as feed:
            feed.write(case["input"].encode())
            feed.seek(0)
            _sc_os.dup2(feed.fileno(), 0)
            captured = _sc_io.BytesIO()
            stdin = _sc_io.TextIOWrapper(_sc_io.FileIO(0, "rb", closefd=False), encoding="utf-8")
            stdout = _sc_io.TextIOWrapper(captured, encoding="utf-8", write_through=True)
            _sc_sys.stdin, _sc_sys.stdout = stdin, stdout
            try:
                namespace = {"__name__": "__main__", "__builtins__": __builtins__, "exit": _sc_sys.exit, "quit": _sc_sys.exit}
                _tl_call(exec, (code, namespace), limit, "test case %d" % (i + 1), quiet=False)
            except SystemExit:
                pass
            finally:
                stdout.flush()
                _sc_sys.stdin, _sc_sys.stdout = _sc_sys.__stdin__, _sc_sys.__stdout__
                _sc_os.dup2(saved_fd, 0)
        got = captured.getvalue().decode("utf-8", "replace")
        if not _sc_same(got, case["output"]):
            raise AssertionError("wrong output on test case %d of %d" % (i + 1, len(cases)))


def _sc_run_functional(source, cases, func_name, limit):
    namespace = {"__name__": "__main__", "__builtins__": __builtins__, "exit": _sc_sys.exit, "quit": _sc_sys.exit}
    exec(compile(source, "<solution>", "exec"), namespace)
    if "Solution" not in namespace:
        raise AssertionError("the solution does not define class Solution")
    for i, case in enumerate(cases):
        args = [_sc_json.loads(line) for line in case["input"].split("\n") if line.strip()]
        expected = _sc_json.loads(case["output"])
        method = getattr(namespace["Solution"](), func_name)
        got = _tl_call(method, args, limit, "test case %d" % (i + 1))
        if isinstance(got, tuple):
            got = list(got)
        if got != expected:
            raise AssertionError("wrong output on test case %d of %d" % (i + 1, len(cases)))
'''


def contest_program(code: str, target: Mapping[str, Any], case_timeout_s: float = 6.0) -> str:
    """A complete program that runs `code` on every case in `target` and raises on the first failure."""
    cases: Sequence[Mapping[str, Any]] = target["cases"]
    source = PRELUDE + code
    payload = json.dumps([{"input": c["input"], "output": c["output"]} for c in cases])
    if target.get("mode") == "functional":
        call = f"_sc_run_functional({source!r}, _sc_json.loads({payload!r}), {target['func_name']!r}, {case_timeout_s!r})\n"
    else:
        call = f"_sc_run_stdio({source!r}, _sc_json.loads({payload!r}), {case_timeout_s!r})\n"
    return TIME_LIMIT_RUNTIME + RUNTIME + "\n" + call
