"""Manual check (not CI): a real ViT-B/16-size ONNX model (torchvision vit_b_16, 86 M float32 weights, ~346 MB)
uploaded to a server at the DEFAULT limits (POST /v1/graphs application/onnx, bound by max_model_bytes) and its
weight gradients returned binary (bound by max_binary_output_bytes, not the JSON max_output_bytes).
Prints the upload time, the gradient job's time, the gradient bytes and the server's peak RSS (VmHWM of the
server and its workers).

    PYTHONPATH=$PWD:$PWD/clients/python:/work/impextra python benchmarks/bigmodel_onnx_upload.py
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import httpx
import numpy as np

from benchmarks._server import free_port, server_binary, server_env, stop, wait_ready


def vit_onnx(image_size: int = 32) -> tuple[bytes, int]:
    import torch

    from benchmarks.zoo_models import _torchvision  # (torchvision's CUDA wheel on a CPU torch: its nms stubbed)

    torchvision = _torchvision()
    torch.manual_seed(0)
    m = torchvision.models.vit_b_16(image_size=image_size).eval()
    buf = io.BytesIO()
    torch.onnx.export(m, (torch.zeros(1, 3, image_size, image_size),), buf, dynamo=False,
                      do_constant_folding=False, opset_version=17, input_names=["x"])
    return buf.getvalue(), sum(p.numel() for p in m.parameters())


def peak_rss_mib(pid: int) -> float:
    """VmHWM of pid and its children (the worker processes), summed, in MiB."""
    pids = [pid] + [int(p) for p in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                                                     text=True).stdout.split()]
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def main() -> None:
    t0 = time.perf_counter()
    body, n = vit_onnx()
    print(f"ONNX export: {len(body) / 1e6:.0f} MB, {n / 1e6:.1f} M params, {time.perf_counter() - t0:.1f} s")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([server_binary()], env=server_env({"GRADSERVE_PORT": str(port),
                                                                "GRADSERVE_CPU_WORKERS": "1", "GRADSERVE_GRPC_PORT": "0",
                                                                # (ViT-B/16 takes ~0.8 GB registered: over
                                                                # the 256 MiB default, a 413 naming it)
                                                                "GRADSERVE_GRAPH_CACHE_BYTES": str(2 << 30),
                                                                "GRADSERVE_DEVICES": "cpu"}),
                            stdout=sys.stderr, stderr=sys.stderr)
    try:
        wait_ready(proc, url + "/v2/health/ready")
        with httpx.Client(base_url=url, timeout=600) as c:
            t = time.perf_counter()
            r = c.post("/v1/graphs", content=body, headers={"Content-Type": "application/onnx"})
            print(f"upload + register: HTTP {r.status_code} in {time.perf_counter() - t:.1f} s; "
                  f"server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
            assert r.status_code == 201, r.text[:1000]
            graph_id = r.json()["graph_id"]
            # (the exporter merges identical initializers, e.g. zero LayerNorm biases: the signature's names)
            weights = [p["name"] for p in r.json()["signature"]["params"]]
            import gradserve as gs

            gc = gs.Client(url, timeout=600)
            x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
            t = time.perf_counter()
            got = gc.grad(graph_id, [x], grad_position=None, weights=weights, binary_output=True).value
            nbytes = sum(g.nbytes for g in got)
            print(f"weight gradients: {len(got)} tensors, {nbytes / 1e6:.0f} MB binary in "
                  f"{time.perf_counter() - t:.1f} s; server peak RSS {peak_rss_mib(proc.pid):.0f} MiB")
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
