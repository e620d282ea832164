"""Round 19 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 19) and its leftovers.

- A JAX custom_vjp whose rule is not linear in the cotangent (a gradient clip, a rule using dout twice): JAX refuses
  forward mode through it; the engine's jvp (the rule's double vjp at dout = ones) was silently neither JAX's
  jacrev product nor the forward's derivative. Forward mode is now refused there; reverse mode is JAX's.
- An ONNX Loop whose trip count M is a graph input: refused unless the scan outputs' length is declared, then a
  run-time error for any other M (ONNX gives M rows: a shape gradserve graphs cannot vary).
- ai.onnx.ml's numeric ops (scikit-learn exports) imported: values against Operators-ml.md's formulas, onnx.reference
  and onnxruntime 1.32 (literal, where the two runtimes disagree), gradients against torch on the same formula.
Expected values: JAX's, torch's, onnx.reference's and onnxruntime's own (written in where used)."""
import functools

import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .checks import check_against_jax, check_torch_export, ml_model, torch_case
from .jax_zoo19 import MODELS as JAX_MODELS
from .zoo19 import MODELS as TORCH_MODELS

pytestmark = pytest.mark.usefixtures("fake")


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    check_torch_export(*torch_case(TORCH_MODELS, name))


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])


# -- custom_vjp rules nonlinear in the cotangent -----------------------------------------------------------------

def _clip_rule():
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def clip_grad(x):
        return x
    clip_grad.defvjp(lambda x: (x, None), lambda _, g: (jnp.clip(g, -0.5, 0.5),))
    return lambda x: clip_grad(x) * 3.0


def _squared_rule():
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def f(x):
        return jnp.sin(x)
    f.defvjp(lambda x: (jnp.sin(x), x), lambda x, g: (g * g * jnp.cos(x),))
    return lambda x: f(x) * 2.0


@pytest.mark.parametrize("make", [_clip_rule, _squared_rule], ids=["gradient_clip", "dout_squared"])
def test_custom_vjp_rule_nonlinear_in_cotangent_refuses_forward_mode(make):
    """jax.jvp refuses (TypeError); so does ours, naming the rule. Before: the clip's jvp was 0 where jacrev's
    Jacobian times v is 0.5 v, the squared rule's 4 cos(x) v where jacrev's is 2 cos(x) v. grad, vjp and the
    second derivative (grad of grad) stay JAX's."""
    import jax

    fn = make()
    x = np.array([0.3, -1.2, 2.0], np.float32)
    v = np.array([1.0, 2.0, -1.0], np.float32)
    with pytest.raises(TypeError, match="forward-mode autodiff"):
        jax.jvp(fn, (x,), (v,))
    net = gs.from_jax(fn, x)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), fn(x), rtol=1e-6)
    c = np.array([0.5, 1.0, 1.5], np.float32)
    g = ops.grad(lambda z: (net(z) * Tensor(c)).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(g, jax.grad(lambda z: (fn(z) * c).sum())(x), rtol=1e-5, atol=1e-7)
    hv = ops.grad(lambda z: (ops.grad(lambda y: (net(y) * Tensor(c)).sum())(z) * Tensor(v)).sum())(Tensor(x))
    want_hv = jax.grad(lambda z: (jax.grad(lambda y: (fn(y) * c).sum())(z) * v).sum())(x)
    np.testing.assert_allclose(hv.asnumpy(), want_hv, rtol=1e-5, atol=1e-6)
    with pytest.raises(gs.errors.DifferentiationError, match="not linear in its cotangent"):
        ops.jvp(net, Tensor(x), Tensor(v))


def test_custom_vjp_rule_linear_in_cotangent_keeps_forward_mode():
    """A gradient scale by a residual (linear in the cotangent): the jvp is jacrev's Jacobian times v."""
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def scaled(x):
        return jnp.tanh(x)
    scaled.defvjp(lambda x: (jnp.tanh(x), x), lambda x, g: (g * 0.3 * jnp.cos(x),))
    x = np.array([0.3, -1.2, 2.0], np.float32)
    v = np.array([1.0, 2.0, -1.0], np.float32)
    net = gs.from_jax(scaled, x)
    _, tan = ops.jvp(net, Tensor(x), Tensor(v))
    np.testing.assert_allclose(tan.asnumpy(), np.asarray(jax.jacrev(scaled)(x)) @ v, rtol=1e-5, atol=1e-7)


def test_forward_mode_refusal_reads_the_float_part_only():
    """Integer inputs and outputs do not make a linear rule look nonlinear (linear_transpose refuses int -> float
    maps), and stop_gradient alone (JAX's jvp exists) is never refused; the clip rule is."""
    import jax
    import jax.numpy as jnp

    from gradserve.importers.jax_custom import forward_mode_refusal

    @jax.custom_vjp
    def doubled(x):
        return x
    doubled.defvjp(lambda x: (x, None), lambda _, g: (g * 2,))
    p, x, i = {"w": np.ones(3, np.float32)}, np.ones(3, np.float32), np.array([0, 2], np.int32)
    assert forward_mode_refusal(lambda q, z, k: ((doubled(z) * q["w"])[k], k + 1), (p, x, i)) == ""
    assert forward_mode_refusal(lambda q, z, k: jnp.take(jax.lax.stop_gradient(q["w"]) * z, k), (p, x, i)) == ""
    assert "not linear" in forward_mode_refusal(lambda q, z, k: _clip_rule()(z)[k], (p, x, i))


# -- an ONNX Loop whose trip count is an input ---------------------------------------------------------------------

def _loop_with_input_trip_count(rows):
    """Loop(M = graph input n): h <- tanh(h W + x), scan output h^2; the graph output ys declared [rows, 3]."""
    import onnx
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    w = (np.random.default_rng(0).normal(size=(3, 3)) * 0.5).astype(np.float32)
    vi = oh.make_tensor_value_info
    nodes = [oh.make_node("MatMul", ["h_in", "W"], ["wh"]), oh.make_node("Add", ["wh", "x"], ["pre"]),
             oh.make_node("Tanh", ["pre"], ["h_out"]), oh.make_node("Identity", ["c_in"], ["c_out"]),
             oh.make_node("Mul", ["h_out", "h_out"], ["y"])]
    body = oh.make_graph(nodes, "body", [vi("i", T.INT64, []), vi("c_in", T.BOOL, []), vi("h_in", T.FLOAT, [3])],
                         [vi("c_out", T.BOOL, []), vi("h_out", T.FLOAT, [3]), vi("y", T.FLOAT, [3])])
    inits = [nh.from_array(w, "W"), nh.from_array(np.array(True), "c0"), nh.from_array(np.zeros(3, np.float32), "h0")]
    loop = oh.make_node("Loop", ["n", "c0", "h0"], ["h_last", "ys"], body=body, name="rnn")
    g = oh.make_graph([loop], "g", [vi("x", T.FLOAT, [3]), vi("n", T.INT64, [])], [vi("ys", T.FLOAT, [rows, 3])],
                      inits)
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model, w


def test_loop_trip_count_from_an_input():
    """Undeclared length: refused naming the run-time M. Declared 4: n = 4 gives onnx.reference's rows and torch's
    gradients (the exporting model: a Python loop of n trips); n = 2 or 6 (onnxruntime gives 2 or 6 rows) is a
    run-time error, never rows the loop did not write."""
    from onnx.reference import ReferenceEvaluator

    model, _ = _loop_with_input_trip_count("n")
    with pytest.raises(UnsupportedModel, match="trip count M computed at run time"):
        gs.from_onnx(model, loop_max_trips=6)
    model, w = _loop_with_input_trip_count(4)
    net = gs.from_onnx(model, loop_max_trips=6)
    x = np.array([0.3, -0.2, 0.5], np.float32)
    four = Tensor(np.array(4, np.int64))
    want = ReferenceEvaluator(model).run(None, {"x": x, "n": np.array(4, np.int64)})[0]
    np.testing.assert_allclose(net(Tensor(x), four).asnumpy(), want, rtol=1e-5, atol=1e-7)

    def torch_loop(xt, wt, n):
        h, ys = torch.zeros(3), []
        for _ in range(n):
            h = torch.tanh(h @ wt + xt)
            ys.append(h * h)
        return torch.stack(ys)
    c = np.random.default_rng(1).uniform(0.5, 1.5, (4, 3)).astype(np.float32)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    gx_want, gw_want = torch.autograd.grad((torch_loop(xt, wt, 4) * torch.from_numpy(c)).sum(), [xt, wt])
    gx, gw = ops.grad(lambda z, n: (net(z, n) * Tensor(c)).sum(), grad_position=0, weights=net.trainable_params())(
        Tensor(x), four)
    np.testing.assert_allclose(gx.asnumpy(), gx_want.numpy(), rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(gw[0].asnumpy(), gw_want.numpy(), rtol=2e-4, atol=1e-6)
    for n in (2, 6):
        with pytest.raises(gs.errors.ShapeError, match="static length 4"):
            net(Tensor(x), Tensor(np.array(n, np.int64))).asnumpy()


# -- ai.onnx.ml (scikit-learn's exports) ---------------------------------------------------------------------------

def _t_normalize(x, norm):
    d = {"MAX": x.amax(1, keepdim=True), "L1": x.abs().sum(1, keepdim=True), "L2": (x * x).sum(1, keepdim=True).sqrt()}
    return x / d[norm]


_X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
_COEF3 = np.random.default_rng(2).normal(size=(3, 3)).astype(np.float32)
# (op, attrs, input, output names, the same in torch: value and input gradient)
_ML_CASES = {
    "scaler": ("Scaler", {"offset": [0.1, -0.2, 0.3], "scale": [2.0, 0.5, -1.0]}, _X, ["Y"],
               lambda x: (x - torch.tensor([0.1, -0.2, 0.3])) * torch.tensor([2.0, 0.5, -1.0])),
    "normalizer_l1": ("Normalizer", {"norm": "L1"}, _X, ["Y"], lambda x: _t_normalize(x, "L1")),
    "normalizer_l2": ("Normalizer", {"norm": "L2"}, _X, ["Y"], lambda x: _t_normalize(x, "L2")),
    "normalizer_max": ("Normalizer", {"norm": "MAX"}, _X, ["Y"], lambda x: _t_normalize(x, "MAX")),
    "imputer_nan": ("Imputer", {"imputed_value_floats": [9.0, 8.0, 7.0], "replaced_value_float": float("nan")},
                    np.where(_X > 0.8, np.nan, _X).astype(np.float32), ["Y"],
                    lambda x: torch.where(x.isnan(), torch.tensor([9.0, 8.0, 7.0]), x)),
    "linear_regressor": ("LinearRegressor", {"coefficients": [0.5, -1.0, 2.0, 0.1, 0.2, 0.3],
                                             "intercepts": [0.7, -0.1], "targets": 2}, _X, ["Y"],
                         lambda x: x @ torch.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]]).T + torch.tensor([0.7, -0.1])),
    "linear_classifier_softmax": ("LinearClassifier", {"coefficients": _COEF3.ravel().tolist(),
                                                       "intercepts": [0.1, 0.2, -0.3], "classlabels_ints": [3, 5, 7],
                                                       "post_transform": "SOFTMAX"}, _X, ["L", "S"],
                                  lambda x: torch.softmax(x @ torch.from_numpy(_COEF3).T
                                                          + torch.tensor([0.1, 0.2, -0.3]), 1)),
    "linear_classifier_binary_logistic": ("LinearClassifier", {"coefficients": [0.5, -1.0, 2.0], "intercepts": [0.1],
                                                               "classlabels_ints": [3, 7], "post_transform": "LOGISTIC"},
                                          _X, ["L", "S"], lambda x: torch.sigmoid(
                                              (x @ torch.tensor([0.5, -1.0, 2.0]) + 0.1)[:, None] * torch.tensor(
                                                  [-1.0, 1.0]))),
}


@pytest.mark.parametrize("case", sorted(_ML_CASES))
def test_onnx_ml_op_value_and_input_gradient(case):
    """Values against the op in torch (Operators-ml.md's formula; onnx.reference's where it agrees with
    onnxruntime, i.e. all but Normalizer MAX), labels against the scores' argmax; the input gradient of a random
    weighting against torch's."""
    from onnx.reference import ReferenceEvaluator

    op, attrs, x, names, fn = _ML_CASES[case]
    from onnx import TensorProto as T
    n = x.shape[0]
    outs = [(nm, T.INT64 if nm == "L" else T.FLOAT, None) for nm in names]
    model = ml_model(op, attrs, x, outs)
    net = gs.from_onnx(model)
    got = net(Tensor(x))
    got = [g.asnumpy() for g in got] if isinstance(got, (tuple, list)) else [got.asnumpy()]
    want = fn(torch.from_numpy(x))
    np.testing.assert_allclose(got[-1], want.numpy(), rtol=1e-5, atol=1e-6)
    if case != "normalizer_max":
        np.testing.assert_allclose(got[-1], ReferenceEvaluator(model).run(None, {"X": x})[-1], rtol=1e-5, atol=1e-6)
    if "L" in names:
        labels = np.asarray(attrs["classlabels_ints"])
        np.testing.assert_array_equal(got[0], labels[want.numpy().argmax(1)])
        assert got[0].shape == (n,)
    xs = np.nan_to_num(x, nan=0.5) if case.startswith("imputer") else x
    c = np.random.default_rng(3).uniform(0.5, 1.5, want.shape).astype(np.float32)
    last = (lambda z: net(z)[-1]) if len(names) > 1 else net
    g = ops.grad(lambda z: (last(z) * Tensor(c)).sum())(Tensor(x)).asnumpy()
    xt = torch.tensor(xs, requires_grad=True)
    xin = torch.where(torch.from_numpy(np.isnan(x)), torch.tensor(float("nan")), xt) if case.startswith("imputer") \
        else xt
    (gw,) = torch.autograd.grad((fn(xin) * torch.from_numpy(c)).sum(), [xt])
    np.testing.assert_allclose(np.nan_to_num(g, nan=-1.0), gw.numpy(), rtol=2e-4, atol=1e-6)


def test_onnx_ml_ops_where_the_runtimes_differ():
    """onnxruntime 1.32's answers (written in): Normalizer MAX divides by the row's max, not max |x| (onnx.reference's),
    a zero divisor leaves the row; one decision function for two labels gives scores [1 - s, s] and labels[1] where
    s > 0 (onnx.reference: [-s, s]); Binarizer and a 1-D LinearRegressor input; a float OneHotEncoder input compares
    its integer part."""
    from onnx import TensorProto as T

    x = np.array([[-3, 1, 2], [-1, -2, -0.5], [0, 0, 0], [-1, 0, -2]], np.float32)
    got = gs.from_onnx(ml_model("Normalizer", {"norm": "MAX"}, x, [("Y", T.FLOAT, [4, 3])]))(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got, [[-1.5, 0.5, 1.0], [2.0, 4.0, 1.0], [0, 0, 0], [-1, 0, -2]], rtol=1e-6)
    attrs = {"coefficients": [0.5, -1.0, 2.0], "intercepts": [0.1], "classlabels_ints": [3, 7], "post_transform": "NONE"}
    lab, sc = gs.from_onnx(ml_model("LinearClassifier", attrs, _X, [("L", T.INT64, [4]), ("S", T.FLOAT, [4, 2])]))(
        Tensor(_X))
    np.testing.assert_array_equal(lab.asnumpy(), [7, 7, 3, 7])
    np.testing.assert_allclose(sc.asnumpy(), [[-0.5758153, 1.5758153], [-0.4113096, 1.4113096],
                                              [2.6025515, -1.6025513], [0.82678437, 0.17321566]], rtol=1e-5)
    with pytest.raises(UnsupportedModel, match="SOFTMAX"):
        gs.from_onnx(ml_model("LinearClassifier", dict(attrs, post_transform="SOFTMAX"), _X,
                               [("L", T.INT64, [4]), ("S", T.FLOAT, [4, 2])]))
    b = gs.from_onnx(ml_model("Binarizer", {"threshold": 0.2}, _X, [("Y", T.FLOAT, [4, 3])]))(Tensor(_X)).asnumpy()
    np.testing.assert_array_equal(b, (_X > 0.2).astype(np.float32))
    x1 = np.array([1, 2, 3], np.float32)
    r = gs.from_onnx(ml_model("LinearRegressor", {"coefficients": [1.0, 2.0, 3.0]}, x1, [("Y", T.FLOAT, [1, 1])]))
    np.testing.assert_allclose(r(Tensor(x1)).asnumpy(), [[14.0]])
    xf = np.array([1.7, 2.2, -1.5, 4.0], np.float32)
    oh = gs.from_onnx(ml_model("OneHotEncoder", {"cats_int64s": [1, 2, 4]}, xf, [("Y", T.FLOAT, [4, 3])]))
    np.testing.assert_array_equal(oh(Tensor(xf)).asnumpy(), [[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]])


def test_onehot_unknown_category_with_zeros_0_is_a_run_time_error():
    """onnxruntime: 'Unknown Category and zeros = 0.' (a run-time failure); ours a run-time error, not a zero row."""
    from onnx import TensorProto as T

    xi = np.array([[1, 4], [2, 1], [4, 4]], np.int64)
    net = gs.from_onnx(ml_model("OneHotEncoder", {"cats_int64s": [1, 2, 4], "zeros": 0}, xi,
                                 [("Y", T.FLOAT, [3, 2, 3])]))
    assert net(Tensor(xi)).asnumpy().sum() == 6
    with pytest.raises(gs.errors.ShapeError, match="not among cats_int64s"):
        net(Tensor(np.array([[1, 3], [2, 1], [4, 4]], np.int64))).asnumpy()


_SKLEARN = ("scale_logreg3", "minmax_logreg2", "impute_norm_ridge", "binarize_linreg", "onehot_linreg")


@pytest.mark.parametrize("name", _SKLEARN)
def test_sklearn_pipeline_exported_by_skl2onnx(name):
    """skl2onnx's files (data/zoo19_sklearn.npz, zoo19_sklearn_gen.py): labels and probabilities or predictions
    against scikit-learn 1.9.1's own (predict, predict_proba)."""
    from pathlib import Path

    d = np.load(Path(__file__).with_name("data") / "zoo19_sklearn.npz")
    x = d[f"{name}/x"]
    net = gs.from_onnx(d[f"{name}/onnx"].tobytes(), input_shapes={"X": list(x.shape)})
    got = net(Tensor(x))
    if "logreg" in name:
        np.testing.assert_array_equal(got[0].asnumpy().reshape(-1), d[f"{name}/label"])
        np.testing.assert_allclose(got[1].asnumpy(), d[f"{name}/proba"], rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(got.asnumpy().reshape(-1), d[f"{name}/y"], rtol=1e-5, atol=1e-5)


def test_sklearn_logistic_pipeline_gradient():
    """StandardScaler + LogisticRegression (multinomial): the probabilities' input gradient, Jacobian-vector
    product and Hessian-vector product against torch on scikit-learn's fitted mean_, scale_, coef_, intercept_."""
    from pathlib import Path

    d = np.load(Path(__file__).with_name("data") / "zoo19_sklearn.npz")
    p = {k: torch.tensor(d[f"scale_logreg3/{k}"], dtype=torch.float32) for k in ("mean", "scale", "coef", "intercept")}
    x = d["scale_logreg3/x"]
    net = gs.from_onnx(d["scale_logreg3/onnx"].tobytes(), input_shapes={"X": list(x.shape)})

    def fn(z):
        return torch.softmax((z - p["mean"]) / p["scale"] @ p["coef"].T + p["intercept"], 1)
    c = np.random.default_rng(4).uniform(0.5, 1.5, (x.shape[0], 3)).astype(np.float32)
    v = np.random.default_rng(5).normal(size=x.shape).astype(np.float32)

    def loss(z):
        return (net(z)[1] * Tensor(c)).sum()
    xt = torch.tensor(x, requires_grad=True)
    (gw,) = torch.autograd.grad((fn(xt) * torch.from_numpy(c)).sum(), [xt], create_graph=True)
    np.testing.assert_allclose(ops.grad(loss)(Tensor(x)).asnumpy(), gw.detach().numpy(), rtol=2e-4, atol=1e-6)
    (hv,) = torch.autograd.grad((gw * torch.from_numpy(v)).sum(), [xt])
    got_hv = ops.grad(lambda z: (ops.grad(loss)(z) * Tensor(v)).sum())(Tensor(x)).asnumpy()
    np.testing.assert_allclose(got_hv, hv.numpy(), rtol=2e-4, atol=1e-5)
    _, tan = ops.jvp(lambda z: net(z)[1], Tensor(x), Tensor(v))
    np.testing.assert_allclose(tan.asnumpy(), torch.func.jvp(fn, (torch.tensor(x),), (torch.tensor(v),))[1].numpy(),
                               rtol=2e-4, atol=1e-6)


@functools.lru_cache(maxsize=1)
def _flex_cases() -> dict:
    from .onnx_node_suite import node_cases

    return {c.name: c for c in node_cases() if c.name.startswith("test_flexattention")}


@pytest.mark.parametrize("case", ["test_flexattention", "test_flexattention_gqa", "test_flexattention_double",
                                  "test_flexattention_scaled"])
def test_flexattention_node_value_and_gradients(case):
    """ai.onnx.preview.FlexAttention (was refused as a custom domain) through its schema's function body: the node
    suite's expected output (onnx.reference's), and the gradients w.r.t. Q, K and V of a random weighting against
    torch's scaled_dot_product_attention (math kernel; enable_gqa for grouped heads) on the same inputs."""
    c = _flex_cases()[case]
    (q, k, v), (want,) = c.data_sets[0]
    net = gs.from_onnx(c.model)
    np.testing.assert_allclose(net(Tensor(q), Tensor(k), Tensor(v)).asnumpy(), want, rtol=1e-4, atol=1e-6)
    scale = next((a.f for a in c.model.graph.node[0].attribute if a.name == "scale"), None)
    w = np.random.default_rng(6).uniform(0.5, 1.5, want.shape).astype(want.dtype)
    got = ops.grad(lambda a, b, d: (net(a, b, d) * Tensor(w)).sum(), grad_position=(0, 1, 2))(
        Tensor(q), Tensor(k), Tensor(v))
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    with torch.nn.attention.sdpa_kernel([torch.nn.attention.SDPBackend.MATH]):
        y = torch.nn.functional.scaled_dot_product_attention(*ts, scale=scale, enable_gqa=q.shape[1] != k.shape[1])
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-4, atol=1e-6)
    for g, wg in zip(got, torch.autograd.grad((y * torch.from_numpy(w)).sum(), ts)):
        np.testing.assert_allclose(g.asnumpy(), wg.numpy(), rtol=2e-4, atol=1e-6)
