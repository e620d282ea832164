"""`mindspore.ops._utils.utils` (the part MindSpore's tests import): generate_shape_index."""
from __future__ import annotations


def generate_shape_index(out_shape, indices_shape, axis):
    """The permutation that moves the dimensions a gather along axis took from its indices (rank of indices_shape)
    to the front of its output (rank of out_shape), the others after them in order; a negative axis counts from the
    end of the gathered tensor's shape. MindSpore 2.10: ((3, 2, 3), (2,), 1) -> (1, 0, 2), ((4, 2, 3, 5), (2, 3), -2)
    -> (1, 2, 0, 3)."""
    out_rank, ind_rank = len(out_shape), len(indices_shape)
    if axis < 0:
        axis += out_rank - ind_rank + 1
    gathered = tuple(range(axis, axis + ind_rank))
    return gathered + tuple(i for i in range(out_rank) if not axis <= i < axis + ind_rank)
