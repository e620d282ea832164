"""StableHLO's bit-level ops (round 11, found by jax.random inside a model and bfloat16 emulation): shifts of
integers, bitcast_convert of integers to floats and reduce_precision, bit for bit against XLA (jax.jit) at the
edges (shift amounts past the width, subnormals, inf, nan, ties, overflow, flush to zero), and reduce_precision's
derivative as JAX defines it (the cotangent / tangent reduced alike, not round's zero)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import gradserve as gs
from gradserve import Tensor, ops


def _split(y):
    """y's finite values (others 0) and its nan / +inf / -inf masks: the test transport's JSON has no inf / nan."""
    return jnp.where(jnp.isfinite(y), y, 0), jnp.isnan(y), jnp.isposinf(y), jnp.isneginf(y)


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_array_equal(got.view(f"u{got.itemsize}") if got.dtype.kind == "f" else got,
                                  want.view(f"u{want.itemsize}") if want.dtype.kind == "f" else want)


@pytest.mark.parametrize("dtype", [np.uint32, np.int32, np.uint8, np.int16])
def test_shifts(fake, dtype):
    info = np.iinfo(dtype)
    x = np.array([0, 1, 5, info.max, info.min, info.max // 3, -7 if info.min < 0 else 200, 12345 % (info.max + 1)],
                 dtype)
    bits = info.bits
    s = np.array([0, 1, 3, bits - 1, bits, bits + 5, -1 if info.min < 0 else 2, bits - 2], dtype)  # (read unsigned)

    def fn(a, b):
        return lax.shift_left(a, b), lax.shift_right_logical(a, b), lax.shift_right_arithmetic(a, b)

    net = gs.from_jax(fn, x, s)
    for g, w in zip(net(Tensor(x), Tensor(s)), jax.jit(fn)(x, s)):
        _same(g.asnumpy(), w)


def test_bitcast_int_to_float(fake):
    patterns = np.array([0, 0x80000000, 1, 0x807FFFFF, 0x00800000, 0x3F800000, 0x3F800000 | 0x7FFFFF, 0x7F7FFFFF,
                         0x7F800000, 0xFF800000, 0x7FC00000, 0x12345678, 0xDEADBEEF], np.uint32)

    def fn(u, i):
        return _split(lax.bitcast_convert_type(u, jnp.float32)) + _split(lax.bitcast_convert_type(i, jnp.float32))

    net = gs.from_jax(fn, patterns, patterns.view(np.int32))
    for g, w in zip(net(Tensor(patterns), Tensor(patterns.view(np.int32))), jax.jit(fn)(patterns,
                                                                                       patterns.view(np.int32))):
        _same(g.asnumpy(), w)


_X = np.array([0.0, -0.0, 1.0, 1.00390625, 1.005859375, 1.001953125, 1.0029296875, -3.14159, 65504.0, 65520.0,
               3.4e38, -3.4e38, 1e-38, 1e-40, -1e-45, 6.1e-5, 5.9e-8, 2.9e-8, 1e30, 0.3, 123.456, 0.0234,
               -1.75, 2.5, 3.5, 240.0, 248.0, 0.015625, 0.0146], np.float32)


@pytest.mark.parametrize("ebits,mbits", [(8, 7), (5, 10), (4, 3), (8, 23), (2, 1)])
def test_reduce_precision_values(fake, ebits, mbits):
    def fn(x):
        return _split(lax.reduce_precision(x, exponent_bits=ebits, mantissa_bits=mbits))

    xs = np.where(np.isfinite(_X), _X, 0)  # the inputs' inf / nan are made in the function (JSON again)

    def with_specials(x):
        return fn(jnp.concatenate([x, jnp.array([np.inf, -np.inf, np.nan], jnp.float32)]))

    for g, w in zip(gs.from_jax(with_specials, xs)(Tensor(xs)), jax.jit(with_specials)(xs)):
        _same(g.asnumpy(), w)


def test_reduce_precision_derivatives_are_jax_s(fake):
    """JAX differentiates reduce_precision as a linear map: the vjp reduces the cotangent, the jvp the tangent;
    the rounding's own derivative (zero) would be silently wrong."""
    x = np.array([0.7, -1.3, 2.2, 5.0], np.float32)
    ct = np.array([1.001, 3.0001, -0.12345, 7.77], np.float32)

    def fn(a):
        return lax.reduce_precision(a, exponent_bits=8, mantissa_bits=7) * 2.0

    net = gs.from_jax(fn, x)
    want = jax.vjp(fn, x)[1](ct)[0]
    assert not np.array_equal(np.asarray(want), 2 * ct)  # the rule matters on these numbers
    got = ops.grad(lambda t: (net(t) * Tensor(ct)).sum())(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(got, np.asarray(want))
    _, jt = jax.jvp(fn, (x,), (ct,))
    _, gt = ops.jvp(net, Tensor(x), Tensor(ct))
    np.testing.assert_array_equal(gt.asnumpy(), np.asarray(jt))
