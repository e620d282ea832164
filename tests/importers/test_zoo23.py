"""Round 23 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 23).

- An ONNX model's output names kept through conversion (the graph's `output_names`) and served under them: a stock
  Triton client reads `as_numpy("y")` of a model whose ONNX output is `y` (before: `out`, and as_numpy("y") None).
- skl2onnx's tree ensembles with post transforms and hand-made TreeEnsembleClassifier / Regressor nodes under each
  post transform against onnxruntime 1.32 (data/zoo23_ort.npz, written by zoo23_ort_gen.py).
- Classifiers with string labels: their numeric outputs imported by name; the labels refused naming their output."""
import json

import numpy as np
import pytest
from onnx import TensorProto as T
from onnx import helper as oh

import gradserve as gs
from e2e.server import Server
from engine.importers.__main__ import main as convert
from engine.serialize import InvalidGraph, graph_from_json
from gradserve import Tensor
from gradserve.importers import UnsupportedModel

from .zoo23_ort_gen import POSTS, TREE_NODES, X_TREE, tree_node

DATA = "tests/importers/data/zoo23_ort.npz"
X2 = np.array([[0.5, -1.0, 2.0], [0.25, 1.5, -0.75]], np.float32)


def _stored(name):
    import onnx

    d = np.load(DATA)
    return onnx.load_from_string(d[f"{name}/onnx"].tobytes()), d[f"{name}/x"], d


def _two_outputs(tmp_path):
    """y = sin(x), z = x * x: an ONNX model with two named outputs, as a file."""
    vi = oh.make_tensor_value_info
    g = oh.make_graph([oh.make_node("Sin", ["x"], ["y"]), oh.make_node("Mul", ["x", "x"], ["z"])], "two",
                      [vi("x", T.FLOAT, [2, 3])], [vi("y", T.FLOAT, [2, 3]), vi("z", T.FLOAT, [2, 3])])
    path = tmp_path / "two.onnx"
    path.write_bytes(oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)]).SerializeToString())
    return path


def _converted(tmp_path, *extra) -> dict:
    out = tmp_path / "graph.json"
    assert convert([str(_two_outputs(tmp_path)), "-o", str(out), *extra]) == 0
    return json.loads(out.read_text())


# -- output names -------------------------------------------------------------------------------------------------

def test_converter_keeps_the_onnx_output_names(tmp_path):
    """Before: the document named its outputs by the writer's values only (t1, t2), served as out0 / out1."""
    doc = _converted(tmp_path)
    assert doc["output_names"] == ["y", "z"] and [i["name"] for i in doc["inputs"]] == ["x"]
    assert graph_from_json(doc).output_names == ["y", "z"]
    assert _converted(tmp_path, "--graph-output", "z", "--graph-output", "y")["output_names"] == ["z", "y"]


@pytest.mark.parametrize("names", [["y"], ["y", "y"], ["y", ""], "y"])
def test_output_names_must_name_each_output_once(tmp_path, names):
    doc = dict(_converted(tmp_path), output_names=names)
    with pytest.raises(InvalidGraph) as e:
        graph_from_json(doc)
    assert e.value.path == "$.output_names"


def test_schema_declares_output_names():
    from engine.serialize import json_schema

    assert json_schema()["properties"]["output_names"]["items"] == {"type": "string", "minLength": 1}
    published = json.load(open("engine/graph.schema.json"))
    assert published["properties"]["output_names"] == json_schema()["properties"]["output_names"]


@pytest.fixture(scope="module")
def triton(tmp_path_factory):
    import tritonclient.http as httpclient

    repo = tmp_path_factory.mktemp("zoo23_models")
    doc = _converted(tmp_path_factory.mktemp("zoo23_onnx"))
    for name, config in {"two_eval": {"kind": "eval"}, "two_renamed": {"kind": "eval", "output_names": ["a", "b"]},
                         "two_vjp": {"kind": "vjp"}}.items():
        (repo / name).mkdir()
        (repo / name / "graph.json").write_text(json.dumps(doc))
        (repo / name / "config.json").write_text(json.dumps(config))
    s = Server(tmp_path_factory.mktemp("zoo23_server") / "server.log", devices="cpu",
               env={"GRADSERVE_MODEL_REPOSITORY": str(repo), "GRADSERVE_CPU_WORKERS": "1"})
    c = httpclient.InferenceServerClient(s.url.removeprefix("http://"))
    yield c
    c.close()
    s.stop()


def test_repository_serves_an_imported_model_under_its_onnx_names(triton):
    """The stock client's as_numpy("y") (h-stock26: None before, the output was `out0`); the metadata names the
    ONNX input and outputs; config.json's output_names still win; a vjp model's values are named so too (before:
    out0, out1), its cotangent as derived."""
    import tritonclient.http as httpclient

    meta = triton.get_model_metadata("two_eval")
    assert [t["name"] for t in meta["inputs"]] == ["x"] and [t["name"] for t in meta["outputs"]] == ["y", "z"]
    i = httpclient.InferInput("x", [2, 3], "FP32")
    i.set_data_from_numpy(X2)
    r = triton.infer("two_eval", [i])
    np.testing.assert_allclose(r.as_numpy("y"), np.sin(X2), rtol=1e-6)
    np.testing.assert_array_equal(r.as_numpy("z"), X2 * X2)
    assert [t["name"] for t in triton.get_model_metadata("two_renamed")["outputs"]] == ["a", "b"]
    assert [t["name"] for t in triton.get_model_metadata("two_vjp")["outputs"]] == ["y", "z", "d/dx"]


# -- tree ensembles' post transforms --------------------------------------------------------------------------------

@pytest.mark.parametrize("name, post", [("gbc2", "LOGISTIC"), ("gbc3", "SOFTMAX"), ("rfc3", "NONE"), ("gbr", "NONE")])
@pytest.mark.usefixtures("fake")
def test_skl2onnx_tree_ensembles_with_post_transforms(name, post):
    """GradientBoostingClassifier (binary: LOGISTIC; 3 classes: SOFTMAX), RandomForestClassifier, GBRegressor."""
    model, x, d = _stored(name)
    tree = next(n for n in model.graph.node if n.op_type.startswith("TreeEnsemble"))
    assert [a.s.decode() for a in tree.attribute if a.name == "post_transform"] == [post]
    got = gs.from_onnx(model, {"X": list(x.shape)})(Tensor(x))
    got = got if isinstance(got, (tuple, list)) else [got]
    for i, g in enumerate(got):
        np.testing.assert_allclose(g.asnumpy(), d[f"{name}/ort{i}"], rtol=0, atol=2e-7)


CASES = [(n, p) for n in TREE_NODES for p in POSTS if n != "r1" or p == "NONE"]


@pytest.mark.parametrize("name, post", CASES)
@pytest.mark.usefixtures("fake")
def test_tree_nodes_under_each_post_transform(name, post):
    """Before: two-label LOGISTIC with non-negative weights answered [1 - s, s] (onnxruntime: [sigmoid(-s),
    sigmoid(s)]); SOFTMAX_ZERO and two-label SOFTMAX were refused. NaN where onnxruntime's is (a row of zeros)."""
    d = np.load(DATA)
    got = gs.from_onnx(tree_node(name, post))(Tensor(X_TREE))
    got = got if isinstance(got, (tuple, list)) else [got]
    for i, g in enumerate(got):
        np.testing.assert_allclose(g.asnumpy(), d[f"{name}/{post}/ort{i}"], rtol=0, atol=2e-7)


@pytest.mark.parametrize("post", ["SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO"])
@pytest.mark.usefixtures("fake")
def test_single_target_regressor_post_transform_refused(post):
    """onnxruntime 1.32 answers the raw sum (its answer equals NONE's), ONNX's text the transformed one: before, the
    transformed one was answered (sigmoid / 1.0) where onnxruntime answers the sum."""
    d = np.load(DATA)
    np.testing.assert_array_equal(d[f"r1/{post}/ort0"], d["r1/NONE/ort0"])
    with pytest.raises(UnsupportedModel, match=f"post_transform {post} of a single target: onnxruntime"):
        gs.from_onnx(tree_node("r1", post))


# PROBIT (refused here until round 24) is imported: test_zoo24.py checks it against onnxruntime's answers


# -- string class labels ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dt_str", "gbc_str", "svc_str", "lr_str", "lr_str2"])
@pytest.mark.usefixtures("fake")
def test_string_labels_numeric_outputs_by_name(name):
    """A tree, boosting, SVC(probability=True) and logistic regressions fit on string labels: the labels refused
    naming their output and the way out; outputs=['probabilities'] equals onnxruntime's (before: refused too)."""
    model, x, d = _stored(name)
    assert d[f"{name}/ort0"].dtype.kind == "U"
    with pytest.raises(UnsupportedModel, match=r"string class labels \(classlabels_strings\) on its output 'label'.*"
                                               r"outputs="):
        gs.from_onnx(model, {"X": list(x.shape)})
    net = gs.from_onnx(model, {"X": list(x.shape)}, outputs=["probabilities"])
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), d[f"{name}/ort1"], rtol=0, atol=2e-7)
