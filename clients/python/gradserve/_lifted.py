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
a Parameter, a Tensor with hooks and a Cell's attribute are not lifted (unchanged)."""
from __future__ import annotations

import types
from typing import Callable

from ._tensor import Tensor

# a plain Tensor's own attributes: one with more carries hooks or stands in for another (not lifted)
_PLAIN_TENSOR = frozenset(("_data", "_trace", "_name", "_shape", "_dtype"))
# while a lifting program traces: ({id(a lifted Tensor): its symbolic input}, {id(a lifted cell)}); else None
active: list = [None]


def closure_tensors(fn, args) -> tuple:
    """((cell index, Tensor), ...) for fn's closure cells to lift; () where none (or fn is no plain function)."""
    if type(fn) is not types.FunctionType:
        return ()
    closure = fn.__closure__
    if not closure:
        return ()
    found = []
    for k, c in enumerate(closure):
        try:
            v = c.cell_contents
        except ValueError:  # (a cell not filled yet)
            continue
        if type(v) is Tensor and v._data is not None and v.__dict__.keys() == _PLAIN_TENSOR:  # (no hooks, no stand-in)
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
    cells = [fn.__closure__[k] for k, _ in lifts]

    def lifted(*a):
        syms = a[n:]
        saved = active[0]
        active[0] = ({id(t): s for (_, t), s in zip(lifts, syms)}, {id(c) for c in cells})
        for c, s in zip(cells, syms):
            c.cell_contents = s
        try:
            return traced(*a[:n])
        finally:
            for c, (_, t) in zip(cells, lifts):
                c.cell_contents = t
            active[0] = saved

    return lifted
