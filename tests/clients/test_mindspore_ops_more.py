"""ops.CumSum, Mod, erfc, elu / nn.ELU, bias_add, L2Normalize, range, linspace: values and gradients against
MindSpore 2.10 (CPU, PyNative: the values recorded here came from running the same programs there),
SciPy / PyTorch and finite differences."""
import numpy as np
import pytest

from gradserve import Tensor, nn, ops

torch = pytest.importorskip("torch")
special = pytest.importorskip("scipy.special")


def T(a, dt=np.float32):
    return Tensor(np.array(a, dt))


def test_cumsum_exclusive_reverse_and_gradient(fake):
    c = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    np.testing.assert_array_equal(ops.CumSum(exclusive=True, reverse=True)(Tensor(c), 1).asnumpy(),
                                  [[5, 3, 0], [11, 6, 0]])  # MindSpore 2.10
    np.testing.assert_array_equal(ops.CumSum()(Tensor(c), T(0, np.int32)).asnumpy(), [[1, 2, 3], [5, 7, 9]])
    w = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    g = ops.grad(lambda a: ops.sum(ops.CumSum(exclusive=True)(a, 1) * Tensor(w)))(Tensor(c)).asnumpy()
    np.testing.assert_array_equal(g, [[5, 3, 0], [11, 6, 0]])  # the transpose: exclusive, reversed


def test_mod_truncates_towards_zero(fake):
    a, b = np.array([-7, -5.5, 5.5, 7, -3], np.float32), np.array([3, -2, -2, 2.5, 3], np.float32)
    out = ops.Mod()(Tensor(a), Tensor(b)).asnumpy()
    np.testing.assert_array_equal(out, [-1, -1.5, 1.5, 2, 0])  # MindSpore 2.10
    np.testing.assert_array_equal(ops.mod(T([-7, 7], np.int32), T([3, -3], np.int32)).asnumpy(), [-1, 1])
    ga, gb = ops.grad(lambda p, q: ops.sum(ops.mod(p, q)), (0, 1))(Tensor(a), Tensor(b))
    np.testing.assert_array_equal(ga.asnumpy(), np.ones(5))
    # -trunc(a / b), PyTorch's fmod derivative; MindSpore 2.10's bprop gives -floor(a / b): 3, -2, 3, -2, 1
    np.testing.assert_array_equal(gb.asnumpy(), [2, -2, 2, -2, 1])


def test_erfc_is_exact_in_the_tail(fake):
    x = np.array([-1, 0, 1, 2.5, 4, 6, 9], np.float32)
    out = ops.Erfc()(Tensor(x)).asnumpy()
    np.testing.assert_allclose(out, special.erfc(x.astype(np.float64)), rtol=2e-7)  # 1 - erf(9) is 0
    assert out[-1] == np.float32(4.1370317e-37)  # MindSpore 2.10's value
    g = ops.grad(lambda a: ops.sum(ops.erfc(a)))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, -2 / np.sqrt(np.pi) * np.exp(-x.astype(np.float64) ** 2), rtol=1e-6)
    x64 = np.array([0.3, 2.0, 3.5, 7.0])
    np.testing.assert_allclose(ops.erfc(Tensor(x64)).asnumpy(), special.erfc(x64), rtol=1e-14)
    h = ops.grad(ops.grad(lambda a: ops.sum(ops.erfc(a))))(Tensor(x64)).asnumpy()
    np.testing.assert_allclose(h, 4 / np.sqrt(np.pi) * x64 * np.exp(-x64 ** 2), rtol=1e-12)


def test_elu_ops_and_cell(fake):
    x = np.array([-2, -0.5, 0, 0.5, 3], np.float32)
    want = [-0.8646648, -0.3934695, 0, 0.5, 3]  # MindSpore 2.10
    np.testing.assert_allclose(ops.elu(Tensor(x)).asnumpy(), want, rtol=1e-6)
    np.testing.assert_allclose(nn.ELU()(Tensor(x)).asnumpy(), want, rtol=1e-6)
    g = ops.grad(lambda a: ops.sum(ops.Elu()(a)))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, [0.1353352, 0.6065305, 1, 1, 1], rtol=1e-6)  # MindSpore 2.10 (1 at 0)
    big = np.array([100.0, -100.0], np.float32)  # exp(100) overflows float32: no NaN from the unused branch
    np.testing.assert_allclose(ops.grad(lambda a: ops.sum(ops.elu(a)))(Tensor(big)).asnumpy(), [1, 0], atol=1e-30)
    for refused in (lambda: ops.elu(Tensor(x), 0.5), lambda: ops.Elu(0.5), lambda: nn.ELU(0.5)):
        with pytest.raises(ValueError, match="alpha' must be 1.0"):  # MindSpore 2.10: "alpha must be 1.0f"
            refused()


def test_bias_add_formats(fake):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2)
    b = np.array([1, 2, 3], np.float32)
    np.testing.assert_array_equal(ops.BiasAdd()(Tensor(x), Tensor(b)).asnumpy(), x + b.reshape(1, 3, 1, 1))
    gb = ops.grad(lambda p, q: ops.sum(ops.bias_add(p, q) * p), 1)(Tensor(x), Tensor(b))
    np.testing.assert_array_equal(gb.asnumpy(), [60, 92, 124])  # MindSpore 2.10
    nhwc = ops.BiasAdd(data_format="NHWC")(Tensor(np.zeros((2, 2, 3), np.float32)), Tensor(b)).asnumpy()
    np.testing.assert_array_equal(nhwc, np.broadcast_to(b, (2, 2, 3)))
    with pytest.raises(ValueError, match=r"bias of 3 values for 2 channels"):
        ops.bias_add(Tensor(np.zeros((4, 2), np.float32)), Tensor(b))


def test_l2_normalize(fake):
    m = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = ops.L2Normalize(axis=1, epsilon=1e-4)(Tensor(m)).asnumpy()
    np.testing.assert_allclose(out, [[-0.8451542, -0.50709254, -0.16903085], [0.16903085, 0.50709254, 0.8451542]],
                               rtol=1e-6)  # MindSpore 2.10
    g = ops.grad(lambda a: ops.sum(ops.L2Normalize(axis=1)(a) * Tensor(w)))(Tensor(m)).asnumpy()
    np.testing.assert_allclose(g, [[-0.24147262, 0.19317812, 0.6278289], [0.6278289, 0.19317825, -0.24147236]],
                               rtol=1e-5, atol=1e-6)  # MindSpore 2.10
    np.testing.assert_allclose(ops.L2Normalize()(Tensor(m)).asnumpy()[0], [-0.9805807, -0.7071068, -0.19611613],
                               rtol=1e-6)  # the default axis is 0
    # below epsilon: x / sqrt(epsilon), the derivative of that (MindSpore 2.10's bprop: 990, 2000)
    tiny = ops.grad(lambda v: ops.sum(ops.L2Normalize(0, 1e-4)(v) * T([1, 2])))(T([0.001, 0])).asnumpy()
    np.testing.assert_allclose(tiny, [100, 200], rtol=1e-5)


def test_range_and_linspace(fake):
    np.testing.assert_array_equal(ops.range(T(1, np.int32), T(8, np.int32), T(3, np.int32)).asnumpy(), [1, 4, 7])
    r = ops.Range()(T(1.0), T(2.0), T(0.3)).asnumpy()
    assert r.dtype == np.float32
    np.testing.assert_array_equal(r, np.array([1, 1.3, 1.6, 1.9000001], np.float32))  # MindSpore 2.10
    np.testing.assert_array_equal(ops.range(T(5, np.int32), T(1, np.int32), T(-2, np.int32)).asnumpy(), [5, 3])
    with pytest.raises(ValueError, match="cannot go from 1 to 5"):
        ops.range(1, 5, -1)
    np.testing.assert_array_equal(ops.linspace(T(1.0), T(2.0), 5).asnumpy(), [1, 1.25, 1.5, 1.75, 2])
    np.testing.assert_array_equal(ops.LinSpace()(T(1.0), T(2.0), 1).asnumpy(), [1])
    got = ops.linspace(-0.1, 0.7, 7).asnumpy()
    np.testing.assert_allclose(got, np.linspace(-0.1, 0.7, 7), rtol=1e-6)
    assert got[-1] == np.float32(0.7)
    gs, ge = ops.grad(lambda s, e: ops.sum(ops.linspace(s, e, 5) * T([1, 2, 3, 4, 5])), (0, 1))(T(1.0), T(2.0))
    assert float(gs.asnumpy()) == 0.0 and float(ge.asnumpy()) == 0.0  # MindSpore 2.10: no gradient


A = np.array([[1, 2, 0.5], [-1, 0.3, 2], [0.7, -1.5, 1], [2, 0, -0.4]], np.float32)


def test_svd_values_and_singular_value_gradient(fake):
    s, u, v = ops.svd(Tensor(A))
    np.testing.assert_allclose(s.asnumpy(), [2.7922437, 2.506434, 2.0398946], rtol=1e-6)  # MindSpore 2.10
    assert u.shape == (4, 3) and v.shape == (3, 3)
    np.testing.assert_allclose((u.asnumpy() * s.asnumpy()) @ v.asnumpy().T, A, atol=1e-5)
    np.testing.assert_array_equal(ops.Svd(compute_uv=False)(Tensor(A)).asnumpy(), s.asnumpy())
    g = ops.grad(lambda a: ops.sum(ops.svd(a, compute_uv=False) * T([1, 2, 3])))(Tensor(A)).asnumpy()
    np.testing.assert_allclose(g, [[0.6111028, 1.3523266, 0.9567175], [0.16526495, 0.35422403, 1.6686337],
                                   [1.3149564, -1.3511386, 1.4866405], [1.318775, -0.37647775, 0.5473975]],
                               rtol=1e-5, atol=1e-6)  # MindSpore 2.10
    _, u_full, v_full = ops.svd(Tensor(A), full_matrices=True)  # (values: tests/clients/test_mindspore_doc_wrong.py)
    assert u_full.shape == (4, 4) and v_full.shape == (3, 3)
    np.testing.assert_allclose(u_full.asnumpy().T @ u_full.asnumpy(), np.eye(4), atol=1e-5)


def _torch_norm_grad(a, ord, dim):
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    torch.linalg.matrix_norm(t, ord, dim).sum().backward()
    return t.grad.numpy()


@pytest.mark.parametrize("order", [2, -2, "nuc"])
def test_matrix_norms_from_singular_values(fake, order):
    a64 = A.astype(np.float64)
    got = ops.norm(Tensor(a64), order)
    np.testing.assert_allclose(float(got.asnumpy()), np.linalg.norm(a64, order), rtol=1e-12)
    g = ops.grad(lambda a: ops.norm(a, order))(Tensor(a64)).asnumpy()
    np.testing.assert_allclose(g, _torch_norm_grad(a64, order, (0, 1)), rtol=1e-10, atol=1e-12)
    batch = np.stack([a64[:3], a64[1:]]).transpose(1, 0, 2)  # planes over axes (0, 2)
    out = ops.norm(Tensor(batch), order, dim=(2, 0), keepdim=True)
    assert out.shape == (1, 2, 1)
    np.testing.assert_allclose(out.asnumpy().ravel(), [np.linalg.norm(batch[:, i].T, order) for i in (0, 1)],
                               rtol=1e-12)
    gb = ops.grad(lambda a: ops.sum(ops.norm(a, order, dim=(2, 0))))(Tensor(batch)).asnumpy()
    np.testing.assert_allclose(gb, _torch_norm_grad(batch, order, (2, 0)), rtol=1e-10, atol=1e-12)
    _, jv = ops.jvp(lambda a: ops.norm(a, order), (Tensor(a64),), (Tensor(np.ones_like(a64)),))
    np.testing.assert_allclose(float(jv.asnumpy()), g.sum(), rtol=1e-10)
    vm = ops.vmap(lambda a: ops.norm(a, order))(Tensor(np.stack([a64, -2 * a64])))
    np.testing.assert_allclose(vm.asnumpy(), [np.linalg.norm(a64, order), 2 * np.linalg.norm(a64, order)],
                               rtol=1e-12)


def test_matrix_norm_ties_split_the_gradient(fake):
    """The 3x3 identity: three equal singular values. MindSpore 2.10: ord 2 gives I / 3, 'nuc' gives I."""
    eye = np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(ops.grad(lambda a: ops.norm(a, 2))(Tensor(eye)).asnumpy(), eye / 3, atol=1e-7)
    np.testing.assert_allclose(ops.grad(lambda a: ops.norm(a, "nuc"))(Tensor(eye)).asnumpy(), eye, atol=1e-7)
