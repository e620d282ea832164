"""One Tensor given twice to a graph (`net(v, v)`, a jit function's `f(p, p)`, a Parameter too): MindSpore 2.10's
GRAPH_MODE keeps two inputs (`a is b` False there: _trace.contained_aliases) over one storage, so an in-place
write through either is seen by the other (`a += 1; return a + b` of v = 2 gives 6, `a += 1; b += 10; return a +
b` 26, and v is 13 after the call; /work/scratch_left35/p2.py, a Cell and a jit function in both modes). Here the
inputs stay two objects, each an in-place write (ops/_inplace.write) also rebinds its twins, in the program's order.
Not matched, MindSpore's unordered reads: a plain read of b before the write through a (`c = b * 1; a += 1; return
c`) gives MindSpore the value after the write (3), ours the value then (2)."""
from __future__ import annotations

from ._late import late
from ._tensor import Tensor

ATTR = "_gs_same_arg"


def repeats(leaves: list) -> "tuple | None":
    """For each Tensor leaf of a call, the first leaf index of its object, where an object comes twice; else None
    (the traces' cache keeps the two apart)."""
    ids = [id(x) for x in leaves if isinstance(x, Tensor)]
    if len(set(ids)) == len(ids):
        return None
    first: dict = {}
    return tuple(first.setdefault(id(x), j) if isinstance(x, Tensor) else j for j, x in enumerate(leaves))


def link(leaves: list, inner: list) -> None:
    """Make the distinct inputs standing for one argument object twins of each other."""
    groups: dict = {}
    for x, s in zip(leaves, inner):
        if isinstance(x, Tensor) and isinstance(s, Tensor):
            group = groups.setdefault(id(x), [])
            if all(s is not t for t in group):
                group.append(s)
    for group in groups.values():
        if len(group) > 1:
            for s in group:
                s.__dict__[ATTR] = tuple(t for t in group if t is not s)


_sharing = [False]


def share(t: Tensor, where: str) -> None:
    """t was just written in place: its twins take the value too (once: not again from theirs)."""
    twins = t.__dict__.get(ATTR)
    if not twins or _sharing[0]:
        return
    _sharing[0] = True
    try:
        for s in twins:
            late.ops._inplace.write(s, t, where)
    finally:
        _sharing[0] = False
