"""The SDK's own time in a large model's first call, phase by phase (issue #13, weights by hash): ViT-B/16's 152
parameter shapes (86 M float32, 346 MB; torchvision's vit_b_16 at image_size=32, written out here: no torch needed)
as Parameters of one Cell, differentiated w.r.t. all of them through the SDK against a real server (one CPU worker).

    PYTHONPATH=$PWD:$PWD/clients/python python benchmarks/sdk_weights_trace.py [--calls 2] [--unguarded]

Prints, for the first call: the graph's JSON made (`Program.graph_doc`: the values' base64), its content hash
(`graph_hash`), the split into pieces named by hash (`_weights_by_hash.split`), the whole call's wall time; a second
call's; the server's peak RSS (server and worker VmHWM summed) and its main process's RSS after the call (what it
holds: the tensor store's pieces, the registered graph's values, the derived graph). The Cell's loss is sum_i x * sum(p_i): every gradient is x everywhere (checked). Not a test.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "clients" / "python")]

from benchmarks._server import free_port, server_binary, server_env, stop, wait_ready  # noqa: E402
from benchmarks.bigmodel_onnx_upload import peak_rss_mib  # noqa: E402


def vit_b16_shapes(image: int = 32, d: int = 768, mlp: int = 3072, layers: int = 12, classes: int = 1000) -> list:
    """torchvision vit_b_16(image_size=image)'s parameter shapes, in its order."""
    block = [(d,), (d,), (3 * d, d), (3 * d,), (d, d), (d,), (d,), (d,), (mlp, d), (mlp,), (d, mlp), (d,)]
    return ([(1, 1, d), (d, 3, 16, 16), (d,), (1, (image // 16) ** 2 + 1, d)] + block * layers
            + [(d,), (d,), (classes, d), (classes,)])


class Timed:
    """Wall time spent in a module attribute's function (summed over calls), the attribute replaced."""

    def __init__(self, owner, name: str):
        self.owner, self.name, self.fn, self.s = owner, name, getattr(owner, name), 0.0
        fn = self.fn

        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.s += time.perf_counter() - t

        setattr(owner, name, timed)


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=2)
    ap.add_argument("--unguarded", action="store_true",
                    help="construct reads a plain object's attribute: PyNative traces every call afresh (each "
                         "retrace compared with the last registration: _trace._share_registration)")
    args = ap.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([server_binary()], env=server_env({"GRADSERVE_PORT": str(port), "GRADSERVE_CPU_WORKERS": "1",
                                                               "GRADSERVE_DEVICES": "cpu"}),
                            stdout=sys.stderr, stderr=sys.stderr)
    try:
        wait_ready(proc, url + "/v2/health/ready")
        import gradserve as gs
        from gradserve import _client, _trace, _weights_by_hash

        timers = {"graph_doc": Timed(_trace.Program, "graph_doc"), "graph_hash": Timed(_client, "graph_hash"),
                  "split": Timed(_weights_by_hash, "split")}
        rng = np.random.default_rng(0)
        values = [rng.standard_normal(s, dtype=np.float32) for s in vit_b16_shapes()]

        class Net(gs.nn.Cell):
            def __init__(self):
                super().__init__()
                self.ws = gs.ParameterTuple([gs.Parameter(gs.Tensor(v), name=f"w{i}") for i, v in enumerate(values)])

            def construct(self, x):
                return sum(gs.ops.sum(w) * x for w in self.ws)

        settings = types.SimpleNamespace(scale=1.0)  # (an attribute of a plain object: not guardable)

        class Unguarded(Net):
            def construct(self, x):
                return super().construct(x) * settings.scale

        net = Unguarded() if args.unguarded else Net()
        print(f"{len(values)} weights, {sum(v.nbytes for v in values) / 1e6:.0f} MB", flush=True)
        gs.set_context(server=url, device_target="CPU", timeout=1200, deadline_ms=600_000)
        x = gs.Tensor(np.float32(1.5))
        grad = gs.ops.grad(net, grad_position=None, weights=net.ws)
        for i in range(args.calls):
            for t in timers.values():
                t.s = 0.0
            t0 = time.perf_counter()
            got = grad(x)
            wall = time.perf_counter() - t0
            assert all(np.all(g.asnumpy() == np.float32(1.5)) for g in got), "a gradient is not x everywhere"
            print(f"call {i + 1}: {wall:.2f} s; " + ", ".join(f"{k} {t.s:.2f} s" for k, t in timers.items())
                  + f"; server peak RSS {peak_rss_mib(proc.pid):.0f} MiB, main process now {rss_mib(proc.pid):.0f} MiB",
                  flush=True)
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
