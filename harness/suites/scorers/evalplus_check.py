# ruff: noqa: B905 - shipped into the sandbox, which may run Python 3.8 (zip has no strict= before 3.10)
"""EvalPlus tests (HumanEval+, MBPP+) in the checker: differential testing against the canonical solution.

EvalPlus ships inputs, not expected outputs: its evaluator runs the canonical solution to get them. Here
the checker process (checker_side.py) does the same: it restores MBPP+ argument types JSON cannot carry
(tuples, sets, complex numbers), runs the canonical solution on each input in its own namespace for the
expected output, asks the candidate's process for its output on the same input (as plain data, across
the pipe), and compares the way EvalPlus does: exact equality, else `allclose` with the task's `atol` (at
least 1e-6 when the expected output is float), plus EvalPlus's special oracles (HumanEval/32 `find_zero`
checked by evaluating the polynomial; MBPP+ set-equality, not-None and a few alternative-formula tasks).
The canonical solution and its outputs never reach the candidate's process.

Time limits follow EvalPlus: each input gets max(1 s, 4 x the canonical solution's time on it), measured
by the checker in active seconds (wall clock minus waiting for a CPU) for both; past it, the verdict is
`timeout` (the code scorer's `sandbox_timeout`). Printed output of both solutions is discarded.

Shipped into the sandbox as source (standard library only, Python 3.8+); `target` builds an item's target.
"""

import copy as _ae_copy
import json as _ae_json
import math as _ae_math

# --- host only: in the sandbox, checker_side's source precedes this file's in the same program
from harness.suites.scorers.checker_side import _CK_KINDS, _CkClock, _CkStop

# --- end host only

MIN_TIME_LIMIT_S = 1.0
TIME_LIMIT_FACTOR = 4.0

_AE_SET_EQ = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
              "larg_nnum", "intersection_array", "find_dissimilar", "Diff"}
_AE_NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}
_AE_TUPLE_ARGS = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630,
                  726, 740, 744, 809}
_AE_NESTED_TUPLES = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_AE_FIRST_ARG_TUPLES = {75, 413, 444, 753}
_AE_FIRST_TUPLE = {250, 405, 446, 617, 720, 763, 808}
_AE_NESTED_THEN_TUPLE = {259, 401, 445}
_AE_ALL_TUPLES = {580, 615, 791}


def target(dataset, task_id, entry_point, canonical_solution, inputs, atol):
    """An EvalPlus item's `target`: data only (the checker runs it; see the module docstring). The inputs
    are kept as the JSON text they came as (some are integers past 64 bits, which items cannot hash)."""
    return {
        "mode": "evalplus", "dataset": dataset, "task_id": task_id, "entry_point": entry_point,
        "canonical": canonical_solution, "inputs": _ae_json.dumps(list(inputs)), "atol": atol,
    }


def _ae_deep_tuple(value):
    return tuple(_ae_deep_tuple(v) for v in value) if isinstance(value, list) else value


def _ae_mbpp_inputs(task_id, inputs):
    """Argument types as EvalPlus restores them for MBPP+ (JSON turned tuples and sets into lists)."""
    n = int(task_id.split("/")[-1])
    if n in _AE_TUPLE_ARGS:
        return [[tuple(arg) for arg in inp] for inp in inputs]
    if n in _AE_NESTED_TUPLES or n in _AE_NESTED_THEN_TUPLE:
        out = [[[tuple(x) for x in arg] for arg in inp] for inp in inputs]
        return [[tuple(arg) for arg in inp] for inp in out] if n in _AE_NESTED_THEN_TUPLE else out
    if n in _AE_FIRST_ARG_TUPLES:
        return [[[tuple(x) for x in inp[0]]] + [inp[1]] for inp in inputs]
    if n in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if n == 115:
        return [[[set(x) if isinstance(x, list) and len(x) else {} for x in inp[0]]] for inp in inputs]
    if n == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if n in _AE_FIRST_TUPLE:
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if n == 278:
        out = [[[tuple(x) if isinstance(x, list) else x for x in inp[0]]] for inp in inputs]
        return [[tuple(arg) for arg in inp] for inp in out]
    if n == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if n == 722:
        return [[{k: tuple(v) for k, v in inp[0].items()}] + inp[1:] for inp in inputs]
    if n == 252:
        return [[complex(inp[0])] for inp in inputs]
    if n in _AE_ALL_TUPLES:
        return [_ae_deep_tuple(inp) for inp in inputs]
    return inputs


def _ae_poly(xs, x):
    return sum(c * _ae_math.pow(x, i) for i, c in enumerate(xs))


def _ae_surface_area(base_edge, height):
    slant = _ae_math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 4 * (base_edge * slant) / 2)


def _ae_digit_distance(a, b):
    left, right = str(a), str(b)
    width = max(len(left), len(right))
    return sum(abs(int(x) - int(y)) for x, y in zip(left.zfill(width), right.zfill(width)))


def _ae_is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)):
        return all(isinstance(i, float) for i in x)
    return False


def _ae_close(out, exp, atol, rtol=1e-07):
    if isinstance(out, (list, tuple)) and isinstance(exp, (list, tuple)):
        return len(out) == len(exp) and all(_ae_close(o, e, atol, rtol) for o, e in zip(out, exp))
    try:
        return abs(out - exp) <= atol + rtol * abs(exp)
    except TypeError:
        return False


def _ae_equal(dataset, entry_point, inp, out, exp, atol):
    """EvalPlus's verdict on one output (both values are plain data here)."""
    try:
        exact = bool(out == exp)
    except Exception:  # noqa: BLE001
        exact = False
    try:
        if dataset == "mbpp":
            if entry_point == "are_equivalent":
                exact = True
            elif entry_point == "sum_div":
                exact = exact or out == 0
            elif entry_point == "surface_Area":
                exact = exact or abs(out - _ae_surface_area(*inp)) <= atol
            elif entry_point == "digit_distance_nums":
                exact = exact or out == _ae_digit_distance(*inp)
            elif entry_point in _AE_SET_EQ:
                exact = set(out) == set(exp)
            elif entry_point in _AE_NOT_NONE:
                exact = (out == exp) if isinstance(out, bool) else (exp == (out is not None))
        if dataset == "humaneval" and entry_point == "find_zero":
            return abs(_ae_poly(*inp, out)) <= atol
    except Exception:  # noqa: BLE001 - an output of the wrong shape for the oracle is a wrong output
        return False
    if atol == 0 and _ae_is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) is not type(exp):
            return False
        return _ae_close(out, exp, atol)
    return exact


def _ae_run(candidate, config, progress):
    dataset, task_id, entry = config["dataset"], config["task_id"], config["entry_point"]
    atol = config["atol"] or 0
    inputs = _ae_json.loads(config["inputs"])
    if dataset == "mbpp":
        inputs = _ae_mbpp_inputs(task_id, inputs)
    progress[1] = len(inputs)
    reference = {"__name__": "_asymmetry_reference"}
    try:
        exec(compile(config["canonical"], "<reference>", "exec"), reference)
        ref_fn = reference[entry]
    except Exception as exc:  # noqa: BLE001
        raise _CkStop("checker_error", f"the reference solution did not load ({type(exc).__name__})",
                      "checker_error") from None
    not_none = dataset == "mbpp" and entry in _AE_NOT_NONE
    clock = _CkClock("self")
    for i, inp in enumerate(inputs):
        # Reference, then candidate, one input at a time: a wrong candidate stops the run before the
        # reference runs on the remaining inputs.
        args = _ae_copy.deepcopy(inp)
        clock.start()
        try:
            exp = ref_fn(*args)
        except Exception as exc:  # noqa: BLE001
            raise _CkStop("checker_error", f"the reference solution raised {type(exc).__name__} on test input {i + 1}",
                          "checker_error") from None
        limit = max(MIN_TIME_LIMIT_S, TIME_LIMIT_FACTOR * clock.elapsed())
        if not_none:
            exp = exp is not None
        out = candidate.call(entry, inp, limit=limit, what=f"test input {i + 1}", opaque=not_none)
        if not _ae_equal(dataset, entry, inp, out, exp, atol):
            raise AssertionError(f"wrong output on test input {i + 1} of {len(inputs)}")
        progress[0] = i + 1
        del exp, out


_CK_KINDS["evalplus"] = _ae_run
