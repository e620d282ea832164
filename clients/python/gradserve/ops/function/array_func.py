"""`mindspore.ops.function.array_func`: where MindSpore defines its array functions (min_ext / max_ext, ...);
gradserve's are all in ops (the same objects); a name it lacks raises a clear error when used."""
from ... import ops as _ops
from ..._tensor import Tensor as _Tensor
from ...ops.operations._missing import module_getattr

__getattr__ = module_getattr("mindspore.ops.function.array_func", _ops)

# MindSpore's module-level primitive instances (axis 0, keep_dims False), which its own code and tests import
arg_max_with_value_ = _ops.ArgMaxWithValue()
arg_min_with_value_ = _ops.ArgMinWithValue()


def gather_ext(input, dim, index):  # noqa: A002
    """MindSpore 2.10's array_func.gather_ext: ops.gather_d (out[i][j] = input[index[i][j]][j] for dim 0, ...)."""
    return _ops.gather_d(input, dim, index)


def _new_filled(name: str):
    def func(input, size, *, dtype=None):  # noqa: A002
        if not isinstance(input, _Tensor):
            raise TypeError(f"For '{name}', 'input' must be a Tensor, but got {type(input).__name__}.")
        prim = "".join(p.capitalize() for p in name.split("_"))
        if isinstance(size, _Tensor):  # (MindSpore 2.10's class and text; gradserve took its values before)
            raise TypeError(f'Failed calling {prim} with "{prim}()(input=Tensor, size=Tensor, dtype=mindspore.dtype)".')
        for i, n in enumerate((size,) if isinstance(size, int) else size):
            if isinstance(n, int) and n < 0:  # (its text; NumPy's "negative dimensions are not allowed" before)
                raise ValueError(f"For primitive[{prim[3:]}], the {i}th dimension of input shape must be greater "
                                 f"than or equal to 0, but got {n}.")
        return getattr(input, name)(size, dtype)
    func.__name__ = name
    func.__doc__ = f"MindSpore 2.10's array_func.{name}(input, size, *, dtype=None): Tensor.{name}."
    return func


new_ones = _new_filled("new_ones")
new_zeros = _new_filled("new_zeros")
