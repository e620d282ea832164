"""`mindspore.ops.function.grad`: the derivative functions (see grad_func).

The package and MindSpore's function `ops.function.grad` share a name: importing this package under
another name (a rename shim, `mindspore.ops.function.grad.grad_func`) rebinds the parent's `grad` to
the package, so the package, called, is the function."""
import sys as _sys
import types as _types

from . import grad_func
from .grad_func import *  # noqa: F401,F403

__all__ = list(grad_func.__all__)


class _CallableModule(_types.ModuleType):
    def __call__(self, *args, **kwargs):
        return grad_func.grad(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule
