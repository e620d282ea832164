"""MindSpore 2.10's functional spellings that are other names for ops already here, or short compositions of
them (forms checked against MindSpore 2.10 on CPU for this task): the comparison aliases gt / ge / lt / le / eq
/ ne, multiply / subtract / divide / negative, isnan / isinf / isfinite (and the IsNan / IsInf / IsFinite
classes), log2 / log10, deg2rad / rad2deg, floor_divide, logical_xor, tanhshrink / softshrink / hardshrink,
softmin, var / std, argsort, isclose, numel / ravel / t, is_tensor / is_floating_point / is_complex,
mse_loss / l1_loss / cross_entropy / kl_div / binary_cross_entropy (and their primitives), the
SoftmaxCrossEntropyWithLogits / SigmoidCrossEntropyWithLogits primitives, and F's
tensor_add / tensor_sub / tensor_mul / tensor_div, partial and scalar_cast; randn / rand / randint (+ _like),
drawn on the client from the generator set_seed seeds, outside traces only. Each derivative is that of the
engine ops it is made of."""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .. import dtype as _dt
from .._calling_errors import refuse_input_dtype
from .._late import late  # CrossEntropyLoss: the training layer is built on ops
from .._misc import random_ops_generator, seeded_generator
from .._tensor import Tensor, _is_bool
from .._trace import number_by_value
from ._extra import P, _as_tensors, floor_div
from ._ms_misc import trunc
from ._int_zero_divisor import trunc_where_zero
from ._doc_math import _float
from ._reduce_ms import sort
from ._math_more import full_like, true_divide
from ._ms_misc import binary_cross_entropy_with_logits
from ._half_precision import in_float32
from ._random_draws import _out

__all__ = ["subtract", "divide", "isnan", "isinf",
           "isfinite", "IsNan", "IsInf", "IsFinite", "log2", "log10", "deg2rad", "rad2deg", "floor_divide",
           "logical_xor", "tanhshrink", "softshrink", "hardshrink", "softmin", "var", "std", "var_mean", "std_mean", "argsort",
           "isclose", "numel", "ravel", "t", "is_tensor", "is_floating_point", "is_complex", "mse_loss", "l1_loss",
           "cross_entropy", "SoftmaxCrossEntropyWithLogits", "randn", "rand", "randint", "randn_like", "rand_like",
           "randint_like",
           "kl_div", "KLDivLoss", "binary_cross_entropy", "BinaryCrossEntropy", "SigmoidCrossEntropyWithLogits"]
# ops.functional only (MindSpore's F): see F_ONLY
F_ONLY = ["tensor_add", "tensor_sub", "tensor_mul", "tensor_div", "partial", "scalar_cast", "is_sequence_value_unknown",
          "is_sequence_shape_unknown", "isconstant", "is_dynamic_sequence_element_unknown", "switch", "scalar_uadd", "scalar_usub", "scalar_log", "scalar_pow",
          "scalar_add", "scalar_sub", "scalar_mul", "scalar_div", "scalar_floordiv", "scalar_mod", "scalar_lt",
          "scalar_eq", "scalar_le", "scalar_gt", "scalar_ge", "scalar_max", "scalar_min"]


# MindSpore's other spellings of ops that exist here under another name: one table, spelling -> the op's name
# here; ops/__init__ binds each spelling to the very op object (ops.gt is ops.greater), so it has that op's
# signature, derivative and errors. Spellings with extra arguments (subtract's alpha, divide's rounding_mode) are
# functions below.
ALIASES = {
    "gt": "greater", "ge": "greater_equal", "lt": "less", "le": "less_equal", "eq": "equal", "ne": "not_equal",
    "multiply": "mul", "negative": "neg",
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh",
    "arctan2": "atan2",
}
F_ALIASES = {"tensor_add": "add", "tensor_sub": "sub", "tensor_mul": "mul", "tensor_div": "div"}  # F's only
floor_divide = floor_div









def subtract(input, other, *, alpha=1):  # noqa: A002
    # MindSpore 2.10: sub(input, alpha * other), so 1 * a bool Tensor other is int64; a Python bool other is a
    # number of the input's dtype (int8 - True is int8, as ops.sub; it was int64, uint8 [0] - True -1 for 255)
    bool_tensor = isinstance(other, Tensor) and other._dtype == "bool"
    scaled = other if alpha == 1 and not _is_bool(alpha) and not bool_tensor else P.mul(other, alpha)
    return P.sub(input, scaled)


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """ops.div: the primitive div (true division), or divide's rounding_mode ('floor' / 'trunc')."""
    return P.div(input, other) if rounding_mode is None else divide(input, other, rounding_mode=rounding_mode)


def divide(input, other, *, rounding_mode=None):  # noqa: A002
    """true division; rounding_mode 'floor' (floor_div) or 'trunc' (towards zero), as ops.div."""
    if rounding_mode is None:
        return true_divide(input, other)
    if rounding_mode == "floor":
        return floor_div(input, other)
    if rounding_mode == "trunc":
        # (an integer input with a float number: float32, as MindSpore 2.10; an int out of an integer input's range
        # divides by its value, the quotient then wrapped into that dtype: uint8 [253] / -3 is 172, as MindSpore)
        x, y = _as_tensors(*number_by_value(input, other))
        q = trunc(true_divide(x, y))
        if _dt.is_float(x.dtype):
            return q
        return trunc_where_zero(x, y, P.cast(P.cast(q, _dt.int64), P._promoted_dtype(input, other) or x.dtype))
    raise ValueError("For ops.div, rounding_mode value should be None, 'floor' or 'trunc'.")  # MindSpore 2.10's text



def _inexact(x) -> bool:
    return _dt.is_float(x.dtype) or x._dtype.startswith("complex")


def isnan(input):  # noqa: A002
    return P.not_equal(input, input)  # NaN alone differs from itself (integers: all False)


def isinf(input):  # noqa: A002
    if not _inexact(input):
        return P.not_equal(input, input)
    # no infinite constant (a graph travels as JSON): |x| above the dtype's largest finite value (NaN: False);
    # complex: a part is infinite where x - x is NaN and x is not NaN
    if input._dtype.startswith("complex"):
        d = P.sub(input, input)
        return P.logical_and(P.equal(input, input), P.not_equal(d, d))
    return P.greater(P.abs(input), float(np.finfo(input._dtype).max))


def isfinite(input):  # noqa: A002
    return P.logical_not(P.logical_or(isnan(input), isinf(input)))


class IsNan:
    def __call__(self, x):
        return isnan(x)


class IsInf:
    def __call__(self, input):  # noqa: A002
        return isinf(input)


class IsFinite:
    def __call__(self, input):  # noqa: A002
        return isfinite(input)


def log2(input):  # noqa: A002
    return P.div(P.log(input), math.log(2.0))


def log10(input):  # noqa: A002
    return P.div(P.log(input), math.log(10.0))


def deg2rad(x):
    return P.mul(x, math.pi / 180.0)


def rad2deg(x):
    return P.mul(x, 180.0 / math.pi)




def logical_xor(input, other):  # noqa: A002
    return P.logical_and(P.logical_or(input, other), P.logical_not(P.logical_and(input, other)))


def _input_or_x(name, input, x) -> Any:  # noqa: A002
    """The tensor under `input` or MindSpore's older keyword `x` (as the generated primitives take it), once."""
    if (input is None) == (x is None):
        raise TypeError(f"ops.{name}: give its tensor once, positionally or as input= (or x=)")
    return input if x is None else x


def sqrt(input=None, *, x=None):  # noqa: A002
    """MindSpore 2.10: an integer tensor's square root is float32 (the engine op takes floats only)."""
    return P.sqrt(_float(_input_or_x("sqrt", input, x)))


def reciprocal(input=None, *, x=None):  # noqa: A002
    """MindSpore 2.10: an integer tensor's reciprocal is float32 (1 / int32 [1, 4] is [1., 0.25])."""
    return P.reciprocal(_float(_input_or_x("reciprocal", input, x)))


def tanhshrink(input):  # noqa: A002
    input = _float(input)  # noqa: A001 - an integer tensor is float32 (MindSpore 2.10)
    return P.sub(input, P.tanh(input))


_SHRINK_DTYPES = ("bfloat16", "float16", "float32")  # MindSpore 2.10's HShrink / SoftShrink (an int: its TypeError)


def softshrink(input, lambd=0.5):  # noqa: A002
    """x - lambd above lambd, x + lambd below -lambd, 0 between."""
    refuse_input_dtype("SoftShrink", "input_x", input, _SHRINK_DTYPES)
    zero = P.zeros_like(input)
    return P.select(P.greater(input, lambd), P.sub(input, lambd),
                    P.select(P.less(input, -lambd), P.add(input, lambd), zero))


def hardshrink(input, lambd=0.5):  # noqa: A002
    refuse_input_dtype("HShrink", "input_x", input, _SHRINK_DTYPES)
    return P.select(P.greater(P.abs(input), lambd), input, P.zeros_like(input))


def softmin(x, axis=-1, *, dtype=None):
    y = P.softmax(P.neg(x), axis)
    return y if dtype is None else P.cast(y, dtype)


def moment_axes(x, axis) -> tuple:
    """The axes var / std reduce: None and () are all of them (MindSpore 2.10: x.std(()) is x.std(); () as
    no axes made n = 1, the sum of squares' root for ddof 0 and NaN for ddof 1), else an int or ints."""
    if axis is None or (isinstance(axis, (tuple, list)) and len(axis) == 0):
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:  # MindSpore 2.10's ValueError (was an IndexError of ours; 0-d: "[-0, 0)", no axis at all)
        if not -x.ndim <= a < x.ndim:
            raise ValueError(f"The 'axis' must be in the range of [-{x.ndim}, {x.ndim}), but got {a}.")
    return axes


def squared_deviation(x, axes) -> Tensor:
    """|x - mean(x over axes)|^2: a complex deviation counts by its modulus (NumPy, PyTorch; squaring it gave a
    complex variance; MindSpore 2.10's CPU refuses complex var)."""
    d = P.sub(x, P.mean(x, list(axes), True))
    return P.add(P.square(P.real(d)), P.square(P.imag(d))) if x._dtype.startswith("complex") else P.square(d)


@in_float32  # float16 / bfloat16 rounded once, as std (bfloat16 was Float32 out of _float)
def var(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """mean squared deviation over axis, times n / (n - ddof) (ddof True is 1: the unbiased estimate). An
    integer input is taken as float32 (as Tensor.var does): its own mean would be truncated (var([1, 2]) was 0)."""
    ddof = int(ddof)
    input = _float(input)  # noqa: A001
    axes = moment_axes(input, axis)
    n = int(np.prod([input.shape[a] for a in axes]))
    dev = squared_deviation(input, axes)
    # n - ddof as MindSpore 2.10 takes it: inf at n = ddof (NaN where the deviations are 0), negative past it
    return P.mul(P.mean(dev, axes, bool(keepdims)), n / (n - ddof) if n != ddof else math.inf)


@in_float32  # float16: MindSpore 2.10 rounds once (the float16 variance's rounding put 107 of 512 rows an ulp off)
def std(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    return P.sqrt(var(input, axis, ddof, keepdims))


@in_float32
def var_mean(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """(var, mean) over axis."""
    axes = moment_axes(input, axis)
    return var(input, axis, ddof, keepdims), P.mean(_float(input), axes, bool(keepdims))


@in_float32
def std_mean(input, axis=None, ddof=0, keepdims=False):  # noqa: A002
    """(std, mean) over axis."""
    v, m = var_mean(input, axis, ddof, keepdims)
    return P.sqrt(v), m


def argsort(input, axis=-1, descending=False):  # noqa: A002
    return sort(input, axis, descending)[1]


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    close = P.less_equal(P.abs(P.sub(input, other)), P.add(P.mul(P.abs(other), rtol), atol))
    # the tolerance test holds for finite pairs only (inf vs -inf: |inf| <= inf); infinities of one sign: equal
    close = P.logical_and(close, P.logical_and(isfinite(input), isfinite(other)))
    close = P.logical_or(close, P.equal(input, other))
    return P.logical_or(close, P.logical_and(isnan(input), isnan(other))) if equal_nan else close


def numel(input) -> int:  # noqa: A002
    return int(np.prod(input.shape, dtype=np.int64))


def ravel(input):  # noqa: A002
    return P.reshape(input, (-1,))


def t(input):  # noqa: A002
    """the transpose of a 2-d tensor; 0-d and 1-d as they are."""
    if input.ndim > 2:
        raise ValueError(f"t: input must be at most 2-d, got shape {list(input.shape)}")
    return P.transpose(input, (1, 0)) if input.ndim == 2 else input


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:  # noqa: A002
    return _dt.is_float(input.dtype)


def is_complex(input) -> bool:  # noqa: A002
    return input._dtype.startswith("complex")


def _reduced(loss, reduction: str, batchmean: bool = False, where: str = "loss"):
    """A loss's elements reduced as MindSpore's 'reduction' names (the one definition the losses share)."""
    if reduction == "batchmean" and batchmean:  # the sum over the batch size (first axis)
        return P.div(P.sum(loss), float(loss.shape[0]) if loss.ndim else 1.0)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"For '{where}', 'reduction' must be 'mean', 'sum' or 'none', but got {reduction!r}.")
    return P.mean(loss) if reduction == "mean" else P.sum(loss) if reduction == "sum" else loss


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """MindSpore 2.10 takes integer operands as float32 (mse_loss of int32 [1, 2] and [0, 0] is 2.5, not 2) and a
    complex squared error as float32 too (its real part)."""
    error = P.square(P.sub(input, target))
    return _reduced(error if _dt.is_float(error.dtype) else P.cast(error, "float32"), reduction)


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    return _reduced(P.abs(P.sub(input, target)), reduction)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):  # noqa: A002
    """nn.CrossEntropyLoss's value as a function (class indices or class probabilities as target)."""
    return late.CrossEntropyLoss(weight, ignore_index, reduction, label_smoothing)(input, target)


def softmax_xent_rows(logits, labels):
    """-sum(labels * log_softmax(logits)) over the last axis, whose gradient is MindSpore's bprop: softmax(logits)
    - labels for logits, none for labels. For labels that do not sum to 1 per row that is not the derivative
    of the value (which is softmax * sum(labels) - labels): MindSpore's nn.ForwardValueAndGrad example, labels
    of ones, prints -1 where the derivative is 0. The value is taken; the gradient is logsumexp's - labels."""
    labels = P.stop_gradient(labels)
    value = P.neg(P.sum(P.mul(labels, P.log_softmax(logits, -1)), -1))
    surrogate = P.sub(P.logsumexp(logits, -1), P.sum(P.mul(labels, logits), -1))
    return P.add(P.stop_gradient(P.sub(value, surrogate)), surrogate)


class SoftmaxCrossEntropyWithLogits:
    """P.SoftmaxCrossEntropyWithLogits()(logits, labels) -> (loss [N], backprop [N, C]): per row
    -sum(labels * log_softmax(logits)) and softmax(logits) - labels, which is also the loss's gradient."""

    def __call__(self, logits, labels):
        if tuple(logits.shape) != tuple(labels.shape) or logits.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropyWithLogits: logits and labels must both be [N, C], got "
                             f"{list(logits.shape)} and {list(labels.shape)}")
        return softmax_xent_rows(logits, labels), P.sub(P.softmax(logits, -1), P.stop_gradient(labels))






# F's compile-time queries of mutable values (gradserve/_dynamic_len.py: what a trace knows)
from .._dynamic_len import (is_dynamic_sequence_element_unknown, is_sequence_shape_unknown,  # noqa: E402,F401
                            is_sequence_value_unknown, isconstant)

partial = functools.partial  # F.partial(fn, *args): fn with its first arguments bound


def switch(cond, true_value, false_value):
    """F.switch(cond, x, y): x if cond else y; cond one element (a traced one decides the branch as `if` does).
    More elements: MindSpore 2.10's ValueError and words."""
    if isinstance(cond, Tensor) and cond.size != 1:
        raise ValueError("The truth value of an array with more than one element is ambiguous. Use a.any() or "
                         f"a.all(): F.switch's condition has shape {list(cond.shape)}")
    return true_value if cond else false_value


def scalar_uadd(x):
    """F.scalar_uadd: +x of a Python number."""
    return +x


def scalar_usub(x):
    return -x


def scalar_log(x):
    """F.scalar_log: the natural log of a Python number, a float (MindSpore 2.10: scalar_log(3) = 1.0986...)."""
    return math.log(x)


def scalar_pow(x, y):
    """F.scalar_pow: x ** y of Python numbers (int ** int is an int, as MindSpore 2.10)."""
    return x ** y


def _divisor(y, text: str = "The divisor could not be zero. But the divisor is zero now."):
    if y == 0:  # (MindSpore 2.10's ValueError, for ints and floats alike)
        raise ValueError(text)
    return y


# F.scalar_*: Python's operators on Python numbers (values checked against MindSpore 2.10: -3 // 2 is -2,
# -3 % 2 is 1, scalar_div(3, 2) is 1.5, scalar_min(True, 2) is True)
def scalar_add(x, y):
    return x + y


def scalar_sub(x, y):
    return x - y


def scalar_mul(x, y):
    return x * y


def scalar_div(x, y):
    return x / _divisor(y)


def scalar_floordiv(x, y):
    return x // _divisor(y)


def scalar_mod(x, y):
    return x % _divisor(y, "Cannot perform modulo operation on zero.")


def scalar_lt(x, y):
    return x < y


def scalar_eq(x, y):
    return x == y


def scalar_le(x, y):
    return x <= y


def scalar_gt(x, y):
    return x > y


def scalar_ge(x, y):
    return x >= y


def scalar_max(x, y):
    return max(x, y)


def scalar_min(x, y):
    return min(x, y)


def scalar_cast(input_x, input_t):
    """a Python number as the Python number of dtype input_t (8.5 as int64 is 8): int64, float64 or bool."""
    name = _dt.to_name(input_t)
    if name not in ("int64", "float64", "bool"):
        raise ValueError(f"For 'ScalarCast', the supported type is in the list: [int64, float64, bool], but got "
                         f"{_dt.get(name)}")
    return np.dtype(name if name != "bool" else np.bool_).type(input_x).item()


def _draw(what: str, size, seed, law, dtype) -> Tensor:
    """`law(generator, shape)` drawn eagerly, or inside a trace anew for each run of the traced program (a
    per-run draw, as dropout's masks: ops/_random_draws._out) from the generator `set_seed` seeds, or a seed's
    own (one per (op, seed), advancing at each call and each run, as MindSpore 2.10's: _misc.seeded_generator)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(int(n) for n in size)
    gen = seeded_generator(what, [seed]) if seed else None
    return _out(lambda: law(gen or random_ops_generator(), shape), shape, dtype, what)


def randn(*size, dtype=None, seed=None):
    return _draw("randn", size, seed, lambda g, s: g.standard_normal(s), _dt.to_name(dtype or _dt.float32))


def rand(*size, dtype=None, seed=None):
    return _draw("rand", size, seed, lambda g, s: g.random(s), _dt.to_name(dtype or _dt.float32))


def randint(low, high, size, seed=None, *, dtype=None):
    return _draw("randint", (size,), seed, lambda g, s: g.integers(low, high, s), _dt.to_name(dtype or _dt.int64))


def randn_like(input, seed=None, *, dtype=None):  # noqa: A002  (a seed's sequence of its own, as MindSpore's)
    return _draw("randn_like", tuple(input.shape), seed, lambda g, s: g.standard_normal(s),
                 _dt.to_name(dtype or input.dtype))


_RANDINT_DTYPES = ("int8", "int16", "int32", "int64")


def randint_like(input, low, high, seed=None, *, dtype=None):  # noqa: A002
    """Integers in [low, high) of input's shape and dtype (or dtype), drawn as randint's (a seed's sequence of its
    own; no seed: set_seed's, shared with randint). MindSpore 2.10's refusals, in its order and words."""
    if not isinstance(input, Tensor):
        raise TypeError(f"For 'randint_like', the 'input' must be a Tensor, but got {type(input)}")
    for name, v in (("low", low), ("high", high)):
        if not isinstance(v, int) or isinstance(v, bool):
            raise TypeError(f"For 'randint_like', '{name}' must be an int, but got {type(v)}.")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise TypeError(f"For 'randint_like', the 'seed' must be int, but got '{type(seed).__name__}'")
    dt = _dt.to_name(dtype or input.dtype)
    if dt not in _RANDINT_DTYPES:
        raise ValueError(f"For 'randint_like', the 'dtype' must be an int type, but got {_dt.get(dt)}.")
    if low >= high:
        raise RuntimeError(f"For 'Random', invalid min/max values: ({low}/{high})")
    return _draw("randint_like", tuple(input.shape), seed, lambda g, s: g.integers(low, high, s), dt)


def rand_like(input, seed=None, *, dtype=None):  # noqa: A002
    return _draw("rand_like", tuple(input.shape), seed, lambda g, s: g.random(s), _dt.to_name(dtype or input.dtype))


def kl_div(logits, labels, reduction="mean"):
    """labels * (log(labels) - logits) where labels > 0, else 0 (logits are log-probabilities); reduced
    'none' / 'mean' / 'sum' / 'batchmean' (the sum over the first axis' size). Its gradient is MindSpore 2.10's:
    -labels for logits everywhere (also where the value is 0), none for labels."""
    pos = P.greater(labels, P.zeros_like(labels))
    safe = P.select(pos, labels, P.ones_like(labels))
    value = P.select(pos, P.mul(labels, P.sub(P.log(safe), logits)), P.zeros_like(logits))
    linear = P.mul(P.stop_gradient(labels), logits)
    return _reduced(P.sub(P.stop_gradient(P.add(value, linear)), linear), reduction, batchmean=True)


class KLDivLoss:
    """P.KLDivLoss(reduction='mean')(logits, labels); also nn.KLDivLoss."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def __call__(self, logits, labels):
        return kl_div(logits, labels, self.reduction)


_BCE_EPS = 1e-12  # MindSpore's CPU kernel: log of at least 1e-12, so 0 and 1 give finite losses


def _bce_terms(p, labels, eps):
    log_p = P.log(P.maximum(p, eps))
    log_q = P.log(P.maximum(P.sub(1.0, p), eps))
    return P.neg(P.add(P.mul(labels, log_p), P.mul(P.sub(1.0, labels), log_q)))


def binary_cross_entropy(logits, labels, weight=None, reduction="mean"):
    """-weight (labels log(logits) + (1 - labels) log(1 - logits)), logits being probabilities, each log of at
    least 1e-12. The gradient for logits is MindSpore's (and torch's) kernel rule (p - y) / max(p (1 - p), 1e-12):
    the derivative of the value where p (1 - p) >= 1e-12; at p = 0 or 1 (a clamped or saturated probability) it
    is (p - y) / 1e-12 (0 where p == y), not the clamped logs' -y / p + (1 - y) / (1 - p)."""
    eps = full_like(logits, _BCE_EPS)
    inside = P.greater_equal(P.mul(logits, P.sub(1.0, logits)), eps)
    smooth = _bce_terms(P.where(inside, logits, full_like(logits, 0.5)), labels, eps)  # no gradient leaks at edges
    at_edge = P.stop_gradient(P.where(inside, P.zeros_like(logits),
                                      P.div(P.sub(logits, labels), P.where(inside, P.ones_like(logits), eps))))
    frozen = P.stop_gradient(logits)
    edge = P.add(_bce_terms(frozen, labels, eps), P.mul(P.sub(logits, frozen), at_edge))
    loss = P.where(inside, smooth, edge)
    return _reduced(loss if weight is None else P.mul(loss, weight), reduction)


class BinaryCrossEntropy:
    """P.BinaryCrossEntropy(reduction='mean')(logits, labels, weight=None)."""

    def __init__(self, reduction="mean"):
        self.reduction = reduction

    def __call__(self, input, target, weight=None):  # noqa: A002 - MindSpore's names
        return binary_cross_entropy(input, target, weight, self.reduction)


class SigmoidCrossEntropyWithLogits:
    """P.SigmoidCrossEntropyWithLogits()(logits, labels): per element, binary_cross_entropy_with_logits."""

    def __call__(self, logits, labels):
        return binary_cross_entropy_with_logits(logits, labels, reduction="none")
