"""`mindspore.ops.operations._csr_ops`: MindSpore's CSR op classes (CSRGather); a name gradserve lacks raises a
clear error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from .._sparse_tensor import CSRGather  # noqa: F401
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations._csr_ops", _ops)
