"""Backends: an array namespace plus device placement, behind one narrow seam.

Kernels (`impl_rules`) are written once against the Python array API standard
and receive the backend's namespace `xp`. A backend adds what the standard
lacks (erf, scatter-add) and moves arrays between host (NumPy) and device.
Each backend lives in its own small module and is imported only when asked
for, so a CPU server never imports CuPy or torch.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ..errors import EngineError


class BackendUnavailable(EngineError):
    code = "backend_unavailable"


@dataclass
class Backend:
    name: str
    xp: Any  # namespace handed to kernels
    to_host: Callable[[Any], np.ndarray]
    from_host: Callable[[np.ndarray], Any]
    device: str = "cpu"
    # dtypes the backend has (almost) no kernels for: the executor runs each node that touches one with
    # NumPy's kernel on host copies (exact NumPy values; engine/executor.py `_on_host`)
    host_dtypes: frozenset = frozenset()
    # storage-only dtypes: a node that reads or makes one computes on copies in the wider dtype and rounds its
    # results back once (engine/executor.py `_widened`: bfloat16 on NumPy computes in float32, as PyTorch's CPU
    # kernels and XLA do)
    widen: dict | None = None
    # dtypes the backend has no arrays for at all: a graph with one is refused by name when compiled
    missing_dtypes: frozenset = frozenset()

    def __repr__(self) -> str:
        return f"Backend({self.name!r}, device={self.device!r})"


def namespace(module, **extras) -> SimpleNamespace:
    """A flat namespace: attribute lookups in kernels stay as cheap as module lookups."""
    ns = SimpleNamespace(**{k: getattr(module, k) for k in dir(module) if not k.startswith("__")})
    for k, v in extras.items():
        setattr(ns, k, v)
    return ns


_MODULES = {
    "numpy": "engine.backends.numpy_backend",
    "array_api_strict": "engine.backends.strict_backend",
    "torch": "engine.backends.torch_backend",
    "cupy": "engine.backends.cupy_backend",
}
_cache: dict[tuple[str, str | None], Backend] = {}


def available_backends() -> list[str]:
    return list(_MODULES)


def get_backend(name: str = "numpy", device: str | None = None) -> Backend:
    key = (name, device)
    if key not in _cache:
        if name not in _MODULES:
            raise BackendUnavailable(f"unknown backend {name!r}; known: {', '.join(_MODULES)}")
        try:
            mod = importlib.import_module(_MODULES[name])
            _cache[key] = mod.make_backend(device)
        except ImportError as e:
            raise BackendUnavailable(f"backend {name!r} needs a package that is not installed: {e}") from e
    return _cache[key]


def set_intra_op_threads(n: int) -> None:
    """Threads the NumPy backend splits each large matrix product across (engine/backends/split_gemm.py);
    1 (the default): one BLAS call each. With n > 1 the caller keeps BLAS itself at one thread."""
    from . import split_gemm

    split_gemm.set_threads(n)


def intra_op_threads() -> int:
    from . import split_gemm

    return split_gemm.threads()
