"""Large JSON bodies parsed in decoder processes, so the server's interpreter lock is never held for a parse.

orjson holds the GIL for a whole parse (a 40 MiB body of numbers: ~1-2 s; the health probes of a server whose
one client posted such bodies one after the other, under its parse share, waited up to 4 s, a third of them
over 100 ms). Parsing in a thread does not help; another process does. `codec.loads` hands a body above
OFFLOAD_MIN (1 MiB: smaller bodies take no extra hop) to `Decoders.loads`, which sends its bytes to an idle
decoder process (spawned on first use, up to `n` of them) and waits, the GIL released, for its answer:

- the value and whether it is strict, as `codec.loads` gives them, or the ServiceError it raised;
- each request tensor envelope's `data` list (the tensors of /v1 jobs and OIP inferences: `TENSOR_FIELDS`)
  read into an array there, by the same `codec.strict_array`, as a `codec.Decoded` that `codec.decode_tensor`
  takes instead of the list. A list of numbers comes back as Python objects at ~0.3 us a value (pickle);
  an array at memcpy speed; so are UM-Bridge's vectors of numbers (`codec.loads(..., vectors=True)`). Other
  large lists (a graph's constants) still come back as objects: faster than the parse (~40%), but not free.

What a body costs the server otherwise stays as it was: the body budget holds its parse's cost while it runs
(the decoder's memory, now), its client's parse share is charged the decoder's CPU time (`cpu_time`). A
decoder that dies (killed, out of memory) fails that request with 503 and is replaced on the next; the
pickle read back is from a process of ours, of values a JSON parse made (data, never names to import).
"""
from __future__ import annotations

import io
import multiprocessing
import pickle
import threading
import time
from typing import Any

from . import gc_pause
from .errors import Internal, ServiceError, Unavailable

OFFLOAD_MIN = 1 << 20  # bytes: the body_budget.FREE / jobs.BIG line (small bodies are parsed in place)
ARRAY_MIN = 64  # flat data lists shorter than this come back as lists (an array's pickle costs more)
TENSOR_FIELDS = ("inputs", "params", "sens", "tangents", "v")  # where a body's tensor envelopes are
_ctx = multiprocessing.get_context("spawn")


def transcode(raw, what: str = "the body", path: str | None = None, vectors: bool = False,
              limits=None) -> tuple[Any, bool]:
    """codec.loads(raw, what, path), each request tensor's large `data` list read into a codec.Decoded (a
    request body's: `what` "the body"); with `vectors`, UM-Bridge's large vectors of numbers too."""
    from . import codec

    value, strict = codec.loads(raw, what, path, offload=False, limits=limits)
    if vectors and type(value) is dict:
        _read_vectors(codec, value)
    if type(value) is dict and what == "the body":
        for key in TENSOR_FIELDS:
            field = value.get(key)
            for t in (field.values() if key == "params" and type(field) is dict else
                      field if type(field) is list else (field,)):
                _read_data(codec, t)
    return value, strict


def _read_data(codec, t) -> None:
    if not codec.envelope_ok(t) or "b64" in t or t.get("parameters"):
        return
    data, dt = t.get("data"), codec.V2_TO_NP.get(t["datatype"])
    if type(data) is not list or dt is None or (len(data) < ARRAY_MIN and not (data and type(data[0]) is list)):
        return
    t["data"] = codec.Decoded.of(data, dt, t["datatype"])


def _read_vectors(codec, body: dict) -> None:
    """UM-Bridge's vectors (a list of them in "input"; "sens", "vec"), those made of numbers only, as
    Decoded float64 arrays (service.umbridge._vector takes either)."""
    inputs = body.get("input")
    places = [(inputs, i) for i in range(len(inputs))] if type(inputs) is list else []
    for key in ("sens", "vec"):
        places.append((body, key))
    for holder, key in places:
        v = holder.get(key) if type(holder) is dict else holder[key]
        if type(v) is list and len(v) >= ARRAY_MIN and (a := codec.number_vector(v)) is not None:
            holder[key] = codec.Decoded(a, None, 1)


def _serve(conn) -> None:
    """A decoder process: ((what, path, vectors), body) in, pickled ((value, strict) or ServiceError, CPU seconds) out,
    until the pipe closes."""
    while True:
        try:
            what, path, vectors, limits = conn.recv()
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        t0 = time.process_time()
        with gc_pause.paused():
            try:
                out: Any = transcode(raw, what, path, vectors, limits)
            except ServiceError as e:
                out = e
            except Exception as e:  # noqa: BLE001 - as the server answers any other error: 500, the decoder lives on
                out = Internal(f"decoding {what} failed: {type(e).__name__}")
            del raw
            answer = _dumps((out, time.process_time() - t0))
            del out
        conn.send_bytes(answer)
        del answer


def _dumps(obj: Any) -> bytes:
    """pickle.dumps without its memo (a parsed JSON value has no cycles, and its shared key strings may be
    sent twice): 990 K `[]` pickled in 36-69 ms instead of 150-200 and unpickled in about half the time."""
    f = io.BytesIO()
    p = pickle.Pickler(f, pickle.HIGHEST_PROTOCOL)
    p.fast = True
    p.dump(obj)
    return f.getvalue()


_spent = threading.local()  # CPU seconds a thread's decodes took in decoder processes


def cpu_time() -> float:
    """This thread's CPU time, plus its decodes' in decoder processes (a parse share's clock)."""
    return time.thread_time() + getattr(_spent, "s", 0.0)


class _Decoder:
    def __init__(self):
        from .pools import _env_lock

        self.conn, child = _ctx.Pipe(duplex=True)
        self.proc = _ctx.Process(target=_serve, args=(child,), name="gradserve-json", daemon=True)
        with _env_lock:  # (as a worker's spawn: the environment is the parent's, not a worker's being set)
            self.proc.start()
        child.close()

    def loads(self, raw, what: str, path: str | None, vectors: bool, limits) -> Any:
        self.conn.send((what, path, vectors, limits))
        self.conn.send_bytes(raw)
        answer = self.conn.recv_bytes()
        with gc_pause.paused():  # (a million containers unpickled with the collector on: ~0.8 s of the GIL)
            out, cpu = pickle.loads(answer)
        del answer
        _spent.s = getattr(_spent, "s", 0.0) + cpu
        return out

    def close(self) -> None:
        self.conn.close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)


class Decoders:
    """Up to `n` decoder processes, each decoding one body at a time (callers past n wait, in their thread)."""

    def __init__(self, n: int = 2):
        self._idle: list[_Decoder] = []
        self._slots = threading.BoundedSemaphore(n)
        self._lock = threading.Lock()
        self.pids: list[int] = []  # (live decoders' pids: tests and benchmarks read their memory)

    def loads(self, raw, what: str = "the body", path: str | None = None,
              vectors: bool = False, limits=None) -> tuple[Any, bool]:
        with self._slots:
            with self._lock:
                d = self._idle.pop() if self._idle else None
            if d is not None and not d.proc.is_alive():  # (ended while idle: replaced before it is asked)
                self._drop(d)
                d = None
            if d is None:
                d = _Decoder()
                self.pids.append(d.proc.pid)
            try:
                out = d.loads(raw, what, path, vectors, limits)
            except (EOFError, OSError, pickle.UnpicklingError):
                self._drop(d)
                raise Unavailable("the server's JSON decoder process ended while decoding this body; retry it, "
                                  "or send tensors in the binary extension") from None
            except BaseException:
                self._drop(d)
                raise
            with self._lock:
                self._idle.append(d)
        if isinstance(out, ServiceError):
            try:  # (the local dropped as it propagates: else the error, its traceback's frames and this one make a
                raise out  # cycle, and the request's body in those frames lived until a collection: an inflated
            finally:  # 200 MB one held RSS and the body budget, every later large body 429, for good once frozen)
                out = None
        return out

    def _drop(self, d: _Decoder) -> None:
        if d.proc.pid in self.pids:
            self.pids.remove(d.proc.pid)
        d.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for d in idle:
            self._drop(d)
