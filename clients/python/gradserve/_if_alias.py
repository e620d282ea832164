"""Python's references across a traced `if`, as MindSpore 2.10's GRAPH_MODE keeps them: a name one side rebinds
while the other leaves it bound to its Tensor (`if x > 1: x = x + 2` then `x += 3`). MindSpore writes the later
in-place write into that Tensor (the caller's argument: x = 0 gives 3 back) when the side that kept it ran, and
not when the other did (x = 5 stays 5); also through `elif`, nested `if`s, unrolled `for` loops, `z = x` before the
`if`, `.add_` after it (/work/scratch_left35/p1.py, a Cell and a jit function, both modes).

The cond's output for such a name is then an alias of that Tensor under a condition (ATTR: (Tensor, (the `if`'s
condition, how each side held it)): the condition's ops are made only where a write needs them); an in-place write of the output (ops/_inplace.write) also writes select(condition, new value, the
Tensor's own) into the Tensor, which may itself be such an alias (one `if` after another). A side of an enclosing
`if` that ends with an alias carries its condition out in a flag Tensor of the enclosing trace, written in place
there (the cond carries such writes as it carries any). Not followed, as MindSpore 2.10's graph does not: an item
assignment (`x[1] = 7` after the `if` leaves the caller's x), a name bound to another argument on a side (`if c:
x = y` then `x += 3` leaves y), a `while` body's rebinding."""
from __future__ import annotations

import numpy as np

from ._inplace_state import depth
from ._late import late
from ._tensor import Tensor
from ._trace import current, graph_semantics

ATTR = "_gs_if_alias"
FLAG = "_gs_if_flag"  # (a flag's writes are no side's own: _branches leaves them out of freeze_inputs' `wrote`)


def side_binding(out, before, flags: dict, key) -> "bool | Tensor":
    """How a side's output `out` for a name bound to Tensor `before` at the `if` holds it: True (the Tensor itself,
    or `unset`: the side returned), a flag Tensor of the enclosing trace holding the condition of an alias of it,
    or False. flags: the flag made for each key on an earlier run of the side."""
    if out is before:
        return True
    alias = out.__dict__.get(ATTR) if isinstance(out, Tensor) else None
    tr = current()
    outer = tr.parent if tr is not None and tr.if_side else None
    if alias is None or alias[0] is not before or outer is None or not depth():
        return False
    flag = flags.get(key)
    if flag is None:
        flag = flags[key] = outer.emit("fill", [], {"shape": [], "value": 1.0, "dtype": "bool"}, [((), "bool")])[0]
        flag.__dict__[FLAG] = True
    late.ops._inplace.write(flag, _condition(alias[1]), "if")
    return flag


def mark(cond: Tensor, state: tuple, joined: tuple, true_side: list, false_side: list) -> None:
    """After a traced `if`: each joined output of a name one side held to its Tensor (side_binding's per side) and
    the other did not becomes that Tensor's alias under the condition the holding side ran."""
    if not graph_semantics():
        return
    for v, o, kt, kf in zip(state, joined, true_side, false_side):
        if o is v or not isinstance(o, Tensor) or (kt is False and kf is False) or (kt is True and kf is True):
            continue
        o.__dict__[ATTR] = (v, (cond, kt, kf))  # (the condition made where a write needs it: `_condition`)


def _condition(k) -> Tensor:
    cond, kt, kf = k
    if kt is True and kf is False:
        return cond
    if kt is False and kf is True:
        return late.ops.logical_not(cond)
    return late.ops.select(cond, _bool(kt), _bool(kf))


def _bool(k) -> Tensor:
    return k if isinstance(k, Tensor) else Tensor(np.asarray(bool(k)))


def follow(t: Tensor, where: str) -> None:
    """t was just written in place: where it is an alias (mark), its Tensor takes the new value under the alias's
    condition."""
    alias = t.__dict__.get(ATTR)
    if alias is None:
        return
    v, k = alias
    late.ops._inplace.write(v, late.ops.select(_condition(k), t, v), where)
