"""`mindspore.ops.auto_generate.gen_ops_prim`: gradserve's ops under MindSpore's generated names (see __init__)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ..operations import _grad_ops
from ..operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.auto_generate.gen_ops_prim", _ops, _grad_ops)  # (MindSpore generates its grad primitives here too: MinimumGrad...)

from .._group_norm_prim import GroupNorm  # type: ignore[assignment]  # noqa: E402,F401  (MindSpore's: (y, mean, rstd))
