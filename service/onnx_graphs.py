"""`POST /v1/graphs` with `Content-Type: application/onnx`: register an ONNX model (any language).

The body is converted by the one ONNX converter (engine.importers) into `gradserve.graph/1` and
registered like a JSON graph, so every limit applies twice: to the ONNX model before anything is
decoded (body size, nodes, tensor elements; sub-graphs, external data and custom domains other
than the com.microsoft ops of engine/importers/onnx_contrib.py are refused) and to the converted graph (core.register_graph). The route is matched only for that
content type, ahead of the JSON route on the same path; `onnx` is an optional extra of the server
(`pip install gradserve[onnx]`): without it the answer is 415. The converter's options are query
parameters: `input_shape=NAME=D1,D2,...` (a dynamic input's shape), `scalar_weight=NAME` (a 0-d float
initializer that is a weight) and `output=NAME` (a graph output to import, in order; default all), each
repeatable, and `loop_max_trips=N`; what the converter warns about (weights an exporter folded)
is the answer's `warnings`.
"""
from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import Match

from .body_budget import Charge
from .errors import MESSAGE_CHARS, InvalidRequest, LimitExceeded, UnsupportedMediaType, clip
from .jobs import request_client

ONNX_TYPE = "application/onnx"
log = logging.getLogger("gradserve.onnx")


def _content_type(scope) -> str:
    for k, v in scope.get("headers") or ():
        if k == b"content-type":
            return v.decode("latin-1").split(";")[0].strip().lower()
    return ""


class _OnnxRoute(APIRoute):
    """Matches only ONNX bodies; JSON registrations fall through to the JSON route."""

    def matches(self, scope):
        match, child = super().matches(scope)
        if match != Match.NONE and _content_type(scope) != ONNX_TYPE:
            return Match.NONE, {}
        return match, child


_OPTIONS = ("input_shape", "scalar_weight", "loop_max_trips", "output")


def options(query) -> dict:
    """The converter's options from the query (a multi-dict); an unknown parameter is refused, naming it."""
    unknown = sorted(set(query.keys()) - set(_OPTIONS))
    if unknown:
        raise InvalidRequest(f"unknown query parameter(s) {unknown} for an {ONNX_TYPE} registration (known: "
                             f"{', '.join(_OPTIONS)})")
    from engine.importers import parse_input_shape

    try:
        shapes = dict(parse_input_shape(t) for t in query.getlist("input_shape"))
    except ValueError as e:
        raise InvalidRequest(f"input_shape: {e}") from None
    opts = {"input_shapes": shapes or None, "scalar_weights": query.getlist("scalar_weight")}
    if "output" in query:  # the graph outputs to import, in order (the others' nodes are not converted)
        opts["outputs"] = query.getlist("output")
    if "loop_max_trips" in query:  # the bound of a Loop whose trip count is computed (a limit: see convert)
        text = query["loop_max_trips"]
        if not text.isdigit():
            raise InvalidRequest(f"loop_max_trips: expected a non-negative integer, got {text!r}")
        opts["loop_max_trips"] = int(text)
    return opts


def convert(body: bytes, settings, opts: dict | None = None, warnings: list | None = None) -> dict:
    """ONNX bytes -> graph/1 document, errors as service errors (4xx, naming op / node / opset); `opts` from
    options(); the converter's warnings are appended to `warnings`."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise UnsupportedMediaType(f"this server cannot read {ONNX_TYPE}: the onnx package is not installed "
                                   "(pip install 'gradserve[onnx]'); send gradserve.graph/1 JSON instead") from None
    from engine.importers import ModelLimitExceeded, UnsupportedModel, onnx_to_graph
    from engine.serialize import tensor_to_json

    opts = dict(opts or {})
    limits = {"max_nodes": settings.max_nodes, "max_elements": settings.max_elements, "max_work": settings.max_work,
              "loop_max_trips": opts.pop("loop_max_trips", None)}
    try:
        return onnx_to_graph(body, encode=lambda a: tensor_to_json(a, b64=True), limits=limits, **opts,
                             warn=None if warnings is None else warnings.append)
    except ModelLimitExceeded as e:
        raise LimitExceeded(str(e), limit=e.limit, value=e.value) from None
    except UnsupportedModel as e:
        raise InvalidRequest(str(e), code="invalid_graph", op=e.op, node=e.node, opset=e.version,
                             model=e.model) from None
    except RecursionError:
        raise InvalidRequest("the ONNX model is nested too deeply", code="invalid_graph") from None
    except Exception as e:  # noqa: BLE001 - a converter bug on odd input: still the client's 400, and logged
        # (clipped as registry's graph_from_json warning: the text may echo a 1 MB name into the log)
        log.warning("ONNX conversion raised %s: %s", type(e).__name__, clip(str(e), MESSAGE_CHARS))
        raise InvalidRequest(f"the ONNX model could not be converted: {type(e).__name__}: {e}",
                             code="invalid_graph") from None


# what converting and registering a model holds beside its body, in bodies' worth (the converted graph's arrays
# and its registered text and loaded form: ViT-B/16's 346 MB peaked at 1.85 GB of server RSS)
CONVERT_COST = 3


def _import(core, client: str, body: bytes, settings, opts: dict, warnings: list) -> dict:
    """convert, then register, in one thread, its CPU time charged to `client` (service.parse_share); ends the
    import that register_onnx started (here: a request cancelled meanwhile leaves this thread running)."""
    try:
        with core.parse_share.timing(client):
            return core.register_graph(convert(body, settings, opts, warnings))
    finally:
        core.parse_share.end_import(client)


async def _one_import(core, client, request, read_body, held, settings, opts, warnings) -> dict:
    """The body read and imported, one of the client's imports_per_client (429 naming it past them, before the
    body is read): _import's thread ends the import, or this when the body's read fails first."""
    core.parse_share.start_import(client)
    try:
        body = await read_body(request, settings.max_model_bytes, "max_model_bytes", held)
        # (alone: its inflated bytes, when it came compressed, are this request's too)
        held.cover(CONVERT_COST * len(body), 0, alone=len(body) if isinstance(body, memoryview) else 0)
    except BaseException:
        core.parse_share.end_import(client)
        raise
    # (shielded: a request cancelled before the thread starts would never end the import, the client refused for good)
    return await asyncio.shield(asyncio.to_thread(_import, core, client, body, settings, opts, warnings))


def mount(app: FastAPI, core, settings, dependencies, read_body) -> None:
    """Add the route in front of the JSON `POST /v1/graphs` (`read_body(request, limit, setting, held)`: the HTTP
    adapter's reader)."""

    async def register_onnx(request: Request):
        try:
            opts = options(request.query_params)
            client = request_client(core, request)
            # a model's conversion and registration, whatever its size, are charged to its client's parse share
            # (a 226-byte Loop or a 550 KB chain of 25 000 nodes costs seconds of the server's threads; four at once
            # held another client's grad 4.8 s): past its share, 429 naming parse_share before the body is read
            core.parse_share.check(client)
            # binary protobuf, never JSON-parsed: its own limit (max_model_bytes), not max_body_bytes's parse cap.
            # No admission place: its bytes as they arrive, then its conversion, are held in the body budget, as a
            # JSON graph's (service.body_budget): uploads at once share the budget (429 past it), a lone one goes
            # ahead whatever its size within max_model_bytes
            with Charge(core.body_budget) as held:
                warnings: list[str] = []
                out = await _one_import(core, client, request, read_body, held, settings, opts, warnings)
        except UnsupportedMediaType as e:
            return JSONResponse(e.to_dict(), status_code=415)
        return JSONResponse({**out, "warnings": warnings} if warnings else out, status_code=201)

    app.router.routes.insert(0, _OnnxRoute("/v1/graphs", register_onnx, methods=["POST"], dependencies=dependencies,
                                           include_in_schema=False, name="register_onnx"))
