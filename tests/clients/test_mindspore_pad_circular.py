"""ops.pad(mode='circular'), MindSpore 2.10's (CPU, /work/msvenv): the literals are its outputs and gradient for
the same input (ms.grad in PyNative), which torch.nn.functional.pad(mode='circular') agrees with."""
import numpy as np
import pytest

from gradserve import Tensor, ops

pytestmark = pytest.mark.usefixtures("on_real_server")


def test_circular_pad_values_match_mindspore():
    x = Tensor(np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4))
    np.testing.assert_array_equal(ops.pad(x, (1, 1, 2, 0), mode="circular").asnumpy(), [[[
        [7, 4, 5, 6, 7, 4], [11, 8, 9, 10, 11, 8], [3, 0, 1, 2, 3, 0], [7, 4, 5, 6, 7, 4], [11, 8, 9, 10, 11, 8]]]])
    x3 = Tensor(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    np.testing.assert_array_equal(ops.pad(x3, (2, 1), mode="circular").asnumpy(),
                                  [[[1, 2, 0, 1, 2, 0], [4, 5, 3, 4, 5, 3]]])
    np.testing.assert_array_equal(ops.pad(x3, (3, 0), mode="circular").asnumpy(),
                                  [[[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]])
    xi = Tensor(np.arange(6, dtype=np.int32).reshape(1, 2, 3))
    out = ops.pad(xi, (1, 1), mode="circular")
    assert out.dtype == xi.dtype
    np.testing.assert_array_equal(out.asnumpy(), [[[2, 0, 1, 2, 0], [5, 3, 4, 5, 3]]])
    x5 = Tensor(np.arange(48, dtype=np.float32).reshape(1, 2, 2, 3, 4))
    assert ops.pad(x5, (1, 0, 1, 1, 0, 2), mode="circular").shape == (1, 2, 4, 5, 5)


def test_circular_pad_gradient_matches_mindspore():
    x = Tensor(np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4))
    wout = Tensor(np.arange(1, 43, dtype=np.float32).reshape(1, 1, 6, 7))
    g = ops.grad(lambda x: (ops.pad(x, (1, 2, 2, 1), mode="circular") * wout).sum())(x)
    np.testing.assert_allclose(g.asnumpy(), [[[[114, 118, 57, 110], [58, 62, 29, 54], [86, 90, 43, 82]]]])


def test_circular_pad_refusals():
    x3 = Tensor(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    with pytest.raises(ValueError, match="can not set value"):
        ops.pad(x3, (1, 1), mode="circular", value=1.0)
    # MindSpore 2.10's text
    with pytest.raises(ValueError, match="the input dims when padding's size equal 2 must be equal to 3, but got 4"):
        ops.pad(Tensor(np.zeros((1, 1, 3, 4), np.float32)), (1, 2), mode="circular")
    with pytest.raises(ValueError, match=r"axis 2 \(length 3\) by \(4, 0\)"):  # MindSpore reads past the axis
        ops.pad(x3, (4, 0), mode="circular")
    with pytest.raises(ValueError, match=r"by \(2, -2\)"):  # MindSpore and torch give values from outside it
        ops.pad(x3, (2, -2), mode="circular")


@pytest.mark.parametrize("pads", [(-1, 2, 1, -1), (-2, -1), (1, -2), (2, -1, 0, 0), (-1, -1, -1, 2)])
def test_circular_pad_negative_pads_crop_then_wrap(pads):
    """A negative pad crops the axis, the positive one then wraps around what is left: MindSpore 2.10 gives
    torch's values for these (checked in /work/msvenv for this task)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32)
    want = torch.nn.functional.pad(torch.tensor(x, requires_grad=True), pads, mode="circular")
    w = np.random.default_rng(4).standard_normal(tuple(want.shape)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.pad(xt, pads, mode="circular") * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(ops.pad(Tensor(x), pads, mode="circular").asnumpy(), want.detach().numpy())
    g = ops.grad(lambda t: (ops.pad(t, pads, mode="circular") * Tensor(w)).sum())(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), xt.grad.numpy(), rtol=1e-6)
