"""Plain data across the pipe between a candidate's process and its checker: values in, values out, never objects.

The code scorer keeps a model's program and the trusted test checking in two processes (harness/suites/
scorers/code.py). Everything that crosses between them is one of these, written as JSON with a tag for
what JSON lacks: None, bool, int, float (nan and infinities too), str, bytes, complex, list, tuple, dict
(any plain keys), set and frozenset. Subclasses of them (a namedtuple, a Counter, an IntEnum) cross as
their base value; anything else (an instance of the program's own class, a generator, a function) does
not cross at all: `encode` raises `NotData`, and the checker scores that call as wrong. So an object that
claims to equal everything never reaches a comparison, and no comparison runs in the model's process.

Encoded form: JSON scalars and lists as themselves; every other value as a one-key object
{"tuple": [...]}, {"dict": [[k, v], ...]}, {"set": [...]}, {"frozenset": [...]}, {"complex": [re, im]},
{"bytes": "<base64>"}, {"float": "nan" | "inf" | "-inf"}, {"int": "<hex>"} (ints too long for
Python's int-to-text limit). A JSON object is always a tag, so decoding is unambiguous, and decoding
a malformed document raises `NotData` too.

This file runs in three places: the harness (item data), the checker and the candidate's process
(its source is shipped into the sandbox). It imports only the standard library and runs on Python 3.8+.
"""


import base64 as _pd_base64
import json as _pd_json
import math as _pd_math

#: Ints longer than this many bits cross as hex (Python 3.11+ refuses to print ints over 4,300 digits).
_PD_BIG_INT_BITS = 12000


class NotData(Exception):
    """A value that is not plain data (or a document that does not decode to plain data)."""


def _pd_enc(value, depth):
    if depth > 400:
        raise NotData("nested more than 400 levels deep")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value if value.bit_length() <= _PD_BIG_INT_BITS else {"int": format(value, "x")}
    if kind is float:
        if _pd_math.isfinite(value):
            return value
        return {"float": "nan" if value != value else ("inf" if value > 0 else "-inf")}
    if kind is list:
        return [_pd_enc(v, depth + 1) for v in value]
    if kind is tuple:
        return {"tuple": [_pd_enc(v, depth + 1) for v in value]}
    if kind is dict:
        return {"dict": [[_pd_enc(k, depth + 1), _pd_enc(v, depth + 1)] for k, v in value.items()]}
    if kind is set or kind is frozenset:
        return {kind.__name__: [_pd_enc(v, depth + 1) for v in value]}
    if kind is complex:
        return {"complex": [_pd_enc(value.real, depth + 1), _pd_enc(value.imag, depth + 1)]}
    if kind is bytes or kind is bytearray:
        return {"bytes": _pd_base64.b64encode(bytes(value)).decode("ascii")}
    # Subclasses of the plain types (namedtuple, Counter, OrderedDict, IntEnum...) cross as their base value.
    for base in (bool, int, float, str, list, tuple, dict, frozenset, set, complex, bytes):
        if isinstance(value, base):
            if base is dict:
                return _pd_enc(dict(value.items()), depth)
            if base is str:
                return str.__str__(value)
            return _pd_enc(base(value), depth)
    raise NotData(f"a {_pd_type_name(value)} is not plain data")


def _pd_type_name(value):
    try:
        return type(value).__name__
    except Exception:  # noqa: BLE001 - a hostile type
        return "value"


def encode(value):
    """The JSON-ready form of a plain value; NotData for anything else."""
    try:
        return _pd_enc(value, 0)
    except RecursionError:
        raise NotData("nested too deeply, or contains itself") from None


def dumps(value):
    """`encode` as compact JSON text."""
    return _pd_json.dumps(encode(value), separators=(",", ":"), allow_nan=False)


def _pd_dec(doc, depth):
    if depth > 400:
        raise NotData("nested more than 400 levels deep")
    if doc is None or isinstance(doc, (bool, str, int, float)):
        return doc
    if isinstance(doc, list):
        return [_pd_dec(v, depth + 1) for v in doc]
    if not isinstance(doc, dict) or len(doc) != 1:
        raise NotData("not an encoded value")
    ((tag, body),) = doc.items()
    if tag == "float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "int" and isinstance(body, str):
        return int(body, 16)
    if tag == "bytes" and isinstance(body, str):
        return _pd_base64.b64decode(body.encode("ascii"), validate=True)
    if not isinstance(body, list):
        raise NotData("not an encoded value")
    items = [_pd_dec(v, depth + 1) for v in body]
    if tag == "tuple":
        return tuple(items)
    if tag == "set":
        return set(items)
    if tag == "frozenset":
        return frozenset(items)
    if tag == "complex" and len(items) == 2 and all(type(x) in (int, float) for x in items):
        return complex(items[0], items[1])
    if tag == "dict" and all(isinstance(pair, list) and len(pair) == 2 for pair in items):
        return {k: v for k, v in items}
    raise NotData("not an encoded value")


def decode(doc):
    """The value an `encode`d document stands for; NotData when it is not one."""
    try:
        return _pd_dec(doc, 0)
    except NotData:
        raise
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:  # unhashable keys, bad base64...
        raise NotData(f"not an encoded value ({type(exc).__name__})") from None


def loads(text):
    """`decode` of JSON text."""
    try:
        doc = _pd_json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotData(f"not JSON ({type(exc).__name__})") from None
    return decode(doc)
