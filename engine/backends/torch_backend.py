"""PyTorch through array-api-compat: CPU, CUDA, and Ascend NPU (torch_npu registers 'npu')."""
from __future__ import annotations

import functools

import ml_dtypes
import numpy as np

from . import Backend, namespace


def make_backend(device=None) -> Backend:
    import torch
    from array_api_compat import torch as xpt

    dev = torch.device(device or "cpu")
    if dev.type == "npu":
        import torch_npu  # noqa: F401  (registers the device)
    creators = {name: functools.partial(getattr(xpt, name), device=dev)
                for name in ("full", "zeros", "ones", "asarray", "arange", "eye", "empty")}

    def asarray(obj, dtype=None, **kw):
        if isinstance(obj, np.ndarray) and obj.dtype == ml_dtypes.bfloat16:  # (a graph's bfloat16 constant)
            obj = torch.from_numpy(np.ascontiguousarray(obj).view(np.int16)).view(torch.bfloat16)
        return xpt.asarray(obj, dtype=dtype, device=dev, **kw)

    creators["asarray"] = asarray

    def index_add(target, axis, idx, values):
        return target.index_add(axis, idx, values)

    def polygamma(n, x):
        return _trigamma(torch, x) if n == 1 else torch.special.polygamma(n, x)

    xp = namespace(xpt, erf=torch.special.erf, erfinv=torch.special.erfinv, lgamma=torch.special.gammaln, digamma=torch.special.digamma,
                   polygamma=polygamma, remainder=functools.partial(_remainder, torch),
                   index_add=index_add, bfloat16=torch.bfloat16, **creators)

    def to_host(a):
        a = a.detach().cpu()
        if a.dtype == torch.bfloat16:  # NumPy's is ml_dtypes': the same 2 bytes, through int16
            return a.view(torch.int16).numpy().view(ml_dtypes.bfloat16)
        return a.numpy()

    def from_host(a):
        a = np.asarray(a)  # ascontiguousarray makes a 0-d array 1-d: keep the shape
        a = np.ascontiguousarray(a).reshape(a.shape)
        if a.dtype == ml_dtypes.bfloat16:
            return torch.from_numpy(a.view(np.int16)).view(torch.bfloat16).to(dev)
        return torch.from_numpy(a).to(dev)

    # torch's uint16 / uint32 / uint64 are storage types: add, neg, remainder, max, flip, gather, matmul, ...
    # raise NotImplementedError ("add_stub" not implemented for 'UInt64'), so nodes on them run on host
    # bfloat16: as on NumPy, each node computes in float32 and rounds once (every pool answers alike; torch has
    # no bfloat16 linalg, sort or segment kernels on CPU)
    return Backend("torch", xp, to_host=to_host, from_host=from_host, device=str(dev),
                   host_dtypes=frozenset({"uint16", "uint32", "uint64"}), widen={"bfloat16": "float32"})


def _trigamma(torch, x):
    """polygamma(1, x): torch's is finite at the poles (6.6e32 at -1) and ~1e-9 off elsewhere. Reflection below
    1/2 (pi^2 / sin^2(pi x) - psi1(1 - x); sin^2 has period 1, so x - round(x) keeps its argument small and
    makes every pole an exact 0), the recurrence psi1(y) = 1/y^2 + psi1(y + 1) up to 20, then the asymptotic
    series (next term 691 / (2730 y^13): under 1e-16 relative at y >= 20)."""
    refl = x < 0.5
    y = torch.where(refl, 1 - x, x)
    acc = torch.zeros_like(y)
    for _ in range(20):
        small = y < 20
        acc = acc + torch.where(small, 1 / (y * y), torch.zeros_like(y))
        y = torch.where(small, y + 1, y)
    r = 1 / y
    r2 = r * r
    tail = r + r2 / 2 + r * r2 * (1 / 6 + r2 * (-1 / 30 + r2 * (1 / 42 + r2 * (-1 / 30 + r2 * 5 / 66))))
    psi = acc + tail
    s = torch.sin(torch.pi * (x - torch.round(x)))
    out = torch.where(refl, torch.pi ** 2 / (s * s) - psi, psi)
    return torch.where(torch.isneginf(x), torch.full_like(x, float("inf")), out)


def _remainder(torch, x, y):
    """torch.remainder (Python's sign rule; the engine's fmod is built on it), exact where x / y overflows: torch's
    vectorised CPU kernel gives NaN there (fmod(1e300, 1e-300); a 1-element tensor gives 4.89e-301). A finite x
    and a finite nonzero y always have a finite remainder, so exactly those NaNs are wrong; the fast path keeps
    torch's kernel, and the rare path recomputes just those elements with NumPy's remainder on host (C fmod, exact)."""
    r = torch.remainder(x, y)
    if not r.is_floating_point():
        return r
    # the common case costs one sum and one scalar read back (a sync on a device): any NaN makes the sum NaN
    # (so does inf - inf: a false alarm, which the exact mask below then clears), a fraction of isnan(r).any()
    if not bool(torch.isnan(r.sum())):
        return r
    x, y = torch.broadcast_tensors(x, y)
    bad = torch.isnan(r) & torch.isfinite(x) & torch.isfinite(y) & (y != 0)
    if bool(bad.any()):
        fix = np.remainder(x[bad].cpu().numpy(), y[bad].cpu().numpy())
        r[bad] = torch.from_numpy(fix).to(r.device)
    return r
