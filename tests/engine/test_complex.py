"""complex64 / complex128: values, MindSpore's gradient convention, refusals, graph JSON.

The convention (docs/API.md, "Complex numbers"): the gradient of a real loss L with respect to a
complex input z is dL/dRe(z) + i dL/dIm(z) (MindSpore 2.10 and PyTorch; JAX returns its conjugate),
and a vjp maps a cotangent c of y = f(z), f holomorphic, to c * conj(f'(z)). Expected values come
from finite differences on the real and imaginary parts and from PyTorch's complex autograd (which
uses the same convention); tests/engine/_optable_complex.py checks every complex op's rules to
order 3 against finite differences.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine import DifferentiationError, Engine, GraphBuilder, ShapeError, grad, grad_operation, jacobian, jvp, vjp
from engine.serialize import graph_from_json, graph_to_json

torch = pytest.importorskip("torch")

ENG = Engine()
Z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j], np.complex128)
W = np.array([0.5 - 1j, 2 + 1j, -1 + 0.5j], np.complex128)


def _graph(fn, *dtypes, shape=(3,)):
    gb = GraphBuilder("f")
    ins = [gb.input(shape, d, name=f"a{i}") for i, d in enumerate(dtypes)]
    return gb.build(fn(gb, *ins))


def _loss(gb, z, w):
    """A real loss mixing holomorphic and non-holomorphic pieces."""
    y = gb.add(gb.mul(gb.exp(z), w), gb.div(gb.sin(z), gb.add(w, z)))
    return gb.add(gb.sum(gb.square(gb.abs(y))), gb.sum(gb.mul(gb.angle(y), gb.real(gb.conj(z)))))


def _loss_np(z, w):
    y = np.exp(z) * w + np.sin(z) / (w + z)
    return float(np.sum(np.abs(y) ** 2) + np.sum(np.angle(y) * z.real))


def _fd_complex_grad(f, z, eps=1e-6):
    """dL/dRe + i dL/dIm per element, by central differences."""
    out = np.zeros_like(z)
    for k in range(z.size):
        e = np.zeros_like(z)
        e[k] = eps
        d_re = (f(z + e) - f(z - e)) / (2 * eps)
        d_im = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        out[k] = d_re + 1j * d_im
    return out


def test_grad_of_real_loss_is_d_re_plus_i_d_im():
    g = _graph(_loss, "complex128", "complex128")
    gz, gw = ENG.run(grad_operation(g, get_all=True), [Z, W])
    assert gz.dtype == np.complex128
    np.testing.assert_allclose(gz, _fd_complex_grad(lambda z: _loss_np(z, W), Z), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gw, _fd_complex_grad(lambda w: _loss_np(Z, w), W), rtol=1e-6, atol=1e-8)


def test_grad_matches_pytorch_autograd():
    """PyTorch's complex autograd (the convention MindSpore shares) on the same loss, complex64."""
    z64, w64 = Z.astype(np.complex64), W.astype(np.complex64)
    g = _graph(_loss, "complex64", "complex64")
    gz, gw = ENG.run(grad_operation(g, get_all=True), [z64, w64])
    tz, tw = (torch.tensor(a, requires_grad=True) for a in (z64, w64))
    y = torch.exp(tz) * tw + torch.sin(tz) / (tw + tz)
    (torch.sum(torch.abs(y) ** 2) + torch.sum(torch.angle(y) * torch.real(tz.conj()))).backward()
    assert gz.dtype == np.complex64
    np.testing.assert_allclose(gz, tz.grad.numpy(), rtol=2e-5, atol=1e-5)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=2e-5, atol=1e-5)


@pytest.mark.parametrize("op, fprime", [
    ("exp", np.exp), ("log", lambda z: 1 / z), ("sin", np.cos), ("tanh", lambda z: 1 - np.tanh(z) ** 2),
    ("sqrt", lambda z: 0.5 / np.sqrt(z)), ("reciprocal", lambda z: -1 / z ** 2), ("square", lambda z: 2 * z)])
def test_vjp_of_holomorphic_op_is_ct_times_conj_derivative(op, fprime):
    """MindSpore 2.10 ops.vjp on exp / log / sin / tanh / sqrt / reciprocal gives c * conj(f'(z))."""
    ct = np.array([1, 1j, 0.5 - 2j], np.complex128)
    g = _graph(lambda gb, z: gb.emit1(op, z), "complex128")
    out, (dz,) = ENG.run(vjp(g), [Z, ct])
    np.testing.assert_allclose(dz, ct * np.conj(fprime(Z)), rtol=1e-12)


def test_vjp_of_binary_ops_and_matmul():
    ct = np.array([1, 1j, 0.5 - 2j], np.complex128)
    mul = _graph(lambda gb, a, b: gb.mul(a, b), "complex128", "complex128")
    _, (da, db) = ENG.run(vjp(mul), [Z, W, ct])
    np.testing.assert_allclose(da, ct * np.conj(W), rtol=1e-12)
    np.testing.assert_allclose(db, ct * np.conj(Z), rtol=1e-12)
    div = _graph(lambda gb, a, b: gb.div(a, b), "complex128", "complex128")
    _, (da, db) = ENG.run(vjp(div), [Z, W, ct])
    np.testing.assert_allclose(da, ct / np.conj(W), rtol=1e-12)
    np.testing.assert_allclose(db, -ct * np.conj(Z / W ** 2), rtol=1e-12)
    a, b = Z.reshape(1, 3), W.reshape(3, 1) * np.array([[1], [2j], [-1]])
    c = np.array([[2 - 1j]])
    gb = GraphBuilder("mm")
    x, y = gb.input((1, 3), "complex128"), gb.input((3, 1), "complex128")
    mm = gb.build(gb.matmul(x, y))
    _, (dx, dy) = ENG.run(vjp(mm), [a, b, c])
    np.testing.assert_allclose(dx, c @ b.conj().T, rtol=1e-12)
    np.testing.assert_allclose(dy, a.conj().T @ c, rtol=1e-12)


def test_parts_and_construction():
    """real, imag, conj, angle, abs, complex(re, im): values and the gradients MindSpore 2.10 gives."""
    x, y = np.array([1.0, 2.0], np.float32), np.array([3.0, 4.0], np.float32)
    g = _graph(lambda gb, a, b: gb.complex(a, b), "float32", "float32", shape=(2,))
    out = ENG.run(g, [x, y])
    assert out.dtype == np.complex64 and np.array_equal(out, x + 1j * y)
    ct = np.array([1 + 2j, -1j], np.complex64)
    _, (gx, gy) = ENG.run(vjp(g), [x, y, ct])
    assert gx.dtype == np.float32 and np.array_equal(gx, ct.real) and np.array_equal(gy, ct.imag)
    z = np.array([1 + 2j, 0j, -3 + 4j], np.complex64)
    for op, ref, dref in (("real", np.real, lambda z: np.ones_like(z)), ("imag", np.imag, lambda z: np.full_like(z, 1j)),
                          ("abs", np.abs, lambda z: np.where(z == 0, 0, z / np.where(z == 0, 1, np.abs(z)))),
                          ("angle", np.angle, lambda z: np.where(z == 0, 0, 1j * z / np.where(z == 0, 1, np.abs(z) ** 2)))):
        g = _graph(lambda gb, a: gb.emit1(op, a), "complex64")
        out = ENG.run(g, [z])
        assert out.dtype == np.float32, op
        np.testing.assert_allclose(out, ref(z), rtol=1e-6)
        d = ENG.run(grad_operation(_graph(lambda gb, a: gb.sum(gb.emit1(op, a)), "complex64")), [z])
        np.testing.assert_allclose(d, dref(z), rtol=1e-6, err_msg=op)
    conj = ENG.run(grad_operation(_graph(lambda gb, a: gb.sum(gb.imag(gb.conj(a))), "complex64")), [z])
    np.testing.assert_allclose(conj, np.full(3, -1j), rtol=0)  # Im(conj z) = -Im z


def test_jvp_is_the_pushforward():
    """jvp(t) = d/de f(z + e t): complex finite differences (holomorphic or not)."""
    t = np.array([1, 1j, 0.3 - 0.7j], np.complex128)
    g = _graph(lambda gb, z, w: (gb.mul(gb.exp(z), gb.conj(w)), gb.abs(gb.add(z, w))), "complex128", "complex128")
    f = lambda z, w: (np.exp(z) * np.conj(w), np.abs(z + w))  # noqa: E731
    outs = ENG.run(jvp(g), [Z, W, t, 2 * t])
    eps = 1e-6
    fp, fm = f(Z + eps * t, W + 2 * eps * t), f(Z - eps * t, W - 2 * eps * t)
    for got, p, m in zip(outs[1], fp, fm):
        np.testing.assert_allclose(got, (p - m) / (2 * eps), rtol=1e-7, atol=1e-9)


def test_adjoint_identity_under_the_real_inner_product():
    """Re<c, J t> == Re<J* c, t>: jvp and vjp are adjoint w.r.t. Re(sum conj(a) b)."""
    rng = np.random.default_rng(0)
    g = _graph(lambda gb, z: gb.mul(gb.sin(z), gb.conj(z)), "complex128")
    t = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    c = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    jt = ENG.run(jvp(g), [Z, t])[1]
    (jc,) = ENG.run(vjp(g), [Z, c])[1]
    assert np.isclose(np.vdot(c, jt).real, np.vdot(jc, t).real, rtol=1e-12)


def test_second_order_through_complex():
    """d/dx of d/dx sum(|exp(i x)|^2 + Re(x^2 e^{ix})) for real x, against the closed form."""
    x = np.array([0.3, -1.2], np.float64)

    def f(gb, a):
        z = gb.complex(gb.zeros_like(a), a)  # i a
        e = gb.exp(z)
        c = gb.cast(a, dtype="complex128")
        return gb.sum(gb.add(gb.square(gb.abs(e)), gb.real(gb.mul(gb.square(c), e))))
    g = _graph(f, "float64", shape=(2,))
    d2 = ENG.run(grad_operation(grad_operation(g)), [x])
    # Re(x^2 e^{ix}) = x^2 cos x; |e^{ix}|^2 = 1
    np.testing.assert_allclose(d2, 2 * np.cos(x) - 4 * x * np.sin(x) - x ** 2 * np.cos(x), rtol=1e-9)


@pytest.mark.parametrize("op", ["maximum", "minimum", "less", "greater_equal"])
def test_orderings_refuse_complex(op):
    with pytest.raises(ShapeError, match=rf"{op}: not defined for complex operands, got complex64\[3\]"):
        _graph(lambda gb, a, b: gb.emit1(op, a, b), "complex64", "complex64")


@pytest.mark.parametrize("op, attrs", [("relu", {}), ("sign", {}), ("softplus", {}), ("erf", {}),
                                       ("max", {"axis": None, "keepdims": False}), ("sort", {"axis": -1}),
                                       ("argmax", {"axis": 0}), ("softmax", {"axis": 0}),
                                       ("logsumexp", {"axis": None, "keepdims": False}), ("clip", {"min": 0.0})])
def test_unary_ops_without_complex_meaning_refuse(op, attrs):
    with pytest.raises(ShapeError, match=rf"{op}: not defined for complex operands, got complex128\[3\]"):
        _graph(lambda gb, a: gb.emit(op, [a], attrs)[0], "complex128")


def test_construction_and_parts_check_dtypes():
    with pytest.raises(ShapeError, match=r"complex: needs float32 or float64 parts, got float16"):
        _graph(lambda gb, a, b: gb.complex(a, b), "float16", "float16")
    with pytest.raises(ShapeError, match=r"complex: not defined for complex operands"):
        _graph(lambda gb, a, b: gb.complex(a, b), "complex64", "complex64")
    with pytest.raises(ShapeError, match=r"angle: needs a complex operand, got float32\[3\]"):
        _graph(lambda gb, a: gb.angle(a), "float32")
    with pytest.raises(ShapeError, match=r"mul: operand dtypes differ"):
        _graph(lambda gb, a, b: gb.mul(a, b), "complex64", "float32")


def test_jacobian_of_complex_input_is_refused_clearly():
    g = _graph(lambda gb, z: gb.exp(z), "complex64")
    with pytest.raises(DifferentiationError, match="complex64, not floating-point; for complex inputs use jvp / vjp"):
        jacobian(g)
    h = _graph(lambda gb, x: gb.complex(x, x), "float32")
    with pytest.raises(DifferentiationError, match="output 0 is complex64; for complex outputs use jvp / vjp"):
        jacobian(h, mode="fwd")


def test_real_parts_of_real_tensors():
    """MindSpore's ops.real / imag / conj on a real tensor: x, zeros, x (no derivative through imag)."""
    x = np.array([1.5, -2.0, 0.25])
    g = _graph(lambda gb, a: (gb.real(a), gb.imag(a), gb.conj(a)), "float64")
    r, i, c = ENG.run(g, [x])
    assert np.array_equal(r, x) and np.array_equal(i, np.zeros(3)) and np.array_equal(c, x)
    d = ENG.run(grad(_graph(lambda gb, a: gb.sum(gb.add(gb.real(a), gb.imag(a))), "float64")), [x])
    assert np.array_equal(d, np.ones(3))


def test_cast_between_real_and_complex():
    """cast keeps the real part (MindSpore's Cast); the cotangent comes back as its real part."""
    z = np.array([1.5 + 2j, -1 - 1j], np.complex64)
    g = _graph(lambda gb, a: gb.cast(a, dtype="float32"), "complex64", shape=(2,))
    assert np.array_equal(ENG.run(g, [z]), np.array([1.5, -1.0], np.float32))
    _, (dz,) = ENG.run(vjp(g), [z, np.array([2.0, 3.0], np.float32)])
    assert dz.dtype == np.complex64 and np.array_equal(dz, np.array([2, 3], np.complex64))
    h = _graph(lambda gb, a: gb.cast(a, dtype="complex128"), "float32", shape=(2,))
    _, (dx,) = ENG.run(vjp(h), [np.array([1.0, 2.0], np.float32), np.array([1 + 5j, -2j])])
    assert dx.dtype == np.float32 and np.array_equal(dx, np.array([1.0, 0.0], np.float32))


def test_graph_json_round_trip_with_complex_values():
    gb = GraphBuilder("f")
    z = gb.input((2,), "complex64", name="z")
    p = gb.param("p", np.array([1 + 2j, -3.5j], np.complex64))
    k = gb.const(np.array([0.5j, 0.5j], np.complex64))  # uniform but not real: a literal, not a fill
    g = gb.build(gb.add(gb.mul(z, p), k))
    d = json.loads(json.dumps(graph_to_json(g)))
    assert d["params"][0]["value"]["data"] == [[1.0, 2.0], [0.0, -3.5]]
    g2 = graph_from_json(d)
    zv = np.array([1 - 1j, 2 + 0j], np.complex64)
    want = zv * np.array([1 + 2j, -3.5j], np.complex64) + 0.5j
    np.testing.assert_allclose(ENG.run(g2, [zv]), want, rtol=1e-6)
    bad = json.loads(json.dumps(d))
    bad["params"][0]["value"]["data"] = [1.0, 2.0, 3.0]
    with pytest.raises(Exception, match=r"\[re, im\] pair"):
        graph_from_json(bad)


def test_vmap_over_complex_matches_per_example():
    """conj / real / imag / angle / complex batch as elementwise ops (engine/vmap.py), no unrolling."""
    from engine.lower import lower
    from engine.vmap import vmap_graph

    def body(gb, z, x):
        y = gb.mul(gb.conj(z), gb.complex(x, gb.angle(z)))
        return gb.add(gb.real(y), gb.imag(gb.matmul(gb.reshape(z, shape=(1, 3)), gb.reshape(y, shape=(3, 1)))))
    gb = GraphBuilder("f")
    z, x = gb.input((3,), "complex128"), gb.input((3,), "float64")
    g = gb.build(body(gb, z, x))
    rng = np.random.default_rng(1)
    zs = rng.standard_normal((4, 3)) + 1j * rng.standard_normal((4, 3))
    xs = rng.standard_normal(3)
    vg = vmap_graph(g, 4, in_axes=(0, None))
    got = ENG.run(vg, [zs, xs])
    per = np.stack([ENG.run(g, [zs[i], xs]) for i in range(4)])
    np.testing.assert_allclose(got, per, rtol=1e-12)
    ops = [e.op for e in lower(vg).eqns]
    assert all(ops.count(op) == 1 for op in ("conj", "angle", "complex", "real", "imag")), ops  # one each, not 4
