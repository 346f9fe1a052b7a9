"""Run model-written programs safely and fast: bubblewrap, a pool of pre-started interpreters, one fork each.

Every program runs inside bubblewrap: no network (its own network namespace, loopback only), a read-only
system with nothing of the host's files but /usr and the interpreter, a scrubbed environment (PATH, HOME,
LANG), and an unprivileged uid (65534 when the harness runs as root, whom the kernel would otherwise
exempt from the process limit). In the default `fork` mode each worker is a clean interpreter started
once inside its own bwrap, as the init of a user and pid namespace of its own; for every program it
prepares a forked child with its own mount and IPC namespaces (a private, size-capped /tmp), rlimits
(CPU, address space, file size, processes, open files), no capabilities, no_new_privs and a seccomp
filter, and hands it the program. All the processes of one program share one memory and process budget:
a cgroup per worker where this process may make one (harness/sandbox/cgroup.py), else the worker samples
their total memory. After a program, every process it started is killed and reaped and its files vanish.
Output is read incrementally and capped. See harness/sandbox/worker.py for the in-sandbox half.

A program may run with a checker (`run(program, checker=...)`): a second program, in a process of its
own, linked to the first by a pipe each way; the run ends when the checker does. The code scorer runs
the model's code as the program and the tests as the checker, so the two never share an interpreter. The
checker's source never enters the program's process, a file it can read, or the memory later programs
are forked from. In fork mode the checker is a persistent server per worker, outside the programs' pid
namespace (they cannot see or signal it); in plain mode it is a process beside the program.

Time: `timeout_s` limits a program's *active* time, the wall clock minus the time its processes waited
for a CPU (the kernel's schedstat), or the CPU time of all its processes if more, so a busy machine or a
pool larger than the CPU count never turns a correct program into a timeout, while a sleeping program is
charged in full and a fork bomb for all the CPU it takes; `cpu_s` limits each
process's CPU time; a hard wall-clock bound (`wall_factor`) stays behind both. The pool (`workers`, by
default `default_workers()`, more than the CPUs) starts with one worker per CPU and grows while its
programs are slow or sleeping, which costs no CPU.

`plain` mode (the fallback where nested namespaces are not allowed) reuses each worker's bubblewrap for
its programs, emptying /tmp and System V IPC between them. Without bubblewrap nothing runs unless the
caller passes `allow_unsandboxed=True` (`asymmetry run --allow-unsandboxed-code`): then programs run with
rlimits and seccomp only, one worker each, after a loud warning.

    sandbox = await shared_sandbox()
    result = await sandbox.run(solution, timeout_s=10, checker=tests)
    result.status  # ok | failed | timeout | memory | crash | output_limit (of the program)
    result.checker  # the checker's exit and output
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import json
import math
import os
import queue
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.sandbox import cgroup as sandbox_cgroup
from harness.sandbox import worker as sandbox_worker

#: Interpreter to run inside the sandbox (default: the harness's own, if the sandbox uid can reach it).
SANDBOX_PYTHON_ENV = "ASYMMETRY_SANDBOX_PYTHON"
#: Model code never runs as root: as root we drop to nobody before bubblewrap starts.
SANDBOX_UID = 65534

STATUSES = ("ok", "failed", "timeout", "memory", "crash", "output_limit")
ERROR_KINDS = {
    "ok": None,
    "failed": None,
    "timeout": "sandbox_timeout",
    "memory": "sandbox_memory",
    "crash": "sandbox_crash",
    "output_limit": "sandbox_output",
}
MODES = ("auto", "fork", "plain")

_START_TIMEOUT_S = 30.0  # for a worker's ready frame
_ANSWER_GRACE_S = 10.0  # beyond a program's timeout before the host gives up on a worker
_FRAME = struct.Struct(">I")
_OOM_TEXT = re.compile(r"MemoryError|Cannot allocate memory|out of memory|std::bad_alloc", re.IGNORECASE)
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


class SandboxUnavailable(UserError):  # noqa: N818 - the team contract's name
    """Model code cannot be run safely here, and unsandboxed execution was not allowed."""


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the program): an infrastructure error, never the model's fault."""


@dataclass(frozen=True)
class Limits:
    """Per-program resource limits. Processes counts threads too, and includes ~3 of the sandbox's own.

    `memory_mb` bounds each process's address space and the memory of all the program's processes
    together: a cgroup (plus `tmp_mb` and harness.sandbox.cgroup.SLACK_MB of room) where this process
    may make one, else the worker's sampling of their private memory (`Sandbox.info()["memory_budget"]`)."""

    memory_mb: int = 1024  # address space of each process (RLIMIT_AS), and of all of them together
    file_mb: int = 16  # largest file the program may write (RLIMIT_FSIZE)
    tmp_mb: int = 64  # size of its throwaway /tmp
    nproc: int = 64  # processes + threads (RLIMIT_NPROC, counted in the program's own user namespace)
    nofile: int = 256  # open files
    output_bytes: int = 256 * 1024  # captured stdout, and separately stderr; more is output_limit

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise UserError(f"sandbox limit {name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class CheckerResult:
    """What happened to a run's checker (see `Sandbox.run`): its exit and its output, trusted as its own."""

    exit_code: int | None
    signal: int | None
    stdout: str
    stderr: str
    cpu_s: float = 0.0
    cpu_limit: float = 0.0

    @property
    def timed_out(self) -> bool:
        """Stopped by its own CPU limit (SIGXCPU, or SIGKILL at the hard limit one second later)."""
        return self.signal == signal.SIGXCPU or (
            self.signal == signal.SIGKILL and self.cpu_s >= math.ceil(self.cpu_limit) - 0.05 > 0
        )


@dataclass(frozen=True)
class ExecResult:
    """What happened to one program. `error_kind` is None for ok/failed (a wrong answer is no error).
    `active_s` is the time charged against its limit (wall clock minus waiting for a CPU); `checker` is
    the checker's result when the program ran with one."""

    status: str
    error_kind: str | None
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    active_s: float = 0.0
    checker: CheckerResult | None = None

    @property
    def passed(self) -> bool:
        return self.status == "ok"


def classify(raw: dict[str, Any], timeout_s: float) -> ExecResult:
    """Map the worker's raw facts (exit code or signal, CPU time, why it was killed) to a status."""
    code, sig = raw.get("exit_code"), raw.get("signal")
    if raw.get("stopped_after_checker"):  # it was still serving when its checker finished: no end of its own
        code, sig = 0, None
    cpu_s = raw.get("cpu_s") or 0.0
    cpu_limit = max(1, math.ceil(raw.get("cpu_limit") or timeout_s))
    if raw.get("killed_for") == "output" or sig == signal.SIGXFSZ:
        status = "output_limit"
    elif raw.get("killed_for") == "memory" or raw.get("oom_kills"):
        status = "memory"  # the program's processes together went over its memory budget
    elif (
        raw.get("killed_for") == "timeout"
        or sig == signal.SIGXCPU
        or (sig == signal.SIGKILL and cpu_s >= cpu_limit - 0.05)
    ):
        status = "timeout"
    elif code == sandbox_worker.EXIT_MEMORY or (
        sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS)
        and _OOM_TEXT.search(raw.get("stderr", "")[-4000:])
    ):
        status = "memory"
    elif sig is not None or code is None:
        status = "crash"  # a signal not of our limits, or the program never reported (it killed its runner)
    else:
        status = "ok" if code == 0 else "failed"
    returncode = code if code is not None else (-sig if sig is not None else None)
    checker = None
    if raw.get("checker") is not None:
        c = raw["checker"]
        checker = CheckerResult(c.get("exit_code"), c.get("signal"), c.get("stdout", ""), c.get("stderr", ""),
                                float(c.get("cpu_s") or 0.0), float(raw.get("cpu_limit") or timeout_s))
    return ExecResult(
        status=status,
        error_kind=ERROR_KINDS[status],
        returncode=returncode,
        stdout=raw.get("stdout", ""),
        stderr=raw.get("stderr", ""),
        duration_s=round(float(raw.get("duration_s", 0.0)), 6),
        active_s=round(float(raw.get("active_s", raw.get("duration_s", 0.0))), 6),
        checker=checker,
    )


# ----------------------------------------------------------------------------------------- environment
def find_bwrap() -> str | None:
    """The bubblewrap executable on PATH, or None."""
    return shutil.which("bwrap")


def _drops_privileges() -> bool:
    return os.geteuid() == 0


def _reachable_by_sandbox_uid(path: str) -> bool:
    """Can uid SANDBOX_UID traverse to and run `path`? (Root's home is usually 0700.)"""
    if not _drops_privileges():
        return os.access(path, os.X_OK)
    current = Path(path)
    for part in [*reversed(current.parents), current]:
        try:
            st = part.stat()
        except OSError:
            return False
        need = 0o001 if part != current else 0o005
        if st.st_uid == SANDBOX_UID:
            need <<= 6
        if st.st_mode & need != need:
            return False
    return True


def sandbox_python() -> str:
    """The interpreter programs run under: $ASYMMETRY_SANDBOX_PYTHON, else ours, else the system's."""
    chosen = os.environ.get(SANDBOX_PYTHON_ENV)
    if chosen:
        path = os.path.realpath(chosen)
        if not (os.path.isfile(path) and _reachable_by_sandbox_uid(path)):
            who = f"uid {SANDBOX_UID}" if _drops_privileges() else "this user"
            raise UserError(
                f"{SANDBOX_PYTHON_ENV}={chosen} is not an interpreter {who} can run; point it at one"
            )
        return path
    for candidate in (sys.executable, "/usr/local/bin/python3", "/usr/bin/python3"):
        path = os.path.realpath(candidate) if candidate else ""
        if path and os.path.isfile(path) and _reachable_by_sandbox_uid(path):
            return path
    raise SandboxUnavailable(
        f"no Python interpreter the sandbox uid can run (tried {sys.executable}, /usr/bin/python3): "
        f"set {SANDBOX_PYTHON_ENV} to one outside root's home"
    )


def bwrap_args(bwrap: str, python: str, limits: Limits) -> list[str]:
    """The bubblewrap command line around a worker: no network, read-only system, fresh /tmp, no env."""
    args = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    args += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    for path in interpreter_paths(python):  # after /tmp's tmpfs, which would hide one kept under /tmp
        args += ["--ro-bind", path, path]
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    args += ["--clearenv", "--setenv", "PATH", _SYSTEM_PATH, "--setenv", "HOME", "/tmp"]
    args += ["--setenv", "LANG", "C.UTF-8", "--chdir", "/tmp", "--"]
    return args


def interpreter_paths(python: str) -> list[str]:
    """What an interpreter outside /usr needs inside the sandbox, and nothing more: the executable, its
    standard library (PREFIX/lib/python3.*) and the shared libraries beside it (libpython, libffi…).
    Never the whole prefix: with the interpreter at ~/bin/python3 that would be the whole home
    directory (keys, SSH and cloud credentials)."""
    prefix = os.path.dirname(os.path.dirname(python))
    if prefix == "/usr" or prefix.startswith("/usr/"):
        return []
    paths = [python]
    for lib in ("lib", "lib64"):
        folder = Path(prefix, lib)
        if folder.is_symlink() or not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            stdlib = entry.name.startswith("python3") and entry.is_dir() and not entry.is_symlink()
            shared = entry.is_file() and (entry.name.endswith(".so") or ".so." in entry.name)
            if stdlib or shared:
                paths.append(str(entry))
    return paths


def namespace_hint() -> str:
    """Why unprivileged user namespaces (which bubblewrap needs) may be unavailable here, if we can tell."""
    checks = (
        ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1", "AppArmor restricts unprivileged user "
         "namespaces (Ubuntu 24.04+): allow them with `sysctl kernel.apparmor_restrict_unprivileged_userns=0` "
         "or an AppArmor profile for bwrap"),
        ("/proc/sys/kernel/unprivileged_userns_clone", "0", "unprivileged user namespaces are off: "
         "`sysctl kernel.unprivileged_userns_clone=1`"),
        ("/proc/sys/user/max_user_namespaces", "0", "user namespaces are disabled: `sysctl user.max_user_namespaces=15000`"),
    )  # fmt: skip
    for path, bad, hint in checks:
        try:
            if Path(path).read_text().strip() == bad:
                return hint
        except OSError:
            continue
    return "check that unprivileged user namespaces are enabled"


def _bwrap_version(bwrap: str) -> str:
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10, check=False)
        return out.stdout.strip() or out.stderr.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


_warned_unsandboxed = False


def _warn_unsandboxed() -> None:
    global _warned_unsandboxed
    if not _warned_unsandboxed:
        _warned_unsandboxed = True
        print(
            "WARNING: bubblewrap (bwrap) is not installed and unsandboxed code was allowed "
            "(--allow-unsandboxed-code): model-written code runs with resource limits only. "
            "It CAN read your files and reach the network. Install bubblewrap for a real sandbox.",
            file=sys.stderr,
            flush=True,
        )


# ------------------------------------------------------------------------------------- worker process
_live_workers: weakref.WeakSet[_Worker] = weakref.WeakSet()


class _WorkerLost(Exception):
    pass


class _Worker:
    """One sandboxed interpreter process speaking harness.sandbox.worker's framed JSON protocol.

    Plain blocking I/O with deadlines; the pool drives it from its own threads, so nothing here belongs
    to an event loop and a pool outlives any one `asyncio.run`.
    """

    def __init__(self, argv: list[str], max_frame: int, leaf: sandbox_cgroup.Leaf | None = None) -> None:
        self.argv = argv
        self.max_frame = max_frame
        self.leaf = leaf  # the cgroup its programs join (one memory and process budget each), if any
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready: dict[str, Any] = {}
        self.generation = 0  # Sandbox._generation it was started in (which support modules it has)

    def spawn(self) -> None:
        drop: dict[str, Any] = {}
        if _drops_privileges():
            drop = {"user": SANDBOX_UID, "group": SANDBOX_UID, "extra_groups": []}
        try:
            self.proc = self._popen(drop)
        except OSError as exc:
            raise _WorkerLost(f"cannot start {self.argv[0]}: {exc.strerror or exc}") from None
        _live_workers.add(self)

    def _popen(self, drop: dict[str, Any]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": _SYSTEM_PATH, "LANG": "C.UTF-8"},  # no secret ever reaches the sandbox process
            cwd="/",
            start_new_session=True,
            close_fds=True,
            pass_fds=tuple(self.leaf.fds) if self.leaf else (),
            **drop,
        )

    def wait_ready(self) -> dict[str, Any]:
        try:
            self.ready = self._recv(time.monotonic() + _START_TIMEOUT_S)
        except _WorkerLost as exc:
            detail = self._stderr_tail() or str(exc)
            self.kill()
            raise _WorkerLost(detail) from None
        if not self.ready.get("ready"):
            self.kill()
            raise _WorkerLost(str(self.ready.get("setup_error") or self.ready))
        return self.ready

    def request(self, req: dict[str, Any], timeout_s: float, checker: bytes | None = None) -> dict[str, Any]:
        """One program (and its checker's request, raw) in, its facts out (the checker's output, sent raw
        after the frame, joined in)."""
        assert self.proc is not None and self.proc.stdin is not None
        if checker:
            req = {**req, "checker_bytes": len(checker)}
        body = json.dumps(req).encode()
        try:
            self.proc.stdin.write(_FRAME.pack(len(body)) + body + (checker or b""))
            self.proc.stdin.flush()
            deadline = time.monotonic() + timeout_s
            raw = self._recv(deadline)
            tails = [
                self._read_exact(int(raw.pop(key, 0) or 0), deadline).decode("utf-8", "replace")
                for key in ("checker_stdout_bytes", "checker_stderr_bytes")
            ]
            if isinstance(raw.get("checker"), dict):
                raw["checker"]["stdout"], raw["checker"]["stderr"] = tails
        except (OSError, ValueError, _WorkerLost) as exc:
            detail = self._stderr_tail() or str(exc) or "the worker exited"
            self.kill()
            raise _WorkerLost(detail) from None
        if self.leaf is not None:
            raw["oom_kills"] = self.leaf.new_oom_kills()  # the kernel stopped it at its memory budget
        return raw

    def _recv(self, deadline: float) -> dict[str, Any]:
        (size,) = _FRAME.unpack(self._read_exact(_FRAME.size, deadline))
        if size > self.max_frame:
            raise _WorkerLost(f"answer of {size} bytes exceeds {self.max_frame}")
        return json.loads(self._read_exact(size, deadline))

    def _read_exact(self, n: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks: list[bytes] = []
        while n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _WorkerLost("no answer in time")
            data = os.read(fd, min(n, 1 << 20))
            if not data:
                raise _WorkerLost("the worker exited")
            chunks.append(data)
            n -= len(data)
        return b"".join(chunks)

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        fd = self.proc.stderr.fileno()
        if not select.select([fd], [], [], 1.0)[0]:
            return ""
        lines = [line for line in os.read(fd, 8192).decode(errors="replace").splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker's process group; bwrap's --die-with-parent takes the sandbox down with it."""
        if self.proc is not None and self.proc.returncode is None:
            for fn in (os.killpg, os.kill):
                try:
                    fn(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc is not None:
            for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    try:
                        pipe.close()
                    except OSError:
                        pass
        if self.leaf is not None:
            self.leaf.close()
            self.leaf = None
        _live_workers.discard(self)

    def close(self) -> None:
        """End of input lets the worker exit by itself; kill it if it does not."""
        if self.proc is not None and self.proc.returncode is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


@atexit.register
def _kill_all_workers() -> None:
    for worker in list(_live_workers):
        worker.kill()


# ------------------------------------------------------------------------------------------- the pool
def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_workers(limits: Limits | None = None) -> int:
    """The pool's default size: more programs at once than CPUs, because a program waiting (sleeping, or
    blocked past its limit) costs no CPU, and programs are charged only for their active time. Sixteen per
    CPU, at least 16, and no more than twice as many as the memory now free could hold at their full
    budget (programs rarely use all of it, never all at once)."""
    limits = limits or Limits()
    per_program = (limits.memory_mb + limits.tmp_mb + sandbox_cgroup.SLACK_MB) << 20
    available = _available_memory()
    by_memory = max(cpu_count(), 2 * available // per_program) if available else 16
    return max(1, min(16 * cpu_count(), MAX_WORKERS, by_memory))


def _available_memory() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) << 10
    except (OSError, ValueError, IndexError):
        pass
    return 0


#: Largest pool `--sandbox-workers` accepts.
MAX_WORKERS = 512
#: The pool grows (up to `workers`) while fewer programs than CPUs are young (running less than this long):
#: sleeping or slow programs make room for more, a queue of quick ones does not start workers it cannot use.
GROW_AFTER_S = 0.5
#: Workers being started at once, per CPU, while the pool grows (starting one is mostly waiting).
SPAWN_PER_CPU = 4
_GROW_CHECK_S = 0.05  # how often a program waiting for a worker looks again
#: The hard wall-clock bound of a program, as a multiple of its (active-time) limit: at least this, and
#: more when the pool is larger than the CPU count (programs then share CPUs, and wait for them). It only
#: binds where the run-queue accounting cannot (a program starved by a badly overloaded machine).
WALL_FACTOR = 10


def wall_factor(workers: int) -> int:
    """The hard wall-clock bound of a pool of `workers`, in multiples of a program's time limit."""
    return max(WALL_FACTOR, math.ceil(2 * workers / cpu_count()))


@dataclass
class Sandbox:
    """A pool of sandboxed workers. `run` is safe to call concurrently, from any event loop; up to
    `workers` programs run at once, the rest wait their turn.

    `workers` (0: `default_workers()`) is a maximum: the pool starts with one worker per CPU and grows
    when programs are slow to finish, so idle capacity costs neither CPU nor, until needed, memory.
    `allow_unsandboxed`: without bubblewrap, run programs with rlimits and seccomp only (loudly warned)
    instead of refusing to run them. `modules` (name -> Python source, standard library only) are loaded
    once per worker before any program, so programs import them without compiling them."""

    workers: int = 0
    limits: Limits = field(default_factory=Limits)
    mode: str = "auto"  # auto | fork | plain (auto: fork where nested namespaces work, else plain)
    cgroups: bool = True  # a cgroup budget per program where possible; False: the worker's sampling only
    allow_unsandboxed: bool = False
    modules: Mapping[str, str] = field(default_factory=dict)  # importable by every program: name -> source

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UserError(f"sandbox mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 0 <= self.workers <= MAX_WORKERS:
            raise UserError(f"sandbox workers must be a whole number from 1 to {MAX_WORKERS}, got {self.workers!r}")
        if self.workers == 0:
            self.workers = default_workers(self.limits)
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._threads: ThreadPoolExecutor | None = None
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()
        self._pool: set[_Worker] = set()  # every live worker, idle or busy
        self._slots = 0  # workers started so far (a dead one's slot is refilled when next used)
        self._busy_since: dict[int, float] = {}  # per running program: when it started
        self._spawning = 0  # workers being started to grow the pool
        self._generation = 0  # bumped by add_modules: older workers lack a module
        self._isolate = True
        self._bwrap: str | None = None
        self._python = ""
        self._python_version = ""
        self._unsandboxed = False
        self._note = ""
        self._seccomp: bool | None = None
        self._schedstat: bool | None = None
        self._cgroup_place: sandbox_cgroup.Place | None = None
        self._budget = ""

    # ---- lifecycle
    async def start(self) -> Sandbox:
        """Find bubblewrap, start the first workers and check that a trivial program runs; idempotent."""
        if not self._started:
            await asyncio.get_running_loop().run_in_executor(None, self._start)
        return self

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._closed = False
            self._bwrap = find_bwrap()
            if self._bwrap is None:
                if not self.allow_unsandboxed:
                    raise SandboxUnavailable(
                        "bubblewrap (bwrap) is not installed, so model-written code cannot run safely: install "
                        "it (Debian/Ubuntu: apt-get install bubblewrap), or pass --allow-unsandboxed-code to "
                        "run it without a sandbox at your own risk"
                    )
                _warn_unsandboxed()
                self._unsandboxed = True
                self.mode = "unsandboxed"
            self._python = sandbox_python()
            self._find_cgroup_place()
            if self._unsandboxed:
                self._start_pool(isolate=False)
            if self.mode in ("auto", "fork"):
                try:
                    self._start_pool(isolate=True)
                    self.mode = "fork"
                except _WorkerLost as exc:
                    self._stop_pool()
                    if self.mode == "fork":
                        raise SandboxUnavailable(
                            f"bubblewrap could not start a forking sandbox here ({exc}); {namespace_hint()}, "
                            "or use mode='auto' to fall back to plain mode"
                        ) from None
                    self._note = f"fork mode unavailable ({exc}); plain mode: programs share their worker's namespaces"
                    self.mode = "plain"
            if self.mode == "plain":
                try:
                    self._start_pool(isolate=False)
                except _WorkerLost as exc:
                    self._stop_pool()
                    raise SandboxUnavailable(
                        f"bubblewrap is installed but could not run a trivial program here ({exc}): "
                        f"{namespace_hint()}; or set {SANDBOX_PYTHON_ENV} to an interpreter outside your home"
                    ) from None
            self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="sandbox")
            self._started = True

    def _find_cgroup_place(self) -> None:
        self._cgroup_place, why = sandbox_cgroup.find_place() if self.cgroups else (None, "cgroups=False")
        if self._cgroup_place is not None:
            sandbox_cgroup.remove_stale(self._cgroup_place)
            self._budget = f"{self._cgroup_place.describe()}: memory and processes of each program together"
        elif self._unsandboxed:
            self._budget = f"per process only ({why}; unsandboxed programs are not sampled)"
        else:
            self._budget = f"sampled every {sandbox_worker._SAMPLE_S * 1000:g} ms by the worker ({why})"

    def _new_leaf(self) -> sandbox_cgroup.Leaf | None:
        if self._cgroup_place is None:
            return None
        try:
            total_mb = self.limits.memory_mb + self.limits.tmp_mb + sandbox_cgroup.SLACK_MB
            return sandbox_cgroup.Leaf(self._cgroup_place, total_mb, self.limits.nproc)
        except OSError as exc:  # e.g. out of cgroups: this worker's budget is sampled instead
            self._budget += f"; a worker fell back to sampling ({exc.strerror or exc})"
            return None

    def _start_pool(self, isolate: bool) -> None:
        """The first workers (one per CPU, at most `workers`), checked with a trivial program."""
        first = min(self.workers, cpu_count())
        self._isolate = isolate
        if self._unsandboxed:  # one worker per program: check that one can run at all
            raw = self._run_once({"program": "pass", "timeout_s": 10.0}, 10.0 + _ANSWER_GRACE_S)
            if raw.get("setup_error") or raw.get("exit_code") != 0:
                raise _WorkerLost(str(raw.get("setup_error") or raw.get("stderr") or raw))
            return
        workers = [self._new_worker("serve", wait=False) for _ in range(first)]
        try:
            for worker in workers:
                self._remember(worker.wait_ready())
            raw = workers[0].request({"program": "pass", "timeout_s": 10.0}, 10.0 + _ANSWER_GRACE_S)
        except _WorkerLost:
            for worker in workers:
                worker.kill()
            raise
        if raw.get("setup_error") or raw.get("exit_code") != 0:
            for worker in workers:
                worker.kill()
            raise _WorkerLost(raw.get("setup_error") or f"probe program did not exit cleanly: {raw}")
        self._slots = len(workers)
        for worker in workers:
            self._idle.put(worker)

    def _stop_pool(self) -> None:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                worker.close()
        for worker in list(self._pool):
            worker.kill()
        self._pool.clear()
        self._slots = 0

    async def aclose(self) -> None:
        """Stop every worker (the runner calls this through close_shared at the end of a run)."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)

    def close(self) -> None:
        """Synchronous aclose: programs still running are killed (their callers get SandboxError)."""
        with self._lock:
            self._closed = True
            self._started = False
            self._stop_pool()
            if self._threads is not None:
                self._threads.shutdown(wait=False, cancel_futures=True)
                self._threads = None

    # ---- running programs

    async def run(
        self, program: str, *, timeout_s: float = 10.0, cpu_s: float | None = None, checker: str | None = None
    ) -> ExecResult:
        """Run `program` (Python source) as a fresh `python main.py` would, contained. Never raises for
        anything the program does; raises SandboxError only if the sandbox itself keeps failing.

        `timeout_s` limits its *active* time: wall-clock time minus the time its processes waited for a
        CPU (so a busy machine or a large pool does not turn a correct program into a timeout; a program
        that sleeps is charged in full). A hard wall-clock bound of `wall_factor(workers)` times that
        stays behind it. `cpu_s` (default `timeout_s`) limits each
        process's CPU time.

        `checker`: a second program, run at the same time in a process of its own (same limits), linked
        to this one by a pipe each way on descriptors 3 (read) and 4 (write). The run then ends when the
        checker exits, and the result carries the checker's exit and output (`ExecResult.checker`). The
        checker's source never enters the program's process, nor a file the program can read, nor the
        memory from which later programs are forked; the program cannot read the checker's memory."""
        if not isinstance(program, str) or not isinstance(checker, str | None):
            raise TypeError(f"program must be str, not {type(program).__name__}")
        for name, value in (("timeout_s", timeout_s), ("cpu_s", cpu_s)):
            if value is None and name == "cpu_s":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
                raise ValueError(f"{name} must be a number of seconds in (0, 3600], got {value!r}")
        await self.start()
        assert self._threads is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._threads, self.run_sync, program, float(timeout_s), cpu_s, checker
        )

    def run_sync(
        self, program: str, timeout_s: float, cpu_s: float | None = None, checker: str | None = None
    ) -> ExecResult:
        """`run` for callers without an event loop (blocks)."""
        if not self._started:
            self._start()
        cpu = float(cpu_s) if cpu_s is not None else timeout_s
        wall = timeout_s * wall_factor(self.workers)
        req: dict[str, Any] = {"program": program, "timeout_s": timeout_s, "wall_s": wall, "cpu_s": cpu}
        raw_checker = json.dumps({"program": checker, "cpu_s": cpu}).encode() if checker is not None else None
        if self._unsandboxed:
            raw = self._run_once(req, wall + _ANSWER_GRACE_S, raw_checker)
        else:
            raw = self._run_pooled(req, wall + _ANSWER_GRACE_S, raw_checker)
        if raw.get("setup_error") or (raw.get("checker") or {}).get("setup_error"):
            error = raw.get("setup_error") or raw["checker"]["setup_error"]
            raise SandboxError(f"the sandbox failed to set up a program: {error}")
        return classify(raw, timeout_s)

    def _take(self) -> _Worker | None:
        """An idle worker (None: a slot whose worker died), after waiting for one, or a new one when the
        pool may grow: fewer workers than CPUs are not busy with an old program (so the busy ones are
        sleeping or slow, and the CPUs have room). The pool grows only where the kernel reports
        run-queue delays, so that time spent waiting for a CPU is never charged to a program."""
        cpus = cpu_count()
        while True:
            try:
                return self._idle.get(timeout=_GROW_CHECK_S)
            except queue.Empty:
                pass
            if self._closed:
                raise SandboxError("the sandbox was closed while a program waited to run")
            with self._lock:
                now = time.monotonic()
                # started workers not known to run an old program (young, idle, between two) are fewer than CPUs
                old = sum(1 for since in self._busy_since.values() if now - since >= GROW_AFTER_S)
                grow = (self._schedstat is not False and self._slots < self.workers and self._idle.empty()
                        and self._slots - self._spawning - old < cpus and self._spawning < SPAWN_PER_CPU * cpus)
                if grow:
                    self._spawning += 1
                    self._slots += 1
            if grow:
                try:
                    return self._new_worker("serve")
                except _WorkerLost as exc:
                    with self._lock:
                        self._slots -= 1
                    raise SandboxError(f"could not start another sandbox worker: {exc}") from None
                finally:
                    with self._lock:
                        self._spawning -= 1

    def _run_pooled(self, req: dict[str, Any], wait_s: float, checker: bytes | None) -> dict[str, Any]:
        worker = self._take()
        key = id(req)
        try:
            lost = ""
            for _attempt in range(2):  # a worker that dies is replaced, and the program retried once
                if self._closed:
                    raise SandboxError("the sandbox was closed while a program waited to run")
                if worker is None or not worker.alive or worker.generation != self._generation:
                    if worker is not None:
                        self._discard(worker)
                    worker = None
                    try:
                        worker = self._new_worker("serve")
                    except _WorkerLost as exc:
                        raise SandboxError(f"could not restart a sandbox worker: {exc}") from None
                with self._lock:
                    self._busy_since[key] = time.monotonic()
                try:
                    return worker.request(req, wait_s, checker)
                except _WorkerLost as exc:
                    self._discard(worker)
                    worker, lost = None, str(exc)
                    if not self._isolate:
                        # plain mode: the program shares its worker's pid namespace and can kill it;
                        # that is the program's crash, not the sandbox's failure (nor a reason to retry)
                        return {"exit_code": None, "signal": None, "stderr": f"sandbox worker lost: {exc}"}
            raise SandboxError(f"sandbox worker lost twice running one program: {lost}")
        finally:
            if self._closed and worker is not None:
                self._discard(worker)
                worker = None
            self._idle.put(worker)  # (before it stops counting as busy: a waiter never sees a pool short of both)
            with self._lock:
                self._busy_since.pop(key, None)

    def add_modules(self, modules: Mapping[str, str]) -> None:
        """Make `modules` importable too: workers started before (without them) are replaced as they come
        up for their next program."""
        with self._lock:
            if all(self.modules.get(k) == v for k, v in modules.items()):
                return
            self.modules = {**self.modules, **modules}
            self._generation += 1

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._pool.discard(worker)

    def _run_once(self, req: dict[str, Any], wait_s: float, checker: bytes | None = None) -> dict[str, Any]:
        """One fresh worker for one program (unsandboxed mode)."""
        workdir = tempfile.mkdtemp(prefix="asymmetry-sandbox-")
        if _drops_privileges():
            os.chown(workdir, SANDBOX_UID, SANDBOX_UID)
        worker = None
        try:
            worker = self._new_worker("once", workdir=workdir)
            return worker.request(req, wait_s, checker)
        except _WorkerLost as exc:
            return {"exit_code": None, "signal": None, "stderr": f"sandbox worker lost: {exc}"}
        finally:
            if worker is not None:
                worker.close()
                self._pool.discard(worker)
            _remove_tree(workdir)

    def _new_worker(self, mode: str, *, wait: bool = True, workdir: str | None = None) -> _Worker:
        """`serve`: a pool worker (fork mode: namespaces per program; plain mode: the worker's own,
        emptied between programs); `once`: one program (unsandboxed mode)."""
        leaf = self._new_leaf()
        config = {
            "limits": asdict(self.limits),
            "isolate": mode == "serve" and self._isolate,
            "contained": not self._unsandboxed,
            "workdir": workdir,
            "cgroup_fds": leaf.fds if leaf else [],
            "modules": dict(self.modules),
        }
        argv = [self._python, "-I", "-S", "-c", _worker_source(), mode, json.dumps(config)]
        if not self._unsandboxed:
            assert self._bwrap is not None
            argv = bwrap_args(self._bwrap, self._python, self.limits) + argv
        worker = _Worker(argv, max_frame=16 * self.limits.output_bytes + (1 << 20), leaf=leaf)  # JSON: <= 6 chars a byte
        worker.generation = self._generation
        try:
            worker.spawn()
        except BaseException:
            if leaf is not None:
                leaf.close()
            raise
        self._pool.add(worker)
        if wait:
            self._remember(worker.wait_ready())
        return worker

    def _remember(self, ready: dict[str, Any]) -> None:
        self._python_version = str(ready.get("python", ""))
        self._seccomp = bool(ready.get("seccomp"))
        self._schedstat = bool(ready.get("schedstat"))

    # ---- provenance
    def info(self) -> dict[str, Any]:
        """What ran the programs, for a run's manifest."""
        clock = "active seconds: wall clock minus waiting for a CPU (the kernel's schedstat)"
        if self._schedstat is False:
            clock = "wall-clock seconds (no schedstat here)"
        return {
            "mode": self.mode,
            "bwrap": _bwrap_version(self._bwrap) if self._bwrap else None,
            "python": self._python,
            "python_version": self._python_version,
            "uid": SANDBOX_UID if _drops_privileges() else os.geteuid(),
            "seccomp": self._seccomp,
            "workers": self.workers,
            "workers_started": self._slots,
            "time_limit": f"{clock}; CPU seconds per process (RLIMIT_CPU); a hard wall-clock bound of "
                          f"{wall_factor(self.workers)}x the limit",
            "limits": asdict(self.limits),
            "memory_budget": self._budget,
            "note": self._note,
        }


def _remove_tree(path: str) -> None:
    def make_writable_and_retry(func: Any, target: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(target), 0o700)
            os.chmod(target, 0o700)
            func(target)
        except OSError:
            pass

    shutil.rmtree(path, onerror=make_writable_and_retry)


@functools.cache
def _worker_source() -> str:
    return Path(sandbox_worker.__file__).read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------ the shared pool
_shared: Sandbox | None = None
_shared_options: dict[str, Any] = {}
_shared_lock = threading.Lock()


def configure_shared(*, workers: int = 0, allow_unsandboxed: bool = False) -> None:
    """How the process-wide pool is made when first used: `workers` (0: `default_workers()`) and whether
    model code may run without bubblewrap. The runner calls this before a run (`asymmetry run
    --sandbox-workers N --allow-unsandboxed-code`); a pool already running keeps its settings until
    `close_shared`."""
    Sandbox(workers=workers, allow_unsandboxed=allow_unsandboxed)  # validates, starts nothing
    with _shared_lock:
        _shared_options.clear()
        _shared_options.update(workers=workers, allow_unsandboxed=allow_unsandboxed)


async def shared_sandbox(modules: Mapping[str, str] | None = None) -> Sandbox:
    """The process-wide pool, started on first use (any event loop may use it), with `modules` loaded in
    its workers (`Sandbox.modules`; its one user, the code scorer, always passes the same)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Sandbox(**_shared_options, modules=dict(modules or {}))
        elif modules:
            _shared.add_modules(modules)
        sandbox = _shared
    return await sandbox.start()


def shared_info() -> dict[str, Any] | None:
    """What the shared pool ran programs with (`Sandbox.info`), or None when no program ran."""
    with _shared_lock:
        return _shared.info() if _shared is not None else None


async def close_shared() -> dict[str, Any] | None:
    """The sandbox's close hook: stop the shared pool and return what it ran programs with (`Sandbox.info`,
    for the run's manifest), or None when no program ran. The runner calls it at the end of every run;
    safe to call when no pool exists, and it resets `configure_shared`."""
    global _shared
    with _shared_lock:
        sandbox, _shared = _shared, None
        _shared_options.clear()
    if sandbox is None:
        return None
    info = sandbox.info()
    await sandbox.aclose()
    return info


# ---------------------------------------------------------------------------------------- self-check
_SELF_CHECKS = (
    ("a correct program", "print('hello')", 10.0, "ok"),
    ("a failing test", "assert 1 + 1 == 3", 10.0, "failed"),
    ("no network", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)", 10.0, "failed"),
    ("read-only system", "open('/usr/evil', 'w')", 10.0, "failed"),
    ("endless loop", "while True:\n    pass", 1.0, "timeout"),
    ("50 GB allocation", "x = bytearray(50 * 2**30)", 10.0, "memory"),
    ("fork bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", 1.0, "timeout"),
    ("1 GB of output", "import sys\nfor _ in range(1024):\n    sys.stdout.write('x' * (1 << 20))", 10.0, "output_limit"),
)  # fmt: skip


async def self_check() -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Run a few harmless and hostile programs: (sandbox info, [(check, expected, got)])."""
    sandbox = Sandbox()
    try:
        await sandbox.start()
        rows = []
        for name, program, timeout_s, expected in _SELF_CHECKS:
            result = await sandbox.run(program, timeout_s=timeout_s)
            rows.append((name, expected, result.status))
        return sandbox.info(), rows
    finally:
        await sandbox.aclose()


def main() -> int:
    """`python -m harness.sandbox`: show what runs model code here and check that it is contained."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    try:
        info, rows = asyncio.run(self_check())
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)  # one line, as the CLI prints bad input
        return 2
    console.print(
        f"mode [bold]{info['mode']}[/], {info['bwrap'] or 'no bubblewrap'}, python {info['python_version']} "
        f"({info['python']}), uid {info['uid']}, seccomp {'on' if info['seccomp'] else 'off'}, "
        f"{info['workers']} workers" + (f"; {info['note']}" if info["note"] else ""),
        highlight=False,
    )
    table = Table("check", "expected", "got")
    for name, expected, got in rows:
        table.add_row(name, expected, got if got == expected else f"[bold red]{got}[/]")
    console.print(table)
    bad = [name for name, expected, got in rows if got != expected]
    console.print("[green]all contained[/]" if not bad else f"[bold red]unexpected: {', '.join(bad)}[/]")
    return 1 if bad else 0

