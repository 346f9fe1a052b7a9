"""The in-sandbox half of harness.sandbox: a clean interpreter that forks one child per program.

The host starts it inside bubblewrap as `python -I -S -c <this source> serve|once CONFIG_JSON` and talks
to it over fd 0/1 with length-prefixed JSON frames ({"program", "timeout_s"} in, raw facts out).

With `isolate` (the pool's `serve` workers) the worker first forks the init (pid 1) of a new user, mount
and pid namespace, which serves the requests; the worker itself only waits outside. Per program the init
forks one child that enters its own mount namespace (a private, size-capped tmpfs on /tmp) and IPC
namespace, drops every capability, sets no_new_privs, rlimits and a seccomp filter, scrubs its
environment and closes every descriptor but its own pipes. That child is prepared *before* its program
arrives (right after the previous one finished), so a request only hands over the source; until then it
has run nothing but this file. After each program the init kills every other process in its namespace
(kill(-1): atomic even against a fork bomb) and reaps them all; the tmpfs and IPC objects vanish with
the program's namespaces. Programs cannot signal the init (pid 1 ignores signals from inside its own
namespace), cannot ptrace or read it (it is non-dumpable; they have no capabilities and no ptrace), and
cannot see the worker. So nothing a program does reaches the next one.

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
#: The program's file name inside its throwaway directory (tracebacks name it).
PROGRAM_NAME = "main.py"
#: Largest request frame accepted from the host.
MAX_REQUEST = 64 << 20
#: Pure standard-library modules imported once by the worker, so that programs forked from it do not pay
#: for importing them (typing alone is ~10 ms, and nearly every benchmark program imports it). Each child
#: still gets its own copy of their state; `random` reseeds itself in every forked child.
PRELOAD = (
    "typing", "collections", "collections.abc", "math", "cmath", "re", "itertools", "functools", "heapq",
    "bisect", "string", "operator", "copy", "fractions", "decimal", "datetime", "json", "random",
    "statistics", "array", "hashlib", "dataclasses", "enum", "threading", "traceback",
)  # fmt: skip

_FRAME = struct.Struct(">I")
_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWUSER, _CLONE_NEWPID = 0x00020000, 0x08000000, 0x10000000, 0x20000000
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REC, _MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP = 1, 4, 24
_PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 36, 38, 47, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_AFTER_REPORT_DRAIN_S = 0.25  # after the exit status, how long to wait for stray writers to close output
_AFTER_KILL_DRAIN_S = 2.0
_SAMPLE_S = 0.01  # without a cgroup: how often the total memory of a program's processes is measured


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
    _write_all(fd, _FRAME.pack(len(body)) + body)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# ------------------------------------------------------------------------------------------- libc calls
_libc = None
_cap_last = 63


def _c():
    global _libc, _cap_last
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
        try:
            with open("/proc/sys/kernel/cap_last_cap") as f:
                _cap_last = int(f.read())
        except (OSError, ValueError):
            pass
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

    for cap in range(_cap_last + 1):
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


# ------------------------------------------------------------------------------------------------ seccomp
#: Syscalls a program may not make (EPERM), as in Docker's default profile: keyrings (shared by uid across
#: programs), tracing, kernel attack surface (bpf, perf, userfaultfd, io_uring), modules and kexec, and
#: everything that makes namespaces or mounts. `clone` is allowed without namespace flags; `clone3`
#: (whose flags a filter cannot see) fails with ENOSYS, so libc falls back to clone.
_DENIED_SYSCALLS = (
    "add_key", "request_key", "keyctl", "ptrace", "process_vm_readv", "process_vm_writev", "bpf",
    "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "unshare", "setns",
    "mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "name_to_handle_at", "open_by_handle_at", "acct", "swapon", "swapoff", "reboot",
    "syslog", "quotactl",
)  # fmt: skip
#: Per machine: audit arch, syscall numbers (from the kernel's unistd headers), x32 bit or 0.
_SYSCALLS = {
    "x86_64": (0xC000003E, 0x40000000, {
        "clone": 56, "ptrace": 101, "syslog": 103, "pivot_root": 155, "acct": 163, "mount": 165, "umount2": 166,
        "swapon": 167, "swapoff": 168, "reboot": 169, "init_module": 175, "delete_module": 176, "quotactl": 179,
        "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
        "perf_event_open": 298, "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308,
        "process_vm_readv": 310, "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320,
        "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "clone3": 435, "mount_setattr": 442}),
    "aarch64": (0xC00000B7, 0, {
        "umount2": 39, "mount": 40, "pivot_root": 41, "quotactl": 60, "acct": 89, "unshare": 97,
        "kexec_load": 104, "init_module": 105, "delete_module": 106, "syslog": 116, "ptrace": 117, "reboot": 142,
        "add_key": 217, "request_key": 218, "keyctl": 219, "clone": 220, "swapon": 224, "swapoff": 225,
        "perf_event_open": 241, "name_to_handle_at": 264, "open_by_handle_at": 265, "setns": 268,
        "process_vm_readv": 270, "process_vm_writev": 271, "finit_module": 273, "bpf": 280, "userfaultfd": 282,
        "kexec_file_load": 294, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "clone3": 435, "mount_setattr": 442}),
}  # fmt: skip
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_EPERM, _ENOSYS = 1, 38
_seccomp_program: bytes | None = None


def seccomp_program(machine: str) -> bytes | None:
    """The classic-BPF seccomp filter for `machine` (None where we have no syscall table)."""
    if machine not in _SYSCALLS:
        return None
    arch, x32_bit, numbers = _SYSCALLS[machine]
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, deny, nosys = 0x7FFF0000, 0x00050000 | _EPERM, 0x00050000 | _ENOSYS
    # (code, jump-if-true target, jump-if-false target, k); targets are labels resolved below
    prog: list = [(ld, 0, 0, 4), (jeq, "nr", "deny", arch), ("nr",), (ld, 0, 0, 0)]
    if x32_bit:
        prog.append((jge, "deny", 0, x32_bit))
    prog += [(jeq, "deny", 0, numbers[name]) for name in _DENIED_SYSCALLS]
    prog += [(jeq, "nosys", 0, numbers["clone3"]), (jeq, 0, "allow", numbers["clone"])]
    prog += [(ld, 0, 0, 16), (jset, "deny", "allow", _NAMESPACE_FLAGS)]  # clone's flags: args[0], low word
    prog += [("allow",), (ret, 0, 0, allow), ("deny",), (ret, 0, 0, deny), ("nosys",), (ret, 0, 0, nosys)]
    labels, index = {}, 0
    for entry in prog:
        if len(entry) == 1:
            labels[entry[0]] = index
        else:
            index += 1
    out, index = [], 0
    for entry in prog:
        if len(entry) == 1:
            continue
        code, jt, jf, k = entry
        jt = labels[jt] - index - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - index - 1 if isinstance(jf, str) else jf
        out.append(struct.pack("=HBBI", code, jt, jf, k))
        index += 1
    return b"".join(out)


def _load_seccomp(program: bytes) -> None:
    import ctypes

    buffer = ctypes.create_string_buffer(program, len(program))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Fprog(len(program) // 8, ctypes.addressof(buffer))
    _check(_c().prctl(22, 2, ctypes.byref(fprog), 0, 0), "seccomp")  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER


# ---------------------------------------------------------------------------------------- the program
def _set_limits(limits: dict) -> None:
    mib = 1 << 20
    for name, value in (
        ("RLIMIT_CORE", 0),
        ("RLIMIT_AS", limits["memory_mb"] * mib),
        ("RLIMIT_NOFILE", limits["nofile"]),
        ("RLIMIT_NPROC", limits["nproc"]),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))


def _request_limits(limits: dict, timeout_s: float) -> None:
    """The limits set once the program is known (and written: it may be larger than the file limit)."""
    cpu = max(1, int(-(-timeout_s // 1)))  # ceil: a single-threaded program cannot out-run the wall clock
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    size = limits["file_mb"] << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _program_child(config: dict, fds: dict, isolated: bool) -> None:
    """The child that will run one program: set up, wait for the program, run it. Never returns."""
    try:
        # First of all, join the program's cgroups (one memory and process budget for all its processes):
        # the host opened their cgroup.procs and passed the descriptors in; closed below before it runs.
        for fd in config.get("cgroup_fds") or ():
            os.write(fd, b"0")
        os.setsid()
        if isolated:  # its own mount (for a fresh /tmp) and IPC namespaces, inside the worker's user ns
            _check(_c().unshare(_CLONE_NEWNS | _CLONE_NEWIPC), "unshare")
            _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
            uid, gid = os.getuid(), os.getgid()
            options = f"size={config['limits']['tmp_mb']}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}"
            _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, options)
            _prctl(_PR_SET_DUMPABLE, 1)  # its own /proc/self as usual (the init above it stays non-dumpable)
        workdir = config.get("workdir") or "/tmp"
        os.chdir(workdir)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(fds["out_w"], 1)
        os.dup2(fds["err_w"], 2)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if isolated:
            _drop_capabilities()
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        _set_limits(config["limits"])
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})
        # Ready: wait for the program (end of input without one: the worker is shutting down).
        raw = bytearray()
        while True:
            data = os.read(fds["req_r"], 1 << 20)
            if not data:
                break
            raw += data
        if not raw:
            os._exit(0)
        req = json.loads(raw.decode("utf-8"))
        del raw
        token = (req.pop("pass_token", None) or "").encode("ascii", "replace")
        path = os.path.join(workdir, PROGRAM_NAME)
        with open(path, "w", encoding="utf-8", errors="replace") as f:  # for tracebacks; we compile the str
            f.write(req["program"])
        _request_limits(config["limits"], float(req["timeout_s"]))
        if _seccomp_program is not None:
            _load_seccomp(_seccomp_program)
        # The status pipe is the last thing closed: from here on the program reaches only its own pipes.
        os.closerange(3, 1 << 16)
    except BaseException as exc:  # noqa: B036 - report any setup failure, never run the program half set up
        try:
            os.write(fds["st_w"], f"{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(71)
    os._exit(_execute(req.pop("program"), path, workdir, token))


def _execute(source: str, path: str, workdir: str, token: bytes = b"") -> int:
    """Run the program as `python main.py` would, in this forked interpreter; its exit code.

    `token` (the host's pass token) is written to stdout on a line of its own once the program's last
    statement has run (no exception, no exit() before the end), so a test program that was cut short
    cannot pass. It is not in the program's text, its file or its code objects; it is in this
    process's memory, which the program shares: see harness.suites.scorers.code for what that leaves open."""
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
        exec(compile(source, path, "exec"), main.__dict__)
        if token:
            sys.stdout.flush()
            _write_all(1, b"\n" + token + b"\n")
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


# ---------------------------------------------------------------------------------- serving programs
class Prepared:
    """The next program's child, forked, set up and waiting for its program; our ends of its pipes."""

    def __init__(self, config: dict, isolated: bool) -> None:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        st_r, st_w = os.pipe()
        req_r, req_w = os.pipe()
        fds = {"out_w": out_w, "err_w": err_w, "st_w": st_w, "req_r": req_r}
        self.pid = os.fork()
        if self.pid == 0:
            try:
                for fd in (out_r, err_r, st_r, req_w):
                    os.close(fd)
                _program_child(config, fds, isolated)
            finally:
                os._exit(70)
        for fd in fds.values():
            os.close(fd)
        self.out_r, self.err_r, self.st_r, self.req_w = out_r, err_r, st_r, req_w
        try:  # readable once the child exits (Linux 5.3+, Python 3.9+); else we poll
            self.pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.setup_error = bytearray()
        self.wait_status = None
        self.cpu_s = None

    def reap(self, block: bool = False) -> bool:
        """Collect the child's exit status if it has exited; True once it has."""
        if self.wait_status is None:
            pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
            if pid == self.pid:
                self.wait_status = status
                self.cpu_s = usage.ru_utime + usage.ru_stime
        return self.wait_status is not None

    def close(self) -> None:
        for fd in (self.out_r, self.err_r, self.st_r, self.pidfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


def memory_in_use(exclude: set) -> int:
    """Bytes of private memory of every process we can see but `exclude` (our pid namespace: exactly the
    program's processes), beyond what each inherited from us at fork.

    The fallback budget where no cgroup could be made. It over-counts the pages a program's own forks
    share with it (each counts them), so it errs towards stopping a program, never towards the host."""
    page = os.sysconf("SC_PAGE_SIZE")

    def private(pid: str) -> int:
        with open(f"/proc/{pid}/statm", "rb") as f:
            fields = f.read().split()
        return max(0, int(fields[1]) - int(fields[2]))  # resident - shared: anonymous memory in use

    base = private("self")
    total = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in exclude:
            try:
                total += max(0, private(entry) - base)
            except (OSError, IndexError, ValueError):
                continue  # exited meanwhile
    return total * page


def run_prepared(prep: Prepared, req: dict, cap: int, contained: bool, budget: int = 0) -> dict:
    """Hand `req` to the waiting child, then supervise it: wall clock, output cap, exit status, and
    (`budget` bytes, contained only) the total memory of all its processes."""
    start = time.monotonic()
    deadline = start + float(req["timeout_s"])
    sample = budget > 0 and contained
    exclude = {1, os.getpid()}  # the namespace's init and us; every other process is the program's
    next_sample = start
    try:
        _write_all(
            prep.req_w, json.dumps({k: req[k] for k in ("program", "timeout_s", "pass_token") if k in req}).encode()
        )
    except OSError:
        pass  # the child died during set-up; its status pipe says why
    os.close(prep.req_w)
    buffers = {prep.out_r: bytearray(), prep.err_r: bytearray()}
    truncated = {prep.out_r: False, prep.err_r: False}
    killed_for = None
    finished_at = None
    drain_until = None
    sel = selectors.DefaultSelector()
    for fd in (prep.out_r, prep.err_r, prep.st_r):
        sel.register(fd, selectors.EVENT_READ)
    if prep.pidfd is not None:
        sel.register(prep.pidfd, selectors.EVENT_READ)
    open_fds = {prep.out_r, prep.err_r, prep.st_r}

    def kill(reason: str) -> None:
        nonlocal killed_for, finished_at, drain_until
        if killed_for is None and prep.wait_status is None:
            killed_for, finished_at = reason, time.monotonic()
        _kill_program(prep.pid, contained)
        drain_until = time.monotonic() + _AFTER_KILL_DRAIN_S

    while open_fds or prep.wait_status is None:
        now = time.monotonic()
        if killed_for is None and finished_at is None and now >= deadline:
            kill("timeout")
        if drain_until is not None and now >= drain_until:
            break
        if sample and killed_for is None and finished_at is None and now >= next_sample:
            if memory_in_use(exclude) > budget:
                kill("memory")
            next_sample = now + _SAMPLE_S
        wait = (drain_until if drain_until is not None else deadline) - now
        if prep.pidfd is None and prep.wait_status is None:
            wait = min(wait, 0.005)
        if sample and killed_for is None and finished_at is None:
            wait = min(wait, max(0.0, next_sample - now))
        for key, _ in sel.select(max(0.0, wait)):
            fd = key.fd
            if fd == prep.pidfd:
                sel.unregister(fd)
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                sel.unregister(fd)
                open_fds.discard(fd)
            elif fd == prep.st_r:
                prep.setup_error += data[:4096]
            else:
                room = cap - len(buffers[fd])
                buffers[fd] += data[: max(room, 0)]
                if len(data) > room:
                    truncated[fd] = True
                    kill("output")
        if prep.wait_status is None and prep.reap():
            if finished_at is None:
                finished_at = time.monotonic()
            if drain_until is None:  # stray writers (its daemons) may hold the pipes open: not for long
                drain_until = time.monotonic() + _AFTER_REPORT_DRAIN_S
    sel.close()
    if prep.wait_status is None:
        _kill_program(prep.pid, contained)
        prep.reap(block=True)
    prep.close()
    status = prep.wait_status
    end = finished_at if finished_at is not None else time.monotonic()
    return {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu_s": prep.cpu_s,
        "setup_error": prep.setup_error.decode("utf-8", "replace") or None,
        "killed_for": killed_for,
        "stdout": buffers[prep.out_r].decode("utf-8", "replace"),
        "stderr": buffers[prep.err_r].decode("utf-8", "replace"),
        "stdout_truncated": truncated[prep.out_r],
        "stderr_truncated": truncated[prep.err_r],
        "duration_s": end - start,
    }


def _kill_program(pid: int, contained: bool) -> None:
    """The program and (contained) everything else we may signal: all it started, atomically."""
    for target, fn in (
        ((-1, os.kill), (pid, os.killpg), (pid, os.kill)) if contained else ((pid, os.killpg), (pid, os.kill))
    ):
        try:
            fn(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def clean_up(contained: bool) -> None:
    """Kill whatever is left of the last program and reap it all: we are the reaper of every orphan (pid
    1 of the program namespace, or subreaper), so no process of a program outlives its request.

    Inside a pid namespace of our own (`contained`) that is kill(-1): every process we may signal but
    ourselves and init, atomically even against a fork bomb. Outside one, kill(-1) would hit every process
    of this uid on the machine, so there we kill our own children until none is left.
    """
    if contained:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return
            except InterruptedError:
                continue
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        for pid in _children(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.005)


def _children(parent: int) -> list:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(b")") + 2 :].split()[1]) == parent:
                found.append(int(entry))
    return found


def _become_namespace_init(proto_fds: tuple) -> None:
    """Fork the init (pid 1) of a new user, mount and pid namespace; return in it. The caller's process
    stays outside, waits for that init and exits with it (so bubblewrap ends when the init does).

    Programs are forked from this init: they cannot signal it (pid 1 ignores signals from inside its own
    namespace that it has no handler for, SIGKILL included), cannot see the worker outside, and kill(-1)
    from the init reaches every one of their processes and nothing else."""
    child = os.fork()
    if child == 0:
        try:
            uid, gid = os.getuid(), os.getgid()
            _prctl(_PR_SET_DUMPABLE, 1)  # we are non-dumpable (root-owned /proc/self): we must write our maps
            _check(_c().unshare(_CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID), "unshare")
            _write_file("/proc/self/setgroups", "deny")
            _write_file("/proc/self/uid_map", f"{uid} {uid} 1")
            _write_file("/proc/self/gid_map", f"{gid} {gid} 1")
            _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
            if os.fork() == 0:
                _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
                _prctl(_PR_SET_DUMPABLE, 0)  # programs may not ptrace or read the memory of their init
                return
            os._exit(0)
        except BaseException as exc:  # noqa: B036
            send_frame(proto_fds[1], {"ready": False, "setup_error": f"{type(exc).__name__}: {exc}"})
            os._exit(71)
    for fd in proto_fds:  # the init answers the host now; if it dies, the host must see end of input
        os.close(fd)
    init_status = 0
    while True:
        try:
            pid, status = os.waitpid(-1, 0)  # our child, then the init (ours to reap: we are subreaper)
        except ChildProcessError:
            os._exit(init_status)
        if pid != child:
            init_status = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1


def _preload() -> None:
    import importlib

    _c()  # ctypes and libc, for the namespace set-up of every child
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def main(argv: list) -> int:
    """Serve requests until end of input (`serve`) or run exactly one (`once`). argv[2] is the JSON config:
    {"limits": {...}, "isolate": bool, "contained": bool, "workdir": str | null, "cgroup_fds": [int]}.
    `isolate`: programs in namespaces of their own under a namespace init; `contained`: we run in
    bubblewrap's pid namespace; `cgroup_fds`: cgroup.procs files every program joins (else the worker
    samples the program's total memory itself)."""
    mode = argv[1]
    config = json.loads(argv[2])
    isolated = bool(config.get("isolate"))
    contained = bool(config.get("contained"))
    cap = int(config["limits"]["output_bytes"])
    # no cgroup budget: the worker itself keeps the total memory of a program's processes in check
    budget = 0 if config.get("cgroup_fds") else int(config["limits"]["memory_mb"]) << 20
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # a stray print can never corrupt the protocol
    try:
        _prctl(_PR_SET_DUMPABLE, 0)  # programs cannot ptrace or read the memory of this clean parent
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    except (OSError, AttributeError):
        pass
    if mode == "serve":
        _preload()
    global _seccomp_program
    _seccomp_program = seccomp_program(os.uname().machine)
    if isolated:
        _become_namespace_init((proto_in, proto_out))
    prepared = Prepared(config, isolated)
    ready = {"ready": True, "python": sys.version.split()[0], "pid": os.getpid(), "uid": os.getuid()}
    send_frame(proto_out, {**ready, "seccomp": _seccomp_program is not None})
    while True:
        req = recv_frame(proto_in)
        if req is None:
            return 0
        answer = run_prepared(prepared, req, cap, contained, budget)
        send_frame(proto_out, answer)
        clean_up(contained)
        if mode == "once":
            return 0
        prepared = Prepared(config, isolated)  # the next program's child, ready before its request arrives


if __name__ == "__main__":
    sys.exit(main(sys.argv))
