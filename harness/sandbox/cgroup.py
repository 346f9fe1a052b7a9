"""One memory + process budget for all the processes of a sandboxed program: a cgroup per sandbox worker.

RLIMIT_AS and RLIMIT_NPROC bound each process, not a program: 64 processes of 1 GB each would be 64 GB.
Where this process may create cgroups (root, cgroup v1 `memory` + `pids` hierarchies, or cgroup v2 with
both controllers delegated to our cgroup or its parent), each worker gets a leaf cgroup of its own with
`memory` (all the program's processes together, swap included) and `pids` limits. The host opens the
leaf's `cgroup.procs` and passes the descriptor into the sandbox; every program child writes "0" to it
(moves itself in) before it runs anything, and the descriptor is closed before the program starts. The
kernel checks a migration against the credentials of whoever *opened* the file (Linux 5.16+), so the
unprivileged child can join the leaf, and nothing else: the worker and its namespace init stay outside,
so the kernel's OOM killer, confined to the leaf, only ever picks the program's own processes. After
each program the host reads the leaf's OOM-kill count: a program that hit the budget is `memory`.

Where no cgroup can be made (an unprivileged user on a host without delegation), `Sandbox` falls back
to the worker sampling the total resident memory of the program's processes (harness.sandbox.worker).
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path

#: Leaf names are `asymmetry-<host pid>-<n>`; leaves of a host process that no longer exists are stale.
PREFIX = "asymmetry-"
#: Room above the program's own budget for its /tmp (tmpfs pages are charged to it) and kernel memory.
SLACK_MB = 64


@dataclass(frozen=True)
class Place:
    """Where leaves are made: cgroup v1 memory and pids directories, or one cgroup v2 directory."""

    version: int
    memory: Path
    pids: Path

    def describe(self) -> str:
        if self.version == 2:
            return f"cgroup v2 under {self.memory}"
        return f"cgroup v1 under {self.memory} and {self.pids}"


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(root within its hierarchy, mount point, fs type, super options) of every cgroup mount."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        head, _, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if len(fields) >= 5 and len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4].replace("\\040", " "), rest[0], set(rest[2].split(","))))
    return found


def _own_paths() -> dict[str, str]:
    """Our cgroup per controller ('' is the v2 hierarchy) from /proc/self/cgroup."""
    own: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            own[name] = path
    return own


def _under(mount_root: str, mount_point: str, path: str) -> Path | None:
    if mount_root == "/":
        return Path(mount_point + path)
    if path == mount_root or path.startswith(mount_root + "/"):
        return Path(mount_point + path[len(mount_root):])
    return None


def _writable_dir(path: Path | None) -> bool:
    return path is not None and path.is_dir() and os.access(path, os.W_OK)


def _has(directory: Path, name: str, wanted: set[str]) -> bool:
    try:
        return wanted <= set((directory / name).read_text().split())
    except OSError:
        return False


def find_place() -> tuple[Place | None, str]:
    """Where this process can make budgeted leaves, or (None, why not)."""
    mounts, own = _mounts(), _own_paths()
    v1 = {}
    for root, point, fstype, options in mounts:
        for controller in ("memory", "pids"):
            if fstype == "cgroup" and controller in options and controller in own and controller not in v1:
                v1[controller] = _under(root, point, own[controller])
    if _writable_dir(v1.get("memory")) and _writable_dir(v1.get("pids")):
        return Place(1, v1["memory"], v1["pids"]), ""
    for root, point, fstype, _ in mounts:
        if fstype != "cgroup2" or "" not in own:
            continue
        mine = _under(root, point, own[""])
        if mine is None or not _has(mine, "cgroup.controllers", {"memory", "pids"}):
            continue
        # Our own cgroup holds processes (us), so it can only hand controllers to children if it already
        # does (the hierarchy's root, or a delegated cgroup); else leaves go beside it, under our parent.
        for candidate in (mine, mine.parent if mine != Path(point) else None):
            if candidate is not None and _writable_dir(candidate) and _has(
                    candidate, "cgroup.subtree_control", {"memory", "pids"}):
                return Place(2, candidate, candidate), ""
        if _writable_dir(mine):
            try:
                (mine / "cgroup.subtree_control").write_text("+memory +pids")
                return Place(2, mine, mine), ""
            except OSError:
                pass
        return None, f"cgroup v2 at {mine} does not delegate the memory and pids controllers to us"
    if os.geteuid() != 0:
        return None, "not root, and no cgroup delegated to this user"
    return None, "no writable cgroup memory and pids controllers"


class Leaf:
    """One worker's budget: a cgroup (v1: one per hierarchy) whose `cgroup.procs` its programs join."""

    _count = 0

    def __init__(self, place: Place, memory_mb: int, nproc: int) -> None:
        Leaf._count += 1
        name = f"{PREFIX}{os.getpid()}-{Leaf._count}"
        self.place = place
        self.dirs = [place.memory / name] if place.version == 2 else [place.memory / name, place.pids / name]
        self.fds: list[int] = []
        self._oom_seen = 0
        budget = memory_mb << 20
        try:
            for directory in self.dirs:
                directory.mkdir()
            memory = self.dirs[0]
            pids = self.dirs[-1]
            # Swap must not stretch the budget: a program whose pages go to swap holds more than its budget
            # and is stopped late or never. Where the kernel can neither count nor forbid it, no leaf.
            if place.version == 2:
                _write(memory / "memory.max", budget)
                swap_bounded = _write(memory / "memory.swap.max", 0, optional=True)
                _write(memory / "memory.oom.group", 1, optional=True)  # the whole program goes, as one
            else:
                _write(memory / "memory.limit_in_bytes", budget)
                swap_bounded = _write(memory / "memory.swappiness", 0, optional=True)  # no swap at its limit
                swap_bounded |= _write(memory / "memory.memsw.limit_in_bytes", budget, optional=True)
            if not swap_bounded and swap_in_use():
                raise OSError(errno.ENOTSUP, "swap is on and this kernel cannot keep it out of a cgroup budget")
            _write(pids / "pids.max", nproc)
            self.fds = [os.open(directory / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for directory in self.dirs]
        except BaseException:
            self.close()
            raise

    def new_oom_kills(self) -> int:
        """OOM kills in this leaf since the last call (the last program, as a worker runs one at a time)."""
        name = "memory.events" if self.place.version == 2 else "memory.oom_control"
        try:
            text = (self.dirs[0] / name).read_text()
        except OSError:
            return 0
        total = 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                total = int(value)
        new, self._oom_seen = total - self._oom_seen, total
        return max(new, 0)

    def close(self) -> None:
        """Close the descriptors and remove the leaf (its processes are gone, or going, by now)."""
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.fds = []
        for directory in reversed(self.dirs):
            _remove(directory)


def _write(path: Path, value: int, *, optional: bool = False) -> bool:
    """Write a control file; an optional one the kernel lacks (or refuses) is skipped: False."""
    try:
        path.write_text(str(value))
        return True
    except OSError as exc:
        if not optional or not isinstance(exc, (FileNotFoundError, PermissionError)) and exc.errno != errno.EINVAL:
            raise
        return False


def swap_in_use() -> bool:
    """Whether any swap device or file is active (/proc/swaps lists more than its header)."""
    try:
        return len(Path("/proc/swaps").read_text().splitlines()) > 1
    except OSError:
        return True  # unknown: assume the worst


def _remove(directory: Path, wait_s: float = 2.0) -> None:
    """rmdir a leaf; its last processes may take a moment to leave after a kill."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() >= deadline:
                return  # left behind; remove_stale() takes it on a later start
            time.sleep(0.02)


def remove_stale(place: Place) -> None:
    """Remove leaves left by host processes that no longer exist (a crash, SIGKILL)."""
    for parent in {place.memory, place.pids}:
        try:
            entries = list(parent.iterdir())
        except OSError:
            continue
        for entry in entries:
            if not entry.name.startswith(PREFIX):
                continue
            pid = entry.name[len(PREFIX):].split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
                _remove(entry, wait_s=0)
