"""Round 20 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 20) and its leftovers.

- ai.onnx.ml's tree ensembles, SVMs and LabelEncoder: scikit-learn models exported by skl2onnx against onnxruntime
  1.32's outputs (data/zoo20_sklearn.npz, written by zoo20_sklearn_gen.py), hand-made nodes against onnxruntime's
  outputs (literals); gradients: zero for trees, an RBF SVR's against central differences of the same model
  evaluated in NumPy float64 from the ONNX attributes.
- Round 19's torch models exported to ONNX (the TorchScript exporter; dynamo for two) against the torch module.
- An imported graph's run-time check failing on an input: a 400 shape_error naming the node (was a 413
  limit_exceeded naming max_trips).
- The round's new models (zoo20.py, jax_zoo20.py) against torch's / JAX's autodiff."""
import io
import warnings

import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .checks import check_against_jax, check_torch_export, check_value_and_input_grad, ml_model, torch_case
from .jax_zoo20 import MODELS as JAX_MODELS
from .zoo19 import MODELS as ZOO19
from .zoo20 import MODELS as TORCH_MODELS

pytestmark = pytest.mark.usefixtures("fake")
DATA = "tests/importers/data/zoo20_sklearn.npz"


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    check_torch_export(*torch_case(TORCH_MODELS, name))


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])


# -- round 19's torch models through ONNX ------------------------------------------------------------------------

@pytest.mark.parametrize("name,dynamo", [(n, False) for n in sorted(ZOO19)] + [
    ("diffusion_attn_upsample_block", True), ("sliced_wasserstein_sort", True)])
def test_round19_torch_model_exported_to_onnx(name, dynamo):
    """torch.onnx.export of the torch.export zoo's models: value and input gradient against the torch module."""
    import onnx

    model, x = torch_case(ZOO19, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            proto = torch.onnx.export(model, (x,), dynamo=True, opset_version=18, verbose=False).model_proto
        else:
            buf = io.BytesIO()
            torch.onnx.export(model, (x,), buf, dynamo=False, opset_version=17)
            proto = onnx.load_from_string(buf.getvalue())
    check_value_and_input_grad(gs.from_onnx(proto), model, x)


# -- scikit-learn's trees and SVMs through skl2onnx ----------------------------------------------------------------

def _sklearn(name):
    import onnx

    d = np.load(DATA)
    model = onnx.load_from_string(d[f"{name}/onnx"].tobytes())
    x = d[f"{name}/x"]
    want = [d[f"{name}/ort{i}"] for i in range(2) if f"{name}/ort{i}" in d]
    return model, x, want


SKLEARN = ["rf_reg", "rf_cls2", "rf_cls3", "gb_reg", "gb_cls2", "gb_cls3", "svr_rbf", "svr_poly", "svc_rbf2",
           "svc_rbf3", "svc_lin3"]


@pytest.mark.parametrize("name", SKLEARN)
def test_sklearn_export_against_onnxruntime(name):
    """Labels equal onnxruntime's, scores / predictions within float32 rounding (a NaN row for the trees)."""
    model, x, want = _sklearn(name)
    got = gs.from_onnx(model, {model.graph.input[0].name: list(x.shape)})(Tensor(x))
    got = got if isinstance(got, (tuple, list)) else [got]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = g.asnumpy()
        if w.dtype == np.int64:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=2e-6, atol=2e-6 * max(1.0, float(np.abs(w).max())))


@pytest.mark.parametrize("name", ["rf_reg", "gb_reg", "gb_cls3"])
def test_tree_gradient_is_zero(name):
    """A tree ensemble is piecewise constant in its input: the derivative is zero almost everywhere."""
    model, x, _ = _sklearn(name)
    x = x[np.isfinite(x).all(1)]
    net = gs.from_onnx(model, {model.graph.input[0].name: list(x.shape)})
    out = (lambda z: net(z)[1]) if "cls" in name else net
    g = ops.grad(lambda z: (out(z) * Tensor(np.full(out(Tensor(x)).shape, 0.7, np.float32))).sum())(Tensor(x))
    np.testing.assert_array_equal(g.asnumpy(), np.zeros_like(x))


def _svr_float64(model):
    """The Scaler + RBF SVMRegressor pipeline evaluated in NumPy float64 from its ONNX attributes."""
    from onnx import helper

    a = {n.op_type: {t.name: helper.get_attribute_value(t) for t in n.attribute} for n in model.graph.node}
    sc, svm = a["Scaler"], a["SVMRegressor"]
    sv = np.asarray(svm["support_vectors"], np.float64).reshape(svm["n_supports"], -1)
    gamma = svm["kernel_params"][0]

    def f(x):
        z = (x - np.asarray(sc["offset"])) * np.asarray(sc["scale"])
        k = np.exp(-gamma * ((z[:, None] - sv[None]) ** 2).sum(-1))
        return k @ np.asarray(svm["coefficients"]) + svm["rho"][0]
    return f


def test_svr_rbf_input_gradient_against_finite_differences():
    model, x, _ = _sklearn("svr_rbf")
    net = gs.from_onnx(model, {model.graph.input[0].name: list(x.shape)})
    c = np.linspace(0.5, 1.5, x.shape[0]).astype(np.float32)
    g = ops.grad(lambda z: (net(z)[:, 0] * Tensor(c)).sum())(Tensor(x)).asnumpy()
    f, x64, h = _svr_float64(model), x.astype(np.float64), 1e-5
    want = np.zeros_like(x64)
    for j in range(x.shape[1]):
        e = np.zeros_like(x64)
        e[:, j] = h
        want[:, j] = c * (f(x64 + e) - f(x64 - e)) / (2 * h)
    assert np.abs(want).max() > 0.1
    np.testing.assert_allclose(g, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy()[:, 0], f(x64), rtol=1e-5, atol=1e-5)


def test_svm_classifier_probabilities_are_refused():
    """prob_a / prob_b: onnxruntime's iterative pairwise coupling, not imported (refused by name)."""
    from onnx import TensorProto as T

    x = np.zeros((2, 2), np.float32)
    attrs = {"classlabels_ints": [0, 1, 2], "vectors_per_class": [1, 1, 1], "support_vectors": [0.0, 1, 1, 0, 1, 1],
             "coefficients": [1.0] * 6, "rho": [0.1, 0.2, 0.3], "kernel_type": "RBF", "kernel_params": [0.5, 0, 3],
             "prob_a": [-1.0] * 2, "prob_b": [0.0] * 2}
    with pytest.raises(UnsupportedModel, match="SVMClassifier.*prob_a"):
        gs.from_onnx(ml_model("SVMClassifier", attrs, x, [("L", T.INT64, [2]), ("S", T.FLOAT, [2, 3])]))


# -- hand-made ai.onnx.ml nodes against onnxruntime 1.32 ---------------------------------------------------------

X_TREE = np.array([[0.1, 2.0, -1.0], [1.5, np.nan, 0.3], [-0.7, 0.2, 3.0], [2.0, 2.0, 2.0]], np.float32)
# onnxruntime 1.32's outputs for aggregate_function 0 (AVERAGE) .. 3 (MAX)
TREE_ORT = {0: [[0.625, 0.0], [0.125, 1.75], [0.0, 1.0], [0.0, 3.75]],
            1: [[1.25, 0.0], [0.25, 3.5], [0.0, 2.0], [0.0, 7.5]],
            2: [[0.25, 0.0], [0.25, 3.5], [0.0, -2.0], [0.0, 3.5]],
            3: [[1.0, 0.0], [0.25, 3.5], [0.0, 4.0], [0.0, 4.0]]}


def _tree_ensemble(agg, post=0):
    """Two trees over 3 features, 2 targets: LEQ / GT (NaN goes true) / LT nodes, leaves with one weight each."""
    from onnx import TensorProto as T
    from onnx import numpy_helper as nh

    attrs = dict(n_targets=2, aggregate_function=agg, post_transform=post, tree_roots=[0, 2],
                 nodes_featureids=[0, 1, 2], nodes_modes=nh.from_array(np.array([0, 3, 1], np.uint8)),
                 nodes_splits=nh.from_array(np.array([0.5, 1.0, 0.5], np.float32)),
                 nodes_truenodeids=[1, 0, 3], nodes_trueleafs=[0, 1, 1], nodes_falsenodeids=[2, 1, 4],
                 nodes_falseleafs=[1, 1, 1], nodes_missing_value_tracks_true=[0, 1, 0],
                 leaf_targetids=[0, 1, 1, 0, 1],
                 leaf_weights=nh.from_array(np.array([1.0, -2.0, 3.5, 0.25, 4.0], np.float32)))
    return ml_model("TreeEnsemble", attrs, X_TREE, [("Y", T.FLOAT, [4, 2])], ml_opset=5)


@pytest.mark.parametrize("agg", [0, 1, 2, 3])
def test_tree_ensemble_v5_aggregates(agg):
    got = gs.from_onnx(_tree_ensemble(agg))(Tensor(X_TREE)).asnumpy()
    np.testing.assert_array_equal(got, np.asarray(TREE_ORT[agg], np.float32))


@pytest.mark.parametrize("post", [1, 2])
def test_tree_ensemble_v5_post_transform_is_refused(post):
    """onnx.reference applies no post transform, onnxruntime 1.32 reads 1 as LOGISTIC and 2 as SOFTMAX (its
    TREE_ORT[1] rows through a logistic for 1), ONNX's text the reverse: refused, naming the disagreement."""
    with pytest.raises(UnsupportedModel, match=f"post_transform {post}: onnx.reference applies none"):
        gs.from_onnx(_tree_ensemble(1, post))


def _encoder(attrs, x, out_type, ml_opset):
    return gs.from_onnx(ml_model("LabelEncoder", attrs, x, [("Y", out_type, list(x.shape))], ml_opset=ml_opset))


def test_label_encoder_numeric_maps():
    """Values from onnxruntime 1.32 on the same nodes (a missing key gives the default; a NaN key matches NaN)."""
    from onnx import TensorProto as T
    from onnx import numpy_helper as nh

    xi = np.array([[1, 5, 7], [2, 3, 1]], np.int64)
    xf = np.array([0.5, np.nan, 2.0, -0.0, 9.0], np.float32)
    got = _encoder({"keys_int64s": [1, 7, 3], "values_int64s": [10, 70, 30], "default_int64": -5}, xi, T.INT64, 2)
    np.testing.assert_array_equal(got(Tensor(xi)).asnumpy(), [[10, -5, 70], [-5, 30, 10]])
    got = _encoder({"keys_int64s": [1, 7, 3], "values_floats": [0.5, 7.5, 3.5]}, xi, T.FLOAT, 2)
    np.testing.assert_array_equal(got(Tensor(xi)).asnumpy(), np.float32([[0.5, -0.0, 7.5], [-0.0, 3.5, 0.5]]))
    got = _encoder({"keys_floats": [0.5, 2.0, 0.0], "values_int64s": [1, 2, 3]}, xf, T.INT64, 2)
    np.testing.assert_array_equal(got(Tensor(xf)).asnumpy(), [1, -1, 2, 3, -1])
    got = _encoder({"keys_tensor": nh.from_array(np.float32([0.5, np.nan, 2.0])),
                    "values_tensor": nh.from_array(np.float32([1.5, 9.5, 2.5])),
                    "default_tensor": nh.from_array(np.float32([7.0]))}, xf, T.FLOAT, 4)
    np.testing.assert_array_equal(got(Tensor(xf)).asnumpy(), np.float32([1.5, 9.5, 2.5, 7.0, 7.0]))
    got = _encoder({"keys_tensor": nh.from_array(np.int64([1, 7, 1])),
                    "values_tensor": nh.from_array(np.int64([4, 5, 6]))}, xi, T.INT64, 4)
    np.testing.assert_array_equal(got(Tensor(xi)).asnumpy(), [[4, -1, 5], [-1, -1, 4]])  # the first key of 1 wins


def test_label_encoder_string_keys_are_refused():
    from onnx import TensorProto as T

    xi = np.array([1, 2], np.int64)
    with pytest.raises(UnsupportedModel, match="LabelEncoder.*string keys or values"):
        _encoder({"keys_int64s": [1, 2], "values_strings": ["a", "b"]}, xi, T.STRING, 2)


# -- run-time checks: a 400 naming the node --------------------------------------------------------------------

def _onehot_zeros0():
    from onnx import TensorProto as T

    xi = np.array([[1, 4], [2, 1], [4, 4]], np.int64)
    return ml_model("OneHotEncoder", {"cats_int64s": [1, 2, 4], "zeros": 0}, xi, [("Y", T.FLOAT, [3, 2, 3])])


def test_run_time_check_failure_is_a_400_naming_the_node(server):
    """onnxruntime fails an unknown category with zeros=0 at run time; over REST ours is a 400 shape_error naming
    the ONNX node (was a 413 limit_exceeded naming max_trips, a limit the caller never set)."""
    model = _onehot_zeros0()
    model.graph.node[0].name = "enc"
    with server.client() as h:
        r = h.post("/v1/graphs", content=model.SerializeToString(), headers={"content-type": "application/onnx"})
    assert r.status_code == 201, r.text
    c = gs.Client(server.url)
    ok = c.eval(r.json()["graph_id"], [np.array([[1, 4], [2, 1], [4, 4]], np.int64)]).value
    assert np.asarray(ok).sum() == 6
    with pytest.raises(gs.errors.ShapeError) as err:
        c.eval(r.json()["graph_id"], [np.array([[1, 3], [2, 1], [4, 4]], np.int64)])
    assert err.value.status == 400 and "OneHotEncoder node 'enc'" in str(err.value), str(err.value)


def test_tree_double_input_is_compared_in_double():
    """A double input just above a float threshold goes false (onnxruntime 1.32: [1, 2, 1, 2]); rounded to float32
    it would land on the threshold and go true."""
    from onnx import TensorProto as T

    t = float(np.float32(0.1))
    x = np.array([[t], [t + 1e-12], [t - 1e-12], [0.2]], np.float64)
    attrs = dict(n_targets=1, nodes_treeids=[0, 0, 0], nodes_nodeids=[0, 1, 2], nodes_featureids=[0, 0, 0],
                 nodes_modes=["BRANCH_LEQ", "LEAF", "LEAF"], nodes_values=[t, 0, 0], nodes_truenodeids=[1, 0, 0],
                 nodes_falsenodeids=[2, 0, 0], target_treeids=[0, 0], target_nodeids=[1, 2], target_ids=[0, 0],
                 target_weights=[1.0, 2.0])
    model = ml_model("TreeEnsembleRegressor", attrs, x, [("Y", T.FLOAT, [4, 1])])
    model.graph.input[0].type.tensor_type.elem_type = T.DOUBLE
    np.testing.assert_array_equal(gs.from_onnx(model)(Tensor(x)).asnumpy().ravel(), [1.0, 2.0, 1.0, 2.0])


def test_zipmap_is_refused_naming_skl2onnx_option():
    """skl2onnx's default classifier output (ZipMap: a sequence of maps) is refused with the export option to use."""
    from onnx import TensorProto as T
    from onnx import helper as oh

    x = np.zeros((2, 2), np.float32)
    model = ml_model("ZipMap", {"classlabels_int64s": [0, 1]}, x, [("Z", T.FLOAT, [2, 2])])
    model.graph.output[0].CopyFrom(oh.make_value_info("Z", oh.make_sequence_type_proto(
        oh.make_map_type_proto(T.INT64, oh.make_tensor_type_proto(T.FLOAT, [])))))
    with pytest.raises(UnsupportedModel, match="ZipMap.*sequence of maps.*'zipmap': False"):
        gs.from_onnx(model)


def _scatter_elements(reduction):
    from onnx import TensorProto as T
    from onnx import helper as oh

    node = oh.make_node("ScatterElements", ["X", "I", "U"], ["Y"], name="scat", axis=1, reduction=reduction)
    ins = [oh.make_tensor_value_info("X", T.FLOAT, [3, 4]), oh.make_tensor_value_info("I", T.INT64, [3, 2]),
           oh.make_tensor_value_info("U", T.FLOAT, [3, 2])]
    g = oh.make_graph([node], "g", ins, [oh.make_tensor_value_info("Y", T.FLOAT, [3, 4])])
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    model.ir_version = 9
    return model


@pytest.mark.parametrize("reduction", ["none", "add", "max"])
def test_scatter_elements_index_outside_the_axis_is_a_run_time_error(reduction):
    """Before: index 8 on an axis of 4 landed in the flat array's next row (none / add: x[2, 0] written) or nowhere
    (max); onnxruntime and torch.scatter refuse it. In range (negatives from the end), onnx.reference's values."""
    from onnx.reference import ReferenceEvaluator

    model = _scatter_elements(reduction)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    u = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    net = gs.from_onnx(model)
    good = np.array([[1, -1], [0, 2], [3, 1]], np.int64)
    want = ReferenceEvaluator(model).run(None, {"X": x, "I": good, "U": u})[0]
    np.testing.assert_array_equal(net(Tensor(x), Tensor(good), Tensor(u)).asnumpy(), want)
    with pytest.raises(gs.errors.ShapeError, match=r"ScatterElements node 'scat': an index outside \[-4, 4\)"):
        net(Tensor(x), Tensor(np.array([[1, 8], [0, 2], [3, 1]], np.int64)), Tensor(u)).asnumpy()


def _nd_model(op):
    from onnx import TensorProto as T
    from onnx import helper as oh

    ins = [oh.make_tensor_value_info("X", T.FLOAT, [3, 4]), oh.make_tensor_value_info("I", T.INT64, [2, 2])]
    ins += [oh.make_tensor_value_info("U", T.FLOAT, [2])] if op == "ScatterND" else []
    node = oh.make_node(op, [i.name for i in ins], ["Y"], name="nd")
    out = oh.make_tensor_value_info("Y", T.FLOAT, [2] if op == "GatherND" else [3, 4])
    model = oh.make_model(oh.make_graph([node], "g", ins, [out]), opset_imports=[oh.make_opsetid("", 18)])
    model.ir_version = 9
    return model


@pytest.mark.parametrize("op", ["GatherND", "ScatterND"])
def test_nd_index_component_outside_its_axis_is_a_run_time_error(op):
    """Before: [0, 5] into a [3, 4] array merged to the flat position 5, x[1, 1] (GatherND read it, ScatterND wrote
    it); [-5, 0] to x[1, 0]. onnxruntime refuses both. In range (negatives from the end): onnx.reference's values."""
    from onnx.reference import ReferenceEvaluator

    model = _nd_model(op)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    extra = [np.array([50.0, 60.0], np.float32)] if op == "ScatterND" else []
    net = gs.from_onnx(model)
    good = np.array([[2, -1], [0, 1]], np.int64)
    feeds = dict(zip(["X", "I", "U"], [x, good] + extra))
    want = ReferenceEvaluator(model).run(None, feeds)[0]
    np.testing.assert_array_equal(net(*[Tensor(v) for v in feeds.values()]).asnumpy(), want)
    for bad, n in (([[0, 5], [0, 1]], 4), ([[-5, 0], [0, 1]], 3)):
        with pytest.raises(gs.errors.ShapeError, match=rf"{op} node 'nd': an index outside \[-{n}, {n}\)"):
            net(Tensor(x), Tensor(np.array(bad, np.int64)), *[Tensor(v) for v in extra]).asnumpy()


def test_torch_multi_axis_index_outside_its_axis_is_a_run_time_error():
    """x[i, j] through from_torch: before, j = 5 on an axis of 4 read x[i + 1, 1]; torch raises IndexError."""

    class Pick(torch.nn.Module):
        def forward(self, x, i, j):
            return x[i, j] * 2

    x = torch.arange(12.0).reshape(3, 4)
    i, j = torch.tensor([0, 2]), torch.tensor([1, -1])
    net = gs.from_torch(Pick(), (x, i, j))
    np.testing.assert_array_equal(net(Tensor(x.numpy()), Tensor(i.numpy()), Tensor(j.numpy())).asnumpy(),
                                  Pick()(x, i, j).numpy())
    bad = torch.tensor([5, 0])
    with pytest.raises(IndexError):
        Pick()(x, i, bad)
    with pytest.raises(gs.errors.ShapeError, match=r"an index outside \[-4, 4\)"):
        net(Tensor(x.numpy()), Tensor(i.numpy()), Tensor(bad.numpy())).asnumpy()
