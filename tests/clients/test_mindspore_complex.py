"""complex64 / complex128 in the SDK: Tensor and NumPy interop, MindSpore's dtype names, printing and
promotion, the complex ops, and gradients under MindSpore's convention (dL/dRe + i dL/dIm; a vjp of a
holomorphic f maps v to v * conj(f'(z))).

Expected values are closed forms, cross-checked where MindSpore 2.10 computes them: its grad of
sum(ops.abs(z)) at [0, 3+4i] is [0, 0.6+0.8i], its vjp of exp at [1+2i, 3-i] with v = [1, i] is
v * conj(exp(z)), its grad of |Complex(x, y)| is (x, y) / |z|, its Tensor(1+2j) is Complex128 and
prints as `Tensor(shape=[], dtype=Complex128, value= 1+2j)`."""
import numpy as np
import pytest

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.errors import ShapeError

Z = np.array([1 + 2j, 3 - 1j], np.complex64)


def test_tensor_numpy_interop_and_dtype_names():
    z = Tensor(Z)
    from gradserve.common import dtype as mstype

    assert z.dtype == gs.complex64 == gs.dtype.complex64 == mstype.complex64 and str(z.dtype) == "Complex64"
    # (MindSpore 2.10: repr mindspore.complex128, str Complex128)
    assert gs.complex128 == mstype.complex128 == np.complex128 and repr(gs.complex128) == "mindspore.complex128"
    assert z.asnumpy().dtype == np.complex64 and np.array_equal(z.asnumpy(), Z)
    assert np.array_equal(np.asarray(z), Z)
    assert Tensor(1 + 2j).dtype == gs.complex128  # a Python complex, as in MindSpore
    assert Tensor([1.0, 2.0], gs.complex128).asnumpy().dtype == np.complex128
    assert z.is_complex() and not Tensor(np.ones(2, np.float32)).is_complex()


def test_printing_follows_mindspore():
    assert repr(Tensor(1 + 2j)) == "Tensor(shape=[], dtype=Complex128, value= 1+2j)"
    z = Tensor(np.array([[1 + 2j, 3 - 1j], [0.5j, 2]], np.complex64))
    assert repr(z) == "Tensor(shape=[2, 2], dtype=Complex64, value=\n[[1+2j, 3-1j],\n [0+0.5j, 2+0j]])"


def test_eager_arithmetic_and_promotion():
    z = Tensor(Z)
    assert (z * 2.0).dtype == gs.complex64 and np.array_equal((z * 2.0).asnumpy(), Z * 2)
    assert (z + Tensor(np.array([1, 2], np.int32))).dtype == gs.complex64
    assert (z + Tensor(np.array([1.0, 2.0]))).dtype == gs.complex128  # float64 parts: complex128 (MindSpore's Add)
    w = Tensor(np.array([1.5, -2.0], np.float32)) * 1j
    assert w.dtype == gs.complex64 and np.array_equal(w.asnumpy(), np.array([1.5j, -2j], np.complex64))
    np.testing.assert_allclose((z / z).asnumpy(), [1, 1], rtol=1e-7)
    np.testing.assert_allclose(ops.exp(z).asnumpy(), np.exp(Z), rtol=1e-6)


def test_parts_and_construction():
    z = Tensor(Z)
    for f, want in ((ops.real, Z.real), (ops.imag, Z.imag), (ops.angle, np.angle(Z))):
        out = f(z)
        assert out.dtype == gs.float32
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-6)
    assert np.array_equal(z.conj().asnumpy(), Z.conj()) and np.array_equal(z.real().asnumpy(), Z.real)
    c = ops.Complex()(Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([3.0, 4.0], np.float32)))
    assert c.dtype == gs.complex64 and np.array_equal(c.asnumpy(), [1 + 3j, 2 + 4j])
    a = ops.abs(z)  # MindSpore 2.10: the modulus, in the complex dtype
    assert a.dtype == gs.complex64 and np.allclose(a.asnumpy(), np.abs(Z))
    m = ops.ComplexAbs()(z)
    assert m.dtype == gs.float32 and np.allclose(m.asnumpy(), np.abs(Z))
    x = Tensor(np.array([1.0, -2.0], np.float32))
    assert np.array_equal(ops.imag(x).asnumpy(), [0, 0]) and np.array_equal(ops.real(x).asnumpy(), [1, -2])


def test_ops_without_complex_meaning_refuse():
    z = Tensor(Z)
    with pytest.raises(ShapeError, match=r"maximum: not defined for complex operands, got complex64\[2\]"):
        ops.maximum(z, z)
    with pytest.raises(ShapeError, match=r"greater: not defined for complex operands"):
        z > z  # noqa: B015
    with pytest.raises(ShapeError, match=r"relu: not defined for complex operands"):
        ops.relu(z)


def test_grad_convention(on_real_server):
    z = Tensor(np.array([0j, 3 + 4j], np.complex64))
    g = ops.grad(lambda v: ops.abs(v).sum())(z)  # MindSpore 2.10: [0, 0.6+0.8j]
    assert g.dtype == gs.complex64
    np.testing.assert_allclose(g.asnumpy(), [0, 0.6 + 0.8j], rtol=1e-6)
    g = ops.grad(lambda v: ops.real(v * v).sum())(Tensor(Z))  # Re(z^2) = x^2 - y^2: 2x - 2iy
    np.testing.assert_allclose(g.asnumpy(), 2 * Z.conj(), rtol=1e-6)
    x, y = Tensor(np.array([1.0, 2.0], np.float32)), Tensor(np.array([3.0, 4.0], np.float32))
    gx, gy = ops.grad(lambda a, b: ops.ComplexAbs()(ops.Complex()(a, b)).sum(), (0, 1))(x, y)
    r = np.hypot([1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(gx.asnumpy(), [1 / r[0], 2 / r[1]], rtol=1e-6)
    np.testing.assert_allclose(gy.asnumpy(), [3 / r[0], 4 / r[1]], rtol=1e-6)


def test_vjp_and_jvp(on_real_server):
    v = Tensor(np.array([1, 1j], np.complex64))
    out, fn = ops.vjp(ops.exp, Tensor(Z))
    (dz,) = fn(v) if isinstance(fn(v), tuple) else (fn(v),)
    np.testing.assert_allclose(dz.asnumpy(), v.asnumpy() * np.conj(np.exp(Z)), rtol=1e-6)
    t = np.array([1j, 2], np.complex64)
    _, tan = ops.jvp(lambda a: a * ops.conj(a), Tensor(Z), Tensor(t))  # |z|^2: 2 Re(conj(z) t)
    np.testing.assert_allclose(tan.asnumpy(), 2 * (Z.conj() * t).real, rtol=1e-6)


def test_complex_round_trip_on_the_server(on_real_server_each_transport):
    w = Tensor(np.array([0.5 - 1j, 2 + 1j], np.complex128))
    gz, gw = gs.grad(lambda a, b: ops.ComplexAbs()(a * b).sum(), (0, 1))(Tensor(Z.astype(np.complex128)), w)
    zw = Z.astype(np.complex128) * w.asnumpy()
    assert gz.dtype == gs.complex128
    np.testing.assert_allclose(gz.asnumpy(), zw / np.abs(zw) * np.conj(w.asnumpy()), rtol=1e-12)
    np.testing.assert_allclose(gw.asnumpy(), zw / np.abs(zw) * np.conj(Z), rtol=1e-6)


def test_jacobians_of_complex_values_are_refused(on_real_server):
    """jacrev would give conj(J) and jacfwd J; torch.func.jacfwd / jacrev refuse complex inputs, so do these."""
    for jac, f in ((gs.jacfwd, ops.sin), (gs.jacrev, ops.sin), (gs.jacrev, ops.real)):
        with pytest.raises(gs.DifferentiationError, match=r"input 0 is complex64; Jacobians of complex values"):
            jac(f)(Tensor(Z))
    with pytest.raises(gs.DifferentiationError, match=r"jacfwd: an output is complex64"):
        gs.jacfwd(lambda x: ops.Complex()(x, x))(Tensor(np.ones(2, np.float32)))


def test_default_sens_and_complex_parameters(on_real_server):
    """MindSpore 2.10 gives, for z = [1+2i, 3-i]: grad(exp)(z) = conj(exp(z)) (sens ones, 1+0i), and the
    gradient of sum(ops.abs(exp(z) + w)) for a complex Parameter w is u / |u|, u = exp(z) + w
    ([-0.394164+0.91904i, 0.628598-0.77773i]; the same printed form)."""
    z = Tensor(Z)
    np.testing.assert_allclose(ops.grad(ops.exp)(z).asnumpy(), np.conj(np.exp(Z)), rtol=1e-6)
    w0 = np.array([0.5 - 1j, 2 + 1j], np.complex64)

    class Net(gs.nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = gs.Parameter(Tensor(w0), name="w")

        def construct(self, x):
            return ops.abs(ops.exp(x) + self.w).sum()

    net = Net()
    (gw,) = ops.GradOperation(get_by_list=True)(net, net.trainable_params())(z)
    u = np.exp(Z) + w0
    np.testing.assert_allclose(gw.asnumpy(), u / np.abs(u), rtol=1e-6)
    assert repr(gw) == "Tensor(shape=[2], dtype=Complex64, value= [-0.394164+0.91904j, 0.628598-0.77773j])"


def test_control_flow_and_complex_constants(on_real_server):
    """An `if` on a traced value (cond) and a `while` around complex values; a uniform complex constant
    (1j everywhere) is a literal, not a real fill. Re(z (i)^3) = Re(-i z): gradient conj(-i) = i."""
    class Branch(gs.nn.Cell):
        def construct(self, z):
            if ops.real(z).sum() > 0:
                y = ops.ComplexAbs()(z * z).sum()
            else:
                y = ops.real(z).sum()
            return y

    class Loop(gs.nn.Cell):
        def construct(self, z):
            i = Tensor(0)
            while i < 3:
                z = z * Tensor(np.array([1j, 1j], np.complex64))
                i = i + 1
            return ops.real(z).sum()

    np.testing.assert_allclose(ops.grad(Branch())(Tensor(Z)).asnumpy(), 2 * Z * np.abs(Z) ** 2 / np.abs(Z * Z),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.grad(Loop())(Tensor(Z)).asnumpy(), [1j, 1j], atol=1e-7)
    # forward mode through the loop: d/de Re(sum((z + e t) i^3)) = Re(sum(-i t)); t = [1, 1j] gives 0 + 1
    _, tangent = ops.jvp(Loop(), Tensor(Z), Tensor(np.array([1, 1j], np.complex64)))
    np.testing.assert_allclose(tangent.asnumpy(), 1.0, atol=1e-6)


def test_norm_of_a_complex_tensor(on_real_server):
    """MindSpore 2.10: ops.norm([3+4i, 1-i]) is (5.196152+0j), sqrt(sum |z|^2) in the complex dtype; its
    gradient is z / ||z||."""
    z = Tensor(np.array([3 + 4j, 1 - 1j], np.complex64))
    n = ops.norm(z)
    assert n.dtype == gs.complex64 and np.isclose(n.asnumpy(), np.sqrt(27), rtol=1e-6)
    g = ops.grad(lambda v: ops.real(ops.norm(v)))(z)
    np.testing.assert_allclose(g.asnumpy(), z.asnumpy() / np.sqrt(27), rtol=1e-6)
