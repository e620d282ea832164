"""Typed exceptions, one per error code of the wire API (docs/API.md, "Error codes").

    GradserveError
    ├── APIConnectionError            (no response: refused, reset, DNS)
    │   └── APITimeoutError           (the client's own timeout)
    └── APIStatusError                (the service answered with an error)
        ├── InvalidRequest            400 invalid_request
        │   ├── InvalidGraph          400 invalid_graph
        │   │   └── UnknownOp         400 unknown_op
        │   ├── ShapeError            400 shape_error (also a ValueError)
        │   │   ├── IndexRangeError   (client side; also a RuntimeError, MindSpore's class)
        │   │   └── DtypeError        (client side; also a TypeError, MindSpore's class)
        │   └── DifferentiationError  400 differentiation_error (also a RuntimeError)
        │       └── GradPositionError (client side; also an IndexError and a ValueError)
        ├── AuthError                 401 unauthorized
        ├── NotFound                  404
        │   └── GraphNotFound         404 graph_not_found
        ├── PayloadTooLarge           413 payload_too_large
        ├── LimitExceeded             413/400 limit_exceeded
        ├── Overloaded                429 overloaded (retry_after)
        ├── InternalError             500 internal
        │   ├── WorkerDied            500 worker_died
        │   └── ExecutionError        500 execution_error
        ├── NotImplementedFeature     501 not_implemented
        ├── DeviceUnavailable         503 device_unavailable
        └── DeadlineExceeded          504 deadline_exceeded
"""
from __future__ import annotations

from typing import Any


class GradserveError(Exception):
    """Base of every error the SDK raises."""

    code: str = "error"
    grpc_code: Any = None  # the gRPC status code, for errors of the gRPC transport

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 detail: dict | None = None, retry_after: float | None = None, request_id: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.status = status
        self.detail = detail or {}
        self.retry_after = retry_after
        # the service's id of the failed request (X-Request-ID / gRPC trailer / detail.request_id): its logs' key
        rid = request_id if request_id is not None else self.detail.get("request_id")
        self.request_id: str | None = str(rid) if rid is not None else None

    def __str__(self) -> str:
        s = self.message
        if self.status is not None:
            s = f"{self.status} {self.code}: {s}"
        # (the engine's messages name their node already: "... (node f.nodes[3]:mul)", said once)
        where = {k: self.detail[k] for k in ("node", "path")
                 if k in self.detail and f"({k} {self.detail[k]})" not in s}
        if where:
            s += " (" + ", ".join(f"{k} {v}" for k, v in where.items()) + ")"
        return s


class APIConnectionError(GradserveError):
    code = "connection_error"


class APITimeoutError(APIConnectionError):
    code = "timeout"


class APIStatusError(GradserveError):
    code = "status_error"


class InvalidRequest(APIStatusError):
    code = "invalid_request"


class InvalidGraph(InvalidRequest):
    code = "invalid_graph"


class UnknownOp(InvalidGraph):
    code = "unknown_op"


class ShapeError(InvalidRequest, ValueError):
    code = "shape_error"


class IndexRangeError(ShapeError, RuntimeError):
    """An index outside its axis, found in the client: a ShapeError, and MindSpore's RuntimeError (its kernels'
    range check)."""


class DtypeError(ShapeError, TypeError):
    """An operand of a dtype the op does not take (exp of a bool, a float index), found in the client: a
    ShapeError, and MindSpore's TypeError (2.10: "Select CPU operator[Exp] fail! Unsupported data type!")."""


class DifferentiationError(InvalidRequest, RuntimeError):
    code = "differentiation_error"


class GradPositionError(DifferentiationError, IndexError, ValueError):
    """A grad_position out of range, negative or empty: MindSpore raises RuntimeError, ValueError or
    IndexError for these (by version); this is all three."""


class AuthError(APIStatusError):
    code = "unauthorized"


class NotFound(APIStatusError):
    code = "not_found"


class GraphNotFound(NotFound):
    code = "graph_not_found"


class PayloadTooLarge(APIStatusError):
    code = "payload_too_large"


class LimitExceeded(APIStatusError):
    code = "limit_exceeded"


class Overloaded(APIStatusError):
    code = "overloaded"


class InternalError(APIStatusError):
    code = "internal"


class WorkerDied(InternalError):
    code = "worker_died"


class ExecutionError(InternalError):
    code = "execution_error"


class NotImplementedFeature(APIStatusError):
    code = "not_implemented"


class DeviceUnavailable(APIStatusError):
    code = "device_unavailable"


class DeadlineExceeded(APIStatusError):
    code = "deadline_exceeded"


BY_CODE: dict[str, type[APIStatusError]] = {
    c.code: c for c in (InvalidRequest, InvalidGraph, UnknownOp, ShapeError, DifferentiationError, AuthError,
                        GraphNotFound, PayloadTooLarge, LimitExceeded, Overloaded, InternalError, WorkerDied,
                        ExecutionError, NotImplementedFeature, DeviceUnavailable, DeadlineExceeded)
}
BY_STATUS: dict[int, type[APIStatusError]] = {
    400: InvalidRequest, 401: AuthError, 403: AuthError, 404: NotFound, 413: PayloadTooLarge,
    429: Overloaded, 500: InternalError, 501: NotImplementedFeature, 503: DeviceUnavailable, 504: DeadlineExceeded,
}


def from_response(status: int, body: Any, retry_after: float | None = None,
                  request_id: str | None = None) -> APIStatusError:
    """The typed exception for an error response (code first, then the HTTP status); `request_id` is the
    response's X-Request-ID (else the body's detail.request_id)."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        code = str(err.get("code") or "")
        message = str(err.get("message") or code or f"HTTP {status}")
        d = err.get("detail")
        detail: dict = d if isinstance(d, dict) else {}
    else:
        code, detail = "", {}
        message = (body if isinstance(body, str) and body else f"HTTP {status}")[:500]
    cls = BY_CODE.get(code) or BY_STATUS.get(status) or (InvalidRequest if 400 <= status < 500 else APIStatusError)
    if retry_after is None and isinstance(detail.get("retry_after_s"), (int, float)):
        retry_after = float(detail["retry_after_s"])
    return cls(message, code=code or None, status=status, detail=detail, retry_after=retry_after,
               request_id=request_id)


__all__ = ["GradserveError", "APIConnectionError", "APITimeoutError", "APIStatusError", "InvalidRequest",
           "InvalidGraph", "UnknownOp", "ShapeError", "IndexRangeError", "DtypeError", "DifferentiationError", "GradPositionError", "AuthError", "NotFound",
           "GraphNotFound", "PayloadTooLarge", "LimitExceeded", "Overloaded", "InternalError", "WorkerDied",
           "ExecutionError", "NotImplementedFeature", "DeviceUnavailable", "DeadlineExceeded", "from_response"]
