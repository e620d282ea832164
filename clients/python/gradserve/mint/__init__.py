"""`gradserve.mint`: MindSpore 2.10's `mindspore.mint`, the PyTorch-style spellings (`dim` / `keepdim`,
`correction`, `max(x, dim)` -> (values, indices)) of ops that `gradserve.ops` has. Each name is the ops
function itself where MindSpore's signatures agree, a keyword rename of it where only the argument names
differ, or a short function below where the meaning differs; so derivatives, dtypes and errors are those of
the ops underneath. Forms checked against MindSpore 2.10 on CPU."""
from __future__ import annotations

import functools

import numpy as np

from .. import ops as _ops
from ..ops import _alpha_arith, _ms_names
from .._calling_errors import failed_calling
from .._tensor import Tensor
from ..ops._primitives import _compiled, _has_bool, _refuse_bools
from ..ops._math_more import full_ext
from . import linalg, nn, special  # noqa: F401  (mint.linalg, mint.nn, mint.nn.functional, mint.special)
from ._flatten import flatten  # noqa: F401
from ._random import (bernoulli, multinomial, normal, rand, rand_like, randint, randint_like,  # noqa: F401
                      randn, randn_like, randperm)
from ._counting import bincount, histc  # noqa: F401
from ._scatter import index_add, scatter, scatter_add  # noqa: F401
from ._torchlike import (addcdiv, addcmul, count_nonzero, diag, dot, empty, empty_like, item,  # noqa: F401
                         kthvalue, linspace, select, take, triangular_solve, unique, vdot)

# the same function in ops (its positional order and keywords are mint's)
_SAME = ("abs", "acos", "acosh", "addmm", "addmv", "arange", "asin", "asinh", "atan", "atanh",
         "bitwise_not", "broadcast_to", "ceil", "cos", "cosh", "cross", "einsum", "erf", "erfc", "erfinv", "exp", "expm1",
         "eye", "floor", "full_like", "inverse", "isclose", "isfinite", "isinf", "isnan", "isneginf", "lerp",
         "log", "log10", "log1p", "log2", "logical_not", "matmul", "mm", "neg", "negative", "ones_like", "outer",
         "pow", "reciprocal", "roll", "rsqrt", "searchsorted", "sigmoid", "sign", "sin", "sinh", "sqrt",
         "square", "swapaxes", "tan", "tanh", "tile", "trace", "tril", "triu", "trunc", "unbind", "unsqueeze",
         "zeros_like", "where", "flip", "logsumexp", "t", "reshape", "real", "imag", "topk", "baddbmm",
         "nan_to_num", "sinc", "frac", "fmax", "fmin", "diagonal_scatter", "cumprod", "nonzero", "addbmm",
         "dstack", "hstack", "exp2", "float_power", "gcd", "polar", "ravel", "repeat_interleave")
# two operands, called by position or as input= / other= (some ops here take them by position only)
_BINARY = ("mul", "remainder", "fmod", "eq", "ne", "ge", "gt", "le", "lt", "greater", "greater_equal", "less",
           "less_equal", "not_equal", "maximum", "minimum", "logical_and", "logical_or", "logical_xor",
           "bitwise_and", "bitwise_or", "bitwise_xor", "atan2", "arctan2", "xlogy", "floor_divide", "logaddexp",
           "logaddexp2")
# NumPy's spellings of the inverse functions
_ALIASES = {"arctanh": "atanh", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh", "arctan": "atan"}
# only the keyword names differ: mint keyword -> the ops function's
_DIM = {"dim": "axis"}
_KEEP = {"dim": "axis", "keepdim": "keep_dims"}
_KEEPS = {"dim": "axis", "keepdim": "keepdims"}
_RENAMED = {
    "unique_consecutive": ("unique_consecutive", {}),
    "all": ("all", _KEEP), "any": ("any", _KEEP),
    "amax": ("amax", _KEEPS), "amin": ("amin", _KEEPS), "argmin": ("argmin", _KEEPS),
    "argsort": ("argsort", _DIM), "cat": ("cat", _DIM), "concat": ("concat", _DIM), "stack": ("stack", _DIM),
    "split": ("split", _DIM), "cummax": ("cummax", _DIM), "cummin": ("cummin", _DIM),
    "cumsum": ("cumsum", _DIM), "permute": ("permute", {"dims": "axis"}), "squeeze": ("squeeze", _DIM),
    "softmax": ("softmax", _DIM), "bmm": ("bmm", {"input": "input_x"}), "mv": ("mv", {"input": "mat"}),
    "fix": ("trunc", {}), "clip": ("clamp", {}), "clamp": ("clamp", {}),
    "meshgrid": ("meshgrid", {}), "nansum": ("nansum", _KEEPS),
}


def _binary(op, mint_name: str):
    @functools.wraps(op)
    def call(input, other):  # noqa: A002 - MindSpore's names
        return op(input, other)
    call.__name__ = call.__qualname__ = mint_name
    return call


def _renamed(op, names: dict, mint_name: str):
    @functools.wraps(op)
    def call(*args, **kwargs):
        return op(*args, **{names.get(k, k): v for k, v in kwargs.items()})
    call.__name__ = call.__qualname__ = mint_name
    return call


globals().update({n: getattr(_ops, n) for n in _SAME})
globals().update({n: getattr(_ops, op) for n, op in _ALIASES.items()})
globals().update({n: _binary(getattr(_ops, n), n) for n in _BINARY})
globals().update({n: _renamed(getattr(_ops, op), names, n) for n, (op, names) in _RENAMED.items()})
isnan = _ms_names.isnan  # MindSpore 2.10's mint.isnan(1.0) is Tensor(False) (ops.isnan(1.0): TypeError)


def add(input, other, *, alpha=1):  # noqa: A002
    """input + alpha * other."""
    return _alpha_arith.add_ext(input, other, alpha)


def sub(input, other, *, alpha=1):  # noqa: A002
    """input - alpha * other."""
    return _alpha_arith.sub_ext(input, other, alpha)


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    """ops.diff with dim; a bool n reads as an int and a bool dim is Narrow's TypeError (MindSpore 2.10's mint.diff;
    ops.diff refuses a bool n)."""
    if _has_bool(dim):
        raise failed_calling("Narrow", {}, {"input": input, "dim": dim, "start": 0, "length": 0}, _NARROW)
    if isinstance(n, bool) and _compiled():  # (its compiler's range(n))
        raise TypeError(f"For 'make_range', the 0th input should be a int scalar but got AbstractScalar(Type: Bool, "
                        f"Value: {str(n).lower()}, Shape: NoShape)")
    return _ops.diff(input, int(n) if isinstance(n, bool) else n, dim, prepend, append)


_NARROW = {"input": "Tensor", "dim": "int", "start": "Tensor, int", "length": "int"}


def narrow(input, dim, start, length):  # noqa: A002
    """ops.narrow; a bool dim, start or length is NarrowView's TypeError (MindSpore 2.10; ops.narrow reads a bool
    dim as an int)."""
    if _has_bool(start) and not (_has_bool(dim) or _has_bool(length)) and _compiled():  # (its compiler's text)
        raise TypeError('Failed calling NarrowView with "start=Bool".\nThe valid calling should be: "input=<Tensor>, '
                        'dim=<int>, start=<Tensor, int>, length=<int>".')
    if _has_bool(dim) or _has_bool(start) or _has_bool(length):  # (any: mint.any here)
        raise failed_calling("NarrowView", {}, {"input": input, "dim": dim, "start": start, "length": length}, _NARROW)
    return _ops.narrow(input, dim, start, length)


def index_select(input, dim, index):  # noqa: A002
    """ops.index_select; a bool dim is IndexSelect's TypeError (MindSpore 2.10; ops.index_select reads it as int)."""
    if _has_bool(dim):
        raise failed_calling("IndexSelect", {}, {"input": input, "dim": dim, "index": index},
                             {"input": "Tensor", "dim": "int", "index": "Tensor"})
    return _ops.index_select(input, dim, index)


def chunk(input, chunks, dim=0):  # noqa: A002
    """ops.chunk with dim; an empty axis gives `chunks` empty pieces (MindSpore 2.10's mint.chunk; ops.chunk
    gives one)."""
    pieces = _ops.chunk(input, chunks, dim)
    return pieces * int(chunks) if input.shape[dim] == 0 else pieces


def masked_select(input, mask):  # noqa: A002
    """The elements of input where mask (broadcast) is True, as a 1-d Tensor."""
    return _ops.masked_select(input, mask)


def div(input, other, *, rounding_mode=None):  # noqa: A002 - MindSpore's names
    """input / other; rounding_mode 'floor' or 'trunc' rounds the quotient (ops.div's)."""
    return _ops.divide(input, other, rounding_mode=rounding_mode)


divide = div


def _extremum(name: str, input, dim=None, keepdim=False, *, other=None):  # noqa: A002
    # max(input, other): elementwise; a bool dim is other there (MindSpore 2.10: mint.max(x, True) is maximum(x, 1))
    if isinstance(dim, (Tensor, bool)) or other is not None:
        return getattr(_ops, "maximum" if name == "max" else "minimum")(input, dim if other is None else other)
    values, indices = getattr(_ops, name)(input, dim, bool(keepdim))
    return values if dim is None else (values, indices)


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    """ops.argmax; a bool input refused, as MindSpore 2.10's mint.argmax (checked: its ArgMaxExt has no bool kernel;
    ops.argmax takes one)."""
    if isinstance(input, Tensor) and input._dtype == "bool":
        raise RuntimeError("mint.argmax: a bool input is not supported (MindSpore 2.10: The kernel ArgMaxExt "
                           "unregistered); cast it to an integer dtype first")
    return _ops.argmax(input, dim, keepdim)


def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001,A002
    """max(input): the largest element; max(input, dim, keepdim=False): (values, int64 indices);
    max(input, other Tensor): the elementwise maximum."""
    return _extremum("max", input, dim, keepdim, other=other)


def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001,A002
    """min(input) / min(input, dim, keepdim=False) -> (values, indices) / min(input, other), as max."""
    return _extremum("min", input, dim, keepdim, other=other)


def var(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    """variance over dim (all dims when None) with `correction` (Bessel's 1 by default) subtracted from N."""
    return _ops.var(input, dim, ddof=int(correction), keepdims=bool(keepdim))


def std(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    """standard deviation, as var."""
    return _ops.std(input, dim, ddof=int(correction), keepdims=bool(keepdim))


def var_mean(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    """(var, mean) over dim."""
    return var(input, dim, correction=correction, keepdim=keepdim), _ops.mean(input, dim, bool(keepdim))


def std_mean(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    """(std, mean) over dim."""
    return std(input, dim, correction=correction, keepdim=keepdim), _ops.mean(input, dim, bool(keepdim))


def full(size, fill_value, *, dtype=None):
    """mint.full: ops.full's, but a number without dtype gives its own dtype (bool, int64, float32); a bool among the
    sizes is MindSpore 2.10's FillScalar TypeError (ops.full's is FillV2's)."""
    _refuse_bools(size, "FillScalar", "FillScalar()(size={t}, fill_value=" + type(fill_value).__name__ +
                  ", dtype=mindspore.dtype)", "FillScalar()(size=<list of int, tuple of int>, fill_value=<number>, "
                  "dtype=<mindspore.dtype>)")
    return full_ext(size, fill_value, dtype=dtype)


def sort(input, *, dim=-1, descending=False, stable=False):  # noqa: A002
    """(values, indices) along dim; always stable here (stable=True's order)."""
    return _ops.sort(input, dim, descending)


def transpose(input, dim0, dim1):  # noqa: A002
    """input with dims dim0 and dim1 swapped (PyTorch's transpose; ops.transpose takes a permutation)."""
    if _has_bool((dim0, dim1)):  # (MindSpore 2.10's; ops.swapaxes reads True as 1)
        raise failed_calling("TransposeExtView", {}, {"input": input, "dim0": dim0, "dim1": dim1},
                             {"input": "Tensor", "dim0": "int", "dim1": "int"})
    return _ops.swapaxes(input, dim0, dim1)


def gather(input, dim, index):  # noqa: A002
    """out[i][j] = input[index[i][j]][j] for dim 0 (PyTorch's gather; ops.gather is Gather by indices)."""
    return _ops.gather_elements(input, dim, index)


def zeros(size, *, dtype=None):
    """a Tensor of zeros of shape size (float32 by default)."""
    return _ops.zeros(size, dtype)


def ones(size, *, dtype=None):
    """a Tensor of ones of shape size (float32 by default)."""
    return _ops.ones(size, dtype)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of x1 and x2 (compute_mode picks a kernel on devices; one here)."""
    return _ops.cdist(x1, x2, p)


def clone(input):  # noqa: A002
    """a copy of input (a new Tensor, the gradient flows through)."""
    return _ops.identity(input)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """whether |input - other| <= atol + rtol * |other| everywhere (a Python bool)."""
    return bool(_ops.isclose(input, other, rtol, atol, equal_nan).all()._host_copy())


def equal(input, other):  # noqa: A002
    """whether input and other have the same shape and elements (one bool, PyTorch's equal; ops.equal is
    elementwise)."""
    if tuple(input.shape) != tuple(other.shape):
        return Tensor(np.array(False))
    return _ops.all(_ops.equal(input, other))


def median(input, dim=None, keepdim=False):  # noqa: A002
    """the lower median of all elements (dim None), or (values, int64 indices) along dim."""
    return _ops.median(input, dim, keepdim)


def _reduce(op: str, input, dim, keepdim, dtype):  # noqa: A002
    x = input if dtype is None else _ops.cast(input, dtype)
    return getattr(_ops, op)(x, dim, bool(keepdim))


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001,A002
    """the sum over dim (all when None), cast to dtype first when given (ops.sum's: int32 stays int32, bool
    gives a Bool Tensor)."""
    return _ops.sum(input, dim, bool(keepdim), dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """the mean over dim (all when None), cast to dtype first when given."""
    return _reduce("mean", input, dim, keepdim, dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """the product over dim (all when None), cast to dtype first when given and computed in it (an integer dtype
    wraps and stays, as MindSpore 2.10's; without one, ops.prod's int64 for narrower integers)."""
    return _ops.prod(input, dim, bool(keepdim), dtype=dtype)


def round(input, *, decimals=0):  # noqa: A001,A002
    """input rounded half to even at `decimals` places (Tensor.round's)."""
    return input.round(decimals)


def norm(input, p="fro", dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """The p-norm of input's elements (all, or along dim) for a number p; 'fro': the 2-norm of the elements
    (dim at most two axes); 'nuc': the nuclear norm of the matrices on dim (all axes when None)."""
    if isinstance(p, (bool, int, float)):
        return linalg.vector_norm(input, float(p), dim, keepdim, dtype=dtype)
    if p == "fro":
        if isinstance(dim, (list, tuple)) and len(dim) > 2:
            raise ValueError(f"For 'norm', 'dim' may name at most 2 axes for the 'fro' norm, but got {dim!r}.")
        return _ops.vector_norm(input, 2.0, dim, keepdim, dtype=dtype)
    if p == "nuc":
        axes = tuple(range(len(input.shape))) if dim is None else dim
        return _ops.norm(input, "nuc", axes, keepdim, dtype=dtype)
    raise ValueError(f"For 'norm', 'p' must be a number, 'fro' or 'nuc', but got {p!r}.")
