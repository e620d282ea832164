"""Round 25 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 25).

- ONNX graphs written the way tf2onnx writes TensorFlow models (zoo25_ort_gen.py) and opset 7-13 BatchNormalization /
  Dropout forms against onnxruntime 1.32's values (data/zoo25_ort.npz), their float64 gradients (input and every
  weight) against central differences.
- The one-column PROBIT LinearClassifier: onnxruntime's answers depend on the batch (stays refused).
- The round's held-out models (zoo25.py, jax_zoo25.py) against torch's / JAX's autodiff; a custom_vjp under
  jax.checkpoint; torch programs that write to a parameter or input refused by name; the REST path once."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .checks import check_against_jax, check_against_torch, torch_case
from .jax_zoo25 import MODELS as JAX_MODELS
from .zoo25 import JVP_REFERENCE
from .zoo25 import MODELS as TORCH_MODELS
from .zoo25_ort_gen import (LEGACY_BN, PROBIT_BATCHES, TF_RESIZE, X_BN, X_LIN1, X_NHWC, X_RESIZE, X_SEQ,
                            legacy_bn_dropout, probit_one_column, tf_boolean_mask, tf_control, tf_control_weights,
                            tf_convnet, tf_resize, tf_weights)

DATA = "tests/importers/data/zoo25_ort.npz"


@pytest.fixture(autouse=True)
def _in_process(request):
    """The in-process engine-backed server for every test but those on a real one (the `server` fixture)."""
    if "server" in request.fixturenames:
        yield
        return
    request.getfixturevalue("fake")
    yield


def _import(model, x):
    return gs.from_onnx(model, input_shapes={"x": list(x.shape)})


def _check_fd(build, weights: dict, x):
    """The float64 model's gradients w.r.t. the input and each weight (a random weighting of the output) against
    central differences along a random direction (the weights' by re-importing the model with them moved)."""
    net = _import(build(weights), x)
    assert sorted(p.name for p in net.trainable_params()) == sorted(weights)
    c = np.random.default_rng(5).uniform(0.5, 1.5, net(Tensor(x)).shape)
    gx, gw = ops.grad(lambda z: (net(z) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x))

    def f(n):
        return float((n(Tensor(x)).asnumpy() * c).sum())

    r, e = np.random.default_rng(9), 1e-6
    d = r.normal(size=x.shape)
    fd = float(((net(Tensor(x + e * d)).asnumpy() - net(Tensor(x - e * d)).asnumpy()) * c).sum()) / (2 * e)
    assert abs(fd - (gx.asnumpy() * d).sum()) < 1e-6 * max(1.0, abs(fd)), ("x", fd)
    for p, g in zip(net.trainable_params(), gw):
        dw = r.normal(size=weights[p.name].shape)
        hi = _import(build({**weights, p.name: weights[p.name] + e * dw}), x)
        lo = _import(build({**weights, p.name: weights[p.name] - e * dw}), x)
        fd = (f(hi) - f(lo)) / (2 * e)
        assert abs(fd - (g.asnumpy() * dw).sum()) < 1e-6 * max(1.0, abs(fd)), (p.name, fd)


# -- tf2onnx-style graphs ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("opset", [11, 13])
def test_tf2onnx_convnet_against_onnxruntime_and_differences(opset):
    """NHWC with Transpose pairs, FusedBatchNorm, Relu6 as Clip, the run-time flatten shape, Cast chains, NonZero of a
    constant mask, Squeeze / Unsqueeze (axes input / attribute), ReduceMean keepdims, Einsum (MatMul at 11), Where,
    Range / ConstantOfShape / Expand: onnxruntime's value (float32); every gradient against differences (float64)."""
    want = np.load(DATA)[f"tf_convnet{opset}/ort0"]
    got = _import(tf_convnet(opset), X_NHWC)(Tensor(X_NHWC.astype(np.float32))).asnumpy()
    assert got.shape == want.shape == (2, 3)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    _check_fd(lambda w: tf_convnet(opset, double=True, weights=w), tf_weights(), X_NHWC)


def _while_cond_numpy(x):
    """tf_control's math in NumPy: h_t = tanh(x_t W + h U + b) over the time axis, then 2 h_T if sum(h_T) > 0 else
    sin(h_T) - mean_t(h_t)."""
    p = tf_control_weights()
    h, hs = np.zeros((x.shape[0], 6)), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ p["rnn/W"] + h @ p["rnn/U"] + p["rnn/b"])
        hs.append(h)
    return (2 * h if h.sum() > 0 else np.sin(h) - np.mean(hs, 0)), h.sum() > 0


@pytest.mark.parametrize("sign", [1, -1])
def test_tf2onnx_while_loop_and_cond(sign):
    """tf.while_loop (a Loop whose trip count is the run-time length, its condition re-computed in the body) and
    tf.cond (an If on a run-time value, reading outer values): onnxruntime's value and NumPy's for both branches;
    gradients w.r.t. the input and the loop body's outer-scope weights against differences."""
    x = sign * X_SEQ
    want, took_then = _while_cond_numpy(x)
    assert took_then == (sign == 1)
    ort = np.load(DATA)["tf_control" + ("" if sign == 1 else "_neg") + "/ort0"]
    np.testing.assert_allclose(ort, want, rtol=0, atol=1e-6)
    np.testing.assert_allclose(_import(tf_control(), x)(Tensor(x.astype(np.float32))).asnumpy(), ort, rtol=0,
                               atol=1e-6)
    _check_fd(lambda w: tf_control(double=True, weights=w), tf_control_weights(), x)


@pytest.mark.parametrize("opset,mode", TF_RESIZE)
def test_tf2onnx_resize_tf_half_pixel_for_nn(opset, mode):
    """tf.image.resize as tf2onnx writes it: Resize with coordinate_transformation_mode tf_half_pixel_for_nn (source
    (i + 0.5) / scale; before: refused as unknown): onnxruntime's values; the float64 input gradient against
    differences."""
    want = np.load(DATA)[f"tf_resize{opset}_{mode}/ort0"]
    np.testing.assert_allclose(gs.from_onnx(tf_resize(opset, mode))(Tensor(X_RESIZE.astype(np.float32))).asnumpy(),
                               want, rtol=0, atol=1e-6)
    net = gs.from_onnx(tf_resize(opset, mode, double=True))
    c = np.random.default_rng(3).uniform(0.5, 1.5, want.shape)
    g = ops.grad(lambda z: (net(z) * Tensor(c)).sum())(Tensor(X_RESIZE)).asnumpy()
    d = np.random.default_rng(4).normal(size=X_RESIZE.shape)
    fd = ((net(Tensor(X_RESIZE + 1e-6 * d)).asnumpy() - net(Tensor(X_RESIZE - 1e-6 * d)).asnumpy()) * c).sum() / 2e-6
    assert abs(fd - (g * d).sum()) < 1e-7 * max(1.0, abs(fd))


def test_tf2onnx_boolean_mask_is_refused_naming_nonzero():
    with pytest.raises(UnsupportedModel, match=r"NonZero \(node 'boolean_mask/Where'.*depends on the input's values"):
        gs.from_onnx(tf_boolean_mask())


# -- legacy BatchNormalization / Dropout ---------------------------------------------------------------------------

@pytest.mark.parametrize("opset,spatial", LEGACY_BN)
def test_legacy_batch_norm_and_dropout(opset, spatial):
    """BatchNormalization-7 (spatial 1, and 0: per-activation [C, H, W] statistics, before a 400 shape_error at
    validation), -9 and -13 then Dropout-7 (ratio attribute) / -12+ (ratio and training_mode inputs): onnxruntime's
    values; the float64 model's input gradient against differences, and spatial=0's scale gradient against the
    formula's."""
    want = np.load(DATA)[f"bn{opset}_{spatial}/ort0"]
    got = gs.from_onnx(legacy_bn_dropout(opset, spatial))(Tensor(X_BN.astype(np.float32))).asnumpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    net = gs.from_onnx(legacy_bn_dropout(opset, spatial, double=True))
    c = np.random.default_rng(1).uniform(0.5, 1.5, X_BN.shape)
    gx, gw = ops.grad(lambda z: (net(z) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(X_BN))
    d = np.random.default_rng(2).normal(size=X_BN.shape)
    fd = ((net(Tensor(X_BN + 1e-6 * d)).asnumpy() - net(Tensor(X_BN - 1e-6 * d)).asnumpy()) * c).sum() / 2e-6
    assert abs(fd - (gx.asnumpy() * d).sum()) < 1e-7 * max(1.0, abs(fd))
    if spatial == 0:  # y = sigmoid(z), z = (x - mean) scale / sqrt(var + eps) + B: d/dscale = sum_n c y (1 - y) xhat
        from onnx import numpy_helper as nh

        p = {i.name: nh.to_array(i) for i in legacy_bn_dropout(opset, spatial, double=True).graph.initializer}
        assert [q.name for q in net.trainable_params()] == ["scale", "B"] and p["scale"].shape == (3, 4, 5)
        xhat = (X_BN - p["mean"]) / np.sqrt(p["var"] + float(np.float32(1e-3)))  # ONNX float attributes: float32
        y = 1 / (1 + np.exp(-(xhat * p["scale"] + p["B"])))
        np.testing.assert_allclose(gw[0].asnumpy(), (c * y * (1 - y) * xhat).sum(0), rtol=1e-12)


def test_per_activation_statistics_of_another_shape_are_refused():
    from onnx import numpy_helper as nh

    m = legacy_bn_dropout(7, 0)
    bad = nh.from_array(np.ones((3, 4), np.float32), "var")
    m.graph.initializer[3].CopyFrom(bad)
    with pytest.raises(UnsupportedModel, match=r"spatial=0: statistics \['var'\] .* per-activation shape \[3, 4, 5\]"):
        gs.from_onnx(m)


# -- PROBIT of a one-column LinearClassifier -------------------------------------------------------------------------

def test_probit_one_column_onnxruntime_answers_depend_on_the_batch_so_refused():
    """onnxruntime 1.32 answers row x4 = [0.3, 0.9] (score 0.71, probit 0.5534) as [0.5534, 0] alone, but its batch
    [x4, x0] as [[0.5534, 0.2533], [0, 0]]: x0's probit lands in x4's row and x0's row is zeros (and in the 7-row
    batch x4's row reads [0, 0], its probit in row 2). No function of the row: stays refused, naming why."""
    d = np.load(DATA)
    s = X_LIN1 @ np.array([0.4, 0.1], np.float32) + np.float32(0.5)
    from scipy.special import ndtri

    np.testing.assert_allclose(d["probit1/r4"][0, 0], ndtri(s[4]), rtol=2e-3)
    np.testing.assert_allclose(d["probit1/r40"][0], [ndtri(s[4]), ndtri(s[0])], rtol=2e-3)
    assert (d["probit1/r40"][1] == 0).all() and (d["probit1/r04"][1] == 0).all() and (d["probit1/all"][4] == 0).all()
    rows = [d[f"probit1/{k}"][PROBIT_BATCHES[k].index(4)] for k in PROBIT_BATCHES if 4 in PROBIT_BATCHES[k]]
    assert len({tuple(np.nan_to_num(r, nan=9.0).round(4)) for r in rows}) >= 3  # one row, three answers
    with pytest.raises(UnsupportedModel, match=r"PROBIT.*one score column.*change with the other rows"):
        gs.from_onnx(probit_one_column(7))


# -- the round's held-out models -------------------------------------------------------------------------------------

def _torch_check(name):
    model, x = torch_case(TORCH_MODELS, name)
    ref = getattr(model, JVP_REFERENCE[name]) if name in JVP_REFERENCE else None
    check_against_torch(gs.from_torch(model, (x * 1.1,)), model, x, jvp_model=ref, second_order_model=ref)


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    """Value, gradients w.r.t. the input and every weight, a jvp and a Hessian-vector product against torch's
    (multi_margin_loss has no forward-mode rule in torch: its jvp / HVP reference is the loss written out)."""
    _torch_check(name)


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])


@jax.custom_vjp
def _leaky_tanh(v):
    return jnp.tanh(v)


_leaky_tanh.defvjp(lambda v: (jnp.tanh(v), jnp.tanh(v)), lambda y, g: (g * (1 - y * y + 0.1),))


@pytest.mark.parametrize("where", ["plain", "checkpoint", "checkpoint_in_scan"])
def test_custom_vjp_and_stop_gradient_under_checkpoint_keep_their_rules(where):
    """jax.checkpoint's remat2 holds a bare Jaxpr, which the custom-rule search skipped: a custom_vjp (or a user's
    stop_gradient) under it imported with the primal's derivative (0.1 off the rule's per element, no error)."""
    def with_rules(v):
        return jnp.sin(_leaky_tanh(v)) + v * jax.lax.stop_gradient(v)

    def written(v):  # the same primal, its derivative as written
        return jnp.sin(jnp.tanh(v)) + v * v

    def fn(inner):
        def f(p, x):
            g = jax.checkpoint(inner) if where != "plain" else inner
            if where == "checkpoint_in_scan":
                return jax.lax.scan(lambda c, xt: (c + g(xt * p["a"]), c), jnp.zeros(x.shape[1:]), x)[0]
            return g(x * p["a"])
        return f

    p, x = {"a": np.array([1.0, 0.5, -1.5], np.float32)}, np.linspace(-1.5, 1.5, 6, dtype=np.float32).reshape(2, 3)
    net = gs.from_jax(fn(with_rules), x, params=p)
    gx, (ga,) = ops.grad(lambda z: net(z).sum(), grad_position=0, weights=net.trainable_params())(Tensor(x))
    want_a, want_x = jax.grad(lambda q, z: fn(with_rules)(q, z).sum(), argnums=(0, 1))(p, x)
    np.testing.assert_allclose(gx.asnumpy(), want_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ga.asnumpy(), want_a["a"], rtol=1e-5, atol=1e-6)
    as_written = jax.grad(lambda z: fn(written)(p, z).sum())(x)
    assert np.abs(np.asarray(want_x) - np.asarray(as_written)).max() > 0.1  # the rules matter here


def test_torch_program_writing_an_input_is_refused_naming_it():
    """A forward's x.mul_(2) writes its input: refused naming the target and the op (before: the kinds only).
    nn.Embedding(max_norm)'s write to its weight, refused here in round 25, imports since round 26 (test_zoo26.py)."""
    class WritesInput(torch.nn.Module):
        def forward(self, x):
            x.mul_(2)
            return x.sin()

    with pytest.raises(UnsupportedModel, match=r"user input mutation of 'x' by .*mul"):
        gs.from_torch(WritesInput(), (torch.randn(2, 3),))


# -- the REST path, once ---------------------------------------------------------------------------------------------

def test_models_over_a_real_server(server):
    """A torch model on a real gradserve-server (value, gradients, jvp and HVP as in-process); the tf2onnx convnet
    (input_shape query) and BatchNormalization-7 spatial=0 registered as ONNX bytes and evaluated against
    onnxruntime's; the boolean mask a 400 naming NonZero."""
    gs.reset_context()
    gs.set_context(server=server.url)
    try:
        _torch_check("tacotron_location_sensitive_attention")
    finally:
        gs.reset_context()
    d, c = np.load(DATA), gs.Client(server.url)
    for model, query, x, want in [(tf_convnet(13), "?input_shape=x=2,8,8,3", X_NHWC, d["tf_convnet13/ort0"]),
                                  (legacy_bn_dropout(7, 0), "", X_BN, d["bn7_0/ort0"])]:
        with server.client() as h:
            r = h.post("/v1/graphs" + query, content=model.SerializeToString(),
                       headers={"content-type": "application/onnx"})
        assert r.status_code == 201, r.text
        np.testing.assert_allclose(c.eval(r.json()["graph_id"], [x.astype(np.float32)]).value, want, rtol=0,
                                   atol=1e-6)
    with server.client() as h:
        r = h.post("/v1/graphs", content=tf_boolean_mask().SerializeToString(),
                   headers={"content-type": "application/onnx"})
    assert r.status_code == 400 and "NonZero" in r.text and "boolean_mask/Where" in r.text, r.text
