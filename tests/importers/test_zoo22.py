"""Round 22 of the model zoo (benchmarks/IMPORT_ZOO.md, Round 22) and round 21's leftovers.

- skl2onnx's default classifier exports (ZipMap kept: a sequence of maps) import their other outputs by name
  (from_onnx's outputs=, REST's output=) against onnxruntime 1.32's labels (data/zoo22_ort.npz, written by
  zoo22_ort_gen.py); the map output stays refused by name.
- SVMClassifier's probabilities and two-class scores under post transforms against onnxruntime's.
- The round's new models (zoo22.py, jax_zoo22.py) against torch's / JAX's autodiff, some through ONNX, one exported
  with a dynamic dim and imported at two sizes."""
import numpy as np
import pytest
import torch

import gradserve as gs
from gradserve import Tensor
from gradserve.importers import UnsupportedModel

from .checks import check_against_jax, check_against_torch, check_torch_export, check_value_and_input_grad, \
    torch_case, torch_to_onnx
from .jax_zoo22 import MODELS as JAX_MODELS
from .zoo21_ort_gen import X_SVM
from .zoo22 import DYNAMIC_TIME
from .zoo22 import MODELS as TORCH_MODELS
from .zoo22_ort_gen import POSTS, svm_post_cases

pytestmark = pytest.mark.usefixtures("fake")
DATA = "tests/importers/data/zoo22_ort.npz"
ZIP = ["zip_tree2", "zip_svc3", "zip_logreg3"]


def _stored(name):
    import onnx

    d = np.load(DATA)
    return onnx.load_from_string(d[f"{name}/onnx"].tobytes()), d[f"{name}/x"], d[f"{name}/ort0"]


# -- ZipMap: the other outputs by name ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ZIP)
def test_zipmap_model_imports_its_label_output_by_name(name):
    """Before: the whole model was refused at the ZipMap. onnxruntime's outputs are the labels and a list of
    {class: probability} dicts; outputs=['output_label'] imports the first (labels equal onnxruntime's), without
    it the refusal names the map output and the outputs that can be imported."""
    model, x, labels = _stored(name)
    assert [o.name for o in model.graph.output] == ["output_label", "output_probability"]
    assert "ZipMap" in [n.op_type for n in model.graph.node]
    shapes = {"X": list(x.shape)}
    with pytest.raises(UnsupportedModel, match=r"ZipMap.*output 'output_probability' is a sequence of maps.*"
                                               r"outputs=\['output_label'\].*'zipmap': False"):
        gs.from_onnx(model, shapes)
    net = gs.from_onnx(model, shapes, outputs=["output_label"])
    np.testing.assert_array_equal(net(Tensor(x)).asnumpy(), labels)
    np.testing.assert_array_equal(gs.from_onnx(model, shapes, outputs="output_label")(Tensor(x)).asnumpy(), labels)
    with pytest.raises(UnsupportedModel, match="ZipMap.*sequence of maps"):
        gs.from_onnx(model, shapes, outputs=["output_label", "output_probability"])


@pytest.mark.parametrize("outputs", [["nope"], [], ["output_label", "output_label"]])
def test_outputs_outside_the_model_are_refused_listing_its_outputs(outputs):
    model, x, _ = _stored("zip_tree2")
    with pytest.raises(UnsupportedModel, match=r"outputs=.*among the model's outputs \['output_label', "
                                               r"'output_probability'\]"):
        gs.from_onnx(model, {"X": list(x.shape)}, outputs=outputs)


def test_outputs_pick_and_order_a_graphs_outputs_and_prune_the_rest():
    """Outputs in the order named; a node only an unnamed output needs (an op the importer refuses) is not
    converted. Values against onnx.reference."""
    from onnx import TensorProto as T
    from onnx import helper as oh
    from onnx.reference import ReferenceEvaluator

    nodes = [oh.make_node("Mul", ["X", "X"], ["sq"]), oh.make_node("Sin", ["sq"], ["a"]),
             oh.make_node("NonZero", ["X"], ["d"], name="nz"), oh.make_node("Add", ["sq", "X"], ["b"])]
    vi = oh.make_tensor_value_info
    g = oh.make_graph(nodes, "g", [vi("X", T.FLOAT, [3, 3])], [vi("a", T.FLOAT, [3, 3]), vi("d", T.INT64, None),
                                                                vi("b", T.FLOAT, [3, 3])])
    model = oh.make_model(g, opset_imports=[oh.make_opsetid("", 18)])
    x = np.arange(9, dtype=np.float32).reshape(3, 3) / 9
    with pytest.raises(UnsupportedModel, match="NonZero"):
        gs.from_onnx(model)
    want = ReferenceEvaluator(model).run(["b", "a"], {"X": x})
    b, a = gs.from_onnx(model, outputs=["b", "a"])(Tensor(x))
    np.testing.assert_allclose(b.asnumpy(), want[0], rtol=1e-6)
    np.testing.assert_allclose(a.asnumpy(), want[1], rtol=1e-6)


def test_rest_registration_takes_output_names():
    """POST /v1/graphs?output=NAME (application/onnx): the converter's options and the converted graph's one output."""
    from starlette.datastructures import QueryParams

    from service import onnx_graphs
    from service.settings import Settings

    model, x, _ = _stored("zip_svc3")
    opts = onnx_graphs.options(QueryParams("output=output_label&input_shape=X=6,3"))
    assert opts["outputs"] == ["output_label"]
    doc = onnx_graphs.convert(model.SerializeToString(), Settings(), opts)
    assert isinstance(doc["outputs"], str)  # one output
    with pytest.raises(onnx_graphs.InvalidRequest, match="ZipMap.*output 'output_probability'"):
        onnx_graphs.convert(model.SerializeToString(), Settings(),
                            onnx_graphs.options(QueryParams("input_shape=X=6,3")))


def test_cli_takes_graph_output_names(tmp_path):
    import json

    from engine.importers.__main__ import main

    model, _, _ = _stored("zip_logreg3")
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    assert main([str(path), "--input-shape", "X=6,3"]) == 2  # the ZipMap
    assert main([str(path), "--input-shape", "X=6,3", "--graph-output", "output_label", "-o",
                 str(tmp_path / "g.json")]) == 0
    assert isinstance(json.loads((tmp_path / "g.json").read_text())["outputs"], str)


# -- SVMClassifier: probabilities and two classes under post transforms ------------------------------------------

@pytest.mark.parametrize("i", range(len(svm_post_cases())))
def test_svm_post_transforms_against_onnxruntime(i):
    """Before: refused. onnxruntime applies SOFTMAX / LOGISTIC to the coupled probabilities; two classes without
    probabilities give [-d, d], LOGISTIC sigmoid of each, SOFTMAX [1 - d, d]; labels unchanged."""
    d = np.load(DATA)
    got = gs.from_onnx(svm_post_cases()[i])(Tensor(X_SVM))
    np.testing.assert_array_equal(got[0].asnumpy(), d[f"svm_post{i}/ort0"])
    np.testing.assert_allclose(got[1].asnumpy(), d[f"svm_post{i}/ort1"], rtol=1e-6, atol=2e-7)


@pytest.mark.parametrize("post", ["SOFTMAX_ZERO"])
def test_svm_other_post_transforms_with_probabilities_stay_refused(post):
    """SOFTMAX_ZERO with two classes: refused. (PROBIT, refused here until round 24, is imported as onnxruntime
    answers it, its NaN and zeros included: test_zoo24.py.)"""
    from onnx import helper

    model = svm_post_cases()[len(POSTS) * 4 - 2]
    model.graph.node[0].attribute.remove(next(a for a in model.graph.node[0].attribute if a.name == "post_transform"))
    model.graph.node[0].attribute.append(helper.make_attribute("post_transform", post))
    with pytest.raises(UnsupportedModel, match=f"post_transform '{post}' with two classes or probabilities"):
        gs.from_onnx(model)


# -- the round's new models --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(TORCH_MODELS))
def test_torch_model_through_torch_export(name):
    """torch.distributions' argument validation is a data-dependent branch torch.export cannot trace: off here."""
    from torch.distributions import Distribution

    before = Distribution._validate_args
    Distribution.set_default_validate_args(False)
    try:
        check_torch_export(*torch_case(TORCH_MODELS, name))
    finally:
        Distribution.set_default_validate_args(before)


@pytest.mark.parametrize("name", DYNAMIC_TIME)
def test_dynamic_time_dim_export_at_two_sizes(name):
    """One torch.export program with a dynamic time Dim, imported at 3 and at 12 steps: each against torch."""
    model, x = torch_case(TORCH_MODELS, name)
    t = torch.export.Dim("t", min=3, max=32)
    ep = torch.export.export(model, (x,), dynamic_shapes={"x": {1: t}})
    for steps in (3, 12):
        xs = torch.randn(2, steps, 4, generator=torch.Generator().manual_seed(steps))
        check_against_torch(gs.from_torch(ep, (xs,)), model, xs)


@pytest.mark.parametrize("name,opset,dynamo", [("topk_sparse_attention_masks", 17, False),
                                               ("tucker_bilinear_einsum", 17, False),
                                               ("conformer_conv_module", 17, False)])
def test_torch_model_through_onnx(name, opset, dynamo):
    model, x = torch_case(TORCH_MODELS, name)
    check_value_and_input_grad(gs.from_onnx(torch_to_onnx(model, x, opset, dynamo)), model, x)


@pytest.mark.parametrize("name,ops", [
    ("pna_graph_layer", {("GatherND", b""), ("ScatterND", b"add"), ("ScatterElements", b"max"),
                         ("ScatterElements", b"min")}),
    ("fnet_fourier_mixing", {("DFT", b"")})])
def test_torch_model_through_the_dynamo_exporter(name, ops):
    """PNA's index_add / scatter_reduce as the dynamo exporter writes them (the TorchScript exporter refuses an
    index_add with repeated indices): GatherND, ScatterND add, ScatterElements max / min; FNet's fft2 as DFT."""
    model, x = torch_case(TORCH_MODELS, name)
    proto = torch_to_onnx(model, x, 18, dynamo=True)
    assert ops <= {(n.op_type, next((a.s for a in n.attribute if a.name == "reduction"), b""))
                   for n in proto.graph.node}
    check_value_and_input_grad(gs.from_onnx(proto), model, x)


@pytest.mark.parametrize("name", sorted(JAX_MODELS))
def test_jax_model(name):
    check_against_jax(*JAX_MODELS[name])
