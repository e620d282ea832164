"""`mindspore._c_expression`: MindSpore's C++ extension module. gradserve has no such module; MindSpore's own test
packages import names from it at load time (`tests/vm_impl` imports `typing`, pi_jit's conftest
`update_pijit_default_config`), so a name written in a program is a placeholder that raises NotImplementedError
when used, and hasattr / getattr get an AttributeError (ops/operations/_missing.py). Real names: TensorPy, the
C++ base of MindSpore's Tensor, here Tensor itself (MindSpore's tests pickle `TensorPy(x)`); UMonad / IOMonad;
`security.enable_security()`; pi_jit's switch `jit_mode_pi_enable` / `jit_mode_pi_disable`; the initializers'
seeded fills `_random_normal` / `_random_uniform` / `_truncated_normal` (NumPy's generator of that seed: the same
seed, the same values; not MindSpore's stream)."""
from __future__ import annotations

import numpy as np

from ._tensor import Tensor as TensorPy  # noqa: F401  MindSpore's C++ base of Tensor: here Tensor itself (pickles)
from .common._monad import IOMonad, UMonad  # noqa: F401  the state markers (common._monad)
from .common.initializer import truncated_normal
from .ops.operations._missing import module_getattr


class security:  # noqa: N801 - MindSpore's name (a C++ submodule there)
    """MindSpore's build-time security switch (`enable_security()`: whether graph dumps and the like are compiled
    out); gradserve has no such build: always False, as the MindSpore 2.10 wheels answer."""

    @staticmethod
    def enable_security() -> bool:
        return False

def jit_mode_pi_enable() -> bool:
    """pi_jit's global switch for `jit(capture_mode="bytecode")`. gradserve's bytecode capture runs the function as
    Python (_jit.bytecode_capture), which is what MindSpore 2.10 gives with the switch on or off, in PyNative and
    GRAPH_MODE alike (`out = x; x -= 1; return out + x` at [5]: [9], x stays [5]; checked): nothing to switch.
    True, as MindSpore's."""
    return True


def jit_mode_pi_disable() -> bool:
    """The switch off (jit_mode_pi_enable): the same results; True, as MindSpore's."""
    return True


def _random_normal(seed: int, data: np.ndarray, mean: float, sigma: float) -> None:
    data[...] = np.random.default_rng(seed).normal(mean, sigma, data.shape)


def _random_uniform(seed: int, data: np.ndarray, low: float, high: float) -> None:
    data[...] = np.random.default_rng(seed).uniform(low, high, data.shape)


def _truncated_normal(seed: int, data: np.ndarray, low: float, high: float, mean: float, sigma: float) -> None:
    data[...] = truncated_normal(np.random.default_rng(seed), mean, sigma, low, high, data.shape)


__getattr__ = module_getattr("mindspore._c_expression")
