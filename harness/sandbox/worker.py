"""The in-sandbox half of harness.sandbox: a clean interpreter that forks one child per program.

The host starts it inside bubblewrap as `python -I -S -c <this source> serve|once CONFIG_JSON` and talks
to it over fd 0/1 with length-prefixed JSON frames ({"program", "timeout_s", "wall_s", "cpu_s"} in, raw
facts out). A request with a checker carries the checker's own request after the frame as raw bytes
("checker_bytes"), and the answer carries the checker's stdout and stderr after its frame likewise: they
are read into and sent from bytearrays that are erased after use, so the tests and expected values they
hold never linger in the memory the next programs are forked from.

With `isolate` (fork mode's `serve` workers) the worker first forks the checker server (one persistent
process that runs each run's checker, handed its descriptors over a unix socket) and then the init (pid
1) of a new user, mount and pid namespace, which serves the requests; the worker itself only waits
outside. Per program the init forks one child that enters its own mount namespace (a private,
size-capped tmpfs on /tmp) and IPC namespace, drops every capability, sets no_new_privs, rlimits and a
seccomp filter, scrubs its environment and closes every descriptor but its own pipes. That child is
prepared *before* its program arrives (right after the previous one finished), so a request only hands
over the source; until then it has run nothing but this file. After each program the init kills every
other process in its namespace (kill(-1): atomic even against a fork bomb) and reaps them all; the tmpfs
and IPC objects vanish with the program's namespaces. Programs cannot signal the init (pid 1 ignores
signals from inside its own namespace), cannot ptrace or read it (it is non-dumpable; they have no
capabilities and no ptrace), and cannot see the worker or the checker server. So nothing a program does
reaches the next one, or its checker.

Without `isolate` (plain mode, and the unsandboxed `once` mode) the checker is a sibling process forked
with the program, and a `serve` worker empties /tmp and System V IPC between programs.

Time limits: a program is stopped when its active time (wall clock minus its run-queue delay, from
/proc/<pid>/schedstat) reaches `timeout_s`, or at the hard wall-clock bound `wall_s`; each process also
has RLIMIT_CPU of `cpu_s`.

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
    "statistics", "array", "hashlib", "dataclasses", "enum", "threading", "traceback", "base64", "fcntl",
    "select", "io", "tempfile",
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
_SAMPLE_MAX_S = 0.1  # ... at most, while it stays under a quarter of its budget (a sleeper costs little)
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def _request_limits(limits: dict, cpu_s: float) -> None:
    """The limits set once the program is known (and written: it may be larger than the file limit)."""
    cpu = max(1, int(-(-cpu_s // 1)))  # whole seconds, rounded up
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    size = limits["file_mb"] << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def _high(fd: int) -> int:
    """A copy of `fd` numbered 100 or above (out of the way of 0-4, which the child sets up itself)."""
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_DUPFD, 100)


def _read_all(fd: int) -> bytearray:
    raw = bytearray()
    while True:
        data = os.read(fd, 1 << 20)
        if not data:
            return raw
        raw += data


def _member_child(config: dict, fds: dict, isolated: bool, role: str) -> None:
    """A process that will run one program (`role` "program": the model's; "checker": the trusted test
    code that talks to it): set up, wait for the program, run it. Never returns.

    The two are linked by pipes on descriptors 3 (read from the other) and 4 (write to the other). The
    checker is non-dumpable (the program cannot read its memory or descriptors through /proc) and its
    source is never written to a file."""
    status = fds["st_w"]
    try:
        # First of all, join the program's cgroups (one memory and process budget for all its processes):
        # the host opened their cgroup.procs and passed the descriptors in; closed below before it runs.
        for fd in config.get("cgroup_fds") or () if role == "program" else ():  # (the checker is trusted:
            os.write(fd, b"0")  # the budget is the program's; the checker keeps its per-process limits)
        os.setsid()
        if isolated and role == "program":  # its own mount (a fresh /tmp) and IPC namespaces, in the worker's
            # user ns; the checker writes no file and needs neither (it stays in the init's, which no program sees)
            _check(_c().unshare(_CLONE_NEWNS | _CLONE_NEWIPC), "unshare")
            _mount(None, "/", None, _MS_REC | _MS_PRIVATE, None)
            uid, gid = os.getuid(), os.getgid()
            options = f"size={config['limits']['tmp_mb']}m,nr_inodes=4096,mode=0700,uid={uid},gid={gid}"
            _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, options)
            _prctl(_PR_SET_DUMPABLE, 1)  # its own /proc/self as usual (the init above it stays non-dumpable)
        workdir = config.get("workdir") or "/tmp"
        os.chdir(workdir)
        keep = {name: _high(fds[name]) for name in ("out_w", "err_w", "st_w", "req_r", "link_r", "link_w")}
        status = keep["st_w"]
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(keep["out_w"], 1)
        os.dup2(keep["err_w"], 2)
        os.dup2(keep["link_r"], 3)
        os.dup2(keep["link_w"], 4)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if isolated:
            _drop_capabilities()
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        _set_limits(config["limits"])
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "LANG": "C.UTF-8"})
        # Ready: wait for the program (end of input without one: no program for us this time).
        raw = _read_all(keep["req_r"])
        if not raw:
            os._exit(0)
        argv = [PROGRAM_NAME]
        if role == "checker":  # "<the program's pid>\n" first: the checker times its program's answers
            peer, _, raw = bytes(raw).partition(b"\n")
            argv = ["<checker>", peer.decode("ascii")]
        req = json.loads(raw.decode("utf-8"))
        del raw
        if role == "program":
            path = os.path.join(workdir, PROGRAM_NAME)
            with open(path, "w", encoding="utf-8", errors="replace") as f:  # for tracebacks; we compile the str
                f.write(req["program"])
        else:
            path = "<checker>"  # no file: a program sharing our /tmp (plain mode) must not read the tests
            _prctl(_PR_SET_DUMPABLE, 0)
        _request_limits(config["limits"], float(req["cpu_s"]))
        if _seccomp_program is not None:
            _load_seccomp(_seccomp_program)
        # The status pipe is the last thing closed: from here on the program reaches only its own pipes.
        os.closerange(5, 1 << 16)
    except BaseException as exc:  # noqa: B036 - report any setup failure, never run the program half set up
        try:
            os.write(status, f"{type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(71)
    os._exit(_execute(req.pop("program"), path, workdir, role == "program", argv))


def _execute(source: str, path: str, workdir: str, as_main: bool = True, argv: list | None = None) -> int:
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
    sys.argv = [path] + (argv or [])[1:]
    if as_main:
        sys.path.insert(0, workdir)
    code = 0
    try:
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


# ---------------------------------------------------------------------------------- serving programs
class Member:
    """One forked, set-up process waiting for its program; our ends of its pipes."""

    def __init__(self, pid: int, out_r: int, err_r: int, st_r: int, req_w: int) -> None:
        self.pid, self.out_r, self.err_r, self.st_r, self.req_w = pid, out_r, err_r, st_r, req_w
        try:  # readable once the child exits (Linux 5.3+, Python 3.9+); else we poll
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.setup_error = bytearray()
        self.wait_status = None
        self.cpu_s = None

    def parent_fds(self) -> list:
        return [fd for fd in (self.out_r, self.err_r, self.st_r, self.req_w, self.pidfd) if fd is not None]

    def reap(self, block: bool = False) -> bool:
        """Collect the child's exit status if it has exited; True once it has."""
        if self.wait_status is None:
            try:
                pid, status, usage = os.wait4(self.pid, 0 if block else os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: its status is unknown (reported as a crash)
                pid, status, usage = self.pid, -1, None
            if pid == self.pid:
                self.wait_status = status
                self.cpu_s = usage.ru_utime + usage.ru_stime if usage is not None else None
        return self.wait_status is not None

    def close(self) -> None:
        for fd in (self.out_r, self.err_r, self.st_r, self.pidfd, self.req_w):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.req_w = None

    def facts(self) -> dict:
        status = self.wait_status
        known = status is not None and status != -1
        return {
            "exit_code": os.WEXITSTATUS(status) if known and os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if known and os.WIFSIGNALED(status) else None,
            "cpu_s": self.cpu_s,
            "setup_error": self.setup_error.decode("utf-8", "replace") or None,
        }


def _fork_member(config: dict, isolated: bool, role: str, link_r: int, link_w: int, close: list) -> Member:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    st_r, st_w = os.pipe()
    req_r, req_w = os.pipe()
    fds = {"out_w": out_w, "err_w": err_w, "st_w": st_w, "req_r": req_r, "link_r": link_r, "link_w": link_w}
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (out_r, err_r, st_r, req_w, *close):
                os.close(fd)
            _member_child(config, fds, isolated, role)
        finally:
            os._exit(70)
    for fd in (out_w, err_w, st_w, req_r):
        os.close(fd)
    return Member(pid, out_r, err_r, st_r, req_w)


class Prepared:
    """The next program's process, forked, set up and waiting, with the two pipes that will link it to
    its checker. With `sibling` (plain mode), the checker is a process forked beside it; otherwise (fork
    mode) the checker is the worker's persistent checker server (`Remote`), outside the program's pid
    namespace, and our ends of the pipes are handed to it with the request. A run without a checker
    closes them (and stops a sibling before the program starts)."""

    def __init__(self, config: dict, isolated: bool, sibling: bool) -> None:
        to_program = os.pipe()  # checker writes, program reads
        to_checker = os.pipe()  # program writes, checker reads
        self.program = _fork_member(
            config, isolated, "program", to_program[0], to_checker[1], [to_program[1], to_checker[0]]
        )
        os.close(to_program[0])
        os.close(to_checker[1])
        self.checker: Member | None = None
        self.links: list = [to_checker[0], to_program[1]]  # the checker's ends, until handed over
        if sibling:
            self.checker = _fork_member(
                config, isolated, "checker", to_checker[0], to_program[1], self.program.parent_fds()
            )
            self.close_links()

    def close_links(self) -> None:
        for fd in self.links:
            os.close(fd)
        self.links = []

    def close(self) -> None:
        self.program.close()
        if self.checker is not None:
            self.checker.close()
        self.close_links()


# ------------------------------------------------------------------------------ the checker server
_HEAD = struct.Struct(">I")


def _peer_pid(pidfd: int) -> int:
    """The pid of the process `pidfd` refers to, as our own pid namespace numbers it (0 if unknown)."""
    try:
        with open(f"/proc/self/fdinfo/{pidfd}") as f:
            for line in f:
                if line.startswith("Pid:"):
                    return max(0, int(line.split()[1]))
    except (OSError, ValueError, IndexError):
        pass
    return 0


def checker_server(config: dict, sock_fd: int) -> None:
    """The persistent checker of a fork-mode worker: runs one checker program per request it receives on
    `sock_fd`, with the request's descriptors (sent along) as its 3, 4, 1 and 2. Never returns.

    It lives in the worker's pid namespace, outside the one its programs run in, so no program can see,
    signal or read it (it is non-dumpable too); being persistent, it costs no fork per program. It runs
    only trusted code (the checker programs the host sends) on plain data, with rlimits, no capabilities,
    no_new_privs and the seccomp filter, and no CPU limit of its own (each run's limits are the init's to
    enforce; one it cannot finish ends the worker)."""
    import socket

    try:
        os.setsid()
        sock_fd = _high(sock_fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, sock_fd)
        os.closerange(sock_fd + 1, 1 << 16)
        os.chdir(config.get("workdir") or "/tmp")
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        _drop_capabilities()
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        _prctl(_PR_SET_DUMPABLE, 0)
        _set_limits(config["limits"])
        os.environ.clear()
        os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"})
        if _seccomp_program is not None:
            _load_seccomp(_seccomp_program)
    except BaseException:  # noqa: B036 - never serve half set up: the init sees the socket close
        os._exit(71)
    sock = socket.socket(fileno=sock_fd)
    fd_size = struct.calcsize("i")
    while True:
        try:
            head, ancillary, _, _ = sock.recvmsg(_HEAD.size, socket.CMSG_SPACE(5 * fd_size))
            if len(head) < _HEAD.size:
                os._exit(0)
            fds = []
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds += list(struct.unpack(f"{len(data) // fd_size}i", data[: len(data) - len(data) % fd_size]))
            body = bytearray()
            (size,) = _HEAD.unpack(head)
            while len(body) < size:
                chunk = sock.recv(min(size - len(body), 1 << 20))
                if not chunk:
                    os._exit(0)
                body += chunk
            high = [_high(fd) for fd in fds]  # out of the way of 1-4 before any of them is replaced
            for fd in fds:
                os.close(fd)
            link_r, link_w, out_w, err_w, pidfd = high
            peer = _peer_pid(pidfd)
            for target, fd in ((3, link_r), (4, link_w), (1, out_w), (2, err_w)):
                os.dup2(fd, target)
            for fd in high:
                os.close(fd)
            req = json.loads(body.decode("utf-8"))
            del body
            before = resource.getrusage(resource.RUSAGE_SELF)
            code = _execute(req.pop("program"), "<checker>", "/tmp", False, ["<checker>", str(peer)])
            after = resource.getrusage(resource.RUSAGE_SELF)
            del req
            devnull = os.open(os.devnull, os.O_RDWR)
            for target in (1, 2):
                os.dup2(devnull, target)
            for fd in (3, 4, devnull):
                os.close(fd)
            cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            done = json.dumps({"exit_code": code, "cpu_s": cpu}).encode()
            sock.sendall(_HEAD.pack(len(done)) + done)
        except BaseException:  # noqa: B036 - a broken request or channel: the init sees the socket close
            os._exit(72)


class Remote:
    """The init's side of the persistent checker: one run at a time over a unix socket."""

    def __init__(self, sock_fd: int) -> None:
        import socket

        self.sock = socket.socket(fileno=sock_fd)
        self.sock.setblocking(True)
        self.buffer = bytearray()
        self.lost = False

    def begin(self, prep: Prepared, data: bytes | bytearray) -> tuple:
        """Hand the run to the checker: its request and descriptors (its pipe ends, its stdout and stderr,
        a pidfd of the program). Returns our ends of its stdout and stderr."""
        import socket

        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pidfd = prep.program.pidfd if prep.program.pidfd is not None else os.open(os.devnull, os.O_RDONLY)
        fds = [*prep.links, out_w, err_w, pidfd]
        try:
            self.sock.sendmsg([_HEAD.pack(len(data))], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                                         struct.pack(f"{len(fds)}i", *fds))])
            self.sock.sendall(memoryview(data))
        except OSError:
            self.lost = True
        finally:
            for fd in (out_w, err_w):
                os.close(fd)
            if prep.program.pidfd is None:
                os.close(pidfd)
            prep.close_links()
        return out_r, err_r

    def read_done(self) -> dict | None:
        """After the socket turned readable: the run's closing frame once complete (None: not yet);
        a closed socket marks the checker lost."""
        data = self.sock.recv(1 << 16)
        if not data:
            self.lost = True
            return {"exit_code": None, "signal": None, "cpu_s": None, "lost": True}
        self.buffer += data
        if len(self.buffer) < _HEAD.size:
            return None
        (size,) = _HEAD.unpack(self.buffer[: _HEAD.size])
        if len(self.buffer) < _HEAD.size + size:
            return None
        done = json.loads(bytes(self.buffer[_HEAD.size : _HEAD.size + size]))
        del self.buffer[: _HEAD.size + size]
        return {"exit_code": done.get("exit_code"), "signal": None, "cpu_s": done.get("cpu_s")}


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


def run_delay(pid: int) -> float | None:
    """Seconds process `pid` has spent runnable but waiting for a CPU (the kernel's schedstat), or None."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def cpu_seconds(pid: int) -> float:
    """CPU seconds of process `pid` and of the children it waited for (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        fields = stat[stat.rindex(b")") + 2 :].split()
        return sum(int(x) for x in fields[11:15]) / _CLOCK_TICKS  # utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return 0.0


class ActiveClock:
    """A program's time limit in *active* seconds: wall-clock time minus the time its processes waited
    for a CPU, or the CPU time all its processes used, whichever is more. A machine busy with other work
    (or a pool larger than the CPU count) slows a program down without bringing it closer to its limit;
    a program that sleeps or blocks is charged in full, and one whose own processes compete for the CPUs
    (a fork bomb) is charged for all the CPU they take. The wait is the largest of the members' own
    run-queue delays (they mostly take turns: a checker waits for its program's answer). Where the kernel
    keeps no schedstat, it is the wall clock.

    `everyone`: count the CPU of every process in our pid namespace but `exclude` (contained: they are
    all the program's); else only the members'."""

    def __init__(self, pids: list, start: float, everyone: bool = False, exclude: set | None = None) -> None:
        self.start = start
        self.pids = pids
        self.everyone = everyone
        self.exclude = exclude or set()
        self.base = {pid: run_delay(pid) for pid in pids}
        self.last = dict(self.base)  # the last reading (a reaped process has none to read)
        self.cpu0 = self.cpu()
        self.cpu_last = 0.0

    def cpu(self) -> float:
        if self.everyone:
            pids = [int(e) for e in os.listdir("/proc") if e.isdigit() and int(e) not in self.exclude]
        else:  # outside a pid namespace of our own: our descendants (we are their subreaper) but `exclude`
            pids = _descendants(os.getpid(), self.exclude)
        return sum(cpu_seconds(pid) for pid in pids)

    def waited(self) -> float:
        waits = [0.0]
        for pid, base in self.base.items():
            if base is None:
                continue
            now = run_delay(pid)
            if now is not None:
                self.last[pid] = now
            waits.append(self.last[pid] - base)
        self.cpu_last = max(self.cpu_last, self.cpu() - self.cpu0)
        return max(waits)

    def active(self, now: float) -> float:
        waited = self.waited()
        return max((now - self.start) - waited, self.cpu_last)


class _Pipes:
    """What a run reads: the program's stdout and stderr (capped at `cap`; past it, truncated and the program
    killed), its and its sibling checker's set-up error pipes, and the checker's stdout and stderr, kept in
    bytearrays that grow up to `cap` and are erased when regrown (the caller sends, then erases, them)."""

    def __init__(self, program: Member, sibling: Member | None, paired: bool, c_out: int | None,
                 c_err: int | None, cap: int) -> None:
        self.program, self.sibling, self.cap = program, sibling, cap
        self.out = {program.out_r: bytearray(), program.err_r: bytearray()}
        self.truncated = {program.out_r: False, program.err_r: False}
        self.kept = {fd: bytearray(size) for fd, size in ((c_out, 1 << 16), (c_err, 4096)) if fd is not None}
        self.filled = dict.fromkeys(self.kept, 0)
        self.watched = [program.out_r, program.err_r, program.st_r, *self.kept]
        if sibling is not None and paired:
            self.watched.append(sibling.st_r)

    def read(self, fd: int) -> tuple:
        """Read what `fd` has: (True when it reached its end, the reason to kill the program or None)."""
        if fd in self.kept:
            buf = self.kept[fd]
            reason = None
            if self.filled[fd] == len(buf):  # verdicts are short: grow rarely, erasing what we drop
                bigger = bytearray(min(2 * len(buf), max(self.cap, len(buf) + 1)))
                bigger[: len(buf)] = buf
                buf[:] = bytes(len(buf))
                self.kept[fd] = buf = bigger
            if self.filled[fd] == len(buf):
                data = os.read(fd, 1 << 16)  # past the checker's cap: a harness bug, never the model's
                if data:
                    reason = "checker_output"
                n = len(data)
            else:
                n = os.readv(fd, [memoryview(buf)[self.filled[fd]:]])
                self.filled[fd] += n
            return not n, reason
        data = os.read(fd, 1 << 16)
        if not data:
            return True, None
        if fd == self.program.st_r:
            self.program.setup_error += data[:4096]
        elif self.sibling is not None and fd == self.sibling.st_r:
            self.sibling.setup_error += data[:4096]
        else:
            room = self.cap - len(self.out[fd])
            self.out[fd] += data[: max(room, 0)]
            if len(data) > room:
                self.truncated[fd] = True
                return False, "output"
        return False, None

    def tails(self, c_out: int | None, c_err: int | None) -> tuple:
        """The checker's stdout and stderr buffers with their lengths."""
        empty = bytearray()
        return (self.kept.get(c_out, empty), self.filled.get(c_out, 0), self.kept.get(c_err, empty),
                self.filled.get(c_err, 0))


def _hand_over(prep: Prepared, body: dict, checker: bytearray | None, remote: Remote | None) -> tuple:
    """Give the waiting program its source, and the checker (sibling or remote) its request; then close our
    ends of their request pipes and erase the checker's request. Returns the checker's (stdout, stderr)
    descriptors, (None, None) without one."""
    program, sibling = prep.program, prep.checker
    paired = checker is not None
    c_out = c_err = None
    try:
        _write_all(program.req_w, json.dumps(body).encode())
    except OSError:
        pass  # the child died during set-up; its status pipe says why
    os.close(program.req_w)
    program.req_w = None
    if paired and sibling is not None:
        try:
            _write_all(sibling.req_w, b"%d\n" % program.pid)
            _write_all(sibling.req_w, memoryview(checker))
        except OSError:
            pass
        c_out, c_err = sibling.out_r, sibling.err_r
    elif paired and remote is not None:
        c_out, c_err = remote.begin(prep, checker)
    if sibling is not None:
        os.close(sibling.req_w)
        sibling.req_w = None
    prep.close_links()  # (a run without a checker: the program's pipe ends see it gone)
    if checker is not None:
        checker[:] = bytes(len(checker))  # the tests and expected values never linger in our memory
    return c_out, c_err


class _Supervisor:
    """The limits of one run and how it ended: the time limit (active seconds, and a hard wall-clock bound),
    the memory budget (sampled), the exit of the program or of its checker, and the drain after it."""

    def __init__(self, prep: Prepared, req: dict, paired: bool, contained: bool, budget: int,
                 remote: Remote | None, start: float) -> None:
        self.program, self.sibling, self.paired, self.contained = prep.program, prep.checker, paired, contained
        self.remote, self.budget, self.start = remote, budget, start
        self.limit = float(req["timeout_s"])
        self.wall = max(self.limit, float(req.get("wall_s") or self.limit))
        self.cpu_s = float(req.get("cpu_s") or self.limit)
        sibling = self.sibling
        if sibling is not None and not paired:  # no checker this time: it goes before the program starts
            _kill_program(sibling.pid, False)
            sibling.reap(block=True)
        others = {1, os.getpid()} | ({sibling.pid} if sibling is not None else set())  # not the program's
        self.clock = ActiveClock([self.program.pid] + ([sibling.pid] if paired and sibling is not None else []),
                                 start, everyone=contained, exclude=others)
        self.next_check = start + self.limit  # active time never runs ahead of the wall clock: no need to look sooner
        self.sample = budget > 0 and contained
        self.interval = _SAMPLE_S
        self.exclude = {1, os.getpid()}  # the namespace's init and us; every other process is the program's
        self.next_sample = start
        self.done = None  # a remote checker's closing frame
        self.killed_for = None
        self.finished_at = None
        self.drain_until = None
        self.stopped = False  # the program was still running when its checker finished (and was then stopped)
        self.handled = False  # the checker's end has been acted on

    def main_done(self) -> bool:
        if not self.paired:
            return self.program.wait_status is not None
        if self.sibling is not None:
            return self.sibling.wait_status is not None
        return self.done is not None

    def kill(self, reason: str) -> None:
        if self.killed_for is None and not self.main_done():
            self.killed_for, self.finished_at = reason, time.monotonic()
        for member in (self.program, self.sibling):
            if member is not None:
                _kill_program(member.pid, self.contained)
        self.drain_until = time.monotonic() + _AFTER_KILL_DRAIN_S

    def check_limits(self, now: float) -> bool:
        """Kill the program past its time limit or memory budget; True while it may still run."""
        running = self.killed_for is None and self.finished_at is None
        if running and now >= self.next_check:
            active = self.clock.active(now)
            if active >= self.limit or now - self.start >= self.wall:
                self.kill("timeout")
                running = False
            else:
                self.next_check = now + max(0.005, min(self.limit - active, self.wall - (now - self.start)))
        if self.sample and running and now >= self.next_sample:
            used = memory_in_use(self.exclude)
            if used > self.budget:
                self.kill("memory")
                running = False
            self.interval = _SAMPLE_S if used * 4 > self.budget else min(self.interval * 2, _SAMPLE_MAX_S)
            self.next_sample = now + self.interval
        return running

    def reap(self, exited: bool) -> None:
        """After a wait: collect exit statuses; when the checker is done, stop the program (it has served)."""
        if exited:
            self.clock.waited()  # a last reading of the run-queue delay, while the exited process still has one
        for member in (self.program, self.sibling):
            if member is not None and member.wait_status is None and member.reap() and not self.paired:
                self.finished_at = self.finished_at if self.finished_at is not None else time.monotonic()
                if self.drain_until is None:  # stray writers (its daemons) may hold the pipes open: not long
                    self.drain_until = time.monotonic() + _AFTER_REPORT_DRAIN_S
        if self.paired and not self.handled and self.main_done():
            self.handled = True
            self.finished_at = self.finished_at if self.finished_at is not None else time.monotonic()
            if self.program.wait_status is None:  # the verdict is in: the program is done
                self.stopped = self.killed_for is None
                _kill_program(self.program.pid, self.contained)
            if self.drain_until is None:
                self.drain_until = time.monotonic() + _AFTER_REPORT_DRAIN_S

    def supervise(self, pipes: _Pipes) -> None:
        """Watch the pipes, the processes' exits and the limits until the run is over and drained."""
        program, sibling, remote = self.program, self.sibling, self.remote
        sel = selectors.DefaultSelector()
        open_fds = set()
        for fd in pipes.watched:
            sel.register(fd, selectors.EVENT_READ)
            open_fds.add(fd)
        pidfds = [m.pidfd for m in (program, sibling) if m is not None and m.pidfd is not None]
        for fd in pidfds:
            sel.register(fd, selectors.EVENT_READ)
        if self.paired and remote is not None and not remote.lost:
            sel.register(remote.sock, selectors.EVENT_READ)
        elif self.paired and remote is not None:
            self.done = {"exit_code": None, "signal": None, "cpu_s": None, "lost": True}
        polling = program.pidfd is None or (sibling is not None and sibling.pidfd is None)
        while True:
            now = time.monotonic()
            if self.main_done() and (not open_fds or (self.drain_until is not None and now >= self.drain_until)):
                break
            if self.drain_until is not None and now >= self.drain_until:
                break
            running = self.check_limits(now)
            wait = (self.drain_until if self.drain_until is not None else self.next_check) - now
            if polling:
                wait = min(wait, 0.005)
            if self.sample and running:
                wait = min(wait, max(0.0, self.next_sample - now))
            exited = polling
            for key, _ in sel.select(max(0.0, wait)):
                fd = key.fd
                if fd in pidfds:
                    sel.unregister(fd)
                    exited = True
                    continue
                if remote is not None and key.fileobj is remote.sock:
                    self.done = remote.read_done()
                    if self.done is not None:
                        sel.unregister(remote.sock)
                    continue
                closed, reason = pipes.read(fd)
                if reason is not None:
                    self.kill(reason)
                if closed:
                    sel.unregister(fd)
                    open_fds.discard(fd)
            self.reap(exited)
        sel.close()


def run_prepared(
    prep: Prepared, req: dict, checker: bytearray | None, cap: int, contained: bool, budget: int = 0,
    remote: Remote | None = None,
) -> tuple:
    """Hand `req` to the waiting program (and `checker`, the checker's request as raw bytes, to its
    checker: the sibling process, or `remote`, the persistent one), then supervise: the time limit (active
    seconds, and a hard wall-clock bound), the output caps, the exit statuses, and (`budget` bytes,
    contained only) the total memory of all the program's processes.

    Without a checker the run ends when the program exits; with one, when the checker is done (the
    program is then stopped: it has served its purpose). Returns (facts, checker stdout and stderr as
    bytearrays with their lengths); the caller sends and then erases them."""
    start = time.monotonic()
    program, sibling = prep.program, prep.checker
    paired = checker is not None
    run = _Supervisor(prep, req, paired, contained, budget, remote, start)
    c_out, c_err = _hand_over(prep, {"program": req["program"], "cpu_s": run.cpu_s}, checker, remote)
    pipes = _Pipes(program, sibling, paired, c_out, c_err, cap)
    run.supervise(pipes)
    for member in (program, sibling):
        if member is not None and member.wait_status is None:
            _kill_program(member.pid, contained)
            member.reap(block=True)
    if remote is not None and paired and run.done is None:  # it never finished: wait a little, else it is lost
        run.done = _await_done(remote, _AFTER_KILL_DRAIN_S)
    prep.close()
    for fd in (c_out, c_err):
        if fd is not None and sibling is None:
            os.close(fd)
    end = run.finished_at if run.finished_at is not None else time.monotonic()
    facts = program.facts()
    facts.update({
        "cpu_limit": run.cpu_s,
        "killed_for": run.killed_for,
        "stdout": pipes.out[program.out_r].decode("utf-8", "replace"),
        "stderr": pipes.out[program.err_r].decode("utf-8", "replace"),
        "stdout_truncated": pipes.truncated[program.out_r],
        "stderr_truncated": pipes.truncated[program.err_r],
        "duration_s": end - start,
        "active_s": min(run.clock.active(end), end - start),
    })
    if paired:
        facts["checker"] = sibling.facts() if sibling is not None else dict(run.done or {}, setup_error=None)
        facts["stopped_after_checker"] = run.stopped
    return facts, pipes.tails(c_out, c_err)


def _await_done(remote: Remote, seconds: float) -> dict:
    """A remote checker's closing frame within `seconds` (it was stopped mid-run), else it is lost."""
    import select as select_module

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if select_module.select([remote.sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
            done = remote.read_done()
            if done is not None:
                return done
    remote.lost = True
    return {"exit_code": None, "signal": None, "cpu_s": None, "lost": True}


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


def wipe(workdir: str) -> None:
    """Plain mode, between programs: empty the shared /tmp and remove System V IPC objects, so nothing a
    program left behind reaches the next one (fork mode gets both fresh per program from namespaces)."""
    for entry in os.listdir(workdir):
        _remove(os.path.join(workdir, entry))
    for kind, command in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
        try:
            with open(f"/proc/sysvipc/{kind}", "rb") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            try:
                ident = int(line.split()[1])
                if command == "semctl":
                    _c().semctl(ident, 0, 0)  # IPC_RMID
                else:
                    getattr(_c(), command)(ident, 0, None)  # IPC_RMID
            except (ValueError, IndexError, AttributeError):
                continue


def _remove(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)  # a program may have made its directories unreadable
            for entry in os.listdir(path):
                _remove(os.path.join(path, entry))
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


def _children_of() -> dict:
    """Parent pid -> the pids of its children, for every process we can see (one pass over /proc)."""
    children: dict = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            children.setdefault(int(stat[stat.rindex(b")") + 2 :].split()[1]), []).append(int(entry))
    return children


def _descendants(root: int, skip: set) -> list:
    """Every descendant of `root`, without the subtrees of the processes in `skip`."""
    children = _children_of()
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in skip:
                found.append(child)
                todo.append(child)
    return found


def _children(parent: int) -> list:
    return _children_of().get(parent, [])


def _become_namespace_init(proto_fds: tuple, server: int = 0) -> None:
    """Fork the init (pid 1) of a new user, mount and pid namespace; return in it. The caller's process
    stays outside, waits for that init and exits with it (so bubblewrap ends when the init does); it also
    watches `server` (the checker server, which stays in its namespace): when either ends, so does the
    worker.

    Programs are forked from this init: they cannot signal it (pid 1 ignores signals from inside its own
    namespace that it has no handler for, SIGKILL included), cannot see the worker outside (nor the
    checker server), and kill(-1) from the init reaches every one of their processes and nothing else."""
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
        if pid == server:  # the checker server is gone: this worker cannot check any more programs
            os._exit(3)
        if pid != child:
            init_status = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
            if server:
                os._exit(init_status)  # (the checker server dies with us: PR_SET_PDEATHSIG)


def _preload() -> None:
    import importlib

    _c()  # ctypes and libc, for the namespace set-up of every child
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def _load_modules(modules: dict) -> None:
    """Support modules the host ships (name -> source), loaded once here so that every program forked from
    this worker can import them without compiling them (the code scorer's checker and candidate halves)."""
    import types

    for name, source in modules.items():
        module = types.ModuleType(name)
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)
        sys.modules[name] = module


def recv_raw(fd: int, size: int) -> bytearray:
    """`size` bytes read straight into a bytearray (no intermediate copies that could linger: the
    caller erases the bytearray once it is used)."""
    if size > MAX_REQUEST:
        raise ValueError(f"checker of {size} bytes exceeds the limit of {MAX_REQUEST}")
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        n = os.readv(fd, [view[got:]])
        if not n:
            raise EOFError("end of input inside a request")
        got += n
    return buf


def send_answer(fd: int, facts: dict, tails: tuple) -> None:
    """The facts as a JSON frame, then the checker's stdout and stderr as raw bytes (their lengths are in
    the frame), which are erased from our memory once written."""
    out, n_out, err, n_err = tails
    facts["checker_stdout_bytes"], facts["checker_stderr_bytes"] = n_out, n_err
    send_frame(fd, facts)
    try:
        _write_all(fd, memoryview(out)[:n_out])
        _write_all(fd, memoryview(err)[:n_err])
    finally:
        out[:] = bytes(len(out))
        err[:] = bytes(len(err))


def main(argv: list) -> int:
    """Serve requests until end of input (`serve`) or run exactly one (`once`). argv[2] is the JSON config:
    {"limits": {...}, "isolate": bool, "contained": bool, "workdir": str | null, "cgroup_fds": [int]}.
    `isolate`: programs in namespaces of their own under a namespace init; `contained`: we run in
    bubblewrap's pid namespace; `cgroup_fds`: cgroup.procs files every program joins (else the worker
    samples the program's total memory itself). A `serve` worker without `isolate` (plain mode) empties
    /tmp and System V IPC between programs instead."""
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
    _load_modules(config.get("modules") or {})
    import gc

    gc.freeze()  # what is loaded so far stays out of the collector: forked children do not copy its pages
    global _seccomp_program
    _seccomp_program = seccomp_program(os.uname().machine)
    remote = None
    if isolated:  # fork mode: a persistent checker server, outside the namespace its programs will run in
        import socket

        ours, theirs = (s.detach() for s in socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
        server = os.fork()
        if server == 0:
            os.close(ours)
            checker_server(config, theirs)
        os.close(theirs)
        _become_namespace_init((proto_in, proto_out), server)
        remote = Remote(ours)
    prepared = Prepared(config, isolated, sibling=remote is None)
    ready = {"ready": True, "python": sys.version.split()[0], "pid": os.getpid(), "uid": os.getuid()}
    ready.update(seccomp=_seccomp_program is not None, schedstat=run_delay(os.getpid()) is not None)
    send_frame(proto_out, ready)
    while True:
        req = recv_frame(proto_in)
        if req is None:
            return 0
        size = int(req.pop("checker_bytes", 0) or 0)
        checker = recv_raw(proto_in, size) if size else None
        facts, tails = run_prepared(prepared, req, checker, cap, contained, budget, remote)
        send_answer(proto_out, facts, tails)
        clean_up(contained)
        if mode == "once" or (remote is not None and remote.lost):
            return 0 if mode == "once" else 3  # (a lost checker server: the host starts another worker)
        if not isolated:
            wipe(config.get("workdir") or "/tmp")
        prepared = Prepared(config, isolated, sibling=remote is None)  # ready before its request arrives


if __name__ == "__main__":
    sys.exit(main(sys.argv))
