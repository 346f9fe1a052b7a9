# ruff: noqa: B905 - shipped into the sandbox, which may run Python 3.8 (zip has no strict= before 3.10)
"""The trusted half of a code test: the checker process that calls the candidate and judges its answers.

harness/suites/scorers/code.py runs every code test as two sandboxed processes linked by a pipe (see
`harness.sandbox.Sandbox.run`): the candidate's (the model's program, served by candidate_side.py) and
this checker, whose program is plaindata.py + this file + evalplus_check.py + stdio_check.py + a call to
`_ck_main(config)`. The config holds the tests: the inputs, the expected values, the reference solution,
the assert-style test code. None of it is ever sent to the candidate: the checker sends arguments (or
stdin) as plain data and reads back plain data, and every comparison runs here, in a process whose
builtins, frames and memory the model's code cannot reach.

Kinds of test (config["kind"]):
  calls       builtin-code: call the entry point on each case's arguments (config["calls"]: plaindata
              JSON text of [[args, expected], ...]); the result must equal the
              expected value with exact types (a tuple is not a list, True is not 1; dict keys and set
              elements too)
  asserts     HumanEval / MBPP: run the dataset's own test code (after the prompt's helpers) with the
              candidate's functions bound to proxies that make the call across the pipe
  evalplus    HumanEval+ / MBPP+ (evalplus_check.py): the reference solution runs here for each input;
              EvalPlus's comparison, tolerance, oracles and time limits
  stdio, functional   LiveCodeBench (stdio_check.py): stdin in, stdout compared; or `Solution().f(*args)`

Time limits per call (EvalPlus, LiveCodeBench) are measured here, from outside the candidate: active
seconds, the wall clock minus the time the candidate's process waited for a CPU (its schedstat), or the
CPU seconds of all the candidate's processes (children, threads, exited ones) if more, as the sandbox's
own clock does: work split across forked children is charged in full.

The verdict is one JSON line on this process's stdout: {"verdict", "detail", "flags", "done", "total"}.
verdict: pass | wrong (a test failed, or the program raised or failed to load) | timeout (a call past
its limit) | gone (the candidate's process ended before the tests did) | refused (an answer that is not
plain data: flag non_data_return; or not a valid answer at all: flag protocol_violation) |
checker_error (the test itself could not run: e.g. an argument that is not plain data). Details never
quote an expected value. Standard library only, Python 3.8+.
"""

import builtins as _ck_builtins
import json as _ck_json
import os as _ck_os
import select as _ck_select
import struct as _ck_struct
import sys as _ck_sys
import time as _ck_time

# --- host only: in the sandbox, plaindata's source precedes this file's in the same program
from harness.suites.scorers.plaindata import NotData, decode, encode, loads

# --- end host only

_CK_HEAD = _ck_struct.Struct(">I")
#: Largest answer read from the candidate (a bigger one is a protocol violation).
_CK_MAX_ANSWER = 64 << 20
#: Test kinds -> runner(candidate, config) -> (done, total); evalplus_check and stdio_check add theirs.
_CK_KINDS = {}


class _CkStop(BaseException):
    """The run cannot go on (timeout, the candidate left, an answer that is not data, a test that cannot
    run). A BaseException, so that test code's `except Exception:` cannot swallow it."""

    def __init__(self, verdict, detail, flag=None):
        BaseException.__init__(self, detail)
        self.verdict, self.detail, self.flag = verdict, detail, flag


def _ck_run_delay(pid):
    """Seconds process `pid` (or "self") has waited for a CPU while runnable, or None."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


_CK_TICKS = _ck_os.sysconf("SC_CLK_TCK")
_CK_CPUS = _ck_os.cpu_count() or 1


def _ck_stat(pid):
    """(parent pid, CPU seconds of process `pid` and of the children it reaped) from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2:].split()
        return int(fields[1]), sum(int(x) for x in fields[11:15]) / _CK_TICKS  # ppid; utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return None


class _CkTree:
    """The CPU seconds of all the candidate's processes: its own, its threads', and those of every process
    it started, alive, exited (a zombie keeps its times) or reaped by one of them (counted in the
    reaper's). They are the processes under the one that reaps the candidate's orphans, its parent (the
    sandbox's namespace init in fork mode; the worker, a subreaper, otherwise), but this checker. Which
    pid is whose is remembered: during a run no trusted process starts, so a new pid is the candidate's
    and the usual reading is one directory listing and one file per candidate process."""

    def __init__(self, pid):
        self.pid = pid
        stat = _ck_stat(pid)
        self.reaper = stat[0] if stat else None
        self.theirs = {pid: True, _ck_os.getpid(): False}  # pid -> is it one of the candidate's?
        if self.reaper is not None:
            self.theirs[self.reaper] = False
        self.most = 0.0

    def _is_theirs(self, pid, parent):
        chain = [pid]
        while parent not in self.theirs:
            if parent <= 0 or len(chain) > 4096:
                parent = None
                break
            stat = _ck_stat(parent)
            if stat is None:
                parent = None
                break
            chain.append(parent)
            parent = stat[0]
        verdict = self.theirs.get(parent, False) or parent == self.reaper
        for p in chain:
            self.theirs[p] = verdict
        return verdict

    def cpu(self):
        """Their CPU seconds so far (never less than an earlier reading)."""
        if self.reaper is None:
            return self.most
        total = 0.0
        try:
            entries = _ck_os.listdir("/proc")
        except OSError:
            return self.most
        for entry in entries:
            if not entry.isdigit():
                continue
            pid = int(entry)
            if self.theirs.get(pid) is False:
                continue
            stat = _ck_stat(pid)
            if stat is not None and (self.theirs.get(pid) or self._is_theirs(pid, stat[0])):
                total += stat[1]
        self.most = max(self.most, total)
        return self.most


class _CkClock:
    """Active seconds of one process since `start()`: wall clock minus its run-queue delay. With `tree`
    (a _CkTree), the CPU seconds of all the candidate's processes since then when more, so that work split
    across forked children (while the main process waits for a CPU, which active time does not charge)
    is charged in full."""

    def __init__(self, pid, tree=None):
        self.pid, self.tree = pid, tree
        self.start()

    def start(self):
        self.t0, self.d0 = _ck_time.monotonic(), _ck_run_delay(self.pid)
        self.c0 = self.tree.cpu() if self.tree is not None else 0.0

    def elapsed(self, over=None):
        """Seconds charged so far. `over`: while they cannot be past it (neither active time nor CPU time
        outruns the wall clock times the CPU count), that bound, and no process is read."""
        wall = _ck_time.monotonic() - self.t0
        if over is not None and wall * _CK_CPUS < over:
            return wall * _CK_CPUS
        now = _ck_run_delay(self.pid) if self.d0 is not None else None
        active = wall - (now - self.d0) if now is not None else wall
        return active if self.tree is None else max(active, self.tree.cpu() - self.c0)


class Candidate:
    """The candidate's process, seen from here: requests out, answers (plain data) in."""

    def __init__(self, pid):
        self.pid = pid
        self.stop = None  # the first _CkStop: once set, every later call raises it again (sticky)
        self.calls = 0
        self.tree = _CkTree(pid) if pid > 0 else None

    def _fail(self, verdict, detail, flag=None):
        self.stop = _CkStop(verdict, detail, flag)
        raise self.stop

    def _read(self, n, clock, limit, what):
        buf = bytearray()
        while len(buf) < n:
            if limit is not None:
                left = limit - clock.elapsed(limit)
                if left <= 0:
                    self._fail("timeout", f"{what} exceeded its time limit of {limit:.2f} s")
                if not _ck_select.select([3], [], [], min(left, 0.5))[0]:
                    continue
            data = _ck_os.read(3, min(n - len(buf), 1 << 20))  # (no limit: block; the sandbox's holds)
            if not data:
                self._fail("gone", f"the solution's process ended during {what}")
            buf += data
        return bytes(buf)

    def receive(self, limit=None, what="loading"):
        """The next answer (a dict), within `limit` seconds: active seconds of the candidate's process, or
        the CPU seconds of all its processes when more."""
        clock = _CkClock(self.pid, self.tree) if limit is not None else None
        (size,) = _CK_HEAD.unpack(self._read(4, clock, limit, what))
        if size > _CK_MAX_ANSWER:
            self._fail("refused", f"an answer of {size} bytes", "protocol_violation")
        body = self._read(size, clock, limit, what)
        if limit is not None and clock.elapsed(limit) > limit:  # it answered, but past its limit
            self._fail("timeout", f"{what} exceeded its time limit of {limit:.2f} s")
        try:
            answer = _ck_json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            self._fail("refused", "an answer that is not a JSON object", "protocol_violation")
        return answer

    def request(self, obj, limit=None, what="a call"):
        if self.stop is not None:
            raise self.stop
        body = _ck_json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
        view = memoryview(_CK_HEAD.pack(len(body)) + body)
        try:
            while view:
                view = view[_ck_os.write(4, view):]
        except OSError:
            self._fail("gone", f"the solution's process ended before {what}")
        self.calls += 1
        return self.receive(limit, what)

    def ready(self):
        """The candidate's first message: the names it defines, or why it failed to load."""
        hello = self.receive(None, "loading")
        if hello.get("ready") is True and isinstance(hello.get("names", {}), dict):
            return hello.get("names", {})
        raised = hello.get("raised")
        if isinstance(raised, list) and len(raised) == 2:
            self._fail("wrong", f"the solution failed to load: {str(raised[0])[:100]}: {str(raised[1])[:300]}")
        self._fail("refused", "a first message that is not a readiness report", "protocol_violation")

    def call(self, name, args, kwargs=None, limit=None, what=None, method_of=None, opaque=False):
        """`name(*args, **kwargs)` in the candidate's process (or `method_of().name(...)`): the plain value
        it returned; an exception like the one it raised; _CkStop when there is no answer to judge.
        `opaque`: a return value that is not plain data comes back as an `Opaque` (for oracles that only
        ask whether the result is None, e.g. MBPP+ regex tasks returning a match object)."""
        what = what or f"a call of {name}"
        try:
            request = {"op": "method" if method_of else "call", "name": name, "args": encode(list(args)),
                       "kwargs": encode(dict(kwargs or {}))}
        except NotData as exc:
            self._fail("checker_error", f"{what}: an argument is not plain data ({exc})", "checker_error")
        if method_of:
            request["cls"] = method_of
        if limit is not None:  # the time to write and read the arguments is not the candidate's
            started = _ck_time.monotonic()
            _ck_json.dumps(request)
            limit += 3 * (_ck_time.monotonic() - started)
        answer = self.request(request, limit, what)
        if "value" in answer:
            try:
                return decode(answer["value"])
            except NotData:
                self._fail("refused", f"{what}: an answer that is not plain data", "protocol_violation")
        if "not_data" in answer and opaque:
            return Opaque(str(answer["not_data"])[:200])
        if "not_data" in answer:
            self._fail("refused", "{} returned something that is not plain data ({})".format(what, str(answer["not_data"])[:200]), "non_data_return")
        if "missing" in answer:
            self._fail("wrong", "the solution does not define {}".format(str(answer["missing"])[:100]))
        raised = answer.get("raised")
        if isinstance(raised, list) and len(raised) == 2:
            raise _ck_exception(str(raised[0]), str(raised[1]))
        self._fail("refused", f"{what}: not a valid answer", "protocol_violation")

    def stdio(self, stdin, limit=None, what="a test case"):
        """The program's stdout for `stdin` (it raised: CandidateRaised)."""
        answer = self.request({"op": "stdio", "stdin": stdin}, limit, what)
        out = answer.get("stdout")
        if not isinstance(out, str):
            self._fail("refused", f"{what}: not a valid answer", "protocol_violation")
        raised = answer.get("raised")
        if isinstance(raised, list) and len(raised) == 2:
            raise _ck_exception(str(raised[0]), str(raised[1]))
        return out


class Opaque:
    """A return value that stayed in the candidate's process (not plain data): here, only a non-None
    object that equals nothing but itself."""

    def __init__(self, what):
        self.what = what

    def __repr__(self):
        return f"<opaque: {self.what}>"


class CandidateRaised(Exception):
    """The candidate's code raised an exception that is not a builtin one (its name and message)."""


def _ck_exception(name, message):
    """An exception like the candidate's: the builtin class of that name (so a test expecting ValueError
    sees one), else CandidateRaised. Never one that would stop the checker (SystemExit...)."""
    cls = getattr(_ck_builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, _CkStop):
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 - builtin exceptions with required arguments
            pass
    return CandidateRaised(f"{name}: {message}")


class _CkProxy:
    """What the test code calls in place of the candidate's function: the call crosses the pipe."""

    def __init__(self, candidate, name):
        self._candidate, self.__name__ = candidate, name

    def __call__(self, *args, **kwargs):
        return self._candidate.call(self.__name__, args, kwargs)

    def __repr__(self):
        return f"<the solution's {self.__name__}>"


# --------------------------------------------------------------------------------------------- kinds
def _ck_key(value):
    """A stand-in for a dict key or set element that differs whenever its exact types do: 1, 1.0 and
    True are equal and hash alike, so `==` on keys and sets alone would let one pass for another."""
    kind = type(value)
    if kind is tuple:
        return (kind, tuple(_ck_key(x) for x in value))
    if kind is frozenset:
        return (kind, frozenset(_ck_key(x) for x in value))
    return (kind, value)


def _ck_same(a, b):
    """Equal with exact types all the way down (builtin-code's rule), dict keys and set elements too."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_ck_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        keys_a, keys_b = {_ck_key(k): k for k in a}, {_ck_key(k): k for k in b}
        return keys_a.keys() == keys_b.keys() and all(_ck_same(a[keys_a[t]], b[keys_b[t]]) for t in keys_a)
    if isinstance(a, (set, frozenset)):
        return {_ck_key(x) for x in a} == {_ck_key(x) for x in b}
    return a == b


def _ck_short(value):
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        text = "?"
    return text if len(text) <= 120 else text[:117] + "..."


def _ck_calls(candidate, config, progress):
    entry, cases = config["entry_point"], loads(config["calls"])
    progress[1] = len(cases)
    for i, (args, expected) in enumerate(cases):
        got = candidate.call(entry, args, what=f"test input {i + 1}")
        if not _ck_same(got, expected):
            raise AssertionError(f"wrong output on test input {i + 1} of {len(cases)} (returned {_ck_short(got)})")
        progress[0] = i + 1


def _ck_code_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _ck_code_names(const)
    return names


def _ck_defined(source):
    """Names the test code binds at its top level (its own `check`, helpers, imports, constants)."""
    import ast

    defined = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.alias):
            defined.add((node.asname or node.name).split(".")[0])
    return defined


#: Modules the tests may take from the solution's imports (MBPP tests call `math.isclose` or
#: `sys.getsizeof` without importing them): pure standard-library modules whose import runs nothing else.
_CK_MODULES = frozenset((
    "array", "base64", "bisect", "calendar", "cmath", "collections", "copy", "datetime", "decimal", "enum",
    "fractions", "functools", "hashlib", "heapq", "itertools", "json", "math", "numbers", "operator",
    "random", "re", "statistics", "string", "struct", "sys", "textwrap", "time", "typing", "unicodedata",
))  # fmt: skip


def _ck_globals_read(source):
    """Names the test code reads as variables (not attribute names such as `random.randint`'s)."""
    import ast

    return {node.id for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _ck_asserts(candidate, config, progress):
    """The dataset's own test code, with the candidate's functions bound to proxies. The prompt's helpers
    (HumanEval's `poly`, `encode_cyclic`...) come from the prompt, run here, never from the candidate."""
    offered = config["_names"]
    namespace = {"__name__": "__main__", "__builtins__": _ck_builtins}
    if config.get("prelude"):
        try:
            exec(compile(config["prelude"], "<prompt>", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001
            raise _CkStop("checker_error", f"the prompt's code did not run ({type(exc).__name__})", "checker_error") from None
    test = compile(config["test"], "<tests>", "exec")
    entry = config.get("entry_point")
    wanted = _ck_code_names(test) - _ck_defined(config["test"])
    read = _ck_globals_read(config["test"])
    for name in sorted(wanted | ({entry} if entry else set())):
        kind = offered.get(name) if isinstance(offered.get(name), str) else None
        if name == entry:
            namespace[name] = _CkProxy(candidate, name)
        elif name in namespace or hasattr(_ck_builtins, name) or kind is None:
            continue
        elif kind == "function":
            namespace[name] = _CkProxy(candidate, name)
        elif kind == "class":  # e.g. MBPP 367 builds trees of the solution's Node class
            raise _CkStop("checker_error", f"the test uses the solution's class {name}, and objects cannot cross "
                          "between the solution's process and the tests'", "checker_error")
        elif kind == "module:" + name and name in _CK_MODULES and name in read:
            # the test relies on the solution's `import math`: import the same module here. Only a listed
            # module under its own name, read by the test: else a solution could name any module (say
            # "unittest.__main__") and make this process import it, running its code
            namespace[name] = __import__(name)
    progress[1] = 1
    exec(test, namespace)
    progress[0] = 1


_CK_KINDS["calls"] = _ck_calls
_CK_KINDS["asserts"] = _ck_asserts


class _CkSink:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _ck_verdict(verdict, detail="", flags=(), progress=(0, 0)):
    line = _ck_json.dumps({"verdict": verdict, "detail": str(detail)[:500], "flags": list(flags),
                           "done": progress[0], "total": progress[1]})
    _ck_os.write(1, (line + "\n").encode("utf-8"))


def _ck_main(config):
    """Run the test of `config["kind"]` against the candidate (its pid is argv[1]); write the verdict."""
    _ck_sys.stdout = _ck_sys.stderr = _CkSink()  # prints of tests and references are discarded
    candidate = Candidate(int(_ck_sys.argv[1]) if len(_ck_sys.argv) > 1 else 0)
    progress = [0, 0]
    verdict, detail, flags = "pass", "", []
    try:
        config["_names"] = candidate.ready()
        _CK_KINDS[config["kind"]](candidate, config, progress)
    except _CkStop as stop:
        verdict, detail = stop.verdict, stop.detail
        flags = [stop.flag] if stop.flag else []
    except AssertionError as exc:
        verdict, detail = "wrong", str(exc) or "AssertionError"
    except CandidateRaised as exc:
        verdict, detail = "wrong", f"the solution raised {exc}"
    except Exception as exc:  # noqa: BLE001 - a test that errors on the answer it got: the answer is wrong
        verdict, detail = "wrong", f"{type(exc).__name__}: {str(exc)[:300]}"
    if candidate.stop is not None and verdict != candidate.stop.verdict:  # test code swallowed it: it stands
        verdict, detail = candidate.stop.verdict, candidate.stop.detail
        flags = [candidate.stop.flag] if candidate.stop.flag else []
    _ck_verdict(verdict, detail, flags, progress)
