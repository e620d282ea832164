"""Graphs built with onnx.helper the way other exporters and hand-written tools emit them (not torch's
exporter): each op family at the opsets users' files carry, forward against onnx.reference (or, where
that reference departs from the ONNX spec, the spec's formula / PyTorch) and the vjp of the imported
graph against a central finite difference."""
import numpy as np
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from engine import evaluate, vjp
from engine.importers import onnx_to_graph
from engine.serialize import graph_from_json, tensor_to_json

F = TensorProto.FLOAT
R = np.random.default_rng(0)
N = helper.make_node


def x(*s):
    return R.standard_normal(s).astype(np.float32)


def i64(*v):
    return np.array(v, np.int64)


def _model(nodes, inputs, inits, outs, opset):
    vi = [helper.make_tensor_value_info(k, F, list(v.shape)) for k, v in inputs.items()]
    init = [numpy_helper.from_array(v, k) for k, v in (inits or {}).items()]
    g = helper.make_graph(nodes, "g", vi, [helper.make_tensor_value_info(o, F, None) for o in outs], initializer=init)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _convert(m):
    return graph_from_json(onnx_to_graph(m.SerializeToString(), encode=lambda a: tensor_to_json(a, b64=True)))


def _softmax_flattened(v):  # Softmax before opset 13 (the spec): over all axes from `axis` (1) on
    e = np.exp(v.reshape(v.shape[0], -1) - v.reshape(v.shape[0], -1).max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).reshape(v.shape)


# onnx.reference implements Softmax at its opset-13 meaning only, and its LRN departs from the spec's formula
# (which PyTorch's local_response_norm follows): those two are checked against the spec instead.
SPEC = {"softmax opset 11 flatten": lambda ins: [_softmax_flattened(ins["x"])],
        "lrn": lambda ins: [torch.nn.functional.local_response_norm(torch.from_numpy(ins["x"]), 3).numpy()]}

CASES = {
    "einsum ellipsis": ([N("Einsum", ["a", "b"], ["y"], equation="...ij,...jk->...ik")],
     {"a": x(2, 3, 4), "b": x(2, 4, 5)}, None, 17),
    "einsum implicit": ([N("Einsum", ["a", "b"], ["y"], equation="ij,jk")], {"a": x(3, 4), "b": x(4, 5)}, None, 17),
    "einsum diag": ([N("Einsum", ["a"], ["y"], equation="bii->bi")], {"a": x(2, 3, 3)}, None, 17),
    "einsum trace": ([N("Einsum", ["a"], ["y"], equation="ii")], {"a": x(3, 3)}, None, 17),
    "einsum broadcast ellipsis": ([N("Einsum", ["a", "b"], ["y"], equation="...ij,jk->...ik")],
     {"a": x(2, 3, 4), "b": x(4, 5)}, None, 17),
    "resize linear half_pixel scales": ([N("Resize", ["x", "", "s"], ["y"], mode="linear")],
     {"x": x(1, 2, 3, 4)}, {"s": np.array([1, 1, 2, 1.5], np.float32)}, 18),
    "resize linear align sizes": ([N("Resize", ["x", "", "", "sz"], ["y"], mode="linear", coordinate_transformation_mode="align_corners")],
     {"x": x(1, 2, 3, 4)}, {"sz": i64(1, 2, 5, 7)}, 13),
    "resize nearest round_prefer_floor half_pixel": ([N("Resize", ["x", "", "s"], ["y"], mode="nearest", coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_floor")],
     {"x": x(1, 2, 3, 4)}, {"s": np.array([1, 1, 1.7, 2.5], np.float32)}, 13),
    "resize nearest asymmetric floor": ([N("Resize", ["x", "", "s"], ["y"], mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
     {"x": x(1, 2, 3, 4)}, {"s": np.array([1, 1, 2, 3], np.float32)}, 11),
    "resize linear pytorch_half_pixel axes 19": ([N("Resize", ["x", "", "", "sz"], ["y"], mode="linear", coordinate_transformation_mode="pytorch_half_pixel", axes=[2, 3])],
     {"x": x(1, 2, 3, 4)}, {"sz": i64(1, 6)}, 19),
    "resize cubic": ([N("Resize", ["x", "", "s"], ["y"], mode="cubic")],
     {"x": x(1, 1, 4, 4)}, {"s": np.array([1, 1, 2, 2], np.float32)}, 13),
    "resize linear downsample antialias0": ([N("Resize", ["x", "", "s"], ["y"], mode="linear")],
     {"x": x(1, 2, 6, 8)}, {"s": np.array([1, 1, 0.5, 0.5], np.float32)}, 18),
    "layernorm 17 no bias axis -1": ([N("LayerNormalization", ["x", "s"], ["y"], axis=-1, epsilon=1e-3)],
     {"x": x(2, 3, 4)}, {"s": x(4)}, 17),
    "layernorm 17 axis 1 mean invstd outs": ([N("LayerNormalization", ["x", "s", "b"], ["y", "m", "r"], axis=1)],
     {"x": x(2, 3, 4)}, {"s": x(3, 4), "b": x(3, 4)}, 17),
    "gelu 20 none": ([N("Gelu", ["x"], ["y"])], {"x": x(3, 4)}, None, 20),
    "gather elements negative": ([N("GatherElements", ["x", "i"], ["y"], axis=1)],
     {"x": x(3, 4)}, {"i": np.array([[0, -1], [2, 3], [-4, 1]], np.int64)}, 17),
    "scatter elements add": ([N("ScatterElements", ["x", "i", "u"], ["y"], axis=0, reduction="add")],
     {"x": x(3, 4), "u": x(2, 4)}, {"i": np.array([[0, 1, 2, 0], [0, 0, -1, 2]], np.int64)}, 18),
    "scatternd": ([N("ScatterND", ["x", "i", "u"], ["y"])],
     {"x": x(4, 3), "u": x(2, 3)}, {"i": np.array([[1], [3]], np.int64)}, 17),
    "scatternd add elems": ([N("ScatterND", ["x", "i", "u"], ["y"], reduction="add")],
     {"x": x(4, 3), "u": x(3)}, {"i": np.array([[1, 2], [1, 2], [0, 0]], np.int64)}, 18),
    "expand up": ([N("Expand", ["x", "s"], ["y"])], {"x": x(3, 1)}, {"s": i64(2, 1, 4)}, 17),
    "tile": ([N("Tile", ["x", "r"], ["y"])], {"x": x(2, 3)}, {"r": i64(2, 3)}, 17),
    "cumsum neg axis": ([N("CumSum", ["x", "a"], ["y"], reverse=1)],
     {"x": x(3, 4)}, {"a": np.array(-1, np.int32)}, 17),
    "reduce l2 13": ([N("ReduceL2", ["x"], ["y"], axes=[1], keepdims=0)], {"x": x(3, 4)}, None, 13),
    "reduce logsumexp 18": ([N("ReduceLogSumExp", ["x", "a"], ["y"])], {"x": x(3, 4)}, {"a": i64(-1)}, 18),
    "reduce logsumexp 13 all": ([N("ReduceLogSumExp", ["x"], ["y"], keepdims=0)], {"x": x(3, 4)}, None, 13),
    "reduce l2 18 noop": ([N("ReduceL2", ["x", "a"], ["y"], noop_with_empty_axes=1)],
     {"x": x(3, 4)}, {"a": np.zeros(0, np.int64)}, 18),
    "reduce sum 18 empty axes": ([N("ReduceSum", ["x"], ["y"], keepdims=1)], {"x": x(3, 4)}, None, 18),
    "trilu lower k": ([N("Trilu", ["x", "k"], ["y"], upper=0)], {"x": x(2, 3, 4)}, {"k": np.array(1, np.int64)}, 17),
    "range add": ([N("Range", ["s", "l", "d"], ["r"]), N("Cast", ["r"], ["rf"], to=F), N("Add", ["x", "rf"], ["y"])],
     {"x": x(3, 4)}, {"s": np.array(0, np.int64), "l": np.array(4, np.int64), "d": np.array(1, np.int64)}, 17),
    "range float": ([N("Range", ["s", "l", "d"], ["r"]), N("Mul", ["x", "r"], ["y"])],
     {"x": x(3, 5)}, {"s": np.array(0.5, np.float32), "l": np.array(3.0, np.float32), "d": np.array(0.5, np.float32)}, 17),
    "shape subgraph reshape": ([N("Shape", ["x"], ["s"]), N("Gather", ["s", "z"], ["b"], axis=0), N("Unsqueeze", ["b", "ax"], ["bu"]),
                                N("Concat", ["bu", "m1"], ["ns"], axis=0), N("Reshape", ["x", "ns"], ["y"])],
     {"x": x(2, 3, 4)},
                            {"z": np.array(0, np.int64), "ax": i64(0), "m1": i64(-1)}, 17),
    "shape slice constantofshape": ([N("Shape", ["x"], ["s"], start=1), N("ConstantOfShape", ["s"], ["c"], value=helper.make_tensor("v", F, [1], [2.0])),
                                  N("Mul", ["x", "c"], ["y"])], {"x": x(2, 3, 4)}, None, 17),
    "size": ([N("Size", ["x"], ["n"]), N("Cast", ["n"], ["nf"], to=F), N("Div", ["x", "nf"], ["y"])],
     {"x": x(2, 3)}, None, 17),
    "clip opset 6 attrs": ([N("Clip", ["x"], ["y"], min=-0.5, max=0.5)], {"x": x(3, 4)}, None, 6),
    "pad opset 2 attrs": ([N("Pad", ["x"], ["y"], pads=[0, 1, 0, 2], value=1.5)], {"x": x(3, 4)}, None, 2),
    "slice opset 1 attrs": ([N("Slice", ["x"], ["y"], starts=[1], ends=[3], axes=[1])], {"x": x(3, 4)}, None, 9),
    "split opset 11 attr": ([N("Split", ["x"], ["y", "z"], axis=1, split=[1, 3])], {"x": x(3, 4)}, None, 11),
    "split 18 num_outputs": ([N("Split", ["x"], ["y", "z"], axis=1, num_outputs=2)], {"x": x(3, 5)}, None, 18),
    "reducemean 11 attr": ([N("ReduceMean", ["x"], ["y"], axes=[0])], {"x": x(3, 4)}, None, 11),
    "squeeze 11 attr": ([N("Squeeze", ["x"], ["y"], axes=[1])], {"x": x(3, 1, 4)}, None, 11),
    "softmax opset 11 flatten": ([N("Softmax", ["x"], ["y"], axis=1)], {"x": x(2, 3, 4)}, None, 11),
    "upsample 9": ([N("Upsample", ["x", "s"], ["y"], mode="nearest")],
     {"x": x(1, 1, 2, 3)}, {"s": np.array([1, 1, 2, 2], np.float32)}, 9),
    "hardmax": ([N("Hardmax", ["x"], ["y"], axis=-1)], {"x": x(3, 4)}, None, 13),
    "lpnorm": ([N("LpNormalization", ["x"], ["y"], axis=-1, p=2)], {"x": x(3, 4)}, None, 13),
    "mvn": ([N("MeanVarianceNormalization", ["x"], ["y"], axes=[0, 2, 3])], {"x": x(2, 3, 2, 2)}, None, 13),
    "softplus": ([N("Softplus", ["x"], ["y"])], {"x": x(3, 4)}, None, 17),
    "erf pow sqrt": ([N("Erf", ["x"], ["e"]), N("Abs", ["x"], ["a"]), N("Sqrt", ["a"], ["s"]), N("Pow", ["s", "e"], ["y"])],
     {"x": x(3, 4)}, None, 17),
    "reciprocal neg sign": ([N("Reciprocal", ["x"], ["r"]), N("Neg", ["r"], ["n"]), N("Sign", ["x"], ["s"]), N("Mul", ["n", "s"], ["y"])],
     {"x": x(3, 4) + 3}, None, 17),
    "constant node": ([N("Constant", [], ["c"], value=helper.make_tensor("v", F, [4], [1, 2, 3, 4])), N("Add", ["x", "c"], ["y"])],
     {"x": x(3, 4)}, None, 17),
    "constant value_floats": ([N("Constant", [], ["c"], value_floats=[1.0, 2.0, 3.0, 4.0]), N("Mul", ["x", "c"], ["y"])],
     {"x": x(3, 4)}, None, 17),
    "bitshift where not": ([N("Greater", ["x", "z"], ["g"]), N("Not", ["g"], ["n"]), N("Where", ["n", "x", "z"], ["y"])],
     {"x": x(3, 4)}, {"z": np.zeros((), np.float32)}, 17),
    "gather 0d index": ([N("Gather", ["x", "i"], ["y"], axis=1)], {"x": x(3, 4)}, {"i": np.array(-1, np.int64)}, 17),
    "matmul 1d 1d": ([N("MatMul", ["a", "b"], ["y"])], {"a": x(4), "b": x(4)}, None, 17),
    "thresholded relu": ([N("ThresholdedRelu", ["x"], ["y"], alpha=0.3)], {"x": x(3, 4)}, None, 17),
    "global max pool": ([N("GlobalMaxPool", ["x"], ["y"])], {"x": x(2, 3, 4, 5)}, None, 17),
    "lrn": ([N("LRN", ["x"], ["y"], size=3)], {"x": x(1, 4, 3, 3)}, None, 17),
    "groupnorm 18": ([N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
     {"x": x(2, 4, 3)}, {"s": x(2), "b": x(2)}, 18),
    "groupnorm 21": ([N("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
     {"x": x(2, 4, 3)}, {"s": x(4), "b": x(4)}, 21),
    "gridsample bilinear zeros 16": ([N("GridSample", ["x", "g"], ["y"])], {"x": x(2, 2, 4, 5)},
                                     {"g": (np.tanh(x(2, 3, 3, 2)) * 1.2).astype(np.float32)}, 16),
    "gridsample linear border align 20": ([N("GridSample", ["x", "g"], ["y"], mode="linear", padding_mode="border",
                                            align_corners=1)], {"x": x(2, 2, 4, 5)},
                                          {"g": (np.tanh(x(2, 3, 3, 2)) * 1.2).astype(np.float32)}, 20),
    "gridsample nearest 16": ([N("GridSample", ["x", "g"], ["y"], mode="nearest")], {"x": x(1, 2, 4, 5)},
                              {"g": np.tanh(x(1, 3, 3, 2)).astype(np.float32)}, 16),
    "layernorm stash type": ([N("LayerNormalization", ["x", "s"], ["y"], axis=-1, stash_type=1)],
     {"x": x(2, 3, 4)}, {"s": x(4)}, 22),
}


def _scan_body():
    """An RNN step h' = tanh(h * w + x), reading the outer initializer w; outputs h' and 2 h'."""
    f = helper.make_tensor_value_info
    nodes = [N("Mul", ["h", "w"], ["hw"]), N("Add", ["hw", "xt"], ["a"]), N("Tanh", ["a"], ["h2"]),
             N("Add", ["h2", "h2"], ["y2"])]
    return helper.make_graph(nodes, "step", [f("h", F, [2, 3]), f("xt", F, [2, 3])],
                             [f("h2", F, [2, 3]), f("y2", F, [2, 3])])


def _scan_spec(ins, w):
    """The Scan above by the spec (onnx.reference runs forward directions only): inputs read along axis 1
    from the end; outputs stacked in step order, reversed, the scan axis placed at 2."""
    h, ys = ins["h0"], []
    for t in reversed(range(ins["xs"].shape[1])):
        h = np.tanh(h * w + ins["xs"][:, t])
        ys.append(2 * h)
    return [h, np.moveaxis(np.stack(ys)[::-1], 0, 2)]


CASES["scan rnn axes directions"] = (
    [N("Scan", ["h0", "xs"], ["hT", "y"], body=_scan_body(), num_scan_inputs=1, scan_input_axes=[1],
       scan_input_directions=[1], scan_output_axes=[2], scan_output_directions=[1])],
    {"h0": x(2, 3), "xs": x(2, 4, 3)}, {"w": x(2, 3)}, 16)
CASES["scan forward"] = ([N("Scan", ["h0", "xs"], ["hT", "y"], body=_scan_body(), num_scan_inputs=1)],
                         {"h0": x(2, 3), "xs": x(4, 2, 3)}, {"w": x(2, 3)}, 11)
SPEC["scan rnn axes directions"] = lambda ins: _scan_spec(ins, CASES["scan rnn axes directions"][2]["w"])

@pytest.mark.parametrize("name", list(CASES))
def test_helper_graph_forward_and_vjp(name):
    check_graph(name, *CASES[name], spec=SPEC.get(name))


def check_graph(name, nodes, ins, inits, opset, spec=None):
    """The graph's outputs (those of its last node) against onnx.reference (or `spec(ins)`), and the vjp of
    the first w.r.t. the first input against a central difference."""
    outs = tuple(nodes[-1].output)
    m = _model(nodes, ins, inits, outs, opset)
    g = _convert(m)
    got = evaluate(g, *ins.values())
    got = got if isinstance(got, tuple) else (got,)
    want = spec(ins) if spec is not None else ReferenceEvaluator(m).run(None, ins)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4, atol=1e-5, err_msg=name)

    check_vjp_against_central_difference(g, list(ins.values()), got, eps=1e-3)


def check_vjp_against_central_difference(g, xs, got, eps, arg: int = 0):
    """<J^T w, d> of the first output w.r.t. input `arg` against a central difference of <w, f>, step eps."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal(np.shape(got[0]))
    d = rng.standard_normal(np.shape(xs[arg]))

    def f(z):
        o = evaluate(g, *xs[:arg], np.asarray(z).astype(np.float32), *xs[arg + 1:])
        return float(np.sum(w * np.asarray(o[0] if isinstance(o, tuple) else o, np.float64)))

    fd = (f(xs[arg] + eps * d) - f(xs[arg] - eps * d)) / (2 * eps)
    cts = [w.astype(np.float32)] + [np.zeros(np.shape(o), np.asarray(o).dtype) for o in got[1:]]  # TopK's indices
    _, grads = evaluate(vjp(g), *xs, *cts)
    got_d = float(np.sum(np.asarray(grads[arg], np.float64) * d))
    assert np.isfinite(fd) and abs(got_d - fd) <= 2e-2 * max(1.0, abs(fd)), (got_d, fd)


def test_range_with_data_bounds_is_refused_naming_the_node():
    from engine.importers import UnsupportedModel

    m = _model([N("Range", ["s", "l", "d"], ["y"], name="r1")], {"s": x(), "l": x(), "d": x()}, None, ("y",), 17)
    with pytest.raises(UnsupportedModel, match=r"op Range \(node 'r1', opset 17\)"):
        _convert(m)
