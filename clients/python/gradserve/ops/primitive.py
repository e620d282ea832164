"""`mindspore.ops.primitive`: Primitive (the op classes' base) and constexpr."""
from ._primitives import Primitive

__all__ = ["Primitive", "constexpr"]


def constexpr(fn=None, get_instance=True, name=None, reuse_result=True, check=True):
    """MindSpore's decorator for a function computed at compile time on constant arguments. A trace
    runs Python as it goes, so the function is called as it is (its arguments are constants here
    too: Python values, None included, or a Tensor's static shape and dtype). get_instance=False gives
    the operator class (MindSpore's): its instances call the function."""
    def deco(f):
        if get_instance:
            return f

        class CompileOp:  # (MindSpore's class name)
            def __call__(self, *args, **kwargs):
                return f(*args, **kwargs)
        CompileOp.__name__ = name or getattr(f, "__name__", "CompileOp")
        return CompileOp
    if fn is None or not callable(fn):
        return deco
    return deco(fn)
