"""`mindspore.ops.operations.array_ops`: where MindSpore defines some op classes (Unstack, SpaceToDepth, ...);
gradserve's are all in ops (aliased here; SpaceToDepth is ops._opsgap's), ConcatOffsetV1 is composed below, and a
name it lacks raises a clear error when used (see _missing.py)."""
import numpy as np

from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ... import dtype as _dt
from ..._tensor import Tensor as _Tensor
from ..._calling_errors import input_dtype_error, tensor_type
from .._extra import P as _P
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations.array_ops", _ops)


class ConcatOffsetV1:
    """ConcatOffsetV1()(axis, x): x a tuple (>= 2) of int32 shape vectors, axis an int32 Tensor; a tuple of int32
    Tensors, Tensor i the offset at which an array of shape x[i] starts in their concatenation along axis (zeros
    elsewhere). Computed from the values (read where traced: the trace is specialised on them); MindSpore 2.10's
    refusals and texts (CPU, both modes), its kernel's failure for a negative or too large axis and for other
    dimensions that differ."""

    def __call__(self, axis, x):
        from .._tensor_only import _abstract_type
        name = "ConcatOffsetV1"
        if not isinstance(axis, _Tensor):
            raise TypeError(f"For Primitive[{name}], the type of input argument[axis] must be Tensor but got "
                            f"{_abstract_type(axis)}.")
        if axis.dtype != _dt.int32:
            raise input_dtype_error(name, "axis", ("int32",), tensor_type(axis))
        if len(x) < 2:
            raise ValueError(f"For primitive[{name}], the input x tensor num must be greater than or equal to 2, "
                             f"but got {len(x)}.")
        for i, t in enumerate(x):
            if t.dtype != _dt.int32:
                raise input_dtype_error(name, f"tensor{i}", ("int32",), tensor_type(t))
            if t.size != x[0].size:
                raise ValueError(f"For '{name}', tensor{i} element num in input x should be {x[0].size}, which is "
                                 f"element num of tensor0, but got {t.size}.")
        shapes = [_known(t, name) for t in x]
        ax = int(_known(axis, name)[0])
        rank = shapes[0].size
        rest = [np.delete(s, ax) for s in shapes] if 0 <= ax < rank else []
        if not rest or not np.all([np.array_equal(r, rest[0]) for r in rest]):
            raise RuntimeError(f"Launch kernel failed, name:Default/{name}: axis {ax} of shapes "
                               f"{[s.tolist() for s in shapes]}")
        starts = np.concatenate([[0], np.cumsum([s[ax] for s in shapes[:-1]])])
        return tuple(_Tensor(np.where(np.arange(rank) == ax, o, 0).astype(np.int32)) for o in starts)


def _known(t, name: str) -> np.ndarray:
    a = t._value()
    if a is None:
        raise RuntimeError(f"{name}: the value of a traced input is not known in this trace (an exported graph?)")
    return np.asarray(a).reshape(-1)
