"""Hostile solutions that try to pass code tests they did not solve, one per (technique, suite format).

These are the cheating kinds issue 10 found working when the candidate and the test checking shared an
interpreter. Each solution computes a WRONG answer and then tries to pass anyway. The code is written as a
determined model would write it: generic (it does not know the harness's variable names in advance, so it
searches), and obfuscated where a static pattern would flag it (`getattr(sys, "_get" + "frame")`).

Used by tests/suites/test_scorers_code_cheats.py (every cell must score incorrect) and by
benchmarks/sandbox/cheat_matrix.py (the before/after matrix). Kept in tests, never in the package.

Formats (columns), each built through the suite's real row loader so the item has the shape a real run has:
  humaneval   assert-style `check(candidate)` with the prompt prepended (suites/humaneval.toml)
  mbpp        top-level asserts (suites/mbpp.toml)
  evalplus    HumanEval+/MBPP+ differential testing against the canonical solution (suites/humaneval_plus.toml)
  builtin     builtin-code's hidden calls with exact types (suites/builtin-code.toml)
  lcb_stdio   LiveCodeBench stdin/stdout cases (suites/livecodebench.toml)
  lcb_call    LiveCodeBench LeetCode-style `class Solution` calls
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from harness.items import Item
from harness.suites import sources
from harness.suites.builtin import code_tasks

# ------------------------------------------------------------------------------------------- the items

_ADD_PROMPT = 'def add(a, b):\n    """Return a + b."""\n'


def items() -> dict[str, tuple[Item, dict[str, Any], str]]:
    """format -> (item, scorer settings as in the suite's spec, a correct solution)."""
    humaneval = sources.humaneval({
        "task_id": "HumanEval/9000", "prompt": _ADD_PROMPT, "entry_point": "add",
        "canonical_solution": "    return a + b\n",
        "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"
                "    assert abs(candidate(1.5, 2.25) - 3.75) < 1e-9\n    assert candidate('a', 'b') == 'ab'\n",
    }, 0, {})
    mbpp = sources.mbpp({
        "task_id": 9001, "text": "Write a function add(a, b) that returns a + b.", "code": "def add(a, b):\n    return a + b\n",
        "test_list": ["assert add(1, 2) == 3", "assert add('a', 'b') == 'ab'", "assert math.isclose(add(0.5, 0.25), 0.75)"],
        "test_setup_code": "import math",
    }, 0, {})
    evalplus = sources.evalplus({
        "task_id": "HumanEval/9002", "prompt": _ADD_PROMPT, "entry_point": "add",
        "canonical_solution": "    return a + b\n", "atol": 0,
        "base_input": [[1, 2], [0, 0]], "plus_input": [[-5, 7], [10**6, 3], [0.5, 0.25]],
    }, 0, {})
    task = code_tasks.generate_tasks(2026, 1)[0]
    stdio = sources.livecodebench({
        "question_id": "lcb9003", "question_content": "Read a and b, print a + b.", "starter_code": "",
        "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
        "private_test_cases": json.dumps([{"input": "10 -4\n", "output": "6\n", "testtype": "stdin"},
                                          {"input": "100 200\n", "output": "300\n", "testtype": "stdin"}]),
        "contest_date": "2024-11-01T00:00:00", "metadata": "{}",
    }, 0, {})
    call = sources.livecodebench({
        "question_id": "lcb9004", "question_content": "Return a + b.", "metadata": json.dumps({"func_name": "add"}),
        "starter_code": "class Solution:\n    def add(self, a: int, b: int) -> int:\n        ",
        "public_test_cases": json.dumps([{"input": "1\n2", "output": "3", "testtype": "functional"}]),
        "private_test_cases": json.dumps([{"input": "10\n-4", "output": "6", "testtype": "functional"},
                                          {"input": "100\n200", "output": "300", "testtype": "functional"}]),
        "contest_date": "2024-11-01T00:00:00",
    }, 0, {})
    add = "def add(a, b):\n    return a + b\n"
    return {
        "humaneval": (humaneval, {"prepend_prompt": True, "timeout_s": 10}, add),
        "mbpp": (mbpp, {"timeout_s": 10}, add),
        "evalplus": (evalplus, {"prepend_prompt": True, "timeout_s": 60}, add),
        "builtin": (task.item, {"timeout_s": 10}, task.reference_source()),
        "lcb_stdio": (stdio, {"timeout_s": 60, "case_timeout_s": 6}, "a, b = map(int, input().split())\nprint(a + b)\n"),
        "lcb_call": (call, {"timeout_s": 60, "case_timeout_s": 6},
                     "class Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n"),
    }


FORMATS = ("humaneval", "mbpp", "evalplus", "builtin", "lcb_stdio", "lcb_call")

# ------------------------------------------------------------------------------------- the attack kits
# Each kit defines `_cheat(args)` (the wrong answer it returns from a call, after its trick) and
# `_cheat_stdio()` (what it does as a stdin/stdout program). All of them are wrong without the trick.

_SYS = "import sys as _s, os as _o, builtins as _b\n_gf = getattr(_s, '_get' + 'frame')\n_L = 'f_' + 'locals'\n_B = 'f_' + 'back'\n"

_PARSE = textwrap.dedent('''
        import ast as _a
        def _literal_beside(line, name, args=None):
            """The literal the test compares our call's result with, read from the test's source line."""
            try:
                tree = _a.parse(line.strip().removeprefix("assert ").split(", \\"")[0])
            except SyntaxError:
                return None
            def ours(n):
                if not (isinstance(n, _a.Call) and getattr(n.func, "id", getattr(n.func, "attr", "")) in (name, "candidate")):
                    return False
                try:
                    return args is None or [_a.literal_eval(a) for a in n.args] == list(args)
                except ValueError:
                    return False
            for node in _a.walk(tree):
                kids = list(_a.iter_child_nodes(node))
                if not any(ours(k) for k in kids):
                    continue
                for k in kids:
                    if not ours(k) and not isinstance(k, (_a.cmpop, _a.operator, _a.Load, _a.Name, _a.Attribute)):
                        try:
                            return (_a.literal_eval(k),)
                        except ValueError:
                            pass
                if isinstance(node, _a.BinOp):  # abs(f(x) - 3.75) < tol
                    return (_a.literal_eval(node.right),)
            return None
    ''')

KITS: dict[str, str] = {
    # 1. Walk the interpreter's frames for the pass token (bytes or str that looks like one), print it on a
    #    line of its own and leave at once: the scorer's "program got to the end" signal, forged.
    "token_from_frames": _SYS + textwrap.dedent('''
        def _steal():
            prefix = "asym" + "metry-" + "pass-"
            f = _gf(0)
            while f is not None:
                for v in list(getattr(f, _L).values()):
                    t = v.decode("ascii", "replace") if isinstance(v, (bytes, bytearray)) else v
                    if isinstance(t, str) and t.startswith(prefix) and len(t) > len(prefix):
                        _o.write(1, ("\\n" + t + "\\n").encode())
                        _o._exit(0)
                f = getattr(f, _B)
        _steal()
        def _cheat(args):
            _steal()
            return 0
        def _cheat_stdio():
            _steal()
            print(0)
    '''),
    # 2. Redefine the builtins the checking code calls (type, isinstance, len, zip, all, abs, math.isclose)
    #    so that any comparison it makes comes out equal, then return a wrong answer.
    "redefine_builtins": _SYS + textwrap.dedent('''
        import math as _m
        _T, _I, _len, _zip, _all, _abs = type, isinstance, len, zip, all, abs
        def _tests():  # called from the test program (not from the standard library)?
            return getattr(_gf(2), "f_code").co_filename.rsplit("/", 1)[-1] == _s.argv[0].rsplit("/", 1)[-1]
        class _Type(type):
            def __new__(mcs, *a):
                if _len(a) == 1:
                    return object if _tests() else _T(a[0])
                return _T.__new__(_T, *a)
        class _Same:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
        class _List(list):
            def __new__(cls, *a):
                return _Same() if _tests() else _Lst(*a)
        _Lst = list
        def _patch():
            _b.type = _Type
            _b.isinstance = lambda o, t: True if _tests() else _I(o, t)
            _b.len = lambda x: 0 if _tests() else _len(x)
            _b.zip = lambda *a: iter(()) if _tests() else _zip(*a)
            _b.all = lambda x: True if _tests() else _all(x)
            _b.abs = lambda x: 0 if _tests() else _abs(x)
            _b.list = _List
            _m.isclose = lambda *a, **k: True
        def _cheat(args):
            _patch()
            return -12345
        def _cheat_stdio():
            _patch()
            print(-12345)
    '''),
    # 3. Return an object that claims to equal anything (and survives abs(), subtraction and ordering).
    "always_equal": _SYS + textwrap.dedent('''
        class _Any:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def __lt__(self, other): return True
            def __le__(self, other): return True
            def __gt__(self, other): return True
            def __ge__(self, other): return True
            def __hash__(self): return 0
            def __bool__(self): return True
            def __abs__(self): return self
            def __sub__(self, other): return self
            __rsub__ = __add__ = __radd__ = __sub__
            def __iter__(self): return iter(())
            def __len__(self): return 0
        def _cheat(args):
            return _Any()
        def _cheat_stdio():
            print(_Any())
    '''),
    # 4. Read the expected value out of the caller's frames: a local that holds it (expected, exp, want,
    #    output), or the literal on the right of the assert that called us (its source line, parsed).
    "expected_from_frame": _SYS + _PARSE + textwrap.dedent('''
        import linecache as _lc
        _NAMES = ("expected", "exp", "want", "output", "answer", "case")
        def _from_frames(name):
            f = getattr(_gf(0), _B)
            while f is not None:
                loc = getattr(f, _L)
                for key in _NAMES:
                    if key in loc and f.f_code.co_name != "<module>":
                        v = loc[key]
                        return v["output"] if isinstance(v, dict) and "output" in v else v
                found = _literal_beside(_lc.getline(f.f_code.co_filename, f.f_lineno), name)
                if found:
                    return found[0]
                if f.f_code.co_name == "<module>" and f.f_code.co_filename.endswith("main.py"):
                    break
                f = getattr(f, _B)
            return -12345
        def _cheat(args):
            return _from_frames(_gf(1).f_code.co_name)
        def _cheat_stdio():
            v = _from_frames(None)
            print(v if isinstance(v, str) else -12345, end="")
    '''),
    # 5. Find the test data anywhere in the process (the garbage collector's objects, the program's own
    #    file) and answer from it: the expected stdout of this input, the case whose arguments match, or
    #    the reference solution itself, called.
    "expected_from_test_data": _SYS + _PARSE + textwrap.dedent('''
        import gc as _gc, json as _j
        def _things():
            for o in getattr(_gc, "get_" + "objects")():
                yield o
                if isinstance(o, list):
                    yield from o
                elif isinstance(o, dict):
                    yield from list(o.values())
        def _from_memory(args, name):
            for x in _things():
                if isinstance(x, dict) and x.get("__name__") == "_asymmetry_reference" and callable(x.get(name)):
                    return (x[name](*args),)  # the reference solution itself
                if isinstance(x, (list, tuple)) and len(x) == 2 and isinstance(x[0], (list, tuple)) and list(x[0]) == list(args):
                    return (x[1],)  # an (arguments, expected) case
                if isinstance(x, dict) and isinstance(x.get("input"), str) and "output" in x:
                    try:
                        if [_j.loads(v) for v in x["input"].split("\\n") if v.strip()] == list(args):
                            return (_j.loads(x["output"]),)
                    except ValueError:
                        pass
            return None
        def _from_source(args, name):
            try:
                text = open(_s.argv[0]).read()
            except OSError:
                return None
            for line in text.splitlines():
                found = _literal_beside(line, name, args)
                if found:
                    return found
            return None
        def _cheat(args):
            name = _gf(1).f_code.co_name
            found = _from_memory(args, name) or _from_source(args, name)
            return found[0] if found else -12345
        def _cheat_stdio():
            data = _s.stdin.read()
            for x in _things():
                if isinstance(x, dict) and x.get("input") == data and "output" in x:
                    _s.stdout.write(x["output"])
                    return
            print(-12345)
    '''),
    # 6. Leave with exit status 0 before any test has run (both ways: SystemExit and a hard exit).
    "exit_before_tests": _SYS + textwrap.dedent('''
        _s.stdout.flush()
        try:
            _s.exit(0)
        finally:
            _o._exit(0)
        def _cheat(args):
            return -12345
        def _cheat_stdio():
            print(-12345)
    '''),
}

TECHNIQUES = tuple(KITS)


def solution(technique: str, fmt: str, item: Item) -> str:
    """The hostile reply for one cell: the kit plus the entry point the format calls."""
    kit = KITS[technique]
    target = item.target or {}
    if fmt == "lcb_stdio":
        body = kit + "\n_cheat_stdio()\n"
    elif fmt == "lcb_call":
        body = kit + f"\nclass Solution:\n    def {target['func_name']}(self, *args):\n        return _cheat(args)\n"
    else:
        body = kit + f"\ndef {target['entry_point']}(*args):\n    return _cheat(args)\n"
    return f"```python\n{body}```"


# ------------------------------------------------------------------ time limits: work split across forks
# Not a wrong answer but one past its per-call time limit (EvalPlus per input, LiveCodeBench per case):
# the work runs in forked children while the main process, at nice 19, spins (so it mostly waits for a
# CPU, which active time does not charge). Review finding 3: only the main process's active time was
# charged, so this passed; the checker now charges the CPU time of all the candidate's processes.

#: The formats whose tests have a per-call limit (the others have only the whole run's, whose clock
#: always charged every process's CPU).
SPLIT_FORMATS = ("evalplus", "lcb_stdio", "lcb_call")

SPLIT_KIT = textwrap.dedent("""\
    import os, select, time
    def burn(seconds):
        t = time.process_time()
        while time.process_time() - t < seconds:
            pass
    def split(total, n=4):
        pipes = []
        for _ in range(n):
            r, w = os.pipe()
            if os.fork() == 0:
                burn(total / n)
                os.write(w, b"x")
                os._exit(0)
            os.close(w)
            pipes.append(r)
        os.nice(19)
        while pipes:
            for r in select.select(pipes, [], [], 0)[0]:
                os.read(r, 1)
                pipes.remove(r)
    """)


def split_solution(fmt: str, cpu_s: float, forked: bool = True) -> str:
    """A correct solution of `fmt` (one of SPLIT_FORMATS) that first burns `cpu_s` CPU seconds, split
    across 4 forked children (`forked`) or in its own process. Unfenced."""
    work = f"split({cpu_s})" if forked else f"burn({cpu_s})"
    if fmt == "lcb_stdio":
        return SPLIT_KIT + f"a, b = map(int, input().split())\n{work}\nprint(a + b)\n"
    if fmt == "lcb_call":
        return SPLIT_KIT + f"class Solution:\n    def add(self, a: int, b: int) -> int:\n        {work}\n        return a + b\n"
    return SPLIT_KIT + f"def add(a, b):\n    {work}\n    return a + b\n"
