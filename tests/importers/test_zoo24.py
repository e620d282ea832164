"""Round 24 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 24).

- erfinv, the engine's op (was a composition): values against SciPy, derivatives against torch's autograd, the edges
  (+-1, outside) as MindSpore 2.10's CPU kernel.
- ai.onnx.ml's PROBIT post transform (TreeEnsembleClassifier / Regressor, LinearClassifier, SVMClassifier) against
  onnxruntime 1.32's answers (data/zoo24_ort.npz, written by zoo24_ort_gen.py) and SciPy's ndtri.
- The round's held-out models (zoo24.py, jax_zoo24.py) against torch's / JAX's autodiff."""
import numpy as np
import pytest
import torch
from scipy.special import erfinv as sp_erfinv
from scipy.special import ndtri

import gradserve as gs
from gradserve import Tensor, ops
from gradserve.importers import UnsupportedModel

from .checks import check_against_jax, check_against_torch, check_value_and_input_grad, torch_case, torch_to_onnx
from .jax_zoo24 import MODELS as JAX_MODELS
from .zoo24 import JVP_REFERENCE
from .zoo24 import MODELS as TORCH_MODELS
from .zoo24_ort_gen import LEGACY, X_LEGACY, case_input, legacy_model, probit_cases

DATA = "tests/importers/data/zoo24_ort.npz"


@pytest.fixture(autouse=True)
def _in_process(request):
    """The in-process engine-backed server for every test but those on a real one (the `server` fixture)."""
    if "server" in request.fixturenames:
        yield
        return
    request.getfixturevalue("fake")
    yield


EDGES = [-1.5, -1.0, -0.999, -0.3, 0.0, 0.5, 0.999, 1.0, 1.5]


# -- erfinv: the engine's op --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_erfinv_values_and_edges(dtype):
    """SciPy's values inside; +-inf at +-1 and NaN outside (MindSpore 2.10's CPU kernel: [nan, -inf, ..., inf, nan]).
    MindSpore 2.10 answers erfinv(+-0.999) = +-2.27774 (float64; SciPy, torch and the math: 2.3267538): ours is
    SciPy's."""
    x = np.array(EDGES, dtype)
    got = ops.erfinv(Tensor(x)).asnumpy()
    assert got.dtype == dtype
    want = sp_erfinv(x.astype(np.float64)).astype(dtype)
    np.testing.assert_allclose(got, want, rtol={np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype])
    assert np.isnan(got[[0, -1]]).all() and got[1] == -np.inf and got[-2] == np.inf


def test_erfinv_derivatives_against_torch():
    """First and second derivatives against torch.special.erfinv's autograd (float64); +inf at +-1 and NaN outside
    (MindSpore 2.10's and torch's)."""
    x = np.array(EDGES, np.float64)
    g = ops.grad(ops.erfinv)(Tensor(x)).asnumpy()
    xt = torch.tensor(x, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.special.erfinv(xt).sum(), xt, create_graph=True)
    np.testing.assert_allclose(g, gt.detach().numpy(), rtol=1e-12)
    assert g[1] == g[-2] == np.inf and np.isnan(g[[0, -1]]).all()
    inner = x[2:-2]
    g2 = ops.grad(ops.grad(lambda t: ops.erfinv(t).sum()))(Tensor(inner)).asnumpy()
    (g2t,) = torch.autograd.grad(gt[2:-2].sum(), xt)
    np.testing.assert_allclose(g2, g2t[2:-2].numpy(), rtol=1e-10)
    fd = (sp_erfinv(inner + 1e-6) - sp_erfinv(inner - 1e-6)) / 2e-6  # and central differences
    np.testing.assert_allclose(g[2:-2], fd, rtol=1e-5)


def test_erfinv_is_one_engine_node_from_torch_export():
    """torch's erfinv and ndtri import as the engine's op (before: a 60-node polynomial and Newton composition)."""
    class M(torch.nn.Module):
        def forward(self, p):
            return torch.special.erfinv(p * 2 - 1) + torch.special.ndtri(p)

    p = torch.tensor([0.01, 0.3, 0.5, 0.9, 0.999], dtype=torch.float64)
    net = gs.from_torch(M(), (p,))
    ops_used = [n["op"] for n in net._gs_body["nodes"]]
    assert ops_used.count("erfinv") == 2 and "erf" not in ops_used
    got = net(Tensor(p.numpy())).asnumpy()
    np.testing.assert_allclose(got, sp_erfinv(2 * p.numpy() - 1) + ndtri(p.numpy()), rtol=1e-13)
    pt = p.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(M()(pt).sum(), pt)
    np.testing.assert_allclose(ops.grad(lambda z: net(z).sum())(Tensor(p.numpy())).asnumpy(), want.numpy(),
                               rtol=1e-12)


def test_erfinv_refuses_integers_as_mindspore():
    with pytest.raises(TypeError, match="floating-point"):
        ops.erfinv(Tensor(np.array([0, 1], np.int32)))


# -- PROBIT ----------------------------------------------------------------------------------------------------------

CASES = sorted(probit_cases())
IMPORTED = [n for n in CASES if n != "linear2"]
# two labels, one decision column s: onnxruntime answers [probit(s), 0] (s: the second column of NONE's scores)
ONE_COLUMN = {"tree_c2mixed", "tree_c2positive", "tree_c2base", "svm2"}


def _with_post(model, post: str):
    import copy

    m = copy.deepcopy(model)
    for a in m.graph.node[0].attribute:
        if a.name == "post_transform":
            a.s = post.encode()
    return m


def _run(model, x):
    got = gs.from_onnx(model)(Tensor(x))
    return [g.asnumpy() for g in (got if isinstance(got, (tuple, list)) else [got])]


@pytest.mark.parametrize("name", IMPORTED)
def test_probit_against_onnxruntime_and_scipy(name):
    """Labels equal onnxruntime's; the scores' NaN (outside [0, 1]) and +-inf (at 0 and 1) where onnxruntime's are,
    finite ones within 1.3e-3 of its (onnxruntime's erfinv is Winitzki's approximation, a = 0.147: 1.6e-4 at
    probit(0.9)); and exactly SciPy's ndtri of the scores NONE gives (the op's math)."""
    model, x, d = probit_cases()[name], case_input(name), np.load(DATA)
    got = _run(model, x)
    ort = [d[f"{name}/ort{i}"] for i in range(len(got))]
    if len(got) == 2:
        np.testing.assert_array_equal(got[0], ort[0])
    s, o = got[-1], ort[-1]
    np.testing.assert_array_equal(np.isnan(s), np.isnan(o))
    np.testing.assert_array_equal(np.where(np.isinf(o), o, 0), np.where(np.isinf(s), s, 0))
    fin = np.isfinite(o)
    assert fin.any()
    np.testing.assert_allclose(s[fin], o[fin], rtol=0, atol=1.3e-3)
    raw = _run(_with_post(model, "NONE"), x)[-1]
    raw = np.stack([raw[:, 1], 0 * raw[:, 1]], 1) if name in ONE_COLUMN else raw
    want = np.sqrt(2) * sp_erfinv((raw * np.float32(2) - np.float32(1)).astype(np.float64))  # 2 s - 1 in float32
    if name in ONE_COLUMN:
        want[:, 1] = 0
    np.testing.assert_allclose(s, want.astype(np.float32), rtol=2e-6, atol=2e-6)


def test_probit_gradient_of_a_linear_classifier_against_torch():
    """d/dx of the PROBIT scores where they are finite: torch's autograd of sqrt(2) erfinv(2 (x W^T + b) - 1)."""
    model, x = probit_cases()["linear3"], case_input("linear3")
    net = gs.from_onnx(model)
    inside = np.flatnonzero(np.isfinite(net(Tensor(x))[1].asnumpy()).all(1))  # rows whose scores are all in (0, 1)
    assert len(inside) == 2
    x = x[np.resize(inside, len(x))]
    c = np.array([1.0, -0.5, 2.0], np.float32)
    g = ops.grad(lambda z: (net(z)[1] * Tensor(c)).sum())(Tensor(x)).asnumpy()
    w = torch.tensor([0.4, 0.1, -0.2, 0.3, 0.1, -0.4]).reshape(3, 2)
    xt = torch.tensor(x, requires_grad=True)
    s = 2 ** 0.5 * torch.special.erfinv(2 * (xt @ w.T + torch.tensor([0.5, 0.25, 0.0])) - 1)
    (want,) = torch.autograd.grad((s * torch.from_numpy(c)).sum(), xt)
    np.testing.assert_allclose(g, want.numpy(), rtol=1e-5)
    assert np.isfinite(g).all() and np.abs(g).max() > 1


def test_probit_of_one_column_linear_classifier_stays_refused():
    """onnxruntime 1.32's PROBIT scores for a one-column LinearClassifier are not the column's probit (NaN and zeros
    where the op's are finite): refused naming it."""
    d = np.load(DATA)
    assert np.isnan(d["linear2/ort1"]).any() and (d["linear2/ort1"][4:] == 0).all()
    with pytest.raises(UnsupportedModel, match="PROBIT.*one score column"):
        gs.from_onnx(probit_cases()["linear2"])


# -- output names through graph_to_json ------------------------------------------------------------------------------

def _two_output_doc():
    """y = sin(x), z = x * x, converted from ONNX: the document names its outputs y, z (round 23)."""
    from onnx import TensorProto as T
    from onnx import helper as oh

    from engine.importers import onnx_to_graph
    from engine.serialize import tensor_to_json

    vi = oh.make_tensor_value_info
    g = oh.make_graph([oh.make_node("Sin", ["x"], ["y"]), oh.make_node("Mul", ["x", "x"], ["z"])], "two",
                      [vi("x", T.FLOAT, [2, 3])], [vi("y", T.FLOAT, [2, 3]), vi("z", T.FLOAT, [2, 3])])
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    return onnx_to_graph(model.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True))


def test_graph_to_json_keeps_output_names():
    """Before: a loaded graph written again lost its `output_names` (round 23's note)."""
    from engine.serialize import graph_from_json, graph_to_json

    doc = _two_output_doc()
    assert doc["output_names"] == ["y", "z"]
    again = graph_to_json(graph_from_json(doc))
    assert again["output_names"] == ["y", "z"] and graph_from_json(again).output_names == ["y", "z"]


def test_a_derived_graph_keeps_its_own_names_and_workers_get_none():
    """A derived graph is written with the names its transform gave it (the values under the model's names, the
    cotangent's derivative d/dx), which load again; the worker's text carries none (the core names the outputs)."""
    from engine import transforms
    from engine.serialize import graph_from_json, graph_to_json
    from service.derivation import worker_json

    dg = transforms.vjp(graph_from_json(_two_output_doc()))
    d = graph_to_json(dg)
    assert d["output_names"] == dg.output_names and d["output_names"][:2] == ["y", "z"]
    assert graph_from_json(d).output_names == dg.output_names
    assert "output_names" not in __import__("json").loads(worker_json(dg, {})[0])


def test_names_that_repeat_are_not_written():
    """A derived graph whose names repeat (the loader refuses those) is written without them, so it loads."""
    from dataclasses import replace

    from engine.serialize import graph_from_json, graph_to_json

    g = graph_from_json(_two_output_doc())
    d = graph_to_json(replace(g, output_names=["d/dx", "d/dx"]))
    assert "output_names" not in d and graph_from_json(d).output_names is None


# -- the round's held-out models -------------------------------------------------------------------------------------

def _torch_check(name):
    model, x = torch_case(TORCH_MODELS, name)
    ref = getattr(model, JVP_REFERENCE[name]) if name in JVP_REFERENCE else None
    check_against_torch(gs.from_torch(model, (x * 1.1,)), model, x, jvp_model=ref, second_order_model=ref)


@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    """Value, gradients w.r.t. the input and every weight, a jvp and a Hessian-vector product against torch's
    (embedding_bag and torch.cond have no forward-mode / double-backward rule in torch: an equal model there)."""
    _torch_check(name)


@pytest.mark.parametrize("name,opset", [("tiny_unet_convtranspose_pixelshuffle", 11),
                                        ("se_resblock_droppath", 13),
                                        ("convtranspose_output_padding_groups", 9)])
def test_torch_model_through_legacy_onnx_opsets(name, opset):
    model, x = torch_case(TORCH_MODELS, name)
    check_value_and_input_grad(gs.from_onnx(torch_to_onnx(model, x, opset)), model, x)


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])


@pytest.mark.parametrize("opset,up,pad", LEGACY)
def test_legacy_slice1_pad2_upsample(opset, up, pad):
    """Slice-1, Pad-2 (constant / reflect / edge) and Upsample-7 / 9 (nearest, linear: asymmetric) against
    onnxruntime 1.32's values (float32; onnx.reference runs no Upsample with these scales), and the float64 model's
    input gradient against central differences."""
    want = np.load(DATA)[f"legacy{opset}_{up}_{pad}/ort0"]
    got = gs.from_onnx(legacy_model(opset, up, pad))(Tensor(X_LEGACY.astype(np.float32))).asnumpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    net = gs.from_onnx(legacy_model(opset, up, pad, double=True))
    c = np.random.default_rng(1).uniform(0.5, 1.5, got.shape)
    g = ops.grad(lambda z: (net(z) * Tensor(c)).sum())(Tensor(X_LEGACY)).asnumpy()
    assert (g[:, 2] == 0).all() and (g[:, :, 0] == 0).all()  # sliced away: no gradient
    rng = np.random.default_rng(2)
    for _ in range(8):  # entries the slice keeps
        i = (rng.integers(0, 2), rng.integers(0, 2), rng.integers(1, 4), rng.integers(1, 4))
        e = np.zeros_like(X_LEGACY)
        e[i] = 1e-6
        fd = ((net(Tensor(X_LEGACY + e)).asnumpy() - net(Tensor(X_LEGACY - e)).asnumpy()) * c).sum() / 2e-6
        assert abs(fd - g[i]) < 1e-7 * max(1.0, abs(g[i])), (i, fd, g[i])


# -- the REST path, once ------------------------------------------------------------------------------------------

def test_unet_over_a_real_server(server):
    """The U-Net (torch.export) on a real gradserve-server: value, gradients, jvp and Hessian-vector product as
    in-process."""
    gs.reset_context()
    gs.set_context(server=server.url)
    try:
        _torch_check("tiny_unet_convtranspose_pixelshuffle")
    finally:
        gs.reset_context()


def test_onnx_probit_and_legacy_models_registered_over_rest(server):
    """POST /v1/graphs with the ONNX bytes, then eval: a PROBIT tree and a legacy opset 9 model against
    onnxruntime's answers; a one-column PROBIT LinearClassifier is a 400 naming the node's op and why."""
    d = np.load(DATA)
    c = gs.Client(server.url)
    for model, x, want in [(probit_cases()["tree_c3"], case_input("tree_c3"), d["tree_c3/ort1"]),
                           (legacy_model(9, "linear", "reflect"), X_LEGACY.astype(np.float32),
                            d["legacy9_linear_reflect/ort0"])]:
        with server.client() as h:
            r = h.post("/v1/graphs", content=model.SerializeToString(), headers={"content-type": "application/onnx"})
        assert r.status_code == 201, r.text
        got = c.eval(r.json()["graph_id"], [x]).value
        got = got[-1] if isinstance(got, (tuple, list)) else got
        fin = np.isfinite(want)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=1.3e-3)
    with server.client() as h:
        r = h.post("/v1/graphs", content=probit_cases()["linear2"].SerializeToString(),
                   headers={"content-type": "application/onnx"})
    assert r.status_code == 400 and "LinearClassifier" in r.text and "PROBIT" in r.text, r.text


def test_linear_classifier_label_is_the_raw_scores_argmax():
    """LOGISTIC saturates to 1.0 in float32 for scores 17.0x and 20.0x: the label was the transformed scores' first
    largest (0); onnxruntime 1.32 answers [1, 1] (the raw scores' argmax; its scores [[1, 1, 0.5]] x 2)."""
    from onnx import TensorProto as T

    from .checks import ml_model

    x = np.array([[0.1, 0.2], [1.0, -1.0]], np.float32)
    m = ml_model("LinearClassifier", dict(coefficients=[0.1, 0, 0, 0.1, 0, 0], intercepts=[17.0, 20.0, 0.0],
                                          classlabels_ints=[0, 1, 2], post_transform="LOGISTIC"),
                 x, [("L", T.INT64, [2]), ("S", T.FLOAT, [2, 3])])
    label, scores = gs.from_onnx(m)(Tensor(x))
    np.testing.assert_array_equal(label.asnumpy(), [1, 1])
    np.testing.assert_array_equal(scores.asnumpy(), [[1, 1, 0.5]] * 2)
