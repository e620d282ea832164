"""One job path for both protocols: admission, thread offload, the core call and its metrics.

The HTTP and gRPC adapters decode their wire format and encode the result; everything between
(admit before the body is read or decoded, decode large requests off the event loop, run, count
the outcome in one vocabulary: the error code, "ok", or "cancelled") is a `JobCall`, like
KServe's DataPlane under its REST and gRPC servers.
"""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from typing import Any, Callable

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from .api_keys import bearer_token, key_ok
from .codec import envelope_ok
from .client_identity import FORWARDED_FOR, client_host
from . import models
from .core import Core, JobRequest, JobResult
from .derivation import check_order
from .errors import InvalidRequest, ServiceError

BIG = 1 << 20  # requests and responses above this are decoded / encoded off the event loop
REQUEST_ID = "x-request-id"


def request_id(given: str | None) -> str:
    """The caller's request id (printable, at most 128 characters), else a fresh one."""
    if given and len(given) <= 128 and given.isprintable():
        return given
    return uuid.uuid4().hex


# the option fields each request model has (model_fields is a descriptor that costs a few us per access)
OPTION_FIELDS = {k: tuple(f for f in ("get_all", "get_by_list", "grad_position", "weights", "order", "value_and_grad",
                                      "positions", "mode") if f in m.model_fields)
                 for k, m in models.REQUEST_MODELS.items()}

# the models with nested specs (getattr of a missing field goes through pydantic's __getattr__: ~4 us)
NESTED = {k: "inner" in m.model_fields for k, m in models.REQUEST_MODELS.items()}


def validation_error(e: ValidationError | RequestValidationError, prefix: tuple = ()) -> InvalidRequest:
    """pydantic's errors as one InvalidRequest naming the first path (and how many more); `prefix`: where the
    validated value sits in the request."""
    errs = e.errors(include_url=False, include_context=False, include_input=False) if isinstance(e, ValidationError) \
        else [{k: v for k, v in x.items() if k in ("loc", "msg", "type")} for x in e.errors()]
    first = errs[0] if errs else {"loc": (), "msg": "invalid"}
    where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in (*prefix, *first.get("loc", ())))
    return InvalidRequest(f"{where}: {first.get('msg')}" + (f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""),
                          path=where, errors=[{"loc": [*prefix, *x.get("loc", ())], "msg": x.get("msg"),
                                               "type": x.get("type")} for x in errs[:20]])


TENSOR_STAND_INS = {"inputs": [], "params": None, "sens": None, "tangents": [], "v": []}  # -> an empty stand-in


def without_tensors(head: dict) -> dict:
    """`head` with its tensors replaced by empty stand-ins when every tensor envelope is one the request
    model accepts (envelope_ok): pydantic then checks the job's own fields, not a model per tensor
    (~30 us a request with 7 tensors; a gRPC message of 2 M empty tensors held 2.1 GB of them). A malformed
    envelope leaves `head` whole: validate words its error (`_fail_fast`)."""
    light = None
    for key, empty in TENSOR_STAND_INS.items():
        raw = head.get(key)
        if raw is None:
            continue
        if not envelopes_ok(key, raw):
            return head
        if light is None:
            light = dict(head)
        light[key] = empty
    return head if light is None else light


def envelopes_ok(key: str, raw) -> bool:
    """Every tensor envelope of the tensor field `key` (not None) is one the request model accepts."""
    if type(raw) is list:
        return all(envelope_ok(t) for t in raw)
    if key == "params":
        return type(raw) is dict and all(envelope_ok(t) for t in raw.values())
    return key in ("sens", "v") and envelope_ok(raw)  # sens and v may be one tensor


ENVELOPE_FIELDS = tuple(TENSOR_STAND_INS)  # the fields that hold tensor envelopes


def _first_bad_envelope(head: dict) -> tuple[tuple, Any] | None:
    """(loc, envelope) of the first tensor envelope codec.envelope_ok refuses, in field order."""
    for key in ENVELOPE_FIELDS:
        raw = head.get(key)
        if type(raw) is list:
            for i, t in enumerate(raw):
                if not envelope_ok(t):
                    return (key, i), t
        elif type(raw) is dict and key == "params":
            for name, t in raw.items():
                if not envelope_ok(t):
                    return (key, name), t
        elif type(raw) is dict and not envelope_ok(raw):
            return (key,), raw
    return None


def _fail_fast(head: dict) -> None:
    """Raise the first bad envelope's error alone: pydantic words one error per bad element, and a 4 MiB
    body of 1.4 million `{}` envelopes cost ~2.5 GB and a minute of the event loop (benchmarks/envelope_flood.py)."""
    bad = _first_bad_envelope(head)
    if bad is None:
        return
    try:
        models.Tensor.model_validate(bad[1])
    except ValidationError as e:
        raise validation_error(e, bad[0]) from None


def validate(kind: str, head: dict, max_order: int | None = None):
    """The request's JSON form (tensors as envelopes) checked by the model both protocols share; with `max_order`,
    an `inner` list too long for it is refused before any of its specs is read (derivation.check_order)."""
    inner = head.get("inner") if max_order is not None and NESTED[kind] else None
    if type(inner) is list:
        check_order(head.get("order"), len(inner), max_order)
    _fail_fast(head)
    try:
        return models.REQUEST_MODELS[kind].model_validate(head)
    except ValidationError as e:
        raise validation_error(e) from None


def _fields(kind: str, m, strict: bool, output_format: str) -> dict:
    """A JobRequest's fields that come from its validated model `m` (all but its tensors and size)."""
    opts: dict[str, Any] = {f: getattr(m, f) for f in OPTION_FIELDS[kind]}
    if NESTED[kind] and m.inner:
        opts["inner"] = [g.model_dump(exclude_unset=True) for g in m.inner]
    return dict(kind=kind, graph=m.graph, graph_id=m.graph_id, device=m.device,
                deadline_s=m.deadline_ms / 1e3 if m.deadline_ms is not None else None, options=opts,
                graph_strict=strict, output_format=output_format)


def job_request(kind: str, m, inputs: list, params: dict, tensors: dict, *, size: int, strict: bool,
                output_format: str) -> JobRequest:
    """The JobRequest of a validated model `m` and its decoded tensors (`tensors`: sens / tangents / v),
    whichever wire it came from."""
    f = _fields(kind, m, strict, output_format)
    f["options"] = {**tensors, **f["options"]}
    return JobRequest(inputs=inputs, params=params, size_hint=size, **f)


def request_template(kind: str, m, *, strict: bool, output_format: str) -> dict | None:
    """job_request's fields for model `m` as a JobRequest holds them (its defaults too), for `from_template`: a
    binary header met before (service.head_memo.Head) decodes to the same model each time; None when its
    options hold nested specs (each request gets its own copies of those)."""
    f = _fields(kind, m, strict, output_format)
    return None if "inner" in f["options"] else vars(JobRequest(inputs=[], **f))


def from_template(template: dict, inputs: list, params: dict, tensors: dict, size: int) -> JobRequest:
    """job_request(kind, m, inputs, params, tensors, size=size, ...) for `request_template(kind, m, ...)`,
    without the model's fields read again and the dataclass's __init__ (~2 us a request)."""
    req = JobRequest.__new__(JobRequest)
    fields = req.__dict__
    fields.update(template)
    fields["inputs"], fields["params"], fields["size_hint"] = inputs, params, size
    fields["options"] = {**tensors, **template["options"]}
    return req


async def offload(big: bool, fn: Callable, *args) -> Any:
    """fn(*args), in a thread when the work is large (decode, encode): the event loop stays free."""
    return await asyncio.to_thread(fn, *args) if big else fn(*args)


def client_of(core: Core, authorization: str | None, host: str | None, forwarded: str | None = None) -> str:
    """Who a job is for, as the pools share workers among clients: with API keys, the key it carries (a
    digest: the key itself is kept nowhere but in the settings and _KEY_CLIENTS, whose headers carry such keys); without, its peer's host, an IPv6 one by its prefix, or behind a
    trusted proxy the X-Forwarded-For (`forwarded`) client (service.client_identity). (Without keys a peer could name
    itself anything, so only what it cannot choose counts.) The key as the auth check reads it: the token after
    the scheme, stripped (every spelling it accepts, "bearer   k" too, is the one client of key k)."""
    s = core.settings
    if authorization:  # (no header: the key list is not parsed, every job)
        memo = (authorization, s.api_keys)  # (the setting as it is now: keys changed, the memo does not answer)
        name = _KEY_CLIENTS.get(memo)
        if name is None:
            keys = s.api_key_list
            name = _key_client(authorization) if keys else ""
            # (only a header the key check lets in: the memo holds no key that the settings do not hold)
            if keys and len(authorization) <= KEY_CLIENT_HEADER and key_ok(authorization, [k.encode() for k in keys]):
                if len(_KEY_CLIENTS) >= KEY_CLIENTS_KEPT:
                    _KEY_CLIENTS.clear()
                _KEY_CLIENTS[memo] = name
        if name:
            return name
    return "host:" + client_host(host, forwarded, s.trusted_proxies, s.ipv6_client_prefix)


# Authorization header and API keys setting -> its client: a client in a loop sends the same
# header, whose key list parse and SHA-256 took ~3 us a request; kept for headers of at most KEY_CLIENT_HEADER
# characters that carry one of the keys set, KEY_CLIENTS_KEPT of them (past it the memo starts over)
_KEY_CLIENTS: dict = {}
KEY_CLIENTS_KEPT = 256
KEY_CLIENT_HEADER = 512


def _key_client(authorization: str) -> str:
    token = bearer_token(authorization) or ""
    return "key:" + hashlib.sha256(token.encode(errors="replace")).hexdigest()[:16]


def request_client(core: Core, request) -> str:
    """client_of for a Starlette request (OIP HTTP, UM-Bridge): every protocol names a client alike, so a
    flood over one cannot starve a client of another."""
    h = request.headers
    return client_of(core, h.get("authorization"), request.client.host if request.client else None,
                     ",".join(h.getlist(FORWARDED_FOR)) or None)


def parse_charge(core: Core, request) -> tuple:
    """(parse share, client) of a Starlette request: what http_body.inflated charges a compressed body's inflation
    to, as large bodies' parses are (body_budget.parsed)."""
    return core.parse_share, request_client(core, request)


class JobCall:
    """One job from either protocol: `admit`, then `run`; `outcome` as it ends; metrics on `close`."""

    __slots__ = ("core", "kind", "protocol", "request_id", "t0", "outcome", "device", "admission", "client")

    def __init__(self, core: Core, kind: str, protocol: str, rid: str | None = None, client: str = ""):
        self.core, self.kind, self.protocol, self.client = core, kind, protocol, client
        self.request_id = request_id(rid)
        self.t0 = time.perf_counter()
        self.outcome = "internal"
        self.device = "-"
        self.admission = None

    def admit(self) -> None:
        """A place for the job before its body is read or decoded (Overloaded when there is none)."""
        self.admission = self.core.admit(self.client)

    async def run(self, req: JobRequest) -> JobResult:
        got = self.run_now(req)
        return got if type(got) is JobResult else await self.run_rest(req, got)

    def run_now(self, req: JobRequest) -> JobResult | tuple:
        """Core.run_now: the result when the job needed no wait (the inline lane), else what `run_rest` goes on
        from. (A failure here leaves the admission to `close`.)"""
        req.client = self.client
        got = self.core.run_now(req)
        if type(got) is JobResult:
            self._ok(got)
        return got

    async def run_rest(self, req: JobRequest, front: tuple) -> JobResult:
        admission, self.admission = self.admission, None  # the core releases it once the job is in a pool
        try:
            res = await self.core.run_rest(req, front, admission)
        finally:
            if admission is not None:
                admission.release()
        self._ok(res)
        return res

    def _ok(self, res: JobResult) -> None:
        self.device = res.device
        self.outcome = "ok"
        if self.admission is not None:  # (run_now's job is over: its place is free)
            self.admission.release()
            self.admission = None

    def failed(self, e: ServiceError) -> ServiceError:
        self.outcome = e.code
        e.detail.setdefault("request_id", self.request_id)
        return e

    def close(self) -> None:
        if self.admission is not None:  # a body that failed to read or decode never reached the core
            self.admission.release()
            self.admission = None
        self.core.metrics.jobs.job(self.kind, self.device, self.outcome, time.perf_counter() - self.t0)
