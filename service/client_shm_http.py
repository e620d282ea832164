"""The system shared memory extension's HTTP routes (Open Inference Protocol / Triton), on every server:

    POST /v2/systemsharedmemory/region/<name>/register    {"key": "/obj", "offset": 0, "byte_size": N}
    POST /v2/systemsharedmemory/region/<name>/create      {"byte_size": N, "pid": P}   (gradserve: an output
         region the server makes, see service.out_memfd; -> {"name", "path", "byte_size", "ident"})
    POST /v2/systemsharedmemory/region/<name>/unregister
    POST /v2/systemsharedmemory/unregister                 (all)
    GET  /v2/systemsharedmemory/status                     [{"name", "key", "offset", "byte_size"}, ...]
    GET  /v2/systemsharedmemory/region/<name>/status

The registry is service.client_shm's (shared with /v1, the OIP adapters and gRPC). Errors are the V2 body
{"error": "<message>"} that stock clients print, with the error code's status.
"""
from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from . import client_shm, codec, out_memfd
from .jobs import request_client
from .errors import InvalidRequest, ServiceError, http_headers, http_status
from .http_body import read_small_body

def _error(e: ServiceError) -> JSONResponse:
    return JSONResponse({"error": e.located_message}, status_code=http_status(e.code), headers=http_headers(e))


def _answer(call) -> JSONResponse:
    """The JSON of `call()`, or its ServiceError as the V2 error body."""
    try:
        return JSONResponse(call())
    except ServiceError as e:
        return _error(e)


async def _body(request: Request, timeout_s: float) -> bytes:
    return await read_small_body(request, timeout_s) or b"{}"  # (as sent: decompressed, as every route's body)


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


def router(core, settings, dependencies: list) -> APIRouter:
    r = APIRouter(prefix="/v2/systemsharedmemory", tags=["shared memory"], dependencies=dependencies)
    regions = client_shm.of(core, settings)

    @r.post("/region/{name}/register", operation_id="shm_register", summary="Register a shared memory region")
    async def register(name: str, request: Request):
        try:
            head, _ = codec.loads(await _body(request, settings.body_timeout_s))
            if not isinstance(head, dict):
                raise InvalidRequest("the body must be {key, offset, byte_size}", path="$")
            regions.register(name, head.get("key"), head.get("offset", 0), head.get("byte_size"), _peer(request),
                             request_client(core, request))
        except ServiceError as e:
            return _error(e)
        return JSONResponse({})

    @r.post("/region/{name}/create", operation_id="shm_create", summary="Make an output region (gradserve)")
    async def create(name: str, request: Request):
        """A sealed memfd the server makes and its workers keep mapped (service.out_memfd): the client maps
        it through the returned /proc path."""
        try:
            head, _ = codec.loads(await _body(request, settings.body_timeout_s))
            if not isinstance(head, dict) or set(head) - {"byte_size", "pid"}:
                raise InvalidRequest("the body must be {byte_size, pid?}", path="$")
            made = out_memfd.create(regions, name, head.get("byte_size"), head.get("pid"), _peer(request),
                                   request_client(core, request))
            out_memfd.watch(regions, asyncio.get_running_loop())
            return JSONResponse(made)
        except ServiceError as e:
            return _error(e)

    @r.post("/region/{name}/unregister", operation_id="shm_unregister", summary="Unregister a region")
    async def unregister(name: str, request: Request):
        return _answer(lambda: regions.unregister(name, _peer(request), request_client(core, request)) or {})

    @r.post("/unregister", operation_id="shm_unregister_all", summary="Unregister every region")
    async def unregister_all(request: Request):
        return _answer(lambda: regions.unregister(None, _peer(request), request_client(core, request)) or {})

    @r.get("/status", operation_id="shm_status_all", summary="Registered regions")
    async def status_all(request: Request):
        return _answer(lambda: regions.status(None, _peer(request), request_client(core, request)))

    @r.get("/region/{name}/status", operation_id="shm_status", summary="One registered region")
    async def status(name: str, request: Request):
        return _answer(lambda: regions.status(name, _peer(request), request_client(core, request)))

    return r
