"""CPU per small job outside the worker (issue #13, L3 and L1), old tree against new, interleaved.

    python benchmarks/percall_cpu.py                                   # this tree
    python benchmarks/percall_cpu.py --tree base=/tmp/base --tree new=.  # A/B: one server per tree
    python benchmarks/percall_cpu.py --sdk-only --tree base=/tmp/base --tree new=.
    python benchmarks/percall_cpu.py --sdk-only --instructions --tree base=/tmp/base --tree new=.
    python benchmarks/percall_cpu.py --sdk-only --instructions --codec --tree base=/tmp/base --tree new=.
    python benchmarks/percall_cpu.py --sdk-only --codec      # this tree's codec with its memos and without
    python benchmarks/percall_cpu.py --sdk-only --instructions --mode pynative --tree base=/tmp/base --tree new=.

server: L3's and L1's requests as the SDK sends them (captured once) are posted raw, in rounds of N,
to one real server per tree in turn (order alternating); per request: the server's main-process CPU and
its workers' (from /proc/<pid>/stat, 10 ms ticks: use N >= 500), this client's CPU and the wall time;
compute_us: the job's compute (timing.compute_ms, median of the warm-up's last 100): with the inline
lane it runs in the main process, so main_cpu_us - compute_us is what the request itself costs.
sdk: the SDK's own CPU per call (L3 value_and_grad, L1 training step with nn.SGD) with the wire canned
(the transport's `send` returns the recorded response): one subprocess per tree, in turn; "cold": the
same call measured after a COLD_GAP_S sleep each time, as a real call runs after waiting on the server.
--mode pynative: the SDK's calls in PyNative (MindSpore's default: its guard check on each call), not GRAPH_MODE.
Medians over rounds. The machine is shared: compare only trees measured side by side.
--instructions: the SDK's instructions per call under callgrind (valgrind; ~2-4 min, the trees at once),
nearly the same on a busy box as on a quiet one: within ~2% between runs of one tree (allocation addresses
differ), where CPU time swung by -23% and +15% between two A/B runs of the same pair of trees at load 8-13.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TCK = os.sysconf("SC_CLK_TCK")
# sdk "cold": the SDK's call after a sleep of this long, the server's time for a small job: the same Python
# code then costs ~2-4x its CPU in a tight loop (caches and branch predictors refilled after the switch;
# 24 -> 62-104 us for L3 on this VM at load ~8), so a tight loop undercounts what a real call costs
COLD_GAP_S = 0.0005
RID = "0f4af131f666405eb45842a405930982"  # the SDK sends an X-Request-ID on every call: so do we


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        p = f.read().rsplit(")", 1)[1].split()
    return (int(p[11]) + int(p[12])) / TCK


def _paths(tree: str) -> str:
    return f"{tree}:{tree}/clients/python"


def capture(out: Path) -> None:
    """Run L3 and L1 a few times through this tree's SDK against a server of this tree; keep the last job
    request of each (method, path, body, headers, status, response headers, response body)."""
    sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]
    import gradserve as gs
    from benchmarks import loops_workloads as LW
    from benchmarks.loops_bench import Server
    from gradserve._transport.http import HTTPTransport

    rec, send = [], HTTPTransport.send

    def recording(self, method, path, content, headers, timeout=None, rid=None):
        r = send(self, method, path, content, headers, timeout, rid)
        rec.append((method, path, content, dict(headers), r[0], dict(r[1]), bytes(r[2])))
        return r

    HTTPTransport.send = recording
    srv = Server()
    try:
        gs.set_context(server=srv.url)
        LW.graph_mode(gs)
        X, y = LW.logreg_data()
        vg = gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))
        for _ in range(3):
            vg(gs.Tensor(np.zeros(X.shape[1], np.float32)))
        jobs = lambda: [r for r in rec if r[1].startswith("/v1/") and r[1] != "/v1/graphs"]  # noqa: E731
        l3 = jobs()[-1]
        data = LW.dp_data()
        step, _ = LW.dp_sdk(gs, data, lr=1e-6)
        for _ in range(4):
            step(gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"]))
        out.write_bytes(pickle.dumps({"l3": l3, "l1": jobs()[-1], "regs": [r for r in rec if r[1] == "/v1/graphs"]}))
    finally:
        gs.reset_context()
        srv.close()
        HTTPTransport.send = send


def _compute_us(r) -> float:
    """The job's compute time from the response's timing (JSON or binary-extension header)."""
    hl = r.headers.get("inference-header-content-length")
    body = bytes(r.content)
    return json.loads(body[:int(hl)] if hl else body)["timing"]["compute_ms"] * 1e3


def server_rounds(reqs: dict, trees: list, n: int, rounds: int) -> dict:
    sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]
    import httpx

    from benchmarks._server import free_port, server_env, stop, wait_ready
    from gradserve._transport._http1 import HTTP1Client

    servers = []
    try:
        for name, tree in trees:
            port = free_port()
            env = server_env({"PYTHONPATH": _paths(tree)}, GRADSERVE_PORT=str(port),
                             GRADSERVE_GRPC_PORT=str(free_port()), GRADSERVE_DEVICES="cpu")
            proc = subprocess.Popen([sys.executable, "-m", "service.cli"], env=env, cwd=tree,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            url = f"http://127.0.0.1:{port}"
            servers.append((name, proc, None, []))
            wait_ready(proc, url + "/v2/health/ready")
            c = HTTP1Client(url, {"user-agent": "percall_cpu"}, 60)
            for r in reqs["regs"]:
                c.request("POST", "/v1/graphs", r[2], r[3], 60)
            workers = [w["pid"] for p in httpx.get(url + "/v1/devices").json()["pools"] for w in p["workers"]]
            servers[-1] = (name, proc, c, workers)
        out: dict = {}
        computes: dict = {}
        for wl in ("l3", "l1"):
            _, path, content, headers, *_ = reqs[wl]
            headers = dict(headers, **{"x-request-id": RID})
            for name, proc, c, workers in servers:
                compute = []
                for _ in range(200):
                    r = c.request("POST", path, content, headers, 60)
                    assert r.status == 200, (name, r.status, bytes(r.content[:300]))
                    compute.append(_compute_us(r))
                computes[f"{wl} {name}"] = float(np.median(compute[100:]))
            for k in range(rounds):
                for name, proc, c, workers in (servers if k % 2 == 0 else servers[::-1]):
                    m0, w0, c0, t0 = _cpu(proc.pid), sum(map(_cpu, workers)), time.process_time(), time.perf_counter()
                    for _ in range(n):
                        c.request("POST", path, content, headers, 60)
                    t1, c1, m1, w1 = time.perf_counter(), time.process_time(), _cpu(proc.pid), sum(map(_cpu, workers))
                    out.setdefault(f"{wl} {name}", []).append([(m1 - m0) / n, (w1 - w0) / n, (c1 - c0) / n, (t1 - t0) / n])
        res = {k: dict(zip(("main_cpu_us", "workers_cpu_us", "client_cpu_us", "wall_us"),
                           (float(x) * 1e6 for x in np.median(np.array(v), axis=0)))) for k, v in out.items()}
        for k, v in res.items():  # what the server spends around the job's compute (inline: in the main process)
            v["compute_us"] = computes[k]
        return res
    finally:
        for name, proc, c, workers in servers:
            if c is not None:
                c.close()
            stop(proc)


def _sdk_calls(reqs_file: str) -> tuple[dict, dict, dict]:
    """(in a subprocess whose PYTHONPATH is the tree measured) ({workload: one SDK call}, the recorded
    requests, {"r": the recorded answer `send` gives}): the transport's `send` is canned."""
    import gradserve as gs
    from benchmarks import loops_workloads as LW
    from gradserve._client import graph_hash
    from gradserve._transport.http import HTTPTransport

    reqs, cur = pickle.loads(Path(reqs_file).read_bytes()), {}

    def canned(self, method, path, content, headers, timeout=None, rid=None):
        if path == "/v1/graphs":
            return 201, {"content-type": "application/json"}, \
                json.dumps({"graph_id": graph_hash(json.loads(content)["graph"])}).encode()
        r = cur["r"]
        return r[4], {k.lower(): v for k, v in r[5].items()}, r[6]

    HTTPTransport.send = canned
    gs.set_context(server="http://127.0.0.1:9")
    if MODE[0] == "graph":
        LW.graph_mode(gs)
    X, y = LW.logreg_data()
    vg = gs.ops.value_and_grad(LW.logp_sdk(gs, X, y))
    w = gs.Tensor(np.zeros(X.shape[1], np.float32))
    data = LW.dp_data()
    step, _ = LW.dp_sdk(gs, data, lr=1e-6)
    R, E, F = gs.Tensor(data["R"]), gs.Tensor(data["E"]), gs.Tensor(data["F"])
    return {"l3": lambda: vg(w)[1].asnumpy(), "l1": lambda: step(R, E, F)}, reqs, cur


def sdk_cpu(reqs_file: str, reps: int, n: int) -> dict:
    """(in a subprocess whose PYTHONPATH is the tree measured) SDK CPU per call, the wire canned."""
    calls, reqs, cur = _sdk_calls(reqs_file)
    out = {}
    for wl, fn in calls.items():
        cur["r"] = reqs[wl]
        for _ in range(50):
            fn()
        ts = []
        for _ in range(reps):
            t = time.process_time()
            for _ in range(n):
                fn()
            ts.append((time.process_time() - t) / n * 1e6)
        out[wl] = float(np.median(ts))
        cold = []  # the same call after a short sleep, as in a real loop (it waits on the server each time)
        for _ in range(n):
            time.sleep(COLD_GAP_S)
            t = time.thread_time()
            fn()
            cold.append((time.thread_time() - t) * 1e6)
        out[f"{wl} cold"] = float(np.median(cold))
    return out


def sdk_marked(reqs_file: str, n: int) -> None:
    """(in a subprocess under callgrind) n SDK calls of each workload between two marks: callgrind zeroes
    its counts when os.getppid is entered and dumps them when os.getpgrp is (CALLGRIND_MARKS)."""
    calls, reqs, cur = _sdk_calls(reqs_file)
    for wl in WORKLOADS:
        cur["r"] = reqs[wl]
        fn = calls[wl]
        for _ in range(50):
            fn()
        os.getppid()
        for _ in range(n):
            fn()
        os.getpgrp()


def _codec_job(reqs: dict, wl: str) -> tuple[dict, bytes, str]:
    """(the workload's recorded job body, its tensors zeros; its recorded answer; the answer's header length)."""
    import gradserve._wire as W

    _, _, content, headers, _, rheaders, rcontent = reqs[wl]
    head = json.loads(content[:int(headers[W.HEADER_LENGTH])])
    zeros = lambda t: np.zeros(t["shape"], W.V2_TO_NP[t["datatype"]])  # noqa: E731
    body = {k: [zeros(t) for t in v] if k == "inputs" else {p: zeros(t) for p, t in v.items()} if k == "params"
            else v for k, v in head.items()}
    assert json.loads(W.encode_request(body, binary=True)[0][:int(headers[W.HEADER_LENGTH])]) == head
    return body, rcontent, {k.lower(): v for k, v in rheaders.items()}[W.HEADER_LENGTH.lower()]


def codec_cpu(reqs_file: str, rounds: int = 40, n: int = 500) -> dict:
    """The codec's CPU per call in this tree with its memos (gradserve._wire: request heads, answer layouts)
    and without them (the walk; the full decode), and the whole SDK call with and without (call memo / off),
    alternating in one process: {workload part: us}."""
    import gradserve._client as C
    import gradserve._wire as W

    reqs, res = pickle.loads(Path(reqs_file).read_bytes()), {}
    known, layout = W._known_layout, W._layout
    calls, _, cur = _sdk_calls(reqs_file)

    def memos(on: bool) -> None:
        W._known_layout, W._layout = (known, layout) if on else (lambda mv, n: None, lambda body, chunks: None)

    def call(wl: str, on: bool):
        memos(on)
        try:
            return calls[wl]()
        finally:
            memos(True)

    def walk(body):
        enc = W._Encoder(True, None)
        return W.dumps(enc.walk(body)), enc.chunks

    def full(rcontent, hl):
        W._known_layout = lambda mv, n: None
        try:
            return C.Result.from_response(W.decode_response(rcontent, hl))
        finally:
            W._known_layout = known

    for wl in WORKLOADS:
        body, rcontent, hl = _codec_job(reqs, wl)
        fns = [("encode memo", lambda: W.encode_request(body, binary=True)), ("encode walk", lambda: walk(body)),
               ("decode memo", lambda: C.Result.from_response(W.decode_response(rcontent, hl))),
               ("decode full", lambda: full(rcontent, hl)),  # and the whole SDK call, the wire canned:
               ("call memo", lambda: call(wl, True)), ("call off", lambda: call(wl, False))]
        cur["r"] = reqs[wl]
        for r in range(rounds):
            for name, fn in fns if r % 2 else fns[::-1]:
                t = time.thread_time()
                for _ in range(n):
                    fn()
                res.setdefault(f"{wl} {name}", []).append((time.thread_time() - t) / n * 1e6)
    return {k: float(np.median(v)) for k, v in res.items()}


def codec_marked(reqs_file: str, n: int) -> None:
    """(in a subprocess under callgrind) the SDK codec alone on each workload's recorded job: n encodes of its
    body, then n decodes of its answer with the Result built, each between two marks."""
    import gradserve._client as C
    import gradserve._wire as W

    reqs = pickle.loads(Path(reqs_file).read_bytes())
    for wl in WORKLOADS:
        body, rcontent, hl = _codec_job(reqs, wl)
        for _ in range(50):
            W.encode_request(body, binary=True)
            C.Result.from_response(W.decode_response(rcontent, hl))
        os.getppid()
        for _ in range(n):
            W.encode_request(body, binary=True)
        os.getpgrp()
        os.getppid()
        for _ in range(n):
            C.Result.from_response(W.decode_response(rcontent, hl))
        os.getpgrp()


WORKLOADS = ("l3", "l1")
CALLGRIND_MARKS = ["--zero-before=os_getppid", "--dump-before=os_getpgrp"]


def _summary(path: Path) -> int:
    """The instructions a callgrind dump counted."""
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError(f"no summary in {path}")


def sdk_instructions(reqs_file: Path, trees: list, n: int, codec: bool = False) -> dict:
    """Instructions per SDK call (callgrind, the wire canned), one process per tree, all at once: a count
    that the machine's load does not change (PYTHONHASHSEED fixed), where CPU time on a busy shared box
    swings by +-20% between runs. Python's own work, not the cache misses a cold call pays. codec: the
    codec's parts alone (codec_marked)."""
    runs, marked, parts = [], "--_codec-marked" if codec else "--_sdk-marked", CODEC_PARTS if codec else [""]
    for name, tree in trees:
        out = reqs_file.parent / f"cg-{name}"
        env = dict(os.environ, PYTHONPATH=_paths(tree), PYTHONHASHSEED="0")
        cmd = ["valgrind", "--tool=callgrind", *CALLGRIND_MARKS, f"--callgrind-out-file={out}", sys.executable,
               str(ROOT / "benchmarks" / "percall_cpu.py"), marked, str(reqs_file), "--n", str(n), "--mode", MODE[0]]
        runs.append((name, out, subprocess.Popen(cmd, env=env, cwd=tree, stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.PIPE, text=True)))
    res = {}
    for name, out, proc in runs:
        _, err = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"callgrind run of {name} failed: {err[-2000:]}")
        dumps = [f"{wl}{part}" for wl in WORKLOADS for part in parts]  # one dump per mark pair, in order
        for k, what in enumerate(dumps, 1):
            res[f"{what} {name}"] = _summary(Path(f"{out}.{k}")) / n
    return res


CODEC_PARTS = [" encode", " decode+Result"]
MODE = ["graph"]  # the SDK calls' context mode (--mode): GRAPH_MODE, or PyNative (its guard check each call)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", default=[], help="name=path of a source tree (repeat)")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--sdk-only", action="store_true")
    ap.add_argument("--server-only", action="store_true")
    ap.add_argument("--sdk-rounds", type=int, default=3, help="SDK processes per tree (CPU time)")
    ap.add_argument("--instructions", action="store_true",
                    help="SDK: instructions per call under callgrind (valgrind) instead of CPU time")
    ap.add_argument("--codec", action="store_true",
                    help="the codec alone (request encode; answer decode + Result): with --instructions per tree, "
                         "else this tree's CPU with its memos and without, alternating in one process")
    ap.add_argument("--mode", choices=("graph", "pynative"), default="graph",
                    help="SDK: the calls in GRAPH_MODE (default) or PyNative, MindSpore's default")
    ap.add_argument("--_sdk", help=argparse.SUPPRESS)
    ap.add_argument("--_codec-marked", help=argparse.SUPPRESS)
    ap.add_argument("--_sdk-marked", help=argparse.SUPPRESS)
    args = ap.parse_args()
    MODE[0] = args.mode
    if args._sdk:
        print(json.dumps(sdk_cpu(args._sdk, 5, 1000)))
        return 0
    if args._sdk_marked:
        sdk_marked(args._sdk_marked, args.n)
        return 0
    if args._codec_marked:
        codec_marked(args._codec_marked, args.n)
        return 0
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("this", str(ROOT))]
    with tempfile.TemporaryDirectory() as tmp:
        reqs_file = Path(tmp) / "reqs.pkl"
        capture(reqs_file)
        reqs = pickle.loads(reqs_file.read_bytes())
        if not args.sdk_only:
            for k, v in server_rounds(reqs, trees, args.n, args.rounds).items():
                print(f"{k:14s} " + "  ".join(f"{a} {b:7.1f}" for a, b in v.items()))
        if args.instructions:
            for k, v in sdk_instructions(reqs_file, trees, min(args.n, 400), args.codec).items():
                print(f"{k:24s} sdk_instructions {v:9.0f}")
        elif args.codec:
            for k, v in codec_cpu(str(reqs_file)).items():
                print(f"{k:24s} cpu_us {v:7.2f}")
        elif not args.server_only:
            res: dict = {}
            for k in range(args.sdk_rounds):  # one process per tree and round, trees in turn
                for name, tree in (trees if k % 2 == 0 else trees[::-1]):
                    env = dict(os.environ, PYTHONPATH=_paths(tree))
                    got = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "percall_cpu.py"), "--_sdk",
                                          str(reqs_file), "--mode", args.mode], env=env, cwd=tree, capture_output=True, text=True, check=True)
                    for wl, us in json.loads(got.stdout.strip().splitlines()[-1]).items():
                        res.setdefault(f"{wl} {name}", []).append(us)
            for k, v in res.items():
                print(f"{k:14s} sdk_cpu_us {float(np.median(v)):7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
