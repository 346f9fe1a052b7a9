"""A program run with a checker (`Sandbox.run(program, checker=...)`, how the code scorer tests model code):
the checker's source (the tests, the expected values) never reaches the program, neither in its memory
nor in a file nor in a later program forked from the same worker; in fork mode the program cannot even
see or signal the checker; plain mode, which reuses its worker, leaves nothing of one program to the
next; and the pool grows for sleeping programs, not for quick ones."""

from __future__ import annotations

import asyncio
import textwrap
import time

import pytest

from harness.sandbox import ExecResult, Sandbox, cpu_count, find_bwrap

pytestmark = pytest.mark.skipif(find_bwrap() is None, reason="bubblewrap (bwrap) is not installed")

MODES = ["fork", "plain"]

#: Scans this process's memory, its /tmp and every /proc entry it may read for a marker given as a prefix
#: and a suffix (so the scanner itself never holds the marker whole), and for a control marker of its own.
SCANNER = r'''
import os, re

def regions():
    """(start, size) of every readable mapping of this process."""
    for line in open("/proc/self/maps"):
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if "r" in fields[1] and end - start <= 1 << 30 and not (len(fields) > 5 and fields[5].startswith("[v")):
            yield start, end - start

def read_memory():
    try:  # /proc/self/mem, where this process is dumpable (fork mode) ...
        with open("/proc/self/mem", "rb", 0) as mem:
            for start, size in regions():
                try:
                    mem.seek(start)
                    yield mem.read(size)
                except (OSError, ValueError, OverflowError):
                    continue
    except PermissionError:  # ... else straight from memory (plain mode's programs are not dumpable)
        import ctypes
        for start, size in regions():
            yield ctypes.string_at(start, size)

def scan_memory(prefix, suffix):
    hits = 0
    for data in read_memory():
            at = data.find(prefix)
            while at >= 0:
                hits += data[at + len(prefix) : at + len(prefix) + len(suffix)] == suffix
                at = data.find(prefix, at + 1)
    return hits

def scan_files(prefix, suffix):
    hits = 0
    paths = [os.path.join(d, f) for d, _, fs in os.walk("/tmp") for f in fs]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            paths += [f"/proc/{pid}/{name}" for name in ("cmdline", "environ")]
    for path in paths:
        try:
            data = open(path, "rb").read()
        except OSError:
            continue
        hits += data.count(prefix + suffix)
    return hits

CONTROL = "CONTROL-MARKER-7777"
print("control", scan_memory(b"CONTROL-MARKER-", b"7" * 4) > 0)
print("secret in memory", scan_memory(b"S3CR3T-EXPECTED-VALUE-", b"04" + b"51"))
print("secret in files", scan_files(b"S3CR3T-EXPECTED-VALUE-", b"04" + b"51"), flush=True)
'''

CHECKER_WITH_SECRET = 'import os\nEXPECTED = "S3CR3T-EXPECTED-VALUE-0451"\nos.read(3, 1)\nprint("checked", len(EXPECTED))\n'


def run_all(sandbox: Sandbox, runs: list[tuple[str, str | None, float]]) -> list[ExecResult]:
    async def go() -> list[ExecResult]:
        try:
            return [await sandbox.run(textwrap.dedent(p), timeout_s=t, checker=c) for p, c, t in runs]
        finally:
            await sandbox.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize("mode", MODES)
def test_the_checker_source_never_reaches_the_program_nor_the_next_one(mode: str) -> None:
    during = SCANNER + "os.write(4, b'x')\n"  # scan while the checker holds the secret, then release it
    first, later, again = run_all(Sandbox(workers=1, mode=mode), [
        (during, CHECKER_WITH_SECRET, 20),
        (SCANNER, None, 20),  # forked later from the same worker, which handed the secret over
        (during, CHECKER_WITH_SECRET, 20),
    ])
    for result in (first, later, again):
        assert result.stdout == "control True\nsecret in memory 0\nsecret in files 0\n", (mode, result)
    for result in (first, again):
        assert result.checker is not None and result.checker.stdout == "checked 26\n", result


def test_in_fork_mode_the_program_can_neither_see_nor_signal_its_checker() -> None:
    program = """
        import os, signal
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(-1, sig)
            except OSError:
                pass
        print("others", others, flush=True)
        os.write(4, b"x")
        """
    checker = "import os\nprint('alive', os.read(3, 1))\n"
    (result,) = run_all(Sandbox(workers=1, mode="fork"), [(program, checker, 10)])
    assert result.stdout == "others []\n"
    assert result.checker is not None and result.checker.stdout == "alive b'x'\n" and result.checker.exit_code == 0


def test_in_plain_mode_a_program_that_kills_its_checker_gets_no_verdict() -> None:
    # plain mode shares one pid namespace: the program can signal its sibling checker, and its worker;
    # what it gets is a run without a verdict (the code scorer scores that wrong), never a pass
    program = "import os, signal\nos.kill(-1, signal.SIGKILL)\nprint('pass', flush=True)\n"
    checker = "import os\nos.read(3, 1)\nprint('pass')\n"
    result, after = run_all(Sandbox(workers=1, mode="plain"), [(program, checker, 10), ("print('next')", None, 10)])
    assert result.checker is None or (result.checker.signal == 9 and result.checker.stdout == ""), result
    assert result.status in ("crash", "ok") and after.stdout == "next\n"  # (a killed worker is replaced)


def test_plain_mode_leaves_nothing_of_one_program_to_the_next() -> None:
    leave = """
        import ctypes, os
        open("/tmp/left-behind.txt", "w").write("x")
        os.makedirs("/tmp/locked/deeper")
        os.chmod("/tmp/locked", 0)
        libc = ctypes.CDLL(None)
        print("shm", libc.shmget(0x4153, 4096, 0o1600) >= 0)  # IPC_CREAT | 0600
        """
    look = """
        import os
        print(sorted(os.listdir("/tmp")), len(open("/proc/sysvipc/shm").read().splitlines()) - 1)
        """
    first, second = run_all(Sandbox(workers=1, mode="plain"), [(leave, None, 10), (look, None, 10)])
    assert first.stdout == "shm True\n", first
    assert second.stdout == "['main.py'] 0\n", second  # only its own program file; no shared memory


def test_a_checker_that_never_finishes_is_a_timeout_and_the_worker_is_replaced() -> None:
    stuck = "while True:\n    pass\n"
    first, after = run_all(Sandbox(workers=1, mode="fork"), [
        ("import time\ntime.sleep(60)\n", stuck, 1.0),
        ("import os\nprint('next', flush=True)\nos.write(4, b'x')", "import os\nos.read(3, 1)\nprint('checked')", 10),
    ])
    assert first.status == "timeout" and first.error_kind == "sandbox_timeout"
    assert after.stdout == "next\n" and after.checker is not None and after.checker.stdout == "checked\n"


def test_the_pool_grows_for_sleeping_programs_not_for_quick_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    import harness.sandbox as sandbox_module

    async def go() -> tuple[int, int, float]:
        sandbox = Sandbox(workers=12, mode="fork")
        try:
            # quick programs: none is still running after GROW_AFTER_S (here 5 s, so that a loaded test
            # machine cannot make them look slow), so however long the queue, the pool does not grow
            monkeypatch.setattr(sandbox_module, "GROW_AFTER_S", 5.0)
            await asyncio.gather(*(sandbox.run("print(sum(range(1000)))", timeout_s=10) for _ in range(60)))
            after_quick = sandbox.info()["workers_started"]
            monkeypatch.setattr(sandbox_module, "GROW_AFTER_S", 0.5)
            start = time.monotonic()
            results = await asyncio.gather(*(sandbox.run("import time\ntime.sleep(30)", timeout_s=1.0)
                                             for _ in range(12)))
            assert all(r.status == "timeout" for r in results)
            return after_quick, sandbox.info()["workers_started"], time.monotonic() - start
        finally:
            await sandbox.aclose()

    after_quick, after_sleepers, seconds = asyncio.run(go())
    assert after_quick == min(12, cpu_count())
    assert after_sleepers >= after_quick + 2
    # a pool held at the CPU count would need 12 / CPUs seconds; the grown pool needs far less
    assert seconds < 0.75 * 12 / cpu_count() + 1.0
