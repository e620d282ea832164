"""Elementwise ops: unary math, binary arithmetic with NumPy broadcasting, comparisons, where.

Unary ops are declared with their derivative f'(x) written as graph ops; the
vjp (ct * f') and jvp (t * f') rules follow from it. The AD driver sums
cotangents back to broadcast operands' shapes and broadcasts tangents up.
"""
from __future__ import annotations

import math

import numpy as np

from ..ir import is_complex, is_inexact
from ._infer import complex_array, conj, rule_infer
from .composite import dtype_name
from .registry import Attr, defop, impl_rules, jvp_rules, ufunc_out, vjp_rules


def _unary(name: str, impl, deriv, *, float_only: bool = True, doc: str = "", **flags):
    defop(name, 1, rule_infer(name), doc=doc or f"elementwise {name}", **flags)
    impl_rules[name] = impl
    if deriv is not None:
        vjp_rules[name] = lambda b, ins, outs, cts: [b.mul(cts[0], conj(b, deriv(b, ins[0], outs[0])))]
        jvp_rules[name] = lambda b, ins, outs, ts: [b.mul(ts[0], deriv(b, ins[0], outs[0]))]


# NumPy out-kernels (np_out): each computes exactly what its impl computes (same ufuncs in
# the same order, so the same rounding), only into a given buffer.
def _k_square(x, o=None):
    return np.multiply(x, x, o)


def _buffer(x, o):
    """The buffer a multi-step kernel works in: o, else a new array (a ufunc given no out= returns a NumPy
    scalar for a 0-d operand, which the next step cannot write into)."""
    return o if o is not None else np.empty_like(x)


def _k_sigmoid(x, o=None):  # 1 / (1 + exp(-x)), as the impl
    o = np.negative(x, _buffer(x, o))
    np.exp(o, o)
    np.add(1, o, o)
    return np.divide(1, o, o)


def _k_softplus(x, o=None):  # logaddexp(x, 0), as the impl: its 0 is x's dtype either way (no zeros array)
    return np.logaddexp(x, x.dtype.type(0), o)


def _k_sin(x, o=None):  # float16 in float32, rounded once, as the impl: NumPy's float16 sin is an ulp off at
    # sin(+-300) (-0.99951; MindSpore 2.10 and the value rounded once: -1)
    if x.dtype != np.float16:
        return np.sin(x, o)
    return np.sin(x, o, dtype=np.float32) if o is not None else np.sin(x, dtype=np.float32).astype(np.float16)


def _sin_impl(xp, x):  # (by name: a namespace without float16, array-api-strict's, has no xp.float16)
    return xp.astype(xp.sin(xp.astype(x, xp.float32)), x.dtype) if dtype_name(x.dtype) == "float16" else xp.sin(x)


def _k_rsqrt(x, o=None):  # 1 / sqrt(x)
    o = np.sqrt(x, _buffer(x, o))
    return np.divide(1, o, o)


def _reciprocal_out(e):
    if not e.outputs[0].dtype.startswith("float"):
        return None  # 1 / int is float in NumPy: the impl's dtype, not the buffer's
    return (lambda x, o=None: np.divide(1, x, o)), "ew", None


def _one(b, x):
    return b.scalar(1.0, x.dtype)


def _c(b, x, value):
    return b.scalar(value, x.dtype)


_unary("exp", lambda xp, x: xp.exp(x), lambda b, x, y: y,
       np_out=ufunc_out(np.exp),
       fold=math.exp)
_unary("log", lambda xp, x: xp.log(x), lambda b, x, y: b.reciprocal(x),
       np_out=ufunc_out(np.log))
_unary("log1p", lambda xp, x: xp.log1p(x), lambda b, x, y: b.reciprocal(b.add(x, _one(b, x))),
       np_out=ufunc_out(np.log1p))
_unary("expm1", lambda xp, x: xp.expm1(x), lambda b, x, y: b.add(y, _one(b, x)),
       np_out=ufunc_out(np.expm1))
_unary("sqrt", lambda xp, x: xp.sqrt(x), lambda b, x, y: b.div(_c(b, x, 0.5), y),
       np_out=ufunc_out(np.sqrt))
_unary("rsqrt", lambda xp, x: 1 / xp.sqrt(x), lambda b, x, y: b.mul(_c(b, x, -0.5), b.div(y, x)),
       np_out=ufunc_out(_k_rsqrt))


def _float16_in_float32(deriv):
    """deriv of a float16 x computed in float32 and rounded once, as MindSpore 2.10's CPU grad kernels (AsinGrad,
    ACosGrad: in float16 steps 1 - x^2 and its rsqrt put 596 of 8192 float16 values up to 6 ulps off)."""
    def d(b, x, y):
        if x.dtype != "float16":
            return deriv(b, x, y)
        return b.cast(deriv(b, b.cast(x, dtype="float32"), b.cast(y, dtype="float32")), dtype="float16")
    return d


_unary("reciprocal", lambda xp, x: 1 / x, lambda b, x, y: b.neg(b.square(y)),
       np_out=_reciprocal_out)
_unary("square", lambda xp, x: x * x, lambda b, x, y: b.mul(_c(b, x, 2.0), x), float_only=False,
       np_out=ufunc_out(_k_square), fold=lambda a: a * a)
_unary("sin", _sin_impl, lambda b, x, y: b.cos(x),
       np_out=ufunc_out(_k_sin),
       fold=math.sin)
_unary("cos", lambda xp, x: xp.cos(x), lambda b, x, y: b.neg(b.sin(x)),
       np_out=ufunc_out(np.cos),
       fold=math.cos)
_unary("tan", lambda xp, x: xp.tan(x), lambda b, x, y: b.add(_one(b, x), b.square(y)),
       np_out=ufunc_out(np.tan))
_unary("sinh", lambda xp, x: xp.sinh(x), lambda b, x, y: b.cosh(x),
       np_out=ufunc_out(np.sinh))
_unary("cosh", lambda xp, x: xp.cosh(x), lambda b, x, y: b.sinh(x),
       np_out=ufunc_out(np.cosh))
# (TanhGrad, float16: 1 - y^2 in float16 steps put 550 of 8192 values off MindSpore 2.10's, tanhshrink's 144)
_unary("tanh", lambda xp, x: xp.tanh(x), _float16_in_float32(lambda b, x, y: b.sub(_one(b, x), b.square(y))),
       np_out=ufunc_out(np.tanh),
       fold=math.tanh)
_unary("asin", lambda xp, x: xp.asin(x),
       _float16_in_float32(lambda b, x, y: b.rsqrt(b.sub(_one(b, x), b.square(x)))),
       np_out=ufunc_out(np.asin))
_unary("acos", lambda xp, x: xp.acos(x),
       _float16_in_float32(lambda b, x, y: b.neg(b.rsqrt(b.sub(_one(b, x), b.square(x))))),
       np_out=ufunc_out(np.acos))
_unary("atan", lambda xp, x: xp.atan(x), lambda b, x, y: b.reciprocal(b.add(_one(b, x), b.square(x))),
       np_out=ufunc_out(np.atan))
_unary("asinh", lambda xp, x: xp.asinh(x), lambda b, x, y: b.rsqrt(b.add(b.square(x), _one(b, x))),
       np_out=ufunc_out(np.asinh))
# d acosh(x) = 1 / sinh(acosh(x)): for complex x, 1 / sqrt(x^2 - 1) has the wrong sign where Re(x) < 0 (the
# principal branch is 1 / (sqrt(x - 1) sqrt(x + 1))); MindSpore's AcoshGrad is dy / conj(sinh(y)) too
_unary("acosh", lambda xp, x: xp.acosh(x), lambda b, x, y: b.reciprocal(b.sinh(y)),
       np_out=ufunc_out(np.acosh))
_unary("atanh", lambda xp, x: xp.atanh(x), lambda b, x, y: b.reciprocal(b.sub(_one(b, x), b.square(x))),
       np_out=ufunc_out(np.atanh))
_unary("sigmoid", lambda xp, x: 1 / (1 + xp.exp(-x)), lambda b, x, y: b.mul(y, b.sub(_one(b, x), y)),
       np_out=ufunc_out(_k_sigmoid))
# (SoftplusGrad, float16: sigmoid in float16 steps put 1355 of 8192 values an ulp off MindSpore 2.10's)
_unary("softplus", lambda xp, x: xp.logaddexp(x, xp.zeros_like(x)), _float16_in_float32(lambda b, x, y: b.sigmoid(x)),
       np_out=ufunc_out(_k_softplus))
_unary("relu", lambda xp, x: xp.where(x > 0, x, xp.zeros_like(x)), None)


def _relu_vjp(b, ins, outs, cts):
    """A select, not ct * (x > 0): where x <= 0 the gradient is 0 even for an infinite or NaN cotangent
    (sqrt(relu(x)) at x < 0), as MindSpore 2.10's ReluGrad and PyTorch's threshold_backward give."""
    return [_select_where(b, b.greater(ins[0], b.zeros_like(ins[0])), cts[0])]


def _select_where(b, mask, v):
    """v where mask holds, 0 elsewhere (a NaN or inf v included)."""
    return b.where(mask, v, b.zeros_like(v))


vjp_rules["relu"] = _relu_vjp
jvp_rules["relu"] = lambda b, ins, outs, ts: _relu_vjp(b, ins, outs, ts)
_unary("abs", lambda xp, x: xp.abs(x), None, float_only=False,
       np_out=ufunc_out(np.abs),
       fold=abs)


def _unit(b, x, r):
    """x / |x| for complex x with modulus r (0 where x == 0, as sign(0) = 0)."""
    zero = b.zeros_like(r)
    safe = b.where(b.equal(r, zero), b.full_like(r, 1.0), r)
    return b.where(b.equal(r, zero), b.zeros_like(x), b.div(x, b.cast(safe, dtype=x.dtype)))


def _abs_vjp(b, ins, outs, cts):
    x, r = ins[0], outs[0]
    if not is_complex(x.dtype):
        return [b.mul(cts[0], b.sign(x))]
    return [b.mul(b.cast(cts[0], dtype=x.dtype), _unit(b, x, r))]  # real ct: d|x| = Re(conj(x/|x|) dx)


def _abs_jvp(b, ins, outs, ts):
    x, r = ins[0], outs[0]
    if not is_complex(x.dtype):
        return [b.mul(ts[0], b.sign(x))]
    return [b.real(b.mul(conj(b, _unit(b, x, r)), ts[0]))]


vjp_rules["abs"], jvp_rules["abs"] = _abs_vjp, _abs_jvp
_unary("erf", lambda xp, x: xp.erf(x),
       lambda b, x, y: b.mul(_c(b, x, 2.0 / math.sqrt(math.pi)), b.exp(b.neg(b.square(x)))))
# erf's inverse: +-inf at +-1, NaN beyond; d/dx = sqrt(pi)/2 exp(y^2), from the output, which gives +inf at
# +-1 and NaN beyond (MindSpore's and torch's), and derivatives of any order (y' is again a graph of y)
_unary("erfinv", lambda xp, x: xp.erfinv(x),
       lambda b, x, y: b.mul(_c(b, x, math.sqrt(math.pi) / 2.0), b.exp(b.square(y))),
       doc="elementwise inverse error function erf^-1(x) (+-inf at +-1, NaN outside [-1, 1])")

# The log-gamma family: each one's derivative is the next (lgamma' = digamma, digamma' = polygamma n=1,
# polygamma(n)' = polygamma(n+1)), so derivatives of any order exist.
# -inf -> +inf first: lgamma(-inf) = +inf (C99, torch, JAX, MindSpore); SciPy's gammaln says -inf
_unary("lgamma", lambda xp, x: xp.lgamma(xp.where(xp.isinf(x), xp.abs(x), x)), lambda b, x, y: b.digamma(x),
       doc="elementwise log |Gamma(x)| (+inf at the poles 0, -1, -2, ...)")
_unary("digamma", lambda xp, x: xp.digamma(x), lambda b, x, y: b.polygamma(x, n=1),
       doc="elementwise digamma psi(x) = d/dx lgamma(x)")
defop("polygamma", 1, rule_infer("polygamma"), attrs={"n": Attr("int")},
      doc="elementwise n-th derivative of digamma (n >= 1)")
impl_rules["polygamma"] = lambda xp, x, n: xp.polygamma(n, x)
vjp_rules["polygamma"] = lambda b, ins, outs, cts, n: [b.mul(cts[0], b.polygamma(ins[0], n=n + 1))]
jvp_rules["polygamma"] = lambda b, ins, outs, ts, n: [b.mul(ts[0], b.polygamma(ins[0], n=n + 1))]

# neg and sign: linear / locally constant, with their own rules.
_unary("neg", lambda xp, x: -x, None, float_only=False,
       np_out=ufunc_out(np.negative), fold=lambda a: -a, linear=True, sign_symmetric=True)
vjp_rules["neg"] = lambda b, ins, outs, cts: [b.neg(cts[0])]
jvp_rules["neg"] = lambda b, ins, outs, ts: [b.neg(ts[0])]

# sign is differentiable with derivative zero almost everywhere: a true zero, not a missing rule.
_unary("sign", lambda xp, x: xp.sign(x), None, float_only=False,
       np_out=ufunc_out(np.sign),
       fold=lambda a: float(np.sign(a)))
vjp_rules["sign"] = lambda b, ins, outs, cts: [None]
jvp_rules["sign"] = lambda b, ins, outs, ts: [None]


# -- binary -------------------------------------------------------------------
def _binary(name: str, impl, vjp, jvp, *, float_only: bool = False, doc: str = "", **flags):
    defop(name, 2, rule_infer(name),
          doc=doc or f"elementwise {name} with NumPy broadcasting", broadcasts=True, **flags)
    impl_rules[name] = impl
    vjp_rules[name] = vjp
    jvp_rules[name] = jvp


def _sum_tangents(b, *terms):
    out = None
    for t in terms:
        out = b.add_any(out, t)
    return out


_binary("add", lambda xp, x, y: x + y,
        lambda b, ins, outs, cts: [cts[0], cts[0]],
        lambda b, ins, outs, ts: [b.add_any(ts[0], ts[1])],
        commutative=True, fold=lambda a, b: a + b, np_out=ufunc_out(np.add))
_binary("sub", lambda xp, x, y: x - y,
        lambda b, ins, outs, cts: [cts[0], b.neg(cts[0])],
        lambda b, ins, outs, ts: [ts[0] if ts[1] is None else (b.neg(ts[1]) if ts[0] is None else b.sub(ts[0], ts[1]))],
        fold=lambda a, b: a - b, np_out=ufunc_out(np.subtract))
_binary("mul", lambda xp, x, y: x * y,
        lambda b, ins, outs, cts: [b.mul(cts[0], conj(b, ins[1])), b.mul(conj(b, ins[0]), cts[0])],
        lambda b, ins, outs, ts: [_sum_tangents(b, ts[0] and b.mul(ts[0], ins[1]), ts[1] and b.mul(ins[0], ts[1]))],
        commutative=True, linear=True, sign_symmetric=True, fold=lambda a, b: a * b, np_out=ufunc_out(np.multiply))
def _div_vjp(b, ins, outs, cts):
    # MindSpore 2.10's Div / RealDiv bprop, in its order: dx = ct / y, dy = -(dx * out) (the last bit of a float16
    # dy follows the order: 1 / 7 * (3 / 7) rounds to -0.061188, 1 * (3 / 7) / 7 to -0.061218)
    dx = b.div(cts[0], conj(b, ins[1]))
    return [dx, b.neg(b.mul(dx, conj(b, outs[0])))]


_binary("div", lambda xp, x, y: x / y,
        _div_vjp,
        lambda b, ins, outs, ts: [_sum_tangents(b, ts[0] and b.div(ts[0], ins[1]),
                                                ts[1] and b.neg(b.div(b.mul(ts[1], outs[0]), ins[1])))],
        float_only=True, sign_symmetric=True, np_out=ufunc_out(np.divide))


def _pow_dx(b, x, y):
    return b.mul(y, b.pow(x, b.sub(y, b.scalar(1.0, y.dtype))))


def _pow_dy(b, x, y, out):
    # d/dy x**y = log(x) * x**y; defined as 0 where x == 0 and y >= 0 (the limit used by JAX and PyTorch). At x == 0,
    # y < 0 it stays log(0) * inf = -inf, as MindSpore 2.10 and PyTorch give (JAX's 0 * inf there is NaN).
    zero = b.zeros_like(x)
    limit = b.equal(x, zero)
    if not is_complex(y.dtype):
        limit = b.logical_and(limit, b.greater_equal(y, b.zeros_like(y)))
    x = b.where(limit, b.full_like(x, 1.0), x)  # log's own gradient stays finite where the limit is taken
    return b.where(limit, b.zeros_like(out), b.mul(b.log(x), out))


_binary("pow", lambda xp, x, y: xp.pow(x, y),
        lambda b, ins, outs, cts: [b.mul(cts[0], conj(b, _pow_dx(b, ins[0], ins[1]))),
                                   b.mul(cts[0], conj(b, _pow_dy(b, ins[0], ins[1], outs[0])))],
        lambda b, ins, outs, ts: [_sum_tangents(b, ts[0] and b.mul(ts[0], _pow_dx(b, ins[0], ins[1])),
                                                ts[1] and b.mul(ts[1], _pow_dy(b, ins[0], ins[1], outs[0])))],
        float_only=True, np_out=ufunc_out(np.pow))


def _atan2_d(b, y, x):
    """(d/dy, d/dx) of atan2(y, x): x / r2 and -y / r2 (NaN at (0, 0), as MindSpore 2.10 and JAX)."""
    r2 = b.add(b.square(x), b.square(y))
    return b.div(x, r2), b.neg(b.div(y, r2))


def _atan2_vjp(b, ins, outs, cts):
    dy, dx = _atan2_d(b, ins[0], ins[1])
    return [b.mul(cts[0], dy), b.mul(cts[0], dx)]


def _atan2_jvp(b, ins, outs, ts):
    dy, dx = _atan2_d(b, ins[0], ins[1])
    return [_sum_tangents(b, ts[0] and b.mul(ts[0], dy), ts[1] and b.mul(ts[1], dx))]


_binary("atan2", lambda xp, y, x: xp.atan2(y, x), _atan2_vjp, _atan2_jvp, float_only=True,
        doc="atan2(y, x): the angle of the point (x, y) in [-pi, pi], elementwise with NumPy broadcasting",
        np_out=ufunc_out(np.arctan2))


def _shares(b, x, y, first: bool):
    """(x loses, y loses, the winner's share), broadcast: the loser gets 0 (x > y wins for maximum, x < y for
    minimum), the winner the whole derivative, 0.5 each at ties, as MindSpore 2.10, JAX and PyTorch split them;
    where an operand is NaN neither wins and each gets the whole (MindSpore 2.10 and PyTorch). One mask per
    operand, used by both the share and the select (not a share compared with 0 again)."""
    x_loses = b.less(x, y) if first else b.greater(x, y)
    y_loses = b.greater(x, y) if first else b.less(x, y)
    share = b.where(b.equal(x, y), b.scalar(0.5, x.dtype), b.scalar(1.0, x.dtype))
    return x_loses, y_loses, share


def _unless_loses(b, v, loses):
    """v (the derivative times the share), exactly 0 where the operand loses (an infinite v gives 0 there, not
    NaN, as MindSpore 2.10's MaximumGrad / MinimumGrad and PyTorch select; sqrt(maximum(x, 0)) at x < 0)."""
    return b.where(loses, b.zeros_like(v), v)


def _k_maximum(x, y, o=None):
    return np.maximum(x, y, out=o)


def _k_minimum(x, y, o=None):
    return np.minimum(x, y, out=o)


for _name, _impl, _first, _k in (("maximum", lambda xp, x, y: xp.maximum(x, y), True, _k_maximum),
                                 ("minimum", lambda xp, x, y: xp.minimum(x, y), False, _k_minimum)):
    def _vjp(b, ins, outs, cts, _first=_first):
        x_loses, y_loses, share = _shares(b, ins[0], ins[1], _first)
        ct = b.mul(cts[0], share)  # (the same for both operands: only the masks differ)
        return [_unless_loses(b, ct, x_loses), _unless_loses(b, ct, y_loses)]

    def _jvp(b, ins, outs, ts, _first=_first):
        x_loses, y_loses, share = _shares(b, ins[0], ins[1], _first)
        return [_sum_tangents(b, ts[0] and _unless_loses(b, b.mul(ts[0], share), x_loses),
                              ts[1] and _unless_loses(b, b.mul(ts[1], share), y_loses))]

    _binary(_name, _impl, _vjp, _jvp, commutative=True, np_out=ufunc_out(_k))


# -- comparisons: boolean outputs, no derivative flows through them ---------------
for _name, _impl, _uf, _comm in (
        ("equal", lambda xp, x, y: x == y, np.equal, True), ("not_equal", lambda xp, x, y: x != y, np.not_equal, True),
        ("less", lambda xp, x, y: x < y, np.less, False), ("less_equal", lambda xp, x, y: x <= y, np.less_equal, False),
        ("greater", lambda xp, x, y: x > y, np.greater, False),
        ("greater_equal", lambda xp, x, y: x >= y, np.greater_equal, False)):
    defop(_name, 2, rule_infer(_name), nondiff=True,
          doc=f"elementwise comparison {_name} (bool output, not differentiable)", commutative=_comm,
          np_out=ufunc_out(_uf))
    impl_rules[_name] = _impl

for _name, _impl, _uf in (("logical_and", lambda xp, x, y: xp.logical_and(x, y), np.logical_and),
                          ("logical_or", lambda xp, x, y: xp.logical_or(x, y), np.logical_or)):
    defop(_name, 2, rule_infer(_name), nondiff=True,
          commutative=True, np_out=ufunc_out(_uf))
    impl_rules[_name] = _impl
for _name, _uf in (("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor)):
    defop(_name, 2, rule_infer(_name), nondiff=True, commutative=True, np_out=ufunc_out(_uf),
          doc=f"elementwise {_name} of integer (or bool) operands of one dtype (not differentiable)")
    impl_rules[_name] = (lambda n: lambda xp, x, y: getattr(xp, n)(x, y))(_name)
defop("logical_not", 1, rule_infer("logical_not"), nondiff=True,
      np_out=ufunc_out(np.logical_not))
impl_rules["logical_not"] = lambda xp, x: xp.logical_not(x)


# -- where(cond, x, y) ----------------------------------------------------------------
defop("where", 3, rule_infer("where"), doc="where(cond, x, y): x where cond else y, broadcasting")
impl_rules["where"] = lambda xp, c, x, y: xp.where(c, x, y)


def _where_vjp(b, ins, outs, cts):
    c, x, y = ins
    ct = cts[0]
    zero = b.zeros_like(ct)
    return [None, b.where(c, ct, zero), b.where(c, zero, ct)]


def _where_jvp(b, ins, outs, ts):
    c, x, y = ins
    tx = ts[1] if ts[1] is not None else b.zeros_like(x)
    ty = ts[2] if ts[2] is not None else b.zeros_like(y)
    if ts[1] is None and ts[2] is None:
        return [None]
    return [b.where(c, tx, ty)]


vjp_rules["where"] = _where_vjp
jvp_rules["where"] = _where_jvp


# -- markers and casts: identity, stop_gradient, cast ----------------------------------
defop("identity", 1, rule_infer("identity"), doc="identity; marks a differentiation point", cse=False,
      np_view=lambda e: "alias")
impl_rules["identity"] = lambda xp, x: x
vjp_rules["identity"] = lambda b, ins, outs, cts: [cts[0]]
jvp_rules["identity"] = lambda b, ins, outs, ts: [ts[0]]

defop("stop_gradient", 1, rule_infer("stop_gradient"), doc="identity whose derivative is zero",
      fold=lambda a: a, np_view=lambda e: "alias")
impl_rules["stop_gradient"] = lambda xp, x: x
vjp_rules["stop_gradient"] = lambda b, ins, outs, cts: [None]
jvp_rules["stop_gradient"] = lambda b, ins, outs, ts: [None]

defop("cast", 1, rule_infer("cast"), attrs={"dtype": Attr("dtype")},
      doc="convert dtype", rearranges=True)
impl_rules["cast"] = lambda xp, x, dtype: xp.astype(_real_part(xp, x, dtype), getattr(xp, dtype))


def _real_part(xp, x, dtype: str):
    """complex -> real keeps the real part (MindSpore's Cast; said explicitly, NumPy would warn)."""
    return xp.real(x) if not is_complex(dtype) and complex_array(xp, x) else x


# dout cast back to the input's dtype (an integer or bool input is active only under grad's int_grads; a bool's
# is MindSpore's cast of dout, True where it is non-zero: d(x * b.astype(f32))/db of x = 0.5 is True)
vjp_rules["cast"] = lambda b, ins, outs, cts, dtype: [b.cast(cts[0], dtype=ins[0].dtype)
                                                      if ins[0].dtype != "bool" or b.int_grads else None]
jvp_rules["cast"] = lambda b, ins, outs, ts, dtype: [b.cast(ts[0], dtype=outs[0].dtype) if is_inexact(outs[0].dtype) else None]
