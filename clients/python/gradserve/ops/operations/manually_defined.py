"""`mindspore.ops.operations.manually_defined`: where MindSpore defines some op classes (...); gradserve's are all
in ops, and a name it lacks raises a clear error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations.manually_defined", _ops)

shape_ = _ops.shape  # MindSpore's Shape() instance: the shape of a Tensor as a tuple
