"""MindSpore's Conv2D / conv2d / nn.Conv2d, MaxPool / AvgPool, mindspore.numpy, F.reduce_sum and vmap's
per-leaf in_axes, against PyTorch (convolution, pooling, their gradients), NumPy and JAX."""
import numpy as np
import pytest

import gradserve as gs
import gradserve.numpy as mnp
from gradserve import Tensor, nn, ops
from gradserve.ops import functional as F

torch = pytest.importorskip("torch")
tF = torch.nn.functional
RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 4, 7, 6)).astype(np.float32)
W = RNG.standard_normal((6, 2, 3, 2)).astype(np.float32)


def _same_pads(n, k, s, d=1):
    """TensorFlow's SAME split (independent of the SDK's): total padding, the odd one at the end."""
    total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def test_conv2d_pad_mode_pad_and_its_gradients_match_torch(fake):
    def f(x, w):
        return ops.conv2d(x, w, None, stride=2, pad_mode="pad", padding=(1, 1, 2, 0), groups=2)

    tx, tw = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    ty = tF.conv2d(tF.pad(tx, (2, 0, 1, 1)), tw, stride=2, groups=2)  # (left, right, top, bottom)
    (ty * ty).sum().backward()
    y = f(Tensor(X), Tensor(W))
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    gx, gw = ops.grad(lambda x, w: ops.sum(f(x, w) * f(x, w)), (0, 1))(Tensor(X), Tensor(W))
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv2d_primitive_same_mode_is_tensorflow_same(fake):
    y = ops.Conv2D(6, (3, 2), pad_mode="same", stride=2, group=2)(Tensor(X), Tensor(W)).asnumpy()
    (t, b), (l, r) = _same_pads(7, 3, 2), _same_pads(6, 2, 2)
    want = tF.conv2d(tF.pad(torch.tensor(X), (l, r, t, b)), torch.tensor(W), stride=2, groups=2).numpy()
    assert y.shape == (2, 6, 4, 3)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)


def test_nn_conv2d_cell_bias_parameters_and_default_init(fake):
    net = nn.Conv2d(4, 6, 3, pad_mode="pad", padding=1, has_bias=True, weight_init="ones", bias_init="zeros")
    assert [p.name for p in net.trainable_params()] == ["weight", "bias"]
    want = tF.conv2d(torch.tensor(X), torch.ones(6, 4, 3, 3), padding=1).numpy()
    np.testing.assert_allclose(net(Tensor(X)).asnumpy(), want, rtol=1e-5, atol=1e-4)
    (gw,) = ops.GradOperation(get_by_list=True)(net, net.trainable_params()[:1])(Tensor(X))
    tw = torch.ones(6, 4, 3, 3, requires_grad=True)
    tF.conv2d(torch.tensor(X), tw, padding=1).sum().backward()
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-3)
    default = nn.Conv2d(4, 6, 3).weight.asnumpy()  # MindSpore's HeUniform(sqrt(5)): |w| <= 1/sqrt(fan_in)
    assert default.shape == (6, 4, 3, 3) and np.abs(default).max() <= 1 / 6 and default.std() > 0.05
    with pytest.raises(ValueError, match="pad_mode"):
        nn.Conv2d(4, 6, 3, pad_mode="full")(Tensor(X))


def test_pools_match_torch_and_same_avg_excludes_padding(fake):
    np.testing.assert_allclose(nn.MaxPool2d(2, 2)(Tensor(X)).asnumpy(), tF.max_pool2d(torch.tensor(X), 2).numpy())
    np.testing.assert_allclose(ops.avg_pool2d(Tensor(X), 3, 2, 1).asnumpy(),
                               tF.avg_pool2d(torch.tensor(X), 3, 2, 1).numpy(), rtol=1e-6, atol=1e-6)
    (t, b), (l, r) = _same_pads(7, 3, 2), _same_pads(6, 3, 2)
    padded = np.pad(X, ((0, 0), (0, 0), (t, b), (l, r)))
    ones = np.pad(np.ones_like(X), ((0, 0), (0, 0), (t, b), (l, r)))
    want = tF.avg_pool2d(torch.tensor(padded), 3, 2).numpy() / tF.avg_pool2d(torch.tensor(ones), 3, 2).numpy()
    np.testing.assert_allclose(nn.AvgPool2d(3, 2, "same")(Tensor(X)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    g = ops.grad(lambda x: ops.sum(ops.MaxPool(2, 2)(x)))(Tensor(X)).asnumpy()
    tx = torch.tensor(X, requires_grad=True)
    tF.max_pool2d(tx, 2).sum().backward()
    np.testing.assert_allclose(g, tx.grad.numpy())


def test_mindspore_numpy_creation_defaults_and_dot(fake):
    assert mnp.array([1.0, 2.0]).dtype == gs.float32 and mnp.arange(5).dtype == gs.int32
    a, b = RNG.random((2, 5, 3)), RNG.random((4, 3, 6))
    np.testing.assert_allclose(mnp.dot(a, b).asnumpy(), np.dot(a, b), rtol=1e-5)
    np.testing.assert_allclose(mnp.dot(a, b[0, :, 0]).asnumpy(), np.dot(a, b[0, :, 0]), rtol=1e-5)
    x, w = mnp.arange(5).astype("float32"), mnp.array([1.0, 2.0, 3.0])
    assert float(mnp.dot(x[1:4], w).asnumpy()) == 14.0
    s = mnp.sum(mnp.ones((2, 3)), axis=1, keepdims=True)
    assert s.shape == (2, 1) and s.asnumpy().tolist() == [[3.0], [3.0]]


def test_functional_reduce_instances_and_vmap_leaf_in_axes(fake):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(F.reduce_sum(Tensor(x), 1).asnumpy(), x.sum(1), rtol=1e-6)
    np.testing.assert_allclose(F.reduce_mean(Tensor(x)).asnumpy(), x.mean(), rtol=1e-6)

    def f(a, pair):
        y, k = pair  # k: a Python number, mapped with None
        return a * y + k

    y = RNG.standard_normal((3, 4)).astype(np.float32)
    got = gs.vmap(f, in_axes=(1, [-1, None]))(Tensor(x), (Tensor(y), 2)).asnumpy()
    np.testing.assert_allclose(got, (x * y + 2).T, rtol=1e-6)
    with pytest.raises(gs.ShapeError, match="non-Tensor"):
        gs.vmap(f, in_axes=(1, [-1, 0]))(Tensor(x), (Tensor(y), 2))


def test_vmap_out_axes_prefix_tree_and_constant_outputs(fake):
    """out_axes shaped like a prefix of the output tree (JAX's rule); a constant given an axis comes
    back as batch-size copies, one given None as the number itself (MindSpore's vmap)."""
    jax = pytest.importorskip("jax")
    x = RNG.standard_normal((2, 3)).astype(np.float32)

    def f(a):
        return ((1, 2), 3), ops.sin(a) * 2.0, a * a

    ((c1, c2), c3), s, sq = gs.vmap(f, in_axes=1, out_axes=((0, None), 0, 1))(Tensor(x))
    js, jsq = jax.vmap(lambda a: (jax.numpy.sin(a) * 2.0, a * a), in_axes=1, out_axes=(0, 1))(x)
    np.testing.assert_allclose(s.asnumpy(), js, rtol=1e-6)
    np.testing.assert_allclose(sq.asnumpy(), jsq, rtol=1e-6)
    assert c1.asnumpy().tolist() == [1, 1, 1] and c2.asnumpy().tolist() == [2, 2, 2] and c3 == 3
    with pytest.raises(gs.ShapeError, match="structure"):
        gs.vmap(f, in_axes=1, out_axes=((0, None, 1), 0, 1))(Tensor(x))


def test_conv1d_function_and_cell_match_torch(fake):
    x = RNG.standard_normal((2, 4, 9)).astype(np.float32)
    w = RNG.standard_normal((6, 2, 3)).astype(np.float32)
    want = tF.conv1d(tF.pad(torch.tensor(x), (1, 2)), torch.tensor(w), stride=2, groups=2).numpy()
    got = ops.conv1d(Tensor(x), Tensor(w), None, 2, "pad", (1, 2), 1, 2).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    net = nn.Conv1d(4, 6, 3, pad_mode="pad", padding=1, has_bias=True, weight_init="ones", bias_init="zeros")
    assert net.weight.shape == (6, 4, 1, 3)  # MindSpore's: a Conv2d of height 1
    want = tF.conv1d(torch.tensor(x), torch.ones(6, 4, 3), padding=1).numpy()
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-5, atol=1e-4)
    assert nn.Conv1d(4, 6, 3, stride=2)(Tensor(x)).shape == (2, 6, 5)  # 'same': ceil(9 / 2)
    tx = torch.tensor(x, requires_grad=True)
    (tF.conv1d(tx, torch.ones(6, 4, 3), padding=1) ** 2).sum().backward()
    g = ops.grad(lambda a: ops.sum(net(a) ** 2))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, tx.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_conv_and_pool_arguments_are_read_the_same_at_every_rank(fake):
    """One reading of window / padding arguments for 1, 2 and 3 spatial axes (ops._conv): asymmetric 'pad'
    amounts per axis at rank 3 match PyTorch, and mistakes name the argument and the shapes."""
    x = RNG.standard_normal((1, 2, 4, 5, 3)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 2, 2, 2)).astype(np.float32)
    got = ops.conv3d(Tensor(x), Tensor(w), None, 1, "pad", (1, 0, 0, 2, 1, 1)).asnumpy()
    want = tF.conv3d(tF.pad(torch.tensor(x), (1, 1, 0, 2, 1, 0)), torch.tensor(w)).numpy()  # last axis first
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    got = ops.avg_pool2d(Tensor(X), 3, 2, (1, 0)).asnumpy()
    np.testing.assert_allclose(got, tF.avg_pool2d(torch.tensor(X), 3, 2, (1, 0)).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"conv3d: weight must be 5-d .*got shape \(6, 2, 3, 2\)"):
        ops.conv3d(Tensor(x), Tensor(W))
    with pytest.raises(ValueError, match=r"conv1d: padding .* needs pad_mode 'pad'"):
        ops.conv1d(Tensor(X[:, :, 0]), Tensor(W[:, :, :, 0]), padding=1)
    with pytest.raises(ValueError, match=r"conv2d: x must be 4-d \[N, C, H, W\], got shape \(1, 2, 4, 5, 3\)"):
        ops.conv2d(Tensor(x), Tensor(W))
    with pytest.raises(ValueError, match=r"MaxPool3D: padding must be a non-negative int, 3 or 6 ints"):
        ops.MaxPool3D(2, 1, "pad", (1, -1, 0))(Tensor(x))
