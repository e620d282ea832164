"""ONNX LSTM / GRU / RNN sequence_lens (what torch.onnx writes for nn.utils.rnn.pack_padded_sequence):
constant lengths import (the sweep's lstm_packed_padded_sequences / gru_bidirectional_packed_sequences
check them against torch.autograd); lengths computed at run time, or outside [0, seq], are refused
naming the node."""
import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import gradserve as gs
from gradserve.importers import UnsupportedModel


def _rnn_model(lens_const):
    """RNN over x [4, 2, 3] (seq, batch, in), hidden 2; lengths an initializer or a graph input."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((1, 2, 3)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.standard_normal((1, 2, 2)).astype(np.float32), "R")]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2, 3])]
    if lens_const is None:
        inputs.append(helper.make_tensor_value_info("lens", TensorProto.INT32, [2]))
    else:
        inits.append(numpy_helper.from_array(np.asarray(lens_const, np.int32), "lens"))
    node = helper.make_node("RNN", ["x", "W", "R", "", "lens"], ["y", "h"], hidden_size=2, name="rnn0")
    g = helper.make_graph([node], "g", inputs, [helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 2, 2])],
                          inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])


def _reference(x, w, r, lens):
    """By hand: h_t = tanh(x_t W^T + h R^T) for t < len, carried past it."""
    h = np.zeros((x.shape[1], 2), np.float32)
    for t in range(x.shape[0]):
        new = np.tanh(x[t] @ w.T + h @ r.T)
        h = np.where((t < np.asarray(lens))[:, None], new, h)
    return h


def test_constant_lengths_carry_the_state(fake):
    from gradserve import Tensor

    model = _rnn_model([4, 2])
    net = gs.from_onnx(model)
    x = np.random.default_rng(1).standard_normal((4, 2, 3)).astype(np.float32)
    w, r = (numpy_helper.to_array(i) for i in model.graph.initializer[:2])
    np.testing.assert_allclose(net(Tensor(x)).asnumpy()[0], _reference(x, w[0], r[0], [4, 2]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lens,why", [(None, r"input 'lens' must be a constant here"),
                                      ([5, 1], r"sequence_lens \[5, 1\]: not one length in \[0, 4\]")])
def test_lengths_not_usable_are_refused_naming_the_node(lens, why):
    with pytest.raises(UnsupportedModel, match=rf"op RNN \(node 'rnn0', opset 14\).*{why}") as e:
        gs.from_onnx(_rnn_model(lens).SerializeToString())
    assert (e.value.op, e.value.node) == ("RNN", "rnn0")
