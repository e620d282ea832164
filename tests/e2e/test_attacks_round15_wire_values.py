"""Odd values in a JSON job (round 15), against the session server: each is a clear 400 naming where, or is
read as IEEE arithmetic reads it; never a 500, never an engine fault.

Fixed this round: a graph naming the lowered op `switch_run` with `branches` that are JSON values, not graphs
(e.g. [0]), was "graph could not be loaded: AttributeError: 'int' object has no attribute 'inputs'" (the server
logged it as an engine fault); now the node's own 400, as `while_run`'s already was.

Held (replayed here so that a change shows): NaN / Infinity tokens and 1e400 where a size, a deadline or an
order is read; a repeated key in an input; -0 as a size; a value past float32's range in the data (read as inf,
its sine NaN, as NumPy does). A fuzz of every op's attrs (164 ops, 28 odd values each: NaN, +-inf, 1e400, -0,
2^63, [], nested lists, objects, strings, booleans, null) found no 500 and no other engine fault."""
from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from .helpers import error_of

SIN = {"format": "gradserve.graph/1", "inputs": [{"name": "x", "shape": [2], "dtype": "float32"}],
       "nodes": [{"op": "sin", "inputs": ["x"], "outputs": ["y"]}], "outputs": "y"}
X = '{"shape": [2], "datatype": "FP32", "data": [0.5, 1]}'


def post(c: httpx.Client, kind: str, body: str) -> httpx.Response:
    """The body as written (NaN and Infinity tokens are not JSON; Python's reader takes them, orjson does not)."""
    return c.post(f"/v1/{kind}", content=body, headers={"content-type": "application/json"})


def test_switch_run_with_branches_that_are_not_graphs_is_the_nodes_400(client):
    g = {"format": "gradserve.graph/1", "inputs": [{"name": "i", "shape": [], "dtype": "int32"},
                                                    {"name": "x", "shape": [2], "dtype": "float32"}],
         "nodes": [{"op": "switch_run", "inputs": ["i", "x"], "outputs": ["y"], "attrs": {"branches": [0]}}],
         "outputs": "y"}
    body = json.dumps({"graph": g, "inputs": [{"shape": [], "datatype": "INT32", "data": [0]}, json.loads(X)]})
    r = post(client, "eval", body)
    assert r.status_code == 400, r.text[:300]
    err = error_of(r)
    assert "switch_run" in err["message"] and "branch graphs" in err["message"], err
    assert err["detail"]["path"] == "$.nodes[0]" and err["detail"]["node"].endswith("0:switch_run"), err
    assert "AttributeError" not in err["message"], err


@pytest.mark.parametrize("field, value", [
    ("deadline_ms", "NaN"), ("deadline_ms", "1e400"), ("deadline_ms", "-0.0"), ("order", "NaN"), ("order", "1e400"),
    ("order", "2.0"),
])
def test_a_non_finite_or_odd_number_where_an_option_is_read_is_a_400_naming_it(client, field, value):
    r = post(client, "grad", f'{{"graph": {json.dumps(SIN)}, "inputs": [{X}], "{field}": {value}}}')
    assert r.status_code == 400, r.text[:300]
    assert error_of(r)["detail"]["path"] == f"$.{field}", r.text[:300]


@pytest.mark.parametrize("shape, where", [
    ("[NaN]", "$.inputs[0].shape[0]"), ("[1e400]", "$.inputs[0].shape[0]"), ("[2.0]", "$.inputs[0].shape[0]"),
    ("[true, true]", "$.inputs[0].shape[0]"),
])
def test_a_size_that_is_not_an_integer_is_a_400_naming_it(client, shape, where):
    body = f'{{"graph": {json.dumps(SIN)}, "inputs": [{{"shape": {shape}, "datatype": "FP32", "data": [1, 1]}}]}}'
    r = post(client, "eval", body)
    assert r.status_code == 400, r.text[:300]
    assert error_of(r)["detail"]["path"] == where, r.text[:300]


def test_a_graph_size_of_minus_zero_float_is_a_400_naming_it(client):
    g = json.dumps(SIN).replace('"shape": [2]', '"shape": [-0.0]')
    r = post(client, "eval", f'{{"graph": {g}, "inputs": [{{"shape": [0], "datatype": "FP32", "data": []}}]}}')
    assert r.status_code == 400, r.text[:300]
    assert error_of(r)["detail"]["path"] == "$.inputs[0].shape" and "non-negative" in r.text, r.text[:300]


def test_a_repeated_size_key_is_a_400_naming_the_object(client):
    body = (f'{{"graph": {json.dumps(SIN)}, "inputs": [{{"shape": [2], "shape": [1000000000], "datatype": "FP32", '
            '"data": [1, 1]}]}')
    r = post(client, "eval", body)
    assert r.status_code == 400, r.text[:300]
    assert error_of(r)["detail"]["key"] == "shape" and error_of(r)["detail"]["path"] == "$.inputs[0]", r.text[:300]


@pytest.mark.parametrize("big", ["1e400", str(2 ** 128)])  # (2^128 rounds to inf in float32)
def test_values_past_float32_are_read_as_ieee_reads_them(client, big):
    r = post(client, "eval", f'{{"graph": {json.dumps(SIN)}, "inputs": [{{"shape": [2], "datatype": "FP32", '
                             f'"data": [{big}, 1.0]}}]}}')
    assert r.status_code == 200, r.text[:300]
    got = r.json()["outputs"][0]["data"]
    with np.errstate(invalid="ignore", over="ignore"):
        want = np.sin(np.array([float(big), 1.0], np.float32))
    np.testing.assert_array_equal(np.array(got, np.float32), want)
