"""Server main-process CPU per small job, lean HTTP path (service.lean_http) against uvicorn's ASGI path.

    python benchmarks/lean_http_ab.py [--rounds 24] [--n 1000]

In one process: one app (real pools, the inline lane), two protocol classes as service.cli builds them
(lean on, lean off), each on a fake transport; L3's and L1's requests as the SDK sends them (captured
by benchmarks/percall_cpu.py) are fed to each in turn, rounds alternating; CPU (time.process_time) per
request, and the median over rounds of the paired difference. No sockets: the difference is the
protocol's and the app's own work, not the kernel's or the machine's other load.
"""
from __future__ import annotations

import argparse
import asyncio
import pickle
import statistics
import sys
import tempfile
import time
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


def raw_request(r) -> bytes:
    method, path, content, headers = r[:4]
    h = {k.lower(): v for k, v in dict(headers).items()}
    h.update({"content-length": str(len(content)), "host": "127.0.0.1"})
    return (f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n").encode() \
        + bytes(content)


async def measure(reqs: dict, rounds: int, n: int) -> dict:
    import uvicorn
    from uvicorn.server import ServerState

    from service.cli import http_protocol
    from service.http_app import create_app
    from service.settings import Settings

    out = {}
    s_on, s_off = Settings(devices="cpu", cpu_workers=1), Settings(devices="cpu", cpu_workers=1, lean_http=False)
    app = create_app(s_on)
    async with app.router.lifespan_context(app):
        protos = {}
        for name, s in (("lean", s_on), ("asgi", s_off)):
            cls = http_protocol(s, app, app)
            cfg = uvicorn.Config(app, http=cls, log_config=None, lifespan="off")
            cfg.load()
            p = cls(config=cfg, server_state=ServerState(), app_state={})
            t = FakeTransport()
            p.connection_made(t)
            protos[name] = (p, t)

        async def one(name: str, data: bytes) -> None:
            p, t = protos[name]
            n0 = t.writes
            t.event.clear()
            p.data_received(data)
            while t.writes == n0:
                await t.event.wait()
                t.event.clear()

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
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]
    from benchmarks.percall_cpu import capture

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "reqs.pkl"
        capture(f)
        reqs = pickle.loads(f.read_bytes())
    for wl, v in asyncio.run(measure(reqs, args.rounds, args.n)).items():
        print(f"{wl}  " + "  ".join(f"{k} {x:6.1f}" for k, x in v.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
