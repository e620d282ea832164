"""Instructions per L1 / L3 request on the server's main thread, piece by piece (issue #13), source trees side by side.

    python benchmarks/server_pieces.py [--n 100] [--tree base=/work/wt/base43 --tree new=.] [--keep DIR]

L3's and L1's requests as the SDK sends them (captured by benchmarks/percall_cpu.py) are fed to one app per tree
(real pools, the inline lane: benchmarks/lean_http_ab.py's fake transport) under callgrind, the main thread's
instructions counted between marks (percall_cpu.CALLGRIND_MARKS), one process per tree, the trees at once. Once
the lane answers a workload inline, each piece runs n times between its own marks:
  lean     the whole request through the lean HTTP path (its answer written)
  bare     the job runner fed the parsed headers and body (lean - bare: the HTTP layer)
  front    who the client is, the JobCall, the answer budget's check, admission and its release, metrics (close)
  decode   decode_job of the body (the header memo's hit)
  run_now  Core.run_now of a decoded request (deadline, route, prepare's memo, the lane, the result)
  lane     Pool.run_inline alone (the lane's budget, its wrapping and the plan)
  compute  the plan's run_host alone (the step's kernels)
  answer   _small_answer of a result (the answer's head and body)
bare - (front + decode + run_now + answer) is what the runner does besides (its own lines, RegionIO, the body's
source). Instructions, not time: the box's load moves them by ~1-2% (allocation addresses). --keep: the callgrind
files stay there (callgrind_annotate DIR/cg-NAME.K-01 for C-level detail).
"""
from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIECES = ("lean", "bare", "front", "decode", "run_now", "lane", "compute", "answer")
WORKLOADS = ("l3", "l1")


def _split(data: bytes) -> tuple:
    """(path, job headers, body) of a raw request, as the lean path hands them to the runner."""
    from service.http_app import job_headers

    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    raw = [(k.strip().lower(), v.strip()) for k, _, v in (ln.partition(b":") for ln in lines[1:])]
    return lines[0].split(b" ")[1], job_headers(raw), body


async def marked(reqs: dict, n: int) -> None:
    import time

    from benchmarks.lean_http_ab import feeder, protocols, raw_request
    from service import client_shm
    from service.http_app import _HL, _RID, _XFF, _small_answer, create_app, decode_job
    from service.jobs import JobCall, client_of
    from service.settings import Settings

    # the lane's limits opened, as lean_http_ab's --instructions: under callgrind a run is ~50x slower
    s = Settings(devices="cpu", cpu_workers=1, inline_max_ms=1000.0, inline_share=1.0)
    app = create_app(s)
    async with app.router.lifespan_context(app):
        protos = protocols(app, {"lean": s}, bare=True)
        one = feeder(protos)
        core = app.state.core
        for r in reqs["regs"]:
            await one("lean", raw_request(r))
        for wl in WORKLOADS:
            data = raw_request(reqs[wl])
            path, heads, body = _split(data)
            runner = app.state.job_runners[path]
            env = inspect.getclosurevars(runner).nonlocals
            ctx, memo, kind = env["ctx"], env["memo"], env["kind"]
            hl = heads.get(_HL)
            inline, tries = 0, 0
            while inline < 30:  # (the lane compiles a plan in a thread; till then a job goes to a worker)
                inline = 0 if await one("lean", data) else inline + 1
                tries += 1
                if tries > 3000:
                    raise RuntimeError(f"{wl}: not answered inline after {tries} requests")

            def decoded():
                io = client_shm.RegionIO(ctx.regions, "127.0.0.1")
                req, binary = decode_job(kind, body, hl, s, io, memo)
                req.out_target = io.target()
                return req, binary, io

            req0, binary, _ = decoded()
            req0.client = client_of(core, heads.get(b"authorization"), "127.0.0.1", heads.get(_XFF))
            prep = core._prepared(req0)
            if prep is None:
                raise RuntimeError(f"{wl}: prepare's memo does not answer")
            gid, d, inputs, params = prep
            pool, index = core._route(req0.device)
            plan = pool.inline.engine.cached(d.key)
            ps = {k: v for k, v in params.items() if k in plan.param_avals} or None

            for piece in PIECES:
                if piece in ("lean", "bare"):
                    os.getppid()
                    waits = sum([await one(piece, data) for _ in range(n)])
                    os.getpgrp()
                    if waits:
                        raise RuntimeError(f"{wl} {piece}: {waits} of {n} requests were not answered inline")
                elif piece == "front":
                    os.getppid()
                    for _ in range(n):
                        client = client_of(core, heads.get(b"authorization"), "127.0.0.1", heads.get(_XFF))
                        call = JobCall(core, kind, "http", heads.get(_RID), client)
                        io = client_shm.RegionIO(ctx.regions, "127.0.0.1")
                        core.unsent_http.check(client)
                        call.admit()
                        call.device, call.outcome = "cpu:0", "ok"
                        call.admission.release()
                        call.admission = None
                        call.close()
                        io.close()
                    os.getpgrp()
                elif piece == "decode":
                    os.getppid()
                    for _ in range(n):
                        decoded()
                    os.getpgrp()
                elif piece == "run_now":
                    got = [decoded()[0] for _ in range(n)]
                    for r in got:
                        r.client = req0.client
                    os.getppid()
                    res = [core.run_now(r) for r in got]
                    os.getpgrp()
                    if any(type(x) is tuple for x in res):
                        raise RuntimeError(f"{wl} run_now: not answered inline")
                elif piece == "lane":
                    os.getppid()
                    for k in range(n):
                        if pool.run_inline(d.key, k, list(inputs), dict(params), index) is None:
                            raise RuntimeError(f"{wl} lane: not taken")
                    os.getpgrp()
                elif piece == "compute":
                    os.getppid()
                    for _ in range(n):
                        plan.run_host(inputs, ps)
                    os.getpgrp()
                elif piece == "answer":
                    got = [core.run_now(decoded()[0]) for _ in range(n)]
                    call = JobCall(core, kind, "http", heads.get(_RID), req0.client)
                    t = time.perf_counter()
                    os.getppid()
                    for r in got:
                        _small_answer(r, binary, call, t, t, None)
                    os.getpgrp()


def instructions(reqs_file: Path, trees: list, n: int, keep: Path) -> dict:
    """{workload: {tree: {piece: instructions per request}}}, one callgrind process per tree, at once."""
    from benchmarks.lean_http_ab import callgrind_dumps

    res: dict = {wl: {} for wl in WORKLOADS}
    for name, counts in callgrind_dumps(ROOT / "benchmarks" / "server_pieces.py", reqs_file, trees, n, keep,
                                        len(WORKLOADS) * len(PIECES)).items():
        it = iter(counts)
        for wl in WORKLOADS:
            got = {piece: next(it) for piece in PIECES}
            got["http"] = got["lean"] - got["bare"]
            got["runner_rest"] = got["bare"] - got["front"] - got["decode"] - got["run_now"] - got["answer"]
            got["core_rest"] = got["run_now"] - got["lane"]
            got["lane_wrap"] = got["lane"] - got["compute"]
            res[wl][name] = got
    return res


def main() -> int:
    sys.path[:0] = [str(ROOT)]
    from benchmarks.lean_http_ab import callgrind_args, captured, print_counts, ran_marked, trees_of

    ap = callgrind_args(__doc__, 100)
    ap.add_argument("--keep", help="a folder for the callgrind files (else the capture's temporary one)")
    args = ap.parse_args()
    if ran_marked(args, marked):
        return 0
    with captured() as f:
        keep = Path(args.keep) if args.keep else f.parent
        keep.mkdir(parents=True, exist_ok=True)
        print_counts(instructions(f, trees_of(args), args.n, keep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
