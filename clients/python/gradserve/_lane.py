"""A traced program's job, call after call (gradserve._trace.run_program), with less of the SDK's work per call.

One program's jobs differ call by call only in their tensors' bytes: the same graph id, device and flags, the
same shapes and dtypes, so the same request head; and their answers share one layout (gradserve._wire learns
it). The general path (Client.eval: the body built and walked twice, once for shared memory and once to
encode it; a generator of transport calls driven under the retry policy; the answer decoded into a dict, then
into a Result) redoes all of that on every call: ~190k of the SDK's ~200k instructions per L3 call
(benchmarks/LOOPS_REPORT.md). A lane keeps the request head the general path encodes for the job, per graph
id, device, deadline and input/parameter signature; each call joins that head and the tensors' bytes, sends
them through the client's own transport (`HTTPTransport.send`) and reads an answer of a known layout straight
into the Result. The bytes sent and the Result are the general path's. A traced program (the trace cache's
hit for the call's signature) keeps its lane pinned on itself with what the lane was made for (`eval_program`):
a repeat of its last call is checked by identity and equality against the pin instead of deriving and hashing
the lane's key again; any change (client, transport, graph ref and so the parameter set, device, deadline,
JSON jobs, the graph's id, an array's shape or dtype) goes the key's way and pins anew. A pinned program whose
outputs are a tuple of Tensors and flat tuples of them (value_and_grad's value and gradients) also keeps its
answer's layout: an answer of that layout (checked in place,
`_wire.answer_timing`) becomes those Tensors directly (`_tensors`), without the Result and `_trace._conform`.
The request's headers are a `_http1.Headers` template: the lean client writes their HTTP head from two pieces
built once, the request id between them.

What a lane does not cover goes the general path before anything is sent: another client or transport class
(async, gRPC, a caller's own), jobs that shared memory would carry, a graph not registered yet, inputs that are
not plain arrays, JSON jobs (binary_threshold None, binary_output False). An answer it does not read itself
goes to the general path's code as that path's own first attempt, with no resend: a 2xx is decoded by the
transport's `_handle` as there; an error, or a send that failed, is what the first attempt raised: retried
under the policy, or the graph sent inline on graph_not_found, as there (Client._drive's `failed`).
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from . import errors
from ._eager import _tensor
from ._client import NO_STRUCTURE, Client, Result, as_graph_ref, normalize_device
from ._transport import REQUEST_ID, new_request_id
from ._transport._http1 import Headers
from ._transport.http import ROUTES, HTTPTransport, _handle
from ._tensor import dtype_name
from ._wire import _LITTLE, HEADER_LENGTH, NOT_OF, _fresh, _raw, answer_timing, encode_request, known_answer

_HL = HEADER_LENGTH.lower()  # (answer headers are read by lowercase name)
_METHOD, _PATH = ROUTES["eval"]
_LANES_MAX = 256  # heads kept per client (many programs or shapes: start again rather than grow)


def eval_traced(client: Any, graph: Any, arrays: list, params: dict | None, device: str | None,
                binary_output: bool | None) -> Result:
    """`client.eval(graph, arrays, params=, device=, binary_output=)`, through a lane where one fits."""
    return _eval(client, graph, lambda: as_graph_ref(graph, arrays), arrays, params, device, binary_output)[0]


def _eval(client: Any, graph: Any, ref_of, arrays: list, params: dict | None, device: str | None,
          binary_output: bool | None) -> tuple[Result, tuple | None, Any]:
    """eval_traced's way, with the graph's ref made by `ref_of()` where a lane may fit: (the result, the lane it
    went through or None, the ref or None where no lane could fit)."""
    if type(client) is not Client or type(client._transport) is not HTTPTransport:
        return client.eval(graph, arrays, params=params, device=device, binary_output=binary_output), None, None
    ref = ref_of()
    lane = _lane(client, ref, arrays, params, device, binary_output)
    if lane is None:
        return client.eval(graph, arrays, params=params, device=device, binary_output=binary_output), None, ref
    return cast(Result, _run(client, lane, graph, ref, arrays, params, device, binary_output)), lane, ref


class _Pin:
    """A program's lane and what it was made for (`eval_program`): checked by identity and equality, not
    derived again. The program is the trace cache's hit for the call's signature; the arrays' shapes and
    dtypes are checked anyway (a Tensor's array may have been rebound), cheaply, against the pinned ones."""

    __slots__ = ("client", "transport", "ref", "device", "client_device", "deadline", "gid", "sig", "largest", "lane",
                 "tensors", "direct")

    def __init__(self, client: Client, ref, device, arrays: list, params: dict | None, lane: tuple):
        self.client, self.transport, self.ref, self.device = client, client._transport, ref, device
        self.client_device, self.deadline, self.gid = client.device, client.deadline_ms, client._known[ref.hash]
        self.sig = [(a.shape, a.dtype) for a in arrays] + [(a.shape, a.dtype) for a in (params or {}).values()]
        self.largest = max([a.nbytes for a in arrays] + [a.nbytes for a in (params or {}).values()], default=0)
        self.lane = lane
        self.tensors: tuple | None = None  # (an answer layout, how its values become Tensors: _plan)
        self.direct = _direct(self.sig)


def eval_program(client: Any, prog: Any, arrays: list, params: dict | None, device: str | None,
                 binary_output: bool | None, shapes: list | None = None) -> Result | tuple:
    """eval_traced for a traced program (`_trace.run_program`): its lane pinned on the program, so that a call
    like the last one (same client, transport, graph ref (its parameter set), device, deadline, registered
    graph id, arrays' shapes and dtypes) reuses it without the lane's key derived and looked up again. A
    program evicted from the trace cache takes its pin with it; anything else goes `eval_traced`'s way.
    shapes: the program's outputs are tuples of Tensors (`_trace._conform`'s (shape, size) each): a pinned
    call whose answer has the pin's layout, one of `_plan`'s, then gives those Tensors (a tuple), not a Result."""
    pin = prog._lane_pin
    if pin is not None and pin.client is client:
        ref = prog.ref()
        if (pin.ref is ref and client._transport is pin.transport and device == pin.device
                and client.device == pin.client_device and client.deadline_ms == pin.deadline
                and client.binary_threshold is not None and client._known.get(ref.hash) == pin.gid
                and _fits(arrays, params, pin.sig)):
            shm = pin.transport._shm  # (the arrays' sizes are the pin's: _fits)
            if shm is None or shm.small_upto(pin.largest):
                return _run(client, pin.lane, prog, ref, arrays, params, device, binary_output, pin, shapes)
    result, lane, ref = _eval(client, prog, prog.ref, arrays, params, device, binary_output)
    if ref is not None:  # (a lane could fit: pinned, or the pin dropped where none did)
        prog._lane_pin = None if lane is None else _Pin(client, ref, device, arrays, params, lane)
    return result


def _fits(arrays: list, params: dict | None, sig: list) -> bool:
    """Whether the job's arrays (inputs, then parameter values) are plain arrays of the pinned shapes and
    dtypes (a dtype by identity: another object of an equal dtype only misses the pin)."""
    n = len(arrays)
    if n + (len(params) if params else 0) != len(sig):
        return False
    for a, (shape, dtype) in zip(arrays, sig):
        if type(a) is not np.ndarray or a.dtype is not dtype or a.shape != shape:
            return False
    if params:
        for a, (shape, dtype) in zip(params.values(), sig[n:]):
            if type(a) is not np.ndarray or a.dtype is not dtype or a.shape != shape:
                return False
    return True


def _lane(client: Client, ref, arrays: list, params: dict | None, device, binary_output) -> tuple | None:
    """The client's lane for this job (learnt the first time), or None where none fits."""
    key = _key(client, ref, arrays, params, device, binary_output)
    if key is None:
        return None
    lane = client._lanes.get(key)
    if lane is None:
        lane = _learn(client, ref, key[0], arrays, params, device, binary_output)
        if len(client._lanes) >= _LANES_MAX:
            client._lanes.clear()
        client._lanes[key] = lane
    return lane


def _run(client: Client, lane: tuple, graph: Any, ref, arrays: list, params: dict | None, device,
         binary_output, pin: "_Pin | None" = None, shapes: list | None = None) -> Result | tuple:
    """The job sent with the lane's head; its answer read straight into the Result where its layout is known,
    or (`shapes` given: a pinned program's flat outputs) into the Tensors `_trace._conform` makes of it."""
    tr = client._transport
    rid = tr._rid or new_request_id()
    headers = dict(lane[1]) if tr._rid is not None else lane[1].of(REQUEST_ID, rid)
    try:
        status, rheaders, content = tr.send(_METHOD, _PATH, _body(lane[0], arrays, params, pin), headers, None, rid)
        if status == 200 and content and _LITTLE:  # (layouts are learnt on little-endian hosts)
            hl = rheaders.get(_HL)
            if hl is not None:
                got = _known(content, int(hl), pin if shapes is not None else None, shapes)
                if got is not None:
                    return got
        resp = _handle(status, rheaders, content, rid)
    except errors.GradserveError as e:  # the general path's first attempt raised it: on from there
        job = client._b_eval(graph, arrays, params=params, device=device, binary_output=binary_output)
        return client._drive(job, None, True, e)
    return client._answered(ref, resp)


def _direct(sig: list) -> bool:
    """Whether every (shape, dtype) of a pin's arrays has a dtype whose memory is its wire bytes (NumPy's own
    numbers in a little-endian host's order; not bfloat16, which _raw sends as uint16): then `_body` joins the
    arrays themselves, not _raw's copies of them."""
    return _LITTLE and all(dt.isnative and dt.kind in "biufc" for _, dt in sig)


def _body(head: bytes, arrays: list, params: dict | None, pin: "_Pin | None") -> bytes:
    """The request: the lane's head, then each array's little-endian row-major bytes. A pinned program's arrays
    of `_Pin.direct` dtypes are joined as they are (bytes.join reads a C-contiguous array's memory, which is
    those bytes: no copy of each first, ~4 us a seven-array L1 request); one that is not contiguous (join
    refuses it) sends the whole request _raw's way."""
    if pin is not None and pin.direct:
        try:
            return b"".join([head, *arrays, *params.values()] if params else [head, *arrays])
        except TypeError:  # (an array that is not C-contiguous)
            pass
    chunks: list = [head]
    chunks += [_raw(a) for a in arrays]
    if params:
        chunks += [_raw(a) for a in params.values()]
    return b"".join(chunks)


def _known(content, n: int, pin: "_Pin | None", shapes: list | None) -> Result | tuple | None:
    """An answer of a layout seen before (its head `n` bytes of `content`) read straight into the Result, or
    (`pin` given: a pinned program's flat outputs) into the Tensors `_trace._conform` makes of it; None when
    its layout is not known (the general path decodes it). The pin's layout is checked first, in place."""
    plan = pin.tensors if pin is not None else None
    if plan is not None and plan[1] is not None and type(content) in (bytes, bytearray) and \
            answer_timing(content, n, plan[0]) is not NOT_OF:
        return _tensors(plan[1], memoryview(content)[n:], plan[2])
    mv = memoryview(content)
    known = known_answer(mv, n)
    if known is None:
        return None
    lay, timing = known
    if pin is not None and shapes is not None:
        plan = plan if plan is not None and plan[0] is lay else _plan(pin, lay, shapes)
        if plan[1] is not None:
            return _tensors(plan[1], mv[n:], plan[2])
    members, flat = lay.members, lay.flat
    if flat is not None:  # Result.of's answer for a flat structure, without its walks
        arrays = lay.arrays(mv[n:])
        return Result(value=tuple([arrays[i] for i in flat]), outputs=arrays, names=list(lay.names),
                      structure=list(flat), graph_id=members.get("graph_id"), device=members.get("device"),
                      timing=timing or {})
    return Result.of(lay.arrays(mv[n:]), [o[0] for o in lay.outputs],
                     _fresh(members["structure"]) if "structure" in members else NO_STRUCTURE,
                     members.get("graph_id"), members.get("device"), timing)


def _plan(pin: "_Pin", lay: Any, shapes: list) -> tuple:
    """(lay, per value: (its array's shape as _trace._conform gives it, dtype, offset, dtype name), the nesting
    (`_nesting`)) when the layout's structure is a tuple of outputs and flat tuples of them (a value and its
    gradients) naming each output once, with one value per traced output (_conform's flat and pair cases);
    (lay, None, None) otherwise (the Result is built, then conformed). Kept on the pin for the next answers."""
    order, nest = _nesting(lay.members.get("structure", NO_STRUCTURE), len(lay.outputs))
    plan = None
    if order is not None and len(order) == len(shapes) and len(set(order)) == len(order) and None not in shapes:
        plan = []
        for i, s in zip(order, shapes):
            _, shape, _, dt, start, _ = lay.outputs[i]
            # (_conform: the traced shape where the answer's differs for as many elements; a view either way)
            plan.append((s[0] if shape != s[0] and math.prod(shape) == s[1] else shape, dt, start, dtype_name(dt)))
    pin.tensors = (lay, plan, nest)
    return pin.tensors


def _nesting(structure: Any, n: int) -> tuple:
    """(the output indices in the order rebuild's value holds them, the nesting: None for a flat tuple, else
    per member -1 (one output) or its length (a flat tuple of outputs)) for a list of indices and flat lists
    of indices below n (bools excluded, as rebuild takes them for no index); (None, None) for any other."""
    if type(structure) is not list:
        return None, None
    order: list = []
    nest: list = []
    for s in structure:
        if type(s) is int and 0 <= s < n:
            order.append(s)
            nest.append(-1)
        elif type(s) is list and all(type(i) is int and 0 <= i < n for i in s):
            order += s
            nest.append(len(s))
        else:
            return None, None
    return order, None if all(k < 0 for k in nest) else tuple(nest)


def _tensors(plan: list, tail: memoryview, nest: tuple | None = None) -> tuple:
    """The answer's values as Tensors, each array a view on one private copy of the bytes (as Result's), in
    the plan's nesting (`_nesting`)."""
    own = bytearray(tail)
    ts = [_tensor(np.ndarray(shape, dt, own, start), name) for shape, dt, start, name in plan]
    if nest is None:
        return tuple(ts)
    out, i = [], 0
    for k in nest:
        if k < 0:
            out.append(ts[i])
            i += 1
        else:
            out.append(tuple(ts[i:i + k]))
            i += k
    return tuple(out)


def _key(client: Client, ref, arrays: list, params: dict | None, device, binary_output) -> tuple | None:
    """(graph id, device, deadline, the tensors' signature) of a job a lane carries, else None."""
    if binary_output is False or client.binary_threshold is None or not ref.binary or ref.doc is None:
        return None
    gid = client._known.get(ref.hash)
    if gid is None:
        return None
    sig: list = []
    for a in arrays:
        if type(a) is not np.ndarray:
            return None
        sig.append((a.shape, a.dtype))
    if params:
        for name, a in params.items():
            if type(a) is not np.ndarray:
                return None
            sig.append((name, a.shape, a.dtype))
    shm = client._transport._shm
    if shm is not None and not shm.small(arrays, params):
        return None
    return gid, normalize_device(device) or client.device, client.deadline_ms, tuple(sig)


def _learn(client: Client, ref, gid: str, arrays: list, params: dict | None, device, binary_output) -> tuple:
    """(the request head, the request headers but its id) the general path encodes for this job: the headers
    a template whose HTTP head the lean client builds once (`_http1.Headers`)."""
    fields, binary = client._fields(ref, arrays, params, device, None, binary_output)
    body = {"graph_id": gid}
    body.update(fields)
    content, headers = encode_request(body, binary=binary)
    return content[:int(headers[HEADER_LENGTH])], Headers.template(headers)

