"""A function made afresh each PyNative step that closes over the step's data (JAX's idiom, ported:
`ops.grad(lambda w: loss(w, x, y))(w)`, `ops.jvp(lambda a, c: f(a, c, x), (w1, w2), v)`, where jvp's inputs are
all differentiated so the data cannot be arguments) took each step's x as a constant of its trace: a new trace and a
compile miss every step (issue #13, h-loopzoo5's forward-gradient loop).

Now a top-level PyNative derivative call lifts them: each closure cell of the (plain) function that holds a plain
Tensor with a value becomes a program input after the call's own arguments, its value sent per run as an argument's
is. While the program traces, the cell holds that input's symbolic Tensor (so code reading the cell, or a rewrite
copying it (_rewrite.convert), sees an input, its value reads handled as an argument's), and a reference to the
concrete Tensor by another path is that input too (_trace.Trace.ref). The derivative cache's twin key (_twins) names
a lifted cell by its being one, the guards (_pyguard) skip it: the input's shape and dtype are in the call's
signature. A captured Tensor that is also an argument keeps PyNative's own semantics (_trace.pynative_captures);
a Parameter and a Tensor with hooks are not lifted (unchanged).

A plain Tensor read through a box is lifted the same way once it has been seen to change (a learning rate, a
temperature, a schedule Tensor replaced by the script's loop each step: issue #13): a module global the function
(or a Cell's construct) loads, an item of a module global dict of str keys it loads (hyper-parameters), an
attribute of the Cell called. While the program traces, the box holds the input's symbolic Tensor under that key
(the guards skip it: _pyguard). One seen with one Tensor only stays a constant of the trace (a fixed table or mask:
folded, not sent per run). A Python number stays a constant (guarded by value: a new value traces anew), as MindSpore 2.10's
jit takes a global number as a constant of its graph (it does not even recompile: a stale value), while its
PyNative reads each step's value; only names the function's own code loads count (a helper's globals: as before)."""
from __future__ import annotations

import dis
import types
from typing import Any, Callable

from ._tensor import Tensor

# a plain Tensor's own attributes: one with more carries hooks or stands in for another (not lifted)
_PLAIN_TENSOR = frozenset(("_data", "_trace", "_name", "_shape", "_dtype"))
# while a lifting program traces: ({id(a lifted Tensor): its symbolic input}, {id(a lifted cell)},
# {(id(the dict holding a lifted box item: a module's, a Cell's, a global dict), its key)}); else None
active: list = [None]
_KEEP = 1024  # code objects / globals remembered below (a script exec-ing new code each step stays bounded)
_loads: dict = {}  # code -> _names(code)
_ITEMS = 64  # (a larger dict: not looked through; its guards keep it a constant as before)
_stores: dict = {}  # a Cell class -> _class_stores(it)
_last: dict = {}  # (id(module dict), name) -> id of the Tensor last seen there, or None once it has changed


def _names(code) -> tuple:
    """(the global names code, or code nested in it (a lambda, a comprehension), loads; the attribute names it
    stores: _class_stores)."""
    got = _loads.get(code)
    if got is None:
        loads, stores, stack = set(), set(), [code]
        while stack:
            c = stack.pop()
            for i in dis.get_instructions(c):
                if i.opname == "LOAD_GLOBAL":
                    loads.add(i.argval)
                elif i.opname == "STORE_ATTR":
                    stores.add(i.argval)
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        if len(_loads) >= _KEEP:
            del _loads[next(iter(_loads))]
        got = _loads[code] = (tuple(sorted(loads)), frozenset(stores))
    return got


def _class_stores(cls) -> frozenset:
    """The attribute names any method of cls (or of its bases) but __init__ stores: a Cell's state it writes itself
    (in construct or a helper it calls, in an `if` or not) keeps its own handling (_trace.attribute_written)."""
    got = _stores.get(cls)
    if got is None:
        got = frozenset().union(*(_names(v.__code__)[1] for k in cls.__mro__ for n, v in vars(k).items()
                                  if type(v) is types.FunctionType and n != "__init__"))
        if len(_stores) >= _KEEP:
            del _stores[next(iter(_stores))]
        _stores[cls] = got
    return got


def _code_of(fn):
    """(code, module dict) a top-level call of fn runs first: a plain function's, a Cell's construct's; or None."""
    if type(fn) is types.FunctionType:
        return fn.__code__, fn.__globals__
    construct = getattr(type(fn), "construct", None)  # (a Cell's, by its construct: Cell is a layer above this)
    if type(construct) is types.FunctionType:
        return construct.__code__, construct.__globals__
    return None


def _plain(v) -> bool:
    return type(v) is Tensor and v._data is not None and v.__dict__.keys() == _PLAIN_TENSOR  # (no hooks, no stand-in)


def _changed(box: dict, key, v) -> bool:
    """Whether box[key] (now the plain Tensor v) has held another Tensor before: from then on it is lifted."""
    at = (id(box), key)
    last = _last.get(at, 0)
    if last is None:
        return True
    if last == id(v):
        return False
    if last:  # (another Tensor there before: it changes)
        _last[at] = None
        return True
    if len(_last) >= _KEEP:
        del _last[next(iter(_last))]
    _last[at] = id(v)
    return False


def _moving(fn) -> list:
    """[(slot, Tensor)] of the plain Tensors fn reads through a box that have changed before: a module global its
    code loads (slot: its name), an item of a module global dict of str keys it loads (a dict of hyper-parameters:
    ("item", its name, the key)), an attribute of fn itself where fn is a Cell whose methods do not write it
    (`net.temperature = Tensor(t)` each step: ("attr", its name); a Parameter is no plain Tensor: as before)."""
    where = _code_of(fn)
    if where is None:
        return []
    code, g = where
    found: list = []
    for name in _names(code)[0]:
        v = g.get(name)
        if type(v) is dict:
            if len(v) <= _ITEMS and all(type(k) is str for k in v):
                found += [(("item", name, k), x) for k, x in v.items() if _plain(x) and _changed(v, k, x)]
        elif _plain(v) and _changed(g, name, v):
            found.append((name, v))
    if type(fn) is not types.FunctionType:  # (a Cell: _code_of)
        d, stores = fn.__dict__, _class_stores(type(fn))
        found += [(("attr", k), x) for k, x in d.items()
                  if type(x) is Tensor and k not in stores and _plain(x) and _changed(d, k, x)]
    return found


def _box(fn, slot) -> tuple:
    """(the dict a slot that is no closure cell lives in, its key there)."""
    where = _code_of(fn)
    assert where is not None  # (a slot that is no closure cell came from _moving, which read fn's code)
    g = where[1]
    if type(slot) is str:
        return g, slot
    if slot[0] == "item":
        return g[slot[1]], slot[2]
    return fn.__dict__, slot[1]


def closure_tensors(fn, args) -> tuple:
    """((slot, Tensor), ...) to lift: a slot is a closure cell's index, or names a box item (_moving); () where none."""
    found = _moving(fn)
    closure = fn.__closure__ if type(fn) is types.FunctionType else None
    for k, c in enumerate(closure or ()):
        try:
            v = c.cell_contents
        except ValueError:  # (a cell not filled yet)
            continue
        if _plain(v):
            found.append((k, v))
    if found:
        given = {id(a.__dict__.get("_gs_stands_for", a)) for a in args if isinstance(a, Tensor)}
        found = [(k, v) for k, v in found if id(v) not in given]
    return tuple(found)


def kind(lifts: tuple) -> tuple:
    """What a derivative cache's kind adds for these lifts (traces with other cells lifted are other programs)."""
    return ("lifted",) + tuple(k for k, _ in lifts)


def program(fn, traced: Callable, lifts: tuple, n: int) -> Callable:
    """traced (a program of the call's n arguments) as a program of those and the lifted Tensors after them."""
    cells = [fn.__closure__[k] if type(k) is int else None for k, _ in lifts]
    boxes: list[Any] = [None if type(k) is int else _box(fn, k) for k, _ in lifts]  # ((dict, key): a global, an item...)
    names = {(id(b[0]), b[1]) for b in boxes if b is not None}

    def lifted(*a):
        syms = a[n:]
        saved = active[0]
        active[0] = ({id(t): s for (_, t), s in zip(lifts, syms)}, {id(c) for c in cells if c is not None}, names)
        for c, b, s in zip(cells, boxes, syms):
            if c is None:
                b[0][b[1]] = s
            else:
                c.cell_contents = s
        try:
            return traced(*a[:n])
        finally:  # (what the traced code stored there itself stays: a construct's `self.h = h`)
            for c, b, s, (_, t) in zip(cells, boxes, syms, lifts):
                if c is None:
                    if b[0].get(b[1]) is s:
                        b[0][b[1]] = t
                elif c.cell_contents is s:
                    c.cell_contents = t
            active[0] = saved

    return lifted
