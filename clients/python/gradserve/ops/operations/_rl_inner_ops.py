"""`mindspore.ops.operations._rl_inner_ops`: where MindSpore defines GRUV2 (its flat-weight GRU primitive; see
ops/_recurrent_gru.py). A name gradserve lacks raises a clear error when used (see _missing.py)."""
from ... import ops as _ops
from .._recurrent_gru import GRUV2  # noqa: F401
from ._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.operations._rl_inner_ops", _ops)
