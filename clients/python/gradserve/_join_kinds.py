"""Numbers of other kinds (bool, int, float) joined by an `if` on a traced value in a graph.

MindSpore 2.10 compiles each path's continuation with its own types: `y = True` / `y = 2` then `x * y` or
`y + 1` runs, and only a function whose *return values* differ in type by path is its join TypeError ("Type
Join Failed: dtype1 = Bool, dtype2 = Int64"). gradserve traces one continuation, so the joined value (of the
widest kind) carries each path's kind here; arithmetic with numbers carries them on, a path-independent result
(a Tensor's product, a comparison, bool + int) drops them, and a value still carrying them that a traced
function returns is that refusal (_trace.Trace.outputs_of)."""
from __future__ import annotations

import numbers

import numpy as np

_ORDER = ("bool", "int", "float")
_COMPARE = {"less", "less_equal", "greater", "greater_equal", "equal", "not_equal"}
_MS_NAME = {"bool": "Bool", "int": "Int64", "float": "Float32"}  # (a Python int is Int64 in its message)


def _ms_name(k: str) -> str:
    """A kind's name in MindSpore's message; a Tensor dtype (int32, uint8: a Tensor's product with the join) as
    MindSpore prints it."""
    return _MS_NAME.get(k) or ("UInt" + k[4:] if k.startswith("uint") else k.capitalize())


def join_text(kinds) -> str:
    """MindSpore 2.10's join message for a value of these kinds by path: the first path's, then the first other."""
    other = next(k for k in kinds if k != kinds[0])
    return f"Type Join Failed: dtype1 = {_ms_name(kinds[0])}, dtype2 = {_ms_name(other)}."


def kind_of(v) -> "str | None":
    """'bool' / 'int' / 'float' for a Python (or NumPy scalar) number, else None."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (numbers.Integral, np.integer)):
        return "int"
    if isinstance(v, (numbers.Real, np.floating)):
        return "float"
    return None


def path_kinds(x, tensors: bool = False) -> "tuple | None":
    """x's kind on each path of its join (one kind for a plain number), None for no number (tensors: a Tensor's
    dtype is its kind)."""
    mark = getattr(x, "_join_kinds", None)
    if mark is not None:
        return mark[0]
    if hasattr(x, "shape") and not isinstance(x, np.generic):  # a Tensor: a joined number's kind, or its dtype
        k = getattr(x, "_py_number", None) or (str(x._dtype) if tensors else None)
        return None if k is None else (k,)
    k = kind_of(x)
    return None if k is None else (k,)


def widest(kinds) -> str:
    return max(kinds, key=_ORDER.index)


def _result_kind(op: str, a: str, b: str) -> str:
    """The kind (or a Tensor's dtype) of op(a, b) on one path."""
    if op in _COMPARE:
        return "bool"
    if a not in _ORDER or b not in _ORDER:  # a Tensor's dtype: kept, but an integer one with a float is float32
        t, o = (a, b) if a not in _ORDER else (b, a)
        floating = t.startswith(("float", "bfloat", "complex"))
        return "float32" if not floating and (op == "div" or o == "float" or o.startswith("float")) else t
    if op == "div" or "float" in (a, b):
        return "float"
    return "int"  # (bool + bool, bool * int: Python's int)


def carry(op: str, out, a, b):
    """out = op(a, b) marked with each path's kind where a or b carries a join's kinds, the other is a number (or
    one too) and the result's kind still differs by path; out as it is otherwise."""
    mark = getattr(a, "_join_kinds", None) or getattr(b, "_join_kinds", None)
    ka, kb = path_kinds(a, True), path_kinds(b, True)
    if mark is None or ka is None or kb is None or not hasattr(out, "shape"):
        return out
    n = max(len(ka), len(kb))
    kinds = tuple(_result_kind(op, ka[i % len(ka)], kb[i % len(kb)]) for i in range(n))
    _mark(out, kinds, mark[1])
    return out


def _mark(out, kinds: tuple, err) -> None:
    if len(set(kinds)) > 1:
        out.__dict__["_join_kinds"] = (kinds, err)
    elif kinds[0] in _ORDER:  # one kind of number on every path: a graph's number (comes back a Python number)
        out.__dict__["_py_number"] = kinds[0]


def refuse_neg(a) -> None:
    """-a of a join with a bool path: MindSpore 2.10's graph negates each path's scalar and refuses a bool one."""
    mark = getattr(a, "_join_kinds", None)
    if mark is not None and "bool" in mark[0]:
        raise TypeError("For 'ScalarUsub, [bool] is not a valid input dtype.")


def refuse_returned(leaves) -> None:
    """Raise the join's TypeError (made where the `if` was joined, naming its code) for a returned leaf whose type
    differs by path, naming the types the leaf has by path."""
    for leaf in leaves:
        mark = getattr(leaf, "_join_kinds", None)
        if mark is not None:
            kinds, err = mark
            text = str(err.args[0])
            first = text.split("\n")
            first = [join_text(kinds) if line.startswith("Type Join Failed:") else line for line in first]
            new = type(err)("\n".join(first))
            new.located = True  # (its `if`'s code is in the text already)
            raise new
