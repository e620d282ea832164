"""mindspore.dataset (GeneratorDataset / NumpySlicesDataset pipelines), Model.fit and sink mode, the MAE / MSE
metrics, EarlyStopping / ReduceLROnPlateau and the optimizers' learning-rate Parameters. Every expected value
was read off MindSpore 2.10 (CPU) running the same program (with `import mindspore`)."""
import numpy as np
import pytest

from gradserve import Model, Parameter, Tensor, nn
from gradserve import dataset as ds
from gradserve.train import MAE, MSE, Callback, EarlyStopping, ReduceLROnPlateau, RunContext
from gradserve.train.callback import _CallbackManager, _InternalCallbackParam


def _gen_rows(n):
    return [(np.array([i], np.float32), np.array([2 * i], np.float32)) for i in range(n)]


def test_pipeline_rows_batches_repeats_as_mindspore():
    d = ds.GeneratorDataset(_gen_rows(5), ["x", "y"], shuffle=False).batch(2).repeat(2)
    assert d.get_dataset_size() == 6
    got = [[t.asnumpy().tolist() for t in r] for r in d.create_tuple_iterator()]
    one = [[[[0.0], [1.0]], [[0.0], [2.0]]], [[[2.0], [3.0]], [[4.0], [6.0]]], [[[4.0]], [[8.0]]]]
    assert got == one + one
    dropped = ds.GeneratorDataset(_gen_rows(5), ["x", "y"], shuffle=False).batch(2, drop_remainder=True)
    assert dropped.get_dataset_size() == 2
    n = ds.NumpySlicesDataset({"a": np.arange(6).reshape(3, 2), "b": np.array([1, 2, 3])}, shuffle=False)
    assert n.get_col_names() == ["a", "b"]
    assert [{k: v.asnumpy().tolist() for k, v in r.items()} for r in n.create_dict_iterator()] == \
        [{"a": [0, 1], "b": 1}, {"a": [2, 3], "b": 2}, {"a": [4, 5], "b": 3}]


def test_generator_source_and_shuffle_keep_the_rows():
    def gen():
        for i in range(6):
            yield np.array(i), np.array(-i)
    assert [int(r[0].asnumpy()) for r in ds.GeneratorDataset(gen, ["a", "b"])] == list(range(6))
    ds.config.set_seed(3)
    rows = [tuple(int(v[0]) for v in r) for r in ds.GeneratorDataset(_gen_rows(6), ["x", "y"])
            .create_tuple_iterator(output_numpy=True)]
    assert sorted(rows) == [(i, 2 * i) for i in range(6)]   # a random-access source is shuffled by default
    with pytest.raises(RuntimeError, match="2 column"):
        list(ds.GeneratorDataset([(1, 2)], ["only"]))


def test_mae_mse_sum_every_element_over_the_samples():
    pred, zero = Tensor(np.array([[1., 2.], [3., 4.]], np.float32)), Tensor(np.zeros((2, 2), np.float32))
    for metric, want in ((MAE(), 5.0), (MSE(), 15.0)):
        metric.clear()
        metric.update(pred, zero)
        assert metric.eval() == want


def test_fit_evaluates_every_valid_frequency_epochs(on_real_server, capsys):
    from gradserve.train import LossMonitor
    rows = [(np.array([0.], np.float32), np.array([3.], np.float32)) for _ in range(8)]
    train = ds.GeneratorDataset(rows, ["data", "label"]).batch(4)
    net = nn.Dense(1, 1, has_bias=False)
    model = Model(net, nn.MSELoss(), nn.Momentum(net.trainable_params(), 0.01, 0.9), metrics={"mse", "mae"})
    model.fit(4, train, ds.GeneratorDataset(rows, ["data", "label"]).batch(2), valid_frequency=2,
              callbacks=[LossMonitor()])
    evals = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("Eval result")]
    assert [ln.split(",")[0] for ln in evals] == ["Eval result: epoch 2", "Eval result: epoch 4"]
    assert all("'mse': 9.0" in ln and "'mae': 3.0" in ln for ln in evals)   # the output is 0 for x = 0
    with pytest.raises(TypeError, match="valid_frequency"):
        model.fit(1, train, train, valid_frequency=1.5)


def test_sink_mode_trains_every_batch_with_batch_num_the_sink_size(on_real_server):
    class Rec(Callback):
        def __init__(self):
            self.s = []

        def on_train_step_end(self, rc):
            a = rc.original_args()
            self.s.append((a.cur_epoch_num, a.cur_step_num, a.batch_num))

    net = nn.Dense(1, 1, weight_init="ones", has_bias=False)
    model = Model(net, nn.MSELoss(), nn.SGD(net.trainable_params(), 0.1))
    rows = [(np.array([1.], np.float32), np.array([0.], np.float32))] * 4
    rec = Rec()
    model.train(2, ds.GeneratorDataset(rows, ["x", "y"], shuffle=False).batch(1), callbacks=[rec],
                dataset_sink_mode=True, sink_size=3)
    assert rec.s == [(1, 1, 3), (1, 2, 3), (1, 3, 3), (1, 4, 3), (2, 5, 3), (2, 6, 3), (2, 7, 3), (2, 8, 3)]
    np.testing.assert_allclose(net.weight.asnumpy(), [[0.16777214]], rtol=1e-6)   # 0.8 ** 8
    # no prefix on the network's weight; the optimizer's state follows it as Parameters (MindSpore 2.10 gives
    # exactly this list for this Model's train_network)
    assert net.weight.name == "weight" and list(model.train_network.parameters_dict()) == \
        ["weight", "global_step", "learning_rate", "momentum", "accum.weight", "stat.weight"]


def _epochs(callback, results, opt=None):
    params = _InternalCallbackParam()
    params.optimizer = opt
    rc = RunContext(params)
    lrs, stopped = [], None
    with _CallbackManager([callback]) as cbs:
        for i, r in enumerate(results):
            cbs.on_train_epoch_begin(rc)
            params.eval_results, params.cur_epoch_num = r, i + 1
            cbs.on_train_epoch_end(rc)
            if opt is not None:
                lrs.append(float(opt.learning_rate.asnumpy()))
            if rc.get_stop_requested():
                stopped = i + 1
                break
    return lrs, stopped


def test_reduce_lr_on_plateau_and_the_next_step_uses_the_new_rate():
    w = Parameter(Tensor(np.ones(1, np.float32)), name="w")
    opt = nn.SGD([w], learning_rate=1.0)
    losses = [{"eval_loss": v} for v in (1.0, 1.1, 1.0, 1.0, 1.1, 1.2)]
    lrs, _ = _epochs(ReduceLROnPlateau(monitor="eval_loss", patience=2, cooldown=1), losses, opt)
    np.testing.assert_allclose(lrs, [1.0, 1.0, 0.1, 0.1, 0.01, 0.01], rtol=1e-6)
    opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(w.asnumpy(), [0.99], rtol=1e-6)   # 1 - 0.01 * 1
    with pytest.raises(ValueError, match="dynamic learning rate"):
        _epochs(ReduceLROnPlateau(), losses, nn.SGD([w], learning_rate=[0.1, 0.2]))


def test_early_stopping_counts_epochs_without_improvement_over_the_baseline():
    for baseline, acc, patience, stop in ((0.3, [0.6, 0.5, 0.7, 0.5, 0.6], 2, 5),
                                          (0.55, [0.6, 0.3, 0.5, 0.5], 2, 3),
                                          (0.6, [0.5, 0.4, 0.7, 0.6, 0.5, 0.6], 3, 6)):
        cb = EarlyStopping(monitor="accuracy", patience=patience, baseline=baseline)
        assert _epochs(cb, [{"accuracy": a} for a in acc])[1] == stop


def test_learning_rates_are_parameters_named_as_mindspore():
    a, b, c = (Parameter(Tensor(np.ones(n, np.float32)), name=k) for n, k in ((2, "a"), (3, "b"), (1, "c")))
    opt = nn.SGD([{"params": [a], "weight_decay": 0.1}, {"params": [b], "lr": 0.5}, {"params": [c]}],
                 learning_rate=0.2)
    assert [(p.name, float(p.asnumpy())) for p in opt.learning_rate] == \
        [("learning_rate", np.float32(0.2)), ("learning_rate_group_1", 0.5), ("learning_rate", np.float32(0.2))]
    assert opt.get_lr_parameter(b).name == "learning_rate_group_1"
    assert [p.name for p in opt.get_lr_parameter([a, c])] == ["learning_rate", "learning_rate"]
    assert opt.decay_flags == (True, False, False)
    with pytest.raises(TypeError):
        opt.get_lr_parameter([1])
    single = nn.Momentum([a, b], learning_rate=0.1, momentum=0.9).learning_rate
    assert single.name == "learning_rate" and single.shape == () and single.dtype == np.float32
    dyn = nn.SGD([{"params": [a], "lr": [0.3, 0.2]}, {"params": [b]}], learning_rate=0.1)
    assert [(q.learning_rate.name, q.learning_rate.asnumpy().tolist()) for q in dyn.learning_rate] == \
        [("learning_rate_group_0", [np.float32(0.3), np.float32(0.2)]), ("learning_rate", np.float32(0.1))]


def test_get_lr_with_group_rates_is_each_parameters():
    """MindSpore 2.10 (its venv): with groups' own rates get_lr() is a tuple of each parameter's rate at this
    step (it gave the first group's alone); without, the one rate."""
    a, b, c = (Parameter(Tensor(np.ones(n, np.float32)), name=k) for n, k in ((2, "a"), (3, "b"), (1, "c")))
    opt = nn.SGD([{"params": [a], "weight_decay": 0.1}, {"params": [b], "lr": 0.5}, {"params": [c]}],
                 learning_rate=0.2)
    assert [float(r) for r in opt.get_lr()] == pytest.approx([0.2, 0.5, 0.2])
    dyn = nn.SGD([{"params": [a], "lr": [0.3, 0.2]}, {"params": [b]}], learning_rate=0.1)
    assert [float(r) for r in dyn.get_lr()] == pytest.approx([0.3, 0.1])
    assert float(nn.SGD([{"params": [a], "weight_decay": 0.1}, {"params": [b]}], learning_rate=0.2).get_lr()) == \
        pytest.approx(0.2)
