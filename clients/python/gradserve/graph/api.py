"""`mindspore.graph.api`: jit, _no_grad (as `mindspore.common.api`)."""
from .._jit import jit
from .._nograd import _no_grad

__all__ = ["jit", "_no_grad"]
