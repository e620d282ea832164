"""Triton's CUDA shared memory extension, answered as a Triton built without GPUs answers it.

No CUDA region can ever be registered here, so: registering one is refused (HTTP 400 / gRPC INVALID_ARGUMENT,
saying to use system shared memory); the status of all regions is empty; unregistering succeeds (there is
nothing to unregister). Triton's stock examples (simple_http_shm_client.py, simple_grpc_shm_client.py,
reuse_infer_objects_client.py) call unregister_cuda_shared_memory() as cleanup around their system shared
memory work; a refusal there failed them before they inferred anything.
"""
from __future__ import annotations

import functools

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .errors import InvalidRequest, ServiceError

NO_CUDA = "CUDA shared memory is not supported: use system shared memory"


def register_refusal(name: str, instead: str) -> InvalidRequest:
    return InvalidRequest(f"CUDA shared memory region {name!r} cannot be registered: {NO_CUDA} ({instead})",
                          path="name")


def unknown_region(name: str, instead: str) -> InvalidRequest:
    return InvalidRequest(f"no CUDA shared memory region {name!r} is registered: {NO_CUDA} ({instead})",
                          path="name")


def http_routes(r: APIRouter, error_response) -> None:
    """/v2/cudasharedmemory/...; error_response: a ServiceError as the V2 error response."""
    instead = "/v2/systemsharedmemory/..."

    async def register(name: str):
        return error_response(register_refusal(name, instead))

    async def region_status(name: str):
        return error_response(unknown_region(name, instead))

    async def unregister(name: str = ""):
        return JSONResponse({})

    async def status():
        return JSONResponse([])

    p = "/v2/cudasharedmemory"
    r.add_api_route(p + "/region/{name}/register", register, methods=["POST"], include_in_schema=False)
    r.add_api_route(p + "/region/{name}/status", region_status, methods=["GET"], include_in_schema=False)
    r.add_api_route(p + "/region/{name}/unregister", unregister, methods=["POST"], include_in_schema=False)
    r.add_api_route(p + "/unregister", unregister, methods=["POST"], include_in_schema=False)
    r.add_api_route(p + "/status", status, methods=["GET"], include_in_schema=False)


# gRPC: the methods are not in this server's proto, so requests are read as bytes. An empty message is the
# request without a name (proto3 leaves an empty string out), and every response here is an empty message.
GRPC_INSTEAD = "SystemSharedMemoryRegister"


def grpc_handlers(service: str, check_key, fail):
    """The three methods of `service`: check_key(context) raises a ServiceError for a missing API key,
    fail(context, error) aborts the call with the error's status (service.oip_grpc's servicer)."""
    import grpc  # (only a server serving gRPC imports it)

    async def register(request: bytes, context) -> bytes:
        return await fail(context, InvalidRequest(f"CUDA shared memory cannot be registered: {NO_CUDA} "
                                                  f"({GRPC_INSTEAD})"))

    async def status(request: bytes, context) -> bytes:
        if request:  # a region named: none is
            return await fail(context, InvalidRequest(f"no CUDA shared memory region is registered: {NO_CUDA} "
                                                      f"({GRPC_INSTEAD})"))
        return b""

    async def unregister(request: bytes, context) -> bytes:
        return b""

    async def guarded(fn, request: bytes, context) -> bytes:
        try:
            check_key(context)
        except ServiceError as e:
            return await fail(context, e)
        return await fn(request, context)
    methods = {"CudaSharedMemoryRegister": register, "CudaSharedMemoryStatus": status,
               "CudaSharedMemoryUnregister": unregister}
    return grpc.method_handlers_generic_handler(service, {
        name: grpc.unary_unary_rpc_method_handler(functools.partial(guarded, fn)) for name, fn in methods.items()})
