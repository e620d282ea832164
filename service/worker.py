"""A worker process: one device, one engine with its plan cache, jobs over a pipe.

Started with multiprocessing's spawn context by service.pools. Protocol (our own
pickled messages; large arrays travel as shared-memory refs, see service.shm):

    server -> worker: ("job", job_id, key, graph_json | None, [input refs], {param: ref},
                       [(slot name, size, free)])   (output slots: see service.out_slots)
                      ("stop",)
    worker -> server: ("ready", info) | ("fatal", message)
                      ("done", job_id, [output refs], timing) | ("error", job_id, error_dict)
                      ("need_graph", job_id)   (its cache lost the graph: resend with it)

The environment (CUDA_VISIBLE_DEVICES, ASCEND_RT_VISIBLE_DEVICES, BLAS thread counts) is
set by the server before the process is spawned; pinning to cores happens here first,
before NumPy or a device runtime is imported.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import time


def worker_main(conn, spec: dict) -> None:
    # The server owns shutdown: Ctrl-C or a SIGTERM sent to the whole group must not kill jobs
    # half way. If the server dies, the pipe closes and this loop ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        if spec.get("cores"):
            os.sched_setaffinity(0, spec["cores"])
        from .logs import setup_worker

        setup_worker()  # the server's log format (tracebacks of failed jobs go to its log)
        import json
        from collections import OrderedDict

        import numpy as np

        from engine import Engine
        from engine.backends import get_backend
        from engine.errors import EngineError
        from engine.ir import tree_flatten
        from engine.serialize import Limits, graph_from_json

        from . import shm
        from .out_slots import SlotWriter

        shm.set_owner(spec["owner"])

        backend = get_backend(spec["backend"], spec.get("device"))
        if spec["backend"] == "torch":
            import torch

            torch.set_num_threads(max(1, spec.get("threads") or 1))
        # warm the backend: one tiny op, so the first job does not pay for lazy initialisation
        backend.to_host(backend.xp.asarray(backend.from_host(np.ones(2, np.float32))) * 2)
        # the Backend object, not its name: it carries the device (e.g. torch on npu:0)
        engine = Engine(backend, cache_size=spec["cache_size"], max_nodes=spec.get("max_nodes"))
    except BaseException as e:  # noqa: BLE001 - reported to the server, which fails the start
        conn.send(("fatal", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", {"pid": os.getpid(), "backend": backend.name, "device": backend.device,
                         "cores": sorted(spec.get("cores") or [])}))
    graphs: OrderedDict = OrderedDict()
    limits = Limits(max_nodes=spec.get("max_nodes"))
    threshold = spec["shm_threshold"]
    slots = SlotWriter()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg[0] == "stop":
            break
        if msg[0] != "job":
            continue
        _, job_id, key, gjson, in_refs, param_refs, listing = msg
        attached: list = []
        try:
            g = graphs.get(key)
            if g is None:
                if gjson is None:
                    conn.send(("need_graph", job_id))
                    continue
                g = graph_from_json(json.loads(gjson), limits)
                graphs[key] = g
                while len(graphs) > spec["cache_size"]:
                    graphs.popitem(last=False)
            else:
                graphs.move_to_end(key)
            inputs = [shm.get(r, attached) for r in in_refs]
            params = {k: shm.get(r, attached) for k, r in param_refs.items()}
            misses = engine.misses
            t0 = time.perf_counter()
            out = engine.run(g, inputs, params or None, key=key)
            t1 = time.perf_counter()
            owned: list = []
            free = slots.sync(listing)
            refs = [slots.put(a, threshold, free, owned) for a in tree_flatten(out)]
            del out, inputs, params
            shm.close_all(owned)  # the server unlinks output segments once read
            conn.send(("done", job_id, refs, {"compute_ms": round((t1 - t0) * 1e3, 3),
                                              "output_ms": round((time.perf_counter() - t1) * 1e3, 3),
                                              "compile_cache": "miss" if engine.misses != misses else "hit"}))
        except EngineError as e:
            conn.send(("error", job_id, e.to_dict()))
        except MemoryError:
            conn.send(("error", job_id, {"code": "internal", "message": "the worker ran out of memory",
                                         "detail": {}}))
        except Exception as e:  # noqa: BLE001 - a bug or a runtime failure: the job fails, the worker goes on
            logging.getLogger("gradserve.worker").error("job %s failed", job_id, exc_info=True)
            conn.send(("error", job_id, {"code": "execution_error", "message": f"{type(e).__name__}: {e}",
                                         "detail": {}}))
        finally:
            shm.close_all(attached)
    try:
        conn.close()
    except OSError:
        pass
    sys.exit(0)
