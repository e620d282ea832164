"""mindspore.nn.probability is not implemented (but distribution.Bernoulli: test_mindspore_leftovers4; Laplace and
HalfNormal: below): importing it works (so a program's other parts still run), and
using one of its names raises NotImplementedError naming it (gradserve/nn/probability)."""
import numpy as np
import pytest


def test_distribution_names_import_and_refuse_when_used():
    from gradserve.nn.probability import bijector, distribution
    uniform = distribution.Uniform  # importing a name is fine (Normal: test_mindspore_suite29)
    with pytest.raises(NotImplementedError, match=r"nn\.probability\.distribution\.Uniform .*not implemented"):
        uniform(0.0, 1.0)
    with pytest.raises(NotImplementedError, match=r"bijector\.Softplus"):  # (Exp: test_mindspore_left17)
        bijector.Softplus()
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


# -- LogNormal: MindSpore 2.10's values (its venv, CPU), which are scipy.stats.lognorm's (s = scale, exp(loc))
def test_log_normal_closed_forms_match_mindspore_and_scipy(on_real_server):
    from scipy import stats

    import gradserve as ms
    from gradserve import Tensor
    from gradserve.nn.probability import distribution as msd
    n = msd.LogNormal(0.3, 0.8, dtype=ms.float32)
    assert isinstance(n, msd.Distribution) and isinstance(msd.LogNormal(), msd.Distribution)
    x = np.array([0.5, 1.0, 2.5], np.float32)
    ref = stats.lognorm(0.8, scale=np.exp(0.3))
    ms_values = {"prob": [0.46152127, 0.46481878, 0.1482558], "log_prob": [-0.773227, -0.7661075, -1.9088156],
                 "cdf": [0.10722274, 0.35383025, 0.7794578], "log_cdf": [-2.232847, -1.038938, -0.24915671],
                 "survival_function": [0.89277726, 0.6461698, 0.22054219],
                 "log_survival": [-0.11341815, -0.43669298, -1.5116663]}
    scipy_values = {"prob": ref.pdf(x), "log_prob": ref.logpdf(x), "cdf": ref.cdf(x), "log_cdf": ref.logcdf(x),
                    "survival_function": ref.sf(x), "log_survival": ref.logsf(x)}
    for m, want in ms_values.items():
        got = getattr(n, m)(Tensor(x)).asnumpy()
        np.testing.assert_allclose(got, want, rtol=2e-5, err_msg=m)
        np.testing.assert_allclose(got, scipy_values[m], rtol=2e-5, err_msg=m)
    got = [float(getattr(n, m)().asnumpy()) for m in ("mean", "mode", "sd", "var", "entropy")]
    # (MindSpore's mode, 0.71176827, is 2.9e-6 off exp(0.3 - 0.64) = 0.7117703: its float32 rounding, not ours)
    np.testing.assert_allclose(got, [1.8589283, 0.71176827, 1.7600831, 3.0978925, 1.495795], rtol=5e-6)
    np.testing.assert_allclose(got[1], np.exp(0.3 - 0.64), rtol=1e-6)
    np.testing.assert_allclose([ref.mean(), ref.std(), ref.var(), ref.entropy()], [got[0], got[2], got[3], got[4]],
                               rtol=2e-6)
    b_loc, b_scale = Tensor([0.1], ms.float32), Tensor([1.5], ms.float32)
    np.testing.assert_allclose(n.kl_loss("LogNormal", b_loc, b_scale).asnumpy(), [0.27971977], rtol=2e-6)
    np.testing.assert_allclose(n.cross_entropy("LogNormal", b_loc, b_scale).asnumpy(), [1.7755148], rtol=2e-6)
    np.testing.assert_allclose(n.kl_loss("LogNormal", b_loc, b_scale, Tensor([0.2], ms.float32),
                                         Tensor([0.5], ms.float32)).asnumpy(), [0.6563901], rtol=2e-6)
    # parameters at the call, one of them only
    np.testing.assert_allclose(msd.LogNormal().prob(Tensor(x), Tensor([0.0]), Tensor([1.0])).asnumpy(),
                               [0.6274959, 0.39894214, 0.104871], rtol=2e-6)
    np.testing.assert_allclose(n.prob(Tensor(x), Tensor([0.0])).asnumpy(), [0.6852285, 0.49867776, 0.10351745],
                               rtol=2e-6)
    np.testing.assert_allclose(n.mean(Tensor([0.0, 1.0]), Tensor([1.0])).asnumpy(), [1.6487215, 4.4816904], rtol=2e-6)
    # outside the support (MindSpore's: NaN densities, cdf 0)
    out = Tensor(np.array([0.0, -1.0], np.float32))
    assert np.isnan(n.prob(out).asnumpy()).all() and np.isnan(n.log_prob(out).asnumpy()).all()
    np.testing.assert_array_equal(n.cdf(out).asnumpy(), [0.0, 0.0])
    np.testing.assert_array_equal(n.survival_function(out).asnumpy(), [1.0, 1.0])
    # differentiable in its parameters: d/dloc of log_prob at x is (log x - loc) / scale^2
    g = ms.grad(lambda loc: msd.LogNormal().log_prob(Tensor(x), loc, Tensor([0.8])).sum())(Tensor([0.3]))
    np.testing.assert_allclose(g.asnumpy(), [((np.log(x) - 0.3) / 0.64).sum()], rtol=1e-5)


def refuses_bad_construction_as_mindspore(name: str) -> None:
    """MindSpore 2.10's construction errors of the Normal-like distribution `name` (Normal, LogNormal)."""
    import gradserve as ms
    from gradserve.nn.probability import distribution as msd
    cls = getattr(msd, name)
    with pytest.raises(ValueError):
        cls([[2.0], [1.0]], [[2.0], [3.0], [4.0]], dtype=ms.float32)
    with pytest.raises(TypeError, match="dtype"):
        cls(0.0, 1.0, dtype=ms.int32)
    with pytest.raises(TypeError, match=rf"For '{name}', the type of 'name' should be 'str', but got type 'float'"):
        cls(0.0, 1.0, name=1.0)
    with pytest.raises(TypeError, match=rf"For '{name}', the 'seed' must be int, but got 'str'"):
        cls(0.0, 1.0, seed="seed")
    for sd in (0.0, -1.0):
        with pytest.raises(ValueError, match="Standard deviation must be greater than zero"):
            cls(0.0, sd)


def test_log_normal_refuses_what_mindspore_refuses():
    from gradserve.nn.probability import distribution as msd
    refuses_bad_construction_as_mindspore("LogNormal")
    with pytest.raises(TypeError, match="the type loc must be subclass of Tensor"):
        msd.LogNormal().prob(np.float32(1.0))
    with pytest.raises(ValueError, match="Expected dist input is LogNormal, but got Normal."):
        msd.LogNormal(0.0, 1.0).kl_loss("Normal", 0.0, 1.0)
    n = msd.LogNormal(0.3, 0.8)
    assert (n.name, n.seed) == ("LogNormal", 0)


def test_bernoulli_refuses_probs_0_and_1_and_clamps_them_in_log_prob(on_real_server):
    # MindSpore 2.10 (its venv): made with probs 0 or 1 it raises; given at the call, prob / log_prob clamp the
    # probability into [eps, 1 - eps] (eps float32's, 1.1920929e-07)
    import gradserve as ms
    from gradserve import Tensor
    from gradserve.nn.probability import distribution as msd
    with pytest.raises(ValueError, match="Probabilities must be greater than zero"):
        msd.Bernoulli(0.0)
    with pytest.raises(TypeError, match=r"For 'Bernoulli', the type of 'name' should be 'str', but got type 'float'"):
        msd.Bernoulli([0.1], name=1.0)
    with pytest.raises(TypeError, match=r"For 'Bernoulli', the 'seed' must be int, but got 'str'"):
        msd.Bernoulli([0.1], seed="seed")
    with pytest.raises(TypeError, match="dtype"):
        msd.Bernoulli([0.1], dtype=ms.bool_)
    assert isinstance(msd.Bernoulli(), msd.Distribution) and msd.Bernoulli([0.1], dtype=ms.float32).seed == 0
    for p in (1.0, [0.5, 1.0]):
        with pytest.raises(ValueError, match="Probabilities must be less than one"):
            msd.Bernoulli(p)
    b, v = msd.Bernoulli(dtype=ms.int32), Tensor(np.array([0, 1], np.int32))
    np.testing.assert_allclose(b.log_prob(v, Tensor([0.0])).asnumpy(), [-1.1920929e-07, -1.5942385e+01], rtol=1e-6)
    np.testing.assert_allclose(b.log_prob(v, Tensor([1.0])).asnumpy(), [-1.5942385e+01, -1.1920929e-07], rtol=1e-6)
    # (exp of log(eps) in float32: its log rounded to a few ulps of -15.94 moves the result ~4e-6 relative)
    np.testing.assert_allclose(b.prob(v, Tensor([0.0])).asnumpy(), [9.99999881e-01, 1.19208856e-07], rtol=1e-5)
    np.testing.assert_array_equal(b.cdf(v, Tensor([1.0])).asnumpy(), [0.0, 1.0])
