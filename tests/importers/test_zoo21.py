"""Round 21 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 21) and round 20's leftovers.

- scikit-learn classifiers exported by skl2onnx (SVC with probability=True; binary trees) and hand-made SVMClassifier
  nodes (the linear mode, post transforms) against onnxruntime 1.32's outputs (data/zoo21_ort.npz, written by
  zoo21_ort_gen.py); the probabilities' input gradient against central differences of libsvm's coupling in float64.
- A CNN quantised by onnxruntime (QDQ: QuantizeLinear / DequantizeLinear pairs) against onnxruntime's output, and its
  gradient against torch's fake_quantize (the straight-through gradient) on the same scales.
- Index errors naming the ONNX node; the service's "(node ...)" said once.
- The round's new models (zoo21.py, jax_zoo21.py) against torch's / JAX's autodiff, some through ONNX at opsets
  13-21."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .checks import check_against_jax, check_torch_export, check_value_and_input_grad, torch_case, \
    torch_to_onnx
from .jax_zoo21 import MODELS as JAX_MODELS
from .zoo21 import MODELS as TORCH_MODELS
from .zoo21_ort_gen import X_SVM, svm_node_cases

pytestmark = pytest.mark.usefixtures("fake")
DATA = "tests/importers/data/zoo21_ort.npz"


def _stored(name):
    import onnx

    d = np.load(DATA)
    model = onnx.load_from_string(d[f"{name}/onnx"].tobytes())
    return model, d[f"{name}/x"], [d[f"{name}/ort{i}"] for i in range(2) if f"{name}/ort{i}" in d]


def _outputs(net, *args):
    got = net(*[Tensor(a) for a in args])
    return [g.asnumpy() for g in (got if isinstance(got, (tuple, list)) else [got])]


def _assert_like_ort(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w.dtype == np.int64:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(w).max())))


# -- scikit-learn through skl2onnx; hand-made SVMClassifier nodes ------------------------------------------------

@pytest.mark.parametrize("name", ["svc_prob2", "svc_prob3", "dt_cls2", "et_cls2", "ada_cls2"])
def test_sklearn_export_against_onnxruntime(name):
    """Before: SVC(probability=True) was refused (prob_a / prob_b). Labels equal onnxruntime's, probabilities within
    float32 rounding."""
    model, x, want = _stored(name)
    _assert_like_ort(_outputs(gs.from_onnx(model, {model.graph.input[0].name: list(x.shape)}), x), want)


@pytest.mark.parametrize("i", range(len(svm_node_cases())))
def test_svm_classifier_nodes_against_onnxruntime(i):
    """The linear mode (before: refused) and post transforms of a support-vector SVC (before: refused)."""
    want = [np.load(DATA)[f"svm_node{i}/ort{k}"] for k in range(2)]
    _assert_like_ort(_outputs(gs.from_onnx(svm_node_cases()[i]), X_SVM), want)


def _coupled_probabilities_f64(model):
    """x -> [N, k] SVC probabilities in NumPy float64 from the ONNX attributes: RBF pairwise decisions, Platt's
    sigmoid, libsvm's multiclass_probability (the stop max |Qp - pQp| < 0.005 / k)."""
    from onnx import helper

    a = {t.name: helper.get_attribute_value(t) for t in model.graph.node[0].attribute}
    per, gamma = list(a["vectors_per_class"]), a["kernel_params"][0]
    k, start = len(per), np.concatenate([[0], np.cumsum(per)])
    sv = np.asarray(a["support_vectors"]).reshape(start[-1], -1)
    coef = np.asarray(a["coefficients"]).reshape(k - 1, -1)
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]

    def row(x):
        kv = np.exp(-gamma * ((x - sv) ** 2).sum(1))
        r = np.zeros((k, k))
        for p, (i, j) in enumerate(pairs):
            si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
            d = kv[si] @ coef[j - 1, si] + kv[sj] @ coef[i, sj] + a["rho"][p]
            r[i, j] = min(max(1 / (1 + np.exp(d * a["prob_a"][p] + a["prob_b"][p])), 1e-7), 1 - 1e-7)
            r[j, i] = 1 - r[i, j]
        q = -r.T * r + np.diag((r ** 2).sum(0) - np.diag(r) ** 2)
        prob = np.full(k, 1.0 / k)
        for _ in range(100):
            qp = q @ prob
            if np.abs(qp - prob @ qp).max() < 0.005 / k:
                break
            for t in range(k):
                qp, pqp = q @ prob, prob @ q @ prob
                prob[t] += (pqp - qp[t]) / q[t, t]
                prob /= prob.sum()
        return prob
    return lambda xs: np.stack([row(x) for x in xs])


def test_svc_probability_input_gradient_against_finite_differences():
    model, x, want = _stored("svc_prob3")
    net = gs.from_onnx(model, {model.graph.input[0].name: list(x.shape)})
    c = np.random.default_rng(3).uniform(0.5, 1.5, (x.shape[0], 3)).astype(np.float32)
    g = ops.grad(lambda z: (net(z)[1] * Tensor(c)).sum())(Tensor(x)).asnumpy()
    f, x64, h = _coupled_probabilities_f64(model), x.astype(np.float64), 1e-5
    np.testing.assert_allclose(f(x64), want[1], atol=2e-6)  # the float64 form is onnxruntime's function
    fd = np.zeros_like(x64)
    for j in range(x.shape[1]):
        e = np.zeros_like(x64)
        e[:, j] = h
        fd[:, j] = ((f(x64 + e) - f(x64 - e)) * c).sum(1) / (2 * h)
    assert np.abs(fd).max() > 0.02
    np.testing.assert_allclose(g, fd, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("attrs,match", [
    ({"kernel_type": "RBF"}, "kernel_type 'RBF' without support vectors"),
    ({"prob_a": [1.0], "prob_b": [0.0]}, "linear mode.*with probabilities")])
def test_svm_linear_mode_forms_onnxruntime_reads_its_own_way_are_refused(attrs, match):
    """onnxruntime computes the plain dot product whatever kernel_type says in the linear mode (its scores for RBF
    equal LINEAR's): refused rather than given either meaning."""
    from onnx import TensorProto as T

    from .checks import ml_model

    a = dict({"classlabels_ints": [0, 1, 2], "coefficients": [1.0] * 6, "rho": [0.1], "kernel_type": "LINEAR",
              "kernel_params": [0.5, 0.0, 3.0]}, **attrs)
    with pytest.raises(UnsupportedModel, match=match):
        gs.from_onnx(ml_model("SVMClassifier", a, X_SVM, [("L", T.INT64, [6]), ("S", T.FLOAT, [6, 3])]))


# -- QDQ: onnxruntime's static quantisation ----------------------------------------------------------------------

def _qdq_in_torch(model):
    """The QDQ graph (DequantizeLinear of weights, QuantizeLinear -> DequantizeLinear pairs, Conv, Flatten, Gemm)
    evaluated by torch, each pair as torch.fake_quantize_per_tensor_affine (torch's straight-through backward)."""
    from onnx import helper, numpy_helper

    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    rng = {torch.uint8: (0, 255), torch.int8: (-128, 127)}

    def run(x):
        env, quant = dict(init, x=x), {}
        for n in model.graph.node:
            a = {t.name: helper.get_attribute_value(t) for t in n.attribute}
            i = [env.get(k) for k in n.input]
            if n.op_type == "QuantizeLinear":
                quant[n.output[0]] = (i[0], float(i[1]), int(i[2]), rng[i[2].dtype])
                continue
            if n.op_type == "DequantizeLinear" and n.input[0] in quant:
                v, s, z, (lo, hi) = quant[n.input[0]]
                out = torch.fake_quantize_per_tensor_affine(v, s, z, lo, hi)
            elif n.op_type == "DequantizeLinear":
                shape = [-1 if d == a.get("axis", 1) else 1 for d in range(i[0].dim())] if i[1].dim() else []
                out = (i[0].float() - i[2].float().reshape(shape)) * i[1].reshape(shape)
            elif n.op_type == "Conv":
                out = torch.nn.functional.conv2d(i[0], i[1], i[2], padding=a["pads"][0])
            elif n.op_type == "Flatten":
                out = i[0].flatten(1)
            else:
                assert n.op_type == "Gemm" and a.get("transB") == 1
                out = i[0] @ i[1].T + i[2]
            env[n.output[0]] = out
        return env[model.graph.output[0].name]
    return run


@pytest.mark.parametrize("name", ["qdq_tensor_u8", "qdq_channel_s8"])
def test_qdq_quantized_cnn_against_onnxruntime_and_fake_quantize(name):
    model, x, want = _stored(name)
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in model.graph.node}
    net = gs.from_onnx(model)
    np.testing.assert_allclose(_outputs(net, x)[0], want[0], rtol=1e-6, atol=1e-6)
    ref = _qdq_in_torch(model)
    xt = torch.from_numpy(x).requires_grad_(True)
    np.testing.assert_allclose(ref(xt).detach().numpy(), want[0], atol=1e-5)
    c = np.random.default_rng(2).uniform(0.5, 1.5, want[0].shape).astype(np.float32)
    g = ops.grad(lambda z: (net(z) * Tensor(c)).sum())(Tensor(x)).asnumpy()
    wg = torch.autograd.grad((ref(xt) * torch.from_numpy(c)).sum(), xt)[0].numpy()
    assert np.abs(wg).max() > 0.05
    np.testing.assert_allclose(g, wg, rtol=1e-5, atol=1e-6)


# -- errors ------------------------------------------------------------------------------------------------------

def _gather_model(op, idx_shape, idx=None, axis=1):
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx import numpy_helper as nh

    ins = [oh.make_tensor_value_info("X", T.FLOAT, [3, 4])]
    inits = [nh.from_array(np.asarray(idx, np.int64), "I")] if idx is not None else []
    ins += [] if inits else [oh.make_tensor_value_info("I", T.INT64, idx_shape)]
    node = oh.make_node(op, ["X", "I"], ["Y"], name="pick", axis=axis)
    g = oh.make_graph([node], "g", ins, [oh.make_tensor_value_info("Y", T.FLOAT, None)], initializer=inits)
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    model.ir_version = 9
    return model


@pytest.mark.parametrize("op,idx_shape,good,bad,n", [
    ("Gather", [2], [1, -1], [0, 7], 4), ("GatherElements", [3, 1], [[0], [3], [-4]], [[0], [9], [1]], 4)])
def test_gather_index_outside_the_axis_names_the_onnx_node_once(op, idx_shape, good, bad, n):
    """Before: "gather: index 7 out of range ... (node $.functions.f0000_onnx_model.nodes[0]:gather) (node ...)" - the
    engine's node, said twice (the service's message and the SDK's detail). onnxruntime refuses the index; in range
    (negatives from the end) the values are onnx.reference's."""
    from onnx.reference import ReferenceEvaluator

    model = _gather_model(op, idx_shape)
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    net = gs.from_onnx(model)
    want = ReferenceEvaluator(model).run(None, {"X": x, "I": np.asarray(good, np.int64)})[0]
    np.testing.assert_array_equal(_outputs(net, x, np.asarray(good, np.int64))[0], want)
    with pytest.raises(gs.errors.ShapeError, match=rf"{op} node 'pick': an index outside \[-{n}, {n}\)") as err:
        _outputs(net, x, np.asarray(bad, np.int64))
    assert str(err.value).count("(node ") == 1, str(err.value)


def test_constant_gather_index_outside_the_axis_is_refused():
    """Before: a constant index 5 on an axis of 4 was taken modulo 4 (x[:, 1]); onnxruntime fails it."""
    with pytest.raises(UnsupportedModel, match=r"Gather \(node 'pick'.*constant index outside \[-4, 4\) along axis 1"):
        gs.from_onnx(_gather_model("Gather", [2], idx=[0, 5]))


# -- the round's new models --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(set(TORCH_MODELS) - {"cond_gated_block"}))
def test_torch_model_through_torch_export(name):
    check_torch_export(*torch_case(TORCH_MODELS, name))


def test_torch_cond_block_each_branch():
    """torch.cond on the batch mean: torch.export's import and the dynamo exporter's ONNX If, each run on both sides
    of the predicate (torch.func.jvp has no rule for torch.cond in eager mode: value and input gradient)."""
    model, x = torch_case(TORCH_MODELS, "cond_gated_block")
    assert float(x.mean()) > 0 > float((-x - 0.5).mean())
    for net in (gs.from_torch(model, (x * 1.1,)), gs.from_onnx(torch_to_onnx(model, x, 18, dynamo=True))):
        check_value_and_input_grad(net, model, x)
        check_value_and_input_grad(net, model, -x - 0.5)


@pytest.mark.parametrize("opset,how", [(v, "ts") for v in range(13, 21)] + [(21, "converted"), (18, "dynamo"),
                                                                            (21, "dynamo")])
def test_one_model_across_opsets(opset, how):
    """One block through the TorchScript exporter at opsets 13-20, onnx.version_converter's 21 and the dynamo
    exporter's 18 and 21 (Split / Squeeze / ReduceMean's axes as inputs, LayerNormalization from 17, Gelu from 20)."""
    from onnx import version_converter

    model, x = torch_case(TORCH_MODELS, "opset_spread_block")
    proto = (version_converter.convert_version(torch_to_onnx(model, x, 20), 21) if how == "converted" else
             torch_to_onnx(model, x, opset, dynamo=how == "dynamo"))
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) == opset
    check_value_and_input_grad(gs.from_onnx(proto), model, x)


@pytest.mark.parametrize("name", ["masked_mha_alibi_padding", "gru_bidir_learned_init"])
def test_torch_model_through_onnx(name):
    model, x = torch_case(TORCH_MODELS, name)
    check_value_and_input_grad(gs.from_onnx(torch_to_onnx(model, x, 17)), model, x)


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])
