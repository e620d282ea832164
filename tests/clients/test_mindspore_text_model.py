"""A whole MindSpore 2.x program: Embedding(padding_idx) -> bidirectional LSTM -> Dropout -> Dense, trained by
Model with Adam on SoftmaxCrossEntropyWithLogits, then eval / predict and its checkpoint. The numbers are
MindSpore 2.10's (CPU, PyNative) for the same program, same initial weights and same batches (dropout
p set to 0 on both sides so the runs compare); data/ms210_textnet.ckpt is the checkpoint MindSpore saved
after training."""
from pathlib import Path

import numpy as np

import gradserve as gs
from gradserve import Model, Tensor, nn
from gradserve._checkpoint import named_parameters

DATA = Path(__file__).parent / "data"
# MindSpore 2.10, after model.train(3, ...)
MS_FC_WEIGHT = [[0.29476452, 0.10615561, -0.11191466, -0.4709434, -0.04711134, -0.08315694],
                [0.10691225, 0.17394315, 0.13870054, 0.23181857, -0.34546003, -0.27822852]]
MS_EVAL = {"acc": 0.625, "loss": 0.6394983232021332}
MS_PRED = [[-0.58355486, -0.05950516], [-0.56677186, -0.06502824]]
MS_NAMES = ["emb.embedding_table", "rnn.weight_ih_l0", "rnn.weight_ih_l0_reverse", "rnn.weight_hh_l0",
            "rnn.weight_hh_l0_reverse", "rnn.bias_ih_l0", "rnn.bias_ih_l0_reverse", "rnn.bias_hh_l0",
            "rnn.bias_hh_l0_reverse", "fc.weight", "fc.bias"]


class TextNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4, padding_idx=0)
        self.rnn = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(p=0.3)
        self.fc = nn.Dense(6, 2)

    def construct(self, ids):
        out, (h, c) = self.rnn(self.emb(ids))
        return self.fc(self.drop(out[:, -1]))


def _net():
    net = TextNet()
    named = named_parameters(net)   # MindSpore's full names, in its order
    assert [n for n, _ in named] == MS_NAMES
    for i, (n, p) in enumerate(named):
        v = (np.sin(np.arange(np.prod(p.shape)) * 0.7 + i) * 0.4).reshape(p.shape).astype(np.float32)
        if n == "emb.embedding_table":
            v[0] = 0
        p.set_data(Tensor(v))
    return net


def _data():
    ids = (np.arange(48) * 7 % 10).reshape(8, 6).astype(np.int32)
    ids[:, :2] = np.where(np.arange(8)[:, None] % 3 == 0, 0, ids[:, :2])
    y = (ids.sum(1) % 2).astype(np.int32)
    return ids, [(ids[4 * i:4 * i + 4], y[4 * i:4 * i + 4]) for i in range(2)]


def test_trains_like_mindspore_and_reads_its_checkpoint(on_real_server, tmp_path):
    net = _net()
    ids, batches = _data()
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  nn.Adam(net.trainable_params(), 0.05), metrics={"loss", "acc"})
    net.drop.p = 0.0
    model.train(3, batches)
    np.testing.assert_allclose(net.fc.weight.asnumpy(), MS_FC_WEIGHT, rtol=1e-4, atol=1e-5)
    got = model.eval(batches)
    assert got["acc"] == MS_EVAL["acc"]
    np.testing.assert_allclose(got["loss"], MS_EVAL["loss"], rtol=1e-4)
    np.testing.assert_allclose(model.predict(Tensor(ids[:2])).asnumpy(), MS_PRED, rtol=1e-4, atol=1e-5)
    # MindSpore's own trained checkpoint, loaded into a fresh network, predicts what MindSpore predicted
    fresh = TextNet()
    not_loaded, unused = gs.load_param_into_net(fresh, gs.load_checkpoint(DATA / "ms210_textnet.ckpt"))
    assert not_loaded == [] and unused == []
    np.testing.assert_allclose(fresh(Tensor(ids[:2])).asnumpy(), MS_PRED, rtol=1e-5, atol=1e-6)
    gs.save_checkpoint(net, tmp_path / "mine.ckpt")   # ours, trained here: the same names and close values
    mine, theirs = gs.load_checkpoint(tmp_path / "mine.ckpt"), gs.load_checkpoint(DATA / "ms210_textnet.ckpt")
    assert list(mine) == list(theirs) == MS_NAMES
    for n in MS_NAMES:
        np.testing.assert_allclose(mine[n].asnumpy(), theirs[n].asnumpy(), rtol=1e-4, atol=1e-5)


def test_dropout_trains_and_eval_is_deterministic(on_real_server):
    net = _net()
    ids, batches = _data()
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  nn.Adam(net.trainable_params(), 0.05), metrics={"loss"})
    before = model.eval(batches)["loss"]
    gs.set_seed(0)
    model.train(5, batches)
    after = model.eval(batches)["loss"]
    assert after < before
    assert model.eval(batches)["loss"] == after   # inference mode: no dropout, the same numbers
