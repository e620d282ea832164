"""ONNX ops the node suite found missing (engine/importers/onnx_recent.py; Attention's sliding window and external
cache in onnx_attention.py; ConvTranspose's output_shape / auto_pad; PRelu before opset 7): CausalConvWithState,
LinearAttention, TensorScatter, SwiGLU, windows, Det, ReverseSequence, Compress, Scatter, on hand-built graphs;
values and gradients against torch (its own ops and autograd) and NumPy."""
import numpy as np
import pytest
import torch
from onnx import TensorProto as T, helper, numpy_helper

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

N = helper.make_node
R = np.random.default_rng(11)


def _model(nodes, inputs, outputs, inits=(), opset=28):
    """inputs: {name: array}; outputs: names (their shapes left to the importer)."""
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
           for n, a in inputs.items()]
    outs = [helper.make_tensor_value_info(n, T.FLOAT, None) for n in outputs]
    g = helper.make_graph(nodes, "g", ins, outs, [numpy_helper.from_array(a, n) for n, a in inits])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]).SerializeToString()


def _loss_grads(fn, tensors, weights_c):
    """torch: the gradient of sum_k sum((c_k * out_k)^2) / 2 w.r.t. tensors."""
    ts = [torch.tensor(t, dtype=torch.float64, requires_grad=True) for t in tensors]
    outs = fn(*ts)
    loss = sum(((torch.tensor(c, dtype=torch.float64) * o) ** 2).sum() / 2 for o, c in zip(outs, weights_c))
    loss.backward()
    return [o.detach().numpy() for o in outs], [t.grad.numpy() for t in ts]


def _our_grads(net, xs, cs, n_out):
    def loss(*ts):
        outs = net(*ts)
        outs = outs if isinstance(outs, (tuple, list)) else (outs,)
        return sum(((o * Tensor(c)) ** 2).sum() / 2 for o, c in zip(outs[:n_out], cs))
    gx, gw = ops.grad(loss, grad_position=tuple(range(len(xs))), weights=net.trainable_params())(
        *[Tensor(x) for x in xs])
    return (gx if isinstance(gx, (tuple, list)) else (gx,)), gw


@pytest.mark.parametrize("activation,with_past", [("none", False), ("silu", True), ("swish", False)])
def test_causal_conv_with_state_value_and_gradients_match_torch(fake, activation, with_past):
    b, ch, length, k = 2, 3, 5, 4
    x = R.standard_normal((b, ch, length)).astype(np.float32)
    past = R.standard_normal((b, ch, k - 1)).astype(np.float32)
    weight = R.standard_normal((ch, 1, k)).astype(np.float32)
    bias = R.standard_normal(ch).astype(np.float32)
    inputs = {"x": x, "past": past} if with_past else {"x": x}
    node = N("CausalConvWithState", ["x", "w", "b", "past" if with_past else ""], ["y", "state"],
             activation=activation)
    net = gs.from_onnx(_model([node], inputs, ["y", "state"], [("w", weight), ("b", bias)], opset=27))

    def reference(x_, w_, b_, *p):
        padded = torch.cat([p[0] if p else torch.zeros(b, ch, k - 1, dtype=x_.dtype), x_], 2)
        y = torch.nn.functional.conv1d(padded, w_, b_, groups=ch)
        return (y * torch.sigmoid(y) if activation != "none" else y), padded[:, :, -(k - 1):]
    cs = [R.uniform(0.5, 1.5, (b, ch, length)), R.uniform(0.5, 1.5, (b, ch, k - 1))]
    ref_in = [x, weight, bias] + ([past] if with_past else [])
    want, want_g = _loss_grads(reference, ref_in, cs)
    got = net(*[Tensor(v) for v in inputs.values()])
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-5, atol=1e-5)
    gx, gw = _our_grads(net, list(inputs.values()), [c.astype(np.float32) for c in cs], 2)
    assert [p.name for p in net.trainable_params()] == ["w", "b"]
    got_g = [gx[0], gw[0], gw[1]] + ([gx[1]] if with_past else [])
    for g, w_ in zip(got_g, want_g):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-4, atol=1e-5)


def test_causal_conv_with_state_of_kernel_one_is_refused_naming_the_node(fake):
    node = N("CausalConvWithState", ["x", "w"], ["y", "state"], name="conv_k1")
    data = _model([node], {"x": np.ones((1, 2, 3), np.float32)}, ["y", "state"],
                  [("w", np.ones((2, 1, 1), np.float32))], opset=27)
    with pytest.raises(UnsupportedModel, match="conv_k1.*kernel size 1.*present_state"):
        gs.from_onnx(data)


@pytest.mark.parametrize("mode", ["linear", "circular"])
def test_tensor_scatter_writes_at_run_time_indices_and_routes_gradients(fake, mode):
    # a KV cache [batch 2, heads 2, max_len 6, dim 3] and a 3-step update; the write indices are an input
    past = R.standard_normal((2, 2, 6, 3)).astype(np.float32)
    upd = R.standard_normal((2, 2, 3, 3)).astype(np.float32)
    starts = np.array([1, 5 if mode == "circular" else 3], np.int64)
    node = N("TensorScatter", ["past", "upd", "starts"], ["y"], mode=mode, axis=2)
    net = gs.from_onnx(_model([node], {"past": past, "upd": upd, "starts": starts}, ["y"], opset=24))

    pos = [[(s + j) % 6 for j in range(3)] for s in starts]  # the spec's pseudocode
    want = past.copy()
    for bi in range(2):
        for j in range(3):
            want[bi, :, pos[bi][j]] = upd[bi, :, j]
    got = net(Tensor(past), Tensor(upd), Tensor(starts))
    np.testing.assert_array_equal(got.asnumpy(), want)

    def reference(p, u):
        y = p.clone()
        for bi in range(2):
            for j in range(3):
                y[bi, :, pos[bi][j]] = u[bi, :, j]
        return (y,)
    c = R.uniform(0.5, 1.5, want.shape)
    _, (gp_want, gu_want) = _loss_grads(reference, [past, upd], [c])
    g = ops.grad(lambda p, u: ((net(p, u, Tensor(starts)) * Tensor(c.astype(np.float32))) ** 2).sum() / 2,
                 grad_position=(0, 1))(Tensor(past), Tensor(upd))
    np.testing.assert_allclose(g[0].asnumpy(), gp_want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g[1].asnumpy(), gu_want, rtol=1e-5, atol=1e-6)


def test_swiglu_value_and_gradients_match_torch(fake):
    a, b = R.standard_normal((4, 6)).astype(np.float32), R.standard_normal((4, 6)).astype(np.float32)
    net = gs.from_onnx(_model([N("SwiGLU", ["a", "b"], ["y"], alpha=1.7)], {"a": a, "b": b}, ["y"]))
    c = R.uniform(0.5, 1.5, (4, 6))
    (want,), want_g = _loss_grads(lambda a_, b_: (a_ * torch.sigmoid(1.7 * a_) * b_,), [a, b], [c])
    np.testing.assert_allclose(net(Tensor(a), Tensor(b)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    got = ops.grad(lambda x, y: ((net(x, y) * Tensor(c.astype(np.float32))) ** 2).sum() / 2,
                   grad_position=(0, 1))(Tensor(a), Tensor(b))
    for g, w_ in zip(got, want_g):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op,torch_fn", [
    ("HannWindow", torch.hann_window), ("BlackmanWindow", torch.blackman_window),
    ("HammingWindow", lambda n, periodic, dtype: torch.hamming_window(n, periodic, alpha=25 / 46, beta=21 / 46,
                                                                      dtype=dtype))])
@pytest.mark.parametrize("periodic", [1, 0])
def test_window_generators_match_torch(fake, op, torch_fn, periodic):
    x = np.ones(10, np.float32)
    data = _model([N("Constant", [], ["n"], value=numpy_helper.from_array(np.array(10, np.int64))),
                   N(op, ["n"], ["win"], periodic=periodic), N("Mul", ["x", "win"], ["y"])], {"x": x}, ["y"], opset=17)
    want = torch_fn(10, periodic=bool(periodic), dtype=torch.float64).numpy()
    np.testing.assert_allclose(gs.from_onnx(data)(Tensor(x)).asnumpy(), want, rtol=1e-6, atol=1e-7)


def test_deprecated_scatter_is_scatter_elements(fake):
    data_in = R.standard_normal((3, 4)).astype(np.float32)
    idx = np.array([[1, 0, 3], [2, 3, 0]], np.int64)  # no position twice in a row (their order is unspecified)
    upd = R.standard_normal((2, 3)).astype(np.float32)
    data = _model([N("Scatter", ["x", "i", "u"], ["y"], axis=1)], {"x": data_in, "u": upd}, ["y"], [("i", idx)],
                  opset=10)
    want = torch.tensor(data_in).scatter(1, torch.tensor(idx), torch.tensor(upd)).numpy()
    np.testing.assert_array_equal(gs.from_onnx(data)(Tensor(data_in), Tensor(upd)).asnumpy(), want)


def _torch_attention(q, k, v, allowed):
    """softmax(q k^T / sqrt(d) where allowed, else -inf) v; allowed broadcast to [B, H, Sq, Skv]."""
    scores = (q @ k.transpose(-1, -2) / np.sqrt(q.shape[-1])).masked_fill(~torch.as_tensor(allowed), -float("inf"))
    return torch.softmax(scores, -1) @ v


@pytest.mark.parametrize("left,right,causal", [(1, -1, 1), (2, 1, 0)])
def test_attention_sliding_window_value_and_gradients_match_torch(fake, left, right, causal):
    q, k, v = (R.standard_normal((1, 2, 5, 4)).astype(np.float32) for _ in range(3))
    node = N("Attention", ["q", "k", "v"], ["y"], is_causal=causal, left_window_size=left, right_window_size=right)
    net = gs.from_onnx(_model([node], {"q": q, "k": k, "v": v}, ["y"], opset=25))
    ahead = np.arange(5)[:, None] - np.arange(5)[None, :]  # query i - key j
    allowed = (ahead <= left) & ((-ahead <= right) if right >= 0 else True) & ((ahead >= 0) if causal else True)
    c = R.uniform(0.5, 1.5, (1, 2, 5, 4))
    (want,), want_g = _loss_grads(lambda *t: (_torch_attention(*t, allowed),), [q, k, v], [c])
    np.testing.assert_allclose(net(Tensor(q), Tensor(k), Tensor(v)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    got = ops.grad(lambda *t: ((net(*t) * Tensor(c.astype(np.float32))) ** 2).sum() / 2, grad_position=(0, 1, 2))(
        Tensor(q), Tensor(k), Tensor(v))
    for g, w_ in zip(got, want_g):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-4, atol=1e-6)


def test_attention_external_cache_masks_each_rows_padding_at_run_time(fake):
    # nonpad_kv_seqlen (a run-time input): row b's keys past nonpad[b] are padding; causal queries sit at
    # nonpad[b] - 2 + i
    q = R.standard_normal((2, 2, 2, 4)).astype(np.float32)
    k, v = (R.standard_normal((2, 2, 6, 4)).astype(np.float32) for _ in range(2))
    nonpad = np.array([6, 3], np.int64)
    node = N("Attention", ["q", "k", "v", "", "", "", "nonpad"], ["y"], is_causal=1)
    net = gs.from_onnx(_model([node], {"q": q, "k": k, "v": v, "nonpad": nonpad}, ["y"], opset=24))
    j = np.arange(6)[None, None, None, :]
    at = (nonpad - 2)[:, None, None, None] + np.arange(2)[None, None, :, None]
    allowed = (j <= at) & (j < nonpad[:, None, None, None])
    c = R.uniform(0.5, 1.5, (2, 2, 2, 4))
    (want,), want_g = _loss_grads(lambda *t: (_torch_attention(*t, allowed),), [q, k, v], [c])
    np.testing.assert_allclose(net(Tensor(q), Tensor(k), Tensor(v), Tensor(nonpad)).asnumpy(), want, rtol=1e-5,
                               atol=1e-6)
    got = ops.grad(lambda *t: ((net(*t, Tensor(nonpad)) * Tensor(c.astype(np.float32))) ** 2).sum() / 2,
                   grad_position=(0, 1, 2))(Tensor(q), Tensor(k), Tensor(v))
    for g, w_ in zip(got, want_g):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-4, atol=1e-6)


def _torch_linear_attention(q, k, v, state, decay, beta, hq, hkv, scale):
    """The recurrence of Gated DeltaNet (ONNX LinearAttention, update_rule gated_delta) in torch, step by step:
    S <- S exp(g_t); u_t = beta_t (v_t - S^T k_t); S <- S + k_t u_t^T; o_t = scale q_t S of the query head's
    key / value head (h // (hq / hkv))."""
    b, t, _ = q.shape
    dk, dv = q.shape[-1] // hq, v.shape[-1] // hkv
    q4, k4, v4 = q.reshape(b, t, hq, dk), k.reshape(b, t, hkv, dk), v.reshape(b, t, hkv, dv)
    outs = []
    for s in range(t):
        state = state * torch.exp(decay[:, s]).reshape(b, hkv, 1, 1)
        u = beta[:, s].reshape(b, hkv, 1) * (v4[:, s] - torch.einsum("bhdm,bhd->bhm", state, k4[:, s]))
        state = state + k4[:, s, :, :, None] * u[:, :, None, :]
        read = state[:, [h // (hq // hkv) for h in range(hq)]]
        outs.append(scale * torch.einsum("bhd,bhdm->bhm", q4[:, s], read).reshape(b, hq * dv))
    return torch.stack(outs, 1), state


def test_linear_attention_gated_delta_with_grouped_heads_and_past_state_matches_torch(fake):
    b, t, hq, hkv, dk, dv = 2, 4, 4, 2, 3, 5
    xs = {"q": R.standard_normal((b, t, hq * dk)), "k": R.standard_normal((b, t, hkv * dk)) * 0.5,
          "v": R.standard_normal((b, t, hkv * dv)), "past": R.standard_normal((b, hkv, dk, dv)),
          "decay": -R.uniform(0.05, 0.5, (b, t, hkv)), "beta": R.uniform(0.2, 0.9, (b, t, hkv))}
    xs = {n: a.astype(np.float32) for n, a in xs.items()}
    node = N("LinearAttention", ["q", "k", "v", "past", "decay", "beta"], ["y", "state"], q_num_heads=hq,
             kv_num_heads=hkv, update_rule="gated_delta", scale=0.7)
    net = gs.from_onnx(_model([node], xs, ["y", "state"], opset=27))
    cs = [R.uniform(0.5, 1.5, (b, t, hq * dv)), R.uniform(0.5, 1.5, (b, hkv, dk, dv))]
    want, want_g = _loss_grads(lambda *a: _torch_linear_attention(*a, hq, hkv, 0.7), list(xs.values()), cs)
    got = net(*[Tensor(a) for a in xs.values()])
    for g, w_ in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-5, atol=1e-5)
    gx, _ = _our_grads(net, list(xs.values()), [c.astype(np.float32) for c in cs], 2)
    for g, w_ in zip(gx, want_g):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attrs,torch_kw,crop", [
    ({"auto_pad": "SAME_UPPER"}, {}, (0, 6, 0, 6)),  # natural 7 x 7, output input * stride = 6: one off the end
    ({"auto_pad": "SAME_LOWER"}, {}, (1, 7, 1, 7)),  # ... one off the start
    ({"output_shape": [8, 7]}, {"output_padding": (1, 0)}, None)])  # past the natural size: zeros + bias at the end
def test_conv_transpose_output_shape_and_auto_pad_match_torch(fake, attrs, torch_kw, crop):
    x = R.standard_normal((1, 2, 3, 3)).astype(np.float32)
    wt = R.standard_normal((2, 3, 3, 3)).astype(np.float32)
    bias = R.standard_normal(3).astype(np.float32)
    node = N("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], **attrs)
    net = gs.from_onnx(_model([node], {"x": x}, ["y"], [("w", wt), ("b", bias)], opset=22))

    def reference(x_, w_, b_):
        y = torch.nn.functional.conv_transpose2d(x_, w_, b_, stride=2, **torch_kw)
        return (y[..., crop[0]:crop[1], crop[2]:crop[3]] if crop else y,)
    c = R.uniform(0.5, 1.5, reference(*map(torch.tensor, (x, wt, bias)))[0].shape)
    (want,), want_g = _loss_grads(reference, [x, wt, bias], [c])
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-5, atol=1e-5)
    gx, gw = _our_grads(net, [x], [c.astype(np.float32)], 1)
    for g, w_ in zip([gx[0], *gw], want_g):
        np.testing.assert_allclose(g.asnumpy(), w_, rtol=1e-4, atol=1e-5)


def test_det_value_and_gradient_match_torch(fake):
    x = R.standard_normal((2, 3, 3)).astype(np.float32)
    x[1, 2] = x[1, 0] + x[1, 1]  # a singular matrix: det 0, its gradient the (finite) cofactors
    net = gs.from_onnx(_model([N("Det", ["x"], ["y"])], {"x": x}, ["y"], opset=22))
    c = R.uniform(0.5, 1.5, 2)
    (want,), (want_g,) = _loss_grads(lambda t: (torch.linalg.det(t),), [x], [c])
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    got = ops.grad(lambda t: ((net(t) * Tensor(c.astype(np.float32))) ** 2).sum() / 2)(Tensor(x))
    np.testing.assert_allclose(got.asnumpy(), want_g, rtol=1e-4, atol=1e-5)


def test_reverse_sequence_with_run_time_lengths_matches_numpy_and_torch(fake):
    x = R.standard_normal((5, 3, 2)).astype(np.float32)  # time 5, batch 3
    lens = np.array([5, 2, 1], np.int64)
    node = N("ReverseSequence", ["x", "lens"], ["y"], time_axis=0, batch_axis=1)
    net = gs.from_onnx(_model([node], {"x": x, "lens": lens}, ["y"], opset=10))
    want = x.copy()
    for b, n in enumerate(lens):
        want[:n, b] = x[:n, b][::-1]
    np.testing.assert_array_equal(net(Tensor(x), Tensor(lens)).asnumpy(), want)

    def reference(t):
        return (torch.stack([torch.cat([t[:n, b].flip(0), t[n:, b]]) for b, n in enumerate(lens)], 1),)
    c = R.uniform(0.5, 1.5, x.shape)
    _, (want_g,) = _loss_grads(reference, [x], [c])
    got = ops.grad(lambda t: ((net(t, Tensor(lens)) * Tensor(c.astype(np.float32))) ** 2).sum() / 2)(Tensor(x))
    np.testing.assert_allclose(got.asnumpy(), want_g, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [1, None])
def test_compress_with_a_constant_condition_matches_numpy(fake, axis):
    x = R.standard_normal((3, 4)).astype(np.float32)
    cond = np.array([True, False, True, True])
    node = N("Compress", ["x", "c"], ["y"], **({} if axis is None else {"axis": axis}))
    net = gs.from_onnx(_model([node], {"x": x}, ["y"], [("c", cond)], opset=11))
    np.testing.assert_array_equal(net(Tensor(x)).asnumpy(), np.compress(cond, x, axis=axis))


def test_prelu_before_opset_7_has_one_slope_per_channel_as_torch(fake):
    x = R.standard_normal((2, 3, 4)).astype(np.float32)
    slope = np.array([0.1, 0.2, 0.3], np.float32)
    net = gs.from_onnx(_model([N("PRelu", ["x", "s"], ["y"])], {"x": x}, ["y"], [("s", slope)], opset=6))
    want = torch.nn.functional.prelu(torch.tensor(x), torch.tensor(slope)).numpy()
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), want, rtol=1e-6)


def test_max_unpool_of_max_pool_indices_matches_torch(fake):
    x = R.standard_normal((1, 2, 4, 4)).astype(np.float32)
    pooled, idx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, 2, return_indices=True)
    # ONNX MaxPool's indices run over the whole tensor (batch and channel too); torch's over each plane
    flat = (idx + torch.arange(2).reshape(1, 2, 1, 1) * 16).numpy()
    node = N("MaxUnpool", ["p", "i"], ["y"], kernel_shape=[2, 2], strides=[2, 2])
    net = gs.from_onnx(_model([node], {"p": pooled.numpy()}, ["y"], [("i", flat)], opset=22))
    c = R.uniform(0.5, 1.5, x.shape)
    (want,), (want_g,) = _loss_grads(lambda p: (torch.nn.functional.max_unpool2d(p, idx, 2, 2),), [pooled.numpy()],
                                     [c])
    np.testing.assert_array_equal(net(Tensor(pooled.numpy())).asnumpy(), want.astype(np.float32))
    got = ops.grad(lambda p: ((net(p) * Tensor(c.astype(np.float32))) ** 2).sum() / 2)(Tensor(pooled.numpy()))
    np.testing.assert_allclose(got.asnumpy(), want_g, rtol=1e-5, atol=1e-6)


def test_reshape_to_a_shape_computed_by_pow_of_constants_folds(fake):
    # DINOv2's TorchScript export: the position grid's side is int(num_positions ** 0.5), a Pow of constants
    x = R.standard_normal((1, 16, 3)).astype(np.float32)
    const = lambda name, v: N("Constant", [], [name], value=numpy_helper.from_array(np.asarray(v)))  # noqa: E731
    nodes = [const("n", np.float32(16.0)), const("half", np.float32(0.5)), N("Pow", ["n", "half"], ["side_f"]),
             N("Cast", ["side_f"], ["side"], to=T.INT64), const("ax", np.array([0], np.int64)),
             N("Unsqueeze", ["side", "ax"], ["s1"]), const("lead", np.array([1], np.int64)),
             const("last", np.array([3], np.int64)), N("Concat", ["lead", "s1", "s1", "last"], ["shape"], axis=0),
             N("Reshape", ["x", "shape"], ["y"])]
    net = gs.from_onnx(_model(nodes, {"x": x}, ["y"], opset=17))
    np.testing.assert_array_equal(net(Tensor(x)).asnumpy(), x.reshape(1, 4, 4, 3))


@pytest.mark.parametrize("to,np_type", [(T.INT4, "int4"), (T.UINT4, "uint4"), (T.INT2, "int2"), (T.UINT2, "uint2")])
def test_cast_to_a_narrow_integer_truncates_and_wraps_as_ml_dtypes(fake, to, np_type):
    import ml_dtypes

    x = np.array([-9.7, -8.5, -2.5, -0.4, 0.6, 2.5, 3.9, 7.2, 8.0, 15.5, 17.0], np.float32)
    nodes = [N("Cast", ["x"], ["q"], to=to), N("Cast", ["q"], ["y"], to=T.FLOAT)]
    net = gs.from_onnx(_model(nodes, {"x": x}, ["y"], opset=25))
    want = x.astype(getattr(ml_dtypes, np_type)).astype(np.float32)
    np.testing.assert_array_equal(net(Tensor(x)).asnumpy(), want)
