"""`x in seq` inside rewritten code (see _rewrite, pass 1c) when x is a Tensor and seq a list or tuple.

MindSpore 2.10's graph mode (checked in its venv) takes a Tensor to be in a sequence when an element is that
Tensor or a Tensor of its shape equal to it everywhere; elements that are not Tensors, or of another shape, never
match (`Tensor(1) in [1, 2]` is False there). Python's `in` would take the truth of an element-wise `==`
instead, which a Tensor of more than one element does not have. In PyNative mode MindSpore runs Python's `in`,
and so does this. With traced values the answer is a traced bool Tensor (any of the all-equal tests); with known
values, a Python bool as MindSpore's. `seq.index(x)` in a graph (graph_index) finds elements by the same rule:
a Tensor is never at a number's place nor a number at a Tensor's (`[1, 2].index(Tensor(1))` is MindSpore's
ValueError "... is not in ...", where Python's `==` answers 0), nor a number at one of another kind (bool, int,
float; numpy's scalars as Python's: `[1, 2, 3].index(3.0)` and `[0, 1].index(True)` are its ValueError; in tuples
too). `seq.count(x)` in a graph (graph_count) counts by that rule when MindSpore folds it (everything known when
compiling); else its SequenceCount kernel runs (graph_count's doc)."""
from __future__ import annotations

import sys
from typing import Any, Callable

import numpy as np

from ._dynamic_len import isconstant, is_sequence_value_unknown
from ._late import late
from ._misc import MutableInt, MutableList, MutableTuple
from ._tensor import Tensor
from .context import GRAPH_MODE, get_context


def member_in(x: Any, seq: Any) -> Any:
    if not (isinstance(x, Tensor) and isinstance(seq, (list, tuple))) or get_context("mode") != GRAPH_MODE:
        return x in seq
    found = None
    for e in seq:
        if e is x:
            return True
        if not isinstance(e, Tensor) or tuple(e.shape) != tuple(x.shape) or e.dtype != x.dtype:
            continue
        same = late.ops.all(late.ops.equal(x, e))
        found = same if found is None else late.ops.logical_or(found, same)
    if found is None:
        return False
    known = found._value()
    return bool(known) if known is not None else found


def member_not_in(x: Any, seq: Any) -> Any:
    r = member_in(x, seq)
    return late.ops.logical_not(r) if isinstance(r, Tensor) else not r


def _same(e: Any, x: Any) -> bool:
    if e is x:
        return True
    if isinstance(e, Tensor) != isinstance(x, Tensor):
        return False
    if isinstance(x, Tensor):
        return bool(member_in(x, [e]))  # (a traced answer: the branch explorer's bool)
    if _scalar_kind(e) is not _scalar_kind(x):
        return False
    if isinstance(e, (list, tuple)) and isinstance(x, (list, tuple)):
        return type(e) is type(x) and len(e) == len(x) and all(_same(a, b) for a, b in zip(e, x))
    return bool(e == x)


def _by_value(e: Any, x: Any) -> bool:
    """Whether MindSpore 2.10 matches element e with x by the truth of `e == x` when the graph runs (its Python
    fallback; the index or count not known when compiling): e a Tensor not known when compiling (`[t * 1, 2]`, `[t,
    2]` of a Tensor argument t), x a number (probe /work/scratch_left33/p2.py: `[t * 1, 2].index(2)` is 0 at t = 2.0,
    1 at t = 3.0; `.index(2.0)` and `.count(2)` alike)."""
    return isinstance(e, Tensor) and _scalar_kind(x) is not None and not isinstance(x, Tensor) and _unknown(e) \
        and not _from_constants(e)


def _from_constants(t: Tensor) -> bool:
    """Whether traced t is computed from constants alone (`Tensor(2.0) * 1` in the graph: MindSpore folds it, and
    `[c * 1, 2].index(2)` is 1) or from a list or tuple argument's Tensors (folded too: Trace.sequence_leaves), not
    from a Tensor argument, a mutable() sequence's, a parameter or a value captured from outside."""
    tr = t._trace
    made = {o: nd for nd in tr.nodes for o in nd["outputs"]}
    todo, seen = [t._name], set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        nd = made.get(n)
        if nd is not None:
            todo.extend(nd["inputs"])
        elif n in tr.outer and isinstance(tr.outer[n], Tensor) and tr.outer[n]._trace is not None:
            if not _from_constants(tr.outer[n]):  # (a sub-trace's input: the enclosing trace's value)
                return False
        elif n not in tr.root.sequence_leaves or tr is not tr.root:
            return False
    return True


def _matches(e: Any, x: Any) -> bool:
    """_same, or the truth of e == x (_by_value) where e is a one-element Tensor (of more: MindSpore's ValueError)."""
    if not _by_value(e, x):
        return _same(e, x)
    if int(np.prod(e.shape)) != 1:
        raise ValueError(f"The tensor should have only one element, but got {int(np.prod(e.shape))}, more than one "
                         "element is ambiguous.")
    return bool(e == x)  # (a traced answer: the branch explorer's bool)


def _scalar_kind(v: Any) -> "type | None":
    """bool / int / float (a mutable() number and numpy's scalars as theirs); None for anything else."""
    if isinstance(v, (bool, np.bool_)) or type(v).__name__ == "MutableBool":
        return bool
    if isinstance(v, (int, np.integer)):
        return int
    return float if isinstance(v, (float, np.floating)) else None


def _run_by_kernel(seq: Any, x: Any) -> bool:
    """Whether MindSpore 2.10 runs seq.index / seq.count by its kernel: x or a mutable() sequence's values not known
    when compiling, or an element of x's kind not known (`[t, Tensor([1])].count(Tensor([1]))` of a Tensor argument
    t); else it folds them by _same (a list argument [Tensor(2), 2]: `.index(2)` is 1, a Tensor never matches a
    number; built in the graph from a Tensor argument t, MindSpore gives 0: not told apart here)."""
    if _unknown(x) or isinstance(seq, (MutableList, MutableTuple)):
        return True
    return any(_unknown(e) and isinstance(e, Tensor) == isinstance(x, Tensor) and _scalar_kind(e) is _scalar_kind(x)
               for e in seq)


def _unknown(v: Any) -> bool:
    return is_sequence_value_unknown(v) if isinstance(v, (list, tuple)) else not isconstant(v)


def graph_index(seq: "list | tuple") -> Callable:
    """seq.index in a graph (rewritten code calls it in place of the bound method: _rewrite._call). Run by the
    kernel (_run_by_kernel), elements equal to x by value match (MindSpore 2.10: [1, 2, 3].index(t) of a Tensor
    argument t = 3 is 2), its dtype rule holds (_check_kernel_dtypes) and the index is not known when compiling."""
    def index(x: Any, start: int = 0, end: int = sys.maxsize) -> int:
        kernel = _run_by_kernel(seq, x)
        if kernel and len(seq):
            _check_kernel_dtypes("SequenceIndex", _kernel_dtype(seq[0]), _kernel_dtype(x))
        late_value = not kernel and any(_by_value(e, x) for e in seq)
        for i in range(*slice(start, end).indices(len(seq))):
            if (seq[i] is x or bool(seq[i] == x)) if kernel else _matches(seq[i], x):
                return MutableInt(i) if kernel or late_value else i
        raise ValueError(f"{x!r} is not in {type(seq).__name__}")
    return index


def graph_count(seq: "list | tuple") -> Callable:
    """seq.count in a graph. MindSpore 2.10 folds it when the elements and x are known when compiling (matched as
    index matches: `[1, 2, 3].count(3.0)` is 0); else (_run_by_kernel) its SequenceCount kernel counts the elements
    equal to x by value, only for Int32 / Int64 / Float32 / Float64 elements of x's dtype (its TypeError), and the
    count is not known when compiling (a mutable int: F.isconstant is False)."""
    def count(x: Any) -> int:
        if not _run_by_kernel(seq, x):
            n = sum(1 for e in seq if _matches(e, x))
            return MutableInt(n) if any(_by_value(e, x) for e in seq) else n
        if len(seq):
            _check_kernel_dtypes("SequenceCount", _kernel_dtype(seq[0]), _kernel_dtype(x))
        return MutableInt(sum(1 for e in seq if e is x or bool(e == x)))
    return count


_KERNEL_DTYPES = ("Float32", "Float64", "Int32", "Int64")


def _kernel_dtype(v: Any) -> "str | None":
    """The dtype the kernel sees (a number in a mutable sequence: Bool / Int64 / Float32); None: not checked."""
    if isinstance(v, Tensor):
        return str(v.dtype)
    if isinstance(v, (np.generic, list, tuple)):
        return None
    kind = _scalar_kind(v)
    return {bool: "Bool", int: "Int64", float: "Float32"}.get(kind) if kind else None  # type: ignore[call-overload]


def _check_kernel_dtypes(prim: str, elem: "str | None", x: "str | None") -> None:
    """MindSpore 2.10's CPU SequenceCount / SequenceIndex take elements and x of one of _KERNEL_DTYPES (its
    TypeError, the index's start and end Int64 inputs in its text)."""
    if elem is None or x is None or (elem == x and elem in _KERNEL_DTYPES):
        return
    rule = "-" * 52
    more = " Int64 Int64" if prim == "SequenceIndex" else ""
    kinds = "".join(f"input[{d} {d}{more}], output[Int64]; " for d in _KERNEL_DTYPES)
    raise TypeError(f"\n{rule}\n- Kernel select failed:\n{rule}\nSelect CPU operator[{prim}] fail! Unsupported data "
                    f"type!\nThe supported data types are {kinds}, but get input[{elem} {x}{more} ] and output[Int64 ]")
