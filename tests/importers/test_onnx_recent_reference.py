"""The ONNX ops of onnx_recent.py against onnx's own reference implementation (onnx.reference) on what the torch
tests leave out: every LinearAttention update rule (decay per head and per key dim), ReverseSequence with the
batch axis first, Compress on each axis, circular TensorScatter on a rank-3 cache, CausalConvWithState without
a past state."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto as T, helper, numpy_helper

import gradserve as gs
from gradserve import Tensor

reference = pytest.importorskip("onnx.reference")
N = helper.make_node
R = np.random.default_rng(5)


def rand(*shape):
    return R.standard_normal(shape).astype(np.float32)


def assert_matches_reference(nodes, feeds, outputs, inits=(), opset=28, rtol=1e-5):
    ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
           for n, a in feeds.items()]
    outs = [helper.make_tensor_value_info(n, T.FLOAT, None) for n in outputs]
    g = helper.make_graph(nodes, "g", ins, outs, [numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    want = reference.ReferenceEvaluator(model).run(None, feeds)
    got = gs.from_onnx(model.SerializeToString())(*[Tensor(a) for a in feeds.values()])
    got = got if isinstance(got, (tuple, list)) else (got,)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.asnumpy(), b, rtol=rtol, atol=1e-5)


B, STEPS, HQ, HKV, DK, DV = 2, 3, 4, 2, 3, 5


@pytest.mark.parametrize("rule,decay_width", [("linear", 0), ("gated", 1), ("gated", DK), ("delta", 0),
                                              ("gated_delta", DK)])
def test_linear_attention_rules_match_reference(fake, rule, decay_width):
    feeds = {"q": rand(B, STEPS, HQ * DK), "k": rand(B, STEPS, HKV * DK), "v": rand(B, STEPS, HKV * DV),
             "s": rand(B, HKV, DK, DV)}
    names = ["q", "k", "v", "s", "", ""]
    if decay_width:
        feeds["d"], names[4] = -np.abs(rand(B, STEPS, HKV * decay_width)), "d"
    if "delta" in rule:
        feeds["be"], names[5] = np.abs(rand(B, STEPS, HKV)), "be"
    while not names[-1]:  # (absent optional inputs at the end are left out, inside they are "")
        names.pop()
    node = N("LinearAttention", names, ["y", "ps"], update_rule=rule, q_num_heads=HQ, kv_num_heads=HKV)
    assert_matches_reference([node], feeds, ["y", "ps"], opset=27, rtol=1e-4)


@pytest.mark.parametrize("batch_axis,time_axis,lens", [(0, 1, [5, 1, 3]), (1, 0, [4, 2, 0])])
def test_reverse_sequence_matches_reference(fake, batch_axis, time_axis, lens):
    shape = (3, 5, 2) if batch_axis == 0 else (4, 3)
    node = N("ReverseSequence", ["x", "l"], ["y"], batch_axis=batch_axis, time_axis=time_axis)
    assert_matches_reference([node], {"x": rand(*shape), "l": np.array(lens, np.int64)}, ["y"])


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_compress_matches_reference(fake, axis):
    node = N("Compress", ["x", "c"], ["y"], **({} if axis is None else {"axis": axis}))
    assert_matches_reference([node], {"x": rand(3, 4)}, ["y"], [("c", np.array([0, 1, 1], bool))])


def test_circular_tensor_scatter_on_a_rank_3_cache_matches_reference(fake):
    node = N("TensorScatter", ["p", "u", "w"], ["y"], axis=1, mode="circular")
    assert_matches_reference([node], {"p": rand(2, 6, 4), "u": rand(2, 3, 4), "w": np.array([0, 5], np.int64)},
                             ["y"], opset=24)


@pytest.mark.parametrize("activation", ["none", "silu"])
def test_causal_conv_with_state_without_past_matches_reference(fake, activation):
    node = N("CausalConvWithState", ["x", "w", "b"], ["y", "ps"], activation=activation)
    assert_matches_reference([node], {"x": rand(2, 3, 5), "w": rand(3, 1, 4), "b": rand(3)}, ["y", "ps"], opset=27)
