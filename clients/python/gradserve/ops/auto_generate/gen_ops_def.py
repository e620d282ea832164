"""`mindspore.ops.auto_generate.gen_ops_def`: gradserve's ops under MindSpore's generated names (see __init__)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ..operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.auto_generate.gen_ops_def", _ops)

from .._alpha_arith import add_ext, sub_ext  # noqa: E402,F401  (add / sub with alpha)


def contiguous(input):  # noqa: A002
    """MindSpore's generated contiguous(input): Tensor.contiguous (input itself, or a contiguous copy of a
    strided view)."""
    return input.contiguous()
