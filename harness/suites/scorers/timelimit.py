"""A per-call time limit for test programs that run inside the sandbox (EvalPlus inputs, contest cases).

`RUNTIME` is Python source included in those programs: `_tl_call(fn, args, limit, what)` calls
`fn(*args)` with its output discarded, and when `limit` seconds pass it writes `TIME_LIMIT_MARKER` to
stderr and exits with `TIME_LIMIT_EXIT`, which the code scorer reports as `sandbox_timeout`. The
sandbox's own wall-clock limit still bounds the whole program.
"""

from __future__ import annotations

TIME_LIMIT_MARKER = "ASYMMETRY-TIME-LIMIT"
TIME_LIMIT_EXIT = 124

_SOURCE = r'''
import os as _tl_os
import signal as _tl_signal
import sys as _tl_sys


class _TlTimeLimit(BaseException):
    pass


class _TlSink:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def _tl_alarm(signum, frame):
    raise _TlTimeLimit()


def _tl_call(fn, args, limit, what, quiet=True):
    """fn(*args) with stdout/stderr discarded; exit with the time-limit marker after `limit` seconds."""
    _tl_signal.signal(_tl_signal.SIGALRM, _tl_alarm)
    saved = _tl_sys.stdout, _tl_sys.stderr
    if quiet:
        _tl_sys.stdout = _tl_sys.stderr = _TlSink()
    _tl_signal.setitimer(_tl_signal.ITIMER_REAL, limit)
    try:
        return fn(*args)
    except _TlTimeLimit:
        _tl_os.write(2, ("\n__MARKER__ %s exceeded %.2f s\n" % (what, limit)).encode())
        _tl_os._exit(__EXIT__)
    finally:
        _tl_signal.setitimer(_tl_signal.ITIMER_REAL, 0)
        _tl_sys.stdout, _tl_sys.stderr = saved
'''

RUNTIME = _SOURCE.replace("__MARKER__", TIME_LIMIT_MARKER).replace("__EXIT__", str(TIME_LIMIT_EXIT))
