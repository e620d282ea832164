"""Eager arithmetic in the client: every NumPy kernel of gradserve._eager against the engine's own
plan for the same one-op graph (what the service runs), bit for bit; eager ops send no request;
the remote mode still sends them."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from gradserve import _eager, ops
from gradserve.errors import ShapeError

from engine.api import GraphBuilder, evaluate

rng = np.random.default_rng(0)
F32 = "float32"


def _x(*shape, dtype=F32, positive=False, unit=False):
    a = rng.normal(size=shape)
    if positive:
        a = np.abs(a) + 0.5
    if unit:
        a = np.tanh(a) * 0.9
    return a.astype(dtype)


UNARY_SPECIAL = {"log": {"positive": True}, "sqrt": {"positive": True}, "rsqrt": {"positive": True},
                 "log1p": {"positive": True}, "acosh": {"positive": True}, "reciprocal": {"positive": True},
                 "asin": {"unit": True}, "acos": {"unit": True}, "atanh": {"unit": True}}
UNARY = ["exp", "log", "log1p", "expm1", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos", "tan", "sinh", "cosh",
         "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "sigmoid", "softplus", "relu", "abs", "neg", "sign",
         "zeros_like", "ones_like", "identity", "stop_gradient"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
          "greater_equal"]


def _cases():
    out = []
    for op in UNARY:
        kw = UNARY_SPECIAL.get(op, {})
        acosh = {"positive": True} if op == "acosh" else kw
        x = _x(3, 4, **acosh)
        if op == "acosh":
            x = x + 1
        out.append((op, [x], {}))
    for op in BINARY:
        out.append((op, [_x(3, 4), _x(4)], {}))
    b1, b2 = _x(3, 4) > 0, _x(3, 4) > 0
    out += [
        ("pow", [_x(3, 4, positive=True), _x(3, 4)], {}),
        ("atan2", [_x(3, 4), _x(3, 4)], {}),
        ("logical_and", [b1, b2], {}), ("logical_or", [b1, b2], {}), ("logical_not", [b1], {}),
        *((op, [rng.integers(-50, 50, (3, 4)).astype(np.int16), rng.integers(-50, 50, (4,)).astype(np.int16)], {})
          for op in ("bitwise_and", "bitwise_or", "bitwise_xor")),
        ("where", [b1, _x(3, 4), _x(4)], {}),
        ("softmax", [_x(3, 4)], {"axis": 0}), ("log_softmax", [_x(3, 4)], {"axis": -1}),
        ("logsumexp", [_x(3, 4)], {"axis": [1], "keepdims": False}),
        ("sum", [_x(3, 4)], {"axis": None, "keepdims": False}), ("sum", [_x(3, 4)], {"axis": [0], "keepdims": True}),
        ("mean", [_x(3, 4)], {"axis": [1], "keepdims": False}), ("max", [_x(3, 4)], {"axis": None, "keepdims": False}),
        ("min", [_x(3, 4)], {"axis": [0], "keepdims": False}), ("prod", [_x(3, 4)], {"axis": [1], "keepdims": True}),
        ("sum", [rng.integers(-5, 5, (3, 4)).astype(np.int32)], {"axis": None, "keepdims": False}),
        ("cast", [_x(3, 4)], {"dtype": "float64"}), ("cast", [_x(3, 4) * 10], {"dtype": "int32"}),
        ("reshape", [_x(3, 4)], {"shape": [2, -1]}), ("expand_dims", [_x(3, 4)], {"axis": -1}),
        ("squeeze", [_x(3, 1, 4)], {"axis": None}), ("broadcast_to", [_x(4)], {"shape": [3, 4]}),
        ("transpose", [_x(2, 3, 4)], {"perm": [2, 0, 1]}), ("transpose", [_x(3, 4)], {"perm": None}),
        ("matmul", [_x(3, 4), _x(5, 4)], {"transpose_a": False, "transpose_b": True}),
        ("matmul", [_x(2, 4, 3), _x(4, 5)], {"transpose_a": True, "transpose_b": False}),
        ("concat", [_x(3, 4), _x(1, 4)], {"axis": 0}), ("stack", [_x(3, 4), _x(3, 4)], {"axis": 1}),
        ("gather", [_x(5, 3), rng.integers(0, 5, (2, 2)).astype(np.int64)], {"axis": 0}),
        ("take_along_axis", [_x(3, 4), rng.integers(-4, 4, (3, 2)).astype(np.int64)], {"axis": 1}),
        ("take_along_axis", [_x(3, 4), rng.integers(0, 3, (2, 4)).astype(np.int32)], {"axis": 0}),
        ("fill", [], {"shape": [2, 3], "value": 1.5, "dtype": "float32"}),
        ("argmax", [_x(3, 4)], {"axis": 1, "keepdims": False}), ("argmin", [_x(3, 4)], {"axis": -2, "keepdims": True}),
        ("argmax", [np.array([1.0, 3.0, 3.0, 0.0], np.float32)], {"axis": 0, "keepdims": False}),  # a tie: the first
        ("sort", [_x(3, 4)], {"axis": -1, "descending": False}), ("sort", [_x(3, 4)], {"axis": 0, "descending": True}),
        ("top_k", [_x(3, 5)], {"k": 2, "axis": -1, "largest": True}),
        ("top_k", [_x(4, 3)], {"k": 3, "axis": 0, "largest": False}),
        # integers descending: -x wraps (uint8 1 -> 255, int8 -128 -> -128); the engine sorts on ~x
        ("sort", [np.array([1, 0, 255, 7], np.uint8)], {"axis": 0, "descending": True}),
        ("sort", [np.array([[-128, 3, 127], [0, -128, 1]], np.int8)], {"axis": -1, "descending": True}),
        ("top_k", [np.array([1, 0, 255, 7], np.uint8)], {"k": 2, "axis": 0, "largest": True}),
        ("sort", [np.array([True, False, True])], {"axis": 0, "descending": True}),
        ("clip", [_x(3, 4)], {"min": -0.5, "max": 0.5}), ("clip", [_x(3, 4)], {"min": None, "max": 0.1}),
        ("clip", [_x(3, 4), _x(4), _x(3, 1) + 1], {}),
        ("clip", [(_x(3, 4) * 5).astype(np.int32)], {"min": -1.5, "max": 2.5}),
        # integer bounds as the engine reads them: ceil(min), floor(max), within the dtype
        ("clip", [np.arange(-3, 4, dtype=np.int32)], {"min": 0.5, "max": -1.5}),
        ("clip", [np.arange(-3, 4, dtype=np.int32)], {"min": -2.5, "max": 1.5}),
        ("clip", [np.array([1, 0, 255, 7], np.uint8)], {"min": -1.5, "max": 300.0}),
        ("clip", [np.array([-128, 0, 127], np.int8)], {"min": float("-inf"), "max": 1e9}),
    ]
    z, w = _x(3, 4) + 1j * _x(3, 4), (_x(4) + 1j * _x(4)).astype(np.complex128)  # complex64, complex128
    out += [(op, [z], {}) for op in ("conj", "real", "imag", "angle", "abs", "exp", "sin", "sqrt", "tanh", "neg")]
    out += [(op, [_x(3, 4)], {}) for op in ("conj", "real", "imag")]  # of a real tensor: x, zeros, x
    out += [(op, [z, z[0]], {}) for op in ("add", "mul", "div", "equal")]
    out += [("complex", [_x(3, 4), _x(4)], {}), ("complex", [_x(2, dtype="float64"), _x(2, dtype="float64")], {}),
            ("cast", [z], {"dtype": "float32"}), ("cast", [_x(3, 4)], {"dtype": "complex64"}),
            ("cast", [z], {"dtype": "complex128"}), ("matmul", [w.reshape(2, 2), w.reshape(2, 2)], {}),
            ("sum", [w], {"axis": None, "keepdims": False}), ("mean", [z], {"axis": [0], "keepdims": True})]
    return out


CASES = _cases()


@pytest.mark.parametrize("op,arrays,attrs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_kernel_is_the_engines_bit_for_bit(op, arrays, attrs):
    from gradserve import _catalog

    full = _catalog.check(op, len(arrays), attrs)
    got = _eager.compute(op, list(arrays), full)
    gb = GraphBuilder("one")
    xs = [gb.input(a.shape, a.dtype.name) for a in arrays]
    g = gb.build(gb.emit(op, xs, {k: (tuple(v) if isinstance(v, list) else v) for k, v in attrs.items()})[0])
    want = np.asarray(evaluate(g, *arrays))
    # the declared dtype: the engine's NumPy plan returns int64 for a sum of int32 (NumPy's promotion),
    # against its own shape rule (int32); the eager result follows the rule
    assert got[0].dtype.name == g.outputs.dtype and got[0].shape == want.shape
    np.testing.assert_array_equal(got[0], want)


def test_every_kernel_is_checked():
    assert set(_eager.KERNELS) <= {c[0] for c in CASES}


def test_eager_arithmetic_sends_no_request(fake):
    p = gs.Parameter(gs.Tensor(np.ones((2, 3), np.float32)), name="p")
    g = gs.Tensor(np.full((2, 3), 2.0, np.float32))
    before = len(fake.requests)
    p.set_data(p - 0.1 * g)
    y = ops.tanh(ops.matmul(p, ops.transpose(g))) + 1
    assert len(fake.requests) == before
    np.testing.assert_allclose(p.asnumpy(), np.full((2, 3), 0.8, np.float32))
    np.testing.assert_allclose(y.asnumpy(), np.tanh(np.full((2, 2), 0.8 * 2 * 3, np.float32)) + 1, rtol=1e-6)
    assert y.dtype == gs.float32


def test_eager_errors_are_the_services(fake):
    with pytest.raises(ShapeError, match="broadcast"):
        gs.Tensor(np.ones((2, 3), np.float32)) + gs.Tensor(np.ones((4,), np.float32))
    x, bad = gs.Tensor(np.ones((2, 3), np.float32)), gs.Tensor(np.array([[0, 3], [1, 1]], np.int64))
    with pytest.raises(ShapeError, match=r"take_along_axis: index 3 out of range for axis 1 of size 3"):
        ops.take_along_axis(x, bad, axis=1)
    with pytest.raises(ShapeError, match=r"gather: index -3 out of range for axis 0 of size 2"):
        ops.gather(x, gs.Tensor(np.array([-3], np.int64)), 0)


def test_max_along_an_axis_and_cummax_run_here(fake):
    """ops.max(x, axis) and cummax gather with take_along_axis: eager, no request."""
    x = gs.Tensor(np.array([[3.0, 1.0, 3.0], [0.0, 2.0, 5.0]], np.float32))
    before = len(fake.requests)
    vals, idx = ops.max(x, 1)
    cvals, cidx = ops.cummax(x, 1)
    assert len(fake.requests) == before
    assert vals.asnumpy().tolist() == [3.0, 5.0] and idx.asnumpy().tolist() == [0, 2]
    assert cvals.asnumpy().tolist() == [[3, 3, 3], [0, 2, 5]] and cidx.asnumpy().tolist() == [[0, 0, 2], [0, 1, 2]]


def test_remote_mode_and_ops_without_kernel_go_to_the_service(fake, monkeypatch):
    x = gs.Tensor(np.array([0.5, -1.0], np.float32))
    before = len(fake.requests)
    np.testing.assert_allclose(ops.erf(x).asnumpy(), [0.5204999, -0.8427008], rtol=1e-6)  # no kernel here
    assert len(fake.requests) > before
    _eager.set_eager_mode("remote")
    try:
        n = len(fake.requests)
        np.testing.assert_allclose((x * 2).asnumpy(), [1.0, -2.0])
        assert len(fake.requests) > n
    finally:
        _eager.set_eager_mode("local")
    with pytest.raises(ValueError):
        _eager.set_eager_mode("gpu")
