"""Numbers of other kinds (bool, int, float) joined by an `if` on a traced value in a graph.

MindSpore 2.10 compiles each path's continuation with its own types: `y = True` / `y = 2` then `x * y` or
`y + 1` runs, and only a function whose *return values* differ in type by path is its join TypeError ("Type
Join Failed: dtype1 = Bool, dtype2 = Int64"). gradserve traces one continuation, so the joined value (of the
widest kind) carries each path's kind here; arithmetic with numbers carries them on, a path-independent result
(a Tensor's product, a comparison, bool + int) drops them, and a value still carrying them that a traced
function returns is that refusal (_trace.Trace.outputs_of)."""
from __future__ import annotations

import numbers
from typing import Any

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


class PathRefusal(Exception):
    """MindSpore 2.10's refusal of a use of a joined number that a path's kind cannot take: its graph compiles
    every path, so it refuses whatever this call's values are (not decided by value: _branches.explore)."""


class _IndexRefusal(PathRefusal, IndexError):
    pass


class _RangeRefusal(PathRefusal, TypeError):
    pass


class DiffersByPath(RuntimeError):
    """A use whose result differs in shape or structure by path (x[y] with y True / 1): one graph cannot hold
    both, so the explore runs again deciding the `if` by this call's value, as MindSpore runs the path taken."""


def _path_value(mark, kind: str):
    """The value of mark's first path of this kind where the `if` gave a Python number there, else None."""
    values = mark[2] if len(mark) > 2 else ()
    return next((v for k, v in zip(mark[0], values) if k == kind and v is not None), None)


def by_path_index(index):
    """x[y] with y (or a part of a tuple index) a joined number: a float path is MindSpore 2.10's IndexError on
    every path (its graph compiles each); a bool path beside an int one indexes as the path this call takes
    (x[True] adds an axis, x[1] takes an element: MindSpore runs each path's own), read from the `if`'s condition
    (a value read: the trace is specialised on it), refused where that is not known."""
    parts = index if isinstance(index, tuple) else (index,)
    if not any(getattr(i, "_join_kinds", None) is not None or isinstance(i, slice) for i in parts):
        return index
    out = tuple(_in_slice(i) if isinstance(i, slice) else path_number(i) for i in parts)
    return out if isinstance(index, tuple) else out[0]


def _in_slice(s: slice) -> slice:
    """A slice's bounds of bool / int joins as the path's numbers (x[y:] with y True / 1 is x[1:] either way)."""
    def bound(v):
        mark = getattr(v, "_join_kinds", None)
        return v if mark is None or "float" in mark[0] else path_number(v)
    return slice(bound(s.start), bound(s.stop), bound(s.step))


def path_number(i):
    mark = getattr(i, "_join_kinds", None)
    if mark is None:
        return i
    if "float" in mark[0]:
        v = _path_value(mark, "float")
        raise _IndexRefusal(f"Number index of tensor must be int or bool, but got {'a float' if v is None else v}.")
    taken = _taken_kind(mark)
    v = i._value() if taken is not None else None
    if v is None:
        raise DiffersByPath("an index that is a bool on one path of an `if` on a traced value and an int on the "
                            "other (x[True] adds an axis, x[1] takes an element): results of other shapes by path, "
                            "and this call's path is not known here (a loop body, vmap)")
    return bool(v) if taken == "bool" else int(v)


def _taken_kind(mark) -> "str | None":
    """The kind of the path this call takes, from the join's condition's value; None where not known (a join of
    joins, carried through arithmetic, a value this trace does not know)."""
    if len(mark) < 4 or len(mark[0]) != 2:
        return None
    pred, swapped = mark[3]
    truth = pred._value()
    if truth is None:
        return None
    return mark[0][int(not bool(truth.reshape(()))) ^ int(swapped)]


def repeat(seq, y) -> Any:  # (Any: Tensor operators keep their type)
    """seq * y (a list or tuple) with y a graph's number (a joined one: _py_number, or of kinds by path): the path
    this call takes repeats seq by its int, as MindSpore's graph does on that path (gradserve gave the Tensor
    product of the list, no path's); a bool or float path is refused (no repetition of Python's rule there)."""
    mark = getattr(y, "_join_kinds", None)
    kinds = mark[0] if mark is not None else (getattr(y, "_py_number", None),)
    taken = _taken_kind(mark) if mark is not None else kinds[0]
    v = y._value() if taken == "int" else None
    if v is None:
        other = " or ".join(sorted({str(k) for k in kinds if k} - {"int"})) or "number this trace does not know"
        raise DiffersByPath(f"a {type(seq).__name__} times a number joined by an `if` on a traced value, a {other} "
                            "on a path: no repetition by path")
    return seq * int(v)


def other_kind(v, want: str = "int") -> "str | None":
    """The first kind other than `want` among the paths of a number joined by an `if` (None: not a join, or `want`
    on every path): what MindSpore 2.10's graph refuses where an op takes a `want`."""
    mark = getattr(v, "_join_kinds", None)
    return None if mark is None else next((k for k in mark[0] if k != want), None)


# > 0 while a user's own int(y) / operator.index(y) runs: the rewritten code's call of int / operator.index goes
# through user_read (_rewrite._call); every other read of a join is an op's (an SDK module's int(axis), index(n))
_user_reads = [0]


def user_read(f):
    """The user's int / operator.index as rewritten code calls it: a joined number's read is allowed there (MindSpore
    2.10's graph: `x * int(y)` runs with y True / 1 joined), where an op's read of it is refused (refuse_op_read)."""
    def read(*args, **kwargs):
        _user_reads[0] += 1
        try:
            return f(*args, **kwargs)
        finally:
            _user_reads[0] -= 1
    return read


def refuse_op_read(t) -> None:
    """int(t) / operator.index(t) of a joined number with a bool or float path, by an op (a shape, an axis, multiples
    read by the SDK's own code): MindSpore 2.10's graph refuses such a number there on every path (TypeError "Failed
    calling Zeros with ...(size=tuple<float, int>...)"); a user's own int(y) runs (user_read)."""
    bad = other_kind(t)
    if bad is None or _user_reads[0]:
        return
    raise TypeError(f"a number that is a {bad} on a path of an `if` on a traced value, where an op takes an int (a "
                    f"shape, an axis, a count): MindSpore 2.10's graph refuses it on every path (its TypeError "
                    f"'Failed calling ... tuple<{bad}, ...>'); make it an int on every path")


def refuse_arg(v, want: str = "int") -> None:
    """An op's axis (want "int") or flag (keep_dims: "bool") given a joined number, alone or in a tuple / list,
    whose kind is another on some path: MindSpore 2.10's graph refuses it on every path (its TypeError 'Failed
    calling ReduceSum with "...(x=Tensor, axis=bool)"'); read by value here it took the path's number (x.sum(axis=y)
    with y True / 0 summed along axis 1 or 0)."""
    for a in v if isinstance(v, (tuple, list)) else (v,):
        bad = other_kind(a, want)
        if bad is not None:
            raise TypeError(f"a number that is a{'n' if bad == 'int' else ''} {bad} on a path of an `if` on a traced value, where an op takes "
                            f"a{'n' if want == 'int' else ''} {want} (an axis, keep_dims): MindSpore 2.10's graph "
                            f"refuses it on every path (its TypeError 'Failed calling ... {bad}'); make it "
                            f"a{'n' if want == 'int' else ''} {want} on every path")


def _abstract(mark, kind: str) -> str:
    v = _path_value(mark, kind)
    shown = "" if v is None else f"Value: {str(v).lower() if kind == 'bool' else v}, "
    return f"AbstractScalar(Type: {_ms_name(kind)}, {shown}Shape: NoShape)"


def refuse_range(args) -> None:
    """range(...) of a joined number with a bool or float path: MindSpore 2.10's make_range TypeError (its graph
    compiles every path), naming the first argument and path that is no int."""
    for n, a in enumerate(args):
        bad = other_kind(a)
        if bad is not None:
            raise _RangeRefusal(f"For 'make_range', the {n}th input should be a int scalar but got "
                                f"{_abstract(a._join_kinds, bad)}")


def refuse_returned(leaves) -> None:
    """Raise the join's TypeError (made where the `if` was joined, naming its code) for a returned leaf whose type
    differs by path, naming the types the leaf has by path."""
    for leaf in leaves:
        mark = getattr(leaf, "_join_kinds", None)
        if mark is not None:
            kinds, err = mark[:2]
            text = str(err.args[0])
            first = text.split("\n")
            first = [join_text(kinds) if line.startswith("Type Join Failed:") else line for line in first]
            new = type(err)("\n".join(first))
            new.located = True  # (its `if`'s code is in the text already)
            raise new
