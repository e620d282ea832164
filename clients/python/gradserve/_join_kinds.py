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


def join_text(kinds) -> str:
    """MindSpore 2.10's join message for a value of these kinds by path: the first path's, then the first other."""
    other = next(k for k in kinds if k != kinds[0])
    return f"Type Join Failed: dtype1 = {_MS_NAME[kinds[0]]}, dtype2 = {_MS_NAME[other]}."


def kind_of(v) -> "str | None":
    """'bool' / 'int' / 'float' for a Python (or NumPy scalar) number, else None."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (numbers.Integral, np.integer)):
        return "int"
    if isinstance(v, (numbers.Real, np.floating)):
        return "float"
    return None


def path_kinds(x) -> "tuple | None":
    """x's kind on each path of its join (one kind for a plain number), None for no number."""
    mark = getattr(x, "_join_kinds", None)
    if mark is not None:
        return mark[0]
    k = kind_of(x) if not hasattr(x, "shape") or isinstance(x, np.generic) else getattr(x, "_py_number", None)
    return None if k is None else (k,)


def widest(kinds) -> str:
    return max(kinds, key=_ORDER.index)


def _result_kind(op: str, a: str, b: str) -> str:
    if op in _COMPARE:
        return "bool"
    if op == "div" or "float" in (a, b):
        return "float"
    return "int"  # (bool + bool, bool * int: Python's int)


def carry(op: str, out, a, b):
    """out = op(a, b) marked with each path's kind where a or b carries a join's kinds, the other is a number (or
    one too) and the result's kind still differs by path; out as it is otherwise."""
    mark = getattr(a, "_join_kinds", None) or getattr(b, "_join_kinds", None)
    ka, kb = path_kinds(a), path_kinds(b)
    if mark is None or ka is None or kb is None or not hasattr(out, "shape"):
        return out
    n = max(len(ka), len(kb))
    kinds = tuple(_result_kind(op, ka[i % len(ka)], kb[i % len(kb)]) for i in range(n))
    _mark(out, kinds, mark[1])
    return out


def _mark(out, kinds: tuple, err) -> None:
    if len(set(kinds)) > 1:
        out.__dict__["_join_kinds"] = (kinds, err)
    else:  # one kind on every path: a graph's number of that kind (comes back a Python number: _trace.unflatten)
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
