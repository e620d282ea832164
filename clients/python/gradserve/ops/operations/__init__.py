"""`mindspore.ops.operations` (P): the op classes."""
from .. import *  # noqa: F401,F403
from .. import __all__  # noqa: F401

from . import math_ops, nn_ops  # noqa: E402,F401  (MindSpore's submodules, after __all__)
