"""MindSpore ops built here from engine ops (composites): shapes, norms, distances, GELU, ranges,
printing, gradient hooks. Their derivatives are those of the engine ops they are made of."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtype as _dt
from .. import _graph_print
from .._hooks import with_grad_rule
from .._late import late  # ops.max / ops.min with their index (an upper layer)
from .._tensor import Tensor
from .._trace import _scalar, _scalar_dtype, _scalar_tensor, apply, current, graph_ints, graph_semantics
from .. import _views
from .._calling_errors import failed_calling, input_dtype_error, tensor_type
from . import _primitives, _tensor_only
from ._half_precision import in_float32, in_float64
from ._int_zero_divisor import floor_mod_where_zero, saturate_where_zero


class _Ops:
    """The op functions by name: MindSpore-signature overrides first, then the generated ones."""

    def __getattr__(self, name):
        return getattr(_primitives, name, None) or _primitives.FUNCTIONS[name]


P = _Ops()


# -- shapes ---------------------------------------------------------------------------------------
def shape(input_x) -> tuple:
    return tuple(input_x.shape)


def rank(input_x) -> int:
    if not isinstance(input_x, Tensor):  # MindSpore 2.10's check and text (PyNative, and ops.rank in both modes)
        raise TypeError("the input x must be Tensor!")
    return len(input_x.shape)


def size(input_x) -> int:
    return int(np.prod(input_x.shape, dtype=np.int64))


def dtype(x):
    return x.dtype


class Shape:
    def __call__(self, x):
        return shape(x)


class Rank:
    def __call__(self, x):
        return rank(x)


class Size:
    def __call__(self, x):
        return size(x)


class DType:
    def __call__(self, x):
        return x.dtype


# -- logical reductions ----------------------------------------------------------------------------
def _count_true(x, axis, keep_dims, negate: bool = False):
    """How many elements (along axis) are true (false with negate), as float32: a count, so an empty axis
    gives 0 (all: True, any: False, as NumPy; a max / min reduction refused it)."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    # each element's truth first (x != 0: NaN true, -0.0 false): a min over floats would take NaN as
    # true beside a zero, and a cast to float32 would make a tiny float64 zero
    truth = x if x._dtype == _dt.bool_ else P.not_equal(x, Tensor(np.zeros((), x._dtype)))
    truth = P.logical_not(truth) if negate else truth
    return P.sum(P.cast(truth, _dt.float32), axis, keep_dims)


def all(input, axis=None, keep_dims=False):  # noqa: A001 - MindSpore's name
    """Whether every element (along axis) is true."""
    return P.equal(_count_true(input, axis, keep_dims, negate=True), Tensor(np.float32(0)))


def any(input, axis=None, keep_dims=False):  # noqa: A001
    """Whether some element (along axis) is true (False over an empty axis: NumPy's; MindSpore 2.10's CPU
    kernel gives True)."""
    return P.greater(_count_true(input, axis, keep_dims), Tensor(np.float32(0)))


# -- norms and distances -----------------------------------------------------------------------------
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - MindSpore's names
    """Vector norms (ord None, 2, 1, inf, -inf, 0 or any p along dim, or of a 1-D input) and matrix norms
    (a 2-D input without dim, or dim a pair: 'fro' / None, 1, -1, inf, -inf, and 2, -2, 'nuc' from singular values)."""
    x = A if dtype is None else P.cast(A, dtype)
    pair = dim if isinstance(dim, (tuple, list)) and len(dim) == 2 else (0, 1) if dim is None and len(x.shape) == 2 else None
    if pair is not None and ord not in (None, "fro"):  # a matrix norm, as MindSpore 2.10 / NumPy define it
        return _matrix_norm(x, ord, (int(pair[0]), int(pair[1])), keepdim)
    if ord not in (None, "fro", 1, 0, math.inf, -math.inf) and isinstance(dim, (int, np.integer)):
        return _vector_norm_zero_safe(x, float(ord), int(dim), keepdim)
    if ord is None or ord == 2 or ord == "fro":  # complex: sqrt(sum |x|^2), in x's dtype (MindSpore 2.10)
        if not _dt.is_float(x.dtype) and x.dtype.name not in _dt.COMPLEX:
            x = P.cast(x, "float32")  # an integer tensor's 2-norm is float32 (MindSpore 2.10; sqrt refused int64)
        return P.sqrt(P.sum(P.square(P.abs(x) if x.dtype.name in _dt.COMPLEX else x), dim, keepdim))
    if ord == 1:
        return P.sum(P.abs(x), dim, keepdim)
    if ord in (math.inf, -math.inf):
        return _first_extreme(P.abs(x), dim, keepdim, ord > 0)
    if ord == 0:
        return P.sum(P.cast(P.not_equal(x, 0.0), x.dtype), dim, keepdim)
    return P.pow(P.sum(P.pow(P.abs(x), float(ord)), dim, keepdim), 1.0 / float(ord))


def _matrix_norm(x, ord, pair: tuple[int, int], keepdim: bool):  # noqa: A002
    """ord 1 / -1: the largest / smallest column sum of |x| (rows over pair[0]); inf / -inf: row sums.
    MindSpore 2.10 gives these for a 2-D input without dim, or dim a pair."""
    r, c = pair
    if ord in (1, -1, math.inf, -math.inf):
        summed, over = (r, c) if ord in (1, -1) else (c, r)
        out = _first_extreme(P.sum(P.abs(x), summed, True), over, True, ord in (1, math.inf))
        return out if keepdim else P.squeeze(out, sorted({r % len(x.shape), c % len(x.shape)}))
    if ord in (2, -2, "nuc"):
        return _singular_value_norm(x, ord, pair, keepdim)
    raise ValueError(f"ops.norm: ord={ord!r} is not a matrix norm; use 2, -2, 1, -1, inf, -inf, 'fro', 'nuc' "
                     "or None (as MindSpore 2.10)")


def _first_extreme(x, dim, keepdim: bool, largest: bool):
    """The max / min of x along one axis (of all of x when dim is None) whose gradient goes to the first extreme
    only: MindSpore 2.10's inf / -inf / 1 / -1 norms (ops.norm, vector_norm, matrix_norm, Tensor.norm) take it by
    ArgMaxWithValue's rule, not ReduceMax's split among ties (norm(x, inf, 1) of rows [1, 3, -3]: [0, 1, 0])."""
    if isinstance(dim, (tuple, list)) and len(dim) == 1:
        dim = dim[0]
    if dim is not None and not isinstance(dim, (int, np.integer)):  # several axes: ReduceMax's split
        return (P.max if largest else P.min)(x, dim, keepdim)
    extreme = late.ops.max if largest else late.ops.min
    if dim is None:
        out = extreme(P.reshape(x, (-1,)), 0, False)[0]
        return P.reshape(out, (1,) * len(x.shape)) if keepdim else out
    return extreme(x, int(dim), bool(keepdim))[0]


def _singular_value_norm(x, ord, pair: tuple[int, int], keepdim: bool):  # noqa: A002
    """ord 2: the largest singular value of each (pair) plane, -2 the smallest, 'nuc' their sum (the engine's
    svd op). At tied extremes the gradient is split equally among them (MindSpore 2.10: I / 3 for the 2-norm
    of the 3x3 identity). An integer or bool input is taken as float32 (MindSpore 2.10: ops.norm / mint.norm of
    int32 [[1, 2], [3, 4]]: 'nuc' 5.8309517, 2 5.4649854, float32; of bools too)."""
    if x.dtype.name == "bool" or x.dtype.name.startswith(("int", "uint")):
        x = P.cast(x, _dt.float32)
    if x.dtype.name not in _dt.FLOAT:
        raise TypeError(f"ops.norm: ord={ord!r} needs a real input, got {x.dtype.name}")
    nd = len(x.shape)
    r, c = pair[0] % nd, pair[1] % nd
    rest = tuple(a for a in range(nd) if a not in (r, c))
    s = apply("svd", [P.transpose(x, rest + (r, c))], {})[1]
    out = {2: P.max, -2: P.min, "nuc": P.sum}[ord](s, -1, False)
    for a in sorted((r, c)) if keepdim else ():
        out = P.expand_dims(out, a)
    return out


def _real_or_abs(x, mag):
    """x where it is real, else |x| (mag): what a 2-norm squares (x * x is smooth at 0, |x| * |x| is not under AD)."""
    return mag if x.dtype.name in _dt.COMPLEX else x


def _vector_norm_zero_safe(x, p: float, dim: int, keepdim: bool):
    """(sum |x|^p)^(1/p) along one axis whose gradient is 0 where the norm is 0: MindSpore 2.10's rule for
    a numeric ord with an int dim (its LpNorm kernel). ord None / 'fro' or no dim keep sqrt(sum x^2),
    whose gradient at 0 is NaN there as in MindSpore 2.10. The root runs on a sum that is 1 where it was
    0 (and is replaced by 0 after), so no inf * 0 reaches the gradient. p = 2 squares a real x itself, not |x|:
    |x|^2's second derivative at an element 0 is 2 sign(0)^2 = 0 (not 2), which gave wrong second-order
    gradients wherever one element was 0 and the norm was not (round 19; MindSpore 2.10's LpNorm and torch give 2)."""
    a = P.abs(x)
    s = P.sum(P.square(_real_or_abs(x, a)) if p == 2.0 else P.pow(a, p), dim, keepdim)
    zero = P.equal(s, 0.0)
    safe = P.select(zero, P.ones_like(s), s)
    root = P.sqrt(safe) if p == 2.0 else P.pow(safe, 1.0 / p)
    return P.select(zero, P.zeros_like(s), root)


def cdist(x1, x2, p=2.0):
    """Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]: [..., P, R]. A pair at
    distance 0 (a point and itself) gets gradient 0, as MindSpore 2.10's CdistGrad and PyTorch give (a plain
    sqrt(sum diff^2) would give 0 * inf = NaN there, for every point of cdist(x, x))."""
    d = P.sub(P.expand_dims(x1, -2), P.expand_dims(x2, -3))
    diff = P.abs(d)
    if p == 1.0:
        return P.sum(diff, -1)
    if p == 0.0:  # the number of coordinates that differ (its derivative is zero)
        return P.sum(P.cast(P.not_equal(diff, P.zeros_like(diff)), diff._dtype), -1)
    if p == math.inf:
        return P.max(diff, -1)
    return _vector_norm_zero_safe(d, float(p), -1, False)


# -- activations -----------------------------------------------------------------------------------
def gelu(input, approximate="none"):
    """GELU: x * Phi(x) ('none', by erf) or its tanh approximation ('tanh'); float tensors only, as MindSpore 2.10
    ("For gelu, the input dtype must be bfloat16, float16, float32 or float64, but got Bool.")."""
    x = input
    if isinstance(x, Tensor) and x.dtype.name not in _dt.FLOAT:
        raise TypeError(f"For gelu, the input dtype must be bfloat16, float16, float32 or float64, but got "
                        f"{x.dtype}.")
    if approximate == "tanh":
        return _gelu_tanh(x)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return P.mul(P.mul(0.5, x), P.add(1.0, P.erf(P.mul(x, 1.0 / math.sqrt(2.0)))))


@in_float32  # float16: MindSpore 2.10 rounds once (in float16 steps 1243 of 8192 values were off, by up to 3823
def _gelu_tanh(x):  # ulps near 0 where x^3 underflows)
    inner = P.mul(math.sqrt(2.0 / math.pi), P.add(x, P.mul(0.044715, P.mul(x, P.mul(x, x)))))
    return P.mul(P.mul(0.5, x), P.add(1.0, P.tanh(inner)))


class GeLU:
    """ops.GeLU(): the tanh approximation (MindSpore's primitive)."""

    def __call__(self, input):  # noqa: A002
        return gelu(input, "tanh")


# -- constants -------------------------------------------------------------------------------------
def arange(start=0, end=None, step=1, *, dtype=None):
    """A range as a constant Tensor (int64 for integer bounds, float32 otherwise, as MindSpore)."""
    if end is None:
        start, end = 0, start
    vals = [float(v) if isinstance(v, Tensor) else v for v in (start, end, step)]
    lo, hi, delta = vals
    if builtins.all(isinstance(v, (int, float, np.number)) for v in vals) and (hi - lo) * delta < 0:
        raise ValueError(f"For arange, step {delta} goes away from end {hi} (start {lo}), as MindSpore's Range")
    is_int = all_int(vals)
    a = np.arange(*vals, dtype=np.int64 if is_int else np.float32)
    return Tensor(a, dtype=dtype)


def all_int(vals) -> bool:
    return builtins.all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in vals)


class Depend:
    """ops.Depend()(value, expr): value (the order of side effects is the trace's)."""

    def __call__(self, value, expr):
        return value


def depend(value, expr):
    return value


class Zeros:
    def __call__(self, size, dtype=None):  # MindSpore's names
        return P.zeros(size, dtype)


class Ones:
    def __call__(self, shape, dtype=None):  # MindSpore's names (Zeros' are size, dtype)
        return P.ones(shape, dtype)


def eye(n, m=None, dtype=None):
    if _primitives._has_bool(n) or _primitives._has_bool(m) or isinstance(n, float) or isinstance(m, float):
        # (MindSpore 2.10's text: a bool or a float n / m; gradserve took int(2.0) before)
        t = _primitives.primitive_type
        raise TypeError(f'Failed calling Eye with "Eye()(n={t(n)}, m={t(n if m is None else m)}, dtype=mindspore.dtype)'
                        '".\nThe valid calling should be: \n"Eye()(n=<int>, m=<int>, dtype=<mindspore.dtype>)".')
    for name, v in (("n", n), ("m", m)):
        if v is not None and int(v) < 0:  # (MindSpore 2.10's text; NumPy's "negative dimensions" before)
            raise ValueError(f"Eye error: {name} value can not be negative.")
    return Tensor(np.eye(int(n), None if m is None else int(m)), dtype=dtype or _dt.float32)


class Eye:
    def __call__(self, n, m, dtype):
        return eye(n, m, dtype)


def flatten(input, order="C", *, start_dim=1, end_dim=-1):  # noqa: A002
    """Dimensions start_dim..end_dim into one (MindSpore 2.x: from axis 1 by default). With the default dims the
    result has a buffer of its own in PyNative (MindSpore 2.10's Flatten, checked: a write into it leaves input;
    ops.flatten(x, start_dim=0) is a view of x there, as here: gradserve._views)."""
    if _primitives._has_bool(start_dim) or _primitives._has_bool(end_dim):
        text = "For 'flatten', both 'start_dim' and 'end_dim' must be int."  # (MindSpore 2.10's; compiled: quoted)
        raise TypeError(f"'{text}'" if _primitives._compiled() else text)
    out = flatten_dims(input, start_dim, end_dim)
    if (start_dim, end_dim) == (1, -1) and current() is None:
        _views.leave(out)
    return out


def flatten_dims(input, start_dim: int, end_dim: int):  # noqa: A002
    """Dimensions start_dim..end_dim of input into one (a reshape: in PyNative a view of input, as Tensor.flatten)."""
    nd = len(input.shape)
    if not (-max(nd, 1) <= start_dim < max(nd, 1) and -max(nd, 1) <= end_dim < max(nd, 1)) \
            and (nd > 1 or (start_dim, end_dim) != (1, -1)):  # rank 0 / 1 also take ops.flatten's defaults
        raise ValueError("'start_dim' or 'end_dim' out of range.")  # MindSpore 2.10's text (never wrapped round)
    if nd <= 1:
        return P.reshape(input, (-1,))
    s, e = start_dim % nd, end_dim % nd
    if s > e:
        raise ValueError("For 'flatten', 'start_dim' cannot come after 'end_dim'.")
    merged = int(np.prod(input.shape[s:e + 1], dtype=np.int64))
    return P.reshape(input, tuple(input.shape[:s]) + (merged,) + tuple(input.shape[e + 1:]))


class Flatten:
    def __call__(self, input_x):
        return flatten(input_x)


def one_hot(indices, depth, on_value: float = 1, off_value: float = 0, axis=-1):
    """A one-hot encoding of integer indices along a new last axis. A Python number as on / off value: int64 for an
    int, float32 for a float (MindSpore 2.10's one_hot(Tensor([0, 2]), 3) is Int64; (1.0, 0) is refused)."""
    on, off = _tensor_of(on_value), _tensor_of(off_value)
    if _primitives._has_bool(depth) and _primitives._compiled():  # (its compiler's text)
        raise TypeError('Failed calling OneHot with "depth=Bool".\nThe valid calling should be: "indices=<Tensor>, '
                        'depth=<Tensor, int>, on_value=<Tensor>, off_value=<Tensor>".')
    if _primitives._has_bool(depth):
        raise failed_calling("OneHot", {"axis": axis}, {"indices": indices, "depth": depth, "on_value": on, "off_value": off},
                             {"indices": "Tensor", "depth": "Tensor, int", "on_value": "Tensor", "off_value": "Tensor"})
    _check_one_hot(indices, int(depth), on, off)
    eq = P.equal(P.expand_dims(indices, -1), Tensor(np.arange(int(depth), dtype=np.dtype(indices.dtype.name))))
    out = P.select(eq, P.broadcast_to(on, tuple(eq.shape)), P.broadcast_to(off, tuple(eq.shape)))
    return out if axis == -1 else P.transpose(out, _move_last(len(eq.shape), axis))


def _tensor_of(v) -> Tensor:
    """A Python number as MindSpore's OneHot reads it: True bool, 1 int64, 1.0 float32."""
    if isinstance(v, Tensor):
        return v
    if isinstance(v, (bool, np.bool_)):
        return Tensor(np.bool_(v))
    return Tensor(np.int64(v) if isinstance(v, (int, np.integer)) else np.float32(v))


def _check_one_hot(indices, depth: int, on, off) -> None:
    """MindSpore 2.10's OneHot refusals, in its order (its venv): a negative depth, indices not int32 / int64, on and
    off values of two dtypes (a float with an int number too: one_hot(i, 3, 1.0, 0)), or neither float16 / float32 /
    int32 / int64."""
    if depth < 0:
        raise ValueError(f"For primitive[OneHot], the depth value must be greater than or equal to 0, but got {depth}.")
    if indices._dtype not in ("int32", "int64"):
        raise input_dtype_error("OneHot", "indices", ("int32", "int64"), tensor_type(indices))
    if on._dtype != off._dtype:
        raise TypeError(f"For primitive[OneHot], the input type must be same.\nname:[off_value]:Tensor[{off.dtype}]."
                        f"\nname:[on_value]:Tensor[{on.dtype}].")
    if on._dtype not in ("float16", "float32", "int32", "int64"):
        raise input_dtype_error("OneHot", "off_value", ("float16", "float32", "int32", "int64"), tensor_type(off))


def _move_last(nd, axis):
    axis = axis % nd
    perm = list(range(nd - 1))
    perm.insert(axis, nd - 1)
    return tuple(perm)


class OneHot:
    def __init__(self, axis=-1):
        self.axis = axis

    def __call__(self, indices, depth, on_value, off_value):
        return one_hot(indices, depth, on_value, off_value, self.axis)


def leaky_relu(input, alpha=0.2):
    """MindSpore 2.10's: maximum(alpha * input, input) (minimum for alpha > 1), so input == 0 is a tie whose
    derivative is split: (1 + alpha) / 2 there. An integer or bool input keeps its dtype, alpha cast to it first
    (MindSpore 2.10: int32 [-7, 5] with 0.2 -> [0, 5], with 2.5 -> [-14, 5]; bool stays bool)."""
    scale = alpha
    if isinstance(input, Tensor) and input._dtype not in _dt.FLOAT and not isinstance(alpha, Tensor):
        scale = Tensor(np.asarray(alpha).astype(input._dtype))
    return (P.maximum if alpha <= 1 else P.minimum)(P.mul(input, scale), input)


class LeakyReLU:
    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def __call__(self, x):
        return leaky_relu(x, self.alpha)


def relu6(x):
    """min(max(x, 0), 6) with MindSpore 2.10's derivative: 0 at x == 0 (relu's), 1 at x == 6 (the clip's
    inclusive bound; minimum would split that tie). float16 / float32 only, as MindSpore's ReLU6 (its texts)."""
    if not isinstance(x, Tensor):
        raise failed_calling("ReLU6", {}, {"x": x}, {"x": "Tensor"})
    if x._dtype not in ("float16", "float32"):
        raise input_dtype_error("ReLU6", "input_x", ("float16", "float32"), tensor_type(x))
    return P.clip(P.relu(x), max=6.0)


class ReLU6:
    def __call__(self, x):
        return relu6(x)


def _as_tensors(x, y):
    """Two operands as Tensors of one dtype (MindSpore's promotion). A Python number as with an operator
    (_trace._scalar_dtype): a float with an integer / bool Tensor is float32, an int with a bool one int64 (it took
    the Tensor's dtype: int32 // 2.5 divided by 2, bool / 2 by True); a list takes the Tensor's dtype."""
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = _scalar_tensor(x, "int32") if graph_ints(x, y) else Tensor(x)  # (a graph's two ints: Int32, _trace.binary)
    if not isinstance(x, Tensor):
        x, y = _number_with(x, y), y if not _scalar(x) else P.cast(y, _scalar_dtype(x, y.dtype.name)[1])
    if not isinstance(y, Tensor):
        y, x = _number_with(y, x), x if not _scalar(y) else P.cast(x, _scalar_dtype(y, x.dtype.name)[1])
    dt = _dt.promote(x.dtype.name, y.dtype.name)
    return P.cast(x, dt), P.cast(y, dt)


def _number_with(v, t: Tensor) -> Tensor:
    """v (a Python number, or a list of them) as the operand beside Tensor t."""
    if _scalar(v):
        return _scalar_tensor(v, _scalar_dtype(v, t.dtype.name)[0])
    return Tensor(np.asarray(v, dtype=np.dtype(t.dtype.name)))


def floor(input):
    """Largest integer <= input (derivative zero, as MindSpore's Floor); float tensors only (MindSpore 2.10
    refuses bool and integer ones: its documented dtypes are float16 / float32 / float64 / bfloat16)."""
    _tensor_only.refuse_dtype("floor", input, integers=False)
    return P.floor(input)  # the engine's op (class Floor is the generated primitive)


@in_float64  # the quotient in float64, as MindSpore 2.10's CPU kernel: a narrower one underflows to -0 (float16
def _floor_quotient(x, y):  # 1.4e-6 // -11456 and float32 1e-39 // -1e30 were -0, MindSpore's -1)
    return floor(P.div(x, y))


def floor_div(input, other):
    """floor(input / other); integers exactly and kept integer; derivative zero."""
    input, other = _as_tensors(input, other)
    if input.dtype.name in _dt.FLOAT:
        return _floor_quotient(input, other)
    if input._dtype.startswith("complex"):  # MindSpore 2.10: floor of the quotient's real part, as a complex
        # (the float64 cast below kept the real parts alone: -7 // (2-1j) was -4, 1 // 3j inf; now -3 and 0)
        return P.cast(floor(P.real(P.div(input, other))), input.dtype)
    if input.dtype.name in ("int64", "uint64"):
        return saturate_where_zero(input, other, _floor_div_64(input, other))
    q = floor(P.div(P.cast(input, _dt.float64), P.cast(other, _dt.float64)))  # exact below 2**53
    return saturate_where_zero(input, other, P.cast(q, input.dtype))


def _floor_div_64(x, y):
    """x // y of int64 / uint64, exact (float64 alone rounds past 2**53: uint64 2**64 - 1 // 1 was 0): the
    importers' computation (importers/_shared/division.py), run on these Tensors. Division by zero gives 0."""
    from ..importers._shared.division import floor_div_64  # (call time: importers import the SDK)
    from ._householder import _writer_class

    w = _writer_class()()
    return w.tensors[floor_div_64(w, w.put(x), w.put(y))]


def floor_mod(x, y):
    """x - floor(x / y) * y: derivatives 1 and -floor(x / y), as MindSpore's FloorMod. Integers: the engine's
    exact remainder (floor_div's float64 quotient is off past 2**53: 2**64 - 1 mod 7 came out 1023)."""
    x, y = _as_tensors(x, y)
    if x.dtype.name.startswith("complex"):  # (ops.remainder takes them: complex_remainder)
        raise TypeError("Select CPU operator[FloorMod] fail! Unsupported data type!\nThe supported data types are "
                        "integers and float16 / float32 / float64 (MindSpore 2.10's FloorMod), but got "
                        f"input[{_dt.get(x.dtype).name.capitalize()} {_dt.get(y.dtype).name.capitalize()}]")
    if x.dtype.name not in _dt.FLOAT:
        return floor_mod_where_zero(y, apply("remainder", [x, y], {})[0])
    return P.sub(x, P.mul(floor_div(x, y), y))


def _complex_by_real_tensor(x, y) -> bool:
    return isinstance(x, Tensor) and isinstance(y, Tensor) and x.dtype.name in _dt.COMPLEX \
        and y.dtype.name not in _dt.COMPLEX


def complex_remainder(x, y):
    """MindSpore 2.10's ops.remainder of complex operands: x - floor_div(x, y) * y, the quotient's real part
    floored (checked: remainder(7-2j, 1+2j) is 7-2j, remainder(-3+4j, 2-1j) is 1+2j); `%` refuses them. A complex x
    by a real Tensor is its TypeError (its Mul kernel takes no complex-by-real pair; a real x by a complex y and a
    complex x by a Python number run)."""
    if _complex_by_real_tensor(x, y):
        raise TypeError("Select CPU operator[Mul] fail! Unsupported data type!\nThe supported data types are "
                        "pairs of one dtype (MindSpore 2.10's remainder of a complex Tensor by a real one), but got "
                        f"input[{_dt.get(x.dtype).name.capitalize()} {_dt.get(y.dtype).name.capitalize()}]")
    x, y = _as_tensors(x, y)
    return P.sub(x, P.mul(floor_div(x, y), y))


class FloorDiv:
    def __call__(self, input, other):  # noqa: A002
        return floor_div(input, other)


class FloorMod:
    def __call__(self, x, y):
        return floor_mod(x, y)


def clip_by_value(x, clip_value_min=None, clip_value_max=None):
    """x limited by maximum / minimum, in x's own dtype (MindSpore's documentation: the result's dtype is x's;
    unlike clamp, float bounds do not make an int x float)."""
    y = x
    if clip_value_min is not None:
        y = P.maximum(y, clip_value_min)
    if clip_value_max is not None:
        y = P.minimum(y, clip_value_max)
    return P.cast(y, x._dtype) if isinstance(x, Tensor) and isinstance(y, Tensor) and y._dtype != x._dtype else y


# -- side effects and gradient hooks ------------------------------------------------------------------
class Print:
    """ops.Print()(*values): prints values; in a GRAPH_MODE / jit graph at each run that passes it, its values
    then (_graph_print, as MindSpore's Print op); elsewhere while traced (a value known then, else its
    description)."""

    def __call__(self, *args):
        if _graph_print.in_graph_run():
            _graph_print.graph_print(*args)
            return
        print(*[a if isinstance(a, (str, Tensor)) else repr(a) for a in args])


def print_(*args):
    Print()(*args)


class InsertGradientOf:
    """ops.InsertGradientOf(f)(x): x forward; the gradient reaching x is replaced by f(dout) (a gradient hook:
    one that records its dout gets its value after the grad call, _hook_probes)."""

    def __init__(self, f):
        self.f = f

    def __call__(self, x):
        if current() is None:
            return x
        made_by = _producer(x)
        compiled = graph_semantics(current())  # (at the call: a @jit body's)
        return with_grad_rule((x,), lambda douts, call: (
            _hook_number(call(self.f, douts[0]), douts[0], made_by, compiled),))


def _producer(x) -> tuple | None:
    """(op, its inputs' names) of the node of the trace being built that computed x, and the same of the first node
    before it whose MindSpore 2.10 bprop does not keep the gradient's shape (past -t and t * c, t / c for a 0-d
    constant c: dout * c keeps a 0-d dout 0-d; None where that walk reaches an input); None for an input of the
    traced function (or a value from outside it)."""
    tr = current()
    if not isinstance(x, Tensor) or tr is None or x._trace is not tr:
        return None
    made = {o: nd for nd in tr.nodes for o in nd["outputs"]}
    nd = made.get(x._name)
    if nd is None:
        return None
    first = (nd["op"], tuple(nd["inputs"]))
    while nd is not None and _shape_keeping(nd, made) is not None:
        nd = made.get(_shape_keeping(nd, made))
    if nd is not None and nd["op"] == "div" and _scalar_const(made, nd["inputs"][0]):
        return first, ("c/t", tuple(nd["inputs"]))  # (c / t: its bprop for t is -dout * out / t, out's shape)
    return first, None if nd is None else (nd["op"], tuple(nd["inputs"]))


def _scalar_const(made: dict, name: str) -> bool:
    """Whether the trace's value `name` is a 0-d constant (a Python number, a 0-d Tensor from outside)."""
    c = made.get(name)
    return c is not None and (c["op"] == "fill" and not c["attrs"].get("shape")
                              or c["op"] == "const" and np.ndim(c["attrs"].get("value")) == 0)


def _shape_keeping(nd: dict, made: dict) -> str | None:
    """The input a gradient of another shape passes through node nd to with its own shape (MindSpore 2.10: Neg,
    Add / Sub / Mul with a 0-d constant, Div by one: `ig(t * 2)` of 4.0 gives a 0-d 8.0, `ig(t + 1)` a 0-d 4.0;
    p10.py, p11.py), or None."""
    ins = nd["inputs"]
    if nd["op"] == "neg":
        return ins[0]
    if nd["op"] not in ("add", "sub", "mul", "div") or len(ins) != 2:
        return None
    if _scalar_const(made, ins[1]):
        return ins[0]
    return ins[1] if nd["op"] != "div" and _scalar_const(made, ins[0]) else None


def _graph_number(g, made_by: str) -> Exception:
    """A Python number an InsertGradientOf hook returns in a compiled graph (GRAPH_MODE, @jit). MindSpore 2.10
    passes it on as a number, not a Tensor: where it reaches the input unchanged the gradient is that number,
    else the bprop of the op that computed the hooked value refuses it (`ig(t * 2)`: TypeError "For
    Operator[Muls], input's type 'Float32' does not match expected type 'Tensor'."; `ig(t.sum())`: RuntimeError
    'Bprop "SumExt" encounter a problem: [The method 'GetShapeVector()' doesn't implement'). gradserve made it a
    Tensor and answered (probes /work/ms_suite_left29/p4.py, p5.py)."""
    kind = "RuntimeError" if made_by in ("sum", "mean") else "TypeError"
    text = (f"InsertGradientOf: in a compiled graph (GRAPH_MODE, @jit) the hook returned the Python "
            f"{type(g).__name__} {g!r} as a gradient; MindSpore 2.10 passes it on as a number, not a Tensor, and "
            f"the bprop of the op that computed the hooked value ({made_by}) refuses it ({kind}: " +
            ("'Bprop \"SumExt\" encounter a problem: [The method \'GetShapeVector()\' doesn\'t implement'"
             if kind == "RuntimeError" else
             "\"For Operator[Mul], input's type 'Float32' does not match expected type 'Tensor'.\"") +
            "): return a Tensor")
    return RuntimeError(text) if kind == "RuntimeError" else TypeError(text)


# Ops whose MindSpore 2.10 bprop multiplies (or divides) the gradient by a value of the op's own shape (sin: dout *
# cos(x), log: dout / x, pow: dout * y * x ** (y - 1), t * t), so a hook result that broadcasts to it comes out of
# the op broadcast, as the engine's rules then compute it (p6.py, p9.py). Not sigmoid / sqrt (their grad kernels
# read the short gradient past its end: MindSpore's values are garbage), tanh / relu (their grad kernels refuse the
# shape), nor an op whose bprop reduces / reshapes it; one that keeps its shape (t * 2: a 0-d 8.0) is walked past
# (_shape_keeping, p10.py).
_BROADCASTING_BPROPS = ("sin", "cos", "tan", "exp", "log", "square", "abs", "pow", "c/t")


def _carried(g, made_by: tuple | None, shape: tuple, dout):
    """A hook result g of `shape` where the gradient dout has another, as the op that computed the hooked value
    passes it on in MindSpore 2.10 (PyNative and GRAPH_MODE alike), or None where that is not dout's shape: broadcast
    to it (_passes_broadcast), or, at a whole sum / mean (a 0-d dout), one element of any shape ((1,), (1, 1)), which
    its bprop reshapes to the kept dims and broadcasts (p8.py: Tensor([5.0]) for `t.sum()` gives [5, 5, 5])."""
    want = tuple(dout.shape)
    t = g if isinstance(g, Tensor) else _scalar_tensor(g, dout._dtype)
    if made_by is not None and _passes_broadcast(made_by[1], shape, want):
        return _primitives.broadcast_to(t, want)
    if made_by is not None and made_by[0][0] in ("sum", "mean") and want == () and math.prod(shape) == 1:
        return _primitives.reshape(t, ())
    return None


def _passes_broadcast(made_by: tuple | None, shape: tuple, want: tuple) -> bool:
    """Whether a hook result of `shape` where the gradient has shape `want` comes out of the op that computed the
    hooked value as itself broadcast to `want`."""
    if made_by is None or len(shape) > len(want):  # (a (1, 2, 3) for (2, 3) comes out (1, 2, 3))
        return False
    op, ins = made_by
    same_operands = op == "mul" and len(ins) == 2 and ins[0] == ins[1]  # t * t
    if op not in _BROADCASTING_BPROPS and not same_operands:
        return False
    return builtins.all(a in (1, b) for a, b in zip(shape[::-1], want[::-1]))  # (`all` here is ops.all)


# How MindSpore 2.10's bprop of the op that computed the hooked value passes on a hook result g of another dtype
# than the gradient it replaces (/work/scratch_left33/p3c.py, p3f.py: Float64, Float16 and Int32 results for a Float32
# sin(t), t / 3, ...; PyNative and GRAPH_MODE): the ops below multiply it by a value of their input's dtype (sin: dout *
# cos(x)), so the input's gradient has the promoted dtype (Float64 for a Float64 g, Float32 for a Float16 or Int32
# one); relu, neg, div, reshape and the input itself keep g's dtype (Int32 through relu: its TypeError); add keeps it
# in GRAPH_MODE / jit and casts it back in PyNative; sigmoid, sqrt, mul, sub, sum cast it back. The engine's gradient
# has the input's dtype, so where MindSpore's would not it is refused (_check_hook_dtype).
_PROMOTING_BPROPS = ("sin", "cos", "exp", "log", "square", "abs", "pow")
_KEEPING_BPROPS = ("relu", "neg", "div", "reshape")


def _check_hook_dtype(g: Tensor, dout, op: str, compiled: bool) -> None:
    """A hook result g of another dtype than the gradient dout it replaces, at the output of op: MindSpore 2.10's
    refusal (tanh in PyNative: its TanhGrad RuntimeError) or the TypeError saying its gradient's dtype would differ."""
    if op == "tanh" and not compiled:
        raise RuntimeError(f"For TanhGrad, the grad type must be same as input type, but got grad_type: "
                           f"{dout.dtype} and x_type: {g.dtype}")
    if op in _PROMOTING_BPROPS:
        differs = _dt.promote(g._dtype, dout._dtype) != dout._dtype
    else:
        differs = op in _KEEPING_BPROPS or (op == "add" and compiled)
    if differs:
        raise TypeError(f"InsertGradientOf: the hook returned a Tensor of dtype {g._dtype} for a {dout._dtype} "
                        f"gradient at the output of {op}; MindSpore 2.10's bprop of {op} passes it on, so the input's "
                        f"gradient is not {dout._dtype} there, where gradserve's would be: return a {dout._dtype} "
                        "Tensor")


def _hook_number(g, dout, made_by: tuple | None = None, compiled: bool = False):
    """An InsertGradientOf hook's result. A tuple / list: its first element in PyNative (MindSpore 2.10 PyNative takes
    it: (d, 5 d) gives d; GRAPH_MODE refuses, as here). A Python float that is no whole number for an integer x is
    refused: MindSpore 2.10 gives it as the gradient (2.5 Float32), where casting it to x's dtype here would truncate
    it (2 Int32). A result of another shape than the gradient it replaces: MindSpore 2.10 carries it on with its own
    shape through each op's bprop; where the op that computed the hooked value makes it the gradient's shape
    (_carried) it is given so, as the engine's gradients (each of its input's shape) then agree; elsewhere (a 0-d
    gradient 4.0 through x * 2 for a (3,) x) it is refused."""
    if isinstance(g, (tuple, list)) and g and not graph_semantics(current()):
        g = g[0]
    if compiled and made_by is not None and isinstance(g, (int, float)):
        raise _graph_number(g, made_by[0][0])
    integer = getattr(dout, "_dtype", "float32").startswith(("int", "uint", "bool"))
    if made_by is None and not compiled and type(g) is int and not integer:
        raise TypeError(f"InsertGradientOf: the hook returned the Python int {g} as the gradient of the {dout._dtype} "
                        f"input itself; MindSpore 2.10 (PyNative) gives it as an Int64 gradient ({g}), or refuses it "
                        f"where the input's other uses add their {dout._dtype} gradient to it (TypeError 'For "
                        f"primitive[Add], the input arguments must have same data type'), gradserve would give "
                        f"{dout._dtype}: return a float or a Tensor")
    if isinstance(g, Tensor) and g._dtype != dout._dtype and made_by is not None:
        _check_hook_dtype(g, dout, made_by[0][0], compiled)
    if made_by is None and compiled and isinstance(g, Tensor) and g._dtype != dout._dtype:
        # (MindSpore 2.10 GRAPH_MODE / jit, /work/scratch_left33/p3c.py: a Float64 gradient; `ig(t) + t` its AddN
        # TypeError 'For primitive[AddN], the input type must be same.')
        raise TypeError(f"InsertGradientOf: the hook returned a Tensor of dtype {g._dtype} as the gradient of the "
                        f"{dout._dtype} input itself; MindSpore 2.10 (GRAPH_MODE, @jit) gives it as a {g.dtype} "
                        f"gradient, or refuses it where the input's other uses add their {dout._dtype} gradient to it "
                        f"(TypeError 'For primitive[AddN], the input type must be same.'), gradserve would give "
                        f"{dout._dtype}: return a {dout._dtype} Tensor")
    if made_by is None and not compiled and isinstance(g, Tensor) and g._dtype != dout._dtype:
        # (MindSpore 2.10 PyNative, /work/ms_suite_left31/probe/p4.py: an Int64 / Float64 Tensor for a Float32 input
        # is the gradient with its own dtype, `ig(t) + t` its Add TypeError; the engine's has the input's dtype)
        raise TypeError(f"InsertGradientOf: the hook returned a Tensor of dtype {g._dtype} as the gradient of the {dout._dtype} "
                        f"input itself; MindSpore 2.10 (PyNative) gives it as a {g.dtype} gradient, or refuses it where "
                        f"the input's other uses add their {dout._dtype} gradient to it (TypeError 'For primitive[Add], "
                        f"the input arguments must have same data type'), gradserve would give {dout._dtype}: return a "
                        f"{dout._dtype} Tensor")
    if isinstance(g, (float, np.floating)) and integer and not float(g).is_integer():
        raise TypeError(f"InsertGradientOf: the hook returned the Python float {g} as the gradient of an {dout._dtype} "
                        f"input; MindSpore 2.10 gives it as a Float32 gradient ({g}), gradserve would truncate it to "
                        f"{dout._dtype}: return a Tensor, or make the input a float one")
    shape = tuple(g.shape) if isinstance(g, Tensor) else () if _scalar(g) else None
    if shape is not None and shape != tuple(dout.shape):
        carried = _carried(g, made_by, shape, dout)
        if carried is not None:
            return carried
        raise ValueError(f"InsertGradientOf: the hook returned a gradient of shape {shape} for one of shape "
                         f"{tuple(dout.shape)}; MindSpore 2.10 passes it on with its own shape through the bprops "
                         f"before it (the input's gradient then has another shape than the input, or a bprop refuses "
                         f"it), which gradserve cannot: return a Tensor of shape {tuple(dout.shape)}")
    return g


__all__ = ["shape", "rank", "size", "dtype", "Shape", "Rank", "Size", "DType", "all", "any", "norm", "cdist",
           "gelu", "GeLU", "arange", "Print", "print_", "InsertGradientOf", "Depend", "depend", "Zeros", "Ones",
           "eye", "Eye", "flatten", "Flatten", "one_hot", "OneHot", "leaky_relu", "LeakyReLU", "relu6", "ReLU6",
           "clip_by_value", "floor", "floor_div", "FloorDiv", "floordiv", "floor_mod",
           "FloorMod", "floormod"]
floordiv, floormod = floor_div, floor_mod
