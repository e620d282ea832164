"""The gRPC adapter (grpc.aio): decode, call the core, encode. No logic of its own.

Service `gradserve.v1.Gradserve` (service/proto/gradserve.proto) beside the standard
`grpc.health.v1.Health` service (SERVING while the core is ready, NOT_SERVING when it is not or
when the server drains) and server reflection. It runs in the event loop of the HTTP server and
calls the same `Core`: `attach(app, settings, core)` starts it in the FastAPI lifespan once the
core is up and drains it before the core stops.

- Requests are validated by the same pydantic models as HTTP bodies (service.models), with the
  tensors decoded from their raw little-endian bytes (codec.tensor_from_bytes, zero-copy views).
- Message size: receive limit = settings.max_body_bytes (the HTTP body limit); past it grpc
  answers RESOURCE_EXHAUSTED itself. Responses (binary): within max_binary_output_bytes and protobuf's 2 GiB message
  limit (core.PROTOBUF_ANSWER_BYTES: RESOURCE_EXHAUSTED naming protobuf_message_bytes), checked before running.
- Parameter values by content hash (service.tensor_store): PutTensors, MissingTensors, as POST /v1/tensors(/missing).
- Answers a client has not read (no flow-control credit) are held by grpc: past grpc_unsent_answer_bytes of them its
  next jobs and answers (a job's, GetGraph's) are refused (service.answer_budget).
- Deadline: min(deadline_ms of the request or the server default, the call's time_remaining()).
- Cancellation: a client that cancels (or whose deadline passes) cancels the handler task, and
  Core.run drops the job if it is still queued, or recycles the worker running it.
- Errors: gRPC status per error code (service.errors.CODES), the message as details, the HTTP error body
  {"error": {...}} as JSON in the trailing metadata `gradserve-error-bin` (cut to fit; `retry-after` with
  overloaded, `x-request-id`), and a standard google.rpc.Status in `grpc-status-details-bin`.
- Admission, decode offload, metrics: service.jobs, as for HTTP.
- API keys: metadata `authorization: Bearer KEY`, the HTTP policy (health, reflection,
  ServerLive and ServerReady need none).
"""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from pydantic import ValidationError

from .answer_wire import WireAnswers, counted_bytes, job_answer_bytes
from .api_keys import key_ok, metadata_authorization
from .body_budget import parsed
from . import client_shm, codec, gc_pause, models, node_scan
from .derivation import check_order
from .core import GRAPH_OFF_LOOP, Core, JobRequest, JobResult, drain_wait_s
from .errors import (CODES, DETAIL_CHARS, MESSAGE_CHARS, DeadlineExceeded, Internal, InvalidRequest,
                     ServiceError, Unauthorized, clip)
from .grpc_conns import ConnWatch
from .grpc_inflate import Inflating, decoded, message_of, own_charge
from .grpc_precheck import message_checks
from .client_identity import metadata_forwarded, peer_key_of
from .jobs import (BIG, REQUEST_ID, JobCall, client_of, job_request, offload, request_id,
                   validate, validation_error, without_tensors)
from .proto import gradserve_pb2 as pb
from .proto import gradserve_pb2_grpc as pb_grpc
from .settings import Settings
from .tensor_store import MAX_ENTRIES, NAMES_BY_HASH, put_all

log = logging.getLogger("gradserve.grpc")
SERVICE = pb.DESCRIPTOR.services_by_name["Gradserve"].full_name  # gradserve.v1.Gradserve
# handlers given a grpc_inflate.Held: the jobs', and RegisterGraph's (its message's charge is its own when parsed)
JOB_METHODS = ("Grad", "Jvp", "Vjp", "Jacobian", "Hessian", "Hvp", "Eval", "RegisterGraph")
WIRE_ANSWERS = frozenset(JOB_METHODS[:-1])  # (their answers: encode_result's)


def held_methods(services: tuple) -> frozenset:
    """The job methods (full names) whose handlers take a grpc_inflate.Held: ours, and those another service's
    adder names in its `held` attribute."""
    return frozenset(f"/{SERVICE}/{m}" for m in JOB_METHODS) | \
        frozenset(m for _, add in services for m in getattr(add, "held", ()))
ERROR_KEY = "gradserve-error-bin"
SC = grpc.StatusCode
GRPC_CODES = {code: getattr(SC, name) for code, (_, name) in CODES.items()}  # service.errors.CODES


def grpc_code(code: str) -> grpc.StatusCode:
    """The gRPC status of an error code (one the table lacks is INTERNAL, as it is a 500 over HTTP)."""
    return GRPC_CODES.get(code, SC.INTERNAL)


TRAILER_BYTES = 4096  # the error body in the trailers stays well under gRPC's 8 KiB metadata limit


def rich_status(err: ServiceError) -> bytes:
    """The error as a standard google.rpc.Status (grpc-status-details-bin): ErrorInfo with the error code,
    the setting a limit names and whether a retry can help; RetryInfo when it can (overloaded)."""
    st = status_pb2.Status(code=grpc_code(err.code).value[0], message=err.public_message)
    meta = {"retryable": "true" if err.retry_after is not None else "false"}
    for k in ("limit", "path", "request_id", "device"):
        if isinstance(err.detail.get(k), str):
            meta[k] = clip(err.detail[k], DETAIL_CHARS)
    info = error_details_pb2.ErrorInfo(reason=err.code.upper(), domain="gradserve", metadata=meta)
    st.details.add().Pack(info)
    if err.retry_after is not None:  # overloaded, draining
        st.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=err.retry_after)))
    return st.SerializeToString()


def error_trailers(err: ServiceError) -> tuple:
    """The HTTP error body as trailers; an echo of the caller's input is cut short to fit."""
    body = err.to_dict()
    raw = json.dumps(body, separators=(",", ":")).encode()
    if len(raw) > TRAILER_BYTES:
        e = body["error"]
        e["message"] = clip(e["message"], MESSAGE_CHARS)
        e["detail"] = {k: (clip(v, DETAIL_CHARS) if isinstance(v, str) else v) for k, v in e["detail"].items()
                       if isinstance(v, (str, int, float, bool)) or v is None}
        raw = json.dumps(body, separators=(",", ":")).encode()
    md = [(ERROR_KEY, raw), ("grpc-status-details-bin", rich_status(err))]
    rid = err.detail.get("request_id")
    if rid:
        md.append((REQUEST_ID, str(rid)))
    if err.retry_after is not None:
        md.append(("retry-after", str(err.retry_after)))
    return tuple(md)


def call_client(core: Core, context, host: str | None = None) -> str:
    """jobs.client_of for a call, of any gRPC service: its API key, else its peer's host (`host`: where the caller
    has it already; behind a trusted proxy: x-forwarded-for)."""
    md = context.invocation_metadata() or ()
    host = client_shm.grpc_peer_host(context.peer()) if host is None else host
    return client_of(core, metadata_authorization(md), host, metadata_forwarded(md))


async def abort(context, e: ServiceError) -> None:
    """End the call with `e`: its status, its message, and the HTTP error body as trailers."""
    e.message = e.public_message  # the details and the trailer's message alike
    await context.abort(grpc_code(e.code), e.message, trailing_metadata=error_trailers(e))


# -- decoding ----------------------------------------------------------------------------------------
TENSOR_FIELDS = {"eval": (), "grad": ("sens",), "jvp": ("tangents",), "vjp": ("v",), "jacobian": (), "hessian": (),
                 "hvp": ("v",)}
REQUIRED_TENSORS = {"jvp": "tangents", "vjp": "v", "hvp": "v"}  # required by the models even when empty


# What a tensor with no negative dimension shows the models: protobuf types its fields, so its envelope is one
# they accept (codec.envelope_ok), and a dict per tensor held ~600 B for each 2-byte empty Tensor of a message
_WELL_FORMED = {"shape": [], "datatype": ""}


def _spec(t: pb.Tensor) -> dict:
    """The tensor as the models see it (envelope only: the bytes are checked by the codec)."""
    if min(t.shape, default=0) >= 0:
        return _WELL_FORMED
    return {"name": t.name, "shape": list(t.shape), "datatype": t.datatype}


def _positions(p: pb.Positions, path: str):
    if p.is_list:
        return list(p.values)
    if len(p.values) != 1:
        raise InvalidRequest(f"{path}: one value, or is_list for a list (got {len(p.values)} values)", path=path)
    return p.values[0]


def _grad_fields(m, head: dict, path: str) -> None:
    if m.get_all:
        head["get_all"] = True
    if m.get_by_list:
        head["get_by_list"] = True
    if m.no_grad_position:
        head["grad_position"] = None
    elif m.HasField("grad_position"):
        head["grad_position"] = _positions(m.grad_position, f"{path}.grad_position")
    if m.HasField("weights"):
        head["weights"] = list(m.weights.values)


def _head(kind: str, m, s: Settings) -> tuple[dict, bool]:
    """The request as the JSON body the HTTP adapter would validate (tensors as their envelopes), and
    whether its graph is strict JSON (see codec.loads)."""
    head: dict[str, Any] = {}
    strict = False
    if m.graph_json:
        head["graph"], strict = _graph_json(m, s)
    if m.graph_id:
        head["graph_id"] = m.graph_id
    head["inputs"] = [_spec(t) for t in m.inputs]
    if m.params:
        head["params"] = {k: _spec(t) for k, t in m.params.items()}
    if m.device:
        head["device"] = m.device
    if m.HasField("deadline_ms"):
        head["deadline_ms"] = m.deadline_ms
    for f in TENSOR_FIELDS[kind]:
        ts = getattr(m, f)
        if len(ts) or f == REQUIRED_TENSORS.get(kind):
            head[f] = [_spec(t) for t in ts]
    if kind == "grad":
        _grad_fields(m, head, "$")
        if m.HasField("order"):  # presence, so an explicit 0 is refused as HTTP refuses it
            head["order"] = m.order
        if m.value_and_grad:
            head["value_and_grad"] = True
        if len(m.inner):
            check_order(m.order if m.HasField("order") else None, len(m.inner), s.max_order)
            inner = []
            for i, s in enumerate(m.inner):
                d: dict[str, Any] = {}
                _grad_fields(s, d, f"$.inner[{i}]")
                if s.sens_param:
                    d["sens_param"] = True
                inner.append(d)
            head["inner"] = inner
    elif kind in ("jvp", "jacobian", "hessian", "hvp"):
        if m.HasField("positions"):
            head["positions"] = _positions(m.positions, "$.positions")
        if kind == "jacobian" and m.mode:
            head["mode"] = m.mode
    return head, strict


def decode_job(kind: str, m, s: Settings, size: int = 0) -> JobRequest:
    head, strict = _head(kind, m, s)
    v = validate(kind, without_tensors(head))  # (a model per tensor: 2 M empty tensors in 3.8 MiB held 2.1 GB)

    def tensor(t: pb.Tensor, path: str):
        return codec.tensor_from_bytes(t.raw_contents, t.shape, t.datatype, path, max_elements=s.max_elements)

    inputs = [tensor(t, f"$.inputs[{i}]") for i, t in enumerate(m.inputs)]
    params = {k: tensor(t, f"$.params.{k}") for k, t in m.params.items()}
    tensors = {f: [tensor(t, f"$.{f}[{i}]") for i, t in enumerate(getattr(m, f))]
               for f in TENSOR_FIELDS[kind] if f in head}
    return job_request(kind, v, inputs, params, tensors, size=size, strict=strict, output_format="grpc")


# -- encoding ----------------------------------------------------------------------------------------
def _structure(s) -> pb.Structure:
    if isinstance(s, list):
        return pb.Structure(tuple=pb.StructureTuple(items=[_structure(x) for x in s]))
    return pb.Structure(index=s)


def encode_result(res: JobResult) -> pb.JobResponse | bytes:
    """The job's answer: a JobResponse, or past BIG output bytes its wire bytes (service.answer_wire: each output
    copied once, and grpc's serializer passes them through)."""
    t = res.timing
    timing = pb.Timing(queue_ms=float(t.get("queue_ms", 0.0)), compute_ms=float(t.get("compute_ms", 0.0)),
                       total_ms=float(t.get("total_ms", 0.0)), compile_cache=str(t.get("compile_cache", "")),
                       threads=int(t.get("threads", 0)), reclaimed=bool(t.get("reclaimed", False)),
                       lane=str(t.get("lane", "")))
    out = pb.JobResponse(structure=_structure(res.structure), graph_id=res.graph_id, device=res.device, timing=timing)
    if sum(a.nbytes for _, a in res.outputs) > BIG:
        return job_answer_bytes(res.outputs, out)
    for name, a in res.outputs:  # built in place: a Tensor made first would be copied again into the list
        out.outputs.add(name=name, datatype=codec.v2_datatype(a.dtype), shape=list(a.shape),
                        raw_contents=bytes(codec.tensor_to_bytes(a)))
    return out


def _tensor_count(kind: str, m) -> int:
    return len(m.inputs) + len(m.params) + sum(len(getattr(m, f)) for f in TENSOR_FIELDS[kind])


def _tensor_bytes(kind: str, m) -> int:
    """About the request's size, from its graph and its tensors' shapes. Not m.ByteSize(): with the upb
    runtime that serialises the whole message (~0.1 s of event loop for 64 MiB)."""
    n = len(m.graph_json)
    for t in [*m.inputs, *m.params.values(), *(x for f in TENSOR_FIELDS[kind] for x in getattr(m, f))]:
        k = codec.V2_TO_NP[t.datatype].itemsize if t.datatype in codec.V2_TO_NP else 8
        for d in t.shape:
            k *= d
        n += k
    return n


def _signature(sig: dict) -> pb.Signature:
    def specs(xs):
        return [pb.TensorSpec(name=x.get("name") or "", datatype=x["datatype"], shape=x["shape"]) for x in xs]

    return pb.Signature(inputs=specs(sig["inputs"]), params=specs(sig["params"]), outputs=specs(sig["outputs"]))


def _graph_json(m, s: Settings) -> tuple[Any, bool]:
    """(graph, strict): see codec.loads; its objects and arrays counted first, as an HTTP body's are, and its node
    list (a 6 MB graph of 99 000 nodes was parsed here, 0.6-1.1 s of the server's CPU, before its 413)."""
    node_scan.check_node_list(m.graph_json, s.max_nodes, s.max_work, in_body=False)
    return codec.loads(m.graph_json, "graph_json", "$.graph", limits=codec.JsonLimits(None, s.max_json_containers))


# -- the servicer ------------------------------------------------------------------------------------
class Servicer(pb_grpc.GradserveServicer):
    def __init__(self, settings: Settings, core: Core):
        self.settings = settings
        self.core = core
        self.metrics = core.metrics
        self.keys = [k.encode() for k in settings.api_key_list]

    # each handler: errors become the status + trailers, whatever raised them
    async def _guard(self, context, fn, *, auth: bool = True):
        try:
            if auth:
                self._check_key(context)
            return await fn()
        except ServiceError as e:
            rid = dict(context.invocation_metadata() or ()).get(REQUEST_ID)
            e.detail.setdefault("request_id", request_id(rid))
            await self._abort(context, e)

    def _check_key(self, context) -> None:
        if not self.keys:
            return
        if not key_ok(metadata_authorization(context.invocation_metadata()), self.keys):
            raise Unauthorized("missing or wrong API key: send metadata authorization: Bearer <key>")

    def _client(self, context) -> str:
        return call_client(self.core, context)

    async def _job(self, kind: str, held, context) -> pb.JobResponse | bytes:
        request = message_of(held)  # (a grpc_inflate.Held: the message is dropped once decoded)
        md = dict(context.invocation_metadata() or ())
        call = JobCall(self.core, kind, "grpc", md.get(REQUEST_ID), self._client(context))
        context.set_trailing_metadata(((REQUEST_ID, call.request_id),))
        bound = False  # the job's deadline is the call's own gRPC deadline
        try:
            self._check_key(context)
            self.core.unsent_answers.check(call.client)  # (its answers not yet read: service.answer_budget)
            call.admit()  # the same admission as HTTP: a place before the message is decoded and run
            codec.check_tensor_count(_tensor_count(kind, request), self.settings.max_tensors,
                               " + ".join(("inputs", "params", *TENSOR_FIELDS[kind])))
            # (the size hint an inline graph's too, as HTTP's body length: core loads a large one off the loop)
            size = _tensor_bytes(kind, request) + len(request.graph_json)
            if size > BIG:  # (an inline graph's parse too: off the loop, in the budget)
                req = await asyncio.to_thread(parsed, self.core.parses, call.client, request.graph_json,
                                              own_charge(held), decode_job, kind, request, self.settings, size)
            else:
                req = decode_job(kind, request, self.settings, size)
            del request  # its copy goes back to the body budget while the job waits and runs
            decoded(held)
            bound = self._call_deadline(req, context)
            res = await call.run(req)
            nbytes = sum(a.nbytes for _, a in res.outputs)
            # (counted until its call finishes, a small one as 64 KiB: service.answer_wire.counted_bytes)
            self.core.unsent_answers.hold(context, call.client, counted_bytes(nbytes))
            return await offload(nbytes > BIG, encode_result, res)
        except ServiceError as e:
            if bound and isinstance(e, DeadlineExceeded):  # tell the client it was its own call's timeout
                e.detail["deadline_source"] = "call"
            await self._abort(context, call.failed(e))
        except asyncio.CancelledError:
            call.outcome = "cancelled"
            raise
        except Exception as e:  # noqa: BLE001 - never UNKNOWN without a trailer: say it, as HTTP's 500 does
            log.exception("internal error in %s", kind)
            await self._abort(context, call.failed(Internal(f"{type(e).__name__}: {e}")))
        finally:
            call.close()

    def _call_deadline(self, req: JobRequest, context) -> bool:
        """The job's deadline: its own (checked against the limit, as over HTTP), cut to the call's."""
        own = self.core.deadline_of(req.deadline_s)
        remaining = context.time_remaining()
        req.deadline_s = own
        if remaining is not None:
            if remaining <= 0:
                raise DeadlineExceeded("the call's gRPC deadline passed before the job started",
                                       deadline_source="call")
            req.deadline_s = min(own, remaining)
        return remaining is not None and remaining < own

    async def _abort(self, context, e: ServiceError) -> None:
        await abort(context, e)

    async def Grad(self, request, context):
        return await self._job("grad", request, context)

    async def Jvp(self, request, context):
        return await self._job("jvp", request, context)

    async def Vjp(self, request, context):
        return await self._job("vjp", request, context)

    async def Jacobian(self, request, context):
        return await self._job("jacobian", request, context)

    async def Hessian(self, request, context):
        return await self._job("hessian", request, context)

    async def Hvp(self, request, context):
        return await self._job("hvp", request, context)

    async def Eval(self, request, context):
        return await self._job("eval", request, context)

    async def RegisterGraph(self, held, context):
        request = message_of(held)  # (a grpc_inflate.Held)

        async def fn():
            client = self._client(context)
            # a large graph parsed off the event loop (a 40 MiB one held it, every client's calls, 2.3 s), its
            # parse held in the body budget (service.body_budget), beside its own message's charge: a lone call
            # goes ahead (before, that charge counted as another's: a lone 6 MB graph_json was refused for good)
            out = await asyncio.to_thread(parsed, self.core.parses, client, request.graph_json, own_charge(held),
                                          self._register, request, client) if len(request.graph_json) > BIG \
                else await asyncio.to_thread(self._register, request, client) \
                if len(request.graph_json) > GRAPH_OFF_LOOP or NAMES_BY_HASH in request.graph_json \
                else self._register(request, client)
            return pb.RegisterGraphResponse(graph_id=out["graph_id"], signature=_signature(out["signature"]))

        return await self._guard(context, fn)

    def _register(self, request, client: str) -> dict:
        with gc_pause.paused_if(len(request.graph_json) > BIG):  # (as HTTP's: the graph walked once, after)
            graph, strict = _graph_json(request, self.settings)
            try:
                m = models.RegisterRequest.model_validate({"graph": graph})
            except ValidationError as e:
                raise validation_error(e) from None
            del graph
            return self.core.register_graph(m.graph, strict, client)

    async def GetGraph(self, request, context):
        async def fn():
            client = self._client(context)  # (its answer, a graph's JSON for a few bytes asked, counted as a job's)
            self.core.unsent_answers.check(client)
            out = self.core.get_graph(request.graph_id)
            self.core.unsent_answers.hold(context, client, counted_bytes(len(out["graph_json"])))
            return pb.GetGraphResponse(graph_id=out["graph_id"], signature=_signature(out["signature"]),
                                       graph_json=out["graph_json"])

        return await self._guard(context, fn)

    async def PutTensors(self, request, context):
        async def fn():
            self.core.tensors.check_on()
            codec.check_tensor_count(len(request.tensors), self.settings.max_tensors, "$.tensors")  # (as HTTP's)
            arrays = [codec.tensor_from_bytes(t.raw_contents, t.shape, t.datatype, f"$.tensors[{i}]")
                      for i, t in enumerate(request.tensors)]
            out = await asyncio.to_thread(put_all, self.core.tensors, arrays, self._client(context))
            return pb.PutTensorsResponse(sha256=out["sha256"], stored=out["stored"])

        return await self._guard(context, fn)

    async def MissingTensors(self, request, context):
        async def fn():
            keys = request.sha256  # (counted before it is copied, then checked off the loop: 2^18 held it ~0.7 s)
            if len(keys) > MAX_ENTRIES:
                raise InvalidRequest(f"expected a list of at most {MAX_ENTRIES} sha256 hex digests", path="$.sha256")
            client = self._client(context)
            missing = await asyncio.to_thread(lambda: self.core.tensors.missing(list(keys), client))
            return pb.MissingTensorsResponse(missing=missing, **self.core.tensors.limits())

        return await self._guard(context, fn)

    async def Devices(self, request, context):
        async def fn():
            return pb.DevicesResponse(devices_json=json.dumps(self.core.devices(), separators=(",", ":")).encode())

        return await self._guard(context, fn)

    async def ServerLive(self, request, context):
        return pb.ServerLiveResponse(live=self.core.live())

    async def ServerReady(self, request, context):
        return pb.ServerReadyResponse(ready=self.core.ready())


# -- the server ---------------------------------------------------------------------------------------
def _bind_address(host: str, port: int) -> str:
    h = host.strip("[]")
    return f"[{h}]:{port}" if ":" in h else f"{h}:{port}"


def peer_bounds(s: Settings) -> list:
    """What one peer may hold. A unary response is handed to grpc's transport whole: a peer that never
    reads, or grants no flow-control credit, would keep its bytes for as long as its connection lives.
    So: at most max_connections connections (HTTP's cap) of grpc_max_streams open streams each, each
    handshake done within header_timeout_s, and
    every connection is told to go away after grpc_max_connection_age_s and closed once the longest job
    and its sending could have ended: what a peer that takes nothing holds is freed then. (grpc's
    keepalive does not catch such a peer: tests/grpc/test_grpc_attacks_more.py.) What grpc core reads of a
    connection ahead of its parser is at most grpc_read_buffer_bytes (tests/grpc/test_grpc_frame_floods.py)."""
    ms = lambda sec: max(1, min(int(sec * 1000), 2**31 - 1))  # noqa: E731 - grpc takes C int milliseconds
    bounds = [("grpc.max_concurrent_streams", s.grpc_max_streams),
              # calls count against it until freed, not until their streams close (grpc_reset_protection)
              ("grpc.http.overload_protection", int(s.grpc_reset_protection)),
              # compressed messages handed over as sent, inflated within the body budget (service.grpc_inflate);
              # off, identity only: a compressed message is refused uninflated (grpc would inflate it outside it)
              (("grpc.per_message_decompression", 0) if s.grpc_compressed_requests else
               ("grpc.compression_enabled_algorithms_bitset", 1)),
              ("grpc.max_allowed_incoming_connections", s.max_connections),
              # a connection must finish its HTTP/2 preface and first SETTINGS as an HTTP head must arrive
              # (grpc's default, 120 s, let one peer hold every connection place with idle sockets)
              ("grpc.server_handshake_timeout_ms", ms(s.header_timeout_s))]
    if s.grpc_read_buffer_bytes > 0:  # what grpc core reads ahead of its parser, per connection (unbounded: 100s of MiB)
        bounds.append(("grpc.experimental.tcp_max_read_buffer_size", min(s.grpc_read_buffer_bytes, 2**31 - 1)))
    if s.grpc_stream_headroom > 0:  # answered calls not yet freed: room of their own
        bounds.append(("grpc.http2.max_deallocating_streams", s.grpc_stream_headroom))
    if s.grpc_max_connection_age_s > 0:
        grace = s.max_deadline_s + s.deadline_grace_s + s.send_timeout_s
        bounds += [("grpc.max_connection_age_ms", ms(s.grpc_max_connection_age_s)),
                   ("grpc.max_connection_age_grace_ms", ms(grace))]
    return bounds


class GrpcServer:
    """The grpc.aio server of one process: Gradserve + health + reflection, in the running loop."""

    def __init__(self, settings: Settings, core: Core, services: tuple = ()):
        self.settings = settings
        self.core = core
        self.services = services  # more (full name, add-to-server) pairs, e.g. service.oip_grpc's
        self.server: grpc.aio.Server | None = None
        self.health = HealthServicer()
        self.port: int | None = None
        self._watch: asyncio.Task | None = None
        self._conns: asyncio.Task | None = None  # (service.grpc_conns)
        self._stopping: asyncio.Task | None = None
        # as long as a SIGTERM drain of the HTTP server may take (calls still running by then were ended by the
        # core's drain cap, Core.begin_drain)
        self.grace = drain_wait_s(settings)

    async def start(self) -> int:
        s = self.settings
        # grpc takes a C int here: a larger body limit means "as large as gRPC allows"
        options = [("grpc.max_receive_message_length", min(s.max_body_bytes, 2**31 - 1)),
                   ("grpc.max_send_message_length", -1),
                   ("grpc.so_reuseport", 0),  # a port in use fails the start instead of being shared
                   *peer_bounds(s)]
        # every message decoded within the body budget (service.grpc_inflate), a compressed one inflated if taken
        inflating = Inflating(s.max_body_bytes, self.core.body_budget, abort, s.grpc_compressed_requests,
                              held_methods(self.services), message_checks(SERVICE, s.max_tensors),
                              (self.core.parse_share, lambda context: call_client(self.core, context)))
        self.server = grpc.aio.server(options=options, interceptors=[inflating])
        # (the job methods' large answers come as their wire bytes: service.answer_wire)
        pb_grpc.add_GradserveServicer_to_server(Servicer(s, self.core), WireAnswers(self.server, WIRE_ANSWERS))
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        for _, add in self.services:
            add(self.server)
        reflection.enable_server_reflection(
            (SERVICE, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME,
             *(name for name, _ in self.services)), self.server)
        address = _bind_address(s.host, s.grpc_port)
        try:
            self.port = self.server.add_insecure_port(address)
        except RuntimeError as e:
            raise RuntimeError(f"gRPC: cannot listen on {address} ({e}); set --grpc-port, or --no-grpc") from None
        if not self.port:
            raise RuntimeError(f"gRPC: cannot listen on {address}; set --grpc-port, or --no-grpc")
        await self._set_health()
        await self.server.start()
        self._watch = asyncio.create_task(self._watch_core())
        self._conns = asyncio.create_task(ConnWatch(self.core.metrics, self.port, s.grpc_max_connection_age_s,
                                                    peer_cap=s.peer_connection_cap, peer_key=peer_key_of(s),
                                                    max_connections=s.max_connections).run())
        log.info("gRPC on %s (gradserve.v1.Gradserve, grpc.health.v1, reflection)", _bind_address(s.host, self.port))
        return self.port

    async def _set_health(self) -> None:
        status = health_pb2.HealthCheckResponse.SERVING if self.core.ready() else \
            health_pb2.HealthCheckResponse.NOT_SERVING
        # every service served by name (the OIP's `inference.GRPCInferenceService` too: Triton's Check answers its
        # readiness whatever the name), "" for the server
        for name in ("", SERVICE, *(n for n, _ in self.services)):
            await self.health.set(name, status)

    async def _watch_core(self) -> None:
        """Health follows the core's readiness; a drain (SIGTERM) stops taking calls and lets in-flight ones end."""
        while not self.core.draining:
            await self._set_health()
            await asyncio.sleep(0.1)
        self.begin_stop()

    def begin_stop(self) -> asyncio.Task:
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        return self._stopping

    async def _stop(self) -> None:
        await self.health.enter_graceful_shutdown()
        if self.server is not None:
            await self.server.stop(self.grace)

    async def stop(self) -> None:
        await self.begin_stop()
        for task in (self._watch, self._conns):
            if task is not None and not task.done():
                task.cancel()


def attach(app, settings: Settings, core: Core, services: tuple = ()) -> None:
    """Serve gRPC for the life of the FastAPI app: started once the core has started (inside the app's
    lifespan), drained and stopped before the core stops."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a):
        async with inner(a) as state:
            server = GrpcServer(settings, core, services)
            await server.start()
            app.state.grpc_port = server.port
            try:
                yield state
            finally:
                await server.stop()

    app.router.lifespan_context = lifespan


__all__ = ["GrpcServer", "Servicer", "attach", "decode_job", "encode_result", "grpc_code", "GRPC_CODES",
           "ERROR_KEY", "SERVICE", "math"]
