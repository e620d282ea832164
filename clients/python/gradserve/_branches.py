"""Python control flow on traced values (`if x > y:` in construct) as the engine's `cond`.

A trace runs its function; when Python asks for the truth of a traced Tensor (`__bool__`) past the
answers already fixed for this run, the run stops there (a `_Fork`) with the condition traced. The
function is then traced twice more, as two functions of the graph -- one answering True at that
point, one False -- and the outer trace emits `cond(condition, true_fn, false_fn)` over their
outputs. Values a branch reads from the enclosing traces become explicit inputs (the trace's
captures); parameters read inside a branch are declared by its function, so they get gradients.
Only the taken branch runs (an untaken sqrt(-2) puts no NaN in the gradient). Python cannot hand us
the code of one side of an `if` (no source rewrite here), so each branch function re-runs the
function from its start with the earlier answers fixed; the part before the fork is traced again in
each side (same values; a later `if` nests a further `cond`). A `while` on a traced value forks on
every trip and is an error past MAX_DECISIONS.
"""
from __future__ import annotations

import sys
import threading

import numpy as np

from . import _attr_writes, _if_alias, _inplace_state, _join_kinds, _join_probe, _param_state, ops
from ._branch_join import (JOIN_FAILED, BranchJoinError, UnsupportedRaise, innermost_user_frame, refuse_number_against_tensor,
                           refuse_other_dtypes, refuse_other_structures)
from .ops._reduce_ms import graph_syntax
from ._late import late
from ._tensor import Tensor
from ._trace import Trace, active, current, flatten_out, freeze_inputs, graph_semantics, note_if, unflatten

MAX_DECISIONS = 32  # nested answers in one run: more means a loop on a traced value
MAX_PATHS = 64  # cond nodes per traced function

_tls = threading.local()


class ControlFlowError(RuntimeError):
    pass


class AmbiguousTruth(ControlFlowError, ValueError):
    """`if t:` on a traced Tensor of other than one element (a ValueError, as NumPy's and MindSpore 2.10's)."""


class TooManyBranches(ControlFlowError):
    """More `if`s on traced values than a graph of conds holds (MAX_PATHS, MAX_DECISIONS)."""


class _ReadInBranch(BaseException):  # (BaseException, as _Fork: a user's `except Exception` must not take it)
    """A traced value read on one side of an `if` emitted as a cond: that side may not be the one this call
    runs (a value that is fine there, int(t) as a shape, can be an error here), so the explore re-runs deciding
    each `if` by its value, as PyNative runs only the taken side."""


class _Undefined:
    """A name not bound yet where a rewritten branch or loop starts (see _rewrite)."""

    def __repr__(self):
        return "<a variable not assigned on this path>"

    def __bool__(self):
        raise ControlFlowError("a variable is read on a path of an `if` / loop that never assigned it")


UNDEF = _Undefined()


class _Fork(BaseException):  # BaseException: a user's `except Exception` must not swallow it
    def __init__(self, explorer, cond: Tensor):
        super().__init__("fork")
        self.explorer, self.cond = explorer, cond


class _Explorer:
    def __init__(self, prefix: list[bool], budget: list[int]):
        self.prefix = prefix
        self.budget = budget  # shared by the nested explorers of one traced function
        self.seen = 0

    def decide(self, t: Tensor) -> bool:
        i = self.seen
        self.seen += 1
        if i < len(self.prefix):
            return self.prefix[i]
        if i >= MAX_DECISIONS:
            raise TooManyBranches(f"more than {MAX_DECISIONS} nested branches on traced values in one run: a "
                                   "`while` on a traced Tensor cannot be traced (use a Python bound, "
                                   "ops.while_loop-style ops over the values, or fewer nested `if`s)")
        raise _Fork(self, t)


def deciding_by_value() -> bool:
    """Whether the code running is on the side of an `if` on a traced value that this call's value chose (a
    side that raises: _graph_raise formats such a raise as its run's, not its compile's)."""
    return getattr(_tls, "by_value", 0) > 0 or any(isinstance(e, _ByValue) for e in _stack())


def _stack() -> list:
    s = getattr(_tls, "stack", None)
    if s is None:
        s = _tls.stack = []
    return s


def decide(t: Tensor):
    """The truth of a traced Tensor for the current run, or None when no explorer is active."""
    note_if(t)
    s = _stack()
    return s[-1].decide(t) if s else None


def in_branch() -> bool:
    """Whether the code running is on one side of an `if` emitted as a cond (past a decision of a replay, or
    in a side of run_if's)."""
    return getattr(_tls, "sides", 0) > 0 or any(isinstance(e, _Explorer) and e.seen for e in _stack())


def refuse_read_in_branch() -> bool:
    """Before a value read (gradserve._value_reads): on a side of a cond, start again deciding by value; True
    where the read is to give nothing instead (a join probe: gradserve._join_probe)."""
    if in_branch():
        if _join_probe.probing():
            return True
        raise _ReadInBranch()
    return False


def explore(run):
    """run() in the current trace, with each `if` on a traced value emitted as a `cond`; past what a graph of
    conds holds, or where a side of one reads a value, and where this call's values are known
    (gradserve._value_reads), run again with each `if` decided by its value, as MindSpore's PyNative runs it
    (the trace is then specialised on them)."""
    start, written = _param_state.snapshot(), _inplace_state.mark()
    budget, failed = [0], None
    try:
        try:
            return _run(run, [], budget)
        except (TooManyBranches, _ReadInBranch) as e:
            tr = current()
            # (a read inside a side of an enclosing explore's cond: that explore starts again)
            if tr is None or tr.root.known is None or (isinstance(e, _ReadInBranch) and in_branch()):
                raise
            if isinstance(e, _ReadInBranch) and graph_syntax() and not _join_probe.probing():
                _join_probe.probe(tr, lambda: _run(run, [], [0]), lambda: (_param_state.restore(start),
                                  _inplace_state.restore(written)), BranchJoinError)
        except (BranchJoinError, AmbiguousTruth, UnsupportedRaise, _join_kinds.PathRefusal):
            raise  # (a graph compiles both sides, and refuses a condition of another shape: not decided by value)
        except Exception as e:
            # a side that raises (`if x == 2: raise ValueError(...)`) or sides whose outputs no cond can join
            # (other dict keys, None against a Tensor): MindSpore runs only the side taken, so where this call's
            # values are known, decide by them; with no `if` on a traced value, the error is the function's own
            tr = current()
            if not budget[0] or tr is None or tr.root.known is None or in_branch():
                raise
            failed = e
        _param_state.restore(start)
        _inplace_state.restore(written)
        s = _stack()
        s.append(_ByValue())
        try:
            return run()
        except _Undecidable:
            if failed is not None:  # (a condition of many elements: its own error, not the retry's)
                raise failed from None
            raise
        finally:
            s.pop()
    finally:
        _inplace_state.done()


class _Undecidable(ControlFlowError):
    """An `if` the by-value run cannot decide."""


class _ByValue:
    """An explorer answering each `if` with the traced condition's value in this call."""

    def decide(self, t: Tensor) -> bool:
        known = t._value() if t.size == 1 else None
        if known is None:
            raise _Undecidable("an `if` on a traced value past the branches a graph holds, whose value this "
                                   "trace does not know (a loop body, vmap)")
        return bool(known.reshape(()))


def _run(run, prefix: list[bool], budget: list[int]):
    ex = _Explorer(prefix, budget)
    s = _stack()
    s.append(ex)
    start = _param_state.snapshot()
    written = _inplace_state.mark()
    try:
        try:
            return run()
        except _Fork as f:
            if f.explorer is not ex:
                raise
            cond, at_if = f.cond, innermost_user_frame(f.__traceback__)
        finally:
            s.pop()
        _param_state.restore(start)  # each side re-runs from the start
        _inplace_state.restore(written)  # Tensors written in place before the fork too
        budget[0] += 1
        if budget[0] > MAX_PATHS:
            raise TooManyBranches(f"more than {MAX_PATHS} branches on traced values in one traced function")
        try:
            out = _emit_cond(_truth(cond), lambda: _run(run, prefix + [True], budget),
                             lambda: _run(run, prefix + [False], budget))
            locate_kinds(out, at_if)
            return out
        except BranchJoinError as e:
            e.locate(at_if)
            raise
    finally:
        _inplace_state.done()


def _truth(c: Tensor) -> Tensor:
    """A traced condition as a 0-d bool. MindSpore 2.10's refusals and texts: a graph's condition has shape ()
    or (1,) (a (1, 1) one too is its ValueError), PyNative's any one element."""
    if graph_semantics() and tuple(c.shape) not in ((), (1,)):
        raise AmbiguousTruth("Only tensor which shape is () or (1,) can be converted to bool, but got tensor shape "
                             f"is ({', '.join(map(str, c.shape))})")
    if c.size != 1:
        raise AmbiguousTruth(f"The tensor should have only one element, but got {c.size}, more than one element is "
                             "ambiguous.")
    if c.shape != ():
        c = ops.reshape(c, ())
    return c if c._dtype == "bool" else ops.not_equal(c, 0)


def _side(parent: Trace, label: str, side, seed: list[Tensor], attrs_at: int):
    tr = Trace(parent, label)
    tr.if_side = True
    for c in seed:  # the other branch's captures first, so both functions take the same inputs
        tr.ref(c)
    with active(tr):
        out = side()
        # (Tensors of this trace's enclosing ones written in place: the log also holds inputs of traces already
        # dropped, a loop body traced again once it was found to assign a Parameter)
        assigned = ([v for _, v in _param_state.snapshot().values()] +
                    [now for _, now in _inplace_state.changed(0, parent)])
        for leaf in flatten_out(out)[0] + assigned:  # an enclosing value returned as it is is a capture too
            if isinstance(leaf, Tensor):
                tr.ref(leaf)
        attrs = _attr_writes.side_writes(tr, attrs_at)  # (Tensors it left in Cell attributes: outputs too)
    return tr, out, attrs


class AliasedJoin(ControlFlowError):
    pass


def _shared_locals(frame) -> frozenset:
    """The ids of the traced Tensors that two or more local variables of frame (the code holding an `if`) name."""
    seen: dict[int, int] = {}
    for v in frame.f_locals.values():
        if isinstance(v, Tensor) and v._data is None:
            seen[id(v)] = seen.get(id(v), 0) + 1
    return frozenset(k for k, n in seen.items() if n > 1)


def _refuse_aliased_join(parent: Trace, leaves: list, shared: frozenset) -> None:
    """A side that leaves a name bound, unchanged, to an enclosing Tensor written in place that another local
    variable names too (`out = x` then `x -= 1` before `if x < 5: continue`): MindSpore 2.10's graph keeps out the
    same Tensor as x on that side, so x's next write reaches out (x = 1 there gives -2, not 0); a cond's output is
    a Tensor of its own. run_if decides such an `if` by the condition's value where this call's is known, else
    this refusal."""
    for leaf in leaves:
        if id(leaf) in shared and (leaf._trace is parent or parent.is_ancestor(leaf._trace)) \
                and _inplace_state.graph_written(leaf) and graph_semantics():
            raise AliasedJoin("an `if` on a traced value whose side keeps a name bound to a Tensor written in place "
                              "before it (as `out = x; x -= 1`): MindSpore's graph lets that name see x's later "
                              "writes, which a joined output cannot; this call's condition value is not known here")


def _emit_cond(pred: Tensor, true_side, false_side, swapped: bool = False, shared: frozenset = frozenset(),
               on_join=None):
    """swapped: the true side is the source's false branch (_rewrite's guard after an early return), for the
    join errors' order. shared: _shared_locals of the code holding the `if`. on_join(wrote, read, ids): called with
    whether a side writes in place (a Parameter, a Tensor of the enclosing code), the names of the enclosing
    trace's values the sides read and the ids of the Tensors the sides write in place."""
    parent = current()
    assert parent is not None, "explore runs inside a trace"
    start, mark, attrs_at = _param_state.snapshot(), _inplace_state.mark(), _attr_writes.mark(parent)
    try:
        tt, out_t, attrs_t = _side(parent, "if_true", true_side, [], attrs_at)
        after_t = _param_state.snapshot()
        wrote_t = {id(t): (t, v) for t, v in _inplace_state.changed(mark, parent)}  # Tensors made here: not
        out_t, held_t = _held_written(out_t, wrote_t)
        _param_state.restore(start)
        _inplace_state.restore(mark, parent)
        ft, out_f, attrs_f = _side(parent, "if_false", false_side, tt.captures, attrs_at)
        after_f = _param_state.snapshot()
        wrote_f = {id(t): (t, v) for t, v in _inplace_state.changed(mark, parent)}
        out_f, held_f = _held_written(out_f, wrote_f)
        _param_state.restore(start)
        _inplace_state.restore(mark, parent)
    finally:
        _inplace_state.done()
    params = list({id(p): p for p in _param_state.changed(start, after_t) + _param_state.changed(start, after_f)}
                  .values())  # Parameters assigned in a branch: outputs of the cond too
    written = [t for t, _ in {**wrote_f, **wrote_t}.values()]  # Tensors written in place in a branch: too
    attrs = _attr_writes.joined(attrs_t, attrs_f)  # and Cell attributes given a Tensor in a branch
    if params or written or attrs:
        out_t = (out_t, tuple(_param_value(after_t, p) for p in params),
                 tuple(wrote_t.get(id(t), (t, t))[1] for t in written), _attr_writes.side_values(attrs, attrs_t))
        out_f = (out_f, tuple(_param_value(after_f, p) for p in params),
                 tuple(wrote_f.get(id(t), (t, t))[1] for t in written), _attr_writes.side_values(attrs, attrs_f))
    out_t, out_f = _filled_sides(tt, ft, out_t, out_f)
    lt, tdt = flatten_out(_mark_numbers(out_t))
    lf, tdf = flatten_out(_mark_numbers(out_f))
    _refuse_aliased_join(parent, lt + lf, shared)
    _same_structures(tdt, tdf)
    static, pairs = _paired_leaves(tt, ft, lt, lf, swapped)
    for c in ft.captures[len(tt.captures):]:
        tt.ref(c)
    names = []
    for tr, which in ((tt, 1), (ft, 2)) if pairs else ():  # no outputs (side effects only): no cond
        with active(tr):
            outs = [tr.ref(p[which]) for p in pairs]
        names.append(tr.add_function(tr.body(outs), tr.label))
    for tr in (tt, ft):  # the branches' parameters are read through this body too
        for pname, aval in tr.params.items():
            parent.params.setdefault(pname, aval)
    ins = [parent.ref(pred)] + [parent.ref(c) for c in ft.captures]
    outs = parent.emit("cond", ins, {"true_fn": names[0], "false_fn": names[1]},
                       [(tuple(a.shape), a._dtype) for _, a, _, _ in pairs]) if pairs else []
    leaves = [static.get(k) for k in range(len(lt))]
    kept = {id(t): t for t in written}
    for (k, _, _, number), o in zip(pairs, outs):
        if isinstance(number, tuple):  # numbers of other kinds by path (_join_kinds), and how to tell the path
            o.__dict__["_join_kinds"] = number + ((pred, swapped),)
        elif number is not None:  # comes back from the run a Python number, as MindSpore 2.10's graph gives it
            setattr(o, "_py_number", number)
        if isinstance(lt[k], _Num) and isinstance(lf[k], _Num):  # (a number on each side, as _rewrite's return
            if parent.by_condition is None:  # flag: it reads the condition alone, _trace._inputs_read)
                parent.by_condition = {}
            parent.by_condition[o._name] = ins[0] if isinstance(ins[0], str) else ins[0]._name
        leaves[k] = o
        same = held_t.get(id(lt[k]), kept.get(id(lt[k]))), held_f.get(id(lf[k]), kept.get(id(lf[k])))
        if same[0] is not None and same[0] is same[1]:  # a name bound to a Tensor both sides keep (written in
            leaves[k] = same[0]  # place on one at least): that Tensor after the `if`, its later writes its own
    out = unflatten(tdt, leaves)
    if on_join is not None:
        own = [t for t in written if _if_alias.FLAG not in t.__dict__]  # (a flag's write is no side's own)
        on_join(bool(params or own), {c._name for c in ft.captures if c._trace is parent}, {id(t) for t in own})
    if params or written or attrs:
        out, values, tensors, attr_values = out
        _attr_writes.join(parent, attrs, attr_values)
        for p, v in zip(params, values):
            _param_state.assign(p, v)
        for t, v in zip(written, tensors):
            _inplace_state.record(t)  # an enclosing `if` carries it on
            t._become(v)
    return out


def _held_written(out, wrote: dict):
    """A side's outputs with each Tensor it wrote in place (`x += 1` of the enclosing code's x) as a copy bound
    to its value there (restore puts the Tensor back before the other side runs), and {id(copy): Tensor}."""
    held = {}

    def swap(x):
        if isinstance(x, Tensor) and id(x) in wrote:
            now = wrote[id(x)][1]
            copy = Tensor.__new__(type(now))
            copy._data, copy._trace, copy._name, copy._shape, copy._dtype = \
                now._data, now._trace, now._name, now._shape, now._dtype
            held[id(copy)] = x
            return copy
        if isinstance(x, (tuple, list)) and not isinstance(x, Tensor):
            return type(x)(swap(v) for v in x)
        if isinstance(x, dict):
            return {k: swap(v) for k, v in x.items()}
        return x
    return swap(out), held


def _paired_leaves(tt, ft, lt, lf, swapped: bool):
    """The cond's outputs: leaves the same number either way (or unassigned) go to `static`; the others, each
    side's leaf made a Tensor of one dtype and shape in its own trace, to `pairs` (MindSpore's join rules)."""
    static, pairs = {}, []
    for k, (a, b) in enumerate(zip(lt, lf)):
        if isinstance(a, _Num) and isinstance(b, _Num) and a.v == b.v and \
                _join_kinds.kind_of(a.v) == _join_kinds.kind_of(b.v):  # (True == 1 == 1.0: kinds differ)
            static[k] = a.v  # the same number either way: no output of the cond
            continue
        if a is UNDEF and b is UNDEF:  # a name neither side assigns
            static[k] = UNDEF
            continue
        clash = _kinds_clash(tt, ft, a, b, swapped)
        if clash is not None:
            pairs.append((k, *clash))
            continue
        # (two Python numbers: a graph's join is a number too, of their kind)
        number = _joined_number(*((b, a) if swapped else (a, b)))
        if number is None and isinstance(a, Tensor) and isinstance(b, Tensor):
            refuse_other_dtypes(*((b, a) if swapped else (a, b)))
        with active(tt):
            a = _leaf(a, b)
        with active(ft):  # against the true side's own leaf: two numbers are no number against a Tensor
            b = _leaf(b, lt[k])
        if a._dtype == b._dtype and tuple(a.shape) != tuple(b.shape) and a.size == b.size == 1:
            shape = max(tuple(a.shape), tuple(b.shape), key=len)  # one element either way: the longer shape
            with active(tt):
                a = ops.reshape(a, shape)
            with active(ft):
                b = ops.reshape(b, shape)
        if a._dtype != b._dtype or tuple(a.shape) != tuple(b.shape):
            raise ControlFlowError(f"the branches of an `if` on a traced value give {a.dtype}{list(a.shape)} "
                                   f"and {b.dtype}{list(b.shape)} for output {k}")
        pairs.append((k, a, b, number))
    return static, pairs


_DTYPE_OF_KIND = {"bool": "bool", "int": "int64", "float": "float32"}


def _side_kinds(x) -> "tuple | None":
    return _join_kinds.path_kinds(x.v if isinstance(x, _Num) else x)


def _kinds_clash(tt, ft, a, b, swapped: bool):
    """Two numbers of other kinds (bool, int, float; or joins of them) from the two sides of an `if` in a graph:
    (true leaf, false leaf, (each path's kind, the join's TypeError)), both leaves of the widest kind; None for
    anything else. MindSpore 2.10 refuses only a returned value whose type differs by path (_join_kinds)."""
    ka, kb = _side_kinds(a), _side_kinds(b)
    if ka is None or kb is None or len(set(ka + kb)) < 2:
        return None
    if not graph_syntax():  # PyNative runs the side taken: its number as it is (explore decides by value)
        tr = current()
        if tr is None or tr.root.known is None:
            return None  # (values unknown, a vmap: joined as the wider number, as before)
        raise ControlFlowError(f"the branches of an `if` on a traced value give numbers of other kinds ({ka[0]}, "
                               f"{kb[0]})")
    dt = _DTYPE_OF_KIND[_join_kinds.widest(ka + kb)]
    with active(tt):
        la = ops.cast(a, dt) if isinstance(a, Tensor) else Tensor(np.asarray(a.v, dtype=dt))
    with active(ft):
        lb = ops.cast(b, dt) if isinstance(b, Tensor) else Tensor(np.asarray(b.v, dtype=dt))
    kinds = kb + ka if swapped else ka + kb  # (dtype1 is the source's true side)
    va, vb = ((x.v,) if isinstance(x, _Num) else (None,) * len(k) for x, k in ((a, ka), (b, kb)))
    values = vb + va if swapped else va + vb  # (each path's number where it is one: refusals name it)
    return la, lb, (kinds, BranchJoinError(f"{JOIN_FAILED}\n{_join_kinds.join_text(kinds)}"), values)


def locate_kinds(out, frame) -> None:
    """Name the `if` (its frame) in the join errors that out's leaves of kinds differing by path carry."""
    for leaf in flatten_out(out)[0]:
        mark = getattr(leaf, "_join_kinds", None)
        if mark is not None:
            mark[1].locate(frame)


def _filled_sides(tt, ft, out_t, out_f):
    """Each side's outputs with a name only the other side assigns filled with zeros made in its own trace (in a
    list, a side's zeros are its trace's: a list of constants is a constant)."""
    with active(tt):
        filled_t = _fill_undef(out_t, out_f)
    with active(ft):
        filled_f = _fill_undef(out_f, out_t)
    return filled_t, filled_f


def _same_structures(tdt, tdf) -> None:
    """Refuse two sides' outputs of other structures or constants: a graph's TypeError (_branch_join), else a
    ControlFlowError (explore then decides by value where it can, as PyNative runs only the side taken)."""
    if tdt != tdf:
        refuse_other_structures(tdt, tdf)
        raise ControlFlowError(f"the branches of an `if` on a traced value give different structures or "
                               f"constants: {tdt} vs {tdf}")


def _param_value(snap: dict, p):
    hit = snap.get(id(p))
    return p if hit is None else hit[1]


class _Num:
    """A Python number in a branch's output: a value to select, of the other side's dtype."""

    def __init__(self, v):
        self.v = v


def _mark_numbers(x):
    if isinstance(x, (tuple, list)):
        return type(x)(_mark_numbers(v) for v in x)
    if isinstance(x, dict):
        return {k: _mark_numbers(v) for k, v in x.items()}
    if isinstance(x, (int, float, np.number, np.bool_)):
        return _Num(x)
    return x


def _number_kind(x) -> "str | None":
    """'int' / 'float' for a Python number of a branch's output, or a join of two (marked: _joined_number)."""
    if isinstance(x, _Num):
        v = x.v
        return None if isinstance(v, (bool, np.bool_)) else "float" if isinstance(v, (float, np.floating)) else \
            "int" if isinstance(v, (int, np.integer)) else None
    return getattr(x, "_py_number", None) if isinstance(x, Tensor) else None


def _joined_number(a, b) -> "str | None":
    """The kind of number a graph's join of a and b is ('int' / 'float'), where both are numbers (or joins of
    numbers) of one kind (two of other kinds in a graph: _kinds_clash)."""
    ka, kb = _number_kind(a), _number_kind(b)
    return ka if ka is not None and ka == kb else None


def _leaf(x, other) -> Tensor:
    if isinstance(x, _Num):
        if isinstance(other, Tensor):  # the other side's dtype and shape (a flag, a counter, a clipped value)
            if _number_kind(other) is None:  # (a join of numbers: a number)
                refuse_number_against_tensor(x.v, other)  # (but not in a graph)
            return Tensor(np.full(tuple(other.shape), x.v, dtype=other._dtype))
        v = other.v if isinstance(other, _Num) else x.v
        dt = "bool" if isinstance(v, (bool, np.bool_)) and isinstance(x.v, (bool, np.bool_)) else \
            "float32" if isinstance(v, float) or isinstance(x.v, float) else "int64"
        return Tensor(np.asarray(x.v, dtype=dt))
    return x if isinstance(x, Tensor) else Tensor(x)


def _fill_undef(x, other, in_list: bool = False):
    """x with each UNDEF where `other` has a value replaced by that value's zeros (or the value itself
    when static): the side that never assigned a name gives something of the same type. In a list the zeros
    are ops of the active trace (a list of constant Tensors is a constant of the graph, not a list output:
    `return [x, y]` after an early return)."""
    if x is UNDEF and other is not UNDEF:
        if isinstance(other, Tensor):
            if in_list:
                return ops.zeros(tuple(other.shape), other.dtype)
            return Tensor(np.zeros(tuple(other.shape), dtype=other._dtype))
        if isinstance(other, (tuple, list)):
            return type(other)(_fill_undef(UNDEF, o, in_list or isinstance(other, list)) for o in other)
        if isinstance(other, dict):  # (not the other side's Tensors themselves: they are its trace's)
            return {k: _fill_undef(UNDEF, v, in_list) for k, v in other.items()}
        return other
    if isinstance(x, (tuple, list)) and isinstance(other, (tuple, list)) and len(x) == len(other) and \
            not isinstance(x, Tensor) and not isinstance(other, Tensor):
        return type(x)(_fill_undef(a, b, in_list or isinstance(x, list)) for a, b in zip(x, other))
    return x


def _traced(v) -> bool:
    return isinstance(v, Tensor) and v._data is None


def run_if(test, true_fn, false_fn, state: tuple, names: tuple, returns: bool = False, fresh: tuple = (),
           swapped: bool = False, one_sided: tuple = (), rebound: tuple = ()):
    """`if test:` of rewritten code: Python's when test is a value, a cond of one trace per side when traced.
    returns: an `if` of _rewrite's single exit, whose side that returned (`_gs_ret` the Python True) leaves
    every name but the return value and the flag unset (no later code reads them: they join no cond).
    fresh: the names of lists / dicts a side changes in place: on a traced test each side (each run of it)
    changes a copy of its own, joined as an output. swapped: see _emit_cond. one_sided: names one side alone
    assigns: unbound before, they come back UNDEF from a cond (_graph_unbound). rebound: the names a side's `x += v`
    rebinds: a NumPy array or a list there is copied for each side (run) too, as MindSpore 2.10's value semantics
    (an array's item write, `x[0] = v`, is not: MindSpore applies both sides' item writes to NumPy arrays)."""
    if returns and "_gs_ret" in names:
        true_fn, false_fn = _dead_after_return(true_fn, names), _dead_after_return(false_fn, names)
    if not _traced(test):
        return (true_fn if test else false_fn)(*state)
    if fresh or rebound:
        true_fn, false_fn = _on_copies(true_fn, names, fresh, rebound), _on_copies(false_fn, names, fresh, rebound)
    unread = note_if(test, sides_known=True)  # (frozen or not once its sides are traced: freeze_inputs)
    cond = _truth(test)  # (its refusal is the condition's, never decided by the value below)
    if any(isinstance(e, _ByValue) for e in _stack()):  # explore's run deciding each `if` by its value
        return (true_fn if _ByValue().decide(test) else false_fn)(*state)
    kept = [_traced(v) for v in state]
    held: tuple = ([True] * len(state), [True] * len(state))  # per side: _if_alias.side_binding of each name
    flags: dict = {}
    true_fn, false_fn = _keeping(true_fn, state, kept, held[0], flags), _keeping(false_fn, state, kept, held[1], flags)
    start, mark, attrs_at = _param_state.snapshot(), _inplace_state.mark(), _attr_writes.mark(current())
    try:
        _tls.sides = getattr(_tls, "sides", 0) + 1  # (a value read in a side: explore's run by value: in_branch)
        try:
            out = _emit_cond(cond, lambda: explore(lambda: true_fn(*state)),
                             lambda: explore(lambda: false_fn(*state)), swapped, _shared_locals(sys._getframe(1)),
                             lambda wrote, read, ids: freeze_inputs(test, unread, wrote, read, ids))
            locate_kinds(out, sys._getframe())
            out = tuple(v if k else o for v, k, o in zip(state, kept, out))
            _if_alias.mark(cond, state, out, *held)
            # a name only one side assigns, unbound before: unbound after (not the other side's zeros)
            if not one_sided or not graph_semantics():
                return out
            return tuple(UNDEF if n in one_sided and v is UNDEF else o for n, v, o in zip(names, state, out))
        finally:
            _tls.sides -= 1
    except BranchJoinError as e:
        e.locate(sys._getframe())
        raise
    except UnsupportedRaise:
        raise  # (compiled on either side)
    except Exception:
        # a side that raises, or sides no cond joins: decided by this call's value where known (explore's rule)
        tr = current()
        if tr is None or tr.root.known is None or in_branch() or test.size != 1:
            raise
        known = test._value()
        if known is None:
            raise
        _param_state.restore(start)
        _inplace_state.restore(mark)
        _attr_writes.restore(tr, attrs_at)  # (the side taken writes them again)
        _tls.by_value = getattr(_tls, "by_value", 0) + 1
        try:
            return (true_fn if bool(known.reshape(())) else false_fn)(*state)
        finally:
            _tls.by_value -= 1
    finally:
        _inplace_state.done()


def _keeping(side, state: tuple, kept: list, held: list, flags: dict):
    """side, clearing kept[i] where a run of it leaves name i bound to another object than state[i] (a side that
    returned leaves it unset: UNDEF). A name both sides keep bound to its Tensor stays that very object after the
    `if` (where a side wrote it in place, the cond has given it the joined value): a later in-place write, a loop's
    write-back, the caller's (_trace.InputWrites) then reach it (`x += 1; if x < 0: x += 5; return x` then
    `x += 100`: MindSpore 2.10 writes 104 back). held[i]: how this side holds state[i]'s Tensor
    (_if_alias.side_binding: where one side alone does, the joined name is its alias under a condition)."""
    def keeping(*args):
        out = side(*args)
        for i, (v, o) in enumerate(zip(state, out)):
            kept[i] = kept[i] and (o is v or o is UNDEF)
            if _traced(v):
                held[i] = True if o is UNDEF else _if_alias.side_binding(o, v, flags, (id(held), i))
        return out
    return keeping


def _on_copies(side, names: tuple, fresh: tuple, rebound: tuple = ()):
    def on_copies(*state):
        return side(*(_copy(v, n in rebound) if n in fresh or n in rebound else v for n, v in zip(names, state)))
    return on_copies


def _copy(v, arrays: bool = False):
    """A shallow copy of a list / dict (of its own class: a mutable() one stays one), and with arrays of a NumPy
    array (a side's `x += 1` would change it in place, and a side may run more than once); anything else as it is."""
    if arrays and isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (list, dict)) and not isinstance(v, Tensor):
        new = type(v)(v)
        if hasattr(v, "__dict__"):
            new.__dict__.update(v.__dict__)
        return new
    return v


_EXIT = ("_gs_ret", "_gs_rv")  # (_rewrite's return flag and value)


def _dead_after_return(side, names: tuple):
    def returned_or_not(*state):
        out = side(*state)
        if out[names.index("_gs_ret")] is not True:
            return out
        return tuple(v if n in _EXIT else UNDEF for n, v in zip(names, out))
    return returned_or_not


class logic:
    """`and` / `or` / `not` and the loop flags of rewritten code: Python's on values, ops on traced ones."""

    @staticmethod
    def and_(a, rest):
        if not _traced(a):
            return a and rest()
        b = rest()
        return ops.logical_and(_truth(a), _truth(b)) if isinstance(b, Tensor) else (_truth(a) if b else False)

    @staticmethod
    def or_(a, rest):
        if not _traced(a):
            return a or rest()
        b = rest()
        return ops.logical_or(_truth(a), _truth(b)) if isinstance(b, Tensor) else (True if b else _truth(a))

    @staticmethod
    def not_(a):
        return ops.logical_not(_truth(a)) if _traced(a) else not a

    @staticmethod
    def go(*flags):
        """Whether no flag is set: a Python bool while every flag is one, else a traced bool."""
        traced = [_truth(f) for f in flags if _traced(f)]
        if any(f is True or (not _traced(f) and bool(f)) for f in flags):
            return False
        if not traced:
            return True
        out = traced[0]
        for f in traced[1:]:
            out = ops.logical_or(out, f)
        return ops.logical_not(out)

    @staticmethod
    def is_true(flag) -> bool:
        return not _traced(flag) and bool(flag)

    @staticmethod
    def static_range(*args) -> bool:
        """Whether range(*args) (a `for`'s) has no traced bound; a joined number of a bool or float path is
        MindSpore's refusal."""
        _join_kinds.refuse_range(args)
        return not any(_traced(v) for v in args)

    @staticmethod
    def range_go(i, stop, step):
        """Whether a range's counter i is still short of stop (past it, for a negative step)."""
        if not _traced(step):
            return i < stop if step > 0 else i > stop
        return ops.logical_or(ops.logical_and(step > 0, i < stop), ops.logical_and(step < 0, i > stop))


# a traced Tensor's `bool()` (in _tensor) and the trace of a function (in _trace) reach the explorer late
late.bind(decide=decide, explore=explore, refuse_read_in_branch=refuse_read_in_branch)
