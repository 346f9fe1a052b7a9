"""The `code` scorer: extract the model's program, run it with the item's tests in the sandbox.

Programs are assembled here and executed only by `harness.sandbox` (bubblewrap, no network, resource
limits); nothing model-written runs in the harness process. A run passes when the program exits 0 *and*
the sandbox printed a per-run random pass token after the program's last statement ran, so code that
calls `exit(0)` before the tests cannot pass.

The limit, stated plainly: the solution runs in the same interpreter as its tests, before them, and no
secret can be hidden from code in its own process. The token is kept out of the program's text, its
file and its code objects (the easy ways to read it), but a solution that walks the interpreter's frames
or memory (`sys._getframe(1).f_locals`, `gc`, `ctypes`) can still find it, print it and exit early.
Solutions that reach for such tools, or mention the token, are flagged in `extracted["flags"]` so a
reviewer can look at them; their score is not changed.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from harness.items import Item, Outcome
from harness.models.base import ChatResponse
from harness.suites.scorers.stdio_check import contest_program
from harness.suites.scorers.text import visible_text
from harness.suites.scorers.timelimit import TIME_LIMIT_EXIT, TIME_LIMIT_MARKER

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_PYTHON_LABELS = {"python", "py", "python3", "py3", ""}
_MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]\s*:")
TOKEN_PREFIX = "asymmetry-pass-"
#: What a solution would use to reach the pass token or end the program before its tests (flagged).
SUSPICIOUS = {
    "mentions the pass token": re.compile(r"asymmetry-pass|pass_token"),
    "reads its own file": re.compile(r"__file__|sys\.argv|main\.py|/proc/self|__loader__|linecache"),
    "inspects frames": re.compile(r"_getframe|\bf_back\b|\bf_locals\b|\bf_globals\b|\btb_frame\b|"
                                  r"\binspect\.(?:currentframe|stack|getouterframes|trace)|co_consts"),
    "reads interpreter memory": re.compile(r"\bgc\.get_(?:objects|referrers|referents)|\bctypes\b"),
    "ends the process itself": re.compile(r"\bos\._exit\b|\bos\.kill\b|\bos\.abort\b"),
}


def extract_code(text: str, entry_point: str | None = None) -> str | None:
    """The program in a response: among fenced blocks (Python-labelled ones preferred), the last that
    defines `entry_point` (a function or class), else the last; without fences, the whole reply when
    it looks like code (a completion from a base model). None when there is no code."""
    text = visible_text(text, keep_indent=True)
    blocks = [(label.lower(), body) for label, body in _FENCE.findall(text) if body.strip()]
    if blocks:
        python = [body for label, body in blocks if label in _PYTHON_LABELS] or [body for _, body in blocks]
        if entry_point:
            defining = re.compile(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(entry_point)}\b", re.MULTILINE)
            chosen = [body for body in python if defining.search(body)]
            if chosen:
                return chosen[-1].rstrip() + "\n"
        return python[-1].rstrip() + "\n"
    if re.search(r"^\s*(?:def |class |import |from \w+ import |return\b|for |while |if |print\()", text, re.MULTILINE):
        return text.rstrip() + "\n"
    return None


def drop_main_guard(code: str) -> str:
    """Remove top-level `if __name__ == "__main__":` blocks: demo code there would read stdin or run
    slow examples after the tests have already been set up."""
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
    """Why a solution deserves a look (see the module docstring), or [] for none."""
    return [reason for reason, pattern in SUSPICIOUS.items() if pattern.search(code)]


def assemble(item: Item, code: str, settings: Mapping[str, Any]) -> str:
    """The program the sandbox runs: [prompt] + solution + tests (the sandbox adds the pass token)."""
    target = item.target
    code = drop_main_guard(code)
    if target.get("mode") in ("stdio", "functional"):
        body = contest_program(code, target, float(settings.get("case_timeout_s", 6.0)))
    else:
        prefix = ""
        if settings.get("prepend_prompt") and isinstance(item.input, Mapping) and item.input.get("prompt"):
            prefix = str(item.input["prompt"])
            first = next((ln for ln in code.splitlines() if ln.strip()), "")
            # A body completion (indented) continues the prompt's stub; a full solution follows it and
            # redefines the function, keeping the prompt's imports and helpers available.
            prefix = prefix if first[:1] in (" ", "\t") else prefix.rstrip() + "\n\n\n"
        body = f"{prefix}{code}\n\n{target['test']}\n"
    return body


async def run_program(program: str, timeout_s: float, pass_token: str | None = None) -> Any:
    """Run a program in the shared sandbox (the one place model code executes)."""
    from harness.sandbox import shared_sandbox

    sandbox = await shared_sandbox()
    return await sandbox.run(program, timeout_s=timeout_s, pass_token=pass_token)


async def score_code(item: Item, response: ChatResponse, settings: Mapping[str, Any]) -> Outcome:
    """Code generation (HumanEval(+), MBPP(+), LiveCodeBench, built-in tasks). The program is the last
    fenced code block that defines the entry point (else the last block; a bare completion from a base
    model is taken whole); no code is a parse failure. It runs with the item's tests in the sandbox:
    exit 0 after all tests is a pass, a non-zero exit a wrong answer; timeouts, memory, crashes and
    runaway output are errors of their own kind (sandbox_timeout, sandbox_memory, sandbox_crash,
    sandbox_output). pass@k over samples is computed by the statistics, not here.

    Settings: `timeout_s` (default 10) wall-clock seconds per program; `prepend_prompt` (default false)
    puts the item's prompt (a function stub with its imports) before the solution, HumanEval-style;
    `case_timeout_s` (default 6) per test case of contest problems. EvalPlus inputs get EvalPlus's
    limits (max(1 s, 4 x the reference solution's time)); a test past its limit is sandbox_timeout.
    """
    target = item.target or {}
    code = extract_code(response.text, target.get("entry_point"))
    if code is None:
        return Outcome(score=0.0, correct=False, error="parse_failure", extracted=None)
    token = f"{TOKEN_PREFIX}{secrets.token_hex(16)}"
    program = assemble(item, code, settings)
    result = await run_program(program, float(settings.get("timeout_s", 10.0)), token)
    passed = result.status == "ok" and f"\n{token}\n" in result.stdout
    status = result.status
    error = result.error_kind if status not in ("ok", "failed") else None
    if status == "failed" and result.returncode == TIME_LIMIT_EXIT and TIME_LIMIT_MARKER in result.stderr:
        status, error = "timeout", "sandbox_timeout"  # a test's own time limit (EvalPlus / contest style)
    elif status == "ok" and not passed:
        status = "no_pass_token"  # exited 0 before the tests finished (e.g. exit() in the solution)
    detail = "" if passed else _last_line(result.stderr)
    extracted: dict[str, Any] = {"code": code, "status": status, "detail": detail}
    suspicious = flags(code)
    if suspicious:
        extracted["flags"] = suspicious
    return Outcome(score=1.0 if passed else 0.0, correct=passed, error=error, extracted=extracted)


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""
