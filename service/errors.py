"""Domain errors of the core. Adapters map `code` to a protocol status (HTTP in http_app, gRPC in its servicer).

Every error renders as {"error": {"code", "message", "detail"}}; engine errors keep their
own code and node-level detail (see `from_engine`).
"""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None, **detail: Any):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = {k: v for k, v in detail.items() if v is not None}

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "detail": self.detail}}


class InvalidRequest(ServiceError):
    code = "invalid_request"  # also carries engine codes: invalid_graph, unknown_op, shape_error, ...


class Unauthorized(ServiceError):
    code = "unauthorized"


class NotFound(ServiceError):
    code = "graph_not_found"


class PayloadTooLarge(ServiceError):
    code = "payload_too_large"


class LimitExceeded(ServiceError):
    code = "limit_exceeded"


class RequestTimeout(ServiceError):
    code = "request_timeout"  # the body did not arrive in time: the connection is closed after the answer


class Overloaded(ServiceError):
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int = 1, **detail: Any):
        super().__init__(message, retry_after_s=retry_after, **detail)
        self.retry_after = retry_after


class DeadlineExceeded(ServiceError):
    code = "deadline_exceeded"


class Unavailable(ServiceError):
    code = "device_unavailable"


class WorkerDied(ServiceError):
    code = "worker_died"


class NotImplementedFeature(ServiceError):
    code = "not_implemented"


class Internal(ServiceError):
    code = "internal"


# engine error code -> service error class (the engine's code is kept on the error)
_ENGINE = {"limit_exceeded": LimitExceeded, "backend_unavailable": Unavailable}


def from_engine(err_dict: dict) -> ServiceError:
    """An engine error (as EngineError.to_dict()) as a service error with the same code and detail."""
    code = err_dict.get("code", "internal")
    cls = _ENGINE.get(code)
    if cls is None:
        cls = Internal if code in ("execution_error", "engine_error", "internal") else InvalidRequest
    e = cls(err_dict.get("message", code), code=code)
    e.detail = dict(err_dict.get("detail") or {})
    return e


# HTTP status per code (the gRPC servicer keeps its own table next to it).
HTTP_STATUS = {
    "invalid_request": 400, "invalid_graph": 400, "unknown_op": 400, "shape_error": 400,
    "differentiation_error": 400, "unauthorized": 401, "graph_not_found": 404, "not_found": 404,
    "request_timeout": 408, "payload_too_large": 413, "limit_exceeded": 413, "overloaded": 429, "worker_died": 500, "internal": 500,
    "execution_error": 500, "engine_error": 500, "not_implemented": 501, "device_unavailable": 503,
    "draining": 503, "deadline_exceeded": 504,
}


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, 500 if code not in HTTP_STATUS else HTTP_STATUS[code])
