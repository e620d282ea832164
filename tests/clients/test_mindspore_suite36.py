"""Sample seed 36 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 36").

Expected values and error texts: MindSpore 2.10 (CPU), run for this task in its own venv (PyNative); the call that
gave each is stated beside it."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor
from gradserve.nn.probability import distribution as msd

V = np.array([0.3, 1.5], np.float32)


# -- missing names -------------------------------------------------------------------------------------------
def test_exponential_closed_forms(on_real_server):
    # ut/python/nn/probability/distribution/test_exponential.py: Exponential was NotImplementedError. MindSpore 2.10,
    # msd.Exponential([0.5, 2.0], dtype=float32) at value [0.3, 1.5], rate made / rate [1.5] at the call:
    e = msd.Exponential([0.5, 2.0], dtype=ms.float32)
    assert isinstance(e, msd.Distribution) and repr(e) == "Exponential(batch_shape = (2,))"
    assert repr(msd.Exponential(0.5)) == "Exponential(rate = 0.5)" and repr(msd.Exponential()) == "Exponential(rate = None)"
    v, r = Tensor(V), Tensor([1.5], ms.float32)
    want = {"prob": ([0.43035390973091125, 0.09957405924797058], [0.9564421772956848, 0.1580987274646759]),
            "log_prob": ([-0.8431471586227417, -2.3068528175354004], [-0.044534921646118164, -1.8445348739624023]),
            "cdf": ([0.13929206132888794, 0.9502129554748535], [0.36237210035324097, 0.8946008682250977]),
            "log_cdf": ([-1.9711823463439941, -0.05106915533542633], [-1.01508367061615, -0.11137761920690536]),
            "survival_function": ([0.8607079386711121, 0.049787022173404694], [0.637627899646759, 0.10539916157722473]),
            "log_survival": ([-0.15000000596046448, -3.0], [-0.45000001788139343, -2.25])}
    for method, (made, given) in want.items():
        # (MindSpore's CPU exp is up to 3 float32 ulps from the float64 value (its cdf at 1.5, rate 1.5: 0.89460087,
        # true 0.894600775, ours 0.89460075), and log_cdf near 0 carries that as 1.3e-7 absolute: float32 precision)
        np.testing.assert_allclose(getattr(e, method)(v).asnumpy(), made, rtol=1e-6, atol=2e-7, err_msg=method)
        np.testing.assert_allclose(getattr(e, method)(v, r).asnumpy(), given, rtol=1e-6, atol=2e-7, err_msg=method)
    # outside the support: prob [0, 2.0000005] (2 in NumPy's exp), cdf [0, 0], log_prob [-inf, log 2], sf [1, 1]
    out = Tensor([-1.0, 0.0], ms.float32)
    np.testing.assert_allclose(e.prob(out).asnumpy(), [0.0, 2.0], rtol=1e-6)
    assert e.cdf(out).asnumpy().tolist() == [0.0, 0.0] and e.survival_function(out).asnumpy().tolist() == [1.0, 1.0]
    lp = e.log_prob(out).asnumpy()
    assert lp[0] == -np.inf and lp[1] == pytest.approx(0.6931471824645996)
    for method, expect in (("mean", [2.0, 0.5]), ("mode", [0.0, 0.0]), ("sd", [2.0, 0.5]), ("var", [4.0, 0.25]),
                           ("entropy", [1.6931471824645996, 0.3068528175354004])):
        np.testing.assert_allclose(getattr(e, method)().asnumpy(), expect, rtol=1e-6, err_msg=method)
    b = Tensor([1.0, 3.0], ms.float32)
    np.testing.assert_allclose(e.kl_loss("Exponential", b).asnumpy(), [0.3068528175354004, 0.09453487396240234], rtol=1e-6)
    np.testing.assert_allclose(e.cross_entropy("Exponential", b).asnumpy(), [2.0, 0.40138769149780273], rtol=1e-6)
    # a call's first argument names the method: e("mean") of rate 0.5 -> 2.0; mean(rate [4]) -> [0.25]
    assert msd.Exponential(0.5)("mean").asnumpy() == pytest.approx(2.0)
    assert msd.Exponential(0.5).mean(Tensor([4.0], ms.float32)).asnumpy().tolist() == [0.25]
    # d/d rate of sum(log_prob(value, rate)) at rate [0.5, 2] -> [1.7, -1.0]
    g = ms.grad(lambda rate: e.log_prob(v, rate).sum())(Tensor([0.5, 2.0], ms.float32))
    np.testing.assert_allclose(g.asnumpy(), [1.7000000476837158, -1.0], rtol=1e-6)


def test_exponential_checks(on_real_server):
    # MindSpore 2.10's classes and texts, each from a call of msd.Exponential as written
    with pytest.raises(TypeError, match=r"For 'Exponential', the 'dtype' should be one of \[mindspore.float16, .*"
                                        r"but got 'mindspore.int32'."):
        msd.Exponential([0.1], dtype=ms.int32)
    with pytest.raises(TypeError, match="For 'Exponential', the type of 'name' should be 'str', but got type 'float'."):
        msd.Exponential([0.1], name=1.0)
    with pytest.raises(TypeError, match="For 'Exponential', the 'seed' must be int, but got 'str'"):
        msd.Exponential([0.1], seed="seed")
    for rate in ([-0.1], [0.0]):
        with pytest.raises(ValueError, match="rate must be greater than zero."):
            msd.Exponential(rate, dtype=ms.float32)
    with pytest.raises(TypeError, match="the type rate must be subclass of Tensor. It can not be None since it is not "
                                        "specified during initialization."):
        msd.Exponential(dtype=ms.float32).prob(Tensor(V))
    with pytest.raises(ValueError, match="Expected dist input is Exponential, but got Normal."):
        msd.Exponential(0.5).kl_loss("Normal", Tensor([1.0], ms.float32))
