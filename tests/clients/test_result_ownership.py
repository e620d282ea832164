"""The one ownership rule of the arrays a call returns (gradserve._client.Result), on each path a response
takes: shared-memory views, views on one copy of a small binary response, fresh arrays of a large binary
or a JSON one. Against the real server: writable, untouched by later calls, not overlapping each other."""
from __future__ import annotations

import numpy as np
import pytest

import gradserve as gs
from engine import GraphBuilder
from engine.serialize import graph_to_json

F32 = np.float32


def _graph(n: int) -> dict:
    """sum(x*y) of two n-vectors: its gradients are (y, x)."""
    gb = GraphBuilder("dot")
    x, y = gb.input((n,), name="x"), gb.input((n,), name="y")
    return graph_to_json(gb.build(gb.sum(gb.mul(x, y))))


PATHS = {  # (vector length, client options, what the arrays' memory is): which way the outputs come back
    "json": (8, {"binary_threshold": None, "shared_memory": False}, "ndarray"),
    "small binary": (1024, {"shared_memory": False}, "bytearray"),  # 4 KB each: views on one copy of the body
    "large binary": (40_000, {"shared_memory": False}, "ndarray"),  # 160 KB each: an array per output
    "shared memory": (40_000, {}, "mmap"),  # views on the output region
}


def _memory(a: np.ndarray) -> str:
    """The type of the object at the end of an array's base chain (what holds its bytes)."""
    b: object = a
    while True:
        nxt = b.base if isinstance(b, np.ndarray) else b.obj if isinstance(b, memoryview) else None
        if nxt is None:
            return type(b).__name__
        b = nxt


@pytest.mark.parametrize("path", list(PATHS))
def test_results_are_the_callers_own(real_server, path):
    n, opts, memory = PATHS[path]
    g = _graph(n)
    rng = np.random.default_rng(1)
    with gs.Client(real_server.url, **opts) as c:
        x, y = rng.standard_normal(n).astype(F32), rng.standard_normal(n).astype(F32)
        gx, gy = c.grad(g, [x, y], grad_position=(0, 1)).outputs
        np.testing.assert_array_equal(gx, y)
        np.testing.assert_array_equal(gy, x)
        assert _memory(gx) == memory and _memory(gy) == memory  # (the path this case is about)
        kept = gx.copy(), gy.copy()
        for _ in range(3):  # later calls with other inputs leave the first results alone
            c.grad(g, [-y, 2 * x], grad_position=(0, 1))
        np.testing.assert_array_equal(gx, kept[0])
        np.testing.assert_array_equal(gy, kept[1])
        assert gx.flags.writeable and gy.flags.writeable
        gx[:] = 7.0  # one output written: the other is not
        np.testing.assert_array_equal(gy, kept[1])
        assert not np.shares_memory(gx, gy)


def _binary_response(outputs: list, tail: bytes) -> tuple[bytes, str]:
    import json

    head = json.dumps({"outputs": outputs}).encode()
    return head + tail, str(len(head))


def test_small_binary_views_decode_each_output_in_place():
    from gradserve._wire import decode_response

    a, b = np.arange(6, dtype=F32).reshape(2, 3), np.arange(4, dtype=np.int64)
    body, hl = _binary_response([{"shape": [2, 3], "datatype": "FP32", "parameters": {"binary_data_size": 24}},
                                 {"shape": [4], "datatype": "INT64", "parameters": {"binary_data_size": 32}}],
                                a.tobytes() + b.tobytes())
    ga, gb = (t["array"] for t in decode_response(body, hl)["outputs"])
    np.testing.assert_array_equal(ga, a)
    np.testing.assert_array_equal(gb, b)
    assert ga.dtype == F32 and gb.dtype == np.int64 and _memory(ga) == "bytearray"


@pytest.mark.parametrize("shape", [[2, 2], [5], [-2, -3], [2, 3, 2]])
def test_a_shape_that_disagrees_with_the_bytes_is_an_error(shape):
    from gradserve._wire import decode_response

    body, hl = _binary_response([{"shape": shape, "datatype": "FP32", "parameters": {"binary_data_size": 24}}],
                                np.zeros(6, F32).tobytes())
    with pytest.raises((ValueError, TypeError)):
        decode_response(body, hl)
