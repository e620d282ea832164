"""`mindspore.common.api`: jit / ms_function, _no_grad."""
from .._jit import jit, ms_function
from .._nograd import _no_grad

__all__ = ["jit", "ms_function", "_no_grad"]
