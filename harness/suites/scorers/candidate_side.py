"""The candidate's side of a code test: the model's program, served to its checker over a pipe.

This runs in the candidate's own sandboxed process (harness/suites/scorers/code.py builds that program
from harness/suites/scorers/plaindata.py, this file and a call to `_cs_serve`). It loads the model's code
into a module of its own, says which names it defines, then answers the checker's requests until the
checker is done: call a function with these arguments, call a method of a fresh `Solution()`, or run
the whole program on this stdin. Answers are plain data (plaindata.encode): a return value, the
program's stdout, or the name and message of what it raised.

Nothing here is trusted. The model's code runs in this process and may rewrite anything in it, this
file included; all it can change is what it answers, and the checker, in a process of its own, decides
what an answer is worth. The tests, the expected values and the reference solution never come here:
the checker sends arguments and stdin only.

Descriptors: 3 reads the checker's requests, 4 writes the answers (4-byte big-endian length + JSON).
Standard library only, Python 3.8+.
"""

import builtins as _cs_builtins
import io as _cs_io
import json as _cs_json
import os as _cs_os
import struct as _cs_struct
import sys as _cs_sys
import types as _cs_types

# --- host only: in the sandbox, plaindata's source precedes this file's in the same program
from harness.suites.scorers.plaindata import NotData, decode, encode

# --- end host only

_CS_HEAD = _cs_struct.Struct(">I")
_CS_MAX_REQUEST = 256 << 20
#: Exit status for a MemoryError (the sandbox reports the run as out of memory, as for any program).
_CS_EXIT_MEMORY = 199


def _cs_read(n):
    chunks = []
    while n:
        data = _cs_os.read(3, min(n, 1 << 20))
        if not data:
            return None
        chunks.append(data)
        n -= len(data)
    return b"".join(chunks)


def _cs_recv():
    head = _cs_read(4)
    if head is None:
        return None
    (size,) = _CS_HEAD.unpack(head)
    if size > _CS_MAX_REQUEST:
        return None
    body = _cs_read(size)
    return None if body is None else _cs_json.loads(body.decode("utf-8"))


def _cs_send(obj):
    body = _cs_json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
    view = memoryview(_CS_HEAD.pack(len(body)) + body)
    while view:
        view = view[_cs_os.write(4, view):]


def _cs_describe(exc):
    """[exception type name, message] (both short), whatever the exception is made of."""
    try:
        name = type(exc).__name__
    except Exception:  # noqa: BLE001 - a hostile exception type
        name = "Exception"
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001
        message = ""
    return [str(name)[:100], message[:300]]


class _CsSink:
    """Where the model's prints go during a call: nowhere (its return value is what counts)."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass

    def writable(self):
        return True


def _cs_call(namespace, req):
    """Answer a call or method request."""
    try:
        args = decode(req.get("args", []))
        kwargs = decode(req.get("kwargs", {"dict": []}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise NotData("bad arguments")
    except NotData:
        return {"bad_request": True}
    name = str(req.get("name", ""))
    saved = _cs_sys.stdout
    _cs_sys.stdout = _CsSink()
    try:
        if req.get("op") == "method":
            cls = namespace.get(str(req.get("cls", "")))
            if not isinstance(cls, type):
                return {"missing": "class " + str(req.get("cls", ""))}
            function = getattr(cls(), name, None)
        else:
            function = namespace.get(name)
        if not callable(function):
            return {"missing": name}
        value = function(*args, **kwargs)
    except MemoryError:
        _cs_os._exit(_CS_EXIT_MEMORY)
    except BaseException as exc:  # noqa: B036 - whatever the model's code raises is its answer
        return {"raised": _cs_describe(exc)}
    finally:
        _cs_sys.stdout = saved
    try:
        return {"value": encode(value)}
    except NotData as exc:
        return {"not_data": str(exc)[:200]}
    except BaseException as exc:  # noqa: B036 - a hostile object that breaks even the encoder
        return {"not_data": "a {} could not be read ({})".format(_cs_describe(exc)[0], "encoding failed")}


def _cs_stdio(code, stdin_text):
    """Run the whole program once with `stdin_text` on descriptor 0; its stdout."""
    import tempfile

    saved_fd = _cs_os.dup(0)
    captured = _cs_io.BytesIO()
    raised = None
    with tempfile.TemporaryFile() as feed:
        feed.write(str(stdin_text).encode("utf-8"))
        feed.seek(0)
        _cs_os.dup2(feed.fileno(), 0)
        stdin = _cs_io.TextIOWrapper(_cs_io.FileIO(0, "rb", closefd=False), encoding="utf-8")
        stdout = _cs_io.TextIOWrapper(captured, encoding="utf-8", write_through=True)
        _cs_sys.stdin, _cs_sys.stdout = stdin, stdout
        namespace = {"__name__": "__main__", "__builtins__": _cs_builtins, "exit": _cs_sys.exit, "quit": _cs_sys.exit}
        try:
            exec(code, namespace)
        except SystemExit:
            pass
        except MemoryError:
            _cs_os._exit(_CS_EXIT_MEMORY)
        except BaseException as exc:  # noqa: B036 - the program's failure is its answer
            raised = _cs_describe(exc)
        finally:
            try:
                stdout.flush()
            except BaseException:  # noqa: B036, S110
                pass
            _cs_sys.stdin, _cs_sys.stdout = _cs_sys.__stdin__, _cs_sys.__stdout__
            _cs_os.dup2(saved_fd, 0)
            _cs_os.close(saved_fd)
    answer = {"stdout": captured.getvalue().decode("utf-8", "replace")}
    if raised is not None:
        answer["raised"] = raised
    return answer


def _cs_names(namespace):
    """The top-level names the checker may bind: functions (and other callables that are not classes)
    and imported modules (so tests that rely on the solution's `import math` still find `math`); classes
    are named too, so that a test that needs one can say it cannot run (instances do not cross)."""
    names = {}
    for key, value in list(namespace.items()):
        if not isinstance(key, str) or key.startswith("__"):
            continue
        if isinstance(value, _cs_types.ModuleType):
            names[key] = "module:" + str(getattr(value, "__name__", ""))
        elif isinstance(value, type):
            names[key] = "class"
        elif callable(value):
            names[key] = "function"
    return names


def _cs_serve(config):
    """Load the model's code (`module`: run it once as a module; `program`: compile it, to run per stdin)
    and answer requests until the checker closes the pipe."""
    source = config["solution"]
    namespace = None
    code = None
    if config["mode"] == "program":
        try:
            code = compile(source, "solution.py", "exec")
        except BaseException as exc:  # noqa: B036
            _cs_send({"ready": False, "raised": _cs_describe(exc)})
            return
        _cs_send({"ready": True, "names": {}})
    else:
        module = _cs_types.ModuleType("__main__")
        module.__builtins__ = _cs_builtins
        _cs_sys.modules["__main__"] = module
        namespace = module.__dict__
        try:
            exec(compile(source, "solution.py", "exec"), namespace)
        except SystemExit:
            raise  # the program ended itself while loading: the checker sees it leave
        except MemoryError:
            _cs_os._exit(_CS_EXIT_MEMORY)
        except BaseException as exc:  # noqa: B036
            _cs_send({"ready": False, "raised": _cs_describe(exc)})
            return
        _cs_send({"ready": True, "names": _cs_names(namespace)})
    while True:
        req = _cs_recv()
        if req is None:
            return
        if req.get("op") == "stdio" and code is not None:
            answer = _cs_stdio(code, req.get("stdin", ""))
        elif req.get("op") in ("call", "method") and namespace is not None:
            answer = _cs_call(namespace, req)
        else:
            answer = {"bad_request": True}
        _cs_send(answer)
