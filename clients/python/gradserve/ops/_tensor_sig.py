"""MindSpore 2.10's Tensor method signatures, where one method takes several calling forms (its NumPy-style
and its PyTorch-style overloads): `x.sum(1, True)`, `x.sum(axis=1, keepdims=True)`, `x.sum(dim=1)`, ...
Each function takes (tensor, *args, **kwargs) as the method got them, settles the arguments, and runs
the one op that does the work. Forms checked in MindSpore 2.10 (CPU) for this task; where MindSpore's CPU
build rejects a documented form (repeat, var(dim=...)) the documented signature is followed."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import dtype as _dt
from .._calling_errors import primitive_type
from .._late import late
from .._misc import MutableBool
from ._axis_range import DIM_OUT_OF_RANGE, checked_axis
from ._extra import P
from ._half_precision import in_float32
from ._ms_names import moment_axes, squared_deviation
from ._ms_prims import index_of
from ._primitives import _compiled, _has_bool, _refuse_bools
from ._reduce_ms import sort as _sort, topk as _topk, tensor_extremum

_UNSET: Any = object()


def _take(name, args, kwargs, i, names, default=None) -> Any:
    """Argument i, positional or under one of `names` (the overloads' spellings); at most one of them."""
    found = [n for n in names if n in kwargs]
    if len(found) > 1 or (found and len(args) > i):
        raise TypeError(f"Tensor.{name}: {' / '.join(names)} given more than once")
    if found:
        return kwargs.pop(found[0])
    return args[i] if len(args) > i else default


def _need(name, value, what):
    if value is None:
        raise TypeError(f"Tensor.{name}: {what} is required")
    return value


def _done(name, args, kwargs, n_pos):
    if kwargs or len(args) > n_pos:
        raise TypeError(f"Tensor.{name}: unexpected arguments {list(args[n_pos:])} {sorted(kwargs)}")


def _flat(x):
    return P.reshape(x, (-1,))


def _refuse_bool_call(name: str, args, kwargs, checked) -> None:
    """A bool among Tensor.<name>'s int arguments (the positions and keywords in `checked`): MindSpore 2.10's
    overload TypeError, its first line listing every argument's type ('Failed calling gather with "gather(Tensor,
    bool)".'); True is no 1 there."""
    given = [args[i] for i in checked if isinstance(i, int) and i < len(args)]
    if any(_has_bool(v) for v in given + [kwargs[k] for k in checked if isinstance(k, str) and k in kwargs]):
        form = ", ".join([primitive_type(a, True) for a in args] +
                         [f"{k}={primitive_type(v, True)}" for k, v in kwargs.items()])
        raise TypeError(f'Failed calling {name} with "{name}({form})".\nThe valid calling should be:\n'
                        f'"Tensor.{name}(...)" with int arguments')


def _refuse_bool_sizes(name: str, what: str, sizes) -> None:
    """A bool among Tensor.repeat's / expand's sizes: MindSpore 2.10's text ("repeat(): argument 'repeats' (position 1)
    must be tuple of int but found type of bool at pos 0."; a tuple given whole is its "type of tuple at pos 0")."""
    for i, s in enumerate(sizes):
        if _has_bool(s):
            kind = type(s).__name__ if isinstance(s, (tuple, list)) else "bool"
            if name == "repeat" and kind == "bool" and _compiled():  # (its compiler's text, MindSpore 2.10 @jit)
                raise TypeError(f"repeat(): argument 'repeats' (position {i + 1}) must be tuple of int, not bool.\n")
            raise TypeError(f"{name}(): argument '{what}' (position 1) must be tuple of int but found type of {kind} "
                            f"at pos {i}.")


def narrow(x, *args, **kwargs):
    """Tensor.narrow(dim, start, length): ops.narrow's (a bool refused, as MindSpore 2.10's Tensor method does)."""
    _refuse_bool_call("narrow", args, kwargs, (0, 2, "dim", "axis", "length"))
    return late.ops.narrow(x, *args, **kwargs)


def expand(x, *sizes):
    """Tensor.expand(*sizes) / expand(sizes): ops.expand's (a bool refused with MindSpore 2.10's text)."""
    _refuse_bool_sizes("broadcast_to", "shape", sizes)
    if len(sizes) != 1 or isinstance(sizes[0], int):  # x.expand(3, 4): the sizes as one tuple (MindSpore 2.10)
        return late.ops.expand(x, sizes)
    return late.ops.expand(x, *sizes)


def _refuse_bool_axis(name: str, args, kwargs) -> None:
    """A bool as Tensor.<name>'s axis / dim (first positional or keyword): MindSpore 2.10's overload TypeError
    ('Failed calling max with "max(axis=bool)"', "argmax(bool)", ...); True is no axis 1 there."""
    key = next((k for k in ("axis", "dim") if k in kwargs), None)
    v = kwargs[key] if key else (args[0] if args else None)
    if name == "std" and not key and isinstance(v, bool) and _compiled():  # (its compiler's text, MindSpore 2.10 @jit)
        raise TypeError("std(): argument 'dim' (position 1) must be tuple of int, not bool.\n")
    if _has_bool(v):
        form = f"{key}={primitive_type(v)}" if key else primitive_type(v)
        raise TypeError(f'Failed calling {name} with "{name}({form})".\nThe valid calling should be:\n'
                        f'"Tensor.{name}(dim=<int>, ...)" / "Tensor.{name}(axis=<int>, ...)"')


def _arg_extremum(name):
    def f(x, *args, **kwargs):
        """Tensor.argmax(axis=None, keepdims=False) / argmax(dim=None, keepdim=False); None: of the flattened."""
        _refuse_bool_axis(name, args, kwargs)
        axis = _take(name, args, kwargs, 0, ("axis", "dim"))
        keep = _take(name, args, kwargs, 1, ("keepdims", "keepdim"), False)
        _done(name, args, kwargs, 2)
        # MindSpore 2.10: None gives a 0-d index, keepdims or not; argmax int64 indices, argmin int32
        return index_of(name, x, axis, keep, "int64" if name == "argmax" else "int32")
    f.__name__ = name
    return f


argmax, argmin = _arg_extremum("argmax"), _arg_extremum("argmin")


def max(x, *args, **kwargs):  # noqa: A001
    _refuse_bool_axis("max", args, kwargs)
    return tensor_extremum("max", x, args, kwargs)


def min(x, *args, **kwargs):  # noqa: A001
    _refuse_bool_axis("min", args, kwargs)
    return tensor_extremum("min", x, args, kwargs)


def sort(x, *args, **kwargs):
    """Tensor.sort(dim=-1, descending=False, stable=False) / sort(axis=-1, descending=False); always stable."""
    axis = _take("sort", args, kwargs, 0, ("dim", "axis"), -1)
    descending = _take("sort", args, kwargs, 1, ("descending",), False)
    _take("sort", args, kwargs, 2, ("stable",), False)
    _done("sort", args, kwargs, 3)
    return _sort(x, axis, descending)


def topk(x, k, *args, **kwargs):
    """Tensor.topk(k, dim=-1 (None: last), largest=True, sorted=True)."""
    dim = _take("topk", args, kwargs, 0, ("dim",))
    largest = _take("topk", args, kwargs, 1, ("largest",), True)
    srt = _take("topk", args, kwargs, 2, ("sorted",), True)
    _done("topk", args, kwargs, 3)
    return _topk(x, k, dim, largest, srt)


def cumsum(x, *args, **kwargs):
    """Tensor.cumsum(dim, *, dtype=None) / cumsum(axis=None, dtype=None); None: of the flattened."""
    _refuse_bool_axis("cumsum", args, kwargs)
    axis = _take("cumsum", args, kwargs, 0, ("axis", "dim"))
    dtype = _take("cumsum", args, kwargs, 1, ("dtype",))
    _done("cumsum", args, kwargs, 2)
    if dtype is None and x._dtype in ("bool", "int8", "int16", "uint8"):  # MindSpore 2.10's Tensor.cumsum sums these
        dtype = "int32"  # as int32 (uint8 [250, 10] -> Int32 [250, 260]); ops.cumsum keeps the dtype
    x = x if dtype is None else P.cast(x, dtype)
    return P.cumsum(_flat(x), axis=0) if axis is None else P.cumsum(x, axis=int(axis))


def flip(x, *args, **kwargs):
    """Tensor.flip(dims): a tuple / list of axes (MindSpore 2.10 rejects a bare int; it is taken here too)."""
    dims = _take("flip", args, kwargs, 0, ("dims",))
    _done("flip", args, kwargs, 1)
    dims = _need("flip", dims, "dims")
    _refuse_bools(dims, "ReverseV2", "ReverseV2(axis={t})(input=Tensor)",
                  "ReverseV2(axis=<list of int, tuple of int>)(input=<Tensor>)")
    dims = [dims] if isinstance(dims, numbers.Integral) else list(dims)
    if any(not isinstance(d, numbers.Integral) for d in dims):  # (a float axis: MindSpore 2.10's TypeError)
        raise TypeError(f'Failed calling ReverseV2 with "ReverseV2(axis={primitive_type(tuple(dims))})(input=Tensor)".'
                        '\nThe valid calling should be: \n"ReverseV2(axis=<list of int, tuple of int>)(input=<Tensor>)".')
    if x.ndim == 0:
        raise ValueError("For primitive[ReverseV2], the rank of x must be not equal to 0, but got 0.")
    for i, d in enumerate(dims):
        if not -x.ndim <= int(d) < x.ndim:
            raise ValueError(f"For 'ReverseV2', the 'axis[{i}]' must be in range of [-{x.ndim}, {x.ndim}), but got "
                             f"{int(d)} with type 'int'.")
    seen = [int(d) % x.ndim for d in dims]
    twice = [d for i, d in enumerate(seen) if d in seen[:i]]
    if twice:  # flipped once or twice (not at all)? MindSpore 2.10 refuses, with this text
        raise ValueError(f"For ReverseV2, 'axis' cannot contain duplicate dimensions, but got {twice[0]}")
    return P.flip(x, axis=[int(d) for d in dims])


def _moments(name, x, args, kwargs):
    """(axis, ddof, keepdims) of std / var: (axis=None, ddof=0, keepdims=False) or (dim=None, *,
    correction, keepdim=False). MindSpore 2.10 gives ddof 0 also for std(dim=1) (its CPU kernel; the doc
    says correction=1), so 0 is the default in both forms; unbiased=True (PyTorch's) means ddof 1."""
    axis = _take(name, args, kwargs, 0, ("axis", "dim"))
    ddof = _take(name, args, kwargs, 1, ("ddof", "correction"), _UNSET)
    unbiased = kwargs.pop("unbiased", None)
    keep = _take(name, args, kwargs, 2, ("keepdims", "keepdim"), False)
    _done(name, args, kwargs, 3)
    if unbiased is not None:
        if ddof is not _UNSET:
            raise TypeError(f"Tensor.{name}: give ddof / correction or unbiased, not both")
        ddof = 1 if unbiased else 0
    return axis, 0 if ddof is _UNSET else int(ddof), bool(keep)


@in_float32  # float16 / bfloat16 rounded once, as ops.var (and MindSpore 2.10's kernel for std)
def var(x, *args, **kwargs):
    """sum((x - mean)^2) / (n - ddof) over axis (None: all)."""
    _refuse_bool_axis("var", args, kwargs)
    axis, ddof, keep = _moments("var", x, args, kwargs)
    axes = moment_axes(x, int(axis) if isinstance(axis, numbers.Integral) else axis)
    n = 1
    for a in axes:
        n *= x.shape[int(a)]
    # MindSpore 2.10 divides by n - ddof whatever it is: inf at n = ddof (NaN where the sum is 0: one element with
    # ddof 1), negative past it; over no elements NaN whatever ddof is (0 / -1 would be -0.0)
    scale = math.nan if n == 0 else 1.0 / (n - ddof) if n != ddof else math.inf
    if not (x._dtype.startswith(("float", "complex")) or x._dtype == "bfloat16"):  # integers as float32, as ops.var:
        x = P.cast(x, "float32")  # their own mean truncates and uint8 deviations wrap (uint8 var was 124.5 for 5457)
    return P.mul(P.sum(squared_deviation(x, axes), list(axes), keep), scale)


@in_float32
def std(x, *args, **kwargs):
    """sqrt(var) with var's arguments."""
    _refuse_bool_axis("std", args, kwargs)
    return P.sqrt(var(x, *args, **kwargs))


def squeeze(x, *args, **kwargs):
    """Tensor.squeeze(axis=None): squeeze(), squeeze(0), squeeze((0, 1)), squeeze(axis=0); squeeze(0, 2) is MindSpore
    2.10's TypeError (its overload text: _overload_errors)."""
    axis = _take("squeeze", args, kwargs, 0, ("axis",))
    _done("squeeze", args, kwargs, 1)
    _int_axes("squeeze", axis)
    return P.squeeze(x, axis)


def _int_axes(where: str, axis) -> None:
    """None, an int or a sequence of ints, else MindSpore's TypeError (a float axis was truncated)."""
    items = axis if isinstance(axis, (tuple, list)) else () if axis is None else (axis,)
    if any(isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in items):
        raise TypeError(f"For '{where}', the 'axis' must be an int or a tuple of ints, but got {axis!r}")


def transpose(x, *args):
    """Tensor.transpose(dim0, dim1) (two axes swapped) / transpose(*axes) (a permutation, none: reversed)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    bad = [i for i, a in enumerate(args) if isinstance(a, bool) or not isinstance(a, numbers.Integral)]
    if bad:  # (a float axis was truncated) MindSpore 2.10's TypeError; its text for the (dim0, dim1) form
        name = ("dim0", "dim1")[bad[0]] if len(args) == 2 else "axes"
        raise TypeError(f"transpose(): argument '{name}' (position {bad[0] + 1}) must be int, not "
                        f"{primitive_type(args[bad[0]], method_form=True)}.")
    if len(args) == 2 and x.ndim != 2:  # on 2-D both forms agree
        perm = list(range(x.ndim))
        a, b = (checked_axis(d, x.ndim, ValueError, DIM_OUT_OF_RANGE) for d in args)
        perm[a], perm[b] = perm[b], perm[a]
        args = tuple(perm)
    return P.transpose(x, [int(a) for a in args] if args else None)


def view(x, *shape):
    """Tensor.view(*shape) / view(shape): reshape (-1 allowed). view(dtype) (a bit cast) is not supported."""
    if _has_bool(shape):  # (MindSpore 2.10's text: "view(bool, int)", "view(Tuple<bool, int>)"; True is no size 1)
        raise TypeError(f'Failed calling view with "view({", ".join(primitive_type(s) for s in shape)})".\nThe valid '
                        'calling should be:\n"Tensor.view(shape=<Tensor, list of int, tuple of int>)"\n'
                        '"Tensor.view(dtype=<mstype>)"')
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        raise NotImplementedError(f"Tensor.view({shape[0]!r}): reinterpreting the bytes as another dtype "
                                  "is not supported; use astype to convert")
    return P.reshape(x, tuple(int(s) for s in shape))


def repeat(x, *repeats):
    """Tensor.repeat(*repeats) / repeat(repeats): the tensor tiled (PyTorch's repeat), as MindSpore 2.10's
    doc says (its CPU build has no kernel for it); more repeats than axes add leading axes."""
    _refuse_bool_sizes("repeat", "repeats", repeats)
    reps = tuple(repeats[0]) if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)) else repeats
    reps = tuple(int(r) for r in reps)
    if len(reps) < x.ndim:
        raise ValueError(f"Tensor.repeat: {len(reps)} repeat(s) for a {x.ndim}-d tensor; give at least one per axis")
    if len(reps) > x.ndim:
        x = P.reshape(x, (1,) * (len(reps) - x.ndim) + tuple(x.shape))
    return P.tile(x, reps)


def gather(x, *args, **kwargs):
    """Tensor.gather(dim, index) (PyTorch's: take_along_axis) / gather(input_indices, axis, batch_dims=0)
    (MindSpore's Gather: whole slices); an int first argument, or dim= / index=, is the first form."""
    _refuse_bool_call("gather", args, kwargs, (0, 1, 2, "dim", "axis", "batch_dims"))
    if "dim" in kwargs or "index" in kwargs or (args and isinstance(args[0], numbers.Integral)):
        dim = _take("gather", args, kwargs, 0, ("dim",))
        index = _take("gather", args, kwargs, 1, ("index",))
        _done("gather", args, kwargs, 2)
        return P.take_along_axis(x, _need("gather", index, "index"), axis=int(_need("gather", dim, "dim")))
    indices = _take("gather", args, kwargs, 0, ("input_indices",))
    axis = _take("gather", args, kwargs, 1, ("axis",))
    batch_dims = _take("gather", args, kwargs, 2, ("batch_dims",), 0)
    _done("gather", args, kwargs, 3)
    if axis is None or indices is None:
        raise TypeError("Tensor.gather(input_indices, axis): both are required")
    return P.gather(x, indices, int(axis), int(batch_dims))


def index_select(x, *args, **kwargs):
    """Tensor.index_select(axis, index) / index_select(dim, index): whole slices along one axis."""
    _refuse_bool_call("index_select", args, kwargs, (0, "axis", "dim"))
    axis = _take("index_select", args, kwargs, 0, ("axis", "dim"))
    index = _take("index_select", args, kwargs, 1, ("index",))
    _done("index_select", args, kwargs, 2)
    return P.gather(x, _need("index_select", index, "index"), int(_need("index_select", axis, "axis")))


def _is_dtype(v) -> bool:
    return isinstance(v, _dt.Type) or (isinstance(v, type) and v in (bool, int, float))


def sum(x, *args, **kwargs):  # noqa: A001
    """Tensor.sum(dim=None, keepdim=False, *, dtype=None) / sum(axis=None, dtype=None, keepdims=False,
    initial=None): a second positional that is a dtype or None, or a third positional, starts the NumPy-style
    form (`x.sum(axis, None, keepdims, initial)` as MindSpore's own tests write it), else it is keepdims."""
    axis = _take("sum", args, kwargs, 0, ("axis", "dim"))
    rest = list(args[1:])
    numpy_form = len(rest) > 1 or (rest and (rest[0] is None or _is_dtype(rest[0])))
    dtype = rest.pop(0) if numpy_form else kwargs.pop("dtype", None)
    keep = rest.pop(0) if rest else _take("sum", (), kwargs, 0, ("keepdims", "keepdim"), False)
    initial = rest.pop(0) if rest else kwargs.pop("initial", None)
    _done("sum", rest, kwargs, 0)
    out = P.sum(x, axis, keep, dtype=dtype)  # (in dtype: int32 stays int32; keep read by P.sum)
    if initial is None:
        return out
    out = P.add(out, initial)  # MindSpore 2.10 casts back to bool only (an int32 sum plus 2.5 is float32)
    return P.cast(out, _dt.bool_) if dtype is not None and _dt.to_name(dtype) == "bool" else out


def _type_name(v) -> str:
    return "None" if v is None else type(v).__name__


def _check_mean_args(axis, keep) -> None:
    """MindSpore 2.10's TypeErrors (its texts, both modes): a float dim, an int or None keepdim."""
    ints = (int, np.integer)
    if not (axis is None or isinstance(axis, ints) or
            (isinstance(axis, (tuple, list)) and all(isinstance(a, ints) for a in axis))):
        raise TypeError(f"mean(): argument 'dim' (position 1) must be tuple of int, not {_type_name(axis)}.")
    if not isinstance(keep, (bool, np.bool_, MutableBool)):
        raise TypeError(f"mean(): argument 'keepdim' (position 2) must be bool, not {_type_name(keep)}.")


def mean(x, *args, **kwargs):
    """Tensor.mean(dim=None, keepdim=False, *, dtype=None) / mean(axis=None, keep_dims=False)."""
    axis = _take("mean", args, kwargs, 0, ("axis", "dim"))
    keep = _take("mean", args, kwargs, 1, ("keep_dims", "keepdim", "keepdims"), False)
    dtype = kwargs.pop("dtype", None)
    _done("mean", args, kwargs, 2)
    _check_mean_args(axis, keep)
    return P.mean(x if dtype is None else P.cast(x, dtype), axis, bool(keep))


def unsqueeze(x, dim):
    """Tensor.unsqueeze(dim) = expand_dims."""
    _refuse_bool_call("unsqueeze", (dim,), {}, (0,))
    return P.expand_dims(x, int(dim))



def split(x, *args, **kwargs):
    """Tensor.split(split_size_or_sections, axis=0) / split(split_size, dim=0): ops.split (a keyword of one form
    with one of the other, split(split_size=4, axis=0), is refused as MindSpore 2.10 does: _overload_errors)."""
    if ("split_size" in kwargs and "axis" in kwargs) or ("split_size_or_sections" in kwargs and "dim" in kwargs):
        raise TypeError("Tensor.split: keywords of two calling forms")
    sizes = _need("split", _take("split", args, kwargs, 0, ("split_size_or_sections", "split_size")),
                  "split_size_or_sections")
    axis = _take("split", args, kwargs, 1, ("axis", "dim"), 0)
    _done("split", args, kwargs, 2)
    return P.split(x, sizes, axis)


def dot(x, *args, **kwargs):
    """Tensor.dot(other): ops.dot (MindSpore 2.10's CPU build: NumPy's dot of tensors of rank >= 2)."""
    other = _need("dot", _take("dot", args, kwargs, 0, ("other",)), "other")
    _done("dot", args, kwargs, 1)
    if not isinstance(other, type(x)):
        raise TypeError(f"Tensor.dot: other must be a Tensor, got {type(other).__name__}")
    return late.ops.dot(x, other)


from ._prod_sig import prod  # noqa: E402,F401  (Tensor.prod: MindSpore 2.10's single form and its TypeErrors)
