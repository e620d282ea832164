"""Derivation and its caches, without a server: errors name the caller's paths, sizes are bounded before
anything runs, caches are bounded by bytes."""
from __future__ import annotations

import numpy as np
import pytest

from engine import GraphBuilder
from service.derivation import Deriver, _caller_paths, check_sizes
from service.errors import InvalidRequest, LimitExceeded
from service.registry import LRU


def _net():
    gb = GraphBuilder("n")
    x = gb.input((3,), name="x")
    return gb.build(gb.sum(gb.mul(x, x)))


def test_an_error_inside_a_derived_function_names_the_callers_graph():
    g = _net()
    e = InvalidRequest("integer input to sin (node 2:sin, at $.functions.grad_grad_g_0.nodes[2])",
                       code="differentiation_error", path="$.functions.grad_grad_g_0.nodes[2]", node="2:sin")
    out = _caller_paths(e, g, "grad")
    assert out.detail["path"] == "$.graph" and "node" not in out.detail
    assert "grad_grad_g_0" not in out.message and out.message.endswith("(in the grad of $.graph)")


def test_an_error_in_the_callers_own_function_keeps_its_path():
    g = _net()
    g.functions = {"g": _net()}
    e = InvalidRequest("bad", path="$.functions.g.nodes[0]")
    assert _caller_paths(e, g, "grad").detail["path"] == "$.functions.g.nodes[0]"


def test_tensors_above_max_elements_are_refused_before_running():
    gb = GraphBuilder("t")
    x = gb.input((3,), name="x")
    g = gb.build(gb.sum(gb.tile(x, reps=[10 ** 9])))
    with pytest.raises(LimitExceeded) as e:
        check_sizes(g, 1 << 20)
    assert e.value.detail["limit"] == "max_elements" and e.value.detail["op"] == "tile"


def test_jacobian_of_no_output_is_a_client_error():
    gb = GraphBuilder("e")
    gb.input((3,), name="x")
    d = Deriver(4, 10 ** 6, 1 << 20, 16)
    g = _net()
    g.outputs = ()
    with pytest.raises(InvalidRequest):
        d.derive("jacobian", "gid", g, {"positions": None, "mode": None})


def test_derived_cache_is_bounded_in_bytes():
    d = Deriver(4, 10 ** 6, 1, 16)  # one byte: nothing fits, nothing is kept
    d.derive("grad", "gid", _net(), {"grad_position": 0, "sens": False})
    assert len(d.cache) == 0 and d.cache.nbytes == 0


def test_lru_evicts_by_bytes_and_refuses_what_cannot_fit():
    c = LRU(100, 10)
    for i in range(5):
        c.put(i, str(i), 30)
    assert c.nbytes <= 100 and list(c.d) == [2, 3, 4]
    c.put("huge", "x", 1000)
    assert c.get("huge") is None and c.nbytes <= 100 and c.get(4) == "4"
    np.testing.assert_equal(len(c), 3)


def _two_inputs():
    gb = GraphBuilder("n")
    x, y = gb.input((2,), name="x"), gb.input((2,), name="y")
    return gb.build((gb.mul(x, y), gb.sin(x)))


@pytest.mark.parametrize("kind,spec,names,labels", [
    ("eval", {}, ["out0", "out1"], ["inputs[0]", "inputs[1]"]),
    ("grad", {"grad_position": (0, 1), "sens": True}, ["d/dx", "d/dy"],
     ["inputs[0]", "inputs[1]", "sens[0]", "sens[1]"]),
    ("jacobian", {"positions": [0, 1], "mode": "fwd"}, ["d0/dx", "d0/dy", "d1/dx", "d1/dy"],
     ["inputs[0]", "inputs[1]"]),
    ("vjp", {}, ["out0", "out1", "d/dx", "d/dy"], ["inputs[0]", "inputs[1]", "v[0]", "v[1]"]),
])
def test_output_names_and_input_labels(kind, spec, names, labels):
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive(kind, "gid", _two_inputs(), spec)
    assert d.names == names and d.input_labels == labels and d.key.startswith("sha256:")


def test_json_output_size_counts_both_parts_of_a_complex_element():
    """max_output_bytes for JSON counts numbers: a complex element is written as an [re, im] pair."""
    gb = GraphBuilder("c")
    x = gb.input((3,), "float32", name="x")
    g = gb.build((gb.complex(x, x), x))
    d = Deriver(4, 10 ** 6, 1 << 24, 16).derive("eval", "gid", g, {})
    assert d.output_elements() == 2 * 3 + 3 and d.output_bytes() == 3 * 8 + 3 * 4


def test_long_spec_keys_are_built_but_not_kept():
    """The spec-key memo is filled before the spec is checked against the graph: a grad naming a 6 MiB weight
    kept the spec and its JSON (12 such refused requests: server RSS +211 MiB). Keys above SKEY_KEPT characters
    are built every time; short ones are kept as before."""
    from service.derivation import SKEY_KEPT, Deriver

    d = Deriver(4, 10 ** 6, 1 << 24, 16)
    long_spec = {"weights": ["w" * SKEY_KEPT], "grad_position": 0}
    assert "w" * SKEY_KEPT in d.spec_key("grad", long_spec)
    assert not d.skeys
    short = d.spec_key("grad", {"weights": ["w"], "grad_position": 0})
    assert list(d.skeys.values()) == [short]
