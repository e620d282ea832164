"""Server main-process CPU per small job, lean HTTP path (service.lean_http) against uvicorn's ASGI path.

    python benchmarks/lean_http_ab.py [--rounds 24] [--n 1000] [--bare]
    python benchmarks/lean_http_ab.py --instructions [--n 300] [--tree base=/work/wt/base42 --tree new=.]

In one process: one app (real pools, the inline lane), two protocol classes as service.cli builds them
(lean on, lean off), each on a fake transport; L3's and L1's requests as the SDK sends them (captured
by benchmarks/percall_cpu.py) are fed to each in turn, rounds alternating; CPU (time.process_time) per
request, and the median over rounds of the paired difference. --bare adds the job runner fed without
HTTP (`Bare`): lean - bare is the HTTP layer's own cost on the lean path. No sockets: the difference is the
protocol's and the app's own work, not the kernel's or the machine's other load.
--instructions: the same lean and bare requests counted in instructions under callgrind (valgrind), one process
per tree, the trees at once: lean - bare per request is the HTTP layer's instructions, a count the box's load
does not move (CPU time at load 15-21 read 40 us where an idle box reads 14).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


class FakeTransport:
    def __init__(self):
        self.writes, self.closing, self.event = 0, False, asyncio.Event()

    def write(self, data) -> None:
        self.writes += 1
        self.event.set()

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, key, default=None):
        return {"peername": ("127.0.0.1", 5555), "sockname": ("127.0.0.1", 8000)}.get(key, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Bare:
    """--bare: the job runner the lean path calls, fed the request's headers (split once, before timing) and
    body with no HTTP parse and no response head: what is left of the main process's work per request when the
    HTTP layer is gone, i.e. the most a framing without HTTP on the local socket could save (it would still
    decode its own frame)."""

    def __init__(self, runners: dict):
        self.runners, self.memo = runners, {}

    def data_received(self, data: bytes, t: "FakeTransport") -> None:
        got = self.memo.get(data)
        if got is None:
            from service.http_app import job_headers

            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            raw = [(k.strip().lower(), v.strip()) for k, _, v in (ln.partition(b":") for ln in lines[1:])]
            got = self.memo[data] = (self.runners[lines[0].split(b" ")[1]], job_headers(raw), body)
        coro = self._run(got, t)  # started eagerly, as the lean path does (LeanProtocol._lean_start)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        from service.lean_http import _Rest

        asyncio.get_running_loop().create_task(_Rest(coro, waiting).run())

    @staticmethod
    async def _run(got: tuple, t: "FakeTransport") -> None:
        from service.lean_http import LeanBody

        runner, heads, body = got
        src = LeanBody()
        src.chunks.append(body)
        src.complete()
        resp = await runner(heads, "127.0.0.1", src)
        t.write(resp.body)


def raw_request(r) -> bytes:
    method, path, content, headers = r[:4]
    h = {k.lower(): v for k, v in dict(headers).items()}
    h.update({"content-length": str(len(content)), "host": "127.0.0.1"})
    return (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode() \
        + bytes(content)


def protocols(app, settings: dict, bare: bool) -> dict:
    """{name: (protocol on a FakeTransport, the transport)} for each of `settings` ({name: Settings}), as
    service.cli builds them, and "bare" (`Bare`)."""
    import uvicorn
    from uvicorn.server import ServerState

    from service.cli import http_protocol

    protos = {}
    for name, s in settings.items():
        cls = http_protocol(s, app, app)
        cfg = uvicorn.Config(app, http=cls, log_config=None, lifespan="off")
        cfg.load()
        p = cls(config=cfg, server_state=ServerState(), app_state={})
        t = FakeTransport()
        p.connection_made(t)
        protos[name] = (p, t)
    if bare:
        protos["bare"] = (Bare(app.state.job_runners), FakeTransport())
    return protos


def feeder(protos: dict):
    """one(name, data): the request fed to that protocol, awaited until its answer is written."""

    async def one(name: str, data: bytes) -> bool:
        p, t = protos[name]
        n0 = t.writes
        t.event.clear()
        p.data_received(data, t) if name == "bare" else p.data_received(data)
        waited = False
        while t.writes == n0:
            waited = True
            await t.event.wait()
            t.event.clear()
        return waited  # (False: answered before data_received returned, the inline lane's small job)

    return one


async def measure(reqs: dict, rounds: int, n: int, bare: bool = False) -> dict:
    from service.http_app import create_app
    from service.settings import Settings

    out = {}
    s_on, s_off = Settings(devices="cpu", cpu_workers=1), Settings(devices="cpu", cpu_workers=1, lean_http=False)
    app = create_app(s_on)
    async with app.router.lifespan_context(app):
        protos = protocols(app, {"lean": s_on, "asgi": s_off}, bare)
        one = feeder(protos)
        for r in reqs["regs"]:
            await one("asgi", raw_request(r))
        for wl in ("l3", "l1"):
            data = raw_request(reqs[wl])
            for name in protos:
                for _ in range(300):
                    await one(name, data)
            res: dict = {k: [] for k in protos}
            for k in range(rounds):
                for name in (list(protos) if k % 2 == 0 else list(protos)[::-1]):
                    c = time.process_time()
                    for _ in range(n):
                        await one(name, data)
                    res[name].append((time.process_time() - c) / n * 1e6)
            out[wl] = {"asgi_us": statistics.median(res["asgi"]), "lean_us": statistics.median(res["lean"]),
                       "saved_us": statistics.median([a - b for a, b in zip(res["asgi"], res["lean"])])}
            if bare:
                out[wl].update(bare_us=statistics.median(res["bare"]),
                               http_us=statistics.median([a - b for a, b in zip(res["lean"], res["bare"])]))
    return out


async def marked(reqs: dict, n: int) -> None:
    """(in a subprocess under callgrind) n lean and n bare requests of each workload, each set between the marks
    of benchmarks.percall_cpu.CALLGRIND_MARKS."""
    from service.http_app import create_app
    from service.settings import Settings

    # the inline lane's limits opened: under callgrind a run is ~50x slower, and its budget would send the jobs
    # to a worker (another process, not counted) after the first few
    s = Settings(devices="cpu", cpu_workers=1, inline_max_ms=1000.0, inline_share=1.0)
    app = create_app(s)
    async with app.router.lifespan_context(app):
        protos = protocols(app, {"lean": s}, bare=True)
        one = feeder(protos)
        for r in reqs["regs"]:
            await one("lean", raw_request(r))
        for wl in WORKLOADS:
            data = raw_request(reqs[wl])
            for name in PATHS:
                inline, tries = 0, 0
                while inline < 30:  # (the lane compiles a plan in a thread; till then a job goes to a worker)
                    inline = 0 if await one(name, data) else inline + 1
                    tries += 1
                    if tries > 3000:
                        raise RuntimeError(f"{wl} {name}: not answered inline after {tries} requests")
                os.getppid()
                waits = sum([await one(name, data) for _ in range(n)])
                os.getpgrp()
                if waits:
                    raise RuntimeError(f"{wl} {name}: {waits} of {n} requests were not answered inline")


WORKLOADS, PATHS = ("l3", "l1"), ("lean", "bare")


def callgrind_dumps(script: Path, reqs_file: Path, trees: list, n: int, out_dir: Path, dumps: int) -> dict:
    """{tree name: [instructions per request in each of its `dumps` dumps (mark pairs), in order]}: `script
    --_marked reqs_file --n n` under callgrind, one process per tree (PYTHONPATH: the tree, then this one's
    benchmarks), the trees at once."""
    from benchmarks.percall_cpu import CALLGRIND_MARKS, _paths, _summary

    runs = []
    for name, tree in trees:
        out = out_dir / f"cg-{name}"
        env = dict(os.environ, PYTHONPATH=_paths(tree) + f":{ROOT}", PYTHONHASHSEED="0")
        # the main thread's count only: the lane's compile thread and the pools' threads run meanwhile, ~50x
        # longer under callgrind than natively
        cmd = ["valgrind", "--tool=callgrind", "--separate-threads=yes", *CALLGRIND_MARKS,
               f"--callgrind-out-file={out}", sys.executable, str(script), "--_marked", str(reqs_file), "--n", str(n)]
        runs.append((name, out, subprocess.Popen(cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.PIPE, text=True)))
    res = {}
    for name, out, proc in runs:
        _, err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"callgrind run of {name} failed: {err[-2000:]}")
        res[name] = [_summary(Path(f"{out}.{k}-01")) / n for k in range(1, dumps + 1)]
    return res


def instructions(reqs_file: Path, trees: list, n: int) -> dict:
    """{workload: {tree: {lean, bare, http: instructions per request}}}, one callgrind process per tree, at once."""
    res: dict = {wl: {} for wl in WORKLOADS}
    for name, counts in callgrind_dumps(ROOT / "benchmarks" / "lean_http_ab.py", reqs_file, trees, n,
                                        reqs_file.parent, len(WORKLOADS) * len(PATHS)).items():
        it = iter(counts)
        for wl in WORKLOADS:
            got = {what: next(it) for what in PATHS}
            got["http"] = got["lean"] - got["bare"]
            res[wl][name] = got
    return res


@contextmanager
def captured():
    """The SDK's L3 and L1 requests (benchmarks.percall_cpu.capture), pickled in a temporary folder: its path."""
    sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]
    from benchmarks.percall_cpu import capture

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "reqs.pkl"
        capture(f)
        yield f


def print_counts(res: dict) -> None:
    """{workload: {tree: {what: instructions}}}, a line a workload and tree."""
    for wl, by_tree in res.items():
        for name, v in by_tree.items():
            print(f"{wl} {name:8s} " + "  ".join(f"{k} {x / 1e3:7.1f}k" for k, x in v.items()))


def trees_of(args) -> list:
    return [tuple(t.split("=", 1)) for t in args.tree] or [("this", str(ROOT))]


def callgrind_args(doc: str | None, n: int) -> argparse.ArgumentParser:
    """The front both callgrind drivers share (this one and server_pieces.py): --n, --tree and the hidden
    --_marked that the capture's child process is started with."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=n)
    ap.add_argument("--tree", action="append", default=[], help="name=path of a tree (repeat)")
    ap.add_argument("--_marked", help=argparse.SUPPRESS)
    return ap


def ran_marked(args: argparse.Namespace, marked_fn) -> bool:
    """In the child under callgrind (--_marked): run the marked requests and say so (the tree measured is this
    process's PYTHONPATH; the file is the parent's own capture)."""
    if not args._marked:
        return False
    asyncio.run(marked_fn(pickle.loads(Path(args._marked).read_bytes()), args.n))
    return True


def main() -> int:
    ap = callgrind_args(__doc__, 1000)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--bare", action="store_true", help="also the job runner fed without HTTP (see Bare)")
    ap.add_argument("--instructions", action="store_true", help="lean and bare in instructions (callgrind)")
    args = ap.parse_args()
    if ran_marked(args, marked):
        return 0
    with captured() as f:
        if args.instructions:
            print_counts(instructions(f, trees_of(args), args.n))
            return 0
        reqs = pickle.loads(f.read_bytes())
    for wl, v in asyncio.run(measure(reqs, args.rounds, args.n, args.bare)).items():
        print(f"{wl}  " + "  ".join(f"{k} {x:6.1f}" for k, x in v.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
