"""`vmap(cell_list, in_axes, out_axes)`: MindSpore's model ensembling. The i-th cell of the CellList runs on
the i-th slice of the mapped arguments (an unmapped argument goes whole to every cell) and the outputs are
stacked along out_axes: what vmap over the cells' stacked parameters computes, written as one call per cell
(the cells are separate Cells with their own Parameters, so gradients reach each one's own)."""
from __future__ import annotations

from ._tensor import Tensor
from ._trace import flatten, flatten_out, unflatten
from ._late import late  # (ops is built on the tracing layer this module belongs to)
from ._vmap_out import _leaf_axes, _per_arg, leaf_axes
from .errors import ShapeError


def _slice(x: Tensor, ax: int, i: int) -> Tensor:
    return x[(slice(None),) * (ax % x.ndim) + (i,)]


def ensemble(cells, in_axes, out_axes):

    n = len(cells)
    if n == 0:
        raise ShapeError("vmap: an empty CellList has nothing to map")

    def run(*args):
        per_arg = []
        for a, ax in zip(args, _per_arg(in_axes, args)):
            leaves, tdef = flatten(a)
            axes = iter(_leaf_axes(a, ax))
            lax = [next(axes) if isinstance(x, Tensor) else None for x in leaves]
            for x, la in zip(leaves, lax):
                if la is not None and x.shape[la % x.ndim] != n:
                    raise ShapeError(f"vmap: a CellList of {n} cells maps an axis of size {x.shape[la % x.ndim]}")
            per_arg.append((leaves, tdef, lax))
        outs = []
        for i, cell in enumerate(cells):
            call = [unflatten(tdef, [x if la is None else _slice(x, la, i) for x, la in zip(leaves, lax)])
                    if tdef != "*" else (leaves[0] if lax[0] is None else _slice(leaves[0], lax[0], i))
                    for leaves, tdef, lax in per_arg]
            outs.append(flatten_out(cell(*call)))
        tdef = outs[0][1]
        axes, _ = leaf_axes(tdef, out_axes, len(outs[0][0]), flatten)
        stacked = [outs[0][0][k] if ax is None else late.ops.stack([o[0][k] for o in outs], ax)
                   for k, ax in enumerate(axes)]
        return unflatten(tdef, stacked)

    return run
