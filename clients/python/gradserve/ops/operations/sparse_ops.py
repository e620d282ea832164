"""`mindspore.ops.operations.sparse_ops`: where MindSpore defines some op classes (SparseAddmm, ...); gradserve's are all
in ops, and a name it lacks raises a clear error when used (see _missing.py)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops
from .._sparse_coo_add import SparseAdd  # noqa: F401  (MindSpore 2.10 has it here only)
from .._sparse_reorder import SparseReorder  # noqa: F401  (MindSpore 2.10 has it here only)
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations.sparse_ops", _ops)
