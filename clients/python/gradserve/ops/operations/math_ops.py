"""`mindspore.ops.operations.math_ops`: where MindSpore defines these op classes; gradserve's are all in ops
(MindSpore's tests import e.g. `from mindspore.ops.operations.math_ops import ...`)."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401
from ... import ops as _ops  # noqa: E402
from ._missing import module_getattr  # noqa: E402
from ..._tensor import Tensor as _Tensor  # noqa: E402

import numpy as _np  # noqa: E402



class AddV2:
    """math_ops.AddV2()(x, y): x + y (MindSpore keeps it here only, not in ops)."""

    def __call__(self, x, y):
        return _ops.add(x, y)


__getattr__ = module_getattr("mindspore.ops.operations.math_ops", _ops)  # a name gradserve lacks: an error when used
