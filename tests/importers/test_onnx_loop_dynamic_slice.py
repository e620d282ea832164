"""An ONNX Loop body slicing at its iteration number (x[i:i+1], as exporters write `x[i]` in a loop: starts
Unsqueeze(i), ends Unsqueeze(i + 1)) imports as the engine's dynamic_slice inside the scan; values and
derivatives against JAX's lax.scan of the same function. A run-time slice whose size is not static is refused,
naming the node."""
import numpy as np
import pytest
from onnx import TensorProto, helper

from engine.importers import UnsupportedModel, onnx_to_graph
from engine.serialize import graph_from_json
from importers.test_control_flow_import import (  # noqa: F401 - x64: the module's float64 fixture
    ENC, _const, _loss_tail, _model, _vi, _weights, check, jax, x64)

jnp, lax = jax.numpy, jax.lax
I64 = TensorProto.INT64


def sliced_loop_model(end_offset="one", start_shift=None, trips=3):
    """v = sum(x); for i in range(trips): v = sin(v) * W[i:i+1] + x[i:i+1] * x[i:i+1].  loss = sum(v^2).
    start_shift: a constant subtracted from i first (3: starts -3, -2, which ONNX counts from the end; two
    trips, as x[-1:0] would be empty)."""
    i_name = "i"
    pre = []
    if start_shift is not None:
        pre = [_const("shift", np.int64(start_shift)), helper.make_node("Sub", ["i", "shift"], ["i2"])]
        i_name = "i2"
    body = helper.make_graph(
        pre + [helper.make_node("Identity", ["cin"], ["cout"]), _const("ax", np.array([0], np.int64)),
               _const("one", np.int64(1)), _const("two", np.int64(2)),
               helper.make_node("Add", [i_name, end_offset], ["ip1"]),
               helper.make_node("Unsqueeze", [i_name, "ax"], ["st"]),
               helper.make_node("Unsqueeze", ["ip1", "ax"], ["en"]),
               helper.make_node("Slice", ["W", "st", "en", "ax"], ["wi"], name="slice_w"),
               helper.make_node("Slice", ["x", "st", "en", "ax"], ["xi"], name="slice_x"),
               helper.make_node("Sin", ["v"], ["s"]), helper.make_node("Mul", ["s", "wi"], ["sw"]),
               helper.make_node("Mul", ["xi", "xi"], ["xx"]), helper.make_node("Add", ["sw", "xx"], ["vo"])],
        "body", [_vi("i", [], I64), _vi("cin", [], TensorProto.BOOL), _vi("v", [1])],
        [_vi("cout", [], TensorProto.BOOL), _vi("vo", [1])])
    nodes = [_const("M", np.int64(trips)), helper.make_node("ReduceSum", ["x"], ["v0"], keepdims=1),
             helper.make_node("Loop", ["M", "", "v0"], ["vf"], body=body, name="loop0"), *_loss_tail("vf")]
    return _model(nodes, [_vi("x", [3])], [_vi("loss", [])], _weights())


def _ref(shift, trips):
    def ref(x, w):
        def step(v, i):
            j = (i - shift) % 3
            wi, xi = lax.dynamic_slice(w, (j,), (1,)), lax.dynamic_slice(x, (j,), (1,))
            return jnp.sin(v) * wi + xi * xi, None
        return jnp.sum(lax.scan(step, jnp.sum(x, keepdims=True), jnp.arange(trips))[0] ** 2)
    return ref


@pytest.mark.parametrize("shift,trips", [(None, 3), (3, 2)])
def test_slice_at_the_iteration_number_imports_as_dynamic_slice(shift, trips):
    doc = onnx_to_graph(sliced_loop_model(start_shift=shift, trips=trips), encode=ENC)
    body_ops = [n["op"] for f in doc["functions"].values() for n in f["nodes"]]
    assert body_ops.count("dynamic_slice") == 2
    check(graph_from_json(doc), _ref(shift or 0, trips), np.array([0.3, -0.5, 0.9]))


def test_run_time_slice_of_no_static_size_is_refused_naming_the_node():
    with pytest.raises(UnsupportedModel, match=r"Slice node 'slice_w'.*not the starts plus a constant"):
        onnx_to_graph(sliced_loop_model(end_offset="i"), encode=ENC)
