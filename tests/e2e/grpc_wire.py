"""gRPC requests and answers for the e2e tests: HTTP-style job bodies (NumPy tensors) as gradserve.v1 messages."""
from __future__ import annotations

import json
import threading
import time

import grpc
import numpy as np
import pytest

from e2e.h2_raw import DATA, END_STREAM, HEADERS, RawH2, rapid_reset
from e2e.helpers import DX, X, Y, matmul_net, within
from engine import GraphBuilder
from engine.serialize import graph_to_json
from service.codec import V2_TO_NP, v2_datatype
from service.proto import gradserve_pb2 as pb

ERROR_KEY = "gradserve-error-bin"
KINDS = {"eval": ("Eval", pb.EvalRequest), "grad": ("Grad", pb.GradRequest), "jvp": ("Jvp", pb.JvpRequest),
         "vjp": ("Vjp", pb.VjpRequest), "jacobian": ("Jacobian", pb.JacobianRequest),
         "hessian": ("Hessian", pb.HessianRequest), "hvp": ("Hvp", pb.HvpRequest)}


# -- requests and answers ----------------------------------------------------------------------------
def open_channel(target: str):
    """A ready channel to `target` with no message size limits of its own (the server's limits are tested)."""
    ch = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", -1),
                                                ("grpc.max_receive_message_length", -1)])
    grpc.channel_ready_future(ch).result(timeout=30)
    return ch


def tensor(a, name: str = "") -> pb.Tensor:
    a = np.asarray(a)
    return pb.Tensor(name=name, datatype=v2_datatype(a.dtype), shape=list(a.shape),
                     raw_contents=np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes())


def positions(p) -> pb.Positions:
    if isinstance(p, (list, tuple)):
        return pb.Positions(values=list(p), is_list=True)
    return pb.Positions(values=[p], is_list=False)


def request(kind: str, body: dict):
    """The gRPC request of an HTTP-style job body whose tensors are NumPy arrays."""
    m = KINDS[kind][1]()
    for k, v in body.items():
        if k == "graph":
            m.graph_json = json.dumps(v).encode()
        elif k == "graph_id":
            m.graph_id = v
        elif k in ("inputs", "sens", "tangents", "v"):
            getattr(m, k).extend([tensor(a) for a in (v if isinstance(v, (list, tuple)) else [v])])
        elif k == "params":
            for n, a in v.items():
                m.params[n].CopyFrom(tensor(a))
        elif k == "grad_position":
            if v is None:
                m.no_grad_position = True
            else:
                m.grad_position.CopyFrom(positions(v))
        elif k == "positions":
            m.positions.CopyFrom(positions(v))
        elif k == "weights":
            m.weights.values.extend(v)
        elif k == "deadline_ms":
            m.deadline_ms = v
        else:  # device, get_all, get_by_list, order, value_and_grad, mode
            setattr(m, k, v)
    return m


def call(stub, kind: str, body: dict, **kw):
    return getattr(stub, KINDS[kind][0])(request(kind, body), timeout=kw.pop("timeout", 60), **kw)


def arrays(r: pb.JobResponse) -> list[np.ndarray]:
    return [np.frombuffer(t.raw_contents, V2_TO_NP[t.datatype]).reshape(list(t.shape)) for t in r.outputs]


def structure(s: pb.Structure):
    return [structure(x) for x in s.tuple.items] if s.WhichOneof("node") == "tuple" else s.index


def rebuild(r: pb.JobResponse):
    outs = arrays(r)

    def b(s):
        return tuple(b(x) for x in s) if isinstance(s, list) else outs[s]

    return b(structure(r.structure))


def canary(stub, ceiling: float = 120.0) -> float:
    """helpers.canary over gRPC: a small job that must be answered right after an attack (asking a deadline as
    long as the ceiling, a bound for a wedged pool, never a speed check); its latency."""
    t0 = time.monotonic()
    body = {"graph": matmul_net(), "inputs": [X, Y], "deadline_ms": int(ceiling * 1e3)}
    np.testing.assert_allclose(arrays(call(stub, "grad", body, timeout=ceiling))[0], DX, rtol=1e-6)
    return within(t0, ceiling, "canary")


def rpc_error(fn, *args, **kw) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as ei:
        fn(*args, **kw)
    return ei.value


def error_body(e: grpc.RpcError) -> dict:
    """The error JSON of the trailing metadata, checked to have the HTTP error body's shape."""
    md = dict(e.trailing_metadata() or ())
    assert ERROR_KEY in md, (e.code(), e.details(), md)
    body = json.loads(md[ERROR_KEY])
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "detail"}, body
    assert e.details() == body["error"]["message"]
    return body["error"]


# -- answers a client never reads (grpc_unsent_answer_bytes) -----------------------------------------
def unread_calls(h: RawH2, path: str, payload: bytes, metadata: list, calls: int, ceiling: float) -> tuple[set, set]:
    """`calls` calls of path on h (a raw connection that grants no flow-control credit: it never reads an answer),
    then frames until each has either started its answer (its headers or data: the job ran and its bytes wait for
    credit) or ended without one (a status alone: refused): (the held, the refused)."""
    for _ in range(calls):
        h.call(path, payload, metadata)
    started, refused = set(), set()
    h.sock.settimeout(ceiling)
    end = time.monotonic() + ceiling
    while len(started | refused) < calls:
        assert time.monotonic() < end, (started, refused)
        kind, flags, sid, payload = h.read_frame()
        h.serve_control(kind, flags, payload)
        if kind == HEADERS and flags & END_STREAM:
            refused.add(sid)
        elif kind in (DATA, HEADERS):
            started.add(sid)
    return started - refused, refused


def served_again(call, ceiling: float, naming: str = ""):
    """call()'s answer once a client's refusals end (its unread connection closed: its jobs run again), asked again
    on each RESOURCE_EXHAUSTED (whose details name `naming`) until the ceiling."""
    end = time.monotonic() + ceiling
    while True:
        try:
            return call()
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and naming in e.details() and \
                time.monotonic() < end, (e.code(), e.details())


# -- a stock stub's small calls (grpc_max_streams, grpc_stream_headroom) ------------------------------
MISSING = "/gradserve.v1.Gradserve/MissingTensors"  # a call the server answers at once, no job
ABSENT_HASH = "ab" * 32  # a tensor hash MISSING asks about
SIN_X = np.linspace(-1.0, 1.0, 4)


def sin_job() -> pb.EvalRequest:
    """A tiny Eval (sin of SIN_X): np.sin(SIN_X) is its answer."""
    gb = GraphBuilder("stock")
    x = gb.input((4,), "float64", name="x")
    return request("eval", {"graph": graph_to_json(gb.build(gb.sin(x))), "inputs": [SIN_X]})


def sin_answer(stub, job) -> object:
    """The job's output (sin of SIN_X) as a list, or the error's (code, details)."""
    try:
        out = stub.Eval(job, timeout=300).outputs[0]
        return np.frombuffer(out.raw_contents, "<f8").tolist()
    except grpc.RpcError as e:
        return e.code(), e.details()


def concurrent_answers(stub, width: int, each: int) -> list:
    """sin_job asked `each` times by each of `width` threads at once on the stub's one channel: the answers that
    are not np.sin(SIN_X) (an error's code and details), and a placeholder for each call that never returned."""
    job, want = sin_job(), np.sin(SIN_X).tolist()
    answers: list = []
    lock = threading.Lock()

    def ask():
        mine = [sin_answer(stub, job) for _ in range(each)]
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=ask) for _ in range(width)]
    [t.start() for t in threads]
    [t.join(timeout=600) for t in threads]
    return [a for a in answers if a != want] + ["no answer"] * (width * each - len(answers))


def reset_flood_refused(target: str, stub) -> list:
    """20 K MissingTensors calls opened and reset at once on one raw connection to `target`, while and after which
    `stub` (another channel) has sin_job answered: the flood's refused streams."""
    job, want = sin_job(), np.sin(SIN_X).tolist()

    def answered():
        assert sin_answer(stub, job) == want

    refused = rapid_reset(target, MISSING, pb.MissingTensorsRequest(sha256=[ABSENT_HASH]).SerializeToString(),
                          20, 1000, answered)
    answered()
    return refused
