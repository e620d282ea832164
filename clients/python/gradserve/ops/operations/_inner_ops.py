"""`mindspore.ops.operations._inner_ops`: where MindSpore defines some op classes (SameTypeShape, ...); gradserve's are all
in ops, and a name it lacks raises a clear error when used (see _missing.py)."""
import builtins  # (`slice`, `any` below are ops', star-imported)

import numpy as np

from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ._missing import module_getattr
from .._item_assign import setitem
from ..._tensor import Tensor
from .._clip_norm import ClipByNorm  # noqa: F401  (MindSpore's inner clip: an axis's l2 norm)
from ... import dtype as _dt
from ..._top_types import KINDS as _KINDS, TopType as _TopType, tensor_type as _tensor_type

__getattr__ = module_getattr("mindspore.ops.operations._inner_ops", _ops)


class TopTypeof:
    """TopTypeof()(x): x's top-level type, MindSpore 2.10's (gradserve._top_types): tensor_type for a Tensor, float32
    for a float, Int / Bool / Tuple / List / Dictionary / None / Slice / Ellipsis / String for the others."""

    def __call__(self, x):
        if isinstance(x, Tensor):
            return _tensor_type
        if isinstance(x, float):
            return _dt.float32
        for kind, top in _KINDS:
            if isinstance(x, kind):
                return top
        raise TypeError(f"For 'TopTypeof', {type(x).__name__!r} objects have no MindSpore top type here")


class IsInstance:
    """IsInstance()(inst, type_): MindSpore 2.10's check of a constant against a type: a Python int is Int (and
    int64), a float float32 (float_), a bool Bool; number holds all three; list_ / tuple_ their sequences; a
    Tensor only tensor_type."""

    def __call__(self, inst, type_):
        if not isinstance(type_, (_dt.Type, _TopType, _dt._Category)):
            raise TypeError(f"For 'IsInstance', the type of 'type_' should be 'Type', but got type "
                            f"'{type(type_).__name__}'.")
        if type_ is _dt.number:
            return isinstance(inst, (int, float)) and not isinstance(inst, Tensor)
        top = TopTypeof()(inst)
        if top == type_:
            return True
        scalar = {bool: _dt.bool_, int: _dt.int64}.get(type(inst))  # (a float's top type is float32 already)
        return scalar is not None and isinstance(type_, _dt.Type) and scalar == type_


class ConvertToDynamic:
    """ConvertToDynamic(is_dynamic_rank=False)(x): x itself. MindSpore marks its output's shape (or rank)
    unknown to compile a graph for any shape; gradserve traces each input shape as it comes, so there is
    nothing to mark. add_prim_attr (MindSpore's kernel placement, e.g. primitive_target) is kept, not used."""

    def __init__(self, is_dynamic_rank=False):
        self.is_dynamic_rank = bool(is_dynamic_rank)
        self.prim_attrs: dict = {}

    def add_prim_attr(self, name, value):
        self.prim_attrs[name] = value
        return self

    def __call__(self, x):
        return x


class TensorCopySlices:
    """TensorCopySlices()(x, value, begin, end, strides): a copy of x with x[b0:e0, b1:e1, ...] = value (one
    slice per leading axis), as a Tensor item assignment: its gradient is the region's to value and the rest
    to x. As MindSpore 2.10's CPU kernel: strides 1 only, a region contiguous in memory, and value holding as
    many elements as the region (that kernel copies value's elements and leaves the rest of the region
    unwritten: refused here), in any shape of that size."""

    def __call__(self, x, value, begin, end, strides):
        begin, end, strides = tuple(begin), tuple(end), tuple(strides)
        if not len(begin) == len(end) == len(strides) <= x.ndim:
            raise ValueError(f"For 'TensorCopySlices', begin {begin}, end {end} and strides {strides} must have the "
                             f"same length, at most x's rank {x.ndim}")
        if builtins.any(s != 1 for s in strides):
            raise RuntimeError(f"The element in step only support 1, but got:{list(strides)}")
        index = tuple(builtins.slice(b, e) for b, e in zip(begin, end))
        region = np.empty(tuple(x.shape), np.bool_)[index].shape
        partial = [k for k, (r, n) in enumerate(zip(region, x.shape)) if r != n]
        if partial and builtins.any(r != 1 for r in region[:partial[-1]]):
            raise RuntimeError("Only support copy continuous memory now. For example tensor[0, 0:100] is fine, but "
                               "tensor[0:100, 0] is not supported.")
        value = value if isinstance(value, Tensor) else Tensor(value, x.dtype)
        if value.size != int(np.prod(region)):
            raise ValueError(f"For 'TensorCopySlices', value of shape {list(value.shape)} does not fill the region "
                             f"{list(region)} of x[{begin}:{end}] (MindSpore 2.10's CPU kernel copies only value's "
                             "elements there)")
        return setitem(x, index, value.reshape(region))
