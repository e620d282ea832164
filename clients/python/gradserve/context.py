"""`set_context(mode=GRAPH_MODE | PYNATIVE_MODE, device_target="CPU"|"GPU"|"Ascend", server=...)`.

GRAPH_MODE traces a cell once per input signature and reuses the registered graph;
PYNATIVE_MODE (the default, MindSpore 2.x's) traces `construct` again on a call (its Python runs each
time: a changed attribute, global or sub-cell is seen) unless all the Python read is provably unchanged
(gradserve._pyguard); a jit function is traced once per signature in either mode (traces_cached, below). Both compute on the service. `device_target` routes jobs to that device pool.

Operator overrides (environment, win over set_context): `GRADSERVE_SERVER` (URL),
`GRADSERVE_DEVICE` (cpu|gpu|ascend[:i]), `GRADSERVE_API_KEY`.
"""
from __future__ import annotations

import os
import threading
from typing import Any

from . import _context_checks
from ._client import Client, normalize_device
from ._jit_forbidden import refuse

GRAPH_MODE = 0
PYNATIVE_MODE = 1
# jit_syntax_level's values (MindSpore's numbers): how much Python its graph compiler accepts; tracing runs the
# Python itself, so every level behaves alike here but for STRICT's GRAPH_MODE Cell outputs (dicts leave as tuples: _cellbase)
STRICT, COMPATIBLE, LAX = 0, 1, 2

_DEFAULTS = {"max_loop_trips": 1000, "mode": PYNATIVE_MODE, "device_target": "CPU", "device_id": None, "server": None, "api_key": None,
             "timeout": 60.0, "max_retries": None, "transport": None, "http_transport": None, "deadline_ms": None,
             "binary_threshold": 1024, "shared_memory": None, "unix_socket": None}
# MindSpore options with nothing to do on a service (compilation, memory, logging): accepted, kept
# for get_context, no effect on results
_MINDSPORE_ONLY = ("jit_level", "jit_config", "save_graphs", "save_graphs_path", "max_call_depth",
                   "enable_graph_kernel", "graph_kernel_flags", "pynative_synchronize", "enable_compile_cache",
                   "compile_cache_path", "runtime_num_threads", "inter_op_parallel_num", "memory_optimize_level",
                   "max_device_memory", "mempool_block_size", "variable_memory_max_size", "print_file_path",
                   "deterministic", "precompile_only", "debug_level", "reserve_class_name_in_scope", "check_bprop",
                   "enable_reduce_precision", "op_timeout", "ascend_config", "gpu_config", "support_binary",
                   "env_config_path", "auto_tune_mode", "grad_for_scalar", "enable_sparse", "aoe_tune_mode",
                   "enable_dump", "save_dump_path", "device_type", "jit_syntax_level")
_DEFAULTS.update({k: None for k in _MINDSPORE_ONLY})


class _Options(dict):
    """The context's options: a dict whose every write bumps `writes`, so that a PyNative trace's guard on
    them is one comparison (_pyguard) instead of ~50 identity checks a call."""

    __slots__ = ("writes",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writes = 0

    def __setitem__(self, key, value):
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key):
        self.writes += 1
        super().__delitem__(key)

    def __ior__(self, other: Any) -> "_Options":  # type: ignore[misc]  # (typeshed: dict.__or__ gives a dict)
        self.writes += 1
        return super().__ior__(other)

    def update(self, *args, **kwargs):
        self.writes += 1
        super().update(*args, **kwargs)

    def setdefault(self, key, default=None):
        self.writes += 1
        return super().setdefault(key, default)

    def pop(self, *args):
        self.writes += 1
        return super().pop(*args)

    def popitem(self):
        self.writes += 1
        return super().popitem()

    def clear(self):
        self.writes += 1
        super().clear()


_state: _Options = _Options(_DEFAULTS)
_client = None
_lock = threading.Lock()
_CLIENT_KEYS = ("server", "api_key", "timeout", "max_retries", "transport", "http_transport", "binary_threshold",
                "shared_memory", "unix_socket")


def set_context(**kwargs) -> None:
    """MindSpore 2.10's argument types checked first (_context_checks); then as set_context.__wrapped__."""
    _context_checks.check_types(kwargs)
    _set_context(**kwargs)


def _set_context(**kwargs) -> None:
    """Set execution options (unknown keys raise). Client options: server, api_key, timeout,
    max_retries, transport ("http" | "grpc"), http_transport (an httpx transport), deadline_ms, shared_memory
    (None: large tensors through shared memory when the server is on this host; False: never), unix_socket
    (None: the server's Unix socket when it is on this host; False: never; a path: that socket).
    max_loop_trips (default 1000): the bound of a `while` on a traced value in construct; a loop
    still running after that many trips is an error of the run, not a truncated result."""
    global _client
    unknown = set(kwargs) - set(_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown context option(s) {sorted(unknown)}; known: {sorted(_DEFAULTS)}")
    if "mode" in kwargs and kwargs["mode"] not in (GRAPH_MODE, PYNATIVE_MODE):
        raise ValueError("mode must be GRAPH_MODE or PYNATIVE_MODE")
    if "max_loop_trips" in kwargs and (not isinstance(kwargs["max_loop_trips"], int)
                                       or isinstance(kwargs["max_loop_trips"], bool) or kwargs["max_loop_trips"] < 1):
        raise ValueError(f"max_loop_trips must be a positive int, got {kwargs['max_loop_trips']!r}")
    _context_checks.check_values(kwargs)
    if "device_target" in kwargs:
        normalize_device(kwargs["device_target"])  # validate the spelling before anything changes
    device: dict[str, Any] = {k: kwargs.pop(k) for k in ("device_target", "device_id") if k in kwargs}
    if "mode" in kwargs and kwargs["mode"] != _state.get("mode"):
        _mode_changed()
    with _lock:
        _state.update(kwargs)
        if any(k in kwargs for k in _CLIENT_KEYS) and _client is not None:
            _client.close()
            _client = None
    if "device_target" in device:  # against the server just set, if any
        _check_served(device["device_target"], device.get("device_id"))
    _state.update(device)
    if "deterministic" in kwargs:
        _context_checks.apply_deterministic(kwargs["deterministic"])


set_context.__wrapped__ = _set_context  # type: ignore[attr-defined]  # (MindSpore's: no argument type checks)
K_CONTEXT = None  # MindSpore's module-level singleton name; its _context() is below


class _Context:
    """MindSpore's context object (context._context()): get_param / set_param over these options."""

    def get_param(self, key: str):
        return get_context(key)

    def set_param(self, key: str, value) -> None:
        set_context(**{key: value})


def _context() -> _Context:
    return _Context()


def get_jit_config() -> dict:
    """The jit_config last set (MindSpore 2.10: the dict given, whole)."""
    return dict(_state.get("jit_config") or {})


def _check_served(device_target: str, device_id: int | None) -> None:
    """MindSpore raises at set_context when the target is not there (a CPU-only install asked for
    GPU) and keeps the old one; the service's equivalent is a server without that pool. Asked once of
    the server; a server not reachable yet (or an operator's GRADSERVE_DEVICE override) defers the
    check to the first job, which gets the server's 503 device_unavailable."""
    dev = normalize_device(device_target) or ""  # validates the spelling
    if dev == "cpu" or os.environ.get("GRADSERVE_DEVICE"):
        return
    try:  # one quick question, no retries (a server not up yet must not stall set_context)
        pools = client().devices(retries=False, timeout=5.0).get("pools", [])
    except Exception:  # no server yet: the job will say
        return
    served = {p.get("device") for p in pools} | {d for p in pools for d in p.get("devices", [])}
    want = f"{dev}:{int(device_id)}" if device_id is not None else dev
    if want not in served:
        raise RuntimeError(f"Unsupported device target {device_target}: the gradserve server at "
                           f"{client().base_url} serves {sorted(x for x in served if x)}; the device target "
                           f"stays {_state['device_target']!r}")


def max_loop_trips() -> int:
    """The `max_trips` of the `while` a loop on a traced value becomes (set_context(max_loop_trips=...))."""
    return int(_state["max_loop_trips"])


def precompile_only() -> bool:
    """MindSpore's MS_DEV_PRECOMPILE_ONLY=1: a graph call (a GRAPH_MODE Cell or grad, a jit function) is compiled
    (traced here) and returns None without running."""
    if _ENV_DATA is None:
        return os.environ.get("MS_DEV_PRECOMPILE_ONLY") == "1"
    return _ENV_DATA.get(_ENV_PRECOMPILE) == _ENV_ONE  # (asked on every graph call: as _env_device, below)


def get_context(attr_key: str):
    """MindSpore 2.10's get_context(attr_key) (its tests pass the keyword)."""
    refuse("function", "mindspore.context.get_context")  # (in a program's graph: MindSpore's refusal)
    if attr_key not in _state:
        raise ValueError(f"unknown context option {attr_key!r}")
    return _state[attr_key]


def syntax_level() -> int:
    """jit_syntax_level in force: MindSpore 2.10's environment variable MS_DEV_JIT_SYNTAX_LEVEL (0 STRICT, 1
    COMPATIBLE, 2 LAX), read at each call as MindSpore reads it at each compile, over the context option."""
    env = os.environ.get("MS_DEV_JIT_SYNTAX_LEVEL", "").strip()
    return int(env) if env in ("0", "1", "2") else _state["jit_syntax_level"]


# the count that makes cached traces stale when it changes (gradserve._trace.mode_epoch is this list): bumped
# here on a mode change, as `x += y` on a traced value is in place in GRAPH_MODE only (ops/_inplace._augmented)
mode_epoch = [0]


def _mode_changed() -> None:
    mode_epoch[0] += 1


def traces_cached(compiled: bool = False) -> bool:
    """Whether a trace is reused for the next call of the same signature: a compiled one's (a jit function, a
    one-op eager call: MindSpore compiles those once in either mode) and, in GRAPH_MODE, every one. PyNative
    (the default) traces a Cell / derivative every call afresh: MindSpore runs its Python each time, so a
    changed attribute, global, sub-cell or captured Tensor must be seen (a cached trace would keep the old);
    there a trace is reused only while guards on what it read hold (gradserve._pyguard, _trace.run_program)."""
    return compiled or _state["mode"] == GRAPH_MODE


def reset_context() -> None:
    """Back to the defaults (closes the shared client)."""
    global _client
    if _state.get("mode") != _DEFAULTS["mode"]:
        _mode_changed()
    with _lock:
        _state.clear()
        _state.update(_DEFAULTS)
        if _client is not None:
            _client.close()
            _client = None


# device() runs on every job: os.environ.get is a Mapping lookup, a key encoding and (unset) a caught
# KeyError (~1/3 of device()'s instructions); CPython's os.environ keeps its encoded names in a dict, read
# directly where it exists (set/delenv update that dict, so the override still takes effect at once)
_ENV_DATA = getattr(os.environ, "_data", None)
_ENV_DEVICE = os.environ.encodekey("GRADSERVE_DEVICE") if _ENV_DATA is not None else None  # type: ignore[attr-defined]
_ENV_PRECOMPILE = os.environ.encodekey("MS_DEV_PRECOMPILE_ONLY") if _ENV_DATA is not None else None  # type: ignore[attr-defined]
_ENV_ONE = os.environ.encodevalue("1") if _ENV_DATA is not None else None  # type: ignore[attr-defined]
_env_memo: list = [None, ""]  # (the last GRADSERVE_DEVICE value, its normalized device)


def _env_device() -> str | None:
    """GRADSERVE_DEVICE normalized (the operator's override), None when unset or empty."""
    if _ENV_DATA is None:
        raw: Any = os.environ.get("GRADSERVE_DEVICE")
    else:
        raw = _ENV_DATA.get(_ENV_DEVICE)
    if not raw:
        return None
    if raw != _env_memo[0]:
        value = os.environ.decodevalue(raw) if _ENV_DATA is not None else raw  # type: ignore[attr-defined]
        _env_memo[:] = [raw, normalize_device(value) or ""]
    return _env_memo[1]


def device() -> str:
    """The API's device field for jobs of the front end."""
    env = _env_device()
    if env is not None:
        return env
    target, device_id = _state["device_target"], _state["device_id"]
    memo = _device_memo[0]
    if target is memo[0] and device_id is memo[1]:  # (asked on every job)
        return memo[2]
    dev = normalize_device(target) or ""
    if device_id is not None and ":" not in dev:
        dev = f"{dev}:{int(device_id)}"
    _device_memo[0] = (target, device_id, dev)
    return dev


# [(device_target, device_id, the device they gave)]: one tuple, replaced whole and read once (threads)
_device_memo: list = [(object(), None, "")]


def client():
    """The shared `Client` the front end uses (created on first use from the context)."""
    global _client
    c = _client  # (asked on every job: no lock once it exists)
    if c is not None:
        return c
    with _lock:
        if _client is None:
            _client = Client(os.environ.get("GRADSERVE_SERVER") or _state["server"], api_key=_state["api_key"],
                             timeout=_state["timeout"], max_retries=_state["max_retries"],
                             transport=_state["transport"], http_transport=_state["http_transport"],
                             binary_threshold=_state["binary_threshold"], deadline_ms=_state["deadline_ms"],
                             shared_memory=_state["shared_memory"], unix_socket=_state["unix_socket"])
        return _client


def set_device(device_target: str, device_id: int | None = None) -> None:
    """MindSpore 2.x `set_device("CPU" | "GPU" | "Ascend", device_id=None)`."""
    opts: dict[str, Any] = {"device_target": device_target}
    if device_id is not None:
        opts["device_id"] = int(device_id)
    set_context(**opts)
