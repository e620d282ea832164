"""mindspore.nn.probability is not implemented (but distribution.Bernoulli: test_mindspore_leftovers4; Laplace and
HalfNormal: below): importing it works (so a program's other parts still run), and
using one of its names raises NotImplementedError naming it (gradserve/nn/probability)."""
import numpy as np
import pytest


def test_distribution_names_import_and_refuse_when_used():
    from gradserve.nn.probability import bijector, distribution
    normal = distribution.Normal  # importing a name is fine
    with pytest.raises(NotImplementedError, match=r"nn\.probability\.distribution\.Normal .*not implemented"):
        normal(0.0, 1.0)
    with pytest.raises(NotImplementedError, match=r"bijector\.Exp"):
        bijector.Exp()
    with pytest.raises(AttributeError):
        distribution.__wrapped__  # noqa: B018 - private names stay ordinary AttributeErrors


# -- Laplace and HalfNormal: log_prob / prob, MindSpore 2.10's only methods for them (scipy.stats as the reference)
def test_laplace_and_half_normal_log_prob_match_scipy(on_real_server):  # (-inf values: the real transport)
    from scipy import stats

    import gradserve as ms
    from gradserve import Tensor, nn
    from gradserve.nn.probability import distribution as msd
    x = np.array([0.3, 4.0, np.pi, np.e, -2.0], np.float32)
    loc = np.array([0.0, 0.0, 0.5, 0.7, 1.0], np.float32)
    scale = np.array([1.5, 1.0, 2.0, 3.0, 2.0], np.float32)
    for cls, ref in ((msd.Laplace, stats.laplace), (msd.HalfNormal, stats.halfnorm)):
        want = ref.logpdf(x, loc=loc, scale=scale)

        class Net(nn.Cell):
            def __init__(self, *params):
                super().__init__()
                self.d = cls(*params, dtype=ms.float32)

            def construct(self, v, *params):
                return self.d.log_prob(v, *params)
        got = Net(loc, scale)(Tensor(x)).asnumpy()  # parameters given when made, in GRAPH_MODE
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        fin = ~np.isinf(want)
        np.testing.assert_allclose(got[fin], want[fin], rtol=1e-5, atol=1e-5)
        got2 = cls(dtype=ms.float32).log_prob(Tensor(x), Tensor(loc), Tensor(scale)).asnumpy()  # given at the call
        np.testing.assert_allclose(got2[fin], want[fin], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(cls(loc, scale).prob(Tensor(x)).asnumpy(), ref.pdf(x, loc=loc, scale=scale),
                                   rtol=1e-5, atol=1e-6)
        d = cls(3.0, 4.0)
        assert d.log_prob(Tensor(np.array([1.0, 2.0, 3.0], np.float32)), Tensor([1.0]),
                          Tensor(np.array([1.0, 1.5, 2.5], np.float32))).shape == (3,)
        with pytest.raises(NotImplementedError, match=f"mean is not implemented for {cls.__name__} distribution"):
            d.mean()  # MindSpore 2.10 implements log_prob / prob alone for these two
        with pytest.raises(ValueError, match="sd"):
            cls(0.0, 0.0)
        with pytest.raises(TypeError, match="float"):
            cls(0.0, 1.0, dtype=ms.int32)


def test_half_normal_support_is_the_non_negative_values_whatever_the_mean(on_real_server):
    # MindSpore 2.10 (CPU, its venv) masks HalfNormal's density with value >= 0, not value >= mean (scipy's halfnorm
    # support): HalfNormal(1, 2) at x = 0 and 0.5 is finite, HalfNormal(-1, 2) at x = -0.5 is -inf
    from gradserve import Tensor
    from gradserve.nn.probability import distribution as msd
    x = Tensor(np.array([-1.0, 0.0, 0.5, 1.0, 3.0], np.float32))
    np.testing.assert_allclose(msd.HalfNormal(1.0, 2.0).log_prob(x).asnumpy(),
                               [-np.inf, -1.0439382, -0.95018816, -0.91893816, -1.4189388], rtol=1e-6)
    np.testing.assert_allclose(msd.HalfNormal(1.0, 2.0).prob(x).asnumpy(),
                               [0.0, 0.35206532, 0.38666812, 0.3989423, 0.24197066], rtol=1e-5)
    np.testing.assert_allclose(msd.HalfNormal(-1.0, 2.0).log_prob(Tensor(np.array([-2.0, -0.5, 0.0, 1.0], np.float32)))
                               .asnumpy(), [-np.inf, -np.inf, -1.0439382, -1.4189384], rtol=1e-6)
