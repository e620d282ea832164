"""A graph naming one tensor as its output many times (round 12: a graph's outputs count against max_tensors).

A request's tensors were bounded (max_tensors), its graph's outputs were not: each is a tensor of the answer (and,
for vjp, a cotangent asked for). Measured before (defaults: max_tensors 65536, 2-core box under other helpers'
load): a graph of 1 M outputs, all one 4-element tensor (~6 MB of body), ran a worker to its deadline (eval: 504
after 31 s, the worker recycled), a vjp of it took 25 s and +561 MiB of the server before its refusal, a grad 13 s;
100 k outputs took 5 s and +347 MiB for a 10 MB answer. Now the parse refuses a graph past max_tensors outputs as it
meets the first one past (413 / RESOURCE_EXHAUSTED naming max_tensors and the path; 1 M outputs: under 1.3 s),
on every route that reads a graph; a graph within it is served as before.

A real server: one cpu worker, max_tensors 1000.
"""
from __future__ import annotations

import grpc
import numpy as np
import pytest

from service.proto import gradserve_pb2_grpc as pb_grpc

from .grpc_wire import open_channel, request
from .helpers import body_for, decode
from .server import module_server
from .test_attacks_round11_unread_answers import big_graph

MAX_TENSORS = 1000
CEILING = 60.0


srv = module_server("graph_outputs", devices="cpu",
                    env={"GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_MAX_TENSORS": str(MAX_TENSORS)})


def many_outputs(n: int) -> dict:
    g = big_graph(4)  # (x [1] -> sin, broadcast to [4]: "t2")
    return dict(g, outputs=[["t2"] * (n // 2), ["t2"] * (n - n // 2)])  # (nested: leaves are counted)


def test_a_graph_past_max_tensors_outputs_is_refused_on_every_route(srv):
    past = many_outputs(MAX_TENSORS + 1)
    with srv.client(timeout=CEILING) as c:
        for route, extra in (("/v1/eval", {}), ("/v1/grad", {}), ("/v1/vjp", {"v": [np.ones(4, np.float32)]}),
                             ("/v1/graphs", None)):
            body = {"graph": past} if extra is None else \
                {"graph": past, "inputs": [np.ones(1, np.float32)], **extra}
            content, headers = body_for(body, "json")
            r = c.post(route, content=content, headers=headers)
            assert r.status_code == 413, (route, r.status_code, r.text[:300])
            err = r.json()["error"]
            assert err["code"] == "limit_exceeded" and "max_tensors" in err["message"], (route, err)
            assert err["detail"]["path"] == "$.outputs[1][500]", (route, err["detail"])
    ch = open_channel(srv.grpc_target)
    try:
        with pytest.raises(grpc.RpcError) as e:
            pb_grpc.GradserveStub(ch).Eval(request("eval", {"graph": past, "inputs": [np.ones(1, np.float32)]}),
                                           timeout=CEILING)
        assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "max_tensors" in e.value.details(), \
            (e.value.code(), e.value.details())
    finally:
        ch.close()


def test_a_graph_of_max_tensors_outputs_is_served(srv):
    with srv.client(timeout=CEILING) as c:
        content, headers = body_for({"graph": many_outputs(MAX_TENSORS), "inputs": [np.ones(1, np.float32)]}, "binary")
        outs = decode(c.post("/v1/eval", content=content, headers=headers))["outputs"]
        assert len(outs) == MAX_TENSORS
        np.testing.assert_allclose(np.stack([o["array"] for o in outs]), np.full((MAX_TENSORS, 4), np.sin(1.0)),
                                   rtol=1e-6)
