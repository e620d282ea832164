"""`mindspore.ops.operations._inner_ops`: where MindSpore defines some op classes (SameTypeShape, ...); gradserve's are all
in ops, and a name it lacks raises a clear error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations._inner_ops", _ops)


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
