"""gradserve.scipy.fft (mindspore.scipy.fft): orthonormal type-2 dct / idct / dctn / idctn against SciPy,
truncation and zero-padding by n / s, the gradient (the transposed transform) and the refusals of other
types and norms (MindSpore 2.10 supports type 2 and 'ortho' only)."""
import numpy as np
import pytest
import scipy.fft as sp

from gradserve import Tensor, context, nn, ops
from gradserve.scipy.fft import dct, dctn, idct, idctn

X = np.random.default_rng(3).standard_normal((3, 4, 5)).astype(np.float32)


@pytest.mark.parametrize("n,axis", [(None, -1), (3, 1), (7, 0)])
def test_dct_and_idct_match_scipy(on_real_server, n, axis):
    np.testing.assert_allclose(dct(Tensor(X), 2, n, axis).asnumpy(), sp.dct(X, 2, n, axis, "ortho"), atol=1e-5)
    np.testing.assert_allclose(idct(Tensor(X), 2, n, axis).asnumpy(), sp.idct(X, 2, n, axis, "ortho"), atol=1e-5)


def test_dctn_and_idctn_match_scipy(on_real_server):
    np.testing.assert_allclose(dctn(Tensor(X)).asnumpy(), sp.dctn(X, 2, norm="ortho"), atol=1e-5)
    np.testing.assert_allclose(idctn(Tensor(X), s=(2, 6), axes=(0, 2)).asnumpy(),
                               sp.idctn(X, 2, s=(2, 6), axes=(0, 2), norm="ortho"), atol=1e-5)
    assert dct(Tensor(np.arange(4, dtype=np.int32))).dtype.name == "float32"  # MindSpore: ints give float32


@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_dct_gradient_is_the_inverse_transform_of_the_cotangent(on_real_server, mode):
    context.set_context(mode=mode)

    class Net(nn.Cell):
        def construct(self, x):
            return dct(x, axis=1)

    dout = np.random.default_rng(4).standard_normal(X.shape).astype(np.float32)
    grad = ops.GradOperation(sens_param=True)(Net())(Tensor(X), Tensor(dout))
    np.testing.assert_allclose(grad.asnumpy(), sp.idct(dout, 2, axis=1, norm="ortho"), atol=1e-5)


def test_other_types_and_norms_are_refused(on_real_server):
    with pytest.raises(ValueError, match="type 2"):
        dct(Tensor(X), 1)
    with pytest.raises(ValueError, match="ortho"):
        idct(Tensor(X), norm="forward")
