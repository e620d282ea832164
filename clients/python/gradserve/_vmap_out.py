"""vmap's out_axes over an output tree (MindSpore's / JAX's form): an int or None for a whole subtree,
else a tuple / list shaped like the output down to where it names one. Constant outputs (Python numbers)
given an axis come back broadcast along it, a Tensor of the batch size (as MindSpore's vmap)."""
from __future__ import annotations

import numpy as np

from ._tensor import Tensor
from ._trace import flatten
from .errors import ShapeError


def _subs(tdef):
    return tdef[2] if tdef[0] in ("dict", "sparse") else tdef[1]


def _is_leaf(tdef) -> bool:
    return tdef == "*" or tdef[0] in ("static", "pynum")


def _count(tdef) -> int:
    return 1 if _is_leaf(tdef) else sum(_count(s) for s in _subs(tdef))


def _prefix(tdef, axes, whole):
    if axes is None or isinstance(axes, int):
        return [axes] * _count(tdef)
    if _is_leaf(tdef) or len(axes) != len(_subs(tdef)):
        raise ShapeError(f"vmap: out_axes {whole!r} does not match the structure of the outputs")
    return [a for s, ax in zip(_subs(tdef), axes) for a in _prefix(s, ax, whole)]


def _leaf_kinds(tdef) -> list[bool]:
    """Per leaf in order: whether it is a constant (no Tensor behind it)."""
    if _is_leaf(tdef):
        return [tdef != "*" and tdef[0] == "static"]
    return [k for s in _subs(tdef) for k in _leaf_kinds(s)]


def leaf_axes(tdef, out_axes, n_tensors: int, flatten) -> tuple[list, list]:
    """(one axis per Tensor output, one per constant output), in order."""
    try:
        per_leaf = _prefix(tdef, out_axes, out_axes)
    except ShapeError:
        flat = list(flatten(out_axes)[0])  # the older form: one axis per Tensor output, flat
        if len(flat) != n_tensors:
            raise ShapeError(f"vmap: out_axes {out_axes!r} matches neither the structure of the outputs nor "
                             f"their {n_tensors} Tensor(s)") from None
        return flat, [None] * (_count(tdef) - n_tensors)
    kinds = _leaf_kinds(tdef)
    return ([a for a, k in zip(per_leaf, kinds) if not k], [a for a, k in zip(per_leaf, kinds) if k])


def batch_constants(tdef, leaves: list, const_axes: list, size: int):
    """The output tree and its leaves with every constant given an axis made a Tensor of `size` copies."""
    it_leaves, it_axes, out = iter(leaves), iter(const_axes), []

    def walk(d):
        if d == "*" or d[0] == "pynum":
            out.append(next(it_leaves))
            return d
        if d[0] == "static":
            ax = next(it_axes)
            if ax is None:
                return d
            if not isinstance(d[1], (int, float, bool)) or ax not in (0, -1):
                raise ShapeError(f"vmap: out_axes {ax} cannot batch the constant output {d[1]!r}")
            out.append(Tensor(np.full((size,), d[1])))
            return "*"
        subs = [walk(s) for s in _subs(d)]
        return (d[0], d[1], subs) if d[0] in ("dict", "sparse") else (d[0], subs)

    try:
        return walk(tdef), out
    finally:
        del walk  # a recursive closure is a reference cycle holding the leaves: undone here (see unflatten)


def _per_arg(in_axes, args) -> list:
    if in_axes is None or isinstance(in_axes, int):
        return [in_axes] * len(args)
    axes = list(in_axes)
    if len(axes) != len(args):
        raise ShapeError(f"vmap: in_axes has {len(axes)} entries for {len(args)} argument(s)")
    return axes


def _leaf_axes(arg, ax) -> list:
    """One axis per Tensor leaf of `arg` (an int / None for all of them, or a matching structure)."""
    all_leaves = flatten(arg)[0]
    leaves = [x for x in all_leaves if isinstance(x, Tensor)]
    if ax is None or isinstance(ax, int):
        return [ax] * len(leaves)
    axes = flatten(ax)[0]
    if len(axes) == len(all_leaves) != len(leaves):  # one entry per leaf, numbers too (MindSpore's form)
        bad = [a for a, x in zip(axes, all_leaves) if a is not None and not isinstance(x, Tensor)]
        if bad:
            raise ShapeError(f"vmap: in_axes {ax!r} maps a non-Tensor element (axis {bad[0]}); it must be None")
        return [a for a, x in zip(axes, all_leaves) if isinstance(x, Tensor)]
    if len(axes) != len(leaves):
        raise ShapeError(f"vmap: in_axes {ax!r} does not match an argument with {len(leaves)} tensor(s)")
    return axes
