"""nn.LSTM / nn.GRU / nn.RNN and their cells. MindSpore 2.10's CPU weight layout and gate order are
PyTorch's (checked for this task: the same float32 weights gave the same outputs, LSTM/GRU to 4e-7 and
RNN to 7e-6, 2 layers, bidirectional, batch_first), so PyTorch in float64 is the reference for values
and gradients over the configurations, and two gradients printed by MindSpore 2.10 itself pin the small
case."""
import numpy as np
import pytest
import torch

from gradserve import Parameter, Tensor, nn, ops


def _fill(cell, rule):
    for i, p in enumerate(cell.trainable_params()):
        p.set_data(Tensor(rule(i, p.shape)))


def _ms_rule(i, shape):   # the weights the MindSpore 2.10 run below was given, in its parameter order
    return (np.sin(np.arange(np.prod(shape)) + i) * 0.5).reshape(shape).astype(np.float32)


X_SMALL = np.cos(np.arange(12)).reshape(3, 2, 2).astype(np.float32)   # [T=3, B=2, in=2]
# MindSpore 2.10, PyNative: value_and_grad(f, 0, net.trainable_params())(x) with h0 = 0.1, c0 = -0.2
MS_LSTM = {"value": -1.6067274, "gx": [[[0.5665036, 0.6110121], [-0.19523722, -0.35969874]],
                                       [[0.4344492, 0.68503827], [0.534583, 0.9610357]],
                                       [[-0.09533695, 0.8342235], [0.06456387, 1.0260978]]],
           "gw_hh_rows": [[0.21060833, 0.079584956, -0.2540679], [0.6921937, 0.09818959, -0.8275438]]}  # rows 0, 6
MS_GRU = {"value": 2.2539353, "gx": [[[-0.42881867, -0.5416039], [0.42210177, 0.36080164]],
                                     [[0.5299345, 0.11871605], [-0.58195454, -0.43435434]],
                                     [[0.26416424, 0.7553698], [0.5201281, 0.42147666]]],
          "gw_hh_rows": [[0.09684355, 0.020017164, -0.021961408], [1.5402143, 0.21482864, -0.44881284]]}


@pytest.mark.parametrize("kind,want", [("LSTM", MS_LSTM), ("GRU", MS_GRU)])
def test_small_case_matches_mindspore(on_real_server, kind, want):
    net = getattr(nn, kind)(2, 3)
    _fill(net, _ms_rule)
    h0 = Tensor(np.full((1, 2, 3), 0.1, np.float32))
    c0 = Tensor(np.full((1, 2, 3), -0.2, np.float32))

    def f(x):
        if kind == "LSTM":
            out, (h, c) = net(x, (h0, c0))
            return ops.sum(out) + ops.sum(h * 2) + ops.sum(c * 3)
        out, h = net(x, h0)
        return ops.sum(out) + ops.sum(h * 2)

    value, (gx, gw) = ops.value_and_grad(f, 0, net.trainable_params())(Tensor(X_SMALL))
    np.testing.assert_allclose(value.asnumpy(), want["value"], rtol=2e-6)
    np.testing.assert_allclose(gx.asnumpy(), want["gx"], rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(gw[1].asnumpy()[[0, 6]], want["gw_hh_rows"], rtol=2e-5, atol=1e-6)


def _torch_twin(net, kind, **kw):
    t = getattr(torch.nn, kind)(net.input_size, net.hidden_size, **kw).double()
    for p in net.trainable_params():
        getattr(t, p.name).data = torch.tensor(p.asnumpy(), dtype=torch.float64)
    return t


CONFIGS = [dict(num_layers=2, bidirectional=True, batch_first=True), dict(num_layers=1, bidirectional=True),
           dict(num_layers=2, batch_first=True)]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=["2l-bi-bf", "1l-bi", "2l-bf"])
def test_against_pytorch_values_and_gradients(on_real_server, kind, cfg):
    rng = np.random.default_rng(3)
    net = getattr(nn, kind)(3, 4, dtype=np.float64, **cfg)
    _fill(net, lambda i, s: rng.uniform(-0.6, 0.6, s))
    tnet = _torch_twin(net, kind, **cfg)
    x = rng.standard_normal((2, 5, 3))   # [B, T, in] or [T, B, in]
    n_states = cfg["num_layers"] * (2 if cfg.get("bidirectional") else 1)
    h0 = rng.standard_normal((n_states, 2 if cfg.get("batch_first") else 5, 4)) * 0.3
    states = (Tensor(h0), Tensor(h0 * -0.5)) if kind == "LSTM" else Tensor(h0)
    wout = rng.standard_normal((2, 5, 4 * (2 if cfg.get("bidirectional") else 1)))

    def f(x):
        out, hs = net(x, states)
        h = hs[0] if kind == "LSTM" else hs
        return ops.sum(out * Tensor(wout)) + ops.sum(h * h)

    value, (gx, gws) = ops.value_and_grad(f, 0, net.trainable_params())(Tensor(x))
    tx = torch.tensor(x, requires_grad=True)
    tstates = tuple(torch.tensor(s.asnumpy()) for s in states) if kind == "LSTM" else torch.tensor(h0)
    tout, ths = tnet(tx, tstates)
    th = ths[0] if kind == "LSTM" else ths
    tval = (tout * torch.tensor(wout)).sum() + (th * th).sum()
    tval.backward()
    np.testing.assert_allclose(value.asnumpy(), tval.item(), rtol=1e-10)
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    for p, g in zip(net.trainable_params(), gws):
        np.testing.assert_allclose(g.asnumpy(), getattr(tnet, p.name).grad.numpy(), rtol=1e-8, atol=1e-12)


def test_parameter_names_and_order_are_mindsporess():
    net = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    names = [p.name for p in net.trainable_params()]
    assert names[:4] == ["weight_ih_l0", "weight_ih_l0_reverse", "weight_ih_l1", "weight_ih_l1_reverse"]
    assert names[-1] == "bias_hh_l1_reverse" and len(names) == 16
    assert net.weight_ih_l1.shape == (16, 8) and net.weight_hh_l0.shape == (16, 4)
    assert [p.name for p in nn.GRU(3, 4, has_bias=False).trainable_params()] == ["weight_ih_l0", "weight_hh_l0"]
    bound = 1 / np.sqrt(4)   # MindSpore's default init: uniform(-1/sqrt(hidden), 1/sqrt(hidden))
    assert all(np.abs(p.asnumpy()).max() <= bound for p in net.trainable_params())


@pytest.mark.parametrize("kind", ["LSTMCell", "GRUCell", "RNNCell"])
def test_cells_against_pytorch(on_real_server, kind):
    rng = np.random.default_rng(5)
    cell = getattr(nn, kind)(3, 2, dtype=np.float64)
    _fill(cell, lambda i, s: rng.uniform(-0.7, 0.7, s))
    tcell = _torch_twin(cell, kind)
    x, h = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    if kind == "LSTMCell":
        c = rng.standard_normal((4, 2))
        got = cell(Tensor(x), (Tensor(h), Tensor(c)))
        want = tcell(torch.tensor(x), (torch.tensor(h), torch.tensor(c)))
        for a, b in zip(got, want):
            np.testing.assert_allclose(a.asnumpy(), b.detach().numpy(), rtol=1e-10)
    else:
        got = cell(Tensor(x), Tensor(h))
        np.testing.assert_allclose(got.asnumpy(), tcell(torch.tensor(x), torch.tensor(h)).detach().numpy(),
                                   rtol=1e-10)


def test_dropout_between_layers_only_in_training(on_real_server):
    net = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = Tensor(np.random.default_rng(0).standard_normal((6, 2, 3)).astype(np.float32))
    a, b = net(x)[0].asnumpy(), net(x)[0].asnumpy()
    np.testing.assert_array_equal(a, b)   # inference mode: no dropout
    net.set_train()
    c, d = net(x)[0].asnumpy(), net(x)[0].asnumpy()
    assert not np.allclose(c, a) and not np.allclose(c, d)   # a new mask each call between the layers


def test_bad_inputs():
    net = nn.LSTM(3, 4)
    with pytest.raises(ValueError, match="3 features"):
        net(Tensor(np.zeros((5, 2, 2), np.float32)))
    with pytest.raises(ValueError, match=r"initial state has shape \[1, 3, 4\], expected \[1, 2, 4\]"):
        net(Tensor(np.zeros((5, 2, 3), np.float32)), (Tensor(np.zeros((1, 3, 4), np.float32)),
                                                      Tensor(np.zeros((1, 3, 4), np.float32))))
    with pytest.raises(ValueError, match=r"seq_length must be an int Tensor of shape \[2\]"):
        net(Tensor(np.zeros((5, 2, 3), np.float32)), None, Tensor(np.array([5, 3, 1], np.int32)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(3, 4, dropout=1.0)
    assert isinstance(nn.RNNCell(3, 4).weight_ih, Parameter)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_seq_length_as_packed_sequences(on_real_server, kind):
    """seq_length: MindSpore 2.10's outputs (2 layers, bidirectional, batch_first, lengths [5, 3]) equal
    PyTorch's packed sequences to 5e-7 (checked for this task); here PyTorch in float64, with gradients."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    rng = np.random.default_rng(8)
    cfg = dict(num_layers=2, bidirectional=True, batch_first=True)
    net = getattr(nn, kind)(3, 4, dtype=np.float64, **cfg)
    _fill(net, lambda i, s: rng.uniform(-0.6, 0.6, s))
    tnet = _torch_twin(net, kind, **cfg)
    x, wout = rng.standard_normal((3, 5, 3)), rng.standard_normal((3, 5, 8))
    lengths = np.array([5, 2, 4], np.int32)

    def f(x):
        out, hs = net(x, None, Tensor(lengths))
        h = hs[0] if kind == "LSTM" else hs
        return ops.sum(out * Tensor(wout)) + ops.sum(h * h)

    value, gx = ops.value_and_grad(f)(Tensor(x))
    tx = torch.tensor(x, requires_grad=True)
    packed = pack_padded_sequence(tx, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    tout, ths = tnet(packed)
    tout = pad_packed_sequence(tout, batch_first=True, total_length=5)[0]
    th = ths[0] if kind == "LSTM" else ths
    tval = (tout * torch.tensor(wout)).sum() + (th * th).sum()
    tval.backward()
    np.testing.assert_allclose(value.asnumpy(), tval.item(), rtol=1e-10)
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    out = net(Tensor(x), None, Tensor(lengths))[0].asnumpy()
    assert not out[1, 2:].any() and out[1, :2].all()   # past a sample's length: zeros
