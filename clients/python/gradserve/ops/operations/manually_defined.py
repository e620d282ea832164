"""`mindspore.ops.operations.manually_defined`: where MindSpore defines some op classes (...); gradserve's are all
in ops, and a name it lacks raises a clear error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from .. import functional as _F
from ._missing import module_getattr

# MindSpore defines its scalar_* primitives (F.scalar_add, ...) here: F's functions are ours
__getattr__ = module_getattr("mindspore.ops.operations.manually_defined", _ops, _F)


def scalar_bool(x):
    """ScalarBool: bool() of a Python number (0 -> False, 2.5 -> True in MindSpore 2.10); not in F there."""
    return bool(x)

shape_ = _ops.shape  # MindSpore's Shape() instance: the shape of a Tensor as a tuple
