"""One way to call the real server over either protocol, for the protocol-parametrised e2e tests.

`Proto(protocol, server).call(kind, graph, inputs, **options)` sends the same job over HTTP (the JSON /
b64 / binary wire of tests/e2e/helpers.py) or gRPC (gradserve.v1 messages, tests/e2e/grpc_wire.py)
and answers an `Answer`: the outputs by name, the error code, and the status class. The gRPC status of an
error is checked here against the one error table (service.errors.CODES), so each test states what it
expects once, in the protocol-neutral vocabulary (error code, HTTP-style status).
"""
from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx

from service.errors import CODES
from service.proto import gradserve_pb2 as pb
from service.proto import gradserve_pb2_grpc as pb_grpc

from . import grpc_wire as gh
from . import helpers

PROTOCOLS = ("http", "grpc")
# what a gRPC client sees for each HTTP status these tests expect, written out by hand (the server's own
# table, service.errors.CODES, is checked against it: a drift there fails here)
GRPC_FOR_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND", 413: "RESOURCE_EXHAUSTED",
                   429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
_CHANNELS: dict = {}  # grpc target -> channel, one per server for the whole session
_CLIENTS: dict = {}  # server url -> httpx client (thread-safe; making one per call costs ~20 ms)


@dataclass
class Answer:
    status: int  # HTTP status; over gRPC the status the error table gives the error's code (200 when ok)
    names: list = field(default_factory=list)
    arrays: list = field(default_factory=list)
    structure: Any = None
    device: str = ""
    graph_id: str = ""
    error: dict | None = None  # {"code", "message", "detail"}, the same body on both protocols
    retry_after: int | None = None
    wire: Any = None  # the protocol's own answer (httpx.Response / pb.JobResponse / grpc.RpcError)

    @property
    def code(self) -> str | None:
        return self.error["code"] if self.error else None

    @property
    def status_class(self) -> str:
        return f"{self.status // 100}xx"

    @property
    def outputs(self) -> dict:
        return dict(zip(self.names, self.arrays))

    def value(self):
        """MindSpore's return structure (tuples) with the output arrays at the leaves."""
        def b(s):
            return tuple(b(x) for x in s) if isinstance(s, list) else self.arrays[s]

        assert self.error is None, self.error
        return b(self.structure)

    def failed(self, status: int, code: str) -> "Answer":
        """The error expected, over either protocol (over gRPC: the status code GRPC_FOR_STATUS gives)."""
        assert (self.status, self.code) == (status, code), (self.status, self.error)
        if isinstance(self.wire, grpc.RpcError):
            assert self.wire.code().name == GRPC_FOR_STATUS[status], (self.wire.code(), self.error)
        return self

    def ok(self) -> "Answer":
        assert self.status == 200 and self.error is None, (self.status, self.error)
        return self


def _body(graph, inputs, options: dict) -> dict:
    """graph: a graph dict, a registered graph's id, or None (a request that names neither)."""
    body = {} if graph is None else {"graph_id": graph} if isinstance(graph, str) else {"graph": graph}
    if inputs is not None:
        body["inputs"] = list(inputs)
    return {**body, **options}


class Proto:
    def __init__(self, protocol: str, server):
        assert protocol in PROTOCOLS, protocol
        self.protocol, self.server = protocol, server

    def __repr__(self) -> str:
        return self.protocol

    @property
    def http(self):
        c = _CLIENTS.get(self.server.url)
        if c is None:
            c = _CLIENTS[self.server.url] = self.server.client(limits=httpx.Limits(max_connections=32))
        return c

    @property
    def stub(self) -> pb_grpc.GradserveStub:
        ch = _CHANNELS.get(self.server.grpc_target)
        if ch is None:
            ch = grpc.insecure_channel(self.server.grpc_target, options=[("grpc.max_send_message_length", -1),
                                                                         ("grpc.max_receive_message_length", -1)])
            grpc.channel_ready_future(ch).result(timeout=30)
            _CHANNELS[self.server.grpc_target] = ch
        return pb_grpc.GradserveStub(ch)

    # -- jobs ----------------------------------------------------------------------------------------
    def call(self, kind: str, graph, inputs=None, enc: str = "json", timeout: float = 120, key: str | None = None,
             **options) -> Answer:
        """One job: `graph` a graph dict or a registered graph id; options as the HTTP body's fields
        (sens, tangents, v, params, grad_position, device, deadline_ms, ...). `enc` (json | b64 | binary)
        is HTTP's tensor encoding; gRPC always sends raw bytes. `key`: the API key (a bearer token)."""
        body = _body(graph, inputs, options)
        auth = f"Bearer {key}" if key is not None else None
        if self.protocol == "http":
            headers = {"Authorization": auth} if auth else None
            return _from_http(helpers.call(self.http, kind, body, enc, timeout=timeout, headers=headers))
        try:
            md = (("authorization", auth),) if auth else None
            return _from_grpc(gh.call(self.stub, kind, body, timeout=timeout, metadata=md))
        except grpc.RpcError as e:
            return _grpc_error(e)

    def start_cancellable(self, kind: str, graph, inputs=None, **options):
        """Send a job and return a function that abandons it (HTTP: the connection closes; gRPC: the call
        is cancelled). The job's answer is never read."""
        body = _body(graph, inputs, options)
        if self.protocol == "grpc":
            fut = gh.KINDS[kind][0]
            f = getattr(self.stub, fut).future(gh.request(kind, body), timeout=120)
            return lambda: f.cancel()
        content, headers = helpers.body_for(body, "json")
        s = socket.create_connection(("127.0.0.1", self.server.port))
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        s.sendall(f"POST /v1/{kind} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(content)}\r\n{head}\r\n".encode()
                  + content)
        return s.close

    # -- graph registry ------------------------------------------------------------------------------
    def register(self, graph: dict) -> tuple[str, list]:
        """(graph id, signature inputs as (name, shape, datatype))."""
        if self.protocol == "http":
            r = self.http.post("/v1/graphs", json={"graph": graph})
            assert r.status_code == 201, r.text
            sig = r.json()["signature"]["inputs"]
            return r.json()["graph_id"], [(s["name"], s["shape"], s["datatype"]) for s in sig]
        reg = self.stub.RegisterGraph(pb.RegisterGraphRequest(graph_json=json.dumps(graph).encode()), timeout=30)
        return reg.graph_id, [(s.name, list(s.shape), s.datatype) for s in reg.signature.inputs]

    def get_graph(self, gid: str) -> tuple[int, dict | None, dict | None]:
        """(status, the graph, the error)."""
        if self.protocol == "http":
            r = self.http.get(f"/v1/graphs/{gid}")
            if r.status_code != 200:
                return r.status_code, None, helpers.error_of(r)
            assert r.json()["graph_id"] == gid
            return 200, r.json()["graph"], None
        try:
            got = self.stub.GetGraph(pb.GetGraphRequest(graph_id=gid), timeout=30)
        except grpc.RpcError as e:
            a = _grpc_error(e)
            return a.status, None, a.error
        assert got.graph_id == gid
        return 200, json.loads(got.graph_json), None

    def live(self) -> bool:
        if self.protocol == "http":
            return self.http.get("/v2/health/live").status_code == 200
        return self.stub.ServerLive(pb.ServerLiveRequest(), timeout=10).live


def _from_http(r) -> Answer:
    if r.status_code != 200:
        ra = r.headers.get("Retry-After")
        return Answer(r.status_code, error=helpers.error_of(r), retry_after=int(ra) if ra else None, wire=r)
    out = helpers.decode(r)
    return Answer(200, [o["name"] for o in out["outputs"]], [o["array"] for o in out["outputs"]], out["structure"],
                  out["device"], out["graph_id"], wire=r)


def _from_grpc(r: pb.JobResponse) -> Answer:
    assert all(t.datatype for t in r.outputs)
    return Answer(200, [t.name for t in r.outputs], gh.arrays(r), gh.structure(r.structure), r.device, r.graph_id,
                  wire=r)


def _grpc_error(e: grpc.RpcError) -> Answer:
    """The error trailer as an Answer; its gRPC status must be the one the error table gives its code."""
    err = gh.error_body(e)
    http, name = CODES[err["code"]]
    assert e.code() == getattr(grpc.StatusCode, name), (e.code(), err)
    ra = dict(e.trailing_metadata() or ()).get("retry-after")
    return Answer(http, error=err, retry_after=int(ra) if ra else None, wire=e)


def same_bytes(a: Answer, b: Answer) -> None:
    """Two answers to one job: the same names, structure, graph id, dtypes and bits."""
    assert a.names == b.names and a.structure == b.structure and a.graph_id == b.graph_id
    for n, x, y in zip(a.names, a.arrays, b.arrays):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), n
