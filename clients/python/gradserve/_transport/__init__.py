"""The transport seam: one module per wire protocol.

A transport turns one API operation (`op`, a body whose tensors are NumPy arrays)
into a decoded response dict, or raises a typed `GradserveError`. Everything
above it (retries, graph registration and resend, result structure) lives in
`gradserve._client` and is shared by every transport.

    sync:  Transport.call(op, body, *, binary, timeout) -> dict
    async: AsyncTransport.call(...)                     -> awaitable dict

Operations: health_live, health_ready, devices, register_graph, get_graph,
missing_tensors, put_tensors (parameter values by hash: gradserve._weights_by_hash), eval, grad, jvp, vjp, jacobian, hessian, hvp.
The gRPC transport (`grpc://host:port`, `grpcs://` with TLS) is `grpc.py`, with the same methods.
"""
from __future__ import annotations

import itertools
import os
from typing import Any, Protocol

OPERATIONS = ("health_live", "health_ready", "devices", "register_graph", "get_graph", "missing_tensors", "put_tensors",
              "eval", "grad", "jvp", "vjp", "jacobian", "hessian", "hvp")


class Transport(Protocol):
    def call(self, op: str, body: dict | None, *, binary: bool = False, timeout: Any = None,
             path_arg: str | None = None) -> dict: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def call(self, op: str, body: dict | None, *, binary: bool = False, timeout: Any = None,
                   path_arg: str | None = None) -> dict: ...

    async def aclose(self) -> None: ...


REQUEST_ID = "x-request-id"


def new_request_id() -> str:
    """The id a call sends (X-Request-ID / gRPC metadata) unless the caller set one: the server logs the job
    under it and answers with it, and the SDK's errors carry it, timeouts and lost connections included.
    32 hex digits: 16 random ones drawn once per process (again in a forked child) and a 64-bit count, so
    ids stay unique without a getrandom system call on every call (as os.urandom(16) made)."""
    return f"{_RID_PREFIX}{next(_rid_count) & 0xFFFFFFFFFFFFFFFF:016x}"


def _new_rid_prefix() -> None:
    global _RID_PREFIX, _rid_count
    _RID_PREFIX, _rid_count = os.urandom(8).hex(), itertools.count()  # (next() on a count is atomic)


_RID_PREFIX, _rid_count = "", itertools.count()
_new_rid_prefix()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_rid_prefix)


def given_request_id(headers: dict | None) -> str | None:
    """The caller's own X-Request-ID among the client's headers, if any (it is sent on every call)."""
    return next((str(v) for k, v in (headers or {}).items() if k.lower() == REQUEST_ID), None)


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else "http"


def make_transport(url: str, *, api_key: str | None, timeout: Any, http_transport: Any = None,
                   headers: dict | None = None, asynchronous: bool = False, transport: str | None = None,
                   shared_memory: bool | None = None, unix_socket: bool | str | None = None):
    kind = transport or scheme_of(url)
    if kind in ("http", "https", "http+unix"):
        from .http import AsyncHTTPTransport, HTTPTransport

        if asynchronous:
            if kind == "http+unix":
                raise ValueError("http+unix:// URLs are for the sync Client; AsyncClient takes http://")
            return AsyncHTTPTransport(url, api_key=api_key, timeout=timeout, transport=http_transport,
                                      headers=headers, shared_memory=shared_memory, unix_socket=unix_socket)
        return HTTPTransport(url, api_key=api_key, timeout=timeout, transport=http_transport, headers=headers,
                             shared_memory=shared_memory, unix_socket=unix_socket)
    if kind in ("grpc", "grpcs"):
        try:
            from . import grpc as grpc_transport
        except ImportError as e:
            raise ImportError(f"the gRPC transport needs grpcio and protobuf: pip install 'gradserve-client[grpc]' "
                              f"({e})") from e
        gcls = grpc_transport.AsyncGRPCTransport if asynchronous else grpc_transport.GRPCTransport
        return gcls(url, api_key=api_key, timeout=timeout, headers=headers)
    raise ValueError(f"unknown transport {kind!r} in {url!r}; use http://, https://, http+unix://, grpc:// or "
                     f"grpcs://")
