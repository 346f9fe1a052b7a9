"""The `code` scorer: extract the model's program and test it, with the tests in another process.

Every code test runs as two sandboxed processes linked by a pipe (`harness.sandbox.Sandbox.run` with a
checker): the candidate's process runs the model's code and nothing else (candidate_side.py serves it);
the checker's process holds the tests and judges (checker_side.py, with evalplus_check.py and
stdio_check.py). Only plain data crosses between them (plaindata.py): arguments or stdin go to the
candidate, return values or stdout come back. Expected values, reference solutions and test code never
enter the candidate's process, and every comparison runs in the checker's, whose builtins, frames and
memory the model's code cannot reach. A value that is not plain data (an object with its own `__eq__`,
a generator) is a wrong answer. Nothing the candidate prints or exits with can make it pass: only the
checker's verdict can.

Formats (the item's `target`):
  {"test", "entry_point"}       assert-style tests (HumanEval with `prepend_prompt`, MBPP): the dataset's
                                test code runs in the checker with the solution's functions as proxies
  {"mode": "evalplus", ...}     HumanEval+ / MBPP+: differential testing against the canonical solution
  {"mode": "calls", ...}        builtin-code: (arguments, expected) pairs, exact types
  {"mode": "stdio" | "functional", "cases", ...}   LiveCodeBench: stdin/stdout, or `Solution().f(*args)`

Flags (`extracted["flags"]`, stable names, for compare to count per suite and release; a flag never
changes a score by itself, it marks a record a reviewer should look at):
  From the code (static patterns):
    inspects_frames           reaches for interpreter frames (sys._getframe, f_back, f_locals, inspect.stack)
    reads_interpreter_memory  gc.get_objects / get_referrers, ctypes
    reads_own_source          __file__, sys.argv, /proc/self, linecache, __loader__
    ends_process              os._exit, os.kill, os.abort
    redefines_builtins        imports `builtins`, or assigns into it / `__builtins__`
    names_harness             names the harness or its test machinery (asymmetry, pass tokens, checker)
  From the run:
    output_names_harness      its stdout or stderr names the harness or its test machinery
    non_data_return           returned something that is not plain data (scored wrong)
    protocol_violation        its side of the pipe sent something that is not a valid answer (scored wrong)
    left_early                its process ended with status 0 before the tests were done (scored wrong)
    checker_disturbed         the checker process was killed by a signal it did not get from the sandbox
                              (the candidate can signal it; scored wrong)
    checker_error             the test itself could not run (an argument that is not plain data, a
                              reference solution that raised); scored wrong, and worth a look: it may be
                              the harness's or the dataset's fault, not the model's
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse
from harness.suites.scorers import candidate_side, checker_side, evalplus_check, plaindata, stdio_check
from harness.suites.scorers.stdio_check import PRELUDE as CONTEST_PRELUDE
from harness.suites.scorers.text import read_reply, visible_text

_FENCE_LABEL = re.compile(r"[ \t]*([A-Za-z0-9_+-]*)")
_PYTHON_LABELS = {"python", "py", "python3", "py3", ""}
_LOOKS_LIKE_CODE = re.compile(r"^[^\S\n]*(?:def |class |import |from \w+ import |return\b|for |while |if |print\()",
                              re.MULTILINE)
_MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:")
_HARNESS_NAMES = r"asymmetry|pass_token|_ck_main|_cs_serve|checker_side|candidate_side|_CkStop|_CkProxy|_asymmetry_"
#: Static flags: what a solution would use to cheat in-process (see the module docstring).
SUSPICIOUS = {
    "inspects_frames": re.compile(r"_getframe|\bf_back\b|\bf_locals\b|\bf_globals\b|\btb_frame\b|"
                                  r"\binspect\.(?:currentframe|stack|getouterframes|trace)|co_consts"),
    "reads_interpreter_memory": re.compile(r"\bgc\.get_(?:objects|referrers|referents)|\bctypes\b"),
    "reads_own_source": re.compile(r"__file__|sys\.argv|main\.py|/proc/self|__loader__|linecache"),
    "ends_process": re.compile(r"\bos\._exit\b|\bos\.kill\b|\bos\.abort\b"),
    # (`import a, b as c, builtins`: the list of one import statement, not the rest of its line, so that a
    # line of 20k `import` words is not re-scanned from each)
    "redefines_builtins": re.compile(r"\bimport\s++(?:[\w.]++(?:\s++as\s++\w++)?+\s*+,\s*+)*+builtins\b|"
                                     r"\bfrom\s+builtins\s+import\b|\bbuiltins\s*\.\s*\w+\s*=(?!=)|__builtins__|"
                                     r"\bsetattr\(\s*builtins\b"),
    "names_harness": re.compile(_HARNESS_NAMES, re.IGNORECASE),
}
_OUTPUT_NAMES_HARNESS = re.compile(_HARNESS_NAMES, re.IGNORECASE)
#: The support modules every sandbox worker loads once (compiled there, not per program).
CANDIDATE_MODULE = "asymmetry_candidate"
CHECKER_MODULE = "asymmetry_checker"
_HOST_ONLY = re.compile(r"^# --- host only.*?^# --- end host only\n", re.DOTALL | re.MULTILINE)


def extract_code(text: str, entry_point: str | None = None) -> str | None:
    """The program in a response: among fenced blocks (Python-labelled ones preferred), the last that
    defines `entry_point` (a function or class), else the last; without fences, the whole reply when
    it looks like code (a completion from a base model). None when there is no code."""
    text = visible_text(text, keep_indent=True)
    blocks = [(label.lower(), body) for label, body in fenced_blocks(text) if body.strip()]
    if blocks:
        python = [body for label, body in blocks if label in _PYTHON_LABELS] or [body for _, body in blocks]
        if entry_point:
            # [^\S\n]: whitespace but newlines (^\s* would run on over every blank line from each line
            # start: quadratic on a block of 20k blank lines)
            defining = re.compile(rf"^[^\S\n]*(?:async\s+)?(?:def|class)\s+{re.escape(entry_point)}\b", re.MULTILINE)
            chosen = [body for body in python if defining.search(body)]
            if chosen:
                return chosen[-1].rstrip() + "\n"
        return python[-1].rstrip() + "\n"
    if _LOOKS_LIKE_CODE.search(text):
        return text.rstrip() + "\n"
    return None


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(label, body) of every ``` fence: from three backticks, a label, the rest of that line, up to the
    next three backticks or the end. A scan, not a regex: a regex retried from each of 20k backticks on
    a line that never ends takes quadratic time."""
    blocks, pos = [], 0
    while (start := text.find("```", pos)) >= 0:
        line_end = text.find("\n", start + 3)
        if line_end < 0:  # no fence line ends after this one either
            break
        label = _FENCE_LABEL.match(text, start + 3, line_end)
        end = text.find("```", line_end + 1)
        end = len(text) if end < 0 else end
        blocks.append((label.group(1) if label else "", text[line_end + 1 : end]))
        pos = end + 3
    return blocks


def drop_main_guard(code: str) -> str:
    """Remove top-level `if __name__ == "__main__":` blocks: demo code there would read stdin or run
    slow examples when the module is loaded for its functions."""
    out: list[str] = []
    skipping = False
    for line in code.splitlines():
        if _MAIN_GUARD.match(line):
            skipping = True
            continue
        if skipping and line.strip() and not line[0].isspace():
            skipping = False
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n"


def flags(code: str) -> list[str]:
    """Static flags of a solution's code (see the module docstring), or [] for none."""
    return [name for name, pattern in SUSPICIOUS.items() if pattern.search(code)]


def _shipped(module: Any) -> str:
    """A shipped module's source as it runs in the sandbox: without its host-only imports (there, the
    modules it imports from precede it in the same source)."""
    return _HOST_ONLY.sub("", Path(module.__file__).read_text(encoding="utf-8"))


@functools.cache
def support_modules() -> dict[str, str]:
    """The two support modules of the sandbox workers: the candidate's runtime and the checker's."""
    return {
        CANDIDATE_MODULE: _shipped(plaindata) + "\n" + _shipped(candidate_side),
        CHECKER_MODULE: "\n".join(_shipped(m) for m in (plaindata, checker_side, evalplus_check, stdio_check)),
    }


def _with_prompt(item: Item, code: str, settings: Mapping[str, Any]) -> str:
    """HumanEval style (`prepend_prompt`): the prompt (a stub with its imports and helpers), then the
    solution. A body completion (indented) continues the prompt's stub; a full solution follows it and
    redefines the function, keeping the prompt's imports and helpers available."""
    if not (settings.get("prepend_prompt") and isinstance(item.input, Mapping) and item.input.get("prompt")):
        return code
    prefix = str(item.input["prompt"])
    first = next((ln for ln in code.splitlines() if ln.strip()), "")
    return (prefix if first[:1] in (" ", "\t") else prefix.rstrip() + "\n\n\n") + code


def programs(item: Item, code: str, settings: Mapping[str, Any]) -> tuple[str, str]:
    """(the candidate's program, the checker's program) for this item and solution. The candidate's holds
    the solution only; the tests are all in the checker's."""
    target = item.target or {}
    mode = target.get("mode")
    case_timeout = float(settings.get("case_timeout_s", 6.0))
    serve = {"mode": "module", "solution": drop_main_guard(_with_prompt(item, code, settings))}
    if mode == "stdio":  # a whole program, run per test case (its main guard runs, as LiveCodeBench's does)
        serve = {"mode": "program", "solution": CONTEST_PRELUDE + code}
        check = {"kind": "stdio", "cases": target["cases"], "case_timeout_s": case_timeout}
    elif mode == "functional":
        serve["solution"] = CONTEST_PRELUDE + drop_main_guard(code)
        check = {"kind": "functional", "cases": target["cases"], "func_name": target["func_name"],
                 "case_timeout_s": case_timeout}
    elif mode == "evalplus":
        check = {"kind": "evalplus", **{k: target[k] for k in
                                         ("dataset", "task_id", "entry_point", "canonical", "inputs", "atol")}}
    elif mode == "calls":
        check = {"kind": "calls", "entry_point": target["entry_point"], "calls": target["calls"]}
    else:
        prelude = _with_prompt(item, "", settings) if settings.get("prepend_prompt") else ""
        check = {"kind": "asserts", "test": target["test"], "entry_point": target.get("entry_point"),
                 "prelude": prelude}
    return _call(CANDIDATE_MODULE, "_cs_serve", serve), _call(CHECKER_MODULE, "_ck_main", check)


def _call(module: str, function: str, config: Mapping[str, Any]) -> str:
    return f"import json, sys\nsys.modules[{module!r}].{function}(json.loads({json.dumps(config)!r}))\n"


async def run_programs(candidate: str, checker: str, timeout_s: float) -> Any:
    """Run a candidate and its checker in the shared sandbox (the one place model code executes)."""
    from harness.sandbox import shared_sandbox

    sandbox = await shared_sandbox(support_modules())
    return await sandbox.run(candidate, timeout_s=timeout_s, checker=checker)


def verdict_of(result: Any) -> dict[str, Any] | None:
    """The checker's verdict (its last stdout line), or None when it gave none."""
    checker = result.checker
    if checker is None or checker.exit_code != 0 or checker.signal is not None:
        return None
    lines = checker.stdout.strip().splitlines()
    try:
        verdict = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return verdict if isinstance(verdict, dict) and isinstance(verdict.get("verdict"), str) else None


def judge(result: Any) -> tuple[bool, str, str | None, str, list[str]]:
    """(passed, status, error kind, detail, run flags) of a candidate + checker run."""
    verdict = verdict_of(result)
    kind = verdict["verdict"] if verdict else None
    detail = str(verdict.get("detail") or "") if verdict else ""
    run_flags = [f for f in (verdict or {}).get("flags") or [] if isinstance(f, str)]
    if kind == "pass":
        return True, "ok", None, "", run_flags
    checker = result.checker
    if result.status in ("timeout", "memory", "output_limit"):  # limits: of the pair, or the candidate's own
        return False, result.status, result.error_kind, detail or _last_line(result.stderr), run_flags
    if checker is None and result.status == "crash":  # the run was lost (plain mode: it killed its worker)
        return False, "crash", "sandbox_crash", _last_line(result.stderr), run_flags
    if checker is not None and checker.timed_out:
        return False, "timeout", "sandbox_timeout", "the tests ran past their CPU limit", run_flags
    if kind == "timeout":
        return False, "timeout", "sandbox_timeout", detail, run_flags
    if kind == "gone":
        if result.status == "crash":
            return False, "crash", "sandbox_crash", _last_line(result.stderr) or detail, run_flags
        if result.returncode == 0:
            run_flags.append("left_early")
        return False, "failed", None, _last_line(result.stderr) or detail, run_flags
    if kind is not None:  # wrong, refused, checker_error
        return False, "failed", None, detail, run_flags
    if checker is not None and checker.signal is not None:
        return False, "failed", None, "the checker was killed by the solution's process", [*run_flags, "checker_disturbed"]
    return False, "failed", None, "the checker failed: " + _last_line(checker.stderr if checker else ""), [
        *run_flags, "checker_error"]


async def score_code(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """Code generation (HumanEval(+), MBPP(+), LiveCodeBench, built-in tasks). The program is the last
    fenced code block that defines the entry point (else the last block; a bare completion from a base
    model is taken whole); no code is a parse failure. It is tested in the sandbox with the tests in a
    process of their own (see the module docstring): the checker's pass is a pass, anything else a wrong
    answer; timeouts, memory, crashes and runaway output are errors of their own kind (sandbox_timeout,
    sandbox_memory, sandbox_crash, sandbox_output). pass@k over samples is computed by the statistics.

    Settings: `timeout_s` (default 10) seconds for the whole test, in active time (wall clock minus
    waiting for a CPU) and in CPU time per process; `prepend_prompt` (default false) puts the item's
    prompt (a function stub with its imports) before the solution, HumanEval-style; `case_timeout_s`
    (default 6) per test case of contest problems. EvalPlus inputs get EvalPlus's limits (max(1 s, 4 x
    the reference solution's time)); a test past its limit is sandbox_timeout.
    """
    target = item.target or {}
    code, static_flags = await read_reply(_read_code, response.text, target.get("entry_point"))
    if code is None:
        return Outcome(score=0.0, correct=False, error="parse_failure", extracted=None)
    candidate, checker = programs(item, code, settings)
    result = await run_programs(candidate, checker, float(settings.get("timeout_s", 10.0)))
    passed, status, error, detail, run_flags = judge(result)
    if _OUTPUT_NAMES_HARNESS.search(result.stdout[-65536:]) or _OUTPUT_NAMES_HARNESS.search(result.stderr[-65536:]):
        run_flags.append("output_names_harness")
    extracted: dict[str, Any] = {"code": code, "status": status, "detail": "" if passed else detail[:300]}
    found = sorted(set(static_flags) | set(run_flags))
    if found:
        extracted["flags"] = found
    return Outcome(score=1.0 if passed else 0.0, correct=passed, error=error, extracted=extracted)


def _read_code(text: str, entry_point: str | None) -> tuple[str | None, list[str]]:
    code = extract_code(text, entry_point)
    return code, flags(code) if code is not None else []


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""
