"""`mindspore.ops.primitive`: Primitive (the op classes' base), the bases of user-defined primitives
(PrimitiveWithInfer, PrimitiveWithCheck, prim_attr_register) and constexpr."""
import functools
import inspect

from ._primitives import Primitive

__all__ = ["Primitive", "PrimitiveWithInfer", "PrimitiveWithCheck", "prim_attr_register", "constexpr"]


class PrimitiveWithInfer(Primitive):
    """MindSpore's base of a primitive with Python shape/dtype inference (infer_shape, infer_dtype, infer_value).
    gradserve's shapes and dtypes come from the ops that __call__ runs, so the infer methods are not consulted;
    they are kept for the program's own use."""


class PrimitiveWithCheck(Primitive):
    """MindSpore's base of a primitive with Python argument checks (check_shape, check_dtype): kept, not consulted
    (the ops __call__ runs check their own arguments)."""


def prim_attr_register(fn):
    """MindSpore's decorator of a primitive's __init__: Primitive.__init__(self, class name) first, then every
    argument of __init__ (defaults applied) becomes an attribute (add_prim_attr), then __init__ itself runs."""
    @functools.wraps(fn)
    def deco(self, *args, **kwargs):
        Primitive.__init__(self, getattr(type(self), "substitute_name", type(self).__name__))
        bound = inspect.signature(fn).bind(self, *args, **kwargs)
        bound.apply_defaults()
        init_attrs = {}
        for name, value in list(bound.arguments.items())[1:]:  # (after self)
            self.add_prim_attr(name, value)
            init_attrs[name] = value
        self.init_attrs = init_attrs
        fn(self, *args, **kwargs)
    deco.decorated_func = fn  # type: ignore[attr-defined]  # (MindSpore names the undecorated __init__ so)
    return deco


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
