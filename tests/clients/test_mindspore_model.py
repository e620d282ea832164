"""mindspore.Model(net, loss_fn, optimizer, metrics): train / eval / predict. Expected numbers from
MindSpore 2.10 (CPU, PyNative) running the same program with a GeneratorDataset(shuffle=False) over the
same three batches:

    net = nn.Dense(3, 2, weight_init=W0, bias_init=B0)
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9), metrics={"acc", "loss"})
    model.train(2, dataset); model.eval(dataset); model.predict(Tensor(X[:2]))
"""
import numpy as np
import pytest

from gradserve import Model, Tensor, nn

X = np.sin(np.arange(36)).reshape(12, 3).astype(np.float32)
Y = (np.arange(12) % 2).astype(np.int32)
W0 = np.array([[0.1, -0.2, 0.3], [0.05, 0.4, -0.1]], np.float32)
B0 = np.array([0.0, 0.1], np.float32)
MS_WEIGHT = [[-0.2533937, 0.038378697, 0.9109869], [0.40339375, 0.16162133, -0.7109869]]
MS_BIAS = [0.041572344, 0.058427658]
MS_EVAL = {"loss": 0.16542565822601318, "acc": 1.0}
MS_PREDICT = [[0.9022249, -0.45207122], [-0.89679915, 0.67482173]]


def _dataset():
    return [(X[4 * i:4 * i + 4], Y[4 * i:4 * i + 4]) for i in range(3)]   # a plain list of (data, label)


def _model():
    net = nn.Dense(3, 2, weight_init=W0, bias_init=B0)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, Model(net, loss, nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9),
                      metrics={"acc", "loss"})


class Recorder:
    def __init__(self):
        self.calls = []

    def on_train_step_end(self, ctx):
        a = ctx.original_args()
        self.calls.append((a.cur_epoch_num, a.cur_step_num, float(a.net_outputs.asnumpy())))


def test_train_eval_predict_match_mindspore(on_real_server):
    net, model = _model()
    rec = Recorder()
    model.train(2, _dataset(), callbacks=[rec])
    np.testing.assert_allclose(net.weight.asnumpy(), MS_WEIGHT, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(net.bias.asnumpy(), MS_BIAS, rtol=2e-5, atol=1e-6)
    assert [c[:2] for c in rec.calls] == [(1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6)]
    assert rec.calls[-1][2] < rec.calls[0][2]   # the loss went down
    got = model.eval(_dataset())
    assert set(got) == {"acc", "loss"} and got["acc"] == MS_EVAL["acc"]
    np.testing.assert_allclose(got["loss"], MS_EVAL["loss"], rtol=2e-5)
    np.testing.assert_allclose(model.predict(Tensor(X[:2])).asnumpy(), MS_PREDICT, rtol=2e-5, atol=1e-6)


def test_dataset_object_with_tuple_iterator_and_stop(on_real_server):
    class Dataset:   # MindSpore's dataset spelling
        def create_tuple_iterator(self):
            return iter(_dataset())

    class StopAfterTwo:
        def on_train_step_end(self, ctx):
            if ctx.original_args().cur_step_num == 2:
                ctx.request_stop()

    net, model = _model()
    model.train(5, Dataset(), callbacks=StopAfterTwo())
    assert model.train_network.optimizer.global_step == 2
    assert not net.training   # train() leaves the network in inference mode


def test_without_loss_fn_the_network_is_the_loss(on_real_server):
    net = nn.Dense(3, 2, weight_init=W0, bias_init=B0)
    with_loss = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    Model(with_loss, optimizer=nn.Momentum(net.trainable_params(), 0.1, 0.9)).train(2, _dataset())
    np.testing.assert_allclose(net.weight.asnumpy(), MS_WEIGHT, rtol=2e-5, atol=1e-6)


def test_refusals():
    net = nn.Dense(3, 2)  # (a Model without an optimizer trains forward only, as MindSpore 2.10: test_mindspore_suite52)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        Model(net, metrics={"f1"})
    with pytest.raises(ValueError, match="no metrics"):
        Model(net).eval(_dataset())


def test_metric_objects_loss_monitor_and_train_spellings(on_real_server, capsys):
    from gradserve.train import Accuracy, Loss, LossMonitor, Model as TrainModel
    from gradserve.train.serialization import load_checkpoint
    assert TrainModel is Model and load_checkpoint.__module__ == "gradserve._checkpoint"
    net = nn.Dense(3, 2, weight_init=W0, bias_init=B0)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = Model(net, loss, nn.Momentum(net.trainable_params(), 0.1, 0.9),
                  metrics={"Accuracy": Accuracy(), "l": Loss()})
    model.train(2, _dataset(), callbacks=[LossMonitor(3)])
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["epoch: 1 step: 3", "epoch: 2 step: 3"]   # the step in its epoch
    got = model.eval(_dataset())
    assert got["Accuracy"] == MS_EVAL["acc"]
    np.testing.assert_allclose(got["l"], MS_EVAL["loss"], rtol=2e-5)
    with pytest.raises(RuntimeError, match="number of samples is 0"):
        nn.Accuracy().eval()
