"""Round 5 of the ONNX sweep: sequences (SequenceConstruct / At / Insert / Erase / Length, SplitToSequence,
ConcatFromSequence) with static positions, MaxPool's indices output, and graphs of the kinds users export
(attention with a mask, a GRU-like gated step, a flow's coupling, scatter message passing). Forward against
onnx.reference, the vjp of the first output w.r.t. the first input against a central finite difference
(test_onnx_helper_graphs' check)."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from .test_onnx_helper_graphs import _convert, _model, check_graph, i64, x

N = helper.make_node


def _seq_round_trip():
    """Split into a sequence, reorder it (insert at the front, erase the middle), read one back, concat."""
    return [N("SplitToSequence", ["x", "sp"], ["s"], axis=1), N("SequenceAt", ["s", "m1"], ["last"]),
            N("Tanh", ["last"], ["t"]), N("SequenceInsert", ["s", "t", "zero"], ["s2"]),
            N("SequenceErase", ["s2", "one"], ["s3"]), N("SequenceLength", ["s3"], ["n"]),
            N("Cast", ["n"], ["nf"], to=TensorProto.FLOAT), N("ConcatFromSequence", ["s3"], ["c"], axis=1),
            N("Mul", ["c", "nf"], ["y"])]


def _seq_stack():
    """SequenceConstruct of three tensors, stacked on a new axis; SplitToSequence without split (keepdims 0)."""
    return [N("Sin", ["x"], ["a"]), N("Mul", ["x", "x"], ["b"]), N("SequenceConstruct", ["x", "a", "b"], ["s"]),
            N("ConcatFromSequence", ["s"], ["st"], axis=-1, new_axis=1),
            N("SplitToSequence", ["st"], ["pieces"], axis=0, keepdims=0), N("SequenceAt", ["pieces", "one"], ["y"])]


def _seq_empty_insert():
    """SequenceEmpty, inserts at the end and at a negative position, then a scalar split size (chunks of 2)."""
    return [N("SequenceEmpty", [], ["e"], dtype=TensorProto.FLOAT), N("SequenceInsert", ["e", "x"], ["s1"]),
            N("Exp", ["x"], ["ex"]), N("SequenceInsert", ["s1", "ex", "m1"], ["s2"]),
            N("ConcatFromSequence", ["s2"], ["c"], axis=0),
            N("SplitToSequence", ["c", "two"], ["ch"], axis=1), N("SequenceAt", ["ch", "m1"], ["y"])]


def _masked_attention():
    """softmax(q k^T / sqrt(d) + mask) v, the mask -inf-like on padded keys (what attention exports carry)."""
    return [N("Transpose", ["k"], ["kt"], perm=[0, 2, 1]), N("MatMul", ["q", "kt"], ["s"]),
            N("Div", ["s", "sd"], ["ss"]), N("Add", ["ss", "mask"], ["sm"]), N("Softmax", ["sm"], ["p"], axis=-1),
            N("MatMul", ["p", "v"], ["y"])]


def _gru_like_step():
    """One gated update h' = (1 - z) h + z tanh(W x + r * (U h)) with z, r sigmoid gates (a GRU cell by hand)."""
    return [N("MatMul", ["x", "wz"], ["zx"]), N("MatMul", ["h", "uz"], ["zh"]), N("Add", ["zx", "zh"], ["za"]),
            N("Sigmoid", ["za"], ["z"]), N("MatMul", ["x", "wr"], ["rx"]), N("MatMul", ["h", "ur"], ["rh"]),
            N("Add", ["rx", "rh"], ["ra"]), N("Sigmoid", ["ra"], ["r"]), N("MatMul", ["h", "un"], ["nh"]),
            N("Mul", ["r", "nh"], ["rn"]), N("MatMul", ["x", "wn"], ["nx"]), N("Add", ["nx", "rn"], ["na"]),
            N("Tanh", ["na"], ["n"]), N("Sub", ["n", "h"], ["d"]), N("Mul", ["z", "d"], ["zd"]),
            N("Add", ["h", "zd"], ["y"])]


def _affine_coupling():
    """A RealNVP coupling: split x in halves, y2 = x2 * exp(s(x1)) + t(x1), the log-determinant sum(s)."""
    return [N("Split", ["x", "halves"], ["x1", "x2"], axis=1), N("MatMul", ["x1", "ws"], ["sa"]),
            N("Tanh", ["sa"], ["s"]), N("MatMul", ["x1", "wt"], ["t"]), N("Exp", ["s"], ["es"]),
            N("Mul", ["x2", "es"], ["m"]), N("Add", ["m", "t"], ["y2"]), N("Concat", ["x1", "y2"], ["y"], axis=1)]


def _message_passing():
    """Graph net: gather sender features, transform, ScatterElements-add them onto receivers (index_add)."""
    return [N("Gather", ["x", "snd"], ["xs"], axis=0), N("MatMul", ["xs", "wm"], ["msg"]), N("Relu", ["msg"], ["rm"]),
            N("ScatterElements", ["zeros", "rcv", "rm"], ["agg"], axis=0, reduction="add"),
            N("Add", ["x", "agg"], ["y"])]


def _torch_pool3d(ins):
    """PyTorch's max_pool3d (stride 1, ONNX's default), its per-plane indices made flat over N, C as ONNX's:
    onnx.reference's 3-d MaxPool indices are not ONNX's (they disagree with PyTorch and the operator's text)."""
    import torch

    y, i = torch.nn.functional.max_pool3d(torch.from_numpy(ins["x"]), 2, stride=1, return_indices=True)
    plane = int(np.prod(ins["x"].shape[2:]))
    return [y.numpy(), (i + torch.arange(i.shape[0] * i.shape[1]).reshape(i.shape[:2] + (1, 1, 1)) * plane).numpy()]


_SND = np.array([0, 1, 2, 3, 1], np.int64)
_RCV = np.broadcast_to(np.array([1, 2, 0, 0, 3], np.int64)[:, None], (5, 3)).copy()
CASES = {
    "sequence split insert erase concat": (_seq_round_trip(), {"x": x(2, 5, 3)},
                                           {"sp": i64(2, 1, 2), "m1": np.array(-1, np.int64),
                                            "zero": np.array(0, np.int64), "one": np.array(1, np.int64)}, 17),
    "sequence construct stack split keepdims 0": (_seq_stack(), {"x": x(2, 3)}, {"one": np.array(1, np.int64)}, 17),
    "sequence empty insert chunks": (_seq_empty_insert(), {"x": x(2, 5)},
                                     {"m1": np.array(-1, np.int64), "two": np.array(2, np.int64)}, 17),
    "maxpool indices padded strided": ([N("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 3], strides=[2, 2],
                                          pads=[1, 1, 1, 1])], {"x": x(2, 3, 5, 6)}, None, 13),
    "maxpool indices dilated ceil 1d": ([N("MaxPool", ["x"], ["y", "i"], kernel_shape=[2], strides=[2],
                                           dilations=[2], ceil_mode=1)], {"x": x(2, 2, 8)}, None, 13),
    "maxpool indices 3d": ([N("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2, 2])], {"x": x(1, 2, 4, 4, 2)}, None,
                           12, _torch_pool3d),
    "attention with additive mask": (_masked_attention(), {"q": x(2, 3, 4), "k": x(2, 5, 4), "v": x(2, 5, 4)},
                                     {"sd": np.array(2.0, np.float32),
                                      "mask": np.where(np.arange(5) < 4, 0.0, -1e9).astype(np.float32)}, 17),
    "gru-like gated step": (_gru_like_step(), {"x": x(2, 3), "h": x(2, 4)},
                            {k: x(3 if k[0] == "w" else 4, 4) * 0.5 for k in ("wz", "uz", "wr", "ur", "wn", "un")}, 17),
    "affine coupling flow": (_affine_coupling(), {"x": x(3, 4)}, {"halves": i64(2, 2), "ws": x(2, 2), "wt": x(2, 2)},
                             13),
    "message passing scatter add": (_message_passing(), {"x": x(4, 3)},
                                    {"snd": _SND, "rcv": _RCV, "wm": x(3, 3), "zeros": np.zeros((4, 3), np.float32)},
                                    16),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_and_model_graph_forward_and_vjp(name):
    check_graph(name, *CASES[name])


@pytest.mark.parametrize("nodes,inits,match", [
    ([N("SplitToSequence", ["x"], ["y"], axis=0)], None, "'y' is a sequence"),  # a sequence as the model's output
    ([N("SplitToSequence", ["x"], ["s"], axis=0), N("SequenceAt", ["s", "p"], ["y"])], "dynamic",
     r"op SequenceAt .*input 'p' must be a constant"),
    ([N("SplitToSequence", ["x"], ["s"], axis=0), N("SequenceAt", ["s", "p"], ["y"])], {"p": np.array(5, np.int64)},
     r"op SequenceAt .*position 5 is outside a sequence of 3 tensors"),
    ([N("SequenceEmpty", [], ["s"]), N("ConcatFromSequence", ["s"], ["y"], axis=0)], None,
     r"op ConcatFromSequence .*empty sequence"),
])
def test_sequences_out_of_reach_are_refused_naming_op_and_node(nodes, inits, match):
    from engine.importers import UnsupportedModel

    ins = {"x": x(3, 2)}
    if inits == "dynamic":
        ins, inits = {"x": x(3, 2), "p": np.array(1, np.int64)}, None
    with pytest.raises(UnsupportedModel, match=match):
        _convert(_model(nodes, ins, inits, ("y",), 17))
