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
a Parameter, a Tensor with hooks and a Cell's attribute are not lifted (unchanged).

A module global the function (or a Cell's construct) loads is lifted the same way once it has been seen to change
(a learning rate, a temperature, a schedule Tensor reassigned by the script's loop each step: issue #13): while
the program traces, the module's dict holds the input's symbolic Tensor under that name (the guards skip it,
_pyguard). A global seen with one Tensor only stays a constant of the trace (a fixed table or mask: folded, not
sent per run). A Python number stays a constant (guarded by value: a new value traces anew), as MindSpore 2.10's
jit takes a global number as a constant of its graph (it does not even recompile: a stale value), while its
PyNative reads each step's value; only names the function's own code loads count (a helper's globals: as before)."""
from __future__ import annotations

import dis
import types
from typing import Callable

from ._tensor import Tensor

# a plain Tensor's own attributes: one with more carries hooks or stands in for another (not lifted)
_PLAIN_TENSOR = frozenset(("_data", "_trace", "_name", "_shape", "_dtype"))
# while a lifting program traces: ({id(a lifted Tensor): its symbolic input}, {id(a lifted cell)},
# {(id(a module dict), a lifted global's name)}); else None
active: list = [None]
_KEEP = 1024  # code objects / globals remembered below (a script exec-ing new code each step stays bounded)
_loads: dict = {}  # code -> the global names it (or code nested in it: a lambda, a comprehension) loads
_last: dict = {}  # (id(module dict), name) -> id of the Tensor last seen there, or None once it has changed


def _loaded_globals(code) -> tuple:
    got = _loads.get(code)
    if got is None:
        seen, stack = set(), [code]
        while stack:
            c = stack.pop()
            seen.update(i.argval for i in dis.get_instructions(c) if i.opname == "LOAD_GLOBAL")
            stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        if len(_loads) >= _KEEP:
            del _loads[next(iter(_loads))]
        got = _loads[code] = tuple(sorted(seen))
    return got


def _code_of(fn):
    """(code, module dict) a top-level call of fn runs first: a plain function's, a Cell's construct's; or None."""
    if type(fn) is types.FunctionType:
        return fn.__code__, fn.__globals__
    from . import _pyguard  # (it imports this module)
    construct = getattr(type(fn), "construct", None)
    if type(construct) is types.FunctionType and isinstance(fn, _pyguard.cell_types[0] or ()):
        return construct.__code__, construct.__globals__
    return None


def _plain(v) -> bool:
    return type(v) is Tensor and v._data is not None and v.__dict__.keys() == _PLAIN_TENSOR  # (no hooks, no stand-in)


def _moving_globals(fn) -> list:
    """[(name, Tensor)] of the module globals fn's code loads that hold a plain Tensor that has changed before."""
    where = _code_of(fn)
    if where is None:
        return []
    code, g = where
    found = []
    for name in _loaded_globals(code):
        v = g.get(name)
        if not _plain(v):
            continue
        at = (id(g), name)
        last = _last.get(at, 0)
        if last is None:
            found.append((name, v))
        elif last != id(v):
            if last:  # (another Tensor there before: it changes, lifted from now on)
                _last[at] = None
                found.append((name, v))
            else:
                if len(_last) >= _KEEP:
                    del _last[next(iter(_last))]
                _last[at] = id(v)
    return found


def closure_tensors(fn, args) -> tuple:
    """((slot, Tensor), ...) to lift: a slot is a closure cell's index or a module global's name; () where none."""
    found = _moving_globals(fn)
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
    g = _code_of(fn)[1] if any(c is None for c in cells) else None  # (the module whose globals are lifted)
    names = {(id(g), k) for k, _ in lifts if type(k) is str}

    def lifted(*a):
        syms = a[n:]
        saved = active[0]
        active[0] = ({id(t): s for (_, t), s in zip(lifts, syms)}, {id(c) for c in cells if c is not None}, names)
        for c, (k, _), s in zip(cells, lifts, syms):
            if c is None:
                g[k] = s
            else:
                c.cell_contents = s
        try:
            return traced(*a[:n])
        finally:
            for c, (k, t) in zip(cells, lifts):
                if c is None:
                    g[k] = t
                else:
                    c.cell_contents = t
            active[0] = saved

    return lifted
