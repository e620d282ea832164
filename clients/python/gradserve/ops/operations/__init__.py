"""`mindspore.ops.operations` (P): the op classes."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401

from . import math_ops, nn_ops  # noqa: E402,F401  (MindSpore's submodules, after __all__)
from . import _grad_ops, _inner_ops, array_ops, image_ops, linalg_ops, manually_defined, other_ops  # noqa: E402,F401
from . import _csr_ops, _rl_inner_ops, _sequence_ops, random_ops, sparse_ops  # noqa: E402,F401
from ._missing import module_getattr as _module_getattr  # noqa: E402
from ... import ops as _ops  # noqa: E402

__getattr__ = _module_getattr("mindspore.ops.operations", _ops)  # a name gradserve lacks: an error when used
