"""Memory of one model's weights across a pool's workers (reliab10).

A torch MLP of 3 x Linear(4096, 4096) (201 MB of float32 weights) registered by hash through the SDK
(service.tensor_store, service.weight_refs); 2 cpu workers each run its weight gradients (jobs sent two at a time
until both workers have run one). Printed: each process's RSS, PSS (its share of pages mapped by several) and
private (USS) MiB from /proc/<pid>/smaps_rollup, after the jobs; and the sum of PSS, what the box holds.

    PYTHONPATH=$PWD:$PWD/clients/python:$PWD/tests python benchmarks/weights_per_worker.py [WORKERS]
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import torch

import gradserve as gs
from e2e.server import Server

MIB = 1 << 20


def rollup(pid: int) -> dict:
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        k, v = line.split(":", 1)
        out[k] = int(v.split()[0]) * 1024
    return {"rss": out["Rss"], "pss": out["Pss"], "uss": out["Private_Clean"] + out["Private_Dirty"]}


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.layers = torch.nn.Sequential(*[torch.nn.Linear(4096, 4096) for _ in range(3)])

    def forward(self, x):
        return self.layers(x)


def main(workers: int) -> None:
    s = Server(Path(tempfile.mkdtemp()) / "server.log", devices="cpu", base_env={},
               env={"GRADSERVE_CPU_WORKERS": str(workers)})
    try:
        os.environ.update(GRADSERVE_SERVER=s.url, GRADSERVE_DEVICE="cpu")
        gs.reset_context()
        x = np.ones((2, 4096), np.float32)
        net = gs.from_torch(Mlp(), (torch.from_numpy(x),))
        params = net.trainable_params()
        nbytes = sum(int(np.prod(p.shape)) * 4 for p in params)
        fn = gs.ops.grad(lambda t: (net(t) ** 2).sum(), grad_position=None, weights=params)
        fn(gs.Tensor(x))  # registers the graph, uploads the weights once
        ran = set()
        while len(ran) < workers:  # jobs at once until every worker has run one (its pid in the job's answer)
            ths = [threading.Thread(target=fn, args=(gs.Tensor(x),)) for _ in range(workers)]
            [t.start() for t in ths]
            [t.join() for t in ths]
            ran |= {p for p in s.worker_pids() if rollup(p)["rss"] > nbytes // 2}
        print(f"model weights: {nbytes / MIB:.0f} MiB, {workers} workers")
        total = 0
        for name, pid in [("server", s.proc.pid)] + [(f"worker {i}", p) for i, p in enumerate(s.worker_pids())]:
            r = rollup(pid)
            total += r["pss"]
            print(f"{name}: rss {r['rss'] / MIB:.0f} MiB, pss {r['pss'] / MIB:.0f}, private {r['uss'] / MIB:.0f}")
        print(f"sum of pss: {total / MIB:.0f} MiB")
    finally:
        s.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
