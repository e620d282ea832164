"""torch.export (Core ATen after run_decompositions) -> `gradserve.graph/1` -> `ImportedCell`.

Parameters become trainable Parameters, buffers (batch-norm running statistics) untrainable
ones, lifted constants constants. Every node's result shape and dtype are checked against
torch's own (node.meta["val"]), so a mapping that is not exact fails here, not later.
"""
from __future__ import annotations

import math
import operator
from typing import Any, cast

import numpy as np

from ._shared import composites as C
from ._shared.division import int_divide, torch_div_rounded
from ._shared.graph_writer import NARROW_INTS, GraphWriter, UnsupportedModel
from . import torch_detection, torch_fft, torch_math_ops, torch_more, torch_scatter_scan, torch_science, torch_search_quant, torch_special  # noqa: F401,E501 - they add their rules to ATEN
from .torch_linalg import TOKEN, EffectToken
from .torch_func_transforms import (Recorded, autograd_grad_error, backward_rule_error, data_read_error,
                                    recording_autograd_grad, refuse_transform_nodes, transform_export_error)
from .torch_inner_grad import inner_grad, is_marker
from .torch_stop_gradient import keep_stop_gradients
from .torch_while import is_scan, is_while_loop, scan, while_loop
from .torch_table import ATEN, _dt, aten

def _np(t) -> np.ndarray:
    import torch

    t = t.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # (no NumPy bfloat16 in torch: the same 2 bytes as ml_dtypes')
        return t.view(torch.int16).numpy().view("bfloat16")
    return t.numpy()


class _Ctx:
    def __init__(self, w: GraphWriter):
        self.w = w
        self.env: dict = {}

    def v(self, a, like: str | None = None):
        """A graph value: a Node's value, or a Python number made a constant (of `like`'s dtype)."""
        import torch.fx

        if isinstance(a, torch.fx.Node):
            return self.env[a.name]
        if isinstance(a, (int, float, bool)):
            return self.w.const(_number(a, self.w.dtype(like))) if like is not None else \
                self.w.const(np.asarray(a, np.float32))
        if isinstance(a, complex):  # `1j * x`, `z * (1 + 0.5j)`: pair() made `like` complex
            kind = self.w.dtype(like) if like is not None else "complex64"
            if not kind.startswith("complex"):
                raise UnsupportedModel(f"complex number {a!r} beside a {kind} tensor")
            return self.w.const(np.asarray(a, kind))
        raise UnsupportedModel(f"unexpected argument {a!r}")

    def pair(self, a, b):
        """Two operands, numbers taking the tensor's dtype."""
        import torch.fx

        if isinstance(a, torch.fx.Node) and isinstance(b, torch.fx.Node):
            va, vb = self.env[a.name], self.env[b.name]
            if self.w.dtype(va) != self.w.dtype(vb):
                dt = _promote(*(self.w.avals[v] for v in (va, vb)))
                va, vb = self.w.cast(va, dt), self.w.cast(vb, dt)
            return va, vb
        if isinstance(a, torch.fx.Node):
            va = self.env[a.name]
            if isinstance(b, float) and not self.w.dtype(va).startswith(("float", "bfloat", "complex")):
                va = self.w.cast(va, "float32")
            if isinstance(b, complex) and not self.w.dtype(va).startswith("complex"):  # torch: real * 1j is complex
                va = self.w.cast(va, "complex128" if self.w.dtype(va) == "float64" else "complex64")
            return va, self.v(b, va)
        vb, va = self.pair(b, a)  # the number on the left: the same promotion
        return va, vb


def _number(value, dtype: str) -> np.ndarray:
    """A Python number as a tensor operand of `dtype`: torch wraps an int into an integer dtype (uint8 + 300 adds
    44, u == -1 compares with 255)."""
    if isinstance(value, int) and np.dtype(dtype).kind in "iu":
        return np.asarray(value, np.uint64 if value >= 2 ** 63 else np.int64).astype(dtype)
    return np.asarray(value, dtype)


def _promote(a: tuple, b: tuple) -> str:
    """torch's result dtype of two tensors (shape, dtype): torch.result_type's, where a 0-d tensor does not
    raise a tensor of the same category (uint8 + tensor(3) is uint8) and uint8 with int8 is int16."""
    import torch

    def probe(aval):  # result_type looks only at the dtype and whether the tensor has dimensions
        return torch.empty((1,) if aval[0] else (), dtype=getattr(torch, aval[1]))

    return _dt(torch.result_type(probe(a), probe(b)))


def _cast(w: GraphWriter, x: str, dtype: str) -> str:
    """torch's cast: a float to a narrow integer is truncated to int64, then wrapped (-7.5 -> uint8 249,
    -200.0 -> int8 56), which a direct float-to-uint8 conversion leaves undefined."""
    if dtype in NARROW_INTS and w.dtype(x).startswith(("float", "bfloat")):
        x = w.cast(x, "int64")
    return w.cast(x, dtype)


# -- elementwise ---------------------------------------------------------------------------------------
_UN = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "exp": "exp", "log": "log", "sqrt": "sqrt",
       "rsqrt": "rsqrt", "neg": "neg", "erf": "erf", "sin": "sin", "cos": "cos", "tan": "tan",
       "sinh": "sinh", "cosh": "cosh", "asin": "asin", "acos": "acos", "atan": "atan", "expm1": "expm1",
       "log1p": "log1p", "reciprocal": "reciprocal", "sign": "sign",
       "floor": "floor", "ceil": "ceil", "round": "round", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh"}
# these give a float of an integer or bool tensor (torch's default float32): RAFT's sqrt of a channel count
_TO_FLOAT = {"tanh", "sigmoid", "exp", "log", "sqrt", "rsqrt", "erf", "sin", "cos", "tan", "sinh", "cosh", "asin",
             "acos", "atan", "expm1", "log1p", "reciprocal", "asinh", "acosh", "atanh"}


def _unary(op):
    def rule(c, x):
        v = c.v(x)
        if op in _TO_FLOAT and not c.w.dtype(v).startswith(("float", "bfloat", "complex")):
            v = c.w.cast(v, "float32")
        return c.w.unary(op, v)
    return rule


for _k, _op in _UN.items():  # abs: torch_fft.py (|z| of a complex z is real)
    ATEN[f"aten.{_k}.default"] = _unary(_op)

_BIN = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow", "maximum": "maximum",
        "minimum": "minimum", "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
        "ge": "greater_equal", "logical_and": "logical_and", "logical_or": "logical_or",
        "remainder": "remainder", "fmod": "fmod"}


def _binary(op):
    def rule(c, a, b, alpha=1, rounding_mode=None):
        va, vb = c.pair(a, b)
        # torch's mul and div (each rounding mode) take a float16 tensor's scalar second operand (a Python
        # number, a 0-d tensor) at its own value in float32 (opmath) and round the result once to float16:
        # half(-0.7) // 0.7 is -2, not -1 as in float16; add, sub, remainder, pow take it in float16
        number = isinstance(b, (int, float))
        opmath = op in ("mul", "div") and c.w.dtype(va) == "float16" and (number or c.w.shape(c.env[b.name]) == ())
        if opmath:
            vb = c.w.const(np.asarray(b, np.float32)) if number else c.w.cast(c.env[b.name], "float32")
            va = c.w.cast(va, "float32")
        if op == "div" and rounding_mode is None and not c.w.dtype(va).startswith(("float", "bfloat", "complex")):
            va, vb = c.w.cast(va, "float32"), c.w.cast(vb, "float32")  # true division of integers: torch's float32
        r = _binary_values(c, op, va, vb, alpha, rounding_mode)
        return c.w.cast(r, "float16") if opmath else r
    return rule


def _binary_values(c, op, va, vb, alpha, rounding_mode):
    if rounding_mode is not None:  # div only (floor_divide decomposes to it)
        if c.w.dtype(va).startswith(("float", "bfloat")):
            return torch_div_rounded(c.w, va, vb, rounding_mode)
        return int_divide(c.w, va, vb, rounding_mode)
    if alpha != 1:
        vb = c.w.mul(vb, c.w.scalar_like(alpha, vb))
    return c.w.binary(op, va, vb)


for _k, _op in _BIN.items():
    for _ov in ("Tensor", "Scalar", "default", "Tensor_Scalar", "Tensor_Tensor", "Tensor_mode", "Scalar_mode"):
        ATEN[f"aten.{_k}.{_ov}"] = _binary(_op)


@aten("aten.logical_not.default")
def _logical_not(c, x):
    """Of any dtype: x == 0 (torch.all / any of float tensors decompose to it)."""
    x = c.v(x)
    return c.w.unary("logical_not", x) if c.w.dtype(x) == "bool" else c.w.binary("equal", x, c.w.scalar_like(0, x))


@aten("aten.trunc.default")
def _trunc(c, x):
    x = c.v(x)
    if not c.w.dtype(x).startswith(("float", "bfloat")):
        return x
    return c.w.where(c.w.binary("less", x, c.w.scalar_like(0, x)), c.w.unary("ceil", x), c.w.unary("floor", x))


@aten("aten.exp2.default")
def _exp2(c, x):
    x = c.v(x)
    return c.w.unary("exp", c.w.mul(x, c.w.scalar_like(np.log(2.0), x)))


def _log_base(base):
    def rule(c, x):
        y = c.w.unary("log", c.v(x))
        return c.w.div(y, c.w.scalar_like(np.log(base), y))
    return rule


ATEN["aten.log2.default"], ATEN["aten.log10.default"] = _log_base(2.0), _log_base(10.0)


@aten("aten.where.self")
def _where(c, cond, a, b):
    va, vb = c.pair(a, b)
    return c.w.where(c.v(cond), va, vb)


@aten("aten.gelu.default")
def _gelu(c, x, approximate="none"):
    return C.gelu(c.w, c.v(x), approximate)


@aten("aten.silu.default")
def _silu(c, x):
    x = c.v(x)
    return c.w.mul(x, c.w.unary("sigmoid", x))


@aten("aten.leaky_relu.default")
def _leaky(c, x, slope=0.01):
    x = c.v(x)
    return c.w.where(c.w.binary("greater", x, c.w.scalar_like(0, x)), x, c.w.mul(x, c.w.scalar_like(slope, x)))


@aten("aten.softplus.default")
def _softplus(c, x, beta=1, threshold=20):
    return C.softplus(c.w, c.v(x), float(beta), float(threshold))


@aten("aten.log_sigmoid_forward.default")
def _log_sigmoid_forward(c, x):
    """F.logsigmoid: -softplus(-x), smooth at every order (the default decomposition's min(x, 0) - log1p(exp(-|x|))
    had second derivative 0 at x = 0: torch's is -1/4). The second output is the kernel's scratch buffer, read by its
    backward only."""
    y = c.w.unary("neg", c.w.unary("softplus", c.w.unary("neg", c.v(x))))
    return y, y


@aten("aten.elu.default")
def _elu(c, x, alpha=1, scale=1, input_scale=1):
    return C.elu(c.w, c.v(x), float(alpha), float(scale), float(input_scale))


@aten("aten.celu.default")
def _celu(c, x, alpha=1.0):
    return C.elu(c.w, c.v(x), float(alpha), 1.0, 1.0 / float(alpha))


@aten("aten.selu.default")
def _selu(c, x):
    return C.elu(c.w, c.v(x), 1.6732632423543772, 1.0507009873554805)


@aten("aten.hardsigmoid.default")
def _hardsigmoid(c, x):
    return C.hard_sigmoid(c.w, c.v(x))


@aten("aten.hardswish.default")
def _hardswish(c, x):
    return C.hard_swish(c.w, c.v(x))


@aten("aten.mish.default")
def _mish(c, x):
    return C.mish(c.w, c.v(x))


@aten("aten.clamp.default")
def _clamp(c, x, lo=None, hi=None):
    """PyTorch's clamp passes the gradient on the bounds too (lo <= x <= hi): the engine's clip."""
    if any(isinstance(v, int) and abs(v) >= 2 ** 53 for v in (lo, hi)):  # (the clip op's bounds are floats)
        return _clamp_tensor(c, x, lo, hi)
    x = c.v(x)
    bounds = {k: float(v) for k, v in (("min", lo), ("max", hi)) if v is not None}
    return c.w.emit1("clip", [x], bounds, c.w.shape(x), c.w.dtype(x)) if bounds else x


@aten("aten.clamp.Tensor")
def _clamp_tensor(c, x, lo=None, hi=None):
    """Tensor bounds: the gradient passes to x on the bounds too, as in PyTorch's clamp."""
    w, y = c.w, c.v(x)
    if lo is not None:
        lv = w.cast(c.v(lo, y), w.dtype(y))
        y = w.where(w.binary("less", y, lv), w.broadcast_to(lv, np.broadcast_shapes(w.shape(y), w.shape(lv))), y)
    if hi is not None:
        hv = w.cast(c.v(hi, y), w.dtype(y))
        y = w.where(w.binary("greater", y, hv), w.broadcast_to(hv, np.broadcast_shapes(w.shape(y), w.shape(hv))), y)
    return y


@aten("aten.repeat.default")
def _repeat(c, x, reps):
    """Tile: each axis as (repeat, size) broadcast, then merged."""
    w, x = c.w, c.v(x)
    s = [1] * (len(reps) - len(w.shape(x))) + list(w.shape(x))
    y = w.reshape(x, [d for n in s for d in (1, n)])
    y = w.broadcast_to(y, [d for r, n in zip(reps, s) for d in (r, n)])
    return w.reshape(y, [r * n for r, n in zip(reps, s)])


@aten("aten.pixel_shuffle.default")
def _pixel_shuffle(c, x, r):
    return C.depth_to_space(c.w, c.v(x), r, "CRD")


@aten("aten.hardtanh.default")
def _hardtanh(c, x, lo=-1.0, hi=1.0):
    """hardtanh (and relu6, which exports as hardtanh(0, 6)): PyTorch's hardtanh_backward passes the
    gradient only strictly inside (lo, hi), 0 on the bounds, unlike clamp."""
    return C.hard_clip(c.w, c.v(x), lo, hi)


@aten("aten.constant_pad_nd.default")
def _constant_pad(c, x, pad, value=0.0):
    x = c.v(x)
    nd = len(c.w.shape(x))
    full = [(0, 0)] * nd
    for k in range(len(pad) // 2):  # PyTorch lists the last axis first
        full[nd - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return C.pad(c.w, x, full, "constant", value)


def _cumulative(op):
    def rule(c, x, dim, dtype=None):
        x = c.v(x) if dtype is None else _cast(c.w, c.v(x), _dt(dtype))
        if dtype is None and c.w.dtype(x) in ("bool", "int32") + NARROW_INTS:
            x = c.w.cast(x, "int64")  # torch accumulates integers in int64, as sum and prod
        return c.w.emit1(op, [x], {"axis": dim % len(c.w.shape(x))}, c.w.shape(x), c.w.dtype(x))
    return rule


ATEN["aten.cumsum.default"], ATEN["aten.cumprod.default"] = _cumulative("cumsum"), _cumulative("cumprod")


@aten("aten.topk.default")
def _topk(c, x, k, dim=-1, largest=True, sorted=True):
    x = c.v(x)
    shape = list(c.w.shape(x))
    dim %= len(shape)
    shape[dim] = k
    return tuple(c.w.emit("top_k", [x], {"k": k, "axis": dim, "largest": bool(largest)},
                          [(shape, c.w.dtype(x)), (shape, "int64")]))


@aten("aten.sort.default", "aten.sort.stable")
def _sort(c, x, dim=-1, descending=False, stable=None):
    x = c.v(x)
    dim %= len(c.w.shape(x))
    return tuple(c.w.emit("sort", [x], {"axis": dim, "descending": bool(descending)},
                          [(c.w.shape(x), c.w.dtype(x)), (c.w.shape(x), "int64")]))


def _arg(op):
    def rule(c, x, dim=None, keepdim=False):
        x = c.v(x)
        if dim is None:
            x, dim = c.w.reshape(x, [-1]), 0
        shape = c.w.shape(x)
        dim %= len(shape)
        out = [1 if i == dim else d for i, d in enumerate(shape) if keepdim or i != dim]
        return c.w.emit1(op, [x], {"axis": dim, "keepdims": bool(keepdim)}, out, "int64")
    return rule


ATEN["aten.argmax.default"], ATEN["aten.argmin.default"] = _arg("argmax"), _arg("argmin")


def _max_dim(op):
    def rule(c, x, dim, keepdim=False):
        """torch.max(x, dim) / torch.min(x, dim): (values, indices), the values x at the indices (the first extreme),
        so the gradient reaches that element alone as torch's does (a reduce max split it among ties)."""
        first = _arg("arg" + op)(c, x, dim, True)
        v = C.take_along(c.w, c.v(x), first, dim)
        if not keepdim:
            v = c.w.reshape(v, [d for i, d in enumerate(c.w.shape(v)) if i != dim % len(c.w.shape(v))])
        return v, _arg("arg" + op)(c, x, dim, keepdim)
    return rule


ATEN["aten.max.dim"], ATEN["aten.min.dim"] = _max_dim("max"), _max_dim("min")


@aten("aten.bitwise_not.default")
def _bitwise_not(c, x):
    x = c.v(x)
    if c.w.dtype(x) == "bool":
        return c.w.unary("logical_not", x)
    if not c.w.dtype(x).startswith("int"):
        raise UnsupportedModel(f"bitwise_not of {c.w.dtype(x)} (known: bool, signed integers)")
    return c.w.binary("bitwise_xor", x, c.w.scalar_like(-1, x))  # ~x = x ^ -1 (two's complement)


_BITWISE_BOOL = {"and": "logical_and", "or": "logical_or", "xor": "not_equal"}


def _bitwise(kind):
    def rule(c, a, b):
        a, b = c.pair(a, b)
        da, db = c.w.dtype(a), c.w.dtype(b)
        if da == db == "bool":
            return c.w.binary(_BITWISE_BOOL[kind], a, b)
        if da == db and da.startswith("int"):  # hashing (Instant-NGP's spatial hash), bit masks
            return c.w.binary(f"bitwise_{kind}", a, b)
        raise UnsupportedModel(f"bitwise_{kind} of {da} and {db} (known: bool or signed integers of one dtype)")
    return rule


for _k in _BITWISE_BOOL:
    ATEN[f"aten.bitwise_{_k}.Tensor"] = ATEN[f"aten.bitwise_{_k}.Scalar"] = _bitwise(_k)


@aten("aten.native_group_norm.default")
def _group_norm(c, x, weight, bias, n, ch, hw, group, eps):
    x = c.v(x)
    ins = [x] + [c.v(v) for v in (weight, bias) if v is not None]
    if weight is None and bias is not None:
        raise UnsupportedModel("group_norm with a bias but no weight")
    return (c.w.emit1("group_norm", ins, {"num_groups": group, "epsilon": float(eps)}, c.w.shape(x), c.w.dtype(x)),
            None, None)


@aten("aten._to_copy.default")
def _to_copy(c, x, dtype=None, **kw):
    return c.v(x) if dtype is None else _cast(c.w, c.v(x), _dt(dtype))


@aten("aten.clone.default", "aten.alias.default", "aten.lift_fresh_copy.default", "aten.contiguous.default")
def _identity(c, x, **kw):
    return c.v(x)


@aten("aten.detach.default")
def _detach(c, x):
    """tensor.detach(): the value, no derivative (a straight-through estimator's `(q - z).detach()`)."""
    return c.w.unary("stop_gradient", c.v(x))


@aten("aten.full_like.default")
def _full_like(c, x, value, dtype=None, **kw):
    x = c.v(x)
    return c.w.const(np.full(c.w.shape(x), value, dtype=_dt(dtype) if dtype else c.w.dtype(x)))


@aten("aten.full.default")
def _full(c, size, value, dtype=None, **kw):
    """torch.full: without a dtype, the fill value's (bool, int64; float32 for a float)."""
    default = "bool" if isinstance(value, bool) else "int64" if isinstance(value, int) else "float32"
    return c.w.const(np.full(size, value, dtype=_dt(dtype) if dtype else default))


@aten("aten.scalar_tensor.default")
def _scalar_tensor(c, value, dtype=None, **kw):
    return c.w.const(np.asarray(value, dtype=_dt(dtype) if dtype else "float32"))


@aten("aten.any.dim", "aten.any.dims")
def _any(c, x, dim=None, keepdim=False):
    x = c.w.cast(c.v(x), "float32")
    m = c.w.reduce("max", x, [dim] if isinstance(dim, int) else dim, keepdims=keepdim)
    return c.w.binary("greater", m, c.w.scalar_like(0, m))


# -- reductions and normalisation ---------------------------------------------------------------------------
def _reduce(op):
    def rule(c, x, dim=None, keepdim=False, dtype=None):
        x = c.v(x)
        if dtype is not None:
            x = _cast(c.w, x, _dt(dtype))
        elif op in ("sum", "prod") and c.w.dtype(x) in ("bool", "int32") + NARROW_INTS:
            x = c.w.cast(x, "int64")  # torch sums and multiplies integers in int64
        return c.w.reduce(op, x, None if dim in (None, []) else ([dim] if isinstance(dim, int) else dim),
                          keepdims=keepdim)
    return rule


for _n, _op in (("sum.dim_IntList", "sum"), ("sum.default", "sum"), ("mean.dim", "mean"), ("mean.default", "mean"),
                ("amax.default", "max"), ("amin.default", "min"), ("max.default", "max"), ("min.default", "min"),
                ("prod.dim_int", "prod"), ("prod.default", "prod"),
                ("logsumexp.default", "logsumexp")):
    ATEN[f"aten.{_n}"] = _reduce(_op)


@aten("aten._softmax.default")
def _softmax(c, x, dim, half_to_float=False):
    return c.w.softmax("softmax", c.v(x), dim)


@aten("aten._log_softmax.default")
def _log_softmax(c, x, dim, half_to_float=False):
    return c.w.softmax("log_softmax", c.v(x), dim)


@aten("aten._native_batch_norm_legit_no_training.default")
def _bn(c, x, weight, bias, mean, var, momentum, eps):
    x = c.v(x)
    ch = c.w.shape(x)[1]
    weight = c.v(weight) if weight is not None else c.w.const(np.ones(ch, c.w.dtype(x)))
    bias = c.v(bias) if bias is not None else c.w.const(np.zeros(ch, c.w.dtype(x)))
    return (C.batch_norm(c.w, x, weight, bias, c.v(mean), c.v(var), eps), None, None)


@aten("aten._native_batch_norm_legit_functional.default")
def _bn_train(c, x, weight, bias, mean, var, training, momentum, eps):
    """A train-mode BatchNorm (torch.export's functional form): the batch's statistics (biased variance) and
    the running statistics' new values, (1 - momentum) * running + momentum * batch (unbiased variance), which
    the program writes back to its buffers (`_program_to_writer`'s updates)."""
    if not training:
        return _bn(c, x, weight, bias, mean, var, momentum, eps) + (c.v(mean), c.v(var))
    y = _bn_batch_stats(c, x, weight, bias, training, momentum, eps)[0]
    w, xv = c.w, c.v(x)
    axes = [a for a in range(len(w.shape(xv))) if a != 1]
    n = math.prod(w.shape(xv)[a] for a in axes)
    bm = w.reduce("mean", xv, axes, keepdims=True)
    d = w.sub(xv, bm)
    ss = w.reduce("sum", w.mul(d, d), axes, keepdims=False)
    bm = w.reshape(bm, [-1])
    rstd = w.unary("rsqrt", w.add(w.div(ss, w.scalar_like(n, ss)), w.scalar_like(eps, ss)))

    def run(r, batch):
        return w.add(w.mul(c.v(r), w.scalar_like(1 - momentum, batch)), w.mul(batch, w.scalar_like(momentum, batch)))
    return (y, bm, rstd, run(mean, bm), run(var, w.div(ss, w.scalar_like(max(n - 1, 1), ss))))


@aten("aten._native_batch_norm_legit.no_stats")
def _bn_batch_stats(c, x, weight, bias, training, momentum, eps):
    """Batch statistics, nothing tracked (InstanceNorm without running stats: x as [1, N*C, ...])."""
    w, x = c.w, c.v(x)
    axes = [a for a in range(len(w.shape(x))) if a != 1]
    d = w.sub(x, w.reduce("mean", x, axes, keepdims=True))
    y = w.mul(d, w.unary("rsqrt", w.add(w.reduce("mean", w.mul(d, d), axes, keepdims=True), w.scalar_like(eps, x))))
    per_ch = [-1] + [1] * (len(w.shape(x)) - 2)
    y = w.mul(y, w.reshape(c.v(weight), per_ch)) if weight is not None else y
    return (w.add(y, w.reshape(c.v(bias), per_ch)) if bias is not None else y, None, None)


@aten("aten.native_layer_norm.default")
def _ln(c, x, shape, weight, bias, eps):
    x = c.v(x)
    axis = len(c.w.shape(x)) - len(shape)
    return (C.layer_norm(c.w, x, c.v(weight) if weight is not None else None,
                         c.v(bias) if bias is not None else None, axis, eps), None, None)


# -- linear algebra, convolution, pooling --------------------------------------------------------------------
@aten("aten.mm.default", "aten.bmm.default", "aten.matmul.default")
def _mm(c, a, b):
    return c.w.matmul(c.v(a), c.v(b))


@aten("aten._trilinear.default")
def _trilinear(c, i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1):
    """nn.Bilinear's kernel: each operand with size-1 axes inserted at its expand dims, multiplied
    (broadcast), summed over sumdim."""
    w = c.w
    vals = []
    for v, ex in ((i1, expand1), (i2, expand2), (i3, expand3)):
        v = c.v(v)
        s = list(w.shape(v))
        for d in sorted(ex):
            s.insert(d, 1)
        vals.append(w.reshape(v, s))
    return w.reduce("sum", w.mul(w.mul(vals[0], vals[1]), vals[2]), list(sumdim), keepdims=False)


@aten("aten.addmm.default")
def _addmm(c, bias, a, b, beta=1, alpha=1):
    y = c.w.matmul(c.v(a), c.v(b))
    if alpha != 1:
        y = c.w.mul(y, c.w.scalar_like(alpha, y))
    bv = c.v(bias)
    if beta != 1:
        bv = c.w.mul(bv, c.w.scalar_like(beta, bv))
    return c.w.add(y, bv)


@aten("aten.convolution.default")
def _conv(c, x, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    x = c.v(x)
    nd = len(c.w.shape(x)) - 2
    b = c.v(bias) if bias is not None else None
    geo = {"strides": _rep(stride, nd), "pads": [(p, p) for p in _rep(padding, nd)], "dilations": _rep(dilation, nd),
           "groups": groups}
    if transposed:
        return C.conv_transpose(c.w, x, c.v(weight), b, output_padding=_rep(output_padding, nd), **geo)
    return C.conv(c.w, x, c.v(weight), b, **geo)


def _rep(v, nd):
    v = [v] if isinstance(v, int) else list(v)
    return v * nd if len(v) == 1 else v


@aten("aten.max_pool2d_with_indices.default", "aten.max_pool3d_with_indices.default",
      "aten.max_pool1d_with_indices.default")
def _maxpool(c, x, kernel, stride=(), padding=0, dilation=1, ceil_mode=False):
    x = c.v(x)
    nd = len(c.w.shape(x)) - 2
    kernel = _rep(kernel, nd)
    y = C.pool(c.w, "max", x, kernel=kernel, strides=_rep(stride, nd) if stride else kernel,
               pads=[(p, p) for p in _rep(padding, nd)], dilations=_rep(dilation, nd), ceil_mode=ceil_mode)
    return (y, C.max_pool_indices(c.w, x, y, "spatial"))


@aten("aten.avg_pool2d.default", "aten.avg_pool3d.default", "aten.avg_pool1d.default")
def _avgpool(c, x, kernel, stride=(), padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    if divisor_override is not None:
        raise UnsupportedModel("avg_pool divisor_override")
    x = c.v(x)
    nd = len(c.w.shape(x)) - 2
    kernel = _rep(kernel, nd)
    return C.pool(c.w, "avg", x, kernel=kernel, strides=_rep(stride, nd) if stride else kernel,
                  pads=[(p, p) for p in _rep(padding, nd)], ceil_mode=ceil_mode, count_include_pad=count_include_pad)


@aten("aten.adaptive_max_pool2d.default", "aten.adaptive_max_pool1d.default", "aten.adaptive_max_pool3d.default")
def _adaptive_max(c, x, output_size):
    return (_adaptive(c, "max", x, output_size), None)


def _adaptive(c, kind, x, output_size):
    """An exact division is a plain pool; otherwise PyTorch's windows (composites.adaptive_pool)."""
    x = c.v(x)
    spatial = c.w.shape(x)[2:]
    out = _rep(output_size, len(spatial))
    if any(s % o for s, o in zip(spatial, out)):
        return C.adaptive_pool(c.w, kind, x, out)
    k = [s // o for s, o in zip(spatial, out)]
    return C.pool(c.w, kind, x, kernel=k, strides=k, pads=[(0, 0)] * len(k))


@aten("aten._adaptive_avg_pool2d.default", "aten._adaptive_avg_pool3d.default", "aten.adaptive_avg_pool1d.default")
def _adaptive_avg(c, x, output_size):
    return _adaptive(c, "avg", x, output_size)


# -- shapes ----------------------------------------------------------------------------------------------------
@aten("aten.view.default", "aten._unsafe_view.default", "aten.reshape.default")
def _view(c, x, shape):
    return c.w.reshape(c.v(x), shape)


@aten("aten.permute.default")
def _permute(c, x, perm):
    return c.w.transpose(c.v(x), perm)


@aten("aten.t.default")
def _t(c, x):
    x = c.v(x)
    return c.w.transpose(x, [1, 0]) if len(c.w.shape(x)) == 2 else x


@aten("aten.transpose.int")
def _transpose(c, x, d0, d1):
    x = c.v(x)
    perm = list(range(len(c.w.shape(x))))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return c.w.transpose(x, perm)


@aten("aten.expand.default")
def _expand(c, x, size, implicit=False):
    x = c.v(x)
    s = c.w.shape(x)
    lead = len(size) - len(s)
    target = [s[i - lead] if d == -1 else d for i, d in enumerate(size)]
    return c.w.broadcast_to(x, target)


@aten("aten.unsqueeze.default")
def _unsqueeze(c, x, dim):
    x = c.v(x)
    s = list(c.w.shape(x))
    s.insert(dim % (len(s) + 1), 1)
    return c.w.reshape(x, s)


@aten("aten.squeeze.dims", "aten.squeeze.dim", "aten.squeeze.default")
def _squeeze(c, x, dims=None):
    x = c.v(x)
    s = c.w.shape(x)
    dims = range(len(s)) if dims is None else ([dims] if isinstance(dims, int) else dims)
    drop = {d % len(s) for d in dims if s[d % len(s)] == 1}
    return c.w.reshape(x, [d for i, d in enumerate(s) if i not in drop])


@aten("aten.select.int")
def _select(c, x, dim, index):
    x = c.v(x)
    s = c.w.shape(x)
    dim %= len(s)
    return c.w.index(x, [[0, d, 1] for d in s[:dim]] + [int(index) % s[dim]])


@aten("aten.slice.Tensor")
def _slice(c, x, dim=0, start=None, end=None, step=1):
    x = c.v(x)
    s = c.w.shape(x)
    dim %= len(s)
    r = range(*slice(start, end, step).indices(s[dim]))
    items = [[0, d, 1] for d in s]
    items[dim] = [r.start, r.stop, r.step]
    return c.w.index(x, items)


@aten("aten.cat.default")
def _cat(c, xs, dim=0):
    """torch.cat skips a 1-D empty tensor beside tensors of another rank (its legacy rule: transformers' KV
    cache starts as torch.tensor([]) and is concatenated with the first keys)."""
    vals = [c.v(x) for x in xs]
    if any(len(c.w.shape(v)) != 1 for v in vals):
        vals = [v for v in vals if tuple(c.w.shape(v)) != (0,)]
    dt = vals[0]
    return c.w.concat([c.w.cast(v, c.w.dtype(dt)) for v in vals], dim)


@aten("aten.split_with_sizes.default")
def _split_sizes(c, x, sizes, dim=0):
    return tuple(c.w.split(c.v(x), sizes, dim))


@aten("aten.split.Tensor")
def _split(c, x, size, dim=0):
    x = c.v(x)
    n = c.w.shape(x)[dim]
    return tuple(c.w.split(x, [size] * (n // size) + ([n % size] if n % size else []), dim))


@aten("aten.embedding.default")
def _embedding(c, weight, idx, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of weight; the padding_idx row is looked up but gets no gradient (torch's embedding_backward)."""
    w, table = c.w, c.v(weight)
    if scale_grad_by_freq:
        raise UnsupportedModel("embedding scale_grad_by_freq (its gradient depends on the batch's token counts)")
    if padding_idx is not None and padding_idx >= 0:
        row = np.zeros((w.shape(table)[0],) + (1,) * (len(w.shape(table)) - 1), bool)
        row[padding_idx] = True
        table = w.where(w.const(row), w.unary("stop_gradient", table), table)
    return w.gather(table, c.v(idx), 0)


@aten("aten.embedding_renorm.default")
def _embedding_renorm(c, weight, idx, max_norm, norm_type):
    """F.embedding(max_norm=...)'s renorm (functional once decomposed): each row the indices read whose
    norm_type-norm exceeds max_norm is scaled by max_norm / (norm + 1e-7), torch's kernel. torch runs it in place under
    no_grad, so the embedding's gradient reaches the weight unscaled: the new value with the identity's derivative,
    W + stop_gradient(new - W). The program also returns the new weight (a parameter mutation), written back after
    each call as torch's module keeps it."""
    import torch

    while getattr(weight, "target", None) in (torch.ops.aten.detach.default, torch.ops.aten.alias.default):
        weight = weight.args[0]  # F.embedding renormalises weight.detach() in place: the write lands in weight
    w, table = c.w, c.v(weight)
    rows, dt = w.shape(table)[0], w.dtype(table)
    ids = c.v(idx)
    ids = w.reshape(ids, (-1, 1))
    hit = w.binary("equal", ids, w.const(np.arange(rows, dtype=w.dtype(ids)).reshape(1, rows)))
    read = w.binary("greater", w.reduce("max", w.cast(hit, dt), [0]), w.scalar_like(0, table))      # (rows,)
    fixed = w.unary("stop_gradient", table)
    a = w.unary("abs", fixed)
    p = float(norm_type)
    if p == float("inf"):
        norm = w.reduce("max", a, list(range(1, len(w.shape(table)))), keepdims=True)
    else:
        norm = w.reduce("sum", a if p == 1 else w.binary("pow", a, w.scalar_like(p, table)),
                        list(range(1, len(w.shape(table)))), keepdims=True)
        norm = norm if p == 1 else w.binary("pow", norm, w.scalar_like(1 / p, table))
    over = w.binary("logical_and", w.reshape(read, w.shape(norm)), w.binary("greater", norm,
                                                                             w.scalar_like(max_norm, table)))
    scale = w.where(over, w.div(w.scalar_like(max_norm, table), w.add(norm, w.scalar_like(1e-7, table))),
                    w.scalar_like(1, table))
    return w.add(table, w.unary("stop_gradient", w.sub(w.mul(fixed, scale), fixed)))


@aten("aten.index_select.default")
def _index_select(c, x, dim, idx):
    return c.w.gather(c.v(x), c.v(idx), dim)


@aten("aten.gather.default")
def _gather(c, x, dim, idx, sparse_grad=False):
    return C.take_along(c.w, c.v(x), c.v(idx), dim)


@aten("aten.index.Tensor")
def _index(c, x, indices):
    idxs: list = []
    for i in indices:
        mask = _static_mask(i)
        if mask is None:
            idxs.append(None if i is None else c.v(i))
        else:  # x[mask] is x[mask.nonzero()]: one index per axis the mask covers, static positions
            idxs.extend(c.w.const(_np(k)) for k in mask.nonzero(as_tuple=True))
    return C.advanced_index(c.w, c.v(x), idxs)


def _static_mask(node, depth: int = 16):
    """The value of a boolean index computed from factories alone (x[~torch.eye(n, dtype=torch.bool)]: no
    input, parameter or buffer reaches it), evaluated now by torch; None otherwise (a mask that depends on the
    data, refused by advanced_index)."""
    import torch
    import torch.fx

    if not isinstance(node, torch.fx.Node) or node.meta.get("val") is None or \
            getattr(node.meta["val"], "dtype", None) is not torch.bool:
        return None
    return _static_value(node, depth)


def _static_value(node, depth: int):
    """A node's value when it is a deterministic call_function of constants only, else None."""
    import torch
    from torch.fx.node import map_arg

    op = node.target
    if depth == 0 or node.op != "call_function" or not isinstance(op, torch._ops.OpOverload) or \
            torch.Tag.nondeterministic_seeded in op.tags:
        return None
    known: dict = {}
    for a in node.all_input_nodes:
        known[a] = _static_value(a, depth - 1)
        if known[a] is None:
            return None
    args = map_arg(node.args, lambda a: known[a])
    kwargs = map_arg(node.kwargs, lambda a: known[a])
    with torch.no_grad():
        return op(*args, **kwargs)


@aten("aten.linalg_vector_norm.default")
def _vector_norm(c, x, ord=2, dim=None, keepdim=False, dtype=None):
    x = c.v(x)
    return C.vector_norm(c.w, x, float(ord), None if dim in (None, []) else
                         ([dim] if isinstance(dim, int) else dim), keepdim)


def _scatter(mode):
    def rule(c, x, dim, idx, src):
        """x.scatter(dim, idx, src | value) ("set") and x.scatter_add(dim, idx, src) ("add")."""
        x, idx = c.v(x), c.v(idx)
        u = c.w.const(np.full(c.w.shape(idx), src, c.w.dtype(x))) if isinstance(src, (int, float)) else c.v(src)
        return C.scatter_along(c.w, x, idx, u, dim, mode)
    return rule


ATEN["aten.scatter.src"] = ATEN["aten.scatter.value"] = _scatter("set")
ATEN["aten.scatter_add.default"] = _scatter("add")


@aten("aten._assert_async.msg", "aten._assert_async.default", "aten._assert_scalar.default",
      "aten._assert_tensor_metadata.default")
def _assert(c, *args, **kw):
    """torch's run-time checks (one_hot: labels in range; dtypes) compute nothing: not imported."""
    return None


@aten("aten.flip.default")
def _flip(c, x, dims):
    x = c.v(x)
    nd = len(c.w.shape(x))
    return c.w.emit1("flip", [x], {"axis": sorted(d % nd for d in dims)}, c.w.shape(x), c.w.dtype(x))


@aten("aten.arange.start_step", "aten.arange.start", "aten.arange.default")
def _arange(c, *args, dtype=None, **kw):
    if any(not isinstance(a, (int, float)) for a in args):
        raise UnsupportedModel("arange with tensor bounds")
    r = np.arange(*args)
    if dtype is None and r.dtype.kind == "f":  # float bounds give torch's default dtype, not NumPy's float64
        import torch

        dtype = torch.get_default_dtype()
    return c.w.const(r.astype(_dt(dtype)) if dtype is not None else r)


@aten("aten.var.correction")
def _var(c, x, dim=None, correction=None, keepdim=False):
    """Mean of squared deviations over `dim`, divided by N - correction (default 1)."""
    w, x = c.w, c.v(x)
    shape = w.shape(x)
    axes = list(range(len(shape))) if dim in (None, []) else [d % len(shape) for d in dim]
    n = int(np.prod([shape[a] for a in axes]))
    mean = w.reduce("mean", x, axes, keepdims=True)
    dev = w.sub(x, mean)
    var = w.div(w.reduce("sum", w.mul(dev, dev), axes, keepdims=keepdim),
                w.scalar_like(n - (1 if correction is None else correction), x))
    return var


@aten("aten.std.correction")
def _std(c, x, dim=None, correction=None, keepdim=False):
    """sqrt(var), its derivative 0 where the variance is 0 (a constant row: torch's std_backward masks it; the
    decomposition's sqrt gave NaN there)."""
    w = c.w
    var = _var(c, x, dim, correction, keepdim)
    pos = w.binary("greater", var, w.scalar_like(0, var))
    return w.where(pos, w.unary("sqrt", w.where(pos, var, w.scalar_like(1, var))), w.scalar_like(0, var))


def _pointwise_loss(c, loss, reduction):
    """reduction as torch's enum: 0 none, 1 mean, 2 sum."""
    return loss if reduction == 0 else c.w.reduce("mean" if reduction == 1 else "sum", loss, None)


@aten("aten.smooth_l1_loss.default")
def _smooth_l1(c, x, target, reduction=1, beta=1.0):
    """0.5 d^2 / beta inside |d| < beta, |d| - beta / 2 outside, d squared as d * d (the decomposition's |d|^2 had
    second derivative 0 at d = 0: torch's is 1 / beta)."""
    w = c.w
    d = w.sub(*c.pair(x, target))
    ad = w.unary("abs", d)
    if beta == 0:
        return _pointwise_loss(c, ad, reduction)
    inner = w.mul(w.mul(d, d), w.scalar_like(0.5 / beta, d))
    loss = w.where(w.binary("less", ad, w.scalar_like(beta, d)), inner, w.sub(ad, w.scalar_like(0.5 * beta, d)))
    return _pointwise_loss(c, loss, reduction)


@aten("aten.huber_loss.default")
def _huber(c, x, target, reduction=1, delta=1.0):
    """0.5 d^2 inside |d| < delta, delta (|d| - delta / 2) outside (d * d: see smooth_l1_loss)."""
    w = c.w
    d = w.sub(*c.pair(x, target))
    ad = w.unary("abs", d)
    outer = w.mul(w.sub(ad, w.scalar_like(0.5 * delta, d)), w.scalar_like(delta, d))
    loss = w.where(w.binary("less", ad, w.scalar_like(delta, d)), w.mul(w.mul(d, d), w.scalar_like(0.5, d)), outer)
    return _pointwise_loss(c, loss, reduction)


@aten("aten.atan2.default")
def _atan2(c, y, x):
    """atan2 whose derivatives are 0 at the origin (torch's atan2_backward takes its 1 / (x^2 + y^2) as 0 where that
    is infinite, so also where the sum underflows; the engine's gave NaN): the op on (0, 1) there, the value kept."""
    w = c.w
    vy, vx = c.pair(y, x)
    shape = np.broadcast_shapes(w.shape(vy), w.shape(vx))
    vy, vx = w.broadcast_to(vy, shape), w.broadcast_to(vx, shape)
    zero = w.binary("equal", w.add(w.mul(vx, vx), w.mul(vy, vy)), w.scalar_like(0, vx))
    safe = w.binary("atan2", w.where(zero, w.scalar_like(0, vy), vy), w.where(zero, w.scalar_like(1, vx), vx))
    return w.where(zero, w.unary("stop_gradient", w.binary("atan2", vy, vx)), safe)


def _upsample(mode):
    def rule(c, x, output_size=None, *rest):
        """upsample_{nearest,bilinear,...}.vec: (x, output_size, [align_corners,] scale_factors)."""
        align = bool(rest[0]) if mode in ("linear", "cubic") else False
        scales = rest[-1] if rest else None
        x = c.v(x)
        spatial = c.w.shape(x)[2:]
        if output_size is None:
            if scales is None:
                raise UnsupportedModel("upsampling with neither output_size nor scale_factors")
            output_size = [int(np.floor(s * f)) for s, f in zip(spatial, scales)]
        mats = {}
        for k, (n_in, n_out) in enumerate(zip(spatial, output_size)):
            s = scales[k] if scales else n_out / n_in  # torch reads 1/scale_factor when one is given
            how = "align_corners" if align else ("asymmetric" if mode == "nearest" else "half_pixel")
            coords = C.resize_coords(n_in, n_out, float(s), how)
            if mode == "linear" and not align:
                coords = np.maximum(coords, 0)
            mats[k + 2] = C.resize_matrix(n_in, n_out, coords, mode)
        return C.resize(c.w, x, mats)
    return rule


for _d in ("1d", "2d", "3d"):
    ATEN[f"aten.upsample_nearest{_d}.vec"] = _upsample("nearest")
ATEN["aten.upsample_bilinear2d.vec"] = ATEN["aten.upsample_linear1d.vec"] = _upsample("linear")
ATEN["aten.upsample_bicubic2d.vec"] = _upsample("cubic")  # Keys a = -0.75, taps clamped to the edge


@aten("aten.rrelu_with_noise_functional.default")
def _rrelu(c, x, noise, lower=0.125, upper=1 / 3, training=False, generator=None):
    """Eval-mode rrelu is leaky_relu with the mean slope; training draws random slopes."""
    if training:
        raise UnsupportedModel("rrelu in training mode (random slopes): export in eval mode")
    return (_leaky(c, x, (float(lower) + float(upper)) / 2), c.v(noise))


@aten("aten.var_mean.correction")
def _var_mean(c, x, dim=None, correction=None, keepdim=False):
    return (_var(c, x, dim, correction, keepdim), _reduce("mean")(c, x, dim, keepdim))


# -- the driver ----------------------------------------------------------------------------------------------
_SIZE_ARITHMETIC = {getattr(operator, k) for k in ("ge", "le", "gt", "lt", "eq", "ne", "add", "sub", "mul", "floordiv")}


@aten("aten.sym_size.int")
def _sym_size(c, x, dim):
    """A size torch.export left symbolic (an unbacked one: x[mask] of a mask evaluated at import), static here."""
    return int(c.w.shape(c.v(x))[dim])


def _run_node(ctx: _Ctx, node):
    import torch.fx

    if node.target is operator.getitem:
        src, i = node.args
        val = ctx.env[src.name][i]
        if val is None:
            raise UnsupportedModel(f"output {i} of {src.target} (node {src.name!r}) is not supported")
        return val
    if node.target in _SIZE_ARITHMETIC:  # on sizes known here (x[mask] of a static mask: torch's u0 >= 0 checks)
        vals = [ctx.env[a.name] if isinstance(a, torch.fx.Node) else a for a in node.args]
        if all(isinstance(v, (int, bool)) for v in vals):
            return node.target(*vals)
    key = str(node.target)
    rule = ATEN.get(key)
    if rule is None:
        raise UnsupportedModel(f"op {key} (node {node.name!r}) is not supported by the torch.export importer",
                               op=key, node=node.name)
    try:
        return rule(ctx, *node.args, **node.kwargs)
    except UnsupportedModel as e:
        if e.op is None:
            e.op, e.node = key, node.name
            e.args = (f"op {key} (node {node.name!r}): {e.args[0]}",)
        raise


def _check(ctx: _Ctx, node, val) -> None:
    meta = node.meta.get("val")
    if meta is None or not hasattr(meta, "shape") or not isinstance(val, str):  # tuples, effect tokens
        return
    got = ctx.w.avals[val]
    # a size torch.export could not know (u0: x[mask] of a mask _static_mask evaluated) is ours to say
    want = (tuple(int(d) if isinstance(d, int) or d.node.has_hint() else g
                  for d, g in zip(meta.shape, list(got[0]) + [None] * len(meta.shape))), _dt(meta.dtype))
    if got != want:
        raise UnsupportedModel(f"op {node.target} (node {node.name!r}) mapped to {got}, torch says {want}",
                               op=str(node.target), node=node.name)


def _convert_call(ctx: _Ctx, node):
    """One call_function node's graph value(s) in ctx's writer."""
    if _is_cond(node):
        val = _cond(ctx, node)
    elif is_while_loop(node):
        val = while_loop(ctx, node, _convert_nodes, _Ctx)
    elif is_scan(node):
        val = scan(ctx, node, _convert_nodes, _Ctx)
    elif is_marker(node.target):  # torch.autograd.grad in forward
        val = inner_grad(ctx, node, _convert_call, _Ctx)
    else:
        val = _run_node(ctx, node)
    _check(ctx, node, val)
    return val


def _convert_nodes(ctx: _Ctx, gm) -> list[str]:
    """The call_function nodes of graph module `gm` into ctx's writer; the graph values of its outputs."""
    import torch.fx

    for node in gm.graph.nodes:
        if node.op == "call_function":
            ctx.env[node.name] = _convert_call(ctx, node)
        elif node.op == "get_attr" and isinstance(getattr(gm, node.target, None), torch.fx.GraphModule):
            ctx.env[node.name] = getattr(gm, node.target)  # a branch of torch.cond (a graph, not code)
        elif node.op == "output":
            return [ctx.env[a.name] for a in node.args[0]]
        elif node.op != "placeholder":
            raise UnsupportedModel(f"graph node {node.name!r} of kind {node.op} is not supported")
    raise UnsupportedModel("graph without an output node")


def _is_cond(node) -> bool:
    import torch

    return node.target is getattr(torch.ops.higher_order, "cond", None)


def _cond(ctx: _Ctx, node) -> tuple:
    """torch.cond(pred, true_fn, false_fn, operands) -> cond; each branch graph becomes a function of
    the operands (torch.export has already made what they read explicit operands)."""
    pred, operands = node.args[0], [ctx.v(a) for a in node.args[3]]
    gms = [ctx.env[a.name] for a in node.args[1:3]]  # the get_attr nodes' graph modules
    names, avals = [], []
    for gm, which in zip(gms, ("true", "false")):
        sub = _Ctx(ctx.w.function_writer(f"{node.name}_{which}"))
        phs = [n for n in gm.graph.nodes if n.op == "placeholder"]
        if len(phs) != len(operands):
            raise UnsupportedModel(f"{which} branch takes {len(phs)} operand(s), given {len(operands)}")
        for ph, v in zip(phs, operands):
            sub.env[ph.name] = sub.w.input(ph.name, *ctx.w.avals[v])
        outs = _convert_nodes(sub, gm)
        avals.append([sub.w.avals[o] for o in outs])
        names.append(ctx.w.finish(sub.w, outs))
    if avals[0] != avals[1]:
        raise UnsupportedModel(f"torch.cond branches return {avals[0]} and {avals[1]}", op="cond", node=node.name)
    p = ctx.w.cast(ctx.w.reshape(ctx.v(pred), ()), "bool")
    return tuple(ctx.w.emit("cond", [p] + operands, {"true_fn": names[0], "false_fn": names[1]}, avals[0]))


def _storage_key(t) -> tuple:
    """The memory a tensor views: two names of one tied weight have the same key (torch.export lists both)."""
    return (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape), tuple(t.stride()), t.dtype)


def _dynamic_output_refusal(module, op: str) -> UnsupportedModel:
    """An op whose output shape torch.export cannot know without values (F.ctc_loss with tensor lengths: its
    alpha table), named, with the route for the one users meet most."""
    hint = ("import the network up to the log-probabilities and apply gradserve's ops.ctc_loss (nn.CTCLoss) to its "
            "output" if "ctc_loss" in op else "import the part before it")
    return UnsupportedModel(f"torch.export cannot trace {type(module).__name__}: {op} has an output shape that "
                            f"depends on tensor values; gradserve graphs have static shapes: {hint}")


def _data_dependent_hint(e: Exception) -> str:
    """What to do about a value-dependent branch: torch.distributions' argument validation (a constraint checked
    on the values, on by default) is the common one where nothing of the model needs it."""
    import traceback

    frames = traceback.extract_tb(e.__traceback__)
    where = next((f for f in reversed(frames) if "/torch/distributions/" in f.filename.replace("\\", "/")), None)
    if where is not None:
        return (f"the branch is torch.distributions' argument validation ({where.filename.rsplit('/', 1)[-1]}:"
                f"{where.lineno} in {where.name}): construct the distributions with validate_args=False, or call "
                "torch.distributions.Distribution.set_default_validate_args(False) before importing")
    return "import the part before it (a detector's backbone and head, without its NMS post-processing)"


def _export(module, args: tuple):
    """torch.export.export, its refusal of a data-dependent shape (a detector's NMS: how many boxes it keeps
    depends on their values) and of a grad transform in forward (torch_func_transforms) named as such."""
    import torch
    from torch._subclasses.fake_tensor import DynamicOutputShapeException
    from torch.fx.experimental.symbolic_shapes import GuardOnDataDependentSymNode

    recorded = Recorded()  # torch.autograd.grad calls and backward rules in forward
    try:
        with recording_autograd_grad() as recorded:
            ep = torch.export.export(module, args)
    except GuardOnDataDependentSymNode as e:
        raise UnsupportedModel(
            f"torch.export cannot trace {type(module).__name__}: a shape or a branch depends on tensor values (torch: "
            f"{str(e).splitlines()[0][:160]}); gradserve graphs have static shapes: {_data_dependent_hint(e)}") from None
    except DynamicOutputShapeException as e:
        raise _dynamic_output_refusal(module, str(e)) from None
    except Exception as e:
        named = (transform_export_error(e, module) or autograd_grad_error(module, recorded.grad_flags, e) or
                 data_read_error(module, recorded, e))
        if named is None:
            raise
        raise named from None
    refuse_transform_nodes(ep, module)
    named = autograd_grad_error(module, recorded.grad_flags) or backward_rule_error(module, recorded)
    if named is not None:
        raise named
    return ep


def _program_to_writer(module, args: tuple, decompose: bool):
    import torch
    from torch.export.graph_signature import InputKind, OutputKind

    ep = _export(module, args)
    keep_stop_gradients(ep)
    if decompose:  # Core ATen, but detach kept: the default table makes it an alias, losing the stop-gradient
        table = torch.export.default_decompositions()
        table.pop(torch.ops.aten.detach.default)
        table.pop(torch.ops.aten.sinc.default, None)  # its where(x == 0, 1, sin / x): nan derivative at 0 (torch's: 0)
        table.pop(torch.ops.aten.special_entr.default, None)  # its untaken x log x: nan derivative at 0 (torch's: inf)
        # torch's kernels' derivatives at the kinks and smooth points the decompositions lose: hardsigmoid's is 1/6
        # strictly inside (-3, 3) and hardswish's 0 at -3, 1 at 3 (clamp's decomposition passes the bounds: -0.5,
        # 1.5); logsigmoid's second derivative at 0 is -1/4 (min / abs: 0), smooth_l1 / huber's 1 / beta at d = 0
        # (|d|^2: 0); std's gradient on a constant row 0 (sqrt: NaN)
        table.pop(torch.ops.aten.std.correction, None)
        for op in ("hardsigmoid", "hardswish", "log_sigmoid_forward", "smooth_l1_loss", "huber_loss"):
            table.pop(getattr(torch.ops.aten, op).default, None)
        ep = ep.run_decompositions(table)
    w = GraphWriter(type(module).__name__)
    ctx = _Ctx(w)
    state, consts = ep.state_dict, ep.constants
    placeholders = [n for n in ep.graph.nodes if n.op == "placeholder"]
    tied: dict = {}
    for spec, node in zip(ep.graph_signature.input_specs, placeholders):
        if spec.kind == InputKind.USER_INPUT:
            meta = node.meta["val"]
            if not hasattr(meta, "shape"):
                raise UnsupportedModel(f"input {node.name!r} is not a tensor ({type(meta).__name__})")
            ctx.env[node.name] = w.input(node.name, [int(d) for d in meta.shape], _dt(meta.dtype))
        elif spec.kind in (InputKind.PARAMETER, InputKind.BUFFER):
            target = cast(str, spec.target)  # a parameter's or buffer's always has one
            t: Any = state[target] if target in state else consts[target]
            key = (spec.kind, _storage_key(t))
            if key in tied:  # a tied weight (T5's shared embedding): one parameter, its gradient the sum
                ctx.env[node.name] = tied[key]
                continue
            # complex parameters (an FNO's spectral weights) train too: the engine's complex gradient is torch's
            ctx.env[node.name] = tied[key] = w.param(target, _np(t), trainable=spec.kind == InputKind.PARAMETER
                                                     and (t.dtype.is_floating_point or t.dtype.is_complex))
        elif spec.kind == InputKind.CONSTANT_TENSOR:
            ctx.env[node.name] = w.const(_np(consts[cast(str, spec.target)]))
        elif spec.kind == InputKind.TOKEN:  # orders torch.linalg's error checks: nothing to import
            ctx.env[node.name] = TOKEN
        else:
            raise UnsupportedModel(f"input {node.name!r} of kind {spec.kind.name} is not supported")
    specs = ep.graph_signature.output_specs
    _refuse_mutations(ep, specs)
    outputs = _convert_nodes(ctx, ep.graph_module)
    # a buffer's new value (train-mode batch norm's running statistics) is written back after each call
    updates = [(cast(str, s.target), o) for s, o in zip(specs, outputs)
               if s.kind in (OutputKind.BUFFER_MUTATION, OutputKind.PARAMETER_MUTATION)]
    user = [o for s, o in zip(specs, outputs) if s.kind == OutputKind.USER_OUTPUT]
    return w, user, updates


def _renorm_write(spec, src) -> bool:
    """A parameter written by nn.Embedding(max_norm=...)'s renorm: modelled (written back after each call)."""
    from torch.export.graph_signature import OutputKind

    return spec.kind == OutputKind.PARAMETER_MUTATION and "embedding_renorm" in str(getattr(src, "target", ""))


def _refuse_mutations(ep, specs) -> None:
    """Refuses a program that writes to a parameter or a user input, naming each target and the op writing it
    (a buffer's write, train-mode batch norm's statistics, and nn.Embedding(max_norm)'s renorm of its weight are
    modelled: written back after each call)."""
    from torch.export.graph_signature import OutputKind

    returned = next(n for n in ep.graph_module.graph.nodes if n.op == "output").args[0]
    bad = [(i, s) for i, s in enumerate(specs)
           if s.kind not in (OutputKind.USER_OUTPUT, OutputKind.TOKEN, OutputKind.BUFFER_MUTATION)
           and not _renorm_write(s, returned[i])]
    if not bad:
        return
    what = []
    for i, s in bad:
        src = returned[i]
        op = str(getattr(src, "target", src)).removeprefix("aten.")
        what.append(f"{s.kind.name.lower().replace('_', ' ')} of {s.target!r} by {getattr(src, 'name', src)!r} "
                    f"({op})")
    raise UnsupportedModel("the exported program writes to its parameters or inputs, which gradserve graphs do not "
                           f"model: {'; '.join(what)}")


def _static_module(module):
    """A torch.export.ExportedProgram (one exported with dynamic_shapes, say) as the module it was exported from
    (`ep.module()`: same parameters by name), exported again at the example arguments: graphs are static."""
    import torch

    return module.module() if isinstance(module, torch.export.ExportedProgram) else module


def torch_to_writer(module, args: tuple, decompose: bool = True):
    """(writer, user outputs, buffer updates [(buffer name, new value)])."""
    module = _static_module(module)
    try:
        return _program_to_writer(module, args, decompose)
    except UnsupportedModel as e:
        e.in_model(type(module).__name__)
        raise


def torch_to_cell(module, args: tuple, decompose: bool = True):
    from ..nn._imported_cell import cell_from_writer

    w, outputs, updates = torch_to_writer(module, args, decompose)
    return cell_from_writer(w, outputs, type(_static_module(module)).__name__, updates)
