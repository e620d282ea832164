"""`mindspore.ops.auto_generate`: MindSpore generates its op classes (gen_ops_prim) and functions
(gen_ops_def) into this package; here both are gradserve's ops under MindSpore's names (aliases), and a name
gradserve lacks raises a clear error when used (see ops/operations/_missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from ..operations import _grad_ops
from ..operations._missing import module_getattr
from . import gen_ops_def, gen_ops_prim  # noqa: E402,F401
from .gen_ops_def import contiguous  # noqa: E402,F401

__getattr__ = module_getattr("mindspore.ops.auto_generate", _ops, _grad_ops)  # (MindSpore generates its grad primitives here too: MinimumGrad...)

from .._group_norm_prim import GroupNorm  # type: ignore[assignment]  # noqa: E402,F401  (MindSpore's: (y, mean, rstd))
