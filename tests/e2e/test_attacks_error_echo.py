"""Attacks that make an error echo the request: a name of 1 MB (an op, a variable, an attribute, a field, a
datatype, a graph id, a format) came back whole in the error's message, and again in its path and its
validation errors: 3 MB of answer for a 1 MB request (amplification). Now every
protocol's error text is cut to ~1 KB (each detail string to ~256 characters, saying how much was cut:
service.errors.clip), as gRPC's trailers already were.

Against real servers (one with the OIP suite's model repository for the Open Inference Protocol and UM-Bridge);
each case also checks the answer still names what is wrong (its start) and its code."""
from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from .helpers import X, Y, matmul_net
from .server import module_server, server_in

BIG = "A" * 1_000_000
CAP = 8192  # bytes any error answer may take here (message ~1 KB, a few detail strings of ~256 characters)


srv = module_server("attacks_echo", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1"})


@pytest.fixture
def c(srv):
    with httpx.Client(base_url=srv.url, timeout=120) as cl:
        yield cl


def inputs() -> list:
    return [{"name": n, "shape": list(a.shape), "datatype": "FP32", "data": a.ravel().tolist()}
            for n, a in (("x", X), ("y", Y))]


def graph(**edit) -> dict:
    g = json.loads(json.dumps(matmul_net()))
    node = g["nodes"][0]
    if "op" in edit:
        node["op"] = edit["op"]
    if "input" in edit:
        node["inputs"][0] = edit["input"]
    if "attr" in edit:
        node["attrs"] = {edit["attr"]: 1}
    if "format" in edit:
        g["format"] = edit["format"]
    return g


def datatype_inputs() -> list:
    ins = inputs()
    ins[0]["datatype"] = BIG
    return ins


CASES = {
    "op": ({"graph": graph(op=BIG), "inputs": inputs()}, "unknown_op", "unknown op"),
    "variable": ({"graph": graph(input=BIG), "inputs": inputs()}, "invalid_graph", "input 'AAAA"),
    "attribute": ({"graph": graph(attr=BIG), "inputs": inputs()}, "invalid_graph", "unknown attribute"),
    "format": ({"graph": graph(format=BIG), "inputs": inputs()}, "invalid_graph", "unsupported format"),
    "field": ({"graph": graph(), "inputs": inputs(), BIG: 1}, "invalid_request", "$.AAAA"),
    "datatype": ({"graph": graph(), "inputs": datatype_inputs()}, "invalid_request", "unknown datatype"),
    "graph_id": ({"graph_id": "sha256:" + BIG, "inputs": inputs()}, "graph_not_found", "graph sha256:AAAA"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_error_echoing_a_huge_name_is_cut_short(c, case):
    body, code, starts = CASES[case]
    r = c.post("/v1/eval", content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text[:300]
    assert len(r.content) < CAP, (len(r.content), r.text[:300])
    err = r.json()["error"]
    assert err["code"] == code and starts in err["message"], err["message"][:300]
    assert "more characters)" in r.text  # says it was cut


def test_the_server_still_answers_after_the_echo_attacks(c):
    r = c.post("/v1/eval", json={"graph": matmul_net(), "inputs": inputs()})
    assert r.status_code == 200, r.text[:300]
    np.testing.assert_allclose(np.asarray(r.json()["outputs"][0]["data"]).reshape(2, 3),
                               (X * 1.0) @ Y, rtol=1e-6)


def test_an_oip_error_echoing_a_long_model_name_is_cut_short(c):
    r = c.post("/v2/models/" + "A" * 6000 + "/infer", json={"inputs": []})
    assert r.status_code == 404, r.text[:300]
    assert len(r.content) < 2048 and "more characters)" in r.text, (len(r.content), r.text[:300])


# -- the model surfaces (Open Inference Protocol, UM-Bridge): a model repository ------------------------------
@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from oip.models import write_repository  # (tests/ is on sys.path: the OIP suite's repository)
    repo = write_repository(tmp_path_factory.mktemp("models"))
    with server_in(tmp_path_factory, "attacks_echo_models", devices="cpu",
                   env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MODEL_REPOSITORY": str(repo)}) as s, \
            httpx.Client(base_url=s.url, timeout=120) as cl:
        yield cl


def oip_inputs(**edit) -> list:
    x = {"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [1.0] * 6, **edit}
    return [x, {"name": "y", "shape": [3, 3], "datatype": "FP32", "data": [1.0] * 9}]


MODEL_CASES = {
    "oip input name": ("/v2/models/seed_grad/infer", {"inputs": oip_inputs(name=BIG)}, "has no input"),
    "oip datatype": ("/v2/models/seed_grad/infer", {"inputs": oip_inputs(datatype=BIG)}, "unknown datatype"),
    "oip output name": ("/v2/models/seed_grad/infer", {"inputs": oip_inputs(), "outputs": [{"name": BIG}]},
                        "has no output"),
    "oip request parameter": ("/v2/models/seed_grad/infer", {"inputs": oip_inputs(), "parameters": {BIG: [1]}},
                              "parameter 'AAAA"),
    "umbridge model": ("/umbridge/Evaluate", {"name": BIG, "input": [[1.0] * 3], "config": {}}, "model 'AAAA"),
}


@pytest.mark.parametrize("case", sorted(MODEL_CASES))
def test_a_model_surface_error_echoing_a_huge_name_is_cut_short(models, case):
    path, body, says = MODEL_CASES[case]
    r = models.post(path, content=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text[:300]
    assert len(r.content) < 2048 and "more characters)" in r.text, (len(r.content), r.text[:300])
    assert says in r.text, r.text[:300]
