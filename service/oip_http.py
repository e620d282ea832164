"""The Open Inference Protocol (KServe V2) model API over HTTP, for the models of a repository.

    GET  /v2                                      server metadata
    GET  /v2/models                               the loaded models' names (KServe's V2 server answers it)
    GET  /v2/models/<m>[/versions/1]              model metadata (every input the kind needs, outputs)
    GET  /v2/models/<m>[/versions/1]/ready        200 when loaded, 404 when not (the protocol: 4xx is false)
    GET  /v2/models/<m>[/versions/1]/config       Triton's model configuration (config.json as its parameters)
    GET  /v2/models[/<m>[/versions/1]]/stats      Triton's statistics of the loaded models (service.model_stats)
    POST /v2/models/<m>[/versions/1]/infer        JSON or the binary tensor extension; answers compressed when
                                                  Accept-Encoding asks (service.answer_coding, as Triton)
    POST /v2/repository/index, /v2/repository/models/<m>/load, .../unload
    /v2/cudasharedmemory/...                      as a Triton without GPUs: nothing registered (service.cuda_shm)
    GET/POST /v2/trace/setting, /v2/models/<m>/trace/setting, /v2/logging: Triton's settings, kept and answered
    (service.triton_settings), changing nothing here
    Triton's generate routes: a 404 saying what to use instead (ABSENT_ROUTES); KServe's V1 routes
    (/v1/models...): service.kserve_v1

A thin adapter: the body is decoded by service.codec, the inference is the model's `JobRequest`
run by `Core.run` (service.repository). Errors are the V2 body `{"error": "<message>"}` with the
status of the error's code (service.errors), which stock clients print.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
from importlib import metadata as _metadata
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .api_keys import key_ok
from . import answer_coding, classification, client_shm, codec, config_override, cuda_shm, json_head, model_stats
from .core import Core
from .errors import (InvalidRequest, NotFound, NotImplementedFeature, Overloaded, ServiceError, Unauthorized,
                     http_headers, http_status)
from .http_app import (BIG, AsgiBody, ClientGone, PartsResponse, charged, discard_body, into_buffer, run_watching,
                       tensors_past)
from .http_body import content_coding, read_body, read_small_body, within
from .jobs import request_client
from .repository import Model, ModelRepository, check_inputs
from .settings import Settings

log = logging.getLogger("gradserve.oip")
EXTENSIONS = ["binary_tensor_data", "model_repository", "model_configuration", "umbridge", "system_shared_memory",
              "statistics", "classification", "trace", "logging"]  # (model_configuration: Triton's name for its /config and ModelConfig, served)
# Triton's extensions a stock client may call that this server has not: refused saying what to use instead
# (HTTP 404 at their routes), never a bare "Not Found"
NO_GENERATE = "Triton's generate extension (text generation) is not supported: use POST /v2/models/<model>/infer"
ABSENT_ROUTES = {NO_GENERATE: tuple(f"/v2/models/{{name}}{v}/{g}" for v in ("", "/versions/{version}")
                                    for g in ("generate", "generate_stream"))}
# `headers`: the HTTP headers a request came with, as MLServer writes them into its parameters (a forwarded request
# carries them on; Triton reserves the key): information, read by nobody (the server reads its real headers)
# `priority`: Triton reads a priority past the model's priority levels (none here: no model has any) as the
# default one (core's InferenceRequest::SetPriority), so its clients' infer(priority=) works on every model
# (`binary_data_output`, `timeout`, `priority`, `headers`: their values checked where they are read)
READ_PARAMS = {"binary_data_output", "timeout", "priority", "headers"}
# Triton's sequence parameters, taken as Triton takes them for a model without a sequence batcher (none here has
# one): their types checked, then not used (core checks a correlation ID only under sequence_batching: each request
# stands alone). Any other parameter, a custom one, Triton hands to the backend, which reads what it knows; no model
# here reads any: taken (its type checked as Triton checks it) and read by nobody
SEQUENCE_FLAGS = ("sequence_start", "sequence_end")
TRITON_PREFIX = "triton_"  # (keys Triton keeps for itself)


def server_version() -> str:
    try:
        return _metadata.version("gradserve")
    except _metadata.PackageNotFoundError:  # a source tree without an install
        return "0"


def v2_body(e: ServiceError) -> dict:
    """The V2 error body (also what the app answers on /v2 for what no route answers: service.model_api)."""
    return {"error": e.located_message}


def v2_error(e: ServiceError) -> JSONResponse:
    return JSONResponse(v2_body(e), status_code=http_status(e.code), headers=http_headers(e))


def model_not_found(name: str) -> NotFound:
    return NotFound(f"Model with name {name} does not exist.", code="model_not_found", model=name)  # (KServe's)


def key_checker(settings: Settings):
    """A FastAPI dependency enforcing the server's API keys (none configured: no check)."""
    keys = [k.encode() for k in settings.api_key_list]

    async def check(request: Request) -> None:
        if not keys:
            return
        if not key_ok(request.headers.get("authorization"), keys):
            raise Unauthorized("missing or wrong API key: send Authorization: Bearer <key>")
    return check


def triton_config(m: Model) -> dict:
    """Triton's model configuration of a model, what get_model_config's users read (input / output / dims) before
    inferring (its JSON form: HTTP's /config answer has it, gRPC's ModelConfig message is parsed from it):
    no batching dimension (max_batch_size 0: the dims are the whole fixed shapes), Triton's data types (a
    complex tensor, which Triton has no type for, TYPE_INVALID: its metadata says COMPLEX64 / COMPLEX128),
    the kind, device and options of its config.json as parameters."""
    def tensor(t) -> dict:
        dt = t.datatype if t.datatype in codec.V2_TO_NP and not t.datatype.startswith("COMPLEX") else "INVALID"
        return {"name": t.name, "data_type": f"TYPE_{dt}", "dims": list(t.shape)}
    params = {"kind": m.kind, "device": m.device, **{k: v if isinstance(v, str) else json.dumps(v)
                                                     for k, v in m.options.items()}}
    return {"name": m.name, "platform": m.metadata()["platform"], "backend": "gradserve", "max_batch_size": 0,
            "input": [tensor(t) for t in m.inputs], "output": [tensor(t) for t in m.outputs],
            "parameters": {k: {"string_value": v} for k, v in params.items()}}


def _flag(params: Any, key: str, path: str) -> bool | None:
    if params is None:
        return None
    if not isinstance(params, dict):
        raise InvalidRequest(f"{path} must be an object", path=path)
    v = params.get(key)
    if v is not None and not isinstance(v, bool):
        raise InvalidRequest(f"{path}.{key} must be true or false", path=f"{path}.{key}")
    return v


def check_request_params(params, path: str) -> None:
    """HTTP request parameters as Triton's ParseJsonTritonParams reads them, member by member in body order (the
    first at fault named; Triton's texts, as a 400: Triton's JSON reader answers 500, the fault is the request's)."""
    if not isinstance(params, dict):
        return  # (HTTP's _flag names a parameters that is not an object)
    for k, v in params.items():
        at = f"{path}.{k}"
        if k in READ_PARAMS:
            continue
        if k == "sequence_id":  # an unsigned integer, else a string
            if not (isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 64)):
                raise InvalidRequest("Unable to parse 'sequence_id': attempt to access JSON non-string as string",
                                     path=at)
        elif k in SEQUENCE_FLAGS:
            if not isinstance(v, bool):
                raise InvalidRequest(f"Unable to parse '{k}': attempt to access JSON non-boolean as boolean", path=at)
        elif k.startswith(TRITON_PREFIX):
            raise InvalidRequest("parameter keys starting with 'triton_' are reserved for Triton usage and should "
                                 "not be specified.", path=at)
        elif not isinstance(v, (str, int, float)):  # (bool is an int)
            raise InvalidRequest(f"parameter '{k}' has invalid type. It should be either 'int', 'bool', or "
                                 "'string'.", path=at)


def queue_params(head: dict) -> float | None:
    """The request's queue parameters, Triton's: `timeout` (microseconds) in seconds, if any (0: none, as Triton
    reads it); `priority` checked (an unsigned integer) and, as Triton does for a model without priority levels,
    not used."""
    params = head.get("parameters") if isinstance(head, dict) else None
    params = params if isinstance(params, dict) else {}
    for name in ("timeout", "priority"):
        v = params.get(name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise InvalidRequest(f"parameters.{name} must be a non-negative integer" +
                                 (" (microseconds)" if name == "timeout" else ""), path=f"$.parameters.{name}")
    t = params.get("timeout")
    return t / 1e6 if t else None


def given(params):
    """HTTP's parameters without those given as null (a codec client's unset optional fields, as pydantic dumps
    them): none promises anything, so none is refused (gRPC has no null: a value of no type stays refused)."""
    return {k: v for k, v in params.items() if v is not None} if isinstance(params, dict) else params


def decode_infer(head: Any, reader: codec.BinaryReader, s: Settings) -> tuple[dict, list | None, bool, Any]:
    """(input tensors by name, requested outputs [(name, binary, shared memory parameters or None)] or None,
    binary by default, request id). Inputs in shared memory are read through `reader.regions`."""
    if not isinstance(head, dict):
        raise InvalidRequest("the inference request must be a JSON object", path="$")
    raw = head.get("inputs")
    if not isinstance(raw, list):
        raise InvalidRequest("inputs must be a list of tensors", path="$.inputs")
    tensors: dict = {}
    for i, t in enumerate(raw):
        path = f"$.inputs[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise InvalidRequest("each input needs a name", path=path)
        if isinstance(t.get("parameters"), dict):  # (one that is not an object: codec.decode_tensor names it)
            check_input_params(given(t["parameters"]), f"{path}.parameters")
        if t["name"] in tensors:
            raise InvalidRequest(f"input {t['name']!r} is given twice", path=path)
        tensors[t["name"]] = codec.decode_tensor(t, path, reader, max_elements=s.max_elements,
                                                 max_depth=s.max_depth)
    reader.finish()
    binary = bool(_flag(head.get("parameters"), "binary_data_output", "$.parameters"))
    params = given(head.get("parameters"))
    check_request_params(params, "$.parameters")
    if isinstance(params, dict) and not isinstance(params.get("headers", {}), dict):
        raise InvalidRequest("$.parameters.headers must be an object (header: value)", path="$.parameters.headers")
    outs = None
    if head.get("outputs") is not None:
        if not isinstance(head["outputs"], list):
            raise InvalidRequest("outputs must be a list", path="$.outputs")
    if head.get("outputs"):  # (an empty list names none: every output, as gRPC and Triton answer it)
        outs = []
        for i, o in enumerate(head["outputs"]):
            if not isinstance(o, dict) or not isinstance(o.get("name"), str):
                raise InvalidRequest("each requested output needs a name", path=f"$.outputs[{i}]")
            if isinstance(o.get("parameters"), dict):
                check_output_params(given(o["parameters"]), f"$.outputs[{i}].parameters")
            b = _flag(o.get("parameters"), "binary_data", f"$.outputs[{i}].parameters")
            shm = o["parameters"] if client_shm.params_of(o.get("parameters"), f"$.outputs[{i}]") else None
            k = given(o.get("parameters") or {}).get("classification", 0)
            both = "classification" if "classification" in given(shm or {}) else "binary_data" if shm and b else None
            if both:  # (Triton's ValidateOutputParameter, its text, before the region is looked up)
                raise InvalidRequest(f"Output can't set both 'shared_memory_region' and '{both}'",
                                     path=f"$.outputs[{i}].parameters")
            outs.append((o["name"], binary if b is None else b, shm,
                         classification.class_count(k, f"$.outputs[{i}].parameters.classification")))
    rid = head.get("id")
    if rid is not None and not isinstance(rid, str):  # (the protocol's id is a string; clients read it as one)
        raise InvalidRequest("id must be a string", path="$.id")
    return tensors, outs, binary, rid if rid is None else codec.echoable(rid, "$.id")


NOT_SUPPORTED = "'repository_name' specification is not supported"  # Triton's text (http_server.cc, grpc_server.cc)


def check_repository_params(params, action: str, path: str, file_type: type = str) -> str | None:
    """A load / unload request's parameters (HTTP and gRPC); load's `config` override returned (applied by
    service.config_override); Triton's `file:<path>` overrides refused (service.config_override.refuse_files), never
    ignored (the client would believe its files used); unload's `unload_dependents` is accepted (no model here has
    dependents); each value of the type Triton reads (`file_type`: a file's, str over HTTP, bytes over gRPC).
    Load's other names are refused as Triton refuses them (service.config_override.check_load_params); unload's
    other names are skipped, as Triton's HandleRepositoryControl and RepositoryModelUnload skip them (they read
    `unload_dependents` alone)."""
    if params is None:
        return None
    if not isinstance(params, dict):
        raise InvalidRequest("parameters must be an object", path=path)
    if action == "load":
        config_override.check_load_params(params, path, file_type)
        config_override.refuse_files(params, path)
        return params.get("config")
    if "unload_dependents" in params:
        config_override.check_value_types({"unload_dependents": params["unload_dependents"]}, path, file_type)
    return None


def check_input_params(params: dict, path: str) -> None:
    """An input's parameters, HTTP and gRPC alike (gRPC's by service.oip_grpc.param_values): those this server reads
    are checked (a region's name is a string: gRPC's int64_param one was counted as a region, and the raw contents
    then seemed one too many; HTTP's number was looked up as a name); any other is skipped, as Triton's frontends
    skip it (http_server.cc CheckBinaryInputData / CheckSharedMemoryData, grpc_utils.h: each looks up the names
    it reads: a perf_analyzer or MLServer client's own tags pass)."""
    _check_region_name(params, path)


def _check_region_name(params: dict, path: str) -> None:
    if "shared_memory_region" in params and not isinstance(params["shared_memory_region"], str):
        raise InvalidRequest("shared_memory_region must be a string (the region's name; gRPC: a string_param)",
                             path=f"{path}.shared_memory_region")


def check_output_params(params, path: str) -> None:
    """A requested output's parameters, HTTP and gRPC alike: a region's name is a string (gRPC's InferParameter of
    no type was taken as no region, then the placing failed: INTERNAL); any name not read here is skipped, as
    Triton's CheckBinaryOutputData / CheckClassificationOutput (HTTP) and ParseClassificationParams (gRPC) skip it."""
    _check_region_name(params, path)


def check_outputs(model: Model, wanted: list | None) -> None:
    """The requested outputs, before the job runs: each one the model has, each named once (a name repeated
    was answered with a copy of the output each time: a request of 20 bytes an entry asked for gigabytes)."""
    types = {spec.name: spec.datatype for spec in model.outputs}
    seen: set = set()
    for i, (n, _, shm, *k) in enumerate(wanted or ()):
        if n not in types:
            raise InvalidRequest(f"model {model.name!r} has no output {n!r}; its outputs: {list(types)}",
                                 path=f"$.outputs[{i}]")
        if n in seen:
            raise InvalidRequest(f"output {n!r} is requested twice", path=f"$.outputs[{i}]")
        seen.add(n)
        if k and k[0]:  # Triton's classification extension (service.classification)
            classification.check_classifiable(types[n], f"$.outputs[{i}]")
            if shm:
                raise InvalidRequest("output can't set both 'shared_memory_region' and 'classification'",
                                     path=f"$.outputs[{i}].parameters")  # (Triton's gRPC text; HTTP's: decode_infer)


def select_outputs(model: Model, results: list, wanted: list | None, binary: bool) -> list:
    """[(name, array, binary, shared memory parameters or None)] in the requested order (all outputs when
    none is requested); `wanted` passed check_outputs."""
    by_name = {spec.name: a for spec, (_, a) in zip(model.outputs, results)}
    if wanted is None:
        return [(n, a, binary, None) for n, a in by_name.items()]
    return [(n, classification.top_k(by_name[n], k[0]) if k and k[0] else by_name[n], b, shm)
            for n, b, shm, *k in wanted]


def place_outputs(outputs: list, io: client_shm.RegionIO) -> list:
    """Outputs asked for in shared memory written there: (name, array, binary, tensor parameters)."""
    return [(n, a, b, io.write_requested(n, a, shm, f"$.outputs[{i}].parameters") if shm else None)
            for i, (n, a, b, shm) in enumerate(outputs)]


def encode_infer(model: Model, outputs: list, rid: Any) -> tuple[bytes, dict]:
    tensors, raws = [], []
    for name, a, binary, placed in outputs:
        if placed is not None:  # in the client's region already
            tensors.append({"name": name, "shape": list(a.shape), "datatype": codec.v2_datatype(a.dtype),
                            "parameters": placed})
            continue
        if getattr(a, "dtype", None) == object:  # a classification's strings (Triton's BYTES)
            d, raw = classification.encode(name, a, binary)
        else:
            d, raw = codec.encode_tensor(name, a, binary) if binary else (
                {"name": name, "shape": list(a.shape), "datatype": codec.v2_datatype(a.dtype),
                 "data": codec.json_data(a)}, None)
        tensors.append(d)
        if raw is not None:
            raws.append(raw)
    head = {"model_name": model.name, "model_version": "1", "outputs": tensors}
    if rid is not None:
        head["id"] = rid
    body = codec.dumps(head)
    if not raws:
        return body, {"content-type": "application/json"}
    return b"".join([body, *raws]), {"content-type": "application/octet-stream",
                                     codec.HEADER_LENGTH.lower(): str(len(body))}


async def admit(core: Core, client, request: Request, settings: Settings):
    """A job's admission place, taken before its body is read (so the places bound how many bodies are read and
    parsed at once); refused, the body is read past (within body_timeout_s) unless the client waits for 100."""
    try:
        return core.admit(client)
    except Overloaded:
        if request.headers.get("expect", "").lower() != "100-continue":
            await within(discard_body(request, settings.max_body_bytes), settings.body_timeout_s)
        raise


def infer_handler(settings: Settings, core: Core, repo: ModelRepository):
    """POST /v2/models/<m>/infer: admitted before the body is read (as /v1), run by Core.run."""

    regions = client_shm.of(core, settings)

    async def infer(request: Request, name: str, version: str | None = None) -> Response:
        admission = model = buf = ran = None  # (`ran`: the model, once its job passed the checks: ModelStats.fail)
        started = model_stats.ModelStats.start()
        client = request_client(core, request)  # (service.pools: workers are shared fairly among clients)
        io = client_shm.RegionIO(regions, request.client.host if request.client else None, client, triton=True)
        try:
            model = repo.get(name, version)
            core.unsent_http.check(client)  # its large answers not yet read (service.answer_budget): 429
            accept = request.headers.get("accept-encoding")
            coding = answer_coding.chosen(accept)
            if coding:  # (their compression is charged to its parse share: service.answer_coding)
                core.parse_share.check(client)
            admission = await admit(core, client, request, settings)
            # (decompressed: its header length counts these)
            # repeated, it is one list (RFC 9110 5.3), never a number: the first or the last is what a proxy in
            # front may have read otherwise
            hl = ", ".join(request.headers.getlist(codec.HEADER_LENGTH)) or None
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_s, core.body_budget,
                                   json=json_head.HEAD if hl else json_head.WHOLE, share=(core.parse_share, client))
            coded = content_coding(request) is not None
            if coded and tensors_past(body, hl, settings.shm_threshold_bytes):  # (its charge goes once copied)
                body, buf = await into_buffer(body, hl, None)

            def decode():
                head, reader, _ = codec.split_body(body, hl, codec.JsonLimits.of(settings))
                reader.regions = io
                return (*decode_infer(head, reader, settings), queue_params(head))
            # large bodies are parsed off the event loop (as /v1 does)
            tensors, wanted, binary, rid, timeout = await asyncio.to_thread(
                charged, core.parses, client, body, hl, coded and buf is None, decode) \
                if len(body) > BIG else decode()  # (the parse held in the body budget: service.body_budget)
            req = model.job(check_inputs(model, tensors), core)
            check_outputs(model, wanted)  # (after the inputs: a request wrong in both hears of its inputs)
            req.client = client
            req.queue_timeout_s = timeout  # (Triton's: it bounds the wait in the queue, never the run)
            req.size_hint = len(body)
            del body  # (decoded: its bytes, and what they hold of the body budget, go now, not when the job ends)
            ran = model
            res = await run_watching(core.run(req, admission), AsgiBody(request).gone)
            outs = select_outputs(model, res.outputs, wanted, binary)
            big = sum(a.nbytes for _, a, *_ in outs) > BIG
            if wanted and any(w[2] for w in wanted):
                outs = await asyncio.to_thread(place_outputs, outs, io) if big else place_outputs(outs, io)
            out, headers = await asyncio.to_thread(encode_infer, model, outs, rid) if big else \
                encode_infer(model, outs, rid)
            if coding:
                args = (out, coding, answer_coding.weights(accept).get("identity") == 0, core.parse_share, client)
                out, used = await asyncio.to_thread(answer_coding.encoded, *args) if big else \
                    answer_coding.encoded(*args)
                if used:
                    headers["content-encoding"] = used
            model.stats.success(started, res.timing)
            if big:  # streamed, counted against the client's http_unsent_answer_bytes (as /v1's)
                return PartsResponse([out], 200, headers, headers["content-type"], settings.send_timeout_s,
                                     core.unsent_http, client)
            return Response(out, headers=headers, media_type=headers["content-type"])
        except ServiceError as e:
            if ran is not None:
                ran.stats.fail(started)
            return v2_error(e)
        except ClientGone:
            if ran is not None:
                ran.stats.fail(started)
            return Response(status_code=499)
        finally:
            if admission is not None:
                admission.release()
            if buf is not None:  # (the job is over: its name goes, its memory with the last view on it)
                buf.release()
            io.close()
    return infer


def router(settings: Settings, core: Core, repo: ModelRepository) -> APIRouter:
    r = APIRouter(tags=["open inference protocol"], dependencies=[Depends(key_checker(settings))])

    @r.get("/v2", operation_id="v2_server_metadata")
    async def server_metadata():
        return {"name": "gradserve", "version": server_version(), "extensions": EXTENSIONS}

    @r.get("/v2/models", operation_id="v2_models")
    async def models():
        return {"models": list(repo.models)}  # (KServe V2's list of the loaded models; Triton has none)

    async def metadata(name: str, version: str | None = None):
        try:
            return repo.get(name, version).metadata()
        except ServiceError as e:
            return v2_error(e)

    async def ready(name: str, version: str | None = None):
        try:
            repo.get(name, version)
        except ServiceError as e:
            return v2_error(e)
        if not core.ready():
            return JSONResponse({"error": "the server is not ready"}, status_code=503)
        return {"name": name, "ready": True}

    async def config(name: str, version: str | None = None):
        try:
            m = repo.get(name, version)
        except ServiceError as e:
            return v2_error(e)
        # Triton's ModelConfig alone (the config.json is in its parameters): clients parse it as one (protobuf's
        # json_format) and send it back as a load's config override, which refused the config.json's own fields
        return triton_config(m)

    infer = infer_handler(settings, core, repo)

    async def statistics(name: str = "", version: str = ""):
        try:
            return model_stats.report(repo, name, version)
        except ServiceError as e:
            return v2_error(e)
    # (before /v2/models/{name}, as Triton's frontend: a model named stats has its metadata at /versions/1)
    r.add_api_route("/v2/models/stats", statistics, methods=["GET"], summary="Statistics of every loaded model")
    for prefix in ("/v2/models/{name}", "/v2/models/{name}/versions/{version}"):
        r.add_api_route(prefix, metadata, methods=["GET"], summary="Model metadata")
        r.add_api_route(prefix + "/ready", ready, methods=["GET"], summary="Model readiness")
        r.add_api_route(prefix + "/config", config, methods=["GET"], summary="Model configuration")
        r.add_api_route(prefix + "/infer", infer, methods=["POST"], summary="Inference (derivatives of the model)")
        r.add_api_route(prefix + "/stats", statistics, methods=["GET"], summary="Model statistics (Triton's)")
    repository_routes(r, settings, repo)
    settings_routes(r, settings, repo)
    cuda_shm.http_routes(r, v2_error)
    for message, paths in ABSENT_ROUTES.items():
        for path in paths:
            r.add_api_route(path, _refuse(message), methods=["GET", "POST"], include_in_schema=False)
    return r


def _refuse(message: str):
    async def refuse():
        return v2_error(NotFound(message, code="not_found"))
    return refuse


async def small_object(settings: Settings, request: Request, what: str) -> dict:
    body = await read_small_body(request, settings.body_timeout_s)
    head = codec.loads(body)[0] if body.strip() else {}  # (stock clients send no body when nothing is set)
    if not isinstance(head, dict):
        raise InvalidRequest(f"the {what} request must be a JSON object", path="$")
    return head


def settings_routes(r: APIRouter, settings: Settings, repo: ModelRepository) -> None:
    """Triton's trace and log settings (service.triton_settings): GET answers them, POST updates and answers."""
    kept = repo.triton_settings

    async def trace(request: Request, name: str = ""):
        try:
            model = repo.trace_model(name) if name else None
            if request.method == "POST":
                return kept.update_trace(model, await small_object(settings, request, "trace setting"))
            return kept.trace_of(model)
        except ServiceError as e:
            return v2_error(e)

    async def logging_(request: Request):
        try:
            if request.method == "POST":
                return kept.update_log(await small_object(settings, request, "log setting"))
            return dict(kept.log)
        except ServiceError as e:
            return v2_error(e)
    for path in ("/v2/trace/setting", "/v2/models/{name}/trace/setting"):
        r.add_api_route(path, trace, methods=["GET", "POST"], summary="Triton's trace settings (kept, no effect)")
    r.add_api_route("/v2/logging", logging_, methods=["GET", "POST"], summary="Triton's log settings (kept, no effect)")


def repository_routes(r: APIRouter, settings: Settings, repo: ModelRepository) -> None:
    """The model repository extension: index, load, unload."""

    json_object = functools.partial(small_object, settings)

    @r.post("/v2/repository/index", operation_id="v2_repository_index")
    async def index(request: Request):
        try:
            head = await json_object(request, "index")
            ready = head.get("ready", False)
            if not isinstance(ready, bool):  # (Triton's HandleRepositoryIndex, its text; null too)
                raise InvalidRequest("Invalid value for 'ready': expected a boolean", path="$.ready")
            return [m for m in repo.index() if not ready or m["state"] == "READY"]
        except ServiceError as e:
            return v2_error(e)

    async def repository_params(request: Request, action: str) -> str | None:
        head = await json_object(request, action)
        return check_repository_params(head.get("parameters"), action, "$.parameters")

    @r.post("/v2/repository/models/{name}/load", operation_id="v2_repository_load")
    async def load(name: str, request: Request):
        try:
            config = await repository_params(request, "load")
            await repo.load_async(name, config)
        except ServiceError as e:
            return v2_error(e)
        return {"name": name, "load": True}  # (KServe's answer; Triton's is empty: tritonclient reads none)

    @r.post("/v2/repository/models/{name}/unload", operation_id="v2_repository_unload")
    async def unload(name: str, request: Request):
        """Triton's unload of a model not loaded succeeds, KServe's is ModelNotFound (404): the same route, told
        apart by what each stock client sends: tritonclient (http, http.aio) always a body with `parameters`
        (`unload_dependents`); KServe's server reads no body (v2_endpoints.unload takes the name only)."""
        try:
            head = await json_object(request, "unload")
            check_repository_params(head.get("parameters"), "unload", "$.parameters")
            if "parameters" not in head and name not in repo.models:
                raise model_not_found(name)
            repo.unload(name)
        except ServiceError as e:
            return v2_error(e)
        return {"name": name, "unload": True}  # (KServe's, as load's)

    # Triton's routes naming a repository (its regex /v2/repository(/<repository>)?/...): its index reads no name
    # (the whole index), its load / unload refuse one (UNSUPPORTED: 501); they were 404 here
    @r.post("/v2/repository/{repository}/index", include_in_schema=False)
    async def named_index(repository: str, request: Request):
        return await index(request)

    @r.post("/v2/repository/{repository}/models/{name}/{action}", include_in_schema=False)
    async def named_control(repository: str, name: str, action: str):
        if action not in ("load", "unload"):
            return v2_error(NotFound("Not Found", code="not_found"))
        return v2_error(NotImplementedFeature(NOT_SUPPORTED))
