"""The in-sandbox half of harness.sandbox: a clean interpreter that forks one child per program.

The host starts it inside bubblewrap as `python -I -S -c <this source> serve|once` and talks to it over
fd 0/1 with length-prefixed JSON frames. Per request it forks a supervisor that (with `isolate`) enters
fresh user, mount, pid and IPC namespaces, mounts a private tmpfs on /tmp, and forks the namespace's
init, which forks the child that runs the program with rlimits, no capabilities, a scrubbed environment
and only its own pipes open. When the init exits the kernel kills everything left in that pid namespace
and the tmpfs vanishes with the mount namespace, so nothing a program does reaches the next program.
The worker itself never runs model code and is not ptrace-able (PR_SET_DUMPABLE 0).

It reports raw facts (exit code or signal, CPU seconds, capped output, why it killed the program);
harness.sandbox.classify turns them into a status. Runs on any Python >= 3.8 and imports only the
standard library: the harness package is not visible inside the sandbox.
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import signal
import struct
import sys
import time

#: Exit code of a program whose uncaught exception was MemoryError (a program may fake it; it only
#: re-labels its own failure).
EXIT_MEMORY = 199
#: The path of the program inside its throwaway directory (tracebacks name it).
PROGRAM_NAME = "main.py"
#: Largest request frame accepted from the host.
MAX_REQUEST = 64 << 20

_FRAME = struct.Struct(">I")
_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x08000000, 0x10000000, 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP = 1, 4, 24
_PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 36, 38, 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_AFTER_REPORT_DRAIN_S = 0.25  # after the exit status, how long to wait for stray writers to close output
_AFTER_KILL_DRAIN_S = 2.0


# ----------------------------------------------------------------------------------------------- framing
def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        data = os.read(fd, min(n, 1 << 20))
        if not data:
            return None
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def recv_frame(fd: int, limit: int = MAX_REQUEST) -> dict | None:
    """One JSON frame, or None at end of input."""
    head = _read_exact(fd, _FRAME.size)
    if head is None:
        return None
    (size,) = _FRAME.unpack(head)
    if size > limit:
        raise ValueError(f"frame of {size} bytes exceeds the limit of {limit}")
    body = _read_exact(fd, size)
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


def send_frame(fd: int, obj: dict) -> None:
    body = json.dumps(obj, ensure_ascii=True).encode("ascii")
    data = _FRAME.pack(len(body)) + body
    while data:
        data = data[os.write(fd, data) :]


# ------------------------------------------------------------------------------------------- libc calls
_libc = None


def _c():
    global _libc
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int) -> None:
    import ctypes

    _check(_c().prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_c().mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _drop_capabilities() -> None:
    """No capabilities at all, not even in our own user namespace, and no way to regain any."""
    import ctypes

    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _c().prctl(_PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0)
    _c().prctl(_PR_CAP_AMBIENT, ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    _check(_c().capset(ctypes.byref(Header(_LINUX_CAPABILITY_VERSION_3, 0)), (Data * 2)()), "capset")


# ---------------------------------------------------------------------------------------- the program
def _set_limits(limits: dict, timeout_s: float) -> None:
    mib = 1 << 20
    cpu = max(1, int(-(-timeout_s // 1)))  # ceil: a single-threaded program cannot out-run the wall clock
    for name, soft, hard in (
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_CPU", cpu, cpu + 1),
        ("RLIMIT_AS", limits["memory_mb"] * mib, limits["memory_mb"] * mib),
        ("RLIMIT_FSIZE", limits["file_mb"] * mib, limits["file_mb"] * mib),
        ("RLIMIT_NOFILE", limits["nofile"], limits["nofile"]),
        ("RLIMIT_NPROC", limits["nproc"], limits["nproc"]),
    ):
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _run_program(req: dict, out_w: int, err_w: int, st_w: int, isolated: bool) -> None:
    """The child that executes model code. Never returns."""
    try:
        workdir = req.get("workdir") or "/tmp"
        os.chdir(workdir)
        path = os.path.join(workdir, PROGRAM_NAME)
        with open(path, "w", encoding="utf-8") as f:
            f.write(req["program"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if isolated:
            _drop_capabilities()
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        _set_limits(req["limits"], req["timeout_s"])
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})
        # Our status pipe is the last thing closed: from here on the program can reach only its own pipes.
        os.closerange(3, 1 << 16)
    except BaseException as exc:  # noqa: B036 - report any setup failure, never run the program half set up
        try:
            os.write(st_w, (json.dumps({"setup_error": f"{type(exc).__name__}: {exc}"}) + "\n").encode())
        finally:
            os._exit(71)
    os._exit(_execute(path, workdir))


def _execute(path: str, workdir: str) -> int:
    """Run the program as `python main.py` would, in this forked interpreter; its exit code."""
    import builtins
    import io
    import types

    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
    )
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True
    )
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv = [path]
    sys.path.insert(0, workdir)
    code = 0
    try:
        with open(path, encoding="utf-8") as f:
            source = f.read()
        exec(compile(source, path, "exec"), main.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc)
    except MemoryError:
        _print_exception()
        code = EXIT_MEMORY
    except BaseException:  # noqa: B036 - a program's uncaught exception is a failed run, as in python itself
        _print_exception()
        code = 1
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()  # wait for non-daemon threads, as interpreter exit does
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # noqa: B036
        _print_exception()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: B036, S110 - a closed or broken stream at exit is the program's business
            pass
    return code


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    try:
        print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: B036, S110
        pass
    return 1


def _print_exception() -> None:
    """The traceback as python would print it: from the program's frames on, not the worker's."""
    try:
        import traceback

        etype, value, tb = sys.exc_info()
        traceback.print_exception(etype, value, tb.tb_next if tb is not None else None)
    except BaseException:  # noqa: B036, S110 - out of memory while printing: the exit code still tells
        pass


# ------------------------------------------------------------------------- supervisor and namespace init
def _report(st_w: int, obj: dict) -> None:
    os.write(st_w, (json.dumps(obj) + "\n").encode())


def _wait_report(st_w: int, pid: int) -> None:
    """Reap children until `pid` exits, then report its raw status and CPU time."""
    while True:
        try:
            got, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            _report(st_w, {"setup_error": "lost the program's process"})
            return
        if got == pid:
            break
    exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    _report(st_w, {"exit_code": exit_code, "signal": sig, "cpu_s": usage.ru_utime + usage.ru_stime})


def _enter_namespaces(limits: dict) -> None:
    """Fresh user, mount, pid (for our children) and IPC namespaces, and a private size-capped /tmp."""
    uid, gid = os.getuid(), os.getgid()
    # Our parent is non-dumpable, which makes /proc/self root-owned; we need to write our id maps. Programs
    # still cannot ptrace us: they are in a child pid namespace and hold no capabilities.
    _prctl(_PR_SET_DUMPABLE, 1)
    _check(_c().unshare(_CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWIPC), "unshare")
    _write_file("/proc/self/setgroups", "deny")
    _write_file("/proc/self/uid_map", f"{uid} {uid} 1")
    _write_file("/proc/self/gid_map", f"{gid} {gid} 1")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
    options = f"size={limits['tmp_mb']}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}"
    _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, options)


def _supervise_child(req: dict, out_w: int, err_w: int, st_w: int) -> None:
    """The forked supervisor: set up isolation, start the program, report its status. Never returns."""
    try:
        os.setsid()
        isolated = bool(req.get("isolate"))
        if isolated:
            _enter_namespaces(req["limits"])
        pid = os.fork()
        if pid == 0:
            if not isolated:
                _run_program(req, out_w, err_w, st_w, isolated=False)
            # pid 1 of the program's own pid namespace: when it exits, the kernel kills the rest.
            try:
                _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
                _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
                program = os.fork()
                if program == 0:
                    _run_program(req, out_w, err_w, st_w, isolated=True)
                os.close(out_w)
                os.close(err_w)
                _wait_report(st_w, program)
            except BaseException as exc:  # noqa: B036
                _report(st_w, {"setup_error": f"{type(exc).__name__}: {exc}"})
            os._exit(0)
        os.close(out_w)
        os.close(err_w)
        _report(st_w, {"kill_pid": pid})
        if isolated:
            os.waitpid(pid, 0)  # returns once the namespace is empty
        else:
            _wait_report(st_w, pid)
    except BaseException as exc:  # noqa: B036
        try:
            _report(st_w, {"setup_error": f"{type(exc).__name__}: {exc}"})
        except BaseException:  # noqa: B036, S110
            pass
    os._exit(0)


def _kill(pid: int | None, group: int | None) -> None:
    for target, fn in ((pid, os.kill), (group, os.killpg)):
        if target:
            try:
                fn(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def run_item(req: dict) -> dict:
    """Run one program under its limits and wall clock; raw facts for the host to classify."""
    cap = int(req["limits"]["output_bytes"])
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    st_r, st_w = os.pipe()
    start = time.monotonic()
    supervisor = os.fork()
    if supervisor == 0:
        try:
            for fd in (out_r, err_r, st_r):
                os.close(fd)
            _supervise_child(req, out_w, err_w, st_w)
        finally:
            os._exit(70)
    for fd in (out_w, err_w, st_w):
        os.close(fd)

    deadline = start + float(req["timeout_s"])
    buffers = {out_r: bytearray(), err_r: bytearray()}
    truncated = {out_r: False, err_r: False}
    status_text = bytearray()
    report: dict = {}
    kill_pid = None
    killed_for = None
    finished_at = None
    drain_until = None
    sel = selectors.DefaultSelector()
    for fd in (out_r, err_r, st_r):
        sel.register(fd, selectors.EVENT_READ)
    open_fds = {out_r, err_r, st_r}

    def kill(reason: str | None) -> None:
        nonlocal killed_for, drain_until, finished_at
        if reason and killed_for is None and "exit_code" not in report and "signal" not in report:
            killed_for = reason
            finished_at = time.monotonic()
        _kill(kill_pid, supervisor)
        drain_until = time.monotonic() + _AFTER_KILL_DRAIN_S

    while open_fds:
        now = time.monotonic()
        if killed_for is None and finished_at is None and now >= deadline:
            kill("timeout")
        if drain_until is not None and now >= drain_until:
            break
        wait = (drain_until if drain_until is not None else deadline) - now
        for key, _ in sel.select(max(0.0, wait)):
            fd = key.fd
            data = os.read(fd, 1 << 16)
            if not data:
                sel.unregister(fd)
                os.close(fd)
                open_fds.discard(fd)
                continue
            if fd == st_r:
                status_text += data
                while b"\n" in status_text:
                    line, _, rest = bytes(status_text).partition(b"\n")
                    status_text = bytearray(rest)
                    message = json.loads(line.decode())
                    kill_pid = message.get("kill_pid", kill_pid)
                    if "exit_code" in message or "setup_error" in message:
                        report.update(message)
                        if finished_at is None:
                            finished_at = time.monotonic()
                        if drain_until is None:
                            drain_until = time.monotonic() + _AFTER_REPORT_DRAIN_S
                continue
            room = cap - len(buffers[fd])
            buffers[fd] += data[: max(room, 0)]
            if len(data) > room:
                truncated[fd] = True
                kill("output")
    sel.close()
    for fd in open_fds:
        os.close(fd)
    # Kill whatever is left of this program (all we may signal but ourselves and init) and reap it all:
    # as subreaper we inherit every orphan, so no process of this program outlives its request.
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
    end = finished_at if finished_at is not None else time.monotonic()
    return {
        "exit_code": report.get("exit_code"),
        "signal": report.get("signal"),
        "cpu_s": report.get("cpu_s"),
        "setup_error": report.get("setup_error"),
        "killed_for": killed_for,
        "stdout": buffers[out_r].decode("utf-8", "replace"),
        "stderr": buffers[err_r].decode("utf-8", "replace"),
        "stdout_truncated": truncated[out_r],
        "stderr_truncated": truncated[err_r],
        "duration_s": end - start,
    }


def main(argv: list) -> int:
    """Serve requests until end of input (`serve`) or run exactly one (`once`)."""
    mode = argv[1] if len(argv) > 1 else "serve"
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # a stray print can never corrupt the protocol
    try:
        _prctl(_PR_SET_DUMPABLE, 0)  # programs cannot ptrace or read the memory of this clean parent
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    except (OSError, AttributeError):
        pass
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    send_frame(
        proto_out, {"ready": True, "python": sys.version.split()[0], "pid": os.getpid(), "uid": os.getuid()}
    )
    while True:
        req = recv_frame(proto_in)
        if req is None:
            return 0
        send_frame(proto_out, run_item(req))
        if mode == "once":
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
