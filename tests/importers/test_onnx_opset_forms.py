"""Round 4 of the ONNX sweep: graphs with the opset 13-21 ops and op forms torch.onnx exports emit that
rounds 1-3 left out (Col2Im, Pad wrap, pads computed from constants, ScatterElements max / min / mul,
If on a static condition, EyeLike, ...). Forward against onnx.reference, the vjp of the first output
w.r.t. the first input against a central finite difference (test_onnx_helper_graphs' check)."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from .test_onnx_helper_graphs import _convert, _model, check_graph, i64, x

N = helper.make_node
F = TensorProto.FLOAT


def _branch(name, nodes, out, shape):
    return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(out, F, shape)])


def _computed_pads():
    """The TorchScript exporter's reflect pad: [lo_last, hi_last, lo_first, hi_first] reordered to ONNX's
    [lo..., hi...] by Reshape / Slice (step -1) / Transpose / Reshape / Cast of constants."""
    return [N("Constant", [], ["p"], value=helper.make_tensor("p", TensorProto.INT64, [4], [1, 2, 2, 0])),
            N("Constant", [], ["z"], value=helper.make_tensor("z", TensorProto.INT64, [4], [0, 0, 0, 0])),
            N("Concat", ["p", "z"], ["pz"], axis=0),
            N("Constant", [], ["sh"], value=helper.make_tensor("sh", TensorProto.INT64, [2], [-1, 2])),
            N("Reshape", ["pz", "sh"], ["r"]),
            N("Constant", [], ["st"], value=helper.make_tensor("st", TensorProto.INT64, [1], [-1])),
            N("Constant", [], ["en"], value=helper.make_tensor("en", TensorProto.INT64, [1], [-(2 ** 62)])),
            N("Constant", [], ["ax"], value=helper.make_tensor("ax", TensorProto.INT64, [1], [0])),
            N("Slice", ["r", "st", "en", "ax", "st"], ["rs"]), N("Transpose", ["rs"], ["rt"], perm=[1, 0]),
            N("Constant", [], ["fl"], value=helper.make_tensor("fl", TensorProto.INT64, [1], [-1])),
            N("Reshape", ["rt", "fl"], ["rf"]), N("Cast", ["rf"], ["pads"], to=TensorProto.INT64),
            N("Pad", ["x", "pads"], ["y"], mode="reflect")]


def _static_if():
    """If on Equal(Size(Shape(x)), 4) (a rank test): the branch taken returns x's shape, the other another."""
    then = _branch("then", [N("Neg", ["x"], ["t"])], "t", [1, 2, 3, 4])
    other = _branch("else", [N("Unsqueeze", ["x", "zero"], ["e"])], "e", [1, 1, 2, 3, 4])
    return [N("Shape", ["x"], ["s"]), N("Size", ["s"], ["r"]), N("Equal", ["r", "four"], ["c"]),
            N("If", ["c"], ["y"], then_branch=then, else_branch=other)]


CASES = {
    "col2im 18 (nn.Fold)": ([N("Col2Im", ["x", "img", "blk"], ["y"], strides=[1, 2], pads=[1, 0, 1, 1],
                              dilations=[1, 1])], {"x": x(2, 6, 12)}, {"img": i64(4, 5), "blk": i64(1, 3)}, 18),
    "col2im dilated": ([N("Col2Im", ["x", "img", "blk"], ["y"], dilations=[2, 1])],
                       {"x": x(1, 4, 6)}, {"img": i64(4, 4), "blk": i64(2, 2)}, 18),
    "pad wrap 19": ([N("Pad", ["x", "p"], ["y"], mode="wrap")], {"x": x(2, 3, 4)}, {"p": i64(0, 1, 2, 0, 2, 1)}, 19),
    "pad wrap axes 19": ([N("Pad", ["x", "p", "", "a"], ["y"], mode="wrap")], {"x": x(2, 3, 4)},
                         {"p": i64(2, 3), "a": i64(-1)}, 19),
    "pad pads computed from constants": (_computed_pads(), {"x": x(1, 2, 4, 5)}, None, 17),
    "scatter elements max 18": ([N("ScatterElements", ["x", "i", "u"], ["y"], axis=1, reduction="max")],
                                {"x": x(3, 4), "u": x(3, 4)},
                                {"i": np.array([[0, 2, 1, 0], [3, 3, 0, 1], [1, 0, 2, 2]], np.int64)}, 18),
    "scatter elements min 18": ([N("ScatterElements", ["x", "i", "u"], ["y"], axis=0, reduction="min")],
                                {"x": x(3, 2), "u": x(4, 2)}, {"i": np.array([[0, 2], [1, 0], [0, -1], [2, 2]], np.int64)},
                                18),
    "scatter elements mul 16": ([N("ScatterElements", ["x", "i", "u"], ["y"], axis=1, reduction="mul")],
                                {"x": x(2, 5), "u": x(2, 3)}, {"i": np.array([[4, 0, 4], [1, 1, 2]], np.int64)}, 16),
    "if on a static condition": (_static_if(), {"x": x(1, 2, 3, 4)},
                                 {"four": np.array(4, np.int64), "zero": i64(0)}, 17),
    "eyelike k": ([N("EyeLike", ["x"], ["e"], k=1), N("Mul", ["x", "e"], ["y"])], {"x": x(3, 4)}, None, 17),
    "layernorm 17 axis -2 two axes": ([N("LayerNormalization", ["x", "s", "b"], ["y"], axis=-2, epsilon=1e-4)],
                                      {"x": x(2, 3, 4)}, {"s": x(3, 4), "b": x(3, 4)}, 17),
    "einsum batched attention value": ([N("Einsum", ["p", "v"], ["y"], equation="bhqk,bhkd->bqhd")],
                                       {"p": x(2, 2, 3, 4), "v": x(2, 2, 4, 5)}, None, 17),
    "gather elements 3d axis 0": ([N("GatherElements", ["x", "i"], ["y"], axis=0)], {"x": x(3, 2, 4)},
                                  {"i": np.array([[[2, 0, 1, 1], [0, 0, 2, 1]]], np.int64)}, 13),
    "scatternd slices": ([N("ScatterND", ["x", "i", "u"], ["y"])], {"x": x(4, 2, 3), "u": x(2, 2, 3)},
                         {"i": np.array([[3], [0]], np.int64)}, 16),
    "resize trilinear asymmetric": ([N("Resize", ["x", "", "s"], ["y"], mode="linear",
                                       coordinate_transformation_mode="asymmetric")],
                                    {"x": x(1, 1, 2, 3, 2)}, {"s": np.array([1, 1, 2, 1.5, 2], np.float32)}, 18),
    "resize nearest round_prefer_ceil": ([N("Resize", ["x", "", "", "sz"], ["y"], mode="nearest",
                                            nearest_mode="round_prefer_ceil")],
                                         {"x": x(1, 2, 3, 5)}, {"sz": i64(1, 2, 5, 7)}, 13),
    "cumsum exclusive forward 14": ([N("CumSum", ["x", "a"], ["y"], exclusive=1)], {"x": x(2, 5)},
                                    {"a": np.array(1, np.int64)}, 14),
    "clip constant min above max": ([N("Clip", ["x", "lo", "hi"], ["y"])], {"x": x(3, 4)},
                                    {"lo": np.array(0.5, np.float32), "hi": np.array(-0.5, np.float32)}, 13),
    "lppool p3 strided pads": ([N("LpPool", ["x"], ["y"], kernel_shape=[2, 3], strides=[2, 1], pads=[1, 0, 0, 1], p=3)],
                               {"x": x(1, 2, 5, 4) + 3}, None, 18),
    "lppool p2 dilated pads": ([N("LpPool", ["x"], ["y"], kernel_shape=[2, 2], dilations=[2, 1], strides=[1, 2],
                                  pads=[1, 1, 0, 1])], {"x": x(1, 2, 6, 5)}, None, 18),
    "global lp pool p3": ([N("GlobalLpPool", ["x"], ["y"], p=3)], {"x": x(1, 2, 3, 4)}, None, 18),
    "trilu upper negative k batched": ([N("Trilu", ["x", "k"], ["y"])], {"x": x(2, 4, 3)},
                                       {"k": np.array(-1, np.int64)}, 14),
    "mish 18 hardswish 14": ([N("Mish", ["x"], ["m"]), N("HardSwish", ["m"], ["y"])], {"x": x(3, 4) * 3}, None, 18),
    "gelu 20 tanh": ([N("Gelu", ["x"], ["y"], approximate="tanh")], {"x": x(3, 4)}, None, 20),
    "depth to space dcr space to depth": ([N("DepthToSpace", ["x"], ["d"], blocksize=2, mode="DCR"),
                                           N("SpaceToDepth", ["d"], ["y"], blocksize=2)], {"x": x(1, 8, 2, 3)}, None, 13),
    "reduce max prod 18 axes": ([N("ReduceMax", ["x", "a"], ["m"], keepdims=0), N("ReduceProd", ["x", "a"], ["p"],
                                                                                     keepdims=0),
                                 N("Add", ["m", "p"], ["y"])], {"x": x(3, 4, 2)}, {"a": i64(1)}, 18),
    "log softmax 13 axis 0": ([N("LogSoftmax", ["x"], ["y"], axis=0)], {"x": x(3, 4)}, None, 13),
    "sum max variadic": ([N("Sum", ["x", "a", "b"], ["s"]), N("Max", ["x", "a", "b"], ["m"]), N("Mul", ["s", "m"], ["y"])],
                         {"x": x(3, 4)}, {"a": x(4), "b": x(3, 1)}, 13),
    "topk smallest 11": ([N("TopK", ["x", "k"], ["y", "i"], axis=0, largest=0)], {"x": x(5, 3)}, {"k": i64(2)}, 11),
}


# onnx.reference has no GlobalLpPool: the spec's formula, (sum over the spatial axes of |x|^p)^(1/p)
SPEC = {"global lp pool p3": lambda ins: [(np.abs(ins["x"].astype(np.float64)) ** 3).sum((2, 3), keepdims=True)
                                          ** (1 / 3)]}


@pytest.mark.parametrize("name", list(CASES))
def test_opset_form_graph_forward_and_vjp(name):
    check_graph(name, *CASES[name], spec=SPEC.get(name))


def test_a_dynamic_if_with_unequal_branches_is_still_refused():
    from engine.importers import UnsupportedModel

    nodes = _static_if()
    nodes[2] = N("Greater", ["xs", "zf"], ["c"])
    nodes.insert(0, N("ReduceSum", ["x"], ["xs"], keepdims=0))
    m = _model(nodes, {"x": x(1, 2, 3, 4)}, {"four": np.array(4, np.int64), "zero": i64(0),
                                            "zf": np.array(0, np.float32)}, ("y",), 17)
    with pytest.raises(UnsupportedModel, match="branches of a gradserve cond must return the same shapes"):
        _convert(m)
