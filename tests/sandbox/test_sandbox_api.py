"""The sandbox's contract around the programs: no bubblewrap, the unsandboxed opt-in, bad input, the shared pool.

A missing bubblewrap is simulated with a PATH that lacks it (the real one stays installed).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import harness.sandbox as sandbox_module
from harness.errors import UserError
from harness.sandbox import (
    SANDBOX_PYTHON_ENV,
    ExecResult,
    Limits,
    Sandbox,
    SandboxUnavailable,
    classify,
    close_shared,
    find_bwrap,
    shared_sandbox,
)

needs_bwrap = pytest.mark.skipif(find_bwrap() is None, reason="bubblewrap (bwrap) is not installed")


@pytest.fixture
def no_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without bubblewrap on it, and the once-per-process warning not yet given."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(sandbox_module, "_warned_unsandboxed", False)
    assert find_bwrap() is None


def run_all(sandbox: Sandbox, programs: list[tuple[str, float]]) -> list[ExecResult]:
    async def go() -> list[ExecResult]:
        try:
            return [await sandbox.run(p, timeout_s=t) for p, t in programs]
        finally:
            await sandbox.aclose()

    return asyncio.run(go())


# ------------------------------------------------------------------------------ without bubblewrap
@pytest.mark.parametrize("environment", [None, "1"])
def test_without_bwrap_model_code_is_refused_with_one_line_saying_what_to_do(
    no_bwrap: None, environment: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if environment is not None:  # the old opt-in variable is no longer a way in: only the explicit parameter
        monkeypatch.setenv("ASYMMETRY_ALLOW_UNSANDBOXED", environment)
    with pytest.raises(SandboxUnavailable) as caught:
        run_all(Sandbox(), [("print('should never run')", 5)])
    message = str(caught.value)
    assert isinstance(caught.value, UserError)  # the CLI prints it as `error: ...` and exits 2
    assert "\n" not in message
    assert (
        "bubblewrap" in message
        and "--allow-unsandboxed-code" in message
        and "apt-get install bubblewrap" in message
    )


def test_unsandboxed_opt_in_warns_loudly_once_and_still_applies_limits(
    no_bwrap: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = f"sk-test-{os.urandom(8).hex()}"
    monkeypatch.setenv("ANTHROPIC_API_KEY", secret)
    first = Sandbox(workers=2, allow_unsandboxed=True)
    results = run_all(
        first,
        [
            (
                "import os\nprint(os.getcwd() == os.environ['HOME'], sorted(os.environ))\nopen('left.txt', 'w').write('x')",
                5,
            ),
            ("while True:\n    pass", 1),
            ("x = bytearray(50 * 2**30)", 5),
            ("import sys\nfor _ in range(1024):\n    sys.stdout.write('x' * (1 << 20))", 10),
            ("import ctypes\nctypes.string_at(0)", 5),
            ("assert 1 + 1 == 3", 5),
        ],
    )
    second = Sandbox(workers=1, allow_unsandboxed=True)
    (again,) = run_all(second, [("print('again')", 5)])
    err = capsys.readouterr().err
    assert err.count("WARNING") == 1, err  # loud, and once per process
    assert "resource limits only" in err and "CAN read your files" in err
    assert first.info()["mode"] == "unsandboxed"
    assert [r.status for r in results] == ["ok", "timeout", "memory", "output_limit", "crash", "failed"]
    assert results[0].stdout == "True ['HOME', 'LANG', 'PATH']\n"
    assert secret not in "".join(r.stdout + r.stderr for r in results)
    assert again.stdout == "again\n"


def test_unsandboxed_working_directory_is_removed_after_each_program(
    no_bwrap: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    (result,) = run_all(
        Sandbox(workers=1, allow_unsandboxed=True),
        [
            (
                "import os\nos.makedirs('a/b')\nopen('a/b/f', 'w').write('x')\nos.chmod('a', 0)\nprint(os.getcwd())",
                5,
            )
        ],
    )
    workdir = Path(result.stdout.strip())
    assert result.status == "ok" and workdir.name.startswith("asymmetry-sandbox-")
    assert not workdir.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop applies when the harness runs as root")
def test_unsandboxed_code_still_never_runs_as_root(no_bwrap: None, monkeypatch: pytest.MonkeyPatch) -> None:
    (result,) = run_all(Sandbox(workers=1, allow_unsandboxed=True), [("import os\nprint(os.getuid(), os.geteuid())", 5)])
    assert result.stdout == "65534 65534\n"


@pytest.fixture
def failing_bwrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A `bwrap` on PATH that fails as bubblewrap does where user namespaces are not allowed."""
    message = "bwrap: No permissions to creating new namespace, likely because the kernel does not allow it"
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)  # the sandbox uid must be able to run it
        fake = Path(folder) / "bwrap"
        fake.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
        fake.chmod(0o755)
        monkeypatch.setenv("PATH", folder)
        yield message


@pytest.mark.parametrize("mode", ["auto", "fork", "plain"])
def test_bwrap_that_cannot_make_namespaces_is_one_line_naming_its_error(
    failing_bwrap: str, mode: str
) -> None:
    with pytest.raises(SandboxUnavailable) as caught:
        run_all(Sandbox(workers=1, mode=mode), [("print('never')", 5)])
    message = str(caught.value)
    assert "\n" not in message
    assert failing_bwrap in message and "namespaces" in message


def test_unreachable_sandbox_interpreter_is_a_sandbox_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    if find_bwrap() is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    monkeypatch.setattr(sandbox_module, "sandbox_python", lambda: "/nonexistent/python3")
    with pytest.raises(SandboxUnavailable, match="/nonexistent/python3"):
        run_all(Sandbox(workers=1), [("print('never')", 5)])


@pytest.mark.skipif(os.geteuid() != 0, reason="the process limit holds per uid: as root we drop to 65534")
def test_unsandboxed_fork_bomb_and_daemons_leave_no_process(no_bwrap: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_sandbox import FORK_BOMB, descendants, wait_until_gone

    seen: set[int] = set()
    peak = 0

    async def go() -> tuple[ExecResult, ExecResult]:
        nonlocal peak
        sandbox = Sandbox(workers=1, allow_unsandboxed=True)
        await sandbox.start()
        before = descendants()
        bomb = asyncio.ensure_future(sandbox.run(FORK_BOMB, timeout_s=1.5))
        while not bomb.done():
            now = descendants() - before
            seen.update(now)
            peak = max(peak, len(now))
            await asyncio.sleep(0.05)
        daemon = await sandbox.run(
            "import os, time\nif os.fork() == 0:\n    os.setsid()\n    os.fork() or time.sleep(30)\n"
            "    os._exit(0)\nprint('parent done')",
            timeout_s=5,
        )
        seen.update(descendants() - before)
        await sandbox.aclose()
        return await bomb, daemon

    bombed, daemon = asyncio.run(go())
    assert bombed.status == "timeout" and peak <= Limits().nproc + 8, peak
    assert (daemon.status, daemon.stdout) == ("ok", "parent done\n")
    assert wait_until_gone(seen) == set()


# ------------------------------------------------------------------------------------- self-check
@needs_bwrap
def test_self_check_command_shows_everything_contained() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.sandbox"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mode fork" in done.stdout and "seccomp on" in done.stdout
    assert "fork bomb" in done.stdout and "all contained" in done.stdout


def test_self_check_without_bwrap_is_one_error_line(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "harness.sandbox"], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.returncode == 2
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: bubblewrap (bwrap) is not installed"), lines


# --------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("field", ["memory_mb", "file_mb", "tmp_mb", "nproc", "nofile", "output_bytes"])
@pytest.mark.parametrize("value", [0, -1, 1.5, "64", True])
def test_bad_limits_are_a_user_error_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(UserError, match=field):
        Limits(**{field: value})  # type: ignore[arg-type]


def test_unknown_mode_is_a_user_error() -> None:
    with pytest.raises(UserError, match="mode"):
        Sandbox(mode="chroot")


@needs_bwrap
@pytest.mark.parametrize("timeout", [0, -1, float("nan"), 10_000, "5"])
def test_bad_timeout_or_program_type_is_rejected_before_anything_runs(timeout: object) -> None:
    sandbox = Sandbox(workers=1)
    with pytest.raises((ValueError, TypeError)):
        run_all(sandbox, [("print(1)", timeout)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        run_all(sandbox, [(b"print(1)", 5)])  # type: ignore[list-item]


def test_sandbox_python_override_must_be_runnable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SANDBOX_PYTHON_ENV, str(tmp_path / "no-such-python"))
    with pytest.raises(UserError, match=SANDBOX_PYTHON_ENV):
        sandbox_module.sandbox_python()


# ------------------------------------------------------------------------------------ classification
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ({"exit_code": 0, "signal": None}, "ok"),
        ({"exit_code": 1, "signal": None}, "failed"),
        ({"exit_code": 199, "signal": None}, "memory"),
        ({"exit_code": None, "signal": 6, "stderr": "Fatal Python error: Cannot allocate memory"}, "memory"),
        ({"exit_code": None, "signal": 6, "stderr": "abort"}, "crash"),
        ({"exit_code": None, "signal": 11}, "crash"),
        ({"exit_code": None, "signal": 24}, "timeout"),  # SIGXCPU: the CPU limit
        ({"exit_code": None, "signal": 9, "cpu_s": 5.0}, "timeout"),  # hard CPU limit
        ({"exit_code": None, "signal": 9, "cpu_s": 0.1}, "crash"),  # killed by something else
        ({"exit_code": None, "signal": 25}, "output_limit"),  # SIGXFSZ: the file-size limit
        ({"exit_code": None, "signal": None, "killed_for": "timeout"}, "timeout"),
        ({"exit_code": 0, "signal": None, "killed_for": "output"}, "output_limit"),
        ({"exit_code": None, "signal": None}, "crash"),  # never reported: it took its runner down
    ],
)
def test_raw_outcomes_classify_to_the_contract_statuses(raw: dict, status: str) -> None:
    result = classify({"stdout": "", "stderr": "", "duration_s": 0.1, **raw}, timeout_s=5)
    assert result.status == status
    expected_kind = {"timeout": "sandbox_timeout", "memory": "sandbox_memory", "crash": "sandbox_crash"}
    expected_kind["output_limit"] = "sandbox_output"
    assert result.error_kind == expected_kind.get(status)


# -------------------------------------------------------------------------------------- shared pool
@needs_bwrap
def test_shared_pool_serves_every_event_loop_until_closed() -> None:
    async def first() -> tuple[Sandbox, Sandbox, ExecResult]:
        a = await shared_sandbox()
        b = await shared_sandbox()
        return a, b, await a.run("print('shared')")

    a, b, result = asyncio.run(first())
    assert a is b and result.stdout == "shared\n"

    async def second() -> tuple[Sandbox, ExecResult, list[int]]:
        c = await shared_sandbox()  # a new event loop, the same warm pool
        out = await c.run("print('again')")
        pids = [w.proc.pid for w in c._pool if w.proc is not None]
        await close_shared()
        await close_shared()  # idempotent
        return c, out, pids

    c, again, pids = asyncio.run(second())
    assert c is a and again.stdout == "again\n"
    assert len(pids) == min(a.workers, sandbox_module.cpu_count())  # it starts with one per CPU
    for pid in pids:  # the workers are gone (and reaped)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)

    async def third() -> tuple[Sandbox, ExecResult]:
        d = await shared_sandbox()
        try:
            return d, await d.run("print('fresh')")
        finally:
            await close_shared()

    d, fresh = asyncio.run(third())
    assert d is not a and fresh.stdout == "fresh\n"
