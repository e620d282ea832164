"""`Client` and `AsyncClient` over one base (as openai-python does over httpx).

The base holds everything but I/O: request bodies, graph references (content hash,
registration, resend inline on `graph_not_found`), retry decisions (429/503 and
connection failures, exponential backoff with jitter, at least `Retry-After`),
and results. The job logic is a generator of transport calls, driven by a sync
loop in `Client` and an async one in `AsyncClient`, so both behave identically.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Iterator, Literal, Mapping, Sequence, TypeVar

import numpy as np

from . import _weights_by_hash, errors
from ._late import late
from ._transport import make_transport
from ._wire import nbytes, rebuild

DEFAULT_URL = "http://127.0.0.1:8000"
# bytes of tensor data in a request from which it goes binary: JSON numbers cost ~0.7 ms a call at 3 KB (loops L1)
DEFAULT_BINARY_THRESHOLD = 1024
_DEVICE_NAMES = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "ascend": "ascend", "npu": "ascend", "auto": "auto"}


def canonical_json(d: Any) -> bytes:
    return json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def graph_hash(d: dict) -> str:
    """Content address of a graph's JSON (the service's `graph_id`): the sha256 of its canonical JSON."""
    h = hashlib.sha256()
    for chunk in _canonical_chunks(d):
        h.update(chunk)
    return "sha256:" + h.hexdigest()


# a parameter value's base64 from this many characters is hashed where it lies, not copied into the JSON text
_LONG_B64 = 1 << 16
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _canonical_chunks(d: Any) -> Iterator[bytes]:
    """canonical_json(d) in pieces whose bytes joined are its bytes: the long base64 parameter values are fed to
    the hash one at a time, not written into one JSON text first (ViT-B/16: 460 MB of base64, json.dumps'
    escaping pass and two copies of it all). A value stands in the text as a mark, cut out and replaced by its
    JSON string: its characters between quotes when they are base64's (nothing to escape), else json.dumps'."""
    params = d.get("params") if isinstance(d, dict) else None
    if not isinstance(params, list):
        params = []
    long = {}
    for i, p in enumerate(params):
        v = p.get("value") if isinstance(p, dict) else None
        s = v.get("b64") if isinstance(v, dict) else None
        if type(s) is str and len(s) >= _LONG_B64 and s.isascii():
            long[i] = s
    if not long:
        yield canonical_json(d)
        return
    mark = f"gs-long-b64-{secrets.token_hex(16)}:"
    marked = [dict(p, value=dict(p["value"], b64=f"{mark}{i}")) if i in long else p for i, p in enumerate(params)]
    parts = canonical_json(dict(d, params=marked)).split(f'"{mark}'.encode())
    if len(parts) != len(long) + 1:  # (the mark written elsewhere in the graph: never by chance)
        yield canonical_json(d)
        return
    yield parts[0]
    for part in parts[1:]:
        at, _, rest = part.partition(b'"')
        text = long[int(at)].encode("ascii")  # (one value's copy at a time)
        if text.translate(None, _BASE64_ALPHABET):  # (other characters: JSON may escape some)
            yield json.dumps(long[int(at)]).encode()
        else:
            yield b'"'
            yield text
            yield b'"'
        yield rest


def normalize_device(device: str | None) -> str | None:
    """`CPU`/`GPU`/`Ascend` (MindSpore device_target) or `gpu:1` -> the API's device field."""
    if device is None:
        return None
    hit = _DEVICE_MEMO.get(device) if type(device) is str else None  # asked on every job: memoised
    if hit is None:
        hit = _normalize_device(device)
        if type(device) is str and len(_DEVICE_MEMO) < 64:
            _DEVICE_MEMO[device] = hit
    return hit


_DEVICE_MEMO: dict[str, str] = {}


def _normalize_device(device) -> str:
    name, _, idx = str(device).strip().partition(":")
    key = name.lower()
    if key not in _DEVICE_NAMES:
        raise ValueError(f"unknown device {device!r}; use CPU, GPU, Ascend (optionally ':index') or auto")
    return _DEVICE_NAMES[key] + (f":{int(idx)}" if idx else "")


class GraphRef:
    """A graph as the client sends it: its JSON (if known) and its content hash / id. `binary`: its jobs
    go in the binary layout whatever their size (a trace the SDK runs call after call, gradserve._trace:
    see Program.ref)."""

    __slots__ = ("doc", "_hash", "graph_id", "_dtypes", "binary", "raws")

    def __init__(self, doc: dict | None = None, graph_id: str | None = None, binary: bool = False,
                 raws: dict | None = None):
        self.doc = doc
        # the bytes of doc's base64 parameter values by name (a trace's: _trace.Program.graph_doc, mostly views of
        # the Parameters' own arrays), read where its weights register by hash instead of decoding the base64
        # again; dropped once it registered
        self.raws = raws or None
        self._hash: str | None = None
        self.graph_id = graph_id
        self._dtypes: list | None | bool = False  # (not read yet)
        self.binary = binary

    @property
    def input_dtypes(self) -> list | None:
        """The dtypes the graph declares for its inputs (None: an id alone, or no inputs list)."""
        if self._dtypes is False:
            inputs = self.doc.get("inputs") if self.doc is not None else None
            self._dtypes = [i.get("dtype") for i in inputs] if isinstance(inputs, list) else None
        return self._dtypes  # type: ignore[return-value]

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = graph_hash(self.doc) if self.doc is not None else self.graph_id
        return self._hash or ""


def as_graph_ref(graph: Any, inputs: Sequence | None = None) -> GraphRef:
    if isinstance(graph, GraphRef):
        return graph
    if isinstance(graph, str):
        return GraphRef(None, graph)
    if isinstance(graph, dict):
        return GraphRef(graph)
    to_ref = getattr(graph, "__gradserve_graph__", None)
    if to_ref is not None:
        return to_ref()
    if callable(graph):  # an nn.Cell or a function of Tensors: trace it at these inputs
        if inputs is None:
            raise TypeError("tracing a callable needs its inputs")
        return GraphRef(late.trace_graph(graph, list(inputs)))  # _trace sits above the client: bound late
    raise TypeError(f"graph must be a gradserve.graph/1 dict, a graph id, or a Cell; got {type(graph).__name__}")


def _array(x, dtype: str | None = None) -> np.ndarray:
    if type(x) is np.ndarray:  # (the common case, before hasattr's failed lookup)
        return x
    if hasattr(x, "_host_copy"):
        x = x._host_copy()
    if isinstance(x, np.ndarray):
        return x
    a = np.asarray(x)
    if dtype is not None:
        return a.astype(dtype)
    if a.dtype == np.float64:  # Python floats: MindSpore's default float32
        return a.astype(np.float32)
    return a


def _arrays(xs, dtypes: list | None = None) -> list[np.ndarray]:
    if type(xs) is list and all(type(x) is np.ndarray for x in xs):  # the front end's jobs: arrays already
        return list(xs)
    if xs is None:
        return []
    if isinstance(xs, np.ndarray) or hasattr(xs, "asnumpy") or np.isscalar(xs):
        xs = [xs]
    xs = list(xs)
    return [_array(x, dtypes[i] if dtypes and i < len(dtypes) else None) for i, x in enumerate(xs)]


def _tensor_or_list(x, dtypes=None):
    if isinstance(x, (list, tuple)):
        return _arrays(x, dtypes)
    return _array(x, dtypes[0] if dtypes else None)


@dataclass
class Result:
    """What a job returned. `value` has MindSpore's structure (tuples of arrays).

    Who owns the arrays (one rule, whatever the path): every array a call returns is the caller's own.
    It is writable, no later call reuses or overwrites its memory, and it lives as long as it is referenced;
    the outputs of one call never overlap, but they may share one buffer, which lives while any of them
    does. How each path keeps that rule without a copy per output:
    - shared memory (gradserve._shm): views on the call's output region; the region goes back to the pool
      only when the last view is gone (while VIEW_PAIRS regions are so held, outputs are copied instead);
    - a binary response up to 64 KiB (gradserve._wire.decode_response): views on one private copy of its
      tensor bytes;
    - a larger binary response, or JSON numbers: a fresh array per output."""

    value: Any
    outputs: list[np.ndarray]
    names: list[str | None]
    structure: Any
    graph_id: str | None = None
    device: str | None = None
    timing: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.value)

    def __getitem__(self, i):
        return self.value[i]

    def __len__(self):
        return len(self.value)

    @classmethod
    def from_response(cls, resp: dict) -> "Result":
        outs = resp.get("outputs") or []
        return cls.of([t["array"] for t in outs], [t.get("name") for t in outs], resp.get("structure", NO_STRUCTURE),
                      resp.get("graph_id"), resp.get("device"), resp.get("timing"))

    @classmethod
    def of(cls, arrays: list, names: list, structure: Any, graph_id: Any, device: Any, timing: Any) -> "Result":
        """The Result of an answer's outputs and members (NO_STRUCTURE: the answer has none: one output alone,
        or a tuple of them all). (Also gradserve._lane's, from an answer layout it knows.)"""
        if structure is NO_STRUCTURE:
            structure = 0 if len(arrays) == 1 else list(range(len(arrays)))
        return cls(value=rebuild(structure, arrays), outputs=arrays, names=names, structure=structure,
                   graph_id=graph_id, device=device, timing=timing or {})


NO_STRUCTURE = object()  # (an answer's "structure" may be anything JSON holds, null included)


@dataclass
class RetryPolicy:
    """Which failures are retried and how long to wait.

    Retried: 429 overloaded, 503 device_unavailable, and connection failures (jobs are pure,
    so resending is safe); not timeouts. The wait before retry n (0-based) is
    `Retry-After + U(0, b)` when the service sent Retry-After, else `U(b/2, b)`,
    with b = min(backoff_max, backoff_initial * 2**n). A Retry-After above
    `max_retry_after` is not waited for: the error is raised.
    """

    max_retries: int = 4
    backoff_initial: float = 0.25
    backoff_max: float = 8.0
    max_retry_after: float = 60.0
    retry_on: tuple = (errors.Overloaded, errors.DeviceUnavailable, errors.APIConnectionError)
    no_retry_on: tuple = (errors.APITimeoutError,)

    def delay(self, err: Exception, attempt: int, rng: random.Random) -> float | None:
        if attempt >= self.max_retries or not isinstance(err, self.retry_on) or isinstance(err, self.no_retry_on):
            return None
        if getattr(err, "detail", {}).get("retryable") is False:  # e.g. a device this server does not have
            return None
        b = min(self.backoff_max, self.backoff_initial * (2 ** attempt))
        ra = getattr(err, "retry_after", None)
        if ra is not None:
            if ra > self.max_retry_after:
                return None
            return ra + rng.uniform(0, b)
        return rng.uniform(b / 2, b)


_Call = tuple  # (op, body, binary, path_arg)
_T = TypeVar("_T")
# what a job method takes (typed keyword options; `timeout` is this call's, in seconds, over the client's)
Positions = int | Sequence[int] | None
Timeout = float | None


class _BaseClient:
    def __init__(self, base_url: str | None = None, *, api_key: str | None = None, timeout: Any = 60.0,
                 max_retries: int | None = None, retry: RetryPolicy | None = None, device: str | None = None,
                 binary_threshold: int | None = DEFAULT_BINARY_THRESHOLD, register_graphs: bool = True,
                 transport: str | None = None, http_transport: Any = None, headers: dict | None = None,
                 deadline_ms: int | None = None, seed: int | None = None, shared_memory: bool | None = None,
                 unix_socket: bool | str | None = None):
        # shared_memory: large tensors through shared memory when the server is on this host (None: on for
        # loopback http:// URLs unless GRADSERVE_SHARED_MEMORY=0; False: never; gradserve._shm)
        # unix_socket: requests over the server's Unix socket when it is on this host (None: asked of a
        # loopback http:// server unless GRADSERVE_UNIX_SOCKET=0; False: never; a path: that socket, TCP
        # when it fails; gradserve._transport._local; AsyncClient too). A http+unix://<quoted path> URL: that
        # socket only (Client).
        self.base_url = (base_url or os.environ.get("GRADSERVE_SERVER") or DEFAULT_URL).rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("GRADSERVE_API_KEY") or None
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        if max_retries is not None:
            self.retry.max_retries = max_retries
        self.device = normalize_device(device)
        self.binary_threshold = binary_threshold
        self.register_graphs = register_graphs
        # a graph whose parameter values reach this many bytes registers its weights by hash (_weights_by_hash)
        self.weights_by_hash = int(os.environ.get("GRADSERVE_WEIGHTS_BY_HASH_BYTES") or _weights_by_hash.MIN_BYTES)
        self.deadline_ms = deadline_ms
        self._rng = random.Random(seed)
        self._known: dict[str, str] = {}  # content hash -> graph_id the service gave
        self._lanes: dict = {}  # a traced program's jobs: their request heads (gradserve._lane)
        self._lock = threading.Lock()
        self._transport: Any = make_transport(self.base_url, api_key=self.api_key, timeout=timeout,
                                         http_transport=http_transport, headers=headers,
                                         asynchronous=self._asynchronous, transport=transport,
                                         shared_memory=shared_memory, unix_socket=unix_socket)

    _asynchronous = False

    # -- request bodies ------------------------------------------------------------------------
    def _common(self, ref: GraphRef, inputs, params, device, deadline_ms) -> dict:
        body: dict[str, Any] = {"inputs": _arrays(inputs, ref.input_dtypes)}
        if params:
            body["params"] = {k: v if type(v) is np.ndarray else _array(v) for k, v in params.items()}
        dev = normalize_device(device) or self.device
        if dev:
            body["device"] = dev
        dl = deadline_ms if deadline_ms is not None else self.deadline_ms
        if dl is not None:
            body["deadline_ms"] = int(dl)
        return body

    def _binary(self, ref: GraphRef, body: dict) -> bool:
        """Whether the job's tensors go binary: large ones, or all of a graph that asks for it (GraphRef.binary);
        never with binary_threshold None (JSON always)."""
        return self.binary_threshold is not None and (ref.binary or nbytes(body) >= self.binary_threshold)

    # -- the job protocol (shared by sync and async) ------------------------------------------------
    def _job(self, op: str, ref: GraphRef, fields: dict, binary: bool) -> Generator[_Call, Any, Result]:
        """`binary`: the request's tensors go as binary (the size of `fields`' arrays: `_fields`)."""
        gid = ref.graph_id if ref.doc is None else self._known.get(ref.hash)
        if gid is None and self.register_graphs:
            gid = yield from self._register(ref)
        inline, again = gid is None, True
        while True:
            body = {"graph": ref.doc} if inline else {"graph_id": gid}
            body.update(fields)
            try:
                resp = yield (op, body, binary, None)
            except errors.GraphNotFound:
                if inline or ref.doc is None:
                    raise
                if again and self._by_hash(ref.doc):  # weights by hash: registered here (what it lacks sent), not inline
                    gid, again = (yield from self._register(ref)), False
                    continue
                inline = True  # this replica has not seen the graph: send it along (replicas share nothing)
                continue
            return self._answered(ref, resp)

    def _answered(self, ref: GraphRef, resp: dict) -> Result:
        """A job's Result from its decoded answer (the graph id it names is remembered for the graph)."""
        if resp.get("graph_id") and ref.doc is not None and ref.hash not in self._known:
            with self._lock:
                self._known.setdefault(ref.hash, resp["graph_id"])
        return Result.from_response(resp)

    def _register(self, ref: GraphRef) -> Generator[_Call, Any, str]:
        doc = ref.doc
        if doc is not None and self._by_hash(doc):
            resp = yield from _weights_by_hash.register(doc, ref.raws)
            ref.raws = None  # (a registration again, after the server dropped the graph, decodes the base64)
        else:
            resp = yield ("register_graph", {"graph": doc}, False, None)
        gid = resp.get("graph_id") or ref.hash
        with self._lock:
            self._known[ref.hash] = gid
        return gid

    def _by_hash(self, doc: dict | None) -> bool:
        """Whether `doc`'s parameter values are large enough to register by hash (asked at registration only)."""
        return doc is not None and _weights_by_hash.value_bytes(doc) >= self.weights_by_hash

    def _simple(self, op: str, path_arg: str | None = None) -> Generator[_Call, Any, dict]:
        resp = yield (op, None, False, path_arg)
        return resp

    def _fields(self, ref, inputs, params, device, deadline_ms, binary_output, **extra) -> tuple[dict, bool]:
        """(the job's fields, whether its tensors go binary): the arrays' size decides both the request's
        encoding and, unless the caller chose, the response's."""
        body = self._common(ref, inputs, params, device, deadline_ms)
        for k, v in extra.items():
            if v is not None:
                body[k] = v
        big = self._binary(ref, body)
        if binary_output if binary_output is not None else big:
            body["binary_output"] = True
        return body, big

    # one builder per endpoint -------------------------------------------------------------------
    def _b_eval(self, graph, inputs, *, params=None, device=None, deadline_ms=None, binary_output=None):
        ref = as_graph_ref(graph, inputs)
        return self._job("eval", ref, *self._fields(ref, inputs, params, device, deadline_ms, binary_output))

    def _b_grad(self, graph, inputs, *, grad_position: Positions = 0, weights=None, get_all=None, get_by_list=None,
                sens=None, order=1, value_and_grad=False, params=None, device=None, deadline_ms=None,
                binary_output=None):
        ref = as_graph_ref(graph, inputs)
        extra: dict[str, Any] = {}
        if get_all or get_by_list:
            extra["get_all"] = bool(get_all)
            extra["get_by_list"] = bool(get_by_list)
        else:
            extra["grad_position"] = list(grad_position) if isinstance(grad_position, (tuple, list)) else grad_position
        if weights is not None:
            extra["weights"] = [getattr(w, "name", w) for w in weights]
        if sens is not None:
            extra["sens"] = _tensor_or_list(sens)
        if order != 1:
            extra["order"] = int(order)
        if value_and_grad:
            extra["value_and_grad"] = True
        fields, big = self._fields(ref, inputs, params, device, deadline_ms, binary_output, **extra)
        if "grad_position" in extra and extra["grad_position"] is None:
            fields["grad_position"] = None
        return self._job("grad", ref, fields, big)

    def _b_jvp(self, graph, inputs, tangents, *, positions: Positions = None, params=None, device=None,
               deadline_ms=None, binary_output=None):
        ref = as_graph_ref(graph, inputs)
        return self._job("jvp", ref, *self._fields(ref, inputs, params, device, deadline_ms, binary_output,
                                                  tangents=_arrays(tangents), positions=_pos(positions)))

    def _b_vjp(self, graph, inputs, v, *, params=None, device=None, deadline_ms=None, binary_output=None):
        ref = as_graph_ref(graph, inputs)
        return self._job("vjp", ref, *self._fields(ref, inputs, params, device, deadline_ms, binary_output,
                                                  v=_tensor_or_list(v)))

    def _b_jacobian(self, graph, inputs, *, positions: Positions = 0, mode="rev", weights=None, params=None,
                    device=None, deadline_ms=None, binary_output=None):
        if mode not in ("rev", "fwd"):
            raise ValueError("mode must be 'rev' or 'fwd'")
        ref = as_graph_ref(graph, inputs)
        return self._job("jacobian", ref, *self._fields(ref, inputs, params, device, deadline_ms, binary_output,
                                                       positions=_pos(positions), mode=mode, weights=_names(weights)))

    def _b_hessian(self, graph, inputs, *, positions: Positions = 0, weights=None, params=None, device=None,
                   deadline_ms=None, binary_output=None):
        ref = as_graph_ref(graph, inputs)
        return self._job("hessian", ref, *self._fields(ref, inputs, params, device, deadline_ms, binary_output,
                                                      positions=_pos(positions), weights=_names(weights)))

    def _b_hvp(self, graph, inputs, v, *, positions: Positions = 0, weights=None, params=None, device=None,
               deadline_ms=None, binary_output=None):
        ref = as_graph_ref(graph, inputs)
        return self._job("hvp", ref, *self._fields(ref, inputs, params, device, deadline_ms, binary_output,
                                                  v=_arrays(v), positions=_pos(positions), weights=_names(weights)))

    def _b_register(self, graph):
        ref = as_graph_ref(graph)
        if ref.doc is None:
            raise TypeError("register_graph needs the graph itself, not an id")
        return self._register(ref)


def _names(weights):
    """Parameters by name (or Parameter objects) for jacobian / hessian / hvp; None when not given."""
    return None if weights is None else [getattr(w, "name", w) for w in weights]


def _pos(p):
    if p is None:
        return None
    return list(p) if isinstance(p, (list, tuple)) else int(p)


class Client(_BaseClient):
    """Synchronous client.

        client = gradserve.Client("http://127.0.0.1:8000", api_key=...)
        dx = client.grad(graph, [x, y]).value
    """

    def _call(self, op, body, binary, path_arg, timeout: Any = None, retries: bool = True,
              failed: errors.GradserveError | None = None):
        """`failed`: what the first attempt already raised (gradserve._lane sent it): retried from there."""
        attempt = 0
        while True:
            try:
                if failed is not None:
                    e, failed = failed, None
                    raise e
                return self._transport.call(op, body, binary=binary, path_arg=path_arg, timeout=timeout)
            except errors.GradserveError as e:
                delay = self.retry.delay(e, attempt, self._rng) if retries else None
                if delay is None:
                    raise
                attempt += 1
                self._sleep(delay)

    _sleep = staticmethod(time.sleep)

    def _drive(self, gen: Generator[_Call, Any, _T], timeout: Any = None, retries: bool = True,
               failed: errors.GradserveError | None = None) -> _T:
        """`failed`: what the first step's first attempt raised (gradserve._lane): it goes on from there."""
        try:
            step = next(gen)
            while True:
                try:
                    f, failed = failed, None
                    result = self._call(step[0], step[1], step[2], step[3], timeout, retries, f)
                except errors.GradserveError as e:
                    step = gen.throw(e)
                else:
                    step = gen.send(result)
        except StopIteration as stop:
            return stop.value

    # -- API -----------------------------------------------------------------------------------
    def eval(self, graph: Any, inputs: Any = (), *, params: Mapping[str, Any] | None = None,
             device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
             timeout: Timeout = None) -> Result:
        """POST /v1/eval: the graph's outputs (its own grad/jvp nodes evaluated)."""
        job = self._b_eval(graph, inputs, params=params, device=device, deadline_ms=deadline_ms,
                           binary_output=binary_output)
        return self._drive(job, timeout)

    def grad(self, graph: Any, inputs: Any = (), *, grad_position: Positions = 0,
             weights: Sequence[Any] | None = None, get_all: bool | None = None, get_by_list: bool | None = None,
             sens: Any = None, order: int = 1, value_and_grad: bool = False, params: Mapping[str, Any] | None = None,
             device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
             timeout: Timeout = None) -> Result:
        """POST /v1/grad. Functional form (grad_position, weights) or GradOperation form (get_all, get_by_list)."""
        job = self._b_grad(graph, inputs, grad_position=grad_position, weights=weights, get_all=get_all,
                           get_by_list=get_by_list, sens=sens, order=order, value_and_grad=value_and_grad,
                           params=params, device=device, deadline_ms=deadline_ms, binary_output=binary_output)
        return self._drive(job, timeout)

    def jvp(self, graph: Any, inputs: Any, tangents: Any, *, positions: Positions = None,
            params: Mapping[str, Any] | None = None, device: str | None = None, deadline_ms: int | None = None,
            binary_output: bool | None = None, timeout: Timeout = None) -> Result:
        """POST /v1/jvp -> (out, jvp_out)."""
        job = self._b_jvp(graph, inputs, tangents, positions=positions, params=params, device=device,
                          deadline_ms=deadline_ms, binary_output=binary_output)
        return self._drive(job, timeout)

    def vjp(self, graph: Any, inputs: Any, v: Any, *, params: Mapping[str, Any] | None = None,
            device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
            timeout: Timeout = None) -> Result:
        """POST /v1/vjp -> (out, grads) (the seed's form)."""
        job = self._b_vjp(graph, inputs, v, params=params, device=device, deadline_ms=deadline_ms,
                          binary_output=binary_output)
        return self._drive(job, timeout)

    def jacobian(self, graph: Any, inputs: Any, *, positions: Positions = 0, mode: Literal["rev", "fwd"] = "rev",
                 weights: Sequence[Any] | None = None, params: Mapping[str, Any] | None = None,
                 device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
                 timeout: Timeout = None) -> Result:
        """POST /v1/jacobian: blocks of shape out.shape + in.shape."""
        job = self._b_jacobian(graph, inputs, positions=positions, mode=mode, weights=weights, params=params,
                               device=device, deadline_ms=deadline_ms, binary_output=binary_output)
        return self._drive(job, timeout)

    def hessian(self, graph: Any, inputs: Any, *, positions: Positions = 0, weights: Sequence[Any] | None = None,
                params: Mapping[str, Any] | None = None, device: str | None = None, deadline_ms: int | None = None,
                binary_output: bool | None = None, timeout: Timeout = None) -> Result:
        """POST /v1/hessian: blocks of shape in.shape + in.shape of a scalar-output graph."""
        job = self._b_hessian(graph, inputs, positions=positions, weights=weights, params=params, device=device,
                              deadline_ms=deadline_ms, binary_output=binary_output)
        return self._drive(job, timeout)

    def hvp(self, graph: Any, inputs: Any, v: Any, *, positions: Positions = 0, weights: Sequence[Any] | None = None,
            params: Mapping[str, Any] | None = None, device: str | None = None, deadline_ms: int | None = None,
            binary_output: bool | None = None, timeout: Timeout = None) -> Result:
        """POST /v1/hvp: Hessian-vector product."""
        job = self._b_hvp(graph, inputs, v, positions=positions, weights=weights, params=params, device=device,
                          deadline_ms=deadline_ms, binary_output=binary_output)
        return self._drive(job, timeout)

    def register_graph(self, graph) -> str:
        """POST /v1/graphs -> graph_id (cached: later jobs send only the id)."""
        return self._drive(self._b_register(graph))

    def get_graph(self, graph_id: str) -> dict:
        return self._drive(self._simple("get_graph", graph_id))

    def devices(self, *, retries: bool = True, timeout: Timeout = None) -> dict:
        """GET /v1/devices -> {"pools": [...]}. retries=False asks once: a failure (server not up, 503)
        raises at once instead of after the retry policy's backoff."""
        return self._drive(self._simple("devices"), timeout, retries)

    def health(self, *, live: bool = False) -> bool:
        """True when the service is ready (or only live, with live=True); False otherwise."""
        try:
            self._transport.call("health_live" if live else "health_ready", None)
            return True
        except errors.GradserveError:
            return False

    def close(self) -> None:
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class AsyncClient(_BaseClient):
    """Asynchronous client (asyncio or trio via anyio); the same methods as `Client`, awaited."""

    _asynchronous = True

    @staticmethod
    async def _sleep(delay: float) -> None:
        import anyio

        await anyio.sleep(delay)

    async def _call(self, op, body, binary, path_arg, timeout: Any = None, retries: bool = True):
        attempt = 0
        while True:
            try:
                return await self._transport.call(op, body, binary=binary, path_arg=path_arg, timeout=timeout)
            except errors.GradserveError as e:
                delay = self.retry.delay(e, attempt, self._rng) if retries else None
                if delay is None:
                    raise
                attempt += 1
                await self._sleep(delay)

    async def _drive(self, gen: Generator[_Call, Any, _T], timeout: Any = None, retries: bool = True) -> _T:
        try:
            step = next(gen)
            while True:
                try:
                    result = await self._call(step[0], step[1], step[2], step[3], timeout, retries)
                except errors.GradserveError as e:
                    step = gen.throw(e)
                else:
                    step = gen.send(result)
        except StopIteration as stop:
            return stop.value

    async def eval(self, graph: Any, inputs: Any = (), *, params: Mapping[str, Any] | None = None,
                   device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
                   timeout: Timeout = None) -> Result:
        """POST /v1/eval: the graph's outputs (its own grad/jvp nodes evaluated)."""
        job = self._b_eval(graph, inputs, params=params, device=device, deadline_ms=deadline_ms,
                           binary_output=binary_output)
        return await self._drive(job, timeout)

    async def grad(self, graph: Any, inputs: Any = (), *, grad_position: Positions = 0,
                   weights: Sequence[Any] | None = None, get_all: bool | None = None, get_by_list: bool | None = None,
                   sens: Any = None, order: int = 1, value_and_grad: bool = False,
                   params: Mapping[str, Any] | None = None, device: str | None = None, deadline_ms: int | None = None,
                   binary_output: bool | None = None, timeout: Timeout = None) -> Result:
        """POST /v1/grad. Functional form (grad_position, weights) or GradOperation form (get_all, get_by_list)."""
        job = self._b_grad(graph, inputs, grad_position=grad_position, weights=weights, get_all=get_all,
                           get_by_list=get_by_list, sens=sens, order=order, value_and_grad=value_and_grad,
                           params=params, device=device, deadline_ms=deadline_ms, binary_output=binary_output)
        return await self._drive(job, timeout)

    async def jvp(self, graph: Any, inputs: Any, tangents: Any, *, positions: Positions = None,
                  params: Mapping[str, Any] | None = None, device: str | None = None, deadline_ms: int | None = None,
                  binary_output: bool | None = None, timeout: Timeout = None) -> Result:
        """POST /v1/jvp -> (out, jvp_out)."""
        job = self._b_jvp(graph, inputs, tangents, positions=positions, params=params, device=device,
                          deadline_ms=deadline_ms, binary_output=binary_output)
        return await self._drive(job, timeout)

    async def vjp(self, graph: Any, inputs: Any, v: Any, *, params: Mapping[str, Any] | None = None,
                  device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
                  timeout: Timeout = None) -> Result:
        """POST /v1/vjp -> (out, grads) (the seed's form)."""
        job = self._b_vjp(graph, inputs, v, params=params, device=device, deadline_ms=deadline_ms,
                          binary_output=binary_output)
        return await self._drive(job, timeout)

    async def jacobian(self, graph: Any, inputs: Any, *, positions: Positions = 0,
                       mode: Literal["rev", "fwd"] = "rev", weights: Sequence[Any] | None = None,
                       params: Mapping[str, Any] | None = None, device: str | None = None,
                       deadline_ms: int | None = None, binary_output: bool | None = None,
                       timeout: Timeout = None) -> Result:
        """POST /v1/jacobian: blocks of shape out.shape + in.shape."""
        job = self._b_jacobian(graph, inputs, positions=positions, mode=mode, weights=weights, params=params,
                               device=device, deadline_ms=deadline_ms, binary_output=binary_output)
        return await self._drive(job, timeout)

    async def hessian(self, graph: Any, inputs: Any, *, positions: Positions = 0,
                      weights: Sequence[Any] | None = None, params: Mapping[str, Any] | None = None,
                      device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
                      timeout: Timeout = None) -> Result:
        """POST /v1/hessian: blocks of shape in.shape + in.shape of a scalar-output graph."""
        job = self._b_hessian(graph, inputs, positions=positions, weights=weights, params=params, device=device,
                              deadline_ms=deadline_ms, binary_output=binary_output)
        return await self._drive(job, timeout)

    async def hvp(self, graph: Any, inputs: Any, v: Any, *, positions: Positions = 0,
                  weights: Sequence[Any] | None = None, params: Mapping[str, Any] | None = None,
                  device: str | None = None, deadline_ms: int | None = None, binary_output: bool | None = None,
                  timeout: Timeout = None) -> Result:
        """POST /v1/hvp: Hessian-vector product."""
        job = self._b_hvp(graph, inputs, v, positions=positions, weights=weights, params=params, device=device,
                          deadline_ms=deadline_ms, binary_output=binary_output)
        return await self._drive(job, timeout)

    async def register_graph(self, graph) -> str:
        return await self._drive(self._b_register(graph))

    async def get_graph(self, graph_id: str) -> dict:
        return await self._drive(self._simple("get_graph", graph_id))

    async def devices(self, *, retries: bool = True, timeout: Timeout = None) -> dict:
        return await self._drive(self._simple("devices"), timeout, retries)

    async def health(self, *, live: bool = False) -> bool:
        try:
            await self._transport.call("health_live" if live else "health_ready", None)
            return True
        except errors.GradserveError:
            return False

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()
