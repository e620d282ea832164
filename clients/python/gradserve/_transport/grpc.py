"""gRPC transport (`grpc://host:port`, or `transport="grpc"`): the same operations, results and
exceptions as the HTTP transport, over the `gradserve.v1.Gradserve` service.

Tensors travel as raw little-endian bytes (the Open Inference Protocol's gRPC form), so there is
no JSON/binary choice to make. Errors: the service sends its HTTP error body as JSON in the
trailing metadata `gradserve-error-bin`; it becomes the same typed exception as over HTTP, with
`status` the HTTP status of that error and `grpc_code` the gRPC status. Failures with no body
(no connection, the client's own deadline, a message above the server's size limit) map to
APIConnectionError, APITimeoutError and PayloadTooLarge as their HTTP counterparts do.

Needs the [grpc] extra (grpcio, protobuf). The async transport needs asyncio (grpc.aio).
"""
from __future__ import annotations

import asyncio
import json
import random
import re
import time
from typing import Any

import grpc
import numpy as np

from .. import errors
from .._proto import gradserve_pb2 as pb
from .._proto import gradserve_pb2_grpc as pb_grpc
from .._version import __version__
from .._wire import from_bytes, to_bytes, v2_datatype
from . import REQUEST_ID, given_request_id, new_request_id

ERROR_KEY = "gradserve-error-bin"
SC = grpc.StatusCode
JOBS = {"eval": ("Eval", pb.EvalRequest), "grad": ("Grad", pb.GradRequest), "jvp": ("Jvp", pb.JvpRequest),
        "vjp": ("Vjp", pb.VjpRequest), "jacobian": ("Jacobian", pb.JacobianRequest),
        "hessian": ("Hessian", pb.HessianRequest), "hvp": ("Hvp", pb.HvpRequest)}
# the HTTP status an error would have had (the exceptions carry it as over HTTP)
HTTP_BY_GRPC = {SC.INVALID_ARGUMENT: 400, SC.UNAUTHENTICATED: 401, SC.PERMISSION_DENIED: 403, SC.NOT_FOUND: 404,
                SC.RESOURCE_EXHAUSTED: 413, SC.INTERNAL: 500, SC.UNKNOWN: 500, SC.DATA_LOSS: 500,
                SC.UNIMPLEMENTED: 501, SC.UNAVAILABLE: 503, SC.DEADLINE_EXCEEDED: 504, SC.FAILED_PRECONDITION: 400,
                SC.OUT_OF_RANGE: 400, SC.ABORTED: 409, SC.ALREADY_EXISTS: 400}
CHANNEL_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1),
                   ("grpc.primary_user_agent", f"gradserve-client/{__version__}")]


def target_of(url: str) -> str:
    """`grpc://host:port/...` (or any scheme, or none) -> `host:port`."""
    rest = url.split("://", 1)[1] if "://" in url else url
    return rest.split("/", 1)[0]


def _timeout(t: Any) -> float | None:
    if t is None or isinstance(t, (int, float)):
        return t
    for attr in ("read", "connect", "timeout"):  # an httpx.Timeout
        v = getattr(t, attr, None)
        if isinstance(v, (int, float)):
            return float(v)
    return None


# -- requests ---------------------------------------------------------------------------------------
def tensor(a, name: str = "") -> pb.Tensor:
    a = np.asarray(a)
    return pb.Tensor(name=name, datatype=v2_datatype(a.dtype), shape=list(a.shape), raw_contents=to_bytes(a))


def _tensors(x) -> list:
    if isinstance(x, (list, tuple)):
        return [tensor(a) for a in x]
    return [tensor(x)]


def _positions(p) -> pb.Positions:
    if isinstance(p, (list, tuple)):
        return pb.Positions(values=[int(v) for v in p], is_list=True)
    return pb.Positions(values=[int(p)], is_list=False)


def _grad_fields(m, d: dict) -> None:
    for k in ("get_all", "get_by_list", "sens_param"):
        if d.get(k):
            setattr(m, k, True)
    if "grad_position" in d:
        if d["grad_position"] is None:
            m.no_grad_position = True
        else:
            m.grad_position.CopyFrom(_positions(d["grad_position"]))
    if d.get("weights") is not None:
        w = d["weights"]
        m.weights.SetInParent()
        m.weights.values.extend([w] if isinstance(w, str) else list(w))


def build_request(op: str, body: dict):
    """The request message of a job body (the HTTP transport's body: tensors as NumPy arrays)."""
    _, cls = JOBS[op]
    m = cls()
    for k, v in body.items():
        if v is None:  # (a None grad_position is read from body by _grad_fields below)
            continue
        if k == "graph":
            m.graph_json = json.dumps(v, separators=(",", ":"), allow_nan=False).encode()
        elif k == "graph_id":
            m.graph_id = v
        elif k == "inputs":
            m.inputs.extend(_tensors(v))
        elif k == "params":
            for name, a in v.items():
                m.params[name].CopyFrom(tensor(a))
        elif k == "device":
            m.device = v
        elif k == "deadline_ms":
            m.deadline_ms = float(v)
        elif k == "binary_output":  # raw bytes always
            pass
        elif k in ("sens", "tangents", "v"):
            getattr(m, k).extend(_tensors(v))
        elif k in ("order", "value_and_grad", "mode"):
            setattr(m, k, v)
        elif k == "positions":
            m.positions.CopyFrom(_positions(v))
        elif k == "inner":
            for d in v:
                s = m.inner.add()
                _grad_fields(s, d)
        elif k in ("get_all", "get_by_list", "grad_position", "weights"):
            pass  # below
        else:
            raise ValueError(f"{op}: field {k!r} has no gRPC form")
    if op == "grad":
        _grad_fields(m, body)
    elif body.get("weights") is not None:  # jacobian / hessian / hvp by parameter name: HTTP only so far
        raise ValueError(f"{op}: weights (parameters by name) have no gRPC form yet; use the HTTP transport")
    return m


# -- responses --------------------------------------------------------------------------------------
def _structure(s: pb.Structure):
    if s.WhichOneof("node") == "tuple":
        return [_structure(x) for x in s.tuple.items]
    return s.index


def decode_job(r: pb.JobResponse) -> dict:
    outputs = [{"name": t.name, "shape": list(t.shape), "datatype": t.datatype,
                "array": from_bytes(t.raw_contents, list(t.shape), t.datatype)} for t in r.outputs]
    t = r.timing
    return {"outputs": outputs, "structure": _structure(r.structure), "graph_id": r.graph_id, "device": r.device,
            "timing": {"queue_ms": t.queue_ms, "compute_ms": t.compute_ms, "total_ms": t.total_ms,
                       "compile_cache": t.compile_cache, "threads": t.threads, "reclaimed": t.reclaimed,
                       "lane": t.lane}}


def _signature(sig: pb.Signature) -> dict:
    def specs(xs):
        return [{"name": x.name or None, "shape": list(x.shape), "datatype": x.datatype} for x in xs]

    return {"inputs": specs(sig.inputs), "params": specs(sig.params), "outputs": specs(sig.outputs)}


def _store_limits(r) -> dict:
    """The tensor store's limits a MissingTensors answer names (none from an older server: its fields are 0)."""
    return {k: getattr(r, k) for k in ("store_bytes", "client_bytes") if getattr(r, k)}


def _prepare(op: str, body: dict | None, path_arg: str | None):
    """(method name, request, decode) of one operation."""
    if op in JOBS:
        return JOBS[op][0], build_request(op, body or {}), decode_job
    if op == "register_graph":
        req = pb.RegisterGraphRequest(
            graph_json=json.dumps((body or {}).get("graph"), separators=(",", ":"), allow_nan=False).encode())
        return "RegisterGraph", req, lambda r: {"graph_id": r.graph_id, "signature": _signature(r.signature)}
    if op == "missing_tensors":  # parameter values by hash (gradserve._weights_by_hash)
        return "MissingTensors", pb.MissingTensorsRequest(sha256=(body or {})["sha256"]), \
            lambda r: {"missing": list(r.missing), **_store_limits(r)}
    if op == "put_tensors":
        return "PutTensors", pb.PutTensorsRequest(tensors=_tensors((body or {})["tensors"])), \
            lambda r: {"sha256": list(r.sha256), "stored": r.stored}
    if op == "get_graph":
        return "GetGraph", pb.GetGraphRequest(graph_id=path_arg or ""), lambda r: {
            "graph_id": r.graph_id, "graph": json.loads(r.graph_json), "signature": _signature(r.signature)}
    if op == "devices":
        return "Devices", pb.DevicesRequest(), lambda r: json.loads(r.devices_json)
    if op == "health_live":
        return "ServerLive", pb.ServerLiveRequest(), _live
    if op == "health_ready":
        return "ServerReady", pb.ServerReadyRequest(), _ready
    raise ValueError(f"unknown operation {op!r}")


def _live(r) -> dict:
    if not r.live:
        raise errors.from_response(503, {"error": {"code": "device_unavailable", "message": "not live", "detail": {}}})
    return {"live": True}


def _ready(r) -> dict:
    if not r.ready:
        raise errors.from_response(503, {"error": {"code": "device_unavailable", "message": "not ready", "detail": {}}})
    return {"ready": True}


def to_error(e: grpc.RpcError, where: str, sent_rid: str | None = None) -> errors.GradserveError:
    """The SDK exception of a failed call (the same class as over HTTP)."""
    code = e.code() if callable(getattr(e, "code", None)) else SC.UNKNOWN
    details = (e.details() if callable(getattr(e, "details", None)) else None) or str(code)
    raw, retry_after, rid = None, None, sent_rid
    md: Any
    try:
        md = e.trailing_metadata() or ()
    except Exception:  # noqa: BLE001
        md = ()
    for k, v in md:
        if k == ERROR_KEY:
            raw = v
        elif k == REQUEST_ID:
            rid = str(v)
        elif k == "retry-after":
            try:
                retry_after = float(v)
            except (TypeError, ValueError):
                pass
    if raw is not None:
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            status = HTTP_BY_GRPC.get(code, 500)
            if (payload.get("error") or {}).get("code") == "overloaded":
                status = 429
            err: errors.GradserveError = errors.from_response(status, payload, retry_after, rid)
            if isinstance(err, errors.DeadlineExceeded) and err.detail.get("deadline_source") == "call":
                # The server stopped the job at this client's own gRPC deadline (its timeout), which
                # it learns from the call; over HTTP the same timeout is an APITimeoutError.
                err = errors.APITimeoutError(f"{where}: timed out (the server saw the call's deadline pass)",
                                             request_id=err.request_id)
            err.grpc_code = code
            return err
    # no error body: the failure happened in grpc itself
    if code == SC.DEADLINE_EXCEEDED:
        err = errors.APITimeoutError(f"{where} timed out: {details}", request_id=rid)
    elif code in (SC.UNAVAILABLE, SC.CANCELLED):
        err = errors.APIConnectionError(f"{where}: {code.name}: {details}", request_id=rid)
    else:
        err = errors.from_response(HTTP_BY_GRPC.get(code, 500), f"{code.name}: {details}", retry_after, rid)
    err.request_id = err.request_id or rid
    err.grpc_code = code
    return err


_REFUSED = re.compile(r"\berror code 7\b")  # grpc's text of RST_STREAM REFUSED_STREAM (HTTP/2 error code 7)


# A refused call is sent again while its timeout lasts, at most REFUSED_TRIES times in all, after a pause doubling from
# the first to the last (jittered). grpc core refuses a stream that arrives while its count of the connection's
# streams still holds one whose answer the client has already read (1000 calls at once on one channel with
# grpc_max_streams 100: 5-30% of a bare grpcio stub's calls were refused, grpc's own transparent retry resends one
# only once): resending once left ~1% of such calls failed.
REFUSED_TRIES = 64
REFUSED_PAUSE_S = (0.001, 0.05)


def refused_pause(e: grpc.RpcError, attempt: int, end: float | None) -> float | None:
    """The pause before sending a call again after `e` on its `attempt` (0 first), None when `e` is not a refused
    stream or the tries or the call's time (monotonic `end`) are spent."""
    if not refused(e) or attempt + 1 >= REFUSED_TRIES:
        return None
    first, last = REFUSED_PAUSE_S
    pause = min(last, first * 2 ** attempt) * random.uniform(0.5, 1.0)
    return None if end is not None and time.monotonic() + pause >= end else pause


def _left(end: float | None) -> float | None:
    return None if end is None else max(0.0, end - time.monotonic())


def refused(e: grpc.RpcError) -> bool:
    """The server refused the call's stream (past its max_concurrent_streams, counting calls it has not yet
    freed: see REFUSED_TRIES): the call never reached the server, so sending it again is safe."""
    code = e.code() if callable(getattr(e, "code", None)) else None
    details = e.details() if callable(getattr(e, "details", None)) else None
    return code == SC.UNAVAILABLE and bool(_REFUSED.search(details or ""))


def _metadata(api_key: str | None, headers: dict | None) -> tuple:
    md = []
    if api_key:
        md.append(("authorization", f"Bearer {api_key}"))
    for k, v in (headers or {}).items():
        if k.lower() not in ("user-agent", "content-type", "accept"):
            md.append((k.lower(), str(v)))
    return tuple(md)


class _GRPCConfig:
    """What the sync and async transports share: target, timeout, metadata, credentials."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: Any = 60.0,
                 headers: dict | None = None, credentials: grpc.ChannelCredentials | None = None):
        self.base_url = base_url
        self.target = target_of(base_url)
        self.timeout = _timeout(timeout)
        self._md = _metadata(api_key, headers)
        self._rid = given_request_id(headers)
        if credentials is None and base_url.lower().startswith("grpcs://"):
            credentials = grpc.ssl_channel_credentials()
        self._credentials = credentials

    def _call_metadata(self) -> tuple[tuple, str]:
        """(metadata, request id) of one call."""
        if self._rid is not None:
            return self._md, self._rid
        rid = new_request_id()
        return (*self._md, (REQUEST_ID, rid)), rid

    def _timeout_of(self, timeout: Any) -> float | None:
        return _timeout(timeout) if timeout is not None else self.timeout


class GRPCTransport(_GRPCConfig):
    def __init__(self, base_url: str, **kw):
        super().__init__(base_url, **kw)
        self._channel = grpc.secure_channel(self.target, self._credentials, options=CHANNEL_OPTIONS) \
            if self._credentials else grpc.insecure_channel(self.target, options=CHANNEL_OPTIONS)
        self._stub = pb_grpc.GradserveStub(self._channel)

    def call(self, op: str, body: dict | None, *, binary: bool = False, timeout: Any = None,
             path_arg: str | None = None) -> dict:
        method, req, decode = _prepare(op, body, path_arg)
        t = self._timeout_of(timeout)
        md, rid = self._call_metadata()
        fn = getattr(self._stub, method)
        end = None if t is None else time.monotonic() + t
        for attempt in range(REFUSED_TRIES):  # a refused stream never started: sent again (refused_pause)
            try:
                return decode(fn(req, timeout=_left(end), metadata=md))
            except grpc.RpcError as e:
                pause = refused_pause(e, attempt, end)
                if pause is None:
                    raise to_error(e, f"{method} {self.target}", rid) from None
            time.sleep(pause)
        raise AssertionError("unreachable: the last try raises")

    def close(self) -> None:
        self._channel.close()


class AsyncGRPCTransport(_GRPCConfig):
    def __init__(self, base_url: str, **kw):
        super().__init__(base_url, **kw)
        self._channel = None  # created in the running loop, on first use
        self._stub = None

    def _ensure(self):
        if self._channel is None:
            self._channel = grpc.aio.secure_channel(self.target, self._credentials, options=CHANNEL_OPTIONS) \
                if self._credentials else grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS)
            self._stub = pb_grpc.GradserveStub(self._channel)
        return self._stub

    async def call(self, op: str, body: dict | None, *, binary: bool = False, timeout: Any = None,
                   path_arg: str | None = None) -> dict:
        method, req, decode = _prepare(op, body, path_arg)
        t = self._timeout_of(timeout)
        md, rid = self._call_metadata()
        fn = getattr(self._ensure(), method)
        end = None if t is None else time.monotonic() + t
        for attempt in range(REFUSED_TRIES):  # a refused stream never started: sent again (refused_pause)
            try:
                return decode(await fn(req, timeout=_left(end), metadata=md))
            except grpc.RpcError as e:
                pause = refused_pause(e, attempt, end)
                if pause is None:
                    raise to_error(e, f"{method} {self.target}", rid) from None
            await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last try raises")

    async def aclose(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
