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

    xp = namespace(xpt, erf=torch.special.erf, lgamma=torch.special.gammaln, digamma=torch.special.digamma,
                   polygamma=torch.special.polygamma,
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
