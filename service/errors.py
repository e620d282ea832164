"""Domain errors of the core. Adapters map `code` to a protocol status (HTTP in http_app, gRPC in its servicer).

Every error renders as {"error": {"code", "message", "detail"}}; engine errors keep their
own code and node-level detail (see `from_engine`).
"""
from __future__ import annotations

from typing import Any

# An error echoes what the request named (an op, a variable, a field, a graph id): a 1 MB name came back whole,
# in the message and again in the path (3 MB of answer for 1 MB asked). Every protocol renders these clipped.
MESSAGE_CHARS = 1024
DETAIL_CHARS = 256


def clip(text: str, n: int) -> str:
    """text cut to about n characters, saying so (a text cut already is left as it is), a lone surrogate written as
    its escape: a name the request gave as JSON's "\\ud800" echoed raw could not be encoded as UTF-8 (the answer, HTTP's
    or gRPC's, failed: a 500 / UNKNOWN instead of the error)."""
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= n + 40 else text[:n] + f"... ({len(text) - n} more characters)"


def _clip_detail(v: Any) -> Any:
    if isinstance(v, str):
        return clip(v, DETAIL_CHARS)
    if isinstance(v, dict):
        return {clip(k, DETAIL_CHARS) if isinstance(k, str) else k: _clip_detail(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clip_detail(x) for x in v]
    return v


class ServiceError(Exception):
    code = "internal"
    retry_after: int | None = None  # seconds after which the same request may succeed (HTTP Retry-After)

    def __init__(self, message: str, *, code: str | None = None, **detail: Any):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.detail = {k: v for k, v in detail.items() if v is not None}

    @property
    def public_message(self) -> str:
        """The message as answered (clipped: it may echo the request)."""
        return clip(self.message, MESSAGE_CHARS)

    @property
    def located_message(self) -> str:
        """The public message naming where the request went wrong (its path, when the message does not): for
        the protocols whose error is one string (the Open Inference Protocol), where /v1 answers the path
        as a field of its own. Not a URL's path (a route's error: the caller knows the address it called)."""
        path = self.detail.get("path")
        if not isinstance(path, str) or path in ("", "$") or path.startswith("/") or path in self.message:
            return self.public_message
        return clip(f"{self.message} (at {clip(path, DETAIL_CHARS)})", MESSAGE_CHARS)

    def to_dict(self) -> dict:
        """The error as answered; message and detail clipped (they may echo the request)."""
        return {"error": {"code": self.code, "message": self.public_message, "detail": _clip_detail(self.detail)}}


class InvalidRequest(ServiceError):
    code = "invalid_request"  # also carries engine codes: invalid_graph, unknown_op, shape_error, ...


class NotJson(InvalidRequest):
    """400: a body that does not parse as JSON (a 415 on the job routes where its Content-Type says it is something
    else: service.media_type)."""


class Unauthorized(ServiceError):
    code = "unauthorized"


class NotFound(ServiceError):
    code = "graph_not_found"


class Forbidden(ServiceError):
    code = "forbidden"  # e.g. naming a shared memory region another client (API key) holds


class RegionInUse(ServiceError):
    code = "region_in_use"  # unregistering a shared memory region a running request reads or writes


class PayloadTooLarge(ServiceError):
    code = "payload_too_large"


class LimitExceeded(ServiceError):
    code = "limit_exceeded"


class UnsupportedMediaType(ServiceError):
    """415 (HTTP only): a body the server cannot read as sent, e.g. application/onnx without the onnx extra, or a
    Content-Encoding it does not decode (RFC 9110 15.5.16), which answers with Accept-Encoding naming the codings
    it does."""

    code = "unsupported_media_type"

    def __init__(self, message: str, *, accept_encoding: str | None = None, **detail: Any):
        super().__init__(message, **detail)
        self.accept_encoding = accept_encoding


class RequestTimeout(ServiceError):
    code = "request_timeout"  # the body did not arrive in time: the connection is closed after the answer


class Overloaded(ServiceError):
    code = "overloaded"

    def __init__(self, message: str, *, retry_after: int = 1, **detail: Any):
        super().__init__(message, retry_after_s=retry_after, **detail)
        self.retry_after = retry_after


class Draining(ServiceError):
    """The server is shutting down (SIGTERM): new work is refused at once, and jobs still running when the drain's
    cap (drain_max_s) passes end with this. Another replica can take the job: Retry-After says when to retry."""

    code = "draining"

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


def from_engine(err_dict: dict, max_elements: int | None = None) -> ServiceError:
    """An engine error (as EngineError.to_dict(), from this process or a worker) as a service error with
    the same code and detail. A limit carries its setting as data (engine.errors.LimitExceeded): on the
    wire `detail.limit` names the setting and `detail.value` its value, as for the service's own limits,
    and `detail.got` what the request asked for. `max_elements`: the server's setting, where the caller
    knows it (see _too_many_elements)."""
    code = err_dict.get("code", "internal")
    if code == "shape_error" and "max_elements" in (err_dict.get("detail") or {}):
        return _too_many_elements(err_dict, max_elements)
    cls = _ENGINE.get(code)
    if cls is None:
        cls = Internal if code in ("execution_error", "engine_error", "internal") else InvalidRequest
    e = cls(err_dict.get("message", code), code=code)
    e.detail = dict(err_dict.get("detail") or {})
    option = e.detail.pop("option", None)  # the request option at fault (engine.transforms: positions...)
    if isinstance(option, str) and not e.detail.get("path"):
        e.detail["path"] = f"$.{option}"
    setting = e.detail.pop("setting", None)
    if code == "limit_exceeded" and isinstance(setting, str):
        bound, got = e.detail.get("limit"), e.detail.get("value")
        e.detail.update(limit=setting, value=bound)
        if got is not None:
            e.detail["got"] = got
    return e


def _too_many_elements(err_dict: dict, configured: int | None) -> LimitExceeded:
    """A tensor past the engine's absolute cap (iota, arange: a shape_error whose detail carries the cap as
    `max_elements`) is a size limit like the service's own: 413 limit_exceeded naming max_elements, with
    the server's setting as its value when known (it is the lower bound the caller can act on)."""
    detail = dict(err_dict.get("detail") or {})
    cap = detail.pop("max_elements")
    bound = min(cap, configured) if configured else cap
    e = LimitExceeded(f"{err_dict.get('message', 'too many elements')} (limit max_elements={bound})")
    e.detail = {**detail, "limit": "max_elements", "value": bound}
    return e


# The one table: error code -> (HTTP status, gRPC status name). The gRPC adapter, docs/API.md and the SDK's
# tables are checked against it (tests/service/test_error_table.py). 4xx are the caller's to fix; of those,
# only overloaded (429) is worth retrying as it is; 413 (too large) never is.
CODES: dict[str, tuple[int, str]] = {
    "invalid_request": (400, "INVALID_ARGUMENT"),
    "invalid_graph": (400, "INVALID_ARGUMENT"),
    "unknown_op": (400, "INVALID_ARGUMENT"),
    "shape_error": (400, "INVALID_ARGUMENT"),
    "differentiation_error": (400, "INVALID_ARGUMENT"),
    "unauthorized": (401, "UNAUTHENTICATED"),
    "forbidden": (403, "PERMISSION_DENIED"),  # another client's shared memory region
    "graph_not_found": (404, "NOT_FOUND"),
    "model_not_found": (404, "NOT_FOUND"),  # a model-repository name (Open Inference Protocol, UM-Bridge)
    "tensor_not_found": (404, "NOT_FOUND"),  # a graph names a parameter value by a hash not uploaded (tensor_store)
    "region_not_found": (404, "NOT_FOUND"),  # the status of a shared memory region by a name not registered
    "region_exists": (400, "ALREADY_EXISTS"),  # registering a shared memory region by a name registered (Triton's)
    "not_found": (404, "UNIMPLEMENTED"),  # no such route (HTTP only: gRPC answers UNIMPLEMENTED itself)
    "method_not_allowed": (405, "UNIMPLEMENTED"),
    "request_timeout": (408, "DEADLINE_EXCEEDED"),  # the body did not arrive in time (HTTP only)
    "region_in_use": (409, "FAILED_PRECONDITION"),  # (HTTP only: the shared memory routes)
    "payload_too_large": (413, "RESOURCE_EXHAUSTED"),
    "unsupported_media_type": (415, "INVALID_ARGUMENT"),  # e.g. application/onnx without the onnx extra
    "limit_exceeded": (413, "RESOURCE_EXHAUSTED"),
    "overloaded": (429, "RESOURCE_EXHAUSTED"),
    "internal": (500, "INTERNAL"),
    "worker_died": (500, "INTERNAL"),
    "execution_error": (500, "INTERNAL"),
    "engine_error": (500, "INTERNAL"),
    "not_implemented": (501, "UNIMPLEMENTED"),
    "device_unavailable": (503, "UNAVAILABLE"),
    "backend_unavailable": (503, "UNAVAILABLE"),
    "draining": (503, "UNAVAILABLE"),
    "deadline_exceeded": (504, "DEADLINE_EXCEEDED"),
}
HTTP_ONLY = ("not_found", "method_not_allowed", "request_timeout", "unsupported_media_type",
             "region_in_use")  # never sent over gRPC
HTTP_STATUS = {code: http for code, (http, _) in CODES.items()}


def http_headers(err: ServiceError) -> dict[str, str]:
    """The HTTP headers an error's answer carries, in every protocol's error form (/v1, /v2, UM-Bridge, shared
    memory)."""
    headers = {}
    if err.retry_after is not None:  # overloaded (429), draining (503)
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(err, UnsupportedMediaType) and err.accept_encoding:
        headers["Accept-Encoding"] = err.accept_encoding
    if isinstance(err, RequestTimeout):  # the rest of the body may still come: never read it as a request
        headers["Connection"] = "close"
    return headers


def http_status(code: str) -> int:
    """The HTTP status of an error code; a code the table lacks (an engine's new one) is a 500."""
    return HTTP_STATUS.get(code, 500)
