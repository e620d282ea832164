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


def get_broadcast_shape(x_shape, y_shape, prim_name, arg_name1="x", arg_name2="y"):
    """The broadcast of two shapes as a list (MindSpore 2.10: ([2, 1, 3], [4, 1]) -> [2, 4, 3], ((), (3,)) -> [3]);
    dimensions that differ with neither 1 are MindSpore's ValueError, naming the first such from the end."""
    out = []
    for i in range(-1, -max(len(x_shape), len(y_shape)) - 1, -1):
        a = x_shape[i] if -i <= len(x_shape) else 1
        b = y_shape[i] if -i <= len(y_shape) else 1
        if a != b and 1 not in (a, b):
            raise ValueError(f"For '{prim_name}', {arg_name1}.shape and {arg_name2}.shape need to broadcast. The value "
                             f"of {arg_name1}.shape[{i}] or {arg_name2}.shape[{i}] must be 1 or -1 when they are not "
                             f"the same, but got {arg_name1}.shape = {list(x_shape)} and {arg_name2}.shape = "
                             f"{list(y_shape)}.")
        out.append(b if a == 1 else a)
    return out[::-1]
