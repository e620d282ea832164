"""A worker process: one device, one engine with its plan cache, jobs over a pipe.

Started with multiprocessing's spawn context by service.pools. Protocol (our own
pickled messages; large arrays travel as shared-memory refs, see service.shm):

    server -> worker: ("job", job_id, key, (graph_json, source map) | None, [input refs], {param: ref},
                       [(slot name, size, free)], (cores, threads) | None, output target | None)
                      (output slots: see service.out_slots; then cores lent by idle workers and the
                      threads to run with, see service.core_lending; last, a client's shared memory
                      region to write the outputs into, see service.client_shm.write_target, or one the
                      server made, see service.out_memfd)
                      ("stop",)
    worker -> server: ("ready", info) | ("fatal", message)
                      ("done", job_id, [output refs], timing) | ("error", job_id, error_dict)
                      (an output written into the client's region: ("client", offset, shape, dtype_str))
                      ("need_graph", job_id[, True])   (its cache lost the graph, or [True] a value it
                      names by key: resend with it; a graph's values by key follow its job message as raw
                      frames, see service.weight_refs)

`timing` carries "plan_cache_bytes" (what the worker's graphs and plans hold) and, for a lent job,
"cpu_wait_ms" (how long its threads waited for a CPU), which the server takes off before it answers,
and "threads" (the BLAS / intra-op threads the job started with). The environment
(CUDA_VISIBLE_DEVICES, BLAS thread counts) is set by the server before the process is spawned;
pinning to cores happens here first, before NumPy or a device runtime is imported; a job lent more
cores widens and narrows back (service.core_lending).
"""
from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import sys
import time

from .millis import ms3
from . import timeline
from .core_lending import RunDelay

# Errors a kernel raises on what the job's graph or inputs ask for (an index out of range, a shape
# that overflows, an array too large to allocate): the caller's fault, not the server's.
INPUT_FAULTS = (IndexError, OverflowError, ValueError, TypeError)


def _setup(spec: dict):
    if spec.get("cores"):
        os.sched_setaffinity(0, spec["cores"])
    from .logs import setup_worker

    setup_worker()  # the server's log format (tracebacks of failed jobs go to its log)
    import numpy as np

    from engine import Engine
    from engine.backends import get_backend

    from . import shm

    shm.set_owner(spec["owner"], os.getpid())
    backend = get_backend(spec["backend"], spec.get("device"))
    if spec["backend"] == "torch":
        import torch

        torch.set_num_threads(max(1, spec.get("threads") or 1))
    # warm the backend: one tiny op, so the first job does not pay for lazy initialisation
    backend.to_host(backend.xp.asarray(backend.from_host(np.ones(2, np.float32))) * 2)
    from .core_lending import ThreadBudget

    budget = ThreadBudget(spec.get("cores") or [], spec.get("threads") or 1, torch=spec["backend"] == "torch")
    # the Backend object, not its name: it carries the device (e.g. torch on npu:0)
    return backend, budget, Engine(backend, cache_size=spec["cache_size"], max_nodes=spec.get("max_nodes"),
                           max_work=spec.get("max_work"), max_job_bytes=spec.get("max_job_bytes"),
                           cache_bytes=spec.get("plan_cache_bytes"), max_job_flops=spec.get("max_job_flops"))


class Plans:
    """The worker's loaded graphs by key, bounded in entries and bytes. Their compiled plans (arenas,
    folded constants) are the engine's cache, bounded the same way (Engine cache_bytes)."""

    def __init__(self, engine, spec: dict):
        from collections import OrderedDict

        from engine.cache_share import OwnerShare
        from engine.serialize import Limits

        self.engine = engine
        self.graphs: OrderedDict = OrderedDict()  # key -> (Graph, bytes)
        self.nbytes = 0
        self.max_entries = spec["cache_size"]
        cap = spec.get("plan_cache_bytes")  # 0: nothing kept past the job at hand (as the engine's plans)
        self.cap = (1 << 62) if cap is None else cap
        self.shares = OwnerShare(self.max_entries, self.cap)  # one client's graphs: at most a share of both
        self.limits = Limits(max_nodes=spec.get("max_nodes"))
        from .weight_refs import WeightCache

        self.weights = WeightCache(self.cap)  # values by hash, shared by the graphs naming them (service.weight_refs)

    @property
    def held(self) -> int:
        """Bytes held: the graphs here and the engine's plans."""
        return self.nbytes + int(self.engine.cache_info().get("bytes") or 0)

    def get(self, key: str, gjson, owner=None):
        hit = self.graphs.get(key)
        if hit is not None:
            self.graphs.move_to_end(key)
            self.shares.touch(key)
            return hit[0]
        if gjson is None:
            return None
        from .registry import graph_bytes

        g = load_graph(gjson, self.limits, self.weights.get)
        n = len(gjson[0] if isinstance(gjson, tuple) else gjson) + graph_bytes(g)
        self.graphs[key] = (g, n)
        self.nbytes += n
        self.shares.add(key, owner, n)
        while (mine := self.shares.over(owner)) is not None:  # the owner's own oldest first
            self._drop(mine)
        while len(self.graphs) > 1 and (len(self.graphs) > self.max_entries or self.nbytes > self.cap):
            self._drop(next(iter(self.graphs)))
        return g

    def _drop(self, key: str) -> None:
        self.nbytes -= self.graphs.pop(key)[1]
        self.shares.drop(key)


def load_graph(gjson, limits, lookup=None):
    """A job's graph from its wire form: (graph JSON text, source map[, weights]) or the text alone. Values named
    by key (service.weight_refs) are read through `lookup` (key -> bytes; the server's own: its weights dict)."""
    import json

    from engine.serialize import graph_from_json

    from . import weight_refs

    text, sources = gjson[:2] if isinstance(gjson, tuple) else (gjson, None)
    if lookup is None and isinstance(gjson, tuple) and len(gjson) > 2 and isinstance(gjson[2], dict):
        lookup = weight_refs.server_lookup(gjson[2])
    d = json.loads(text)
    return graph_from_json(d if lookup is None else weight_refs.resolved(d, lookup), limits, sources=sources)


def job_error(e: BaseException, job_id) -> dict:
    """The error dict a failed job answers with (the server raises service.errors.from_engine of it);
    the inline lane (service.inline) uses the same, so both lanes fail alike."""
    from engine.errors import EngineError

    if isinstance(e, EngineError):
        return e.to_dict()
    if isinstance(e, MemoryError):
        return {"code": "limit_exceeded", "message": "the job needs more memory than the worker could allocate",
                "detail": {"limit": "worker memory"}}
    if isinstance(e, INPUT_FAULTS):
        return {"code": "invalid_request", "message": f"the graph cannot run on these inputs: {type(e).__name__}: "
                f"{str(e)[:500]}", "detail": {"path": "$.graph"}}
    logging.getLogger("gradserve.worker").error("job %s failed", job_id, exc_info=e)  # a bug or runtime failure
    return {"code": "execution_error", "message": f"{type(e).__name__}: {str(e)[:500]}", "detail": {}}


def _lent_run(engine, budget, revoked, job_id, lend, g, inputs, params, key, outs=None, owner=None):
    """engine.run on the lent cores, if any (narrowed back after, even when it fails); the threads it
    started with, and (lent) how long its threads waited for a CPU meanwhile, ms (the pool's verdict on
    lending, service.core_lending.WorkEstimates). outs: buffers to compute outputs into (Engine.run)."""
    if lend is None:
        return engine.run(g, inputs, params, key=key, outs=outs, owner=owner), budget.threads if budget is not None else 1, None
    try:
        budget.set(*lend)
        if revoked is not None and revoked.value == job_id:  # reclaimed before we widened: undo it
            budget.narrow(home=True)
        threads = budget.threads
        before = _RUN_DELAY.sample(budget.tids)
        out = engine.run(g, inputs, params, key=key, outs=outs, owner=owner)
        budget.narrow()  # (lists the threads again: any the run started)
        return out, threads, _RUN_DELAY.since(before, budget.tids)
    finally:
        # reclaimed (the pool re-pinned every thread, maybe before we placed ours): every thread home
        budget.narrow(home=revoked is not None and revoked.value == job_id)


class InputMaps:
    """The server's request buffers, mapped here once and kept across jobs. An input ref with an offset
    lies in one of them (service.shm.BufferPool: the same segment, under the same name, request after
    request; a name is never reused for another segment); attaching it each job (shm_open, mmap with
    MAP_POPULATE, munmap after) cost ~140 us of W2's 0.8 MB input on the job's critical path. At most
    `max_count` mappings and `max_bytes`; a name the server has unlinked is dropped when another comes
    (its memory goes with the last view). Room for the server's buffers in rotation, so that jobs do not map
    them again in turn: its request-body pool (input_cache_bytes, 128 MiB), its pool for clients' shared
    memory inputs and the copies it keeps of unchanged ones (service.client_shm.Kept: a segment per kept
    input, e.g. three per W2 call whose weights stay; 64 MiB each).

    ("made", ...) refs: a float input the client wrote into a sealed region the server made for it
    (service.client_shm.MAPPED_KINDS), mapped here straight from the server's fd (/proc/<server>/fd/<n>,
    checked to be the inode the server named and sealed against shrinking: service.out_memfd.open_made) and
    kept under its inode, so neither the server nor this worker copies it. Dropped when another comes once
    the server has closed it (unregistered: its path no longer leads to that inode).

    Lifetime: a mapping the running job reads is pinned until the job ends (`done`): a later input of the same job
    never evicts it (its views would keep it alive unkept, and a third input in it would map it again). A job whose
    inputs pass the bounds gets the mappings past them for itself: closed with its `attached` segments."""

    def __init__(self, max_count: int = 32, max_bytes: int = 256 << 20):
        from collections import OrderedDict

        self.max_count, self.max_bytes = max_count, max_bytes
        self.segs: OrderedDict = OrderedDict()  # name (a made region: (path, ident)) -> (Segment, size)
        self.pinned: set = set()  # the running job's kept mappings (names as in segs)

    def done(self) -> None:
        """The job ended: its mappings may be evicted again."""
        self.pinned.clear()

    def get(self, ref: tuple, attached: list):
        """shm.get, with buffer mappings kept (other refs as shm.get: attached for this job only)."""
        from . import shm

        if ref[0] == "made":
            return self._made(ref, attached)
        if ref[0] != "shm" or len(ref) < 5:
            return shm.get(ref, attached)
        _, name, shape, dt, off = ref
        got = self.segs.get(name)
        if got is None:
            got = self._add(name, attached)
        else:
            self.segs.move_to_end(name)
            self.pinned.add(name)
        return _view(got[0].buf, shape, dt, off)

    def _made(self, ref: tuple, attached: list):
        """A view on a made region, mapped once (the server checked the tensor lies inside its region; the
        mapping's own size bounds it here again: the view never reaches past what is mapped)."""
        _, path, shape, dt, off, ident = ref
        key = (path, tuple(ident))
        got = self.segs.get(key)
        if got is None:
            got = self._add(key, attached, path)
        else:
            self.segs.move_to_end(key)
            self.pinned.add(key)
        return _view(got[0].buf, shape, dt, off)

    def _add(self, name, attached: list, path: str | None = None) -> tuple:
        from . import shm

        mm, size = shm.map_segment(name) if path is None else _map_made(path, name[1])
        got = (shm.Segment(name, mm), size)
        if mm is None:  # (an empty one has no mapping)
            return got
        if size > self.max_bytes:  # (a huge one is never kept: this job's only)
            attached.append(got[0])
            return got
        for old in [n for n in self.segs if n not in self.pinned and not _still_there(n)]:
            self._drop(old)
        free = [n for n in self.segs if n not in self.pinned]  # (oldest first)
        while free and (len(self.segs) >= self.max_count
                        or sum(z for _, z in self.segs.values()) + size > self.max_bytes):
            self._drop(free.pop(0))
        if len(self.segs) >= self.max_count or sum(z for _, z in self.segs.values()) + size > self.max_bytes:
            attached.append(got[0])  # (this job's mappings hold the bounds: this job's only)
            return got
        self.segs[name] = got
        self.pinned.add(name)
        return got

    def _drop(self, name: str) -> None:
        seg, _ = self.segs.pop(name)
        try:
            seg.close()
        except BufferError:  # a view still alive: the mapping goes with it
            pass


def _view(buf, shape, dt: str, off: int):
    import numpy as np

    from . import shm

    dtype = np.dtype(dt)
    n = 1
    for d in shape:
        n *= d
    if off < 0 or off + n * dtype.itemsize > len(buf):  # (the server's offsets; a made region's size is its own)
        raise ValueError(f"an input of shape {list(shape)} at byte {off} runs past its shared memory ({len(buf)} bytes)")
    a = shm.view(buf, shape, dtype, off)  # (holds the mapping: InputMaps may drop it while this job reads it)
    a.flags.writeable = False  # the server's buffer (it may keep it for later jobs: client_shm.Kept), or the client's
    return a


def _map_made(path: str, ident: tuple) -> tuple:
    """(mapping, size) of a made region (service.out_memfd.open_made checks it), page tables filled."""
    import mmap

    from . import out_memfd

    fd, size = out_memfd.open_made(path, ident, path, "$.inputs")
    try:
        mm = mmap.mmap(fd, size) if size else None  # (read and write: a stray write could never fault)
    finally:
        os.close(fd)
    if mm is not None:
        out_memfd._populate(mm, getattr(mmap, "MADV_POPULATE_READ", 22))
    return mm, size


def _still_there(name) -> bool:
    """Whether a kept mapping's segment is still the server's: a buffer's name in /dev/shm, a made region's
    inode behind its /proc path."""
    from . import shm

    if isinstance(name, str):
        return os.path.exists(os.path.join(shm.SHM_DIR, name))
    path, ident = name
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == ident


_INPUT_MAPS = InputMaps()
_RUN_DELAY = RunDelay()  # lent runs only
_OUT_MAPS = None  # service.out_memfd.OutMaps: made output regions, mapped once


def _out_maps():
    global _OUT_MAPS
    if _OUT_MAPS is None:
        from .out_memfd import OutMaps

        _OUT_MAPS = OutMaps()
    return _OUT_MAPS


def _out_views(target: tuple | None, g) -> tuple | None:
    """For a region the server made: its views for the graph's outputs (out_memfd.views), which the engine
    computes the outputs straight into where it can (saves copying ~2.4 MB for W2 after the run). None
    for a client's own region: written with pwrite only (it could shrink it under a mapping)."""
    from . import out_memfd

    if target is None or not out_memfd.is_made(target):
        return None
    import numpy as np

    from engine.ir import NP_DTYPES, AVal, tree_flatten

    outs = [getattr(v, "aval", None) for v in tree_flatten(g.outputs)]
    if not all(isinstance(av, AVal) and av.dtype in NP_DTYPES for av in outs):
        return None  # (sized only once computed: copied after the run)
    return out_memfd.views(_out_maps(), target, tuple((tuple(av.shape), np.dtype(NP_DTYPES[av.dtype])) for av in outs))


def _reads_region(target: tuple | None, in_refs: list, param_refs: dict) -> bool:
    """Whether the job's output target is also one of its ("made", path, shape, dtype, offset, ident) inputs."""
    if target is None:
        return False
    return any(r[0] == "made" and tuple(r[5]) == tuple(target[2])
               for r in [*in_refs, *param_refs.values()] if isinstance(r, tuple) and r)


def _write_target(target: tuple, flat: list, placed: tuple | None) -> dict:
    """The outputs written into the client's output region: a region the server made (a sealed memfd)
    through a mapping kept across jobs (those computed in place, `placed`, not copied), a client's own
    object with pwrite (it could shrink it)."""
    from . import client_shm, out_memfd

    if not out_memfd.is_made(target):
        return client_shm.write_target(target, flat)
    return out_memfd.write_target(_out_maps(), target, flat, placed)


def _no_clock() -> float:
    return 0.0


def _run_job(engine, plans: Plans, slots, threshold: int, msg: tuple, budget=None, revoked=None):
    """One job: the message to send back."""
    import numpy as np

    from engine.ir import tree_flatten

    from . import client_shm, shm
    from .weight_refs import MissingWeight

    _, job_id, key, gjson, in_refs, param_refs, listing = msg[:7]  # gjson: (text, source map) or None
    lend = msg[7] if len(msg) > 7 and budget is not None else None
    target = msg[8] if len(msg) > 8 else None
    owner = msg[10] if len(msg) > 10 else None  # the job's client: its share of the caches (engine.cache_share)
    try:
        g = plans.get(key, gjson, owner)
        timeline.stamp("wk.plan")
    except MissingWeight:  # its cache dropped a value the graph names: the server sends it again
        return ("need_graph", job_id, True)
    if g is None:
        return ("need_graph", job_id)
    attached: list = []
    try:
        try:
            inputs = [_INPUT_MAPS.get(r, attached) for r in in_refs]
            params = {k: _INPUT_MAPS.get(r, attached) for k, r in param_refs.items()}
            timeline.stamp("wk.inputs")
            # computing outputs in place is safe only when the output region is none of this job's mapped
            # inputs (a client may name one made region for both: two mappings the engine's overlap check
            # cannot see as one memory)
            placed = None if _reads_region(target, in_refs, param_refs) else _out_views(target, g)
        except client_shm.RegionError as e:  # a made input region the client unregistered meanwhile: its 400
            return ("error", job_id, e.to_dict())
        misses, compiling, compiling_cpu = engine.misses, engine.compile_seconds, engine.compile_cpu_seconds
        timeline.stamp("wk.c0")
        # the run's CPU (every thread's: a split's helpers too) only where the pool reads it, an alone run's
        # (the inline lane's cost): after a lent run the process clock reads the helper's CPU on its core
        # (the clock's tail under load: ~0.1 ms; a lent run's verdict goes by wall time and its run delay)
        cpu_clock = time.process_time if lend is None else _no_clock
        t0, c0 = time.perf_counter(), cpu_clock()
        out, threads, waited = _lent_run(engine, budget, revoked, job_id, lend, g, inputs, params or None, key,
                                         placed[0] if placed is not None else None, owner)
        t1, c1 = time.perf_counter(), cpu_clock()
        timeline.stamp("wk.c1")
        owned: list = []
        free = slots.sync(listing)
        flat = [np.asarray(a) for a in tree_flatten(out)]
        del out, inputs, params
        timeline.stamp("wk.flat")
        try:
            where = _write_target(target, flat, placed) if target is not None else {}
            timeline.stamp("wk.placed")
        except client_shm.RegionError as e:
            return ("error", job_id, e.to_dict())
        refs = [("client", where[i], a.shape, shm.tag(a.dtype)) if i in where else slots.put(a, threshold, free, owned)
                for i, a in enumerate(flat)]
        del flat, placed
        timeline.stamp("wk.out")
        shm.close_all(owned)  # the server unlinks output segments once read
    finally:
        _INPUT_MAPS.done()
        shm.close_all(attached)
    timing = {"compute_ms": ms3((t1 - t0) * 1e3), "output_ms": ms3((time.perf_counter() - t1) * 1e3),
              "compile_cache": "miss" if engine.misses != misses else "hit",
              "compile_ms": ms3((engine.compile_seconds - compiling) * 1e3),
              "threads": threads, "plan_cache_bytes": plans.held}
    if lend is None:  # the run's own CPU, its compile's not counted: unlike its wall time, not longer on a loaded box
        timing["compute_cpu_ms"] = ms3((c1 - c0 - engine.compile_cpu_seconds + compiling_cpu) * 1e3)
    if waited is not None:
        timing["cpu_wait_ms"] = ms3(waited)
    return ("done", job_id, refs, timing)


def _lane_keep(lane, msg: tuple, reply: tuple):
    """A granted job (its message's 10th item: ("new", socket path, token) or ("add", token)) done: its message
    kept as the lane's next template (the graph not sent again: the plan cache has it), and its timing names
    the lane for the client (service.lanes). The lane, made on "new"."""
    from .lanes import MAX_TEMPLATES, LaneServer

    ask = msg[9]
    if not all(r[0] == "client" for r in reply[2]):  # outputs the answer's body carries: the client cannot take
        return lane  # a lane from it, so none is made (the pool ends a grant's lease at once, templates none)
    token = ask[2] if ask[0] == "new" else ask[1]
    if ask[0] == "new" and lane is None:
        try:
            lane = LaneServer(ask[1], token, *ask[3:])
        except OSError:
            return None
    if lane is None or lane.token != token.encode() or len(lane.templates) >= MAX_TEMPLATES:
        return lane
    lane.templates.append(((*msg[:3], None, *msg[4:9]), reply[2]))
    reply[3]["direct_lane"] = [lane.path, token, len(lane.templates) - 1]
    return lane


def _lane_turn(lane, conn, run) -> str:
    """Waits for the pipe or the lane: "pipe" when the pipe is readable (first: a client's frames in a row must
    not keep the pool's revoke or stop waiting); else serves a lane connection or frame ("lane"), or "ended"
    when the lane's client closed its connection, or none came (lanes.UNCLAIMED_S)."""
    import select

    ready = select.select([conn, *lane.fds()], [], [], lane.wait_s())[0]
    lane.expire()
    if conn in ready:
        return "pipe"
    if lane.unclaimed() and not ready:
        return "ended"
    if lane.conn is not None and lane.conn in ready:
        frame = lane.frame()
        if frame is None:
            return "ended"
        _lane_job(lane, conn, run, *frame)
        if lane.conn is None:  # its answer could not be sent (the client gone mid-job): as a close, the lease ends
            return "ended"  # (else the worker stayed leased to nobody until another client's job revoked it)
    elif lane.listener in ready:
        lane.accept()
    else:
        for c in [c for c in ready if c in lane.pending]:
            lane.greet(c)
    return "lane"


_SERVER_ONLY = ("plan_cache_bytes", "compute_cpu_ms", "cpu_wait_ms")  # timing the pool takes off a job's answer


def _lane_job(lane, conn, run, seq: int, index: int, deadline_ms: int) -> None:
    """One job on the lane: the template run again (under its job id: a lent run's reclaim names it), the
    pool told before (its deadline) and after (metrics: a job done, its wall time as the request's), the client
    answered."""
    from .lanes import late

    if index >= len(lane.templates):
        lane.answer({"seq": seq, "fallback": True})
        return
    t0 = time.perf_counter()
    msg, refs = lane.templates[index]
    token = lane.token.decode()
    conn.send_bytes(pickle.dumps(("lane_start", token, seq, deadline_ms / 1e3), pickle.HIGHEST_PROTOCOL))
    try:
        reply = run(msg)
    except Exception as e:  # noqa: BLE001 - as a job on the pipe
        reply = ("error", msg[1], job_error(e, msg[1]))
    timing, raised = None, None  # (an error answer or a fallback: its client sends the job over HTTP, counted there)
    over = late(lane, deadline_ms, time.perf_counter() - t0)
    if over is not None:  # done past its deadline, within the grace: HTTP's 504, which the client raises
        status, body, raised = over
        lane.answer({"seq": seq, "status": status, "body": body})
    elif reply[0] == "done" and reply[2] == refs:
        timing = reply[3]
        lane.answer({"seq": seq, "timing": dict({k: v for k, v in timing.items() if k not in _SERVER_ONLY},
                                                lane="direct")})
    elif reply[0] == "error":
        lane.answer({"seq": seq, "error": reply[2]})
    else:  # (the plan cache lost its graph, or the outputs landed elsewhere: over HTTP)
        lane.answer({"seq": seq, "fallback": True})
    conn.send_bytes(pickle.dumps(("lane_done", token, seq, timing, time.perf_counter() - t0, raised),
                                 pickle.HIGHEST_PROTOCOL))
    timeline.flush()


def worker_main(conn, spec: dict, revoked=None) -> None:
    # The server owns shutdown: Ctrl-C or a SIGTERM sent to the whole group must not kill jobs
    # half way. If the server dies, the pipe closes and this loop ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        backend, budget, engine = _setup(spec)
        from .out_slots import SlotWriter
    except BaseException as e:  # noqa: BLE001 - reported to the server, which fails the start
        conn.send(("fatal", f"{type(e).__name__}: {e}"))
        return
    # what start-up imported (NumPy, SciPy, the engine: ~45k objects on NumPy, far more with torch) lives as
    # long as the worker: out of the collector's sight, the full collection a graph's first compile sets off
    # walks only what jobs left (it took ~22 ms of CPU, 110 ms on a loaded box, in a first run; as the server)
    gc.collect()
    gc.freeze()
    conn.send(("ready", {"pid": os.getpid(), "backend": backend.name, "device": backend.device,
                         "cores": sorted(spec.get("cores") or [])}))
    plans, slots, threshold = Plans(engine, spec), SlotWriter(), spec["shm_threshold"]
    run = lambda m: _run_job(engine, plans, slots, threshold, m, budget, revoked)  # noqa: E731
    lane = None  # service.lanes.LaneServer while this worker holds a direct lane
    while True:
        try:
            if lane is not None:
                turn = _lane_turn(lane, conn, run)
                if turn == "ended":  # its client went away: the worker goes back to the pool
                    lane.close()
                    lane = None
                    conn.send_bytes(pickle.dumps(("revoked",), pickle.HIGHEST_PROTOCOL))
                if turn != "pipe":
                    continue
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg[0] == "stop":
            break
        if msg[0] == "lend" and lane is not None:  # the pool lends the lane idle workers' cores from now on
            lane.templates = [((*m[:7], msg[1], *m[8:]), refs) for m, refs in lane.templates]
            continue
        if msg[0] == "revoke":
            if lane is not None:
                lane.close()
                lane = None
            conn.send_bytes(pickle.dumps(("revoked",), pickle.HIGHEST_PROTOCOL))
            continue
        if msg[0] != "job":
            continue
        timeline.stamp("wk.recv")
        try:
            if isinstance(msg[3], tuple) and len(msg[3]) > 2:  # the values' frames follow: read them first
                plans.weights.receive(conn, msg[3][2])
            reply = run(msg)
        except Exception as e:  # noqa: BLE001 - the job fails, the worker goes on (MemoryError included)
            reply = ("error", msg[1], job_error(e, msg[1]))
        if len(msg) > 9 and msg[9] is not None and reply[0] == "done":
            lane = _lane_keep(lane, msg, reply)
        conn.send_bytes(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))  # (as Pool._send: no ForkingPickler)
        timeline.stamp("wk.sent")
        timeline.flush()
    if lane is not None:
        lane.close()
    try:
        conn.close()
    except OSError:
        pass
    sys.exit(0)
