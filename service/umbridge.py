"""UM-Bridge protocol 1.0 at /umbridge: every repository model as an UM-Bridge model of its graph.

UM-Bridge sees a model F(x_0, ..., x_{n-1}) = (y_0, ..., y_{m-1}) of flat float vectors; here F is
the model's graph (evaluated as it is, whatever the model's own kind), each vector its tensor
flattened row-major. The derivatives are jobs of the core on that graph, derived by the engine:

    Gradient(outWrt=o, inWrt=i, sens)          vjp with v = sens on output o (zeros elsewhere): d/dx_i
    ApplyJacobian(outWrt=o, inWrt=i, vec)      jvp at position i with tangent vec: output o's jvp
    ApplyHessian(o, i1, i2, sens, vec)         grad of (grad w.r.t. x_i2 with sens on output o)
                                               w.r.t. x_i1, with sens vec: sum_j d2(sens.y_o)/dx_i1 dx_i2_j vec_j

Errors are UM-Bridge's {"error": {"type", "message"}} (status 400 for the client's mistakes), which
the `umbridge` client raises with the message.
"""
from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from engine.ir import is_complex, is_float

from . import codec, json_head
from .answer_budget import UnsentAnswers
from .core import Core
from .errors import InvalidRequest, ServiceError, http_headers, http_status
from .http_app import BIG, AsgiBody, ClientGone, PartsResponse, charged, run_watching
from .http_body import content_coding, read_body, read_small_body
from .jobs import request_client
from .oip_http import admit, key_checker
from .repository import Model, ModelRepository
from .routing import route
from .settings import Settings

DERIVATIVES = ("Gradient", "ApplyJacobian", "ApplyHessian")


def support(model: Model) -> dict:
    """ModelInfo's support, the model's for every outWrt / inWrt: Evaluate unless a tensor is complex (UM-Bridge
    vectors are real); the derivatives when every input and output is floating-point (an integer or boolean
    one has no derivative)."""
    dtypes = {np.dtype(v.dtype).name for v in [*model.parsed.inputs, *model.parsed.flat_outputs]}
    # (the engine's floats: bfloat16 among them, which NumPy's kind calls "V", so a bfloat16 model's derivatives
    # were refused as "not floating-point")
    return {"Evaluate": not any(map(is_complex, dtypes)), **{op: all(map(is_float, dtypes)) for op in DERIVATIVES}}


def check_support(model: Model, op: str) -> None:
    if not support(model)[op]:
        why = "a complex input or output (UM-Bridge vectors are real)" if op == "Evaluate" else \
            "an input or output that is not floating-point (integer, boolean and complex ones have no derivative here)"
        raise UMError("UnsupportedFeature", f"model {model.name!r} does not support {op}: it has {why}; its support: "
                      "POST /ModelInfo")


def device_of(body: dict, model: Model) -> str:
    """The device of the body's config (the one configuration a model here takes), else the model's."""
    config = body.get("config")
    config = {} if config is None else config  # (not `or {}`: a config of 0, "" or [] is a mistake, not none)
    if not isinstance(config, dict) or set(config) - {"device"}:
        raise UMError("InvalidInput", "config may only hold \"device\"")
    device = config.get("device", model.device)
    if not isinstance(device, str):  # (a dict here once reached the pools' device lookup: a 500)
        raise UMError("InvalidInput", 'config "device" must be a device name such as "cpu"')
    return device


class UMError(InvalidRequest):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def um_body(e: ServiceError) -> dict:
    """UM-Bridge's error body (also what the app answers on /umbridge for what no route answers:
    service.model_api). No such route: an UnsupportedFeature (the umbridge client's shared-memory probe,
    /TestShMem, is one)."""
    status = http_status(e.code)
    kind = getattr(e, "kind", None) or ("UnsupportedFeature" if e.code in ("not_found", "method_not_allowed") else
                                        "InvalidInput" if status < 500 else "ModelError")
    return {"error": {"type": kind, "message": e.public_message}}


def um_error(e: ServiceError) -> JSONResponse:
    return JSONResponse(um_body(e), status_code=http_status(e.code), headers=http_headers(e))


def um_output(output: list, unsent: UnsentAnswers | None = None, client: str = "",
              send_timeout_s: float = 30.0) -> Response:
    """{"output": ...}; a non-finite value as the NaN / Infinity token (what /v1 writes, and what the umbridge
    client's JSON reader takes), not a 500 from a strict encoder. Above BIG, streamed and counted against the
    client's http_unsent_answer_bytes (`unsent`), as /v1's answers (Overloaded: past it)."""
    body = json.dumps({"output": output}, separators=(",", ":")).encode()
    if unsent is not None and len(body) > BIG:
        return PartsResponse([body], 200, {}, "application/json", send_timeout_s, unsent, client)
    return Response(body, media_type="application/json")


def out_vector(a) -> list:
    """An output flattened: integers as JSON integers (as float64, int64 / uint64 values from 2^53 on were
    rounded), the rest as float64 (booleans 0.0 / 1.0)."""
    a = np.asarray(a)
    return (a if a.dtype.kind in "iu" else a.astype(np.float64)).reshape(-1).tolist()


def sizes(avals) -> list[int]:
    return [math.prod(v.shape) for v in avals]


def _index(body: dict, key: str, n: int) -> int:
    v = body.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < n:
        raise UMError("InvalidInput", f"{key} must be an integer in [0, {n - 1}], got {v!r}")
    return v


def _vector(v: Any, size: int, what: str) -> np.ndarray:
    # (a large body's vectors were read by a decoder process: codec.Decoded, service.json_decoder)
    a = v.array if type(v) is codec.Decoded else codec.number_vector(v) if isinstance(v, list) else None
    if a is None:
        raise UMError("InvalidInput", f"{what} must be a list of numbers")
    if len(a) != size:
        raise UMError("InvalidInput", f"{what} has length {len(a)}; expected {size}")
    return a


def input_tensor(v: Any, aval, what: str) -> np.ndarray:
    """An input vector as the graph's tensor: floating-point values rounded to its dtype (as OIP's JSON data);
    integer and boolean ones only where the dtype holds the value exactly (a plain cast truncated 1.5 to 1,
    wrapped 300 to 44 in int8, read 0.5 as true and 2^62 + 1 as 2^62: silently wrong answers)."""
    a, dt = _vector(v, math.prod(aval.shape), what), np.dtype(aval.dtype)
    if dt.kind == "b":
        if not np.isin(a, (0.0, 1.0)).all():
            raise UMError("InvalidInput", f"{what} (BOOL): a value is neither 0 nor 1")
    elif dt.kind in "iu":
        a = _exact_ints(v, a, dt, what)
    return a.astype(dt).reshape(aval.shape)


def _exact_ints(v: Any, a: np.ndarray, dt: np.dtype, what: str) -> np.ndarray:
    name = codec.v2_datatype(dt)
    if not np.isfinite(a).all() or (a != np.trunc(a)).any():
        raise UMError("InvalidInput", f"{what} ({name}): a value is not an integer")
    if a.size and np.abs(a).max() >= 2.0 ** 53:  # float64 rounded it: the JSON's own integers, read again
        if type(v) is not list:  # (a large body's vectors were read as float64 in a decoder process)
            raise UMError("InvalidInput", f"{what} ({name}): a value from 2^53 on in a body this large "
                          "cannot be read exactly (send it in a smaller request or through the Open Inference "
                          "Protocol)")
        try:
            return codec.exact_ints(v, dt, name)
        except OverflowError as e:
            raise UMError("InvalidInput", f"{what}: {e}") from None
    info = np.iinfo(dt)
    if a.size and (a.min() < info.min or a.max() > info.max):
        raise UMError("InvalidInput", f"{what}: a value is out of the range of {name}")
    return a


class Call:
    """One UM-Bridge request on a model: its inputs as the graph's tensors."""

    def __init__(self, core: Core, model: Model, body: dict):
        self.core, self.model, self.body = core, model, body
        g = model.parsed
        self.ins, self.outs = list(g.inputs), list(g.flat_outputs)
        for what, v in [("input", v) for v in self.ins] + [("output", v) for v in self.outs]:
            if np.dtype(v.dtype).kind == "c":  # UM-Bridge vectors are real: a complex one would lose its imag
                raise UMError("UnsupportedFeature", f"model {model.name!r} has a {v.dtype} {what}; UM-Bridge "
                              "carries real vectors (use the Open Inference Protocol or /v1 jobs)")
        raw = body.get("input")
        if not isinstance(raw, list) or len(raw) != len(self.ins):
            raise UMError("InvalidInput", f"input must be a list of {len(self.ins)} vectors (one per model input)")
        self.x = [input_tensor(v, a, f"input[{i}]") for i, (v, a) in enumerate(zip(raw, self.ins))]
        self.device = device_of(body, model)

    @staticmethod
    def tensor(vec: np.ndarray, aval) -> np.ndarray:
        return vec.astype(np.dtype(aval.dtype)).reshape(aval.shape)

    def output_sens(self, o: int, sens: np.ndarray) -> list:
        """One cotangent per graph output: sens on output o, zeros elsewhere."""
        return [self.tensor(sens, a) if j == o else np.zeros(a.shape, np.dtype(a.dtype)) for j, a in
                enumerate(self.outs)]

    def job(self, kind: str, options: dict, extra_inputs: list = ()):
        req = self.model.job(self.x + list(extra_inputs), self.core, kind=kind, options=options)
        req.device = self.device
        return req


def plan(op: str, call: Call) -> tuple[Any, int]:
    """(the JobRequest of an UM-Bridge operation, index of the answer among the job's outputs)."""
    b, n_in, n_out = call.body, len(call.ins), len(call.outs)
    if op == "Evaluate":
        return call.job("eval", {}), -1
    o = _index(b, "outWrt", n_out)
    out_size = math.prod(call.outs[o].shape)
    if op == "Gradient":
        i = _index(b, "inWrt", n_in)
        sens = _vector(b.get("sens"), out_size, "sens")
        return call.job("vjp", {"v": call.output_sens(o, sens)}), n_out + i
    if op == "ApplyJacobian":
        i = _index(b, "inWrt", n_in)
        vec = _vector(b.get("vec"), math.prod(call.ins[i].shape), "vec")
        return call.job("jvp", {"positions": i, "tangents": [call.tensor(vec, call.ins[i])]}), n_out + o
    i1, i2 = _index(b, "inWrt1", n_in), _index(b, "inWrt2", n_in)
    sens = _vector(b.get("sens"), out_size, "sens")
    vec = _vector(b.get("vec"), math.prod(call.ins[i2].shape), "vec")
    inner = [{"grad_position": i2, "sens_param": True}]
    return call.job("grad", {"grad_position": i1, "inner": inner, "sens": [call.tensor(vec, call.ins[i2])]},
                    call.output_sens(o, sens)), 0


async def _job_body(request: Request, settings: Settings, core: Core, client: str):
    """A job's body, parsed; a large one off the event loop (its parse stalled every client's requests), the
    parse held in the body budget (service.body_budget)."""
    raw = await read_body(request, settings.max_body_bytes, settings.body_timeout_s, core.body_budget,
                          json=json_head.WHOLE, share=(core.parse_share, client))
    if len(raw) <= BIG:
        return codec.loads(raw, limits=codec.JsonLimits.of(settings))[0]
    return (await asyncio.to_thread(charged, core.parses, client, raw, None, content_coding(request) is not None,
                                    codec.loads, raw, "the body", None, True, True, codec.JsonLimits.of(settings)))[0]


def router(settings: Settings, core: Core, repo: ModelRepository) -> APIRouter:
    r = APIRouter(prefix="/umbridge", tags=["umbridge"], dependencies=[Depends(key_checker(settings))])

    async def body_and_model(request: Request, client: str | None = None) -> tuple[dict, Model]:
        """The body (a small JSON object; with `client`, a job's, read once admitted) and its model."""
        body = codec.loads(await read_small_body(request, settings.body_timeout_s))[0] if client is None else \
            await _job_body(request, settings, core, client)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise UMError("InvalidInput", "the body must be a JSON object with the model's name")
        m = repo.models.get(body["name"])
        if m is None:
            raise UMError("ModelNotFound", f"model {body['name']!r} not found; available: {list(repo.models)}")
        return body, m

    @r.get("/Info")
    async def info():
        return {"protocolVersion": 1.0, "models": list(repo.models)}

    @r.post("/ModelInfo")
    async def model_info(request: Request):
        try:
            _, m = await body_and_model(request)
        except ServiceError as e:
            return um_error(e)
        return {"support": support(m)}

    @r.post("/InputSizes")
    async def input_sizes(request: Request):
        try:
            body, m = await body_and_model(request)
            route(core.pools, device_of(body, m))  # a config Evaluate would refuse (its device too) is refused here
        except ServiceError as e:
            return um_error(e)
        return {"inputSizes": sizes(m.parsed.inputs)}

    @r.post("/OutputSizes")
    async def output_sizes(request: Request):
        try:
            body, m = await body_and_model(request)
            route(core.pools, device_of(body, m))  # a config Evaluate would refuse (its device too) is refused here
        except ServiceError as e:
            return um_error(e)
        return {"outputSizes": sizes(m.parsed.flat_outputs)}

    def operation(op: str):
        async def handler(request: Request):
            admission = None
            try:
                client = request_client(core, request)  # (service.pools: fair among clients)
                core.unsent_http.check(client)  # its large answers not yet read (service.answer_budget): 429
                # admitted before the body is read, as /v1 and /v2: the places bound how many bodies (up to
                # max_body_bytes, from a few KiB compressed) are read and parsed at once
                admission = await admit(core, client, request, settings)
                body, m = await body_and_model(request, client)
                check_support(m, op)  # (before the body's inputs: UM-Bridge's conformance suite sends none)
                req, pick = plan(op, Call(core, m, body))
                del body  # (its parsed lists, as many Python objects as values, not held while the job runs)
                req.client = client
                # a client gone mid-job (killed, timed out) has its job dropped or its worker recycled, as on
                # /v1 and /v2: it ran on to its deadline, holding a worker and an admission place
                res = await run_watching(core.run(req, admission), AsgiBody(request).gone)
            except ServiceError as e:
                return um_error(e)
            except ClientGone:
                return Response(status_code=499)
            finally:
                if admission is not None:
                    admission.release()
            arrays = [a for _, a in res.outputs]
            flat = [out_vector(a) for a in arrays]
            try:
                return um_output(flat if pick < 0 else flat[pick], core.unsent_http, client, settings.send_timeout_s)
            except ServiceError as e:
                return um_error(e)
        handler.__name__ = op
        r.add_api_route(f"/{op}", handler, methods=["POST"], summary=f"UM-Bridge {op}")

    for op in ("Evaluate", "Gradient", "ApplyJacobian", "ApplyHessian"):
        operation(op)
    return r
