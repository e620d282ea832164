"""MindSpore's flat-weight GRU primitive GRUV2 (mindspore.ops.operations._rl_inner_ops, CPU form: oneDNN's vanilla
GRU, gates (z, r, n), reset applied before U_n), values and gradients against MindSpore 2.10 (CPU, /work/msvenv):
the literals are its outputs for the same weights and inputs (ops.value_and_grad in PyNative), which central
finite differences (eps 1e-2) confirmed to 2e-4 for this task. Two MindSpore defects are not copied:
its dx comes back shaped [T, D * H, I] (GRUV2Grad's shape rule; its first B * I values are x[0]'s gradient, the
ones pinned here), and bidirectional with num_layers > 1 gives NaN (checked here against NumPy instead)."""
import numpy as np
import pytest

from gradserve import Tensor, ops
from gradserve.ops.operations import _rl_inner_ops as rl_ops

pytestmark = pytest.mark.usefixtures("on_real_server")

STEPS, BATCH, N_IN, HIDDEN = 4, 2, 3, 3

GRU_PRIM = {  # (bidirectional, has_bias, num_layers) -> value, gx[0], gw[:6], gw[-4:], h_n[-1]
    (False, True, 1): (0.6687054634094238,
                       [[0.0553252, 0.0359323, 0.0116761], [0.3085957, 0.3474038, 0.3391925]],
                       [-0.2008584, -0.2395922, -0.2196655, -0.0067455, -0.0066183, -0.0048707],
                       [0.0202345, 0.0424887, -0.7767565, -1.1992599],
                       [[-0.3403537, -0.7176915, -0.4488726], [0.0138695, -0.2659736, -0.4800608]]),
    (True, False, 1): (-0.2839798927307129,
                       [[0.2267644, 0.2830785, 0.3010791], [0.1487821, 0.2422259, 0.3028855]],
                       [0.0484055, 0.0077463, -0.0348094, 0.319544, 0.350619, 0.2958503],
                       [0.0150426, -0.1727345, -0.0799117, 0.0299486],
                       [[-0.5949525, -0.5731015, 0.0359938], [0.0645917, 0.0261896, -0.2015351]]),
    (False, True, 2): (4.222970485687256,
                       [[-0.0969511, -0.0952743, -0.0807025], [-0.0536121, -0.0788534, -0.0934223]],
                       [0.46437, 0.5568556, 0.5130035, 0.4497803, 0.4983271, 0.4248661],
                       [0.017862, 1.8381294, 1.5947838, 1.1721325],
                       [[0.6818611, 0.6530003, 0.4003441], [0.6922801, 0.6445584, 0.2958378]]),
}


def _inputs(d: int, layers: int, bias: bool, n_in: int = N_IN, hidden: int = HIDDEN):
    n = d * layers * (3 * hidden * n_in + 3 * hidden * hidden + (3 * hidden if bias else 0))
    w = (np.sin(np.arange(n) * 0.37) * 0.5).astype(np.float32).reshape(n, 1, 1)
    x = np.cos(np.arange(STEPS * BATCH * n_in) * 0.5).reshape(STEPS, BATCH, n_in).astype(np.float32)
    h0 = (np.sin(np.arange(layers * d * BATCH * hidden)) * 0.3).reshape(layers * d, BATCH, hidden).astype(np.float32)
    return x, h0, w


@pytest.mark.parametrize("config", sorted(GRU_PRIM), ids=lambda c: f"bi{int(c[0])}-bias{int(c[1])}-layers{c[2]}")
def test_gruv2_flat_weights_match_mindspore(config):
    bi, bias, layers = config
    value_ms, gx0, gw_head, gw_tail, hn_last = GRU_PRIM[config]
    d = 2 if bi else 1
    x, h0, w = _inputs(d, layers, bias)
    wout = Tensor(np.sin(np.arange(STEPS * BATCH * d * HIDDEN) * 0.21).reshape(STEPS, BATCH, d * HIDDEN)
                  .astype(np.float32))
    prim = rl_ops.GRUV2(N_IN, HIDDEN, layers, bias, bi, 0.0)
    lengths = Tensor(np.array([STEPS, 1], np.int32))  # MindSpore's CPU kernel runs every step regardless

    def f(x, w):
        out, hn, _, _ = prim(x, Tensor(h0), w, lengths)
        return (out * wout).sum() + (hn * hn).sum()

    value, (gx, gw) = ops.value_and_grad(f, (0, 1))(Tensor(x), Tensor(w))
    np.testing.assert_allclose(value.asnumpy(), value_ms, rtol=1e-5)
    assert gx.shape == x.shape and gw.shape == w.shape
    np.testing.assert_allclose(gx.asnumpy()[0], gx0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gw.asnumpy().ravel()[:6], gw_head, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(gw.asnumpy().ravel()[-4:], gw_tail, rtol=1e-4, atol=1e-6)
    out, hn, reserve, state = prim(Tensor(x), Tensor(h0), Tensor(w), lengths)
    assert out.shape == (STEPS, BATCH, d * HIDDEN) and hn.shape == (layers * d, BATCH, HIDDEN)
    np.testing.assert_allclose(hn.asnumpy()[-1], hn_last, rtol=1e-4, atol=1e-6)


def test_gruv2_mindspore_doc_example():
    # MindSpore's GRUV2 docstring: all-ones input, h0 and w (84 values, 78 read) give all-ones output
    prim = rl_ops.GRUV2(10, 2, 1, True, False, 0.0)
    out, hn, _, _ = prim(Tensor(np.ones([5, 2, 10], np.float32)), Tensor(np.ones([1, 2, 2], np.float32)),
                         Tensor(np.ones([84, 1, 1], np.float32)), Tensor(np.array([4, 3], np.int32)))
    np.testing.assert_allclose(out.asnumpy(), np.ones((5, 2, 2)), rtol=1e-6)
    np.testing.assert_allclose(hn.asnumpy(), np.ones((1, 2, 2)), rtol=1e-6)


def _numpy_gru(x, h0, w, layers: int, d: int, hidden: int):
    """The layout and equations of the module docstring, written out in NumPy (layer l > 0 reads 2H inputs)."""
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))  # noqa: E731
    flat, at, ws = w.ravel().astype(np.float64), 0, {}
    for kind in ("ih", "hh", "b"):
        for layer in range(layers):
            width = {"ih": x.shape[2] if layer == 0 else d * hidden, "hh": hidden, "b": 1}[kind]
            for k in range(d):
                ws[kind, layer, k] = flat[at:at + 3 * hidden * width].reshape(3 * hidden, width).squeeze(-1) \
                    if kind == "b" else flat[at:at + 3 * hidden * width].reshape(3 * hidden, width)
                at += 3 * hidden * width
    inp, hns = x.astype(np.float64), []
    for layer in range(layers):
        outs = []
        for k in range(d):
            h, out = h0[layer * d + k].astype(np.float64), np.zeros(inp.shape[:2] + (hidden,))
            for t in (range(len(inp) - 1, -1, -1) if k else range(len(inp))):
                g = inp[t] @ ws["ih", layer, k].T + ws["b", layer, k]
                u = ws["hh", layer, k]
                z = sig(g[:, :hidden] + h @ u[:hidden].T)
                r = sig(g[:, hidden:2 * hidden] + h @ u[hidden:2 * hidden].T)
                n = np.tanh(g[:, 2 * hidden:] + (r * h) @ u[2 * hidden:].T)
                h = out[t] = z * h + (1 - z) * n
            outs.append(out)
            hns.append(h)
        inp = np.concatenate(outs, -1)
    return inp, np.stack(hns)


def test_gruv2_bidirectional_two_layers_match_numpy():
    # MindSpore 2.10 gives NaN here (layer 1 reads 2H inputs through H-wide weights): NumPy is the reference
    x, h0, w = _inputs(2, 2, True, n_in=HIDDEN)
    n = 2 * (3 * HIDDEN * HIDDEN + 3 * HIDDEN * 2 * HIDDEN) + 2 * 2 * (3 * HIDDEN * HIDDEN + 3 * HIDDEN)
    w = (np.sin(np.arange(n) * 0.37) * 0.5).astype(np.float32).reshape(n, 1, 1)
    out, hn, _, _ = rl_ops.GRUV2(HIDDEN, HIDDEN, 2, True, True, 0.0)(
        Tensor(x), Tensor(h0), Tensor(w), Tensor(np.array([STEPS] * BATCH, np.int32)))
    out_np, hn_np = _numpy_gru(x, h0, w, 2, 2, HIDDEN)
    np.testing.assert_allclose(out.asnumpy(), out_np, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hn.asnumpy(), hn_np, rtol=1e-5, atol=1e-6)


def test_gruv2_bad_arguments():
    with pytest.raises(TypeError, match="has_bias"):
        rl_ops.GRUV2(3, 3, 1, 1, False, 0.0)
    with pytest.raises(ValueError, match="dropout"):
        rl_ops.GRUV2(3, 3, 1, True, False, 1.5)
    x, h = Tensor(np.zeros((2, 1, 3), np.float32)), Tensor(np.zeros((1, 1, 3), np.float32))
    lengths = Tensor(np.array([2], np.int32))
    with pytest.raises(ValueError, match=r"at least 63 values"):
        rl_ops.GRUV2(3, 3, 1, True, False, 0.0)(x, h, Tensor(np.zeros((62, 1, 1), np.float32)), lengths)
    with pytest.raises(TypeError, match="seq_lengths must be int32"):
        rl_ops.GRUV2(3, 3, 1, True, False, 0.0)(x, h, Tensor(np.zeros((63, 1, 1), np.float32)),
                                                 Tensor(np.array([2], np.int64)))
    with pytest.raises(ValueError, match="input_size == hidden_size"):
        rl_ops.GRUV2(4, 3, 2, True, False, 0.0)(Tensor(np.zeros((2, 1, 4), np.float32)),
                                                 Tensor(np.zeros((2, 1, 3), np.float32)),
                                                 Tensor(np.zeros((200, 1, 1), np.float32)), lengths)
    assert ops.operations.GRUV2 is rl_ops.GRUV2 is ops.GRUV2
