"""Sample seed 52 of MindSpore's own tests (benchmarks/mindspore_suite/README.md, "Sample seed 52").

What the sample's misses asked for: nn.probability.distribution.Gamma (test_beta.py's eight argument checks), the
dataset config's debug-mode flag and its default seed (test_pipeline_debug_mode.py reads both in every setup and
teardown), and the train callbacks / metrics at the top level (`from mindspore import Callback`). Expected values and
texts: MindSpore 2.10 CPU runs (/work/ms_suite52/probe/g1.py, g2.py, d.py, s.py hold the same programs); Gamma's
gradients: the closed form's derivatives (d/da log_prob = log b + log x - digamma(a), d/db = a / b - x), written
out with SciPy."""
import numpy as np
import pytest
from scipy import special

import gradserve
import gradserve.nn.probability.distribution as msd
from gradserve import Tensor, dtype
from gradserve.dataset import config


def _raises(exc, text, fn, *args, **kwargs):
    with pytest.raises(exc) as e:
        fn(*args, **kwargs)
    assert str(e.value) == text


# MindSpore 2.10 (probe/g1.py; g2.py 0 for the first: one process a case, its kernel errors repeat the first's text)
@pytest.mark.parametrize("args, kwargs, exc, text", [
    (([0.], [1.]), {}, ValueError, "concentration must be greater than zero."),
    (([-1.], [1.]), {}, ValueError, "concentration must be greater than zero."),
    (([1.], [0.]), {}, ValueError, "rate must be greater than zero."),
    ((3., [4.]), {}, TypeError, "Input concentration can't be scalar"),
    (([3.], -4.), {}, TypeError, "Input rate can't be scalar"),
    (([0.], [1.]), {"name": 1.0}, TypeError, "For 'Gamma', the type of 'name' should be 'str', but got type 'float'."),
    (([0.], [1.]), {"seed": "seed"}, TypeError, "For 'Gamma', the 'seed' must be int, but got 'str'"),
    (([1.], [2.]), {"seed": 1.5}, TypeError, "For 'Gamma', the 'seed' must be int, but got 'float'"),
    (([0.], [1.]), {"dtype": dtype.int32}, TypeError,
     "For 'Gamma', the 'dtype' should be one of [mindspore.float16, mindspore.float32, mindspore.float64, "
     "mindspore.bfloat16, mindspore.float8_e4m3fn, mindspore.float8_e5m2, mindspore.hifloat8], but got "
     "'mindspore.int32'."),
])
def test_gamma_argument_checks(args, kwargs, exc, text):
    _raises(exc, text, msd.Gamma, *args, **kwargs)


def test_gamma_shapes_must_broadcast():  # MindSpore 2.10: a ValueError (its broadcast check's text)
    with pytest.raises(ValueError):
        msd.Gamma([[2.], [1.]], [[2.], [3.], [4.]], dtype=dtype.float32)
    assert isinstance(msd.Gamma([[2.], [1.]], [[2.], [3.]]), msd.Distribution)


def test_gamma_parameters_missing():  # MindSpore 2.10's text for a Gamma made without them
    _raises(TypeError, "the type concentration must be subclass of Tensor. It can not be None since it is not "
            "specified during initialization.", msd.Gamma().mean)
    _raises(ValueError, "Expected dist input is Gamma, but got Normal.",
            msd.Gamma([1.], [2.]).kl_loss, "Normal", Tensor([1.0]), Tensor([1.0]))


def test_gamma_closed_forms(on_real_server):  # MindSpore 2.10 CPU, PyNative (probe/g1.py)
    g = msd.Gamma(np.array([3.0, 4.0]), np.array([4.0, 6.0]), dtype=dtype.float32)
    x = Tensor([0.5, 1.0], dtype.float32)
    close = dict(rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(g.mean().asnumpy(), [0.75, 0.6666667], **close)
    np.testing.assert_allclose(g.sd().asnumpy(), [0.4330127, 0.33333334], **close)
    np.testing.assert_allclose(g.var().asnumpy(), [0.1875, 0.11111111], **close)
    np.testing.assert_allclose(g.mode().asnumpy(), [0.5, 0.5], **close)
    # MindSpore gives 0.46128333 / 0.23164654: its float32 digamma; scipy's float64 value is 0.4612842
    np.testing.assert_allclose(g.entropy().asnumpy(), [0.46128333, 0.23164654], rtol=1e-5, atol=5e-6)
    np.testing.assert_allclose(g.prob(x).asnumpy(), [1.0826823, 0.5354104], **close)
    np.testing.assert_allclose(g.log_prob(x).asnumpy(), [0.07944155, -0.6247215], **close)
    np.testing.assert_allclose(g.cdf(x).asnumpy(), [0.3233235, 0.84879625], **close)
    kl = g.kl_loss("Gamma", Tensor([1.0]), Tensor([1.0]))
    np.testing.assert_allclose(kl.asnumpy(), [0.2887168, 0.4350202], rtol=1e-5, atol=5e-6)
    np.testing.assert_allclose(msd.Gamma().mean(Tensor([2.0]), Tensor([3.0])).asnumpy(), [0.6666667], **close)
    assert msd.Gamma([2.0], [3.0], dtype=dtype.float64).mean().dtype == dtype.float64


def test_gamma_outside_the_support(on_real_server):  # MindSpore 2.10 CPU (probe/g2.py 2): nan, not -inf / 0
    g = msd.Gamma(np.array([0.5, 1.0, 3.0]), np.array([2.0, 2.0, 2.0]), dtype=dtype.float32)
    x = Tensor([-1.0, 0.0, 0.5], dtype.float32)
    nan = np.nan
    close = dict(rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(g.mode().asnumpy(), [nan, nan, 1.0], **close)
    np.testing.assert_allclose(g.log_prob(x).asnumpy(), [nan, nan, -1.0], **close)
    np.testing.assert_allclose(g.prob(x).asnumpy(), [nan, nan, 0.36787882], **close)
    np.testing.assert_allclose(g.cdf(x).asnumpy(), [nan, 0.0, 0.08030137], **close)
    np.testing.assert_allclose(g.survival_function(x).asnumpy(), [nan, 1.0, 0.91969866], **close)
    np.testing.assert_allclose(g.log_cdf(x).asnumpy(), [nan, -np.inf, -2.5219686], **close)
    np.testing.assert_allclose(g.log_survival(x).asnumpy(), [nan, 0.0, -0.08370921], rtol=1e-5, atol=1e-6)
    with pytest.raises(NotImplementedError):  # MindSpore 2.10 CPU: "Unsupported op [Gamma] on CPU"
        g.sample((2,))


def test_gamma_log_prob_gradients(on_real_server):  # the closed form's derivatives (SciPy's digamma)
    xv, av, bv = np.array([0.5, 1.0]), np.array([3.0, 4.0]), np.array([4.0, 6.0])

    def f(a, b):
        return msd.Gamma().log_prob(Tensor(xv, dtype.float32), a, b).sum()
    da, db = gradserve.grad(f, grad_position=(0, 1))(Tensor(av, dtype.float32), Tensor(bv, dtype.float32))
    np.testing.assert_allclose(da.asnumpy(), np.log(bv) + np.log(xv) - special.digamma(av), rtol=1e-5)
    np.testing.assert_allclose(db.asnumpy(), av / bv - xv, rtol=1e-5)


@pytest.fixture
def fresh_config(monkeypatch):
    monkeypatch.setattr(config, "_state", {"seed": None, "rng": None, "debug_mode": False})


def test_dataset_default_seed(fresh_config):  # MindSpore 2.10: 5489 until set; set_seed(None) its TypeError
    assert config.get_seed() == 5489
    _raises(TypeError, "seed isn't of type int.", config.set_seed, None)
    config.set_seed(0)
    assert config.get_seed() == 0 and config._generator() is not None
    config.set_seed(5489)  # MindSpore's default seed: its shuffles differ from process to process again
    assert config.get_seed() == 5489 and config._generator() is None


def test_dataset_debug_mode_flag(fresh_config):  # MindSpore 2.10's checks and texts
    assert config.get_debug_mode() is False
    config.set_debug_mode(True)
    assert config.get_debug_mode() is True
    config.set_debug_mode(False, [])
    assert config.get_debug_mode() is False
    _raises(TypeError, "debug_mode_flag isn't of type boolean.", config.set_debug_mode, 1)
    _raises(TypeError, "debug_hook_list is not a list.", config.set_debug_mode, True, 3)
    _raises(TypeError, "All items in debug_hook_list must be of type DebugHook.", config.set_debug_mode, True, [3])


def test_train_names_at_the_top_level():  # MindSpore 2.10: `from mindspore.train import *` in its __init__
    for name in ("Callback", "RunContext", "LossMonitor", "EarlyStopping", "Metric", "Accuracy", "auc", "names"):
        assert getattr(gradserve, name) is getattr(gradserve.train, name)


class _Steps(gradserve.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_step_end(self, run_context):
        args = run_context.original_args()
        self.seen.append((args.net_outputs.asnumpy().tolist(), type(args.train_network).__name__))


class _Square(gradserve.nn.Cell):
    def construct(self, x):
        return gradserve.ops.square(x)


def test_model_without_an_optimizer_runs_forward(on_real_server):  # MindSpore 2.10 (probe/m2.py)
    from gradserve.train import Model
    data = gradserve.dataset.NumpySlicesDataset((np.arange(3, dtype=np.float32), np.ones(3, np.float32)),
                                                shuffle=False)
    steps = _Steps()
    Model(_Square(), loss_fn=gradserve.nn.MSELoss()).train(1, data, callbacks=steps)
    assert steps.seen == [(1.0, "WithLossCell"), (0.0, "WithLossCell"), (9.0, "WithLossCell")]
    steps = _Steps()
    Model(_Square()).train(1, gradserve.dataset.NumpySlicesDataset(np.arange(3, dtype=np.float32), shuffle=False),
                           callbacks=steps)
    assert steps.seen == [(0.0, "_Square"), (1.0, "_Square"), (4.0, "_Square")]


def _order(it):
    return [int(r[0]) for r in it]


def test_seeded_shuffle_restarts_per_iterator_and_set_init_step(on_real_server, fresh_config):
    """MindSpore 2.10 (probe/m.py, seed 0, 6 rows): two iterators give one order, an iterator's two epochs two; a
    Model.train run repeats; set_init_step(3) gives the run's rows from the 4th on, set_init_step(8) with
    initial_epoch=1 its last 4 (the orders themselves are MindSpore's generator's: not compared)."""
    from gradserve.train import Model
    config.set_seed(0)
    d = gradserve.dataset.NumpySlicesDataset(np.arange(6).astype(np.int32), shuffle=True)
    first = _order(d.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert _order(d.create_tuple_iterator(num_epochs=1, output_numpy=True)) == first
    it = d.create_tuple_iterator(num_epochs=2, output_numpy=True)
    epoch1, epoch2 = _order(it), _order(it)
    assert epoch1 == first and sorted(epoch2) == list(range(6)) and epoch2 != epoch1

    def run(epochs, initial_epoch=0):
        steps = _Steps()
        Model(_Square()).train(epochs, d, callbacks=steps, initial_epoch=initial_epoch)
        return [v for v, _ in steps.seen]
    whole = run(2)
    assert whole == [float(v * v) for v in epoch1 + epoch2]
    assert run(2) == whole
    d.set_init_step(3)
    assert run(2) == whole[3:]
    d.set_init_step(8)
    assert run(2, initial_epoch=1) == whole[8:]


def _rows(d):
    return [[c.tolist() for c in r] for r in d.create_tuple_iterator(output_numpy=True)]


def _gen_ragged():
    for i in range(3):
        yield (np.array([i] * (i + 1)), np.array([i]))


def _gen_pairs():
    for i in range(4):
        yield (np.array([i]), np.array([i]))


def _numbers(lo, hi, col="a"):
    return gradserve.dataset.NumpySlicesDataset(np.arange(lo, hi), column_names=[col], shuffle=False)


def test_concat():  # MindSpore 2.10 (probe/c.py, c2.py)
    assert [r[0] for r in _rows(_numbers(0, 3) + _numbers(10, 12))] == [0, 1, 2, 10, 11]
    assert [r[0] for r in _rows(_numbers(0, 3).concat([_numbers(10, 12), _numbers(20, 21)]))] == [0, 1, 2, 10, 11, 20]
    assert (_numbers(0, 3) + _numbers(10, 12)).get_dataset_size() == 5
    with pytest.raises(RuntimeError, match="Invalid columns, 'column name' or 'column order' of concat datasets "
                                           "should be the same."):
        _rows(_numbers(0, 3) + _numbers(10, 12, "c"))


def test_padded_batch():  # MindSpore 2.10 (probe/b.py)
    def make():
        return gradserve.dataset.GeneratorDataset(_gen_ragged, ["a", "b"], shuffle=False)
    assert _rows(make().padded_batch(2, pad_info={"a": (None, -1)})) == [[[[0, -1], [1, 1]], [[0], [1]]],
                                                                          [[[2, 2, 2]], [[2]]]]
    assert _rows(make().padded_batch(2, pad_info={"a": ([4], 7)})) == [[[[0, 7, 7, 7], [1, 1, 7, 7]], [[0], [1]]],
                                                                        [[[2, 2, 2, 7]], [[2]]]]
    assert _rows(make().padded_batch(2, pad_info={"a": ([1], 5)})) == [[[[0], [1]], [[0], [1]]], [[[2]], [[2]]]]
    with pytest.raises(RuntimeError):  # MindSpore: "Cannot batch tensors with different shapes in column 0. ..."
        _rows(make().padded_batch(2, pad_info={"b": ([2], 5)}))


def test_per_batch_map_and_batch_size_callable():  # MindSpore 2.10 (probe/b.py)
    def make():
        return gradserve.dataset.GeneratorDataset(_gen_pairs, ["a", "b"], shuffle=False)

    def both(a, b, info):
        return [x * 10 for x in a], [y + info.get_batch_num() for y in b]

    def first(a, info):
        return ([x * 10 for x in a],)
    expect_both = [[[[0], [10]], [[0], [1]]], [[[20], [30]], [[3], [4]]]]
    assert _rows(make().batch(2, per_batch_map=both, input_columns=["a", "b"])) == expect_both
    assert _rows(make().batch(2, per_batch_map=both)) == expect_both
    assert _rows(make().batch(2, per_batch_map=first, input_columns=["a"])) == [[[[0], [10]], [[0], [1]]],
                                                                                [[[20], [30]], [[2], [3]]]]
    assert _rows(make().batch(lambda info: info.get_batch_num() + 1)) == [[[[0]], [[0]]], [[[1], [2]], [[1], [2]]],
                                                                          [[[3]], [[3]]]]


def test_batch_info_epoch_is_the_iterators():  # MindSpore 2.10's test_pipeline_debug_mode expectations
    def sign(col, info):
        return ([((-1) ** info.get_epoch_num()) * v for v in col],)
    d = gradserve.dataset.GeneratorDataset(_gen_pairs, ["a", "b"], shuffle=False)
    d = d.batch(2, per_batch_map=sign, input_columns=["a"]).repeat(2)
    it = d.create_dict_iterator(num_epochs=2, output_numpy=True)
    first = [r["a"].ravel().tolist() for r in it]
    second = [r["a"].ravel().tolist() for r in it]
    assert first == [[0, 1], [2, 3], [0, 1], [2, 3]]
    assert second == [[0, -1], [-2, -3], [0, -1], [-2, -3]]


def test_sink_mode_refused_in_debug_mode(on_real_server, fresh_config):  # MindSpore 2.10 (probe/sink.py)
    from gradserve.train import Model
    config.set_debug_mode(True)
    data = gradserve.dataset.NumpySlicesDataset(np.arange(4, dtype=np.float32), shuffle=False)
    _raises(ValueError, "Dataset sink mode is not supported when dataset pipeline debug mode is on. Please manually "
            "turn off sink mode.", Model(_Square()).train, 1, data, dataset_sink_mode=True)
    steps = _Steps()
    Model(_Square()).train(1, data, dataset_sink_mode=False, callbacks=steps)
    assert [v for v, _ in steps.seen] == [0.0, 1.0, 4.0, 9.0]
