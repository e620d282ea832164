"""Round 18 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 18) and its two leftovers.

- jax_special's kept-whole lowering was a swap of JAX's process-wide lowering table during an export (another
  thread's jit saw the composites); it is now JAX's per-call lowering override, local to the export.
- An ONNX Loop with a computed condition and scan outputs was refused; it runs now, its scan outputs of the static
  length the model gives them (checked at run time against the trips actually run).
Expected values: JAX's, torch's and SciPy's own; onnx.reference (ONNX's reference evaluator) for the Loop; finite
differences for the Loop's gradients."""
import threading

import numpy as np
import pytest
import scipy.special

import gradserve as gs
from gradserve import Tensor, ops

from .checks import check_against_jax, check_torch_export, torch_case
from .jax_zoo18 import MODELS as JAX_MODELS
from .zoo18 import MODELS as TORCH_MODELS

pytestmark = pytest.mark.usefixtures("fake")
CEILING = 120  # seconds: generous, a loaded CI box


def test_kept_whole_lowering_is_local_to_its_export(monkeypatch):
    """While from_jax lowers lgamma as its composite (paused there), another thread jits and runs lgamma: its module
    has JAX's own lowering (no composite) and its values are SciPy's; the import still gets the composite."""
    import jax
    from jax import lax

    from gradserve.importers import jax_special

    reached, done, seen = threading.Event(), threading.Event(), {}
    rules = jax_special._override_rules()

    def pausing(rule):
        def paused(ctx, *args, **params):
            if not reached.is_set():  # the first composite of the export: let the other thread lower now
                reached.set()
                done.wait(CEILING)
            return rule(ctx, *args, **params)
        return paused
    monkeypatch.setattr(jax_special, "_rules", tuple((p, pausing(r)) for p, r in rules))
    x = np.array([0.3, 2.5, 9.0], np.float32)

    def plain():
        try:
            assert reached.wait(CEILING)
            f = jax.jit(lambda z: lax.lgamma(z) * 2.0)
            seen["text"], seen["value"] = f.lower(x).as_text(), np.asarray(f(x))
        finally:
            done.set()
    t = threading.Thread(target=plain)
    t.start()
    net = gs.from_jax(lambda z: lax.lgamma(z), x)
    t.join(CEILING)
    assert reached.is_set() and "text" in seen, seen
    assert "composite" not in seen["text"] and "gradserve." not in seen["text"]
    np.testing.assert_allclose(seen["value"], 2 * scipy.special.gammaln(x), rtol=1e-5)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), scipy.special.gammaln(x), rtol=1e-5)
    g = ops.grad(lambda z: net(z).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, scipy.special.digamma(x), rtol=1e-5)  # the composite's (lgamma whole) rule


def _rnn_loop(m=5, rows=None, limit=1e6, counter=False):
    """An ONNX Loop (built with onnx.helper): h <- tanh(h W + x), scan output y_i = i h, run while sum(h^2) < limit
    (a computed condition; `counter`: while k < 4 instead, k carried from 0, no M); graph output ys, its first dim
    declared `rows` (else a dim_param)."""
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    w = (np.random.default_rng(0).normal(size=(3, 3)) * 0.5).astype(np.float32)
    nodes = [oh.make_node("MatMul", ["h_in", "W"], ["wh"]), oh.make_node("Add", ["wh", "x"], ["pre"]),
             oh.make_node("Tanh", ["pre"], ["h_out"]), oh.make_node("Cast", ["i"], ["fi"], to=T.FLOAT),
             oh.make_node("Mul", ["h_out", "fi"], ["y"])]
    vi = oh.make_tensor_value_info
    ins, outs = [vi("i", T.INT64, []), vi("c_in", T.BOOL, []), vi("h_in", T.FLOAT, [3])], [vi("h_out", T.FLOAT, [3])]
    if counter:
        nodes += [oh.make_node("Add", ["k_in", "one"], ["k_out"]), oh.make_node("Less", ["k_out", "four"], ["c_out"])]
        ins.append(vi("k_in", T.INT64, []))
        outs.append(vi("k_out", T.INT64, []))
    else:
        nodes += [oh.make_node("Mul", ["h_out", "h_out"], ["sq"]), oh.make_node("ReduceSum", ["sq"], ["ss"], keepdims=0),
                  oh.make_node("Less", ["ss", "lim"], ["c_out"])]
    body = oh.make_graph(nodes, "body", ins, [vi("c_out", T.BOOL, [])] + outs + [vi("y", T.FLOAT, [3])])
    inits = [nh.from_array(w, "W"), nh.from_array(np.array(limit, np.float32), "lim"), nh.from_array(np.array(True), "c0"),
             nh.from_array(np.zeros(3, np.float32), "h0"), nh.from_array(np.array(1, np.int64), "one"),
             nh.from_array(np.array(4, np.int64), "four"), nh.from_array(np.array(0, np.int64), "k0")]
    if m is not None:
        inits.append(nh.from_array(np.array(m, np.int64), "M"))
    loop_outs = ["h_last"] + (["k_last"] if counter else []) + ["ys"]
    loop = oh.make_node("Loop", ["M" if m is not None else "", "c0", "h0"] + (["k0"] if counter else []), loop_outs,
                        body=body, name="rnn")
    g = oh.make_graph([loop], "g", [vi("x", T.FLOAT, [3])], [vi("ys", T.FLOAT, [rows or "n", 3])], inits)
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model, w


class _TorchRnnLoop:
    """The same loop in torch (the model such a Loop is exported from): a Python loop with a break."""

    @staticmethod
    def build(w, m, limit=1e6):
        import torch

        class Loop(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.W = torch.nn.Parameter(torch.from_numpy(w))
                self.h0 = torch.nn.Parameter(torch.zeros(3))  # (a float initializer: a weight of the import too)

            def forward(self, x):
                h, ys = self.h0, []
                for i in range(m):
                    h = torch.tanh(h @ self.W + x)
                    ys.append(h * i)
                    if not bool((h * h).sum() < limit):
                        break
                return torch.stack(ys)
        return Loop()


X_LOOP = np.array([0.3, -0.2, 0.5], np.float32)


def test_onnx_loop_computed_condition_with_scan_outputs():
    """Refused before. Value against ONNX's reference evaluator; gradients w.r.t. x and W, a jvp and a
    Hessian-vector product against the torch loop it stands for."""
    import torch
    from onnx.reference import ReferenceEvaluator

    from .checks import check_against_torch

    model, w = _rnn_loop()
    net = gs.from_onnx(model)
    want = ReferenceEvaluator(model).run(None, {"x": X_LOOP})[0]
    assert want.shape == (5, 3)
    np.testing.assert_allclose(net(Tensor(X_LOOP)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    check_against_torch(net, _TorchRnnLoop.build(w, 5), torch.from_numpy(X_LOOP))


def test_onnx_loop_scan_output_length_is_checked_at_run_time():
    """The condition stops this loop after 3 of its M = 5 trips (onnx.reference: 3 rows); the static length is 5, so
    the run is an error naming the node, never 5 rows of which 2 were not written."""
    from onnx.reference import ReferenceEvaluator

    model, _ = _rnn_loop(limit=0.5)
    assert ReferenceEvaluator(model).run(None, {"x": X_LOOP})[0].shape == (3, 3)
    with pytest.raises(gs.errors.ShapeError, match="Loop node 'rnn': its scan outputs have the static length 5"):
        gs.from_onnx(model)(Tensor(X_LOOP))


def test_onnx_loop_scan_outputs_take_the_declared_length():
    """No M: a counter condition (k < 4) bounds the while; the model declares ys as [4, 3], the length used."""
    import torch
    from onnx.reference import ReferenceEvaluator

    model, w = _rnn_loop(m=None, rows=4, counter=True)
    want = ReferenceEvaluator(model).run(None, {"x": X_LOOP})[0]
    assert want.shape == (4, 3)
    net = gs.from_onnx(model)
    np.testing.assert_allclose(net(Tensor(X_LOOP)).asnumpy(), want, rtol=1e-5, atol=1e-6)
    x = torch.from_numpy(X_LOOP).requires_grad_(True)
    gx = ops.grad(lambda z: (net(z) ** 2).sum())(Tensor(X_LOOP)).asnumpy()
    np.testing.assert_allclose(gx, torch.autograd.grad((_TorchRnnLoop.build(w, 4)(x) ** 2).sum(), x)[0].numpy(),
                               rtol=1e-5, atol=1e-6)


def test_onnx_loop_scan_outputs_without_a_static_length_are_refused():
    from gradserve.importers import UnsupportedModel

    model, _ = _rnn_loop(m=None, counter=True)
    with pytest.raises(UnsupportedModel, match="scan outputs whose length is the number of trips run"):
        gs.from_onnx(model)


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    check_torch_export(*torch_case(TORCH_MODELS, name))


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    fn, p, x, kw = JAX_MODELS[name]
    check_against_jax(fn, p, x, kw)


def test_onnx_opset20_ops_from_the_dynamo_exporter():
    """GridSample, Resize (bilinear, bicubic), Col2Im, LayerNormalization, InstanceNormalization and ReduceMean with
    axes as an input, as torch.onnx's dynamo exporter writes them at opset 20: value and input gradient against torch."""
    import torch

    from .checks import check_value_and_input_grad
    from .zoo18 import Opset20Ops

    torch.manual_seed(18)
    model, x = Opset20Ops().eval(), torch.randn(2, 2, 8, 8)
    prog = torch.onnx.export(model, (x,), dynamo=True, opset_version=20)
    ops_in_file = {n.op_type for n in prog.model_proto.graph.node}
    assert {"GridSample", "Resize", "Col2Im", "LayerNormalization", "ReduceMean"} <= ops_in_file, ops_in_file
    check_value_and_input_grad(gs.from_onnx(prog.model_proto), model, x)


def _norm_dft_stft_model():
    """onnx.helper: GroupNormalization (opset 21, per-channel scale and bias) -> the signal (2, 24, 1) -> DFT (opset
    20, axis an input, onesided) and STFT (frame_step 4, a Hann window of 8)."""
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    scale, bias = _r(30, 4) * 0.5 + 1.0, _r(31, 4) * 0.3
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(8) / 8)).astype(np.float32)
    nodes = [oh.make_node("GroupNormalization", ["x", "scale", "bias"], ["gn"], num_groups=2, epsilon=1e-5),
             oh.make_node("Reshape", ["gn", "shape"], ["sig"]),
             oh.make_node("DFT", ["sig", "", "axis"], ["spec"], onesided=1),
             oh.make_node("STFT", ["sig", "step", "window", "flen"], ["stft"], onesided=1)]
    inits = [nh.from_array(scale, "scale"), nh.from_array(bias, "bias"), nh.from_array(window, "window"),
             nh.from_array(np.array([2, 24, 1], np.int64), "shape"), nh.from_array(np.array(1, np.int64), "axis"),
             nh.from_array(np.array(4, np.int64), "step"), nh.from_array(np.array(8, np.int64), "flen")]
    vi = oh.make_tensor_value_info
    g = oh.make_graph(nodes, "g", [vi("x", T.FLOAT, [2, 4, 6])],
                      [vi("spec", T.FLOAT, [2, 13, 2]), vi("stft", T.FLOAT, [2, 5, 5, 2])], inits)
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 21)])
    onnx.checker.check_model(model)
    return model, scale, bias, window


def _r(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_onnx_group_normalization_dft_stft():
    """Values against ONNX's reference evaluator; gradients w.r.t. x, the GroupNormalization's scale and bias and the
    STFT's window (float initializers: weights) against the same computation in torch (F.group_norm, torch.fft.rfft, torch.stft with center=False)."""
    import torch
    from onnx.reference import ReferenceEvaluator

    model, scale, bias, window = _norm_dft_stft_model()
    x = _r(32, 2, 4, 6)
    net = gs.from_onnx(model)
    got = [o.asnumpy() for o in net(Tensor(x))]
    for g_, w_ in zip(got, ReferenceEvaluator(model).run(None, {"x": x})):
        np.testing.assert_allclose(g_, w_, rtol=1e-4, atol=1e-5)
    c1, c2 = _r(33, 2, 13, 2), _r(34, 2, 5, 5, 2)
    gx, gw = ops.grad(lambda z: (net(z)[0] * Tensor(c1)).sum() + (net(z)[1] * Tensor(c2)).sum(), grad_position=0,
                      weights=net.trainable_params())(Tensor(x))
    xt, st, bt, wt = (torch.from_numpy(a).requires_grad_(True) for a in (x, scale, bias, window))
    sig = torch.nn.functional.group_norm(xt, 2, st, bt, 1e-5).reshape(2, 24)
    spec = torch.view_as_real(torch.fft.rfft(sig, dim=1))
    stft = torch.view_as_real(torch.stft(sig, 8, hop_length=4, window=wt, center=False,
                                         return_complex=True)).transpose(1, 2)
    loss = (spec * torch.from_numpy(c1)).sum() + (stft * torch.from_numpy(c2)).sum()
    want = dict(zip(["x", "scale", "bias", "window"], torch.autograd.grad(loss, [xt, st, bt, wt])))
    np.testing.assert_allclose(gx.asnumpy(), want["x"].numpy(), rtol=1e-4, atol=1e-4)
    assert sorted(p.name for p in net.trainable_params()) == ["bias", "scale", "window"]
    for p, g_ in zip(net.trainable_params(), gw):
        np.testing.assert_allclose(g_.asnumpy(), want[p.name].numpy(), rtol=1e-4, atol=1e-4)


def test_jax_while_and_fori_with_data_trip_counts_in_reverse_mode():
    """JAX refuses reverse mode through a while_loop / fori_loop whose bounds are data; the import refuses the
    loop by name without while_max_trips and, with it, differentiates in reverse: gradients w.r.t. x and w against
    JAX's forward mode (jacfwd), a Hessian-vector product against jacfwd of jacfwd."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    from gradserve.importers import UnsupportedModel

    from .checks import jax_err

    def fn(p, x):
        n = jnp.sum(x > 0).astype(jnp.int32) + 2                      # a trip count from the data
        h = lax.fori_loop(0, n, lambda i, h: jnp.tanh(h @ p["w"]) + x * 0.3, x)
        return lax.while_loop(lambda s: (s[0] < 10) & (jnp.sum(s[1] ** 2) > 0.05),
                              lambda s: (s[0] + 1, s[1] * 0.7), (0, h))[1]
    p, x = {"w": _r(40, 4, 4) * 0.5}, _r(41, 3, 4)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        jax.grad(lambda z: fn(p, z).sum())(x)
    with pytest.raises(UnsupportedModel, match="while_max_trips"):
        gs.from_jax(fn, x, params=p)
    net = gs.from_jax(fn, x, params=p, while_max_trips=20)
    assert jax_err(net(Tensor(x)).asnumpy(), fn(p, x)) < 1e-6
    c = _r(42, 3, 4)
    gx, (gw,) = ops.grad(lambda z: (net(z) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x))
    loss = lambda q, z: (fn(q, z) * c).sum()  # noqa: E731
    assert jax_err(gx.asnumpy(), jax.jacfwd(loss, argnums=1)(p, x)) < 1e-5
    assert jax_err(gw.asnumpy(), jax.jacfwd(loss)(p, x)["w"]) < 1e-5
    v = _r(43, 3, 4)
    hv = ops.grad(lambda z: (ops.grad(lambda y: (net(y) * Tensor(c)).sum())(z) * Tensor(v)).sum())(Tensor(x))
    want_hv = jnp.einsum("abij,ij->ab", jax.jacfwd(jax.jacfwd(loss, argnums=1), argnums=1)(p, x), v)
    assert np.abs(want_hv).max() > 1e-2
    assert jax_err(hv.asnumpy(), want_hv) < 2e-5


def test_torch_scan_higher_order_op():
    """torch's scan (refused before: 'op scan is not supported'): value, gradients w.r.t. the input and every weight,
    a jvp and a Hessian-vector product against torch's autograd on the same recurrence as a Python loop (torch's own
    second derivative through scan is wrong in 2.13, see zoo18.ScanRNN); its first-order ones agree with the loop's."""
    import torch

    from .checks import check_against_torch
    from .models import close
    from .zoo18 import ScanRNN

    torch.manual_seed(18)
    model, x = ScanRNN().eval(), torch.randn(2, 5, 3)
    loop = ScanRNN(use_scan=False).eval()
    loop.load_state_dict(model.state_dict())
    xr = x.clone().requires_grad_(True)
    by_scan, by_loop = (torch.autograd.grad((m(xr) ** 2).sum(), [xr, m.cell.weight]) for m in (model, loop))
    for a, b in zip(by_scan, by_loop):
        close(a.numpy(), b.numpy(), "torch's scan against its loop")
    check_against_torch(gs.from_torch(model, (x * 1.1,)), loop, x)
