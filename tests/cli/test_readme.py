"""The README's commands, walked as written against loopback model servers, so they cannot drift.

Every ```sh and ```python block of README.md is read in order and each command is run with bash in one
fresh working folder laid out like a clone (results/README.md, reports/README.md), with this
environment's `asymmetry` on PATH as an activated venv has it. Two things are changed, and only these:
the endpoints' loopback URLs (http://127.0.0.1:800N/v1, or a local provider's default URL) point at a
loopback server this test starts, and ASYMMETRY_OFFLINE=1. Commands that cannot run here are skipped by
the rules in SKIP, each with its reason; a new README command that matches no rule is run, and fails the
test if it fails.

The loopback server answers like a model of each release: for the built-in math, facts and code suites
it gives the right answer (from the suite's own targets and the code tasks' references) on a share of
the items that grows from the old release to the new, and otherwise echoes the question, so compare and
report have real discordant items to work on."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.servers import Incoming, serve

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

#: (pattern, reason): a command matching the pattern is not run here
SKIP = [
    (r"^python3 -m venv|^\.venv/bin/pip install", "installs the project: CI runs the README's first block"),
    (r"-m pytest", "runs the tests themselves"),
    (r"asymmetry run .*--suites default|--data-dir", "needs the standard benchmarks' data: a download (network) "
                                                      "or a local copy"),
    (r"=(dashscope|anthropic|openrouter|together|openai):", "a hosted API: needs the network and a key"),
    (r"asymmetry import (lm-eval|inspect)", "needs lm-eval or Inspect logs from runs of their own"),
    (r"--results results/qwen3-8b-\*", "compares the runs imported by the commands above it"),
    (r"asymmetry lm-eval run|--suites lm-eval:", "lm-eval's gsm8k tasks load their data from the Hugging Face hub"),
    (r"benchmarks/calibration/run\.py", "a 2-minute simulation benchmark; tests/stats runs its quick form"),
    (r"benchmarks/placebo/run\.py", "needs the reference outputs; tests/stats/test_placebo.py runs a small version"),
    (r"results-prov/|--provenance prov\.json", "reads the provenance-bank answers of the run above, whose teacher and "
                                                "candidate are hosted APIs; tests/provenance runs these commands on "
                                                "texts with known authorship"),
]
LOCAL_PROVIDERS = ("vllm", "sglang", "ollama", "llamacpp", "lmstudio")
SERVED = ("Qwen/Qwen3-8B", "Qwen/Qwen3.5-9B", "meta-llama/Meta-Llama-3-8B-Instruct",
          "meta-llama/Llama-3.1-8B-Instruct", "qwen3:8b")
#: share of the answerable items each model gets right (the new release more than the old)
SKILL = {"Qwen/Qwen3-8B": 0.45, "Qwen/Qwen3.5-9B": 0.7, "meta-llama/Meta-Llama-3-8B-Instruct": 0.4,
         "meta-llama/Llama-3.1-8B-Instruct": 0.5, "qwen3:8b": 0.5}


def readme_commands(text: str) -> list[tuple[str, str]]:
    """(language, command) in README order: sh commands with their continuation lines joined, and each
    python block whole."""
    out = []
    for lang, body in re.findall(r"^```(sh|python)\n(.*?)^```$", text, flags=re.S | re.M):
        if lang == "python":
            out.append((lang, body))
            continue
        for command in re.sub(r"\\\n\s*", " ", body).splitlines():
            if command.strip() and not command.lstrip().startswith("#"):
                out.append((lang, command.strip()))
    return out


def skip_reason(command: str) -> str | None:
    return next((reason for pattern, reason in SKIP if re.search(pattern, command)), None)


def to_loopback(command: str, url: str) -> str:
    command = re.sub(r"http://127\.0\.0\.1:\d+/v1", url, command)
    providers = "|".join(LOCAL_PROVIDERS)
    return re.sub(rf"(=(?:{providers}):[^\s@'\"]+)(?=\s|$)", rf"\1@{url}", command)


def oracle() -> Callable[[Incoming], str]:
    """Answers by the prompt the server receives: right on SKILL[model] of the answerable items."""
    from harness.suites.build import list_specs, load_suites
    from harness.suites.builtin import code_tasks
    from harness.suites.prompt import render_messages

    specs = {s.name: s for s in list_specs()}
    references = {t.item.id: t.reference_source() for t in code_tasks.generate_tasks(2026, 240)}
    right: dict[str, str] = {}
    for suite in load_suites(["builtin-math", "builtin-facts", "builtin-code"]):
        for item in suite.items:
            prompt = str(render_messages(specs[suite.name].prompt, item)[-1]["content"])
            if suite.name == "builtin-math":
                right[prompt] = f"Step by step.\nThe answer is {item.target}"
            elif suite.name == "builtin-facts":
                right[prompt] = str(item.target[0])
            else:
                right[prompt] = f"```python\n{references[item.id]}\n```"

    def answer(request: Incoming) -> str:
        body = request.body or {}
        prompt = request.prompt
        draw = hashlib.sha256(f"{body.get('model')}|{body.get('seed')}|{prompt}".encode()).digest()[0] / 256
        if prompt in right and draw < SKILL.get(str(body.get("model")), 0.5):
            return right[prompt]
        return prompt

    return answer


def test_every_readme_command_is_runnable_or_skipped_for_a_stated_reason() -> None:
    commands = readme_commands(README.read_text())
    assert sum(lang == "sh" for lang, _ in commands) > 20 and any(lang == "python" for lang, _ in commands)
    for lang, command in commands:
        if lang == "sh" and command.startswith(("asymmetry ", ".venv/", "python3 ")):
            continue
        assert lang == "python", f"a README command this walk does not know how to run: {command}"


@pytest.mark.slow  # about a minute: two full runs of the built-in suites, compare, reports, the demo
def test_the_readme_commands_work_as_written(tmp_path: Path) -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap not installed: the README's runs include builtin-code (apt-get install bubblewrap)")
    work = tmp_path / "clone"
    for folder in ("results", "reports"):
        (work / folder).mkdir(parents=True)
        shutil.copy(ROOT / folder / "README.md", work / folder / "README.md")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "ASYMMETRY_OFFLINE": "1", "COLUMNS": "200"}
    ran, skipped = [], []
    with serve(answer=oracle(), models=SERVED) as server:
        for lang, command in readme_commands(README.read_text()):
            reason = skip_reason(command) if lang == "sh" else None
            if reason:
                skipped.append((command, reason))
                continue
            if lang == "python":
                (work / "example.py").write_text(command)
                argv = [sys.executable, "example.py"]
            else:
                argv = ["bash", "-c", to_loopback(command, server.base_url)]
            done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False)
            assert done.returncode == 0, f"README command failed: {command}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            assert "Traceback" not in done.stderr, command
            ran.append(command)
    assert len(ran) >= 15, ran
    print("skipped:", *(f"  {c}\n    ({r})" for c, r in skipped), sep="\n")
    # what the walk produced is what the README says it produces
    assert (work / "reports" / "demo" / "index.html").is_file()
    assert (work / "reports" / "qwen3.5" / "index.html").is_file()
    assert (work / "reports" / "qwen3.5-control" / "index.html").is_file()
    assert (work / "reports" / "from-python" / "index.html").is_file()
    assert (work / "compare.json").is_file() and (work / "compare-control.json").is_file()
    assert (work / "items.parquet").is_file()


def test_the_readme_cites_nothing_a_user_does_not_have() -> None:
    text = README.read_text() + (ROOT / "suites" / "README.md").read_text()
    for foreign in ("../shared", "shared/data", "STATISTICS.md", "DESIGN.md", "PROVENANCE.md"):
        assert foreign not in text, foreign
