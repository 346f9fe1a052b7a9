"""Plain data across the candidate/checker pipe (harness/suites/scorers/plaindata.py): what crosses comes
back equal and of the same type; what is not data (objects with their own __eq__, generators, functions,
cycles) does not cross; and a document the candidate forged cannot decode to anything but plain data."""

from __future__ import annotations

import collections
import enum
import json
import math

import pytest

from harness.suites.scorers.plaindata import NotData, decode, dumps, encode, loads


class Colour(enum.IntEnum):
    RED = 1


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**70, [10**5000], 1.5, -0.0, "text ✓", "", b"\x00\xffbytes", 1 + 2j,
    [1, [2, (3, 4)]], (1,), (), {"a": 1}, {1: "int key", (2, 3): "tuple key", None: 0}, {1, 2}, frozenset({"x"}),
    [{"nested": ({1}, frozenset(), [])}], {"dict": 1}, [{"tuple": [1]}],  # user dicts that look like tags
])
def test_plain_values_cross_unchanged_with_their_types(value):
    back = loads(dumps(value))
    assert back == value and type(back) is type(value)
    if isinstance(value, list | tuple):
        assert [type(x) for x in back] == [type(x) for x in value]


def test_special_floats_cross_too():
    back = loads(dumps([math.inf, -math.inf, math.nan]))
    assert back[0] == math.inf and back[1] == -math.inf and math.isnan(back[2])
    assert "NaN" not in dumps([math.nan]) and "Infinity" not in dumps([math.inf])  # strict JSON on the wire


def test_subclasses_of_plain_types_cross_as_their_base_value():
    point = collections.namedtuple("Point", "x y")(1, 2)
    for value, base in ((point, (1, 2)), (collections.Counter("aab"), {"a": 2, "b": 1}),
                        (collections.OrderedDict(a=1), {"a": 1}), (Colour.RED, 1), (collections.defaultdict(int, a=3), {"a": 3})):
        back = loads(dumps(value))
        assert back == base and type(back) is type(base)


class AlwaysEqual:
    def __eq__(self, other):
        return True


def generator():
    yield 1


@pytest.mark.parametrize("value", [AlwaysEqual(), generator(), len, lambda: 1, object(), collections.deque([1]),
                                   [1, AlwaysEqual()], {"k": AlwaysEqual()}, range(3), map(str, [1])],
                         ids=["eq-object", "generator", "builtin", "lambda", "object", "deque", "in-list", "in-dict",
                              "range", "map"])
def test_what_is_not_plain_data_does_not_cross(value):
    with pytest.raises(NotData):
        encode(value)


def test_cycles_and_extreme_nesting_are_not_data():
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(NotData):
        encode(cycle)
    deep: list = []
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(NotData):
        encode(deep)


class HostileClass:
    """An object that lies about its class: it crosses (if at all) as the plain value it claims to be."""

    @property
    def __class__(self):
        return int

    def __int__(self):
        return 5

    def __index__(self):
        return 5


def test_an_object_lying_about_its_class_crosses_only_as_plain_data():
    try:
        back = loads(dumps(HostileClass()))
    except NotData:
        return
    assert type(back) is int  # whatever it claims, what arrives is a plain int, compared as one


@pytest.mark.parametrize("document", [
    '{"object": {"__class__": "os.system"}}', '{"tuple": 1}', '{"dict": [[[1], 2]]}', '{"dict": [[1]]}',
    '{"a": 1, "b": 2}', '{"complex": ["1", 2]}', '{"bytes": "***"}', '{"int": "zz"}', '{"float": "1e999"}',
    "[" * 100_000 + "]" * 100_000, "not json", '{"set": [[1, 2]]}',
])
def test_forged_documents_do_not_decode(document):
    with pytest.raises(NotData):
        loads(document)


def test_decoded_values_are_only_builtin_types():
    doc = json.loads(dumps([{(1, "a"): {frozenset({2}), 3.0}}, b"x", 2j]))
    seen = set()

    def walk(value):
        seen.add(type(value))
        if isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v)

    walk(decode(doc))
    assert seen <= {list, tuple, dict, set, frozenset, int, float, str, bytes, complex}
