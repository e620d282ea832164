"""`mindspore.dataset.config`: the seed of the datasets' shuffles, the debug-mode and shared-memory flags (recorded only: the
pipelines here already run in the caller's thread, one row at a time, as MindSpore's debug mode runs them)."""
from __future__ import annotations

import numpy as np

_state: dict = {"seed": None, "rng": None, "debug_mode": False, "active": None, "shared_mem": True,
                 "callback_timeout": 60, "autotune": False}


# MindSpore's default seed (std::mt19937's): get_seed's answer until one is set, and set to it, its shuffles are
# unseeded (each run draws anew: MindSpore 2.10 gives other orders in each process for both)
_DEFAULT_SEED = 5489


def set_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError("seed isn't of type int.")  # (MindSpore 2.10's text)
    if not 0 <= seed < 2**32:
        raise ValueError(f"dataset.config.set_seed: seed must be an int in [0, 2**32), got {seed!r}")
    _state["seed"] = seed
    _state["rng"] = None if seed == _DEFAULT_SEED else np.random.RandomState(seed)


def get_seed() -> int:
    return _DEFAULT_SEED if _state["seed"] is None else _state["seed"]


def _generator():
    """The generator random steps draw from: the running iterator's (see _for_iterator), else set_seed's."""
    return _state.get("active") or _state["rng"]


def _for_iterator():
    """A generator of its own for a new iterator, from the seed: MindSpore 2.10 restarts a seeded pipeline's draws
    at each new iterator (two iterators give the same order; the epochs of one iterator differ). None unseeded."""
    return None if _state["rng"] is None else np.random.RandomState(_state["seed"])


def _activate(gen):
    """Makes gen the running iterator's generator; returns the one it replaces (to put back)."""
    saved, _state["active"] = _state.get("active"), gen
    return saved


def set_debug_mode(debug_mode_flag: bool, debug_hook_list: list | None = None) -> None:
    """MindSpore 2.10's argument checks and texts; a debug hook must be a `dataset.debug.DebugHook`, which
    gradserve does not have, so any item in the list is refused as MindSpore refuses a non-hook."""
    if not isinstance(debug_mode_flag, bool):
        raise TypeError("debug_mode_flag isn't of type boolean.")
    if debug_hook_list is not None:
        if not isinstance(debug_hook_list, list):
            raise TypeError("debug_hook_list is not a list.")
        if debug_hook_list:
            raise TypeError("All items in debug_hook_list must be of type DebugHook.")
    _state["debug_mode"] = debug_mode_flag


def get_debug_mode() -> bool:
    return _state["debug_mode"]


def set_enable_shared_mem(enable: bool) -> None:
    """A flag only (no worker processes here to share memory with); MindSpore 2.10's check and text."""
    if not isinstance(enable, bool):
        raise TypeError("enable must be of type bool.")
    _state["shared_mem"] = enable


def set_enable_autotune(enable: bool, filepath_prefix=None) -> None:
    """A flag only (no worker counts or queue sizes here to tune); MindSpore 2.10's checks and texts."""
    if not isinstance(enable, bool):
        raise TypeError("enable must be of type bool.")
    if filepath_prefix is not None and not isinstance(filepath_prefix, str):
        raise TypeError(f"json_filepath must be a str value but was: {filepath_prefix}.")
    _state["autotune"] = enable


def get_enable_autotune() -> bool:
    return _state["autotune"]


def set_callback_timeout(timeout: int) -> None:
    """WaitedDSCallback's wait in seconds (named in its error only: the pipeline here never waits); MindSpore 2.10's
    checks and texts, 60 by default."""
    if isinstance(timeout, bool) or not isinstance(timeout, int):
        raise TypeError("timeout isn't of type int.")
    if not 0 < timeout < 2**31:
        raise ValueError("Timeout given is not within the required range.")
    _state["callback_timeout"] = timeout


def get_callback_timeout() -> int:
    return _state["callback_timeout"]


def get_enable_shared_mem() -> bool:
    return _state["shared_mem"]  # (True by default, as MindSpore 2.10 on Linux)


__all__ = ["set_seed", "get_seed", "set_debug_mode", "get_debug_mode", "set_enable_shared_mem",
           "get_enable_shared_mem", "set_callback_timeout", "get_callback_timeout", "set_enable_autotune",
           "get_enable_autotune"]


def set_num_parallel_workers(num: int) -> None:
    """The default worker count of the datasets and maps (recorded only: the pipeline here runs in the caller's
    thread); MindSpore 2.10's checks and texts, its bound the machine's CPUs."""
    import os

    if isinstance(num, bool) or not isinstance(num, int):
        raise TypeError("num isn't of type int.")
    if not 0 < num <= 2**31 - 1:
        raise ValueError("Number of parallel workers given is not within the required range (0, "
                         "INT32_MAX(2147483647)].")
    cpus = os.cpu_count() or 1
    if num > cpus:
        raise RuntimeError(f"Syntax error. Invalid Parameter, num_parallel_workers exceeds the boundary between 1 and "
                           f"{cpus}, as got {num}.")
    _state["workers"] = num


def get_num_parallel_workers() -> int:
    """8 by default, at most the machine's CPUs (MindSpore 2.10 gives 2 on a 2-CPU machine)."""
    import os

    return _state.get("workers") or min(8, os.cpu_count() or 1)
