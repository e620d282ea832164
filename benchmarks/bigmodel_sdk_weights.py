"""Manual check (not CI): torchvision ViT-B/16 (image_size=32, 86 M float32 weights, 346 MB) imported with
`gs.from_torch` and differentiated through the SDK at the server's DEFAULT limits: the graph registers as small
JSON with its weights uploaded by content hash (service.tensor_store), then over gRPC with nothing sent again.
Prints the import, the first call (trace + upload + register + grad) and a second call's times, the weights'
bytes stored, the server's peak RSS (VmHWM of the server and its worker, summed) and the max relative error of
every weight's gradient against torch's float64 autograd (max |g - want| / max |want| per weight).

    PYTHONPATH=$PWD:$PWD/clients/python:/work/impextra python benchmarks/bigmodel_sdk_weights.py
"""
from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import time

import httpx
import numpy as np

from benchmarks._server import free_port, server_binary, server_env, stop, wait_ready
from benchmarks.bigmodel_onnx_upload import peak_rss_mib


def stored_bytes(url: str) -> float:
    text = httpx.get(url + "/metrics", timeout=60).text
    m = re.search(r'^gradserve_tensors_stored_total\{unit="bytes"\} (\S+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


def rss_parts(pid: int) -> str:
    """The server main process's and its children's (workers, decoders) peak and current RSS, MiB."""
    kids = [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]

    def status(p: int) -> tuple[float, float]:
        try:
            with open(f"/proc/{p}/status") as f:
                got = dict(line.split(":", 1) for line in f if line.startswith(("VmHWM", "VmRSS")))
        except OSError:
            return 0.0, 0.0
        return int(got["VmHWM"].split()[0]) / 1024, int(got["VmRSS"].split()[0]) / 1024

    (mh, mr), parts = status(pid), [status(k) for k in kids]
    return (f"main peak {mh:.0f} now {mr:.0f} MiB; children peak {sum(h for h, _ in parts):.0f} now "
            f"{sum(r for _, r in parts):.0f} MiB")


def torch_grads(m, x) -> list:
    """torch's float64 autograd of sum(m(x) ** 2) w.r.t. each parameter, in the module's order."""
    import torch

    m64 = copy.deepcopy(m).double()
    (m64(torch.from_numpy(x.astype(np.float64))) ** 2).sum().backward()
    return [p.grad.numpy() for p in m64.parameters()]


def sdk_grads(net, x) -> tuple[list, float]:
    import gradserve as gs

    params = net.trainable_params()
    t = time.perf_counter()
    g = gs.ops.grad(lambda v: (net(v) ** 2).sum(), grad_position=None, weights=params)(gs.Tensor(x))
    return [a.asnumpy() for a in g], time.perf_counter() - t


def max_rel(got: list, want: list) -> float:
    """The largest over weights of max |g - want| / max |want| (every weight's gradient must be nonzero: a check
    of zeros against zeros would pass whatever the SDK did)."""
    assert len(got) == len(want) and all(np.abs(w).max() > 0 for w in want)
    return max(float(np.abs(g - w).max() / np.abs(w).max()) for g, w in zip(got, want))


def main() -> None:
    import torch

    from benchmarks.zoo_models import _torchvision

    torch.manual_seed(0)
    m = _torchvision().models.vit_b_16(image_size=32).eval()
    # (torchvision zero-initialises the classifier head: every logit 0, and every gradient but the head's 0)
    torch.nn.init.normal_(m.heads.head.weight, std=0.02)
    torch.nn.init.normal_(m.heads.head.bias, std=0.02)
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    port, gport = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([server_binary()], env=server_env({"GRADSERVE_PORT": str(port), "GRADSERVE_CPU_WORKERS": "1",
                                                               "GRADSERVE_GRPC_PORT": str(gport),
                                                               "GRADSERVE_DEVICES": "cpu"}),
                            stdout=sys.stderr, stderr=sys.stderr)
    try:
        wait_ready(proc, url + "/v2/health/ready")
        import gradserve as gs

        t = time.perf_counter()
        net = gs.from_torch(m, (torch.from_numpy(x),))
        print(f"from_torch: {sum(p.numel() for p in m.parameters()) / 1e6:.1f} M params, "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        want = torch_grads(m, x)
        for label, server in (("http", url), ("grpc", f"grpc://127.0.0.1:{gport}")):
            os.environ.update({"GRADSERVE_SERVER": server, "GRADSERVE_DEVICE": "cpu"})
            gs.reset_context()
            gs.set_context(timeout=1200, deadline_ms=600_000)  # (the default 30 s deadline: a loaded 2-core box)
            got, first = sdk_grads(net, x)
            _, again = sdk_grads(net, x)
            print(f"{label}: first call (trace, upload what is missing, register, grad) {first:.1f} s; second "
                  f"{again:.1f} s; weights stored so far {stored_bytes(url) / 1e6:.0f} MB; server peak RSS "
                  f"{peak_rss_mib(proc.pid):.0f} MiB; {len(got)} weight gradients, max rel error vs torch float64 "
                  f"{max_rel(got, want):.2e}; {rss_parts(proc.pid)}", flush=True)
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
