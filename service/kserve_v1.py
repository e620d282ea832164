"""KServe's V1 data plane over HTTP, for the models of a repository (beside the V2 routes of service.oip_http).

    GET  /                          {"status": "alive"} (KServe's liveness: InferenceRESTClient(V1).is_server_live)
    GET  /v1/models                 {"models": [names]}
    GET  /v1/models/<m>             {"name": m, "ready": true}; unknown 404, server not ready 503 (KServe's texts)
    POST /v1/models/<m>:predict     {"instances": [...]} (or {"inputs": [...]}, KServe's alias) -> {"predictions": [...]}
    POST /v1/models/<m>:explain     refused: no model here has an explainer

Each instance is one inference of the model: the value of its only input, or an object of its named inputs, each
of the input's full (fixed) shape; each prediction is the value of its only output, or an object of its named
outputs, in instance order. A thin adapter: each instance is the model's `JobRequest`; up to max_batch of them run
as one job of vmap(the model's derived graph) (Core.run_stacked, per-example answers as service.batching's), one
after another where they cannot (parameter values) or the batch failed (each then answered or refused alone,
an error naming its instance: `(at $.instances[i])`). Errors: KServe's {"error": ...} with its status (ModelNotFound 404,
ModelNotReady 503, InvalidInput 400).

gradserve's own API is under /v1 too (/v1/<job kind>, /v1/graphs, /v1/tensors, /v1/devices, /v1/lane, /v1/local):
no job kind is named `models`, so the two coexist; a model's routes are /v1/models/<m> with KServe's `:verb` suffix.
"""
from __future__ import annotations

import json

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from . import codec, json_head, model_stats, oip_http
from .core import Core
from .errors import InvalidRequest, LimitExceeded, NotFound, ServiceError, http_headers, http_status
from .http_app import AsgiBody, ClientGone, run_watching
from .http_body import read_body
from .jobs import request_client
from .oip_http import model_not_found
from .repository import Model, ModelRepository, check_inputs
from .settings import Settings

NO_EXPLAIN = ("KServe's explain is not supported: no model here has an explainer; "
              "POST /v1/models/<model>:predict for its outputs")
NOT_A_LIST = 'Expected "instances" or "inputs" to be a list'  # (KServe's Model.validate words)


class NotReady(ServiceError):
    code = "backend_unavailable"  # 503, KServe's ModelNotReady


def v1_error(e: ServiceError) -> JSONResponse:
    return JSONResponse({"error": e.located_message}, status_code=http_status(e.code), headers=http_headers(e))


def model_not_ready(name: str, why: str = "") -> NotReady:
    return NotReady(f"Model with name {name} is not ready." + (f" {why}" if why else ""))  # (KServe's, its detail)


def model_of(repo: ModelRepository, core: Core, name: str) -> Model:
    """The loaded model, in KServe's words when it is not there or the server is not ready."""
    try:
        m = repo.get(name)
    except NotFound:
        raise model_not_found(name) from None
    if not core.ready():
        raise model_not_ready(name)
    return m


def instances_of(head) -> list:
    """The request's instances: "instances", or KServe's alias "inputs" (both given: refused unless equal)."""
    if not isinstance(head, dict):
        raise InvalidRequest("the predict request must be a JSON object {\"instances\": [...]}", path="$")
    given = [k for k in ("instances", "inputs") if k in head]
    if not given:
        raise InvalidRequest(f'{NOT_A_LIST}: the request has neither', path="$")
    if len(given) == 2 and head["instances"] != head["inputs"]:
        raise InvalidRequest("both instances and inputs are given, and they differ: send one", path="$")
    rows = head[given[0]]
    if not isinstance(rows, list):
        raise InvalidRequest(NOT_A_LIST, path=f"$.{given[0]}")
    return rows


def nested_shape(v) -> list:
    """The shape of a nested list as its first elements have it (decode_tensor refuses a ragged one)."""
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return shape


def instance_inputs(model: Model, row, path: str, s: Settings) -> dict:
    """{input name: array} of one instance; each value of the input's shape exactly (never reshaped)."""
    names = [t.name for t in model.inputs]
    if len(names) == 1 and not isinstance(row, dict):  # (a value is never an object: an object names inputs)
        row = {names[0]: row}
    elif not isinstance(row, dict):
        raise InvalidRequest(f"model {model.name!r} has inputs {names}: each instance must be an object of them",
                             path=path)
    specs = {t.name: t for t in model.inputs}
    out = {}
    for name, value in row.items():
        spec = specs.get(name)
        if spec is None:
            continue  # (check_inputs names it)
        p = f"{path}.{name}" if len(names) > 1 else path
        if nested_shape(value) != list(spec.shape):
            raise InvalidRequest(f"model {model.name!r}, input {name!r}: expected {spec.datatype}{spec.shape}, got a "
                                 f"value of shape {nested_shape(value)}", code="shape_error", path=p)
        out[name] = codec.decode_tensor({"name": name, "shape": list(spec.shape), "datatype": spec.datatype,
                                         "data": value}, p, max_elements=s.max_elements, max_depth=s.max_depth)
    return {**out, **{k: None for k in row if k not in specs}}


def instance_arrays(model: Model, row, i: int, s: Settings) -> list:
    """Instance i's arrays in the model's input order, checked; a refusal names the instance."""
    path = f"$.instances[{i}]"
    try:
        return check_inputs(model, instance_inputs(model, row, path, s))
    except ServiceError as e:
        if not str(e.detail.get("path", "")).startswith(path):
            e.detail["path"] = path
        raise


def prediction(model: Model, outputs: list):
    """One instance's answer: its only output's value, or {name: value}; nested as the output's shape."""
    def value(a):
        a = codec.widened(np.asarray(a))
        return (codec.complex_as_pairs(a) if a.dtype.kind == "c" else a).tolist()
    vals = {spec.name: value(a) for spec, (_, a) in zip(model.outputs, outputs)}
    return next(iter(vals.values())) if len(vals) == 1 else vals


def encode(predictions: list) -> bytes:
    """orjson writes NaN / Infinity as null: such an answer keeps Python json's NaN / Infinity tokens (as the V2
    routes' JSON does: service.codec.json_data)."""
    body = orjson.dumps({"predictions": predictions})
    if b"null" in body:
        body = json.dumps({"predictions": predictions}, separators=(",", ":")).encode()
    return body


# failures of a batch that running its instances one by one would not mend: passed on as they are
WHOLE = ("deadline_exceeded", "overloaded", "draining", "unauthorized")


async def run_instances(core: Core, model: Model, inputs: list, client: str, admission, gone, most: int,
                        results: list) -> None:
    """Each instance's JobResult, in order: up to `most` instances as one job (Core.run_stacked: vmap of the
    model's derived graph), or one job each where they cannot be (or the batch failed: each instance then gets
    its own answer, and the first error names its instance). `admission` is released (or used) here. The
    results go to `results` as they come (those before an error stay: the model's statistics count them)."""
    try:
        for lo in range(0, len(inputs), most):
            reqs = [model.job(arrays, core) for arrays in inputs[lo:lo + most]]
            for req in reqs:
                req.client = client
            admission = admission if admission is not None and admission.core is not None else core.admit(client)
            try:
                got = await run_watching(core.run_stacked(reqs, admission), gone) if len(reqs) > 1 else None
            except ClientGone:
                raise
            except Exception as e:  # noqa: BLE001 - the batch failed (vmap of an op without its rule, a limit): alone
                if isinstance(e, ServiceError) and e.code in WHOLE:
                    raise
                got = None
            if got is None:
                await one_by_one(core, reqs, lo, client, admission, gone, results)
            else:
                results += got
    finally:
        if admission is not None:
            admission.release()


async def one_by_one(core: Core, reqs: list, lo: int, client: str, admission, gone, out: list) -> None:
    for i, req in enumerate(reqs, lo):
        admission = admission if admission.core is not None else core.admit(client)  # (each admitted as one)
        try:
            out.append(await run_watching(core.run(req, admission), gone))
        except ServiceError as e:
            e.detail["path"] = f"$.instances[{i}]"  # (the job's own path names nothing the V1 caller sent)
            raise


def predict_handler(settings: Settings, core: Core, repo: ModelRepository):
    async def predict(request: Request, name: str) -> Response:
        admission = model = ran = None  # (`ran`: the model, once its instances passed the checks: ModelStats.fail)
        results: list = []  # each instance's JobResult as it comes (counted even when a later one fails)
        started = model_stats.ModelStats.start()
        client = request_client(core, request)
        try:
            model = model_of(repo, core, name)
            core.unsent_http.check(client)
            admission = await oip_http.admit(core, client, request, settings)
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_s, core.body_budget,
                                   json=json_head.WHOLE, share=(core.parse_share, client))
            rows = instances_of(codec.loads(body, limits=codec.JsonLimits.of(settings))[0])
            if len(rows) * len(model.inputs) > settings.max_tensors:
                raise LimitExceeded(f"{len(rows)} instances of {len(model.inputs)} inputs each are more than "
                                    f"max_tensors={settings.max_tensors} tensors", path="$.instances",
                                    limit="max_tensors", value=settings.max_tensors)
            inputs = [instance_arrays(model, r, i, settings) for i, r in enumerate(rows)]  # (all before any runs)
            ran = model
            await run_instances(core, model, inputs, client, admission, AsgiBody(request).gone, settings.max_batch,
                                results)
            admission = None  # (run_instances released it)
            predictions = [prediction(model, res.outputs) for res in results]
            return Response(encode(predictions), media_type="application/json")
        except ServiceError as e:
            if ran is not None:
                ran.stats.fail(started)
            return v1_error(e)
        except ClientGone:
            return Response(status_code=499)
        finally:
            if admission is not None:
                admission.release()
            for res in results if model is not None else ():
                model.stats.success(started, res.timing)
    return predict


def router(settings: Settings, core: Core, repo: ModelRepository) -> APIRouter:
    r = APIRouter(tags=["KServe V1"], dependencies=[Depends(oip_http.key_checker(settings))])

    @r.get("/v1/models", operation_id="v1_models")
    async def models():
        return {"models": list(repo.models)}

    @r.get("/v1/models/{name}", operation_id="v1_model_ready")
    async def ready(name: str):
        try:
            model_of(repo, core, name)
        except ServiceError as e:
            return v1_error(e)
        return {"name": name, "ready": True}

    r.add_api_route("/v1/models/{name}:predict", predict_handler(settings, core, repo), methods=["POST"],
                    operation_id="v1_predict", summary="KServe V1 predict (the instances one batched job)")

    async def explain(name: str):
        try:
            model_of(repo, core, name)
            raise ServiceError(NO_EXPLAIN, code="not_implemented")
        except ServiceError as e:
            return v1_error(e)
    r.add_api_route("/v1/models/{name}:explain", explain, methods=["POST"], include_in_schema=False)
    return r


def live_router(core: Core) -> APIRouter:
    """KServe's liveness at the root (its DataPlane.live), without a key as /v2/health/live."""
    r = APIRouter(tags=["KServe V1"])

    @r.get("/", operation_id="v1_live", include_in_schema=False)
    async def live():
        return {"status": "alive"} if core.live() else JSONResponse({"status": "dead"}, status_code=503)
    return r
