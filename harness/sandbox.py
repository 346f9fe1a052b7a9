"""Run model-written programs safely and fast: bubblewrap, a pool of pre-started interpreters, one fork each.

Every program runs inside bubblewrap (no network, read-only system, nothing of the host's files but the
interpreter, a scrubbed environment) as an unprivileged uid (65534 when the harness runs as root, which
the kernel would otherwise exempt from the process limit). In the default `fork` mode each worker is a
clean interpreter started once inside its own bwrap; per program it forks a child in fresh user, mount,
pid and IPC namespaces with a private size-capped /tmp, rlimits (CPU, address space, file size,
processes, open files), no capabilities, and a wall-clock kill; when the program ends, the kernel
removes every process and file it made. Output is read incrementally and capped.

`plain` mode starts one bwrap + interpreter per program (the fallback where nested namespaces are not
allowed). Without bubblewrap nothing runs unless ASYMMETRY_ALLOW_UNSANDBOXED=1 (`asymmetry run
--allow-unsandboxed-code`): then programs run with rlimits only, after a loud warning.

    sandbox = await shared_sandbox()
    result = await sandbox.run(solution + tests, timeout_s=10)
    result.status  # ok | failed | timeout | memory | crash | output_limit
"""

from __future__ import annotations

import asyncio
import atexit
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import sandbox_worker
from harness.errors import UserError

ALLOW_UNSANDBOXED_ENV = "ASYMMETRY_ALLOW_UNSANDBOXED"
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
    """Per-program resource limits. Processes counts threads too, and includes ~3 of the sandbox's own."""

    memory_mb: int = 1024  # address space (RLIMIT_AS)
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
class ExecResult:
    """What happened to one program. `error_kind` is None for ok/failed (a wrong answer is no error)."""

    status: str
    error_kind: str | None
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float

    @property
    def passed(self) -> bool:
        return self.status == "ok"


def classify(raw: dict[str, Any], timeout_s: float) -> ExecResult:
    """Map the worker's raw facts (exit code or signal, CPU time, why it was killed) to a status."""
    code, sig = raw.get("exit_code"), raw.get("signal")
    cpu_s = raw.get("cpu_s") or 0.0
    cpu_limit = max(1, math.ceil(timeout_s))
    if raw.get("killed_for") == "output" or sig == signal.SIGXFSZ:
        status = "output_limit"
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
    return ExecResult(
        status=status,
        error_kind=ERROR_KINDS[status],
        returncode=returncode,
        stdout=raw.get("stdout", ""),
        stderr=raw.get("stderr", ""),
        duration_s=round(float(raw.get("duration_s", 0.0)), 6),
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
    prefix = os.path.dirname(os.path.dirname(python))
    if not (prefix == "/usr" or prefix.startswith("/usr/")):
        args += ["--ro-bind", prefix, prefix]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_mb << 20), "--tmpfs", "/tmp"]
    args += ["--remount-ro", "/dev", "--remount-ro", "/"]
    args += ["--clearenv", "--setenv", "PATH", _SYSTEM_PATH, "--setenv", "HOME", "/tmp"]
    args += ["--setenv", "LANG", "C.UTF-8", "--chdir", "/tmp", "--"]
    return args


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
            f"({ALLOW_UNSANDBOXED_ENV}=1): model-written code runs with resource limits only. "
            "It CAN read your files and reach the network. Install bubblewrap for a real sandbox.",
            file=sys.stderr,
            flush=True,
        )


# ------------------------------------------------------------------------------------- worker process
_live_workers: weakref.WeakSet[_Worker] = weakref.WeakSet()


class _WorkerLost(Exception):
    pass


class _Worker:
    """One sandboxed interpreter process speaking the framed JSON protocol of harness.sandbox_worker."""

    def __init__(self, argv: list[str], max_frame: int) -> None:
        self.argv = argv
        self.max_frame = max_frame
        self.proc: asyncio.subprocess.Process | None = None
        self.ready: dict[str, Any] = {}

    async def start(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if _drops_privileges():
            kwargs.update(user=SANDBOX_UID, group=SANDBOX_UID, extra_groups=[])
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": _SYSTEM_PATH, "LANG": "C.UTF-8"},  # no secret ever reaches the sandbox process
            start_new_session=True,
            cwd="/",
            **kwargs,
        )
        _live_workers.add(self)
        try:
            self.ready = await asyncio.wait_for(self._recv(), _START_TIMEOUT_S)
        except (TimeoutError, _WorkerLost) as exc:
            detail = await self._stderr_tail() or str(exc) or "no answer"
            self.kill()
            raise _WorkerLost(detail) from None
        return self.ready

    async def request(self, req: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps(req).encode()
        try:
            self.proc.stdin.write(_FRAME.pack(len(body)) + body)
            await self.proc.stdin.drain()
            return await asyncio.wait_for(self._recv(), timeout_s)
        except (OSError, _WorkerLost) as exc:
            detail = await self._stderr_tail() or str(exc) or "the worker exited"
            self.kill()
            raise _WorkerLost(detail) from None
        except TimeoutError:
            self.kill()
            raise _WorkerLost(f"no answer within {timeout_s:.0f}s") from None

    async def _recv(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            (size,) = _FRAME.unpack(await self.proc.stdout.readexactly(_FRAME.size))
            if size > self.max_frame:
                raise _WorkerLost(f"answer of {size} bytes exceeds {self.max_frame}")
            return json.loads(await self.proc.stdout.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            raise _WorkerLost(f"the worker exited ({type(exc).__name__})") from None

    async def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.stderr is None:
            return ""
        try:
            data = await asyncio.wait_for(self.proc.stderr.read(4096), 2.0)
        except (TimeoutError, OSError):
            return ""
        lines = [line for line in data.decode(errors="replace").splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def kill(self) -> None:
        """SIGKILL the worker's process group; bwrap's --die-with-parent takes the sandbox down with it."""
        if self.proc is not None and self.proc.returncode is None:
            for fn, target in ((os.killpg, self.proc.pid), (os.kill, self.proc.pid)):
                try:
                    fn(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        _live_workers.discard(self)

    async def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None and self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
                await asyncio.wait_for(self.proc.wait(), 2.0)
            except (TimeoutError, OSError):
                pass
        self.kill()
        try:
            await asyncio.wait_for(self.proc.wait(), 5.0)
        except TimeoutError:
            pass


@atexit.register
def _kill_all_workers() -> None:
    for worker in list(_live_workers):
        worker.kill()


# ------------------------------------------------------------------------------------------- the pool
@dataclass
class Sandbox:
    """A pool of sandboxed workers. `run` is safe to call concurrently; `workers` programs run at once."""

    workers: int = 0  # 0: one per CPU
    limits: Limits = field(default_factory=Limits)
    mode: str = "auto"  # auto | fork | plain (auto: fork where nested namespaces work, else plain)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UserError(f"sandbox mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.workers <= 0:
            self.workers = (
                len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            )
        self._lock: asyncio.Lock | None = None
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue[_Worker | None] | None = None
        self._slots: asyncio.Semaphore | None = None
        self._pool: list[_Worker] = []
        self._bwrap: str | None = None
        self._python = ""
        self._unsandboxed = False
        self._note = ""
        self._python_version = ""

    # ---- lifecycle
    async def start(self) -> Sandbox:
        """Find bubblewrap, start the workers and check a trivial program runs; idempotent."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._started:
                await self._start()
                self._started = True
        return self

    async def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._bwrap = find_bwrap()
        if self._bwrap is None:
            if os.environ.get(ALLOW_UNSANDBOXED_ENV) != "1":
                raise SandboxUnavailable(
                    "bubblewrap (bwrap) is not installed, so model-written code cannot run safely: install it "
                    "(Debian/Ubuntu: apt-get install bubblewrap), or pass --allow-unsandboxed-code to run it "
                    "without a sandbox at your own risk"
                )
            _warn_unsandboxed()
            self._unsandboxed = True
            self.mode = "plain"
        self._python = sandbox_python()
        self._slots = asyncio.Semaphore(self.workers)
        if self.mode in ("auto", "fork"):
            try:
                await self._start_pool()
                self.mode = "fork"
                return
            except _WorkerLost as exc:
                await self._stop_pool()
                if self.mode == "fork":
                    raise SandboxUnavailable(
                        f"bubblewrap could not start a forking sandbox here: {exc}"
                    ) from None
                self._note = f"fork mode unavailable ({exc}); one bwrap per program"
                self.mode = "plain"
        try:
            raw = await self._run_once({**self._request("pass", 10.0), "isolate": False}, 10.0)
        except _WorkerLost as exc:
            raise SandboxUnavailable(
                f"bubblewrap is installed but could not start a sandbox here: {exc} "
                f"(try {SANDBOX_PYTHON_ENV}=/usr/bin/python3, or check that user namespaces are enabled)"
            ) from None
        if raw.get("setup_error") or raw.get("exit_code") != 0:
            raise SandboxUnavailable(
                f"the sandbox cannot run a trivial program here: {raw.get('setup_error') or raw}"
            )

    async def _start_pool(self) -> None:
        self._idle = asyncio.Queue()
        self._pool = list(await asyncio.gather(*(self._new_worker("serve") for _ in range(self.workers))))
        raw = await self._pool[0].request(
            {**self._request("pass", 10.0), "isolate": True}, 10.0 + _ANSWER_GRACE_S
        )
        if raw.get("setup_error") or raw.get("exit_code") != 0:
            raise _WorkerLost(raw.get("setup_error") or f"probe program did not exit cleanly: {raw}")
        for worker in self._pool:
            self._idle.put_nowait(worker)

    async def _stop_pool(self) -> None:
        await asyncio.gather(*(w.close() for w in self._pool), return_exceptions=True)
        self._pool = []

    async def aclose(self) -> None:
        """Stop every worker (the runner calls this through close_shared at the end of a run)."""
        await self._stop_pool()
        self._started = False

    def kill_now(self) -> None:
        """Synchronously SIGKILL every worker (for a pool whose event loop is gone)."""
        for worker in self._pool:
            worker.kill()
        self._pool = []
        self._started = False

    # ---- running programs
    def _request(self, program: str, timeout_s: float) -> dict[str, Any]:
        return {"program": program, "timeout_s": timeout_s, "limits": asdict(self.limits), "workdir": None}

    async def run(self, program: str, *, timeout_s: float = 10.0) -> ExecResult:
        """Run `program` (Python source) as a fresh `python main.py` would, contained; never raises for
        anything the program does. Raises SandboxError only if the sandbox itself keeps failing."""
        if not isinstance(program, str):
            raise TypeError(f"program must be str, not {type(program).__name__}")
        if not (isinstance(timeout_s, int | float) and 0 < timeout_s <= 3600):
            raise ValueError(f"timeout_s must be in (0, 3600], got {timeout_s!r}")
        await self.start()
        req = self._request(program, float(timeout_s))
        if self.mode == "fork":
            raw = await self._run_pooled({**req, "isolate": True}, timeout_s + _ANSWER_GRACE_S)
        else:
            raw = await self._run_once({**req, "isolate": False}, timeout_s + _ANSWER_GRACE_S)
        if raw.get("setup_error"):
            raise SandboxError(f"the sandbox failed to set up a program: {raw['setup_error']}")
        return classify(raw, timeout_s)

    async def _run_pooled(self, req: dict[str, Any], wait_s: float) -> dict[str, Any]:
        assert self._idle is not None
        worker = await self._idle.get()
        try:
            lost = ""
            for _attempt in range(2):  # a worker that dies is replaced, and the program retried once
                if worker is None or not worker.alive:
                    if worker is not None:
                        self._forget(worker)
                    worker = None
                    try:
                        worker = await self._new_worker("serve")
                    except _WorkerLost as exc:
                        raise SandboxError(f"could not restart a sandbox worker: {exc}") from None
                    self._pool.append(worker)
                try:
                    return await worker.request(req, wait_s)
                except _WorkerLost as exc:
                    self._forget(worker)
                    worker, lost = None, str(exc)
            raise SandboxError(f"sandbox worker lost twice running one program: {lost}")
        except BaseException:
            if worker is not None:  # cancelled mid-request: its answer may still come; never reuse it
                self._forget(worker)
                worker = None
            raise
        finally:
            self._idle.put_nowait(worker)

    def _forget(self, worker: _Worker) -> None:
        worker.kill()
        if worker in self._pool:
            self._pool.remove(worker)

    async def _run_once(self, req: dict[str, Any], wait_s: float) -> dict[str, Any]:
        """One fresh worker for one program (plain and unsandboxed modes)."""
        assert self._slots is not None
        async with self._slots:
            workdir = None
            if self._unsandboxed:
                workdir = tempfile.mkdtemp(prefix="asymmetry-sandbox-")
                if _drops_privileges():
                    os.chown(workdir, SANDBOX_UID, SANDBOX_UID)
                req = {**req, "workdir": workdir}
            worker = await self._new_worker("once")
            try:
                raw = await worker.request(req, wait_s)
            except _WorkerLost as exc:
                raw = {"exit_code": None, "signal": None, "stderr": f"sandbox worker lost: {exc}"}
            finally:
                await worker.close()
                if workdir:
                    _remove_tree(workdir)
            return raw

    async def _new_worker(self, mode: str) -> _Worker:
        argv = [self._python, "-I", "-S", "-c", _worker_source(), mode]
        if not self._unsandboxed:
            assert self._bwrap is not None
            argv = bwrap_args(self._bwrap, self._python, self.limits) + argv
        worker = _Worker(argv, max_frame=8 * self.limits.output_bytes + (1 << 20))
        ready = await worker.start()
        self._python_version = str(ready.get("python", ""))
        return worker

    # ---- provenance
    def info(self) -> dict[str, Any]:
        """What ran the programs, for a run's manifest."""
        return {
            "mode": "unsandboxed" if self._unsandboxed else self.mode,
            "bwrap": _bwrap_version(self._bwrap) if self._bwrap else None,
            "python": self._python,
            "python_version": self._python_version,
            "uid": SANDBOX_UID if _drops_privileges() else os.geteuid(),
            "workers": self.workers,
            "limits": asdict(self.limits),
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


_source_cache: list[str] = []


def _worker_source() -> str:
    if not _source_cache:
        _source_cache.append(Path(sandbox_worker.__file__).read_text(encoding="utf-8"))
    return _source_cache[0]


# ------------------------------------------------------------------------------------ the shared pool
_shared: Sandbox | None = None


async def shared_sandbox() -> Sandbox:
    """The process-wide pool, started on first use (a new event loop gets a new pool)."""
    global _shared
    loop = asyncio.get_running_loop()
    if _shared is not None and _shared._loop is not None and _shared._loop is not loop:
        _shared.kill_now()
        _shared = None
    if _shared is None:
        _shared = Sandbox()
    return await _shared.start()


async def close_shared() -> None:
    """Stop the shared pool; the runner calls this at the end of a run. Safe to call when none exists."""
    global _shared
    if _shared is not None:
        sandbox, _shared = _shared, None
        await sandbox.aclose()
