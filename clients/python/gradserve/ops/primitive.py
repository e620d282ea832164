"""`mindspore.ops.primitive`: Primitive (the op classes' base) and constexpr."""
from ._primitives import Primitive

__all__ = ["Primitive", "constexpr"]


def constexpr(fn=None, get_instance=True, name=None, reuse_result=True, check=True):
    """MindSpore's decorator for a function computed at compile time on constant arguments. A trace
    runs Python as it goes, so the function is called as it is (its arguments are constants here
    too: Python values, or a Tensor's static shape and dtype)."""
    if fn is None or not callable(fn):
        return lambda f: f
    return fn
