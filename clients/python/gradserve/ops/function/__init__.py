"""`mindspore.ops.function`: the op and derivative functions, the names of `ops.functional` (which
defines them; this package re-exports, so a function added there appears here too)."""
from .. import functional as _functional
from . import grad as _grad_package  # noqa: F401  (first: the function `grad` below then wins the name)
from ..functional import *  # noqa: F401,F403

__all__ = list(_functional.__all__)


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_functional, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


from . import array_func  # noqa: E402,F401  (ops.function.array_func.gather_ext, as MindSpore's tests call it)
from . import nn_func  # noqa: E402,F401  (ops.function.nn_func.interpolate_ext, as MindSpore's tests call it)
