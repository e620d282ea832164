"""CuPy (NVIDIA GPU). The worker is pinned with CUDA_VISIBLE_DEVICES, so device 0 is its GPU."""
from __future__ import annotations

from . import Backend, namespace


def make_backend(device=None) -> Backend:
    import cupy as cp
    from cupyx.scipy.special import digamma, erf, erfinv, gammaln, polygamma

    def index_add(target, axis, idx, values):
        import cupyx

        cupyx.scatter_add(target, (slice(None),) * axis + (idx,), values)
        return target

    xp = namespace(cp, erf=erf, erfinv=erfinv, lgamma=gammaln, digamma=digamma, polygamma=polygamma,
                   index_add=index_add, fft=cp.fft)  # cupy.fft: numpy.fft's signatures (the FFT ops' kernels)
    dev = cp.cuda.Device(int(device.split(":")[1]) if device and ":" in device else 0)
    return Backend("cupy", xp, to_host=cp.asnumpy, from_host=cp.asarray, device=f"cuda:{dev.id}",
                   missing_dtypes=frozenset({"bfloat16"}))  # CuPy has no bfloat16 arrays
