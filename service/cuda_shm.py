"""Triton's CUDA shared memory extension, answered as a Triton built without GPUs answers it.

No CUDA region can ever be registered here, so, in Triton's codes and words (server src/http_server.cc,
src/grpc/grpc_server.cc, src/shared_memory_manager.cc): registering one is refused (INVALID_ARG, HTTP 400, "failed
to register CUDA shared memory region: 'r', GPUs not supported", then to use system shared memory); the status of
all regions is empty, of a named one NOT_FOUND (404, "Unable to find cuda shared memory region: 'r'");
unregistering succeeds (there is nothing to unregister). Triton's stock examples (simple_http_shm_client.py,
simple_grpc_shm_client.py, reuse_infer_objects_client.py) call unregister_cuda_shared_memory() as cleanup around
their system shared memory work; a refusal there failed them before they inferred anything.
"""
from __future__ import annotations

import functools

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .errors import InvalidRequest, NotFound, ServiceError

NO_CUDA = "CUDA shared memory is not supported: use system shared memory"


def register_refusal(name: str, instead: str) -> InvalidRequest:
    return InvalidRequest(f"failed to register CUDA shared memory region: '{name}', GPUs not supported: {NO_CUDA} "
                          f"({instead})", path="name")


def unknown_region(name: str, instead: str) -> NotFound:
    """Triton's GetStatus of a name not registered: NOT_FOUND, its text, then what to use instead."""
    return NotFound(f"Unable to find cuda shared memory region: '{name}': {NO_CUDA} ({instead})",
                    code="region_not_found", path="name")


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
        return await fail(context, register_refusal(_name(request), GRPC_INSTEAD))

    async def status(request: bytes, context) -> bytes:
        if request:  # a region named: none is
            return await fail(context, unknown_region(_name(request), GRPC_INSTEAD))
        return b""

    async def unregister(request: bytes, context) -> bytes:
        return b""

    def _name(request: bytes) -> str:
        # the CUDA requests' `string name = 1`, read as the system status request of this server's proto (the
        # register request's other fields stay unknown ones)
        from .oip_proto import grpc_predict_v2_pb2 as pb
        return pb.SystemSharedMemoryStatusRequest.FromString(request).name

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
