"""An optimizer's state is readable under MindSpore's attribute names (Adam's `moment1` / `moment2`, and `vhat`
with use_amsgrad; Momentum's `moments`), one Tensor per parameter. Expected values: MindSpore 2.10.0 CPU,
PYNATIVE_MODE, the same two steps (nn.Adam(lr=0.1, use_amsgrad=True); nn.Momentum(lr=0.1, momentum=0.9))."""
import numpy as np
import pytest

from gradserve import Parameter, Tensor, nn


def _steps(opt, grads):
    for g in grads:
        opt((Tensor(np.array(g, np.float32)),))


def test_adam_moments_and_vhat_under_mindspore_names():
    w = Parameter(Tensor(np.array([1.0, -2.0, 3.0], np.float32)), name="w")
    opt = nn.Adam([w], learning_rate=0.1, use_amsgrad=True)
    _steps(opt, ([0.5, -1.0, 2.0], [0.1, 0.3, -0.2]))
    np.testing.assert_allclose(w.asnumpy(), [0.8196962475776672, -1.857215404510498, 2.84073543548584], rtol=1e-6)
    np.testing.assert_allclose(opt.moment1[0].asnumpy(), [0.05500001087784767, -0.06000000983476639,
                                                          0.1600000262260437], rtol=1e-6)
    v = [0.0002597466518636793, 0.0010889859404414892, 0.004035948310047388]
    np.testing.assert_allclose(opt.moment2[0].asnumpy(), v, rtol=1e-6)
    np.testing.assert_allclose(opt.vhat[0].asnumpy(), v, rtol=1e-6)
    assert len(opt.moment1) == len(opt.moment2) == len(opt.vhat) == 1


def test_adam_without_amsgrad_has_no_vhat_and_momentum_has_moments():
    w = Parameter(Tensor(np.array([1.0, -2.0], np.float32)), name="w")
    assert not hasattr(nn.Adam([w], learning_rate=0.1), "vhat")  # (MindSpore makes it with use_amsgrad only)
    opt = nn.Momentum([w], learning_rate=0.1, momentum=0.9)
    _steps(opt, ([0.5, -1.0], [0.1, 0.3]))
    np.testing.assert_allclose(w.asnumpy(), [0.8949999809265137, -1.840000033378601], rtol=1e-6)
    np.testing.assert_allclose(opt.moments[0].asnumpy(), [0.550000011920929, -0.5999999642372131], rtol=1e-6)
    with pytest.raises(AttributeError, match="no attribute 'moment3'"):
        opt.moment3
