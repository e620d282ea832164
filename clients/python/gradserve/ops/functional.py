"""`mindspore.ops.functional` (F): the op functions and the derivative functions."""
from . import *  # noqa: F401,F403
from . import __all__ as _ops_all
from ._ms_names import F_ONLY as _F_ONLY  # noqa: E402
from . import _ms_names as _names  # noqa: E402
from ._f_sequences import tuple_setitem  # noqa: E402,F401

globals().update({k: getattr(_names, k) for k in _F_ONLY if k not in _names.F_ALIASES})  # partial, scalar_cast
globals().update({alias: globals()[op] for alias, op in _names.F_ALIASES.items()})  # tensor_add is add...
__all__ = [*_ops_all, *_F_ONLY, "tuple_setitem"]


def __getattr__(name: str):
    """The ops added to the package after this module was imported (ops/__init__'s later topics: interpolate,
    gather_d, ...), by the package's own list (`ops.function.logcumsumexp` as `ops.logcumsumexp`)."""
    import sys
    ops = sys.modules[__name__.rpartition(".")[0]]
    if not name.startswith("__") and name in getattr(ops, "__all__", ()):
        return getattr(ops, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
