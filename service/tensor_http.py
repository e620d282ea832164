"""`POST /v1/tensors` (parameter values by content hash, service.tensor_store) and `POST /v1/tensors/missing`.

An upload's body is the binary tensor extension ({"tensors": [V2 tensors]} then their raw bytes): never
JSON-parsed beyond its small header, bound by max_model_bytes (as an ONNX upload) and, as it arrives, by the
body budget (as a graph registration's). The SDK sends a model's weights in uploads of at most UPLOAD_BYTES each.
"""
from __future__ import annotations

import asyncio

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from . import codec
from .body_budget import Charge
from .errors import InvalidRequest
from .http_body import read_body
from .jobs import parse_charge, request_client
from .tensor_store import MAX_ENTRIES, put_all

# the most a /missing question takes: MAX_ENTRIES digests as JSON ("<64 hex digits>", ~67 bytes each) and spacing
MISSING_BODY_BYTES = MAX_ENTRIES * 72 + 4096


def _decoded(body: bytes, header_length: str | None, settings) -> list:
    head, reader, _ = codec.split_body(body, header_length, codec.JsonLimits.of(settings))
    tensors = head.get("tensors") if isinstance(head, dict) else None
    if not isinstance(tensors, list) or set(head) != {"tensors"}:
        raise InvalidRequest('expected {"tensors": [tensor, ...]} (and nothing else)', path="$")
    codec.check_tensor_count(len(tensors), settings.max_tensors, "$.tensors")
    # (bytes, not elements: the SDK sends each value's bytes as UINT8; its elements are checked, max_elements,
    # when a graph names it)
    arrays = [codec.decode_tensor(t, f"$.tensors[{i}]", reader) for i, t in enumerate(tensors)]
    reader.finish()
    return arrays


def router(core, settings, dependencies) -> APIRouter:
    r = APIRouter(prefix="/v1/tensors", tags=["graphs"], dependencies=dependencies)

    @r.post("", operation_id="put_tensors", summary="Upload parameter values, kept by the sha256 of their bytes")
    async def put_tensors(request: Request):
        core.tensors.check_on()  # (store off: refused before its body is read)
        with Charge(core.body_budget) as held:
            # raw bytes behind a small JSON header, never parsed: bound as binary model uploads are (max_model_bytes)
            body = await read_body(request, settings.max_model_bytes, settings.body_timeout_s, core.body_budget, held,
                                   setting="max_model_bytes", share=parse_charge(core, request))
            arrays = _decoded(body, request.headers.get(codec.HEADER_LENGTH), settings)
            out = await asyncio.to_thread(put_all, core.tensors, arrays, request_client(core, request))
        return JSONResponse(out, status_code=201)

    @r.post("/missing", operation_id="missing_tensors", summary="Which of these sha256 hashes are not kept")
    async def missing_tensors(request: Request):
        with Charge(core.body_budget) as held:
            body = await _missing_body(request, settings, core.body_budget, held, parse_charge(core, request))
            # (off the loop, the answer's JSON too: 2^18 hashes' parse, checks and answer held others' probes ~2 s)
            client = request_client(core, request)
            return Response(await asyncio.to_thread(_missing, core.tensors, body, client),
                            media_type="application/json")

    return r


async def _missing_body(request: Request, settings, budget, held, share: tuple) -> bytes:
    """The body of a missing-tensors question: at most MISSING_BODY_BYTES (as many hashes as one may name: 413
    naming missing_body_bytes past it), or max_body_bytes where that is lower."""
    limit, setting = min((MISSING_BODY_BYTES, "missing_body_bytes"), (settings.max_body_bytes, "max_body_bytes"))
    return await read_body(request, limit, settings.body_timeout_s, budget, held, setting=setting, share=share)


def _missing(store, body: bytes, client: str | None) -> bytes:
    """The answer's JSON: {"missing": [the hashes the body names that `store` does not keep for `client`], and what
    the store keeps: "store_bytes" in all, "client_bytes" for one client}."""
    head = codec.loads(body)[0]
    if not isinstance(head, dict):
        raise InvalidRequest('expected {"sha256": [hex digest, ...]}', path="$")
    return orjson.dumps({"missing": store.missing(head.get("sha256"), client), **store.limits()})
