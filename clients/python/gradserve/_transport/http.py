"""HTTP/JSON transport (sync and async), with the binary tensor extension.

The sync transport talks plain http:// through the lean keep-alive client in `_http1` (the per-call
cost of a small job); https, proxies, credentials in the URL and a caller's own httpx transport go
through httpx, as does the async transport.
"""
from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any, Mapping

import httpx

from .. import _shm, errors
from .._version import __version__
from .._wire import HEADER_LENGTH, decode_response, encode_request
from . import REQUEST_ID, given_request_id, new_request_id
from . import _http1, _lanes, _local

ROUTES = {
    "health_live": ("GET", "/v2/health/live"),
    "health_ready": ("GET", "/v2/health/ready"),
    "devices": ("GET", "/v1/devices"),
    "register_graph": ("POST", "/v1/graphs"),
    "get_graph": ("GET", "/v1/graphs/{}"),
    "missing_tensors": ("POST", "/v1/tensors/missing"),  # parameter values by hash (gradserve._weights_by_hash)
    "put_tensors": ("POST", "/v1/tensors"),
    "eval": ("POST", "/v1/eval"),
    "grad": ("POST", "/v1/grad"),
    "jvp": ("POST", "/v1/jvp"),
    "vjp": ("POST", "/v1/vjp"),
    "jacobian": ("POST", "/v1/jacobian"),
    "hessian": ("POST", "/v1/hessian"),
    "hvp": ("POST", "/v1/hvp"),
}


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds (int or float) or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _prepare(op: str, body: dict | None, binary: bool, path_arg: str | None, fixed_rid: str | None,
             place: Any = None):
    try:
        method, path = ROUTES[op]
    except KeyError:
        raise ValueError(f"unknown operation {op!r}") from None
    if "{}" in path:
        path = path.format(path_arg)
    content, headers = (None, {}) if body is None else encode_request(body, binary=binary, place=place)
    rid = fixed_rid or new_request_id()
    if fixed_rid is None:  # (the caller's own goes with the client's headers)
        headers = {**headers, REQUEST_ID: rid}
    return method, path, content, headers, rid


_HEADER_LENGTH = HEADER_LENGTH.lower()  # (headers are read by lowercase name)


def _text(content, headers: Mapping[str, str]) -> str:
    ctype = headers.get("content-type") or ""
    charset = ctype.partition("charset=")[2].split(";")[0].strip() or "utf-8"
    try:
        return bytes(content).decode(charset, errors="replace")
    except LookupError:
        return bytes(content).decode("utf-8", errors="replace")


def _handle(status: int, headers: Mapping[str, str], content, rid: str, read: Any = None) -> dict:
    """The decoded body of a 2xx response; otherwise the typed error. `headers` is read by lowercase name."""
    if 200 <= status < 300:
        if status == 204 or not content:
            return {}
        if headers.get(_HEADER_LENGTH) is None and "json" not in headers.get("content-type", "json"):
            return {"text": _text(content, headers)}
        return decode_response(content, headers.get(_HEADER_LENGTH), read)
    try:
        payload: Any = decode_response(content, headers.get(_HEADER_LENGTH))
    except Exception:  # noqa: BLE001 - a proxy's HTML page, say
        payload = _text(content, headers)
    raise errors.from_response(status, payload, parse_retry_after(headers.get("retry-after")),
                               headers.get(REQUEST_ID) or rid)


class _ShmCall:
    """One job call with its large tensors in a lease's regions (gradserve._shm): the request to send, then
    `finish` with the answer (the lease goes back to its pool), or `abort` when none came (its pair is dropped)."""

    def __init__(self, shm: _shm.SharedMemory, lease: _shm.Lease, op: str, body: dict, path_arg: str | None,
                 fixed_rid: str | None):
        self.shm = shm
        self.lease: _shm.Lease | None = lease
        full = {**body, "shared_memory_output": lease.output_spec()}
        try:
            self.method, self.path, self.content, self.headers, self.rid = _prepare(op, full, True, path_arg,
                                                                                    fixed_rid, lease.place)
        except BaseException:  # (e.g. a NaN where JSON wants a number) nothing was sent: the pair goes back
            self.lease = None
            lease.done()
            raise

    def finish(self, status: int, headers: Mapping[str, str], content) -> dict | None:
        """The decoded response; None when the server refused the regions (the client then sends bytes,
        this call and the next ones)."""
        lease, outputs = self.lease, None
        assert lease is not None
        try:
            resp = _handle(status, headers, content, self.rid, lease.read)
            outputs = resp.get("outputs")
            return resp
        except errors.InvalidRequest as e:
            if not (e.detail.get("shared_memory") or "shared_memory_region" in e.detail):
                raise
            self.lease = None
            # (unregisters: a rare blocking call, also from the async client)
            self.shm.failed(lease, e.detail.get("shared_memory_region"))
            return None
        finally:
            if self.lease is not None:
                self.lease.done(outputs)
                self.lease = None

    def abort(self) -> None:
        """No answer came (the server may still read the regions): the pair is not reused."""
        if self.lease is not None:
            self.lease.discard()
            self.lease = None


def _base_headers(api_key: str | None, headers: dict | None) -> dict:
    h = {"user-agent": f"gradserve-client/{__version__}", "accept": "application/json, application/octet-stream"}
    if api_key:
        h["authorization"] = f"Bearer {api_key}"
    h.update(headers or {})
    return h


class HTTPTransport:
    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: Any = 60.0,
                 transport: httpx.BaseTransport | None = None, headers: dict | None = None,
                 shared_memory: bool | None = None, unix_socket: bool | str | None = None):
        self.base_url = base_url.rstrip("/")
        self._rid = given_request_id(headers)
        base = _base_headers(api_key, headers)
        self._lean: _http1.HTTP1Client | None = None
        self._http: httpx.Client | None = None
        self._discover = False  # ask the server for its Unix socket on the next request (_local)
        if transport is None and _http1.usable(self.base_url):
            self._lean = _http1.HTTP1Client(self.base_url, base, timeout)
            if isinstance(unix_socket, str):
                self._lean.unix_path = unix_socket
            else:
                self._discover = self._lean.address is not None and _local.auto(self.base_url, unix_socket)
        elif _local.is_unix_url(self.base_url):
            raise ValueError(f"{self.base_url}: a http+unix:// URL takes no proxy, credentials or httpx transport")
        else:
            self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport, headers=base)
        # same host: large tensors through shared memory (gradserve._shm)
        self._shm = _shm.SharedMemory(self.send) if transport is None and _shm.enabled(self.base_url, shared_memory) \
            else None
        # a direct lane to a worker for repeated shared-memory jobs (on unless GRADSERVE_DIRECT_LANES=0: _lanes)
        self._direct = _lanes.Lanes(timeout, _handle) if self._shm is not None and _lanes.wanted() else None

    def call(self, op: str, body: dict | None, *, binary: bool = False, timeout: Any = None,
             path_arg: str | None = None) -> dict:
        if self._shm is not None and body is not None and self._shm.wanted(op, body):
            lease = self._shm.lease(body)
            if lease is not None:
                resp = self._call_shm(op, body, path_arg, timeout, lease)
                if resp is not None:
                    return resp
        method, path, content, headers, rid = _prepare(op, body, binary, path_arg, self._rid)
        status, rheaders, rcontent = self.send(method, path, content, headers, timeout, rid)
        return _handle(status, rheaders, rcontent, rid)

    def _call_shm(self, op: str, body: dict, path_arg: str | None, timeout: Any, lease) -> dict | None:
        assert self._shm is not None
        call = _ShmCall(self._shm, lease, op, body, path_arg, self._rid)
        try:
            lanes = self._direct
            if lanes is None:
                return call.finish(*self.send(call.method, call.path, call.content, call.headers, timeout, call.rid))
            answer = lanes.exchange(call, timeout, self.send)
            if answer is not None:
                return call.finish(*answer)
            lanes.ask(call)
            answer = self.send(call.method, call.path, call.content, call.headers, timeout, call.rid)
            resp = call.finish(*answer)
            if resp is not None:
                lanes.learn(call, *answer, resp)
            return resp
        finally:
            call.abort()

    def send(self, method: str, path: str, content: bytes | None, headers: dict, timeout: Any = None,
             rid: str | None = None) -> tuple[int, Mapping[str, str], Any]:
        """One request as it goes on the wire: (status, headers by lowercase name, body). Transport
        failures raise the SDK's APITimeoutError / APIConnectionError. (Also what benchmarks time.)"""
        try:
            if self._lean is not None:
                if self._discover:  # (once: other threads' calls go on over TCP meanwhile)
                    self._discover = False
                    self._discover = _local.discover(self._lean, timeout) is None  # no answer: ask again
                r = self._lean.request(method, path, content, headers, timeout)
                return r.status, r.headers, r.content
            assert self._http is not None
            kw = {} if timeout is None else {"timeout": timeout}
            resp = self._http.request(method, path, content=content, headers=headers, **kw)
            return resp.status_code, resp.headers, resp.content
        except (httpx.TimeoutException, TimeoutError) as e:
            raise errors.APITimeoutError(f"{method} {path} timed out: {e}", request_id=rid) from e
        except (httpx.TransportError, OSError) as e:
            raise errors.APIConnectionError(f"{method} {self.base_url}{path}: {e!r}", request_id=rid) from e

    def close(self) -> None:
        if self._direct is not None:
            self._direct.close()
        if self._shm is not None:
            self._shm.close()
        if self._lean is not None:
            self._lean.close()
        if self._http is not None:
            self._http.close()


class AsyncHTTPTransport:
    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: Any = 60.0,
                 transport: httpx.AsyncBaseTransport | None = None, headers: dict | None = None,
                 shared_memory: bool | None = None, unix_socket: bool | str | None = None):
        self.base_url = base_url.rstrip("/")
        self._rid = given_request_id(headers)
        base = _base_headers(api_key, headers)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport, headers=base)
        # the server's Unix socket (_local), found on the first call by the sync client in a thread: then
        # requests go through a second httpx client on it, back to TCP for good when it fails to connect
        self._unix: httpx.AsyncClient | None = None
        self._client_args = (base, timeout)
        lean = transport is None and _http1.usable(self.base_url) and not _local.is_unix_url(self.base_url)
        self._discover = lean and not isinstance(unix_socket, str) and _local.auto(self.base_url, unix_socket)
        if lean and isinstance(unix_socket, str):
            self._use_unix(unix_socket)
        # same host: large tensors through shared memory; its rare region (un)registrations go through a
        # sync client, in a thread (a caller's own httpx transport: none)
        self._shm: _shm.SharedMemory | None = None
        self._shm_http: _http1.HTTP1Client | None = None
        if transport is None and _http1.usable(self.base_url) and _shm.enabled(self.base_url, shared_memory):
            self._shm_http = _http1.HTTP1Client(self.base_url, base, timeout)
            self._shm = _shm.SharedMemory(self._shm_send)

    def _shm_send(self, method: str, path: str, content: bytes | None, headers: dict):
        assert self._shm_http is not None
        r = self._shm_http.request(method, path, content, headers)
        return r.status, r.headers, r.content

    async def call(self, op: str, body: dict | None, *, binary: bool = False, timeout: Any = None,
                   path_arg: str | None = None) -> dict:
        if self._shm is not None and body is not None and self._shm.wanted(op, body):
            # (a thread only when regions may have to be registered: a blocking request)
            lease = self._shm.lease_now(body) or await asyncio.to_thread(self._shm.lease, body)
            if lease is not None:
                resp = await self._call_shm(op, body, path_arg, timeout, lease)
                if resp is not None:
                    return resp
        method, path, content, headers, rid = _prepare(op, body, binary, path_arg, self._rid)
        status, rheaders, rcontent = await self._send(method, path, content, headers, timeout, rid)
        return _handle(status, rheaders, rcontent, rid)

    async def _find_unix(self, timeout: Any) -> None:
        self._discover = False
        base, client_timeout = self._client_args
        probe = _http1.HTTP1Client(self.base_url, base, client_timeout)
        import anyio  # (httpx's: the AsyncClient runs under asyncio or trio)

        try:
            found = await anyio.to_thread.run_sync(_local.discover, probe, timeout)
        finally:
            probe.close()
        if found is None:
            self._discover = True  # not reachable yet: ask again
        elif found and probe.unix_path is not None:
            self._use_unix(probe.unix_path)

    def _use_unix(self, path: str) -> None:
        base, client_timeout = self._client_args
        self._unix = httpx.AsyncClient(base_url=self.base_url, timeout=client_timeout, headers=base,
                                       transport=httpx.AsyncHTTPTransport(uds=path))

    async def _send(self, method: str, path: str, content, headers: dict, timeout: Any, rid: str):
        kw = {} if timeout is None else {"timeout": timeout}
        if self._discover:
            await self._find_unix(timeout)
        try:
            if self._unix is not None:
                try:
                    resp = await self._unix.request(method, path, content=content, headers=headers, **kw)
                    return resp.status_code, resp.headers, resp.content
                except httpx.ConnectError:  # the socket is gone: TCP from now on
                    unix, self._unix = self._unix, None
                    await unix.aclose()
            resp = await self._http.request(method, path, content=content, headers=headers, **kw)
        except httpx.TimeoutException as e:
            raise errors.APITimeoutError(f"{method} {path} timed out: {e}", request_id=rid) from e
        except httpx.TransportError as e:
            raise errors.APIConnectionError(f"{method} {self.base_url}{path}: {e!r}", request_id=rid) from e
        return resp.status_code, resp.headers, resp.content

    async def _call_shm(self, op: str, body: dict, path_arg: str | None, timeout: Any, lease) -> dict | None:
        assert self._shm is not None
        call = _ShmCall(self._shm, lease, op, body, path_arg, self._rid)
        try:
            return call.finish(*await self._send(call.method, call.path, call.content, call.headers, timeout,
                                                 call.rid))
        finally:
            call.abort()

    async def aclose(self) -> None:
        if self._shm is not None:
            await asyncio.to_thread(self._shm.close)
        if self._shm_http is not None:
            self._shm_http.close()
        if self._unix is not None:
            await self._unix.aclose()
        await self._http.aclose()
