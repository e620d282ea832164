"""The server main's CPU per L1 / L3 request (the inline lane's path, issue #13), source trees side by side.

    python benchmarks/inline_server_ab.py [--tree name=PATH ...] [--rounds 12] [--n 500] [--profile NAME]

L3's and L1's requests as this tree's SDK sends them (captured once by benchmarks/percall_cpu.py) are fed
to one app per tree, each in its own process (real pools, the inline lane, the lean HTTP path on a fake
transport as benchmarks/lean_http_ab.py feeds it: no sockets), the trees taking turns each round, the order
flipped every other round: CPU (process_time) per request, medians over rounds, and the median of the paired
differences against the first tree. The compute is included (L1's ~0.14 ms): the difference is the server's
own work around it. --profile NAME: that tree's L1 under cProfile (thread CPU) once the rounds are done, the
functions above 1% printed. Not a test: nothing asserts.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# one tree's app, driven over stdin: "<workload> <n>" -> CPU us per request; "profile <n>" -> the top functions
CHILD = r'''
import asyncio, cProfile, io, json, pickle, pstats, sys, time
reqs = pickle.load(open(sys.argv[1], "rb"))

class T:
    def __init__(self): self.writes, self.closing, self.event = 0, False, asyncio.Event()
    def write(self, data): self.writes += 1; self.event.set()
    def is_closing(self): return self.closing
    def close(self): self.closing = True
    def get_extra_info(self, key, default=None):
        return {"peername": ("127.0.0.1", 5555), "sockname": ("127.0.0.1", 8000)}.get(key, default)
    def pause_reading(self): pass
    def resume_reading(self): pass

def raw(r):
    method, path, content, headers = r[:4]
    h = {k.lower(): v for k, v in dict(headers).items()}
    h.update({"content-length": str(len(content)), "host": "127.0.0.1"})
    return (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode() \
        + bytes(content)

async def main():
    import uvicorn
    from uvicorn.server import ServerState
    from service.cli import http_protocol
    from service.http_app import create_app
    from service.settings import Settings
    s = Settings(devices="cpu", cpu_workers=1)
    app = create_app(s)
    async with app.router.lifespan_context(app):
        cls = http_protocol(s, app, app)
        cfg = uvicorn.Config(app, http=cls, log_config=None, lifespan="off")
        cfg.load()
        p, t = cls(config=cfg, server_state=ServerState(), app_state={}), T()
        p.connection_made(t)

        async def one(data):
            n0 = t.writes
            t.event.clear()
            p.data_received(data)
            while t.writes == n0:
                await t.event.wait()
                t.event.clear()

        for r in reqs["regs"]:
            await one(raw(r))
        data = {wl: raw(reqs[wl]) for wl in ("l1", "l3")}
        for wl in data:
            for _ in range(400):  # workers' runs, then the lane compiles and takes the job
                await one(data[wl])
            await asyncio.sleep(0.5)
            for _ in range(200):
                await one(data[wl])
        print("ready", flush=True)
        for line in sys.stdin:
            what, n = line.split()
            n = int(n)
            if what == "profile":
                prof = cProfile.Profile(time.thread_time)
                prof.enable()
                for _ in range(n):
                    await one(data["l1"])
                prof.disable()
                out = io.StringIO()
                st = pstats.Stats(prof, stream=out)
                total = st.total_tt
                rows = sorted(((v[3], v[2], v[1], f) for f, v in st.stats.items()), reverse=True)
                lines = [f"profiled {total / n * 1e6:.1f} us a request (L1)"]
                for ct, tt, nc, f in rows:
                    if ct < total * 0.01:
                        break
                    lines.append(f"{ct / n * 1e6:8.1f} us cum {tt / n * 1e6:7.1f} own {nc / n:5.1f}x  "
                                 f"{f[0].split('/')[-1]}:{f[1]} {f[2]}")
                print(json.dumps(lines), flush=True)
                continue
            c = time.process_time()
            for _ in range(n):
                await one(data[what])
            print(json.dumps((time.process_time() - c) / n * 1e6), flush=True)

asyncio.run(main())
'''


def start(tree: str, reqs: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f"{tree}:{tree}/clients/python", OMP_NUM_THREADS="1")
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(reqs)], cwd=tree, env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    while True:
        line = p.stdout.readline()
        if not line:
            raise SystemExit(f"{tree}: the app did not start")
        if line.strip() == "ready":
            return p


def ask(p: subprocess.Popen, line: str):
    p.stdin.write(line + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of another source tree")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--profile", help="a tree's name: its L1 profiled after the rounds")
    args = ap.parse_args()
    trees = {"this": str(ROOT), **dict(t.split("=", 1) for t in args.tree)}
    sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]
    from benchmarks.percall_cpu import capture

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "reqs.pkl"
        capture(f)
        pickle.loads(f.read_bytes())  # (a capture that failed stops here)
        procs = {name: start(tree, f) for name, tree in trees.items()}
        try:
            names = list(procs)
            res = {(wl, name): [] for wl in ("l1", "l3") for name in names}
            for k in range(args.rounds):
                for wl in ("l1", "l3"):
                    for name in (names if k % 2 == 0 else names[::-1]):
                        res[wl, name].append(ask(procs[name], f"{wl} {args.n}"))
            first = names[0]
            for wl in ("l1", "l3"):
                row = [f"{name} {statistics.median(res[wl, name]):6.1f}" for name in names]
                row += [f"{name}-{first} {statistics.median([b - a for a, b in zip(res[wl, first], res[wl, name])]):+6.1f}"
                        for name in names[1:]]
                print(f"{wl}  us CPU a request: " + "  ".join(row))
            if args.profile:
                print("\n".join(ask(procs[args.profile], f"profile {args.n}")))
        finally:
            for p in procs.values():
                p.stdin.close()
                p.wait(timeout=60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
