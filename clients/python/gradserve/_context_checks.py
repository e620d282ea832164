"""MindSpore 2.10's set_context argument checks (its args_type_check and value checks, texts as it gives them;
probed on CPU): a wrong type is its TypeError and nothing is set (a device_id of "cpu" was stored and broke every
later job), device_id in [0, 4095], deterministic 'ON' / 'OFF' (with the environment variables it sets),
jit_config's keys and values. `set_context.__wrapped__` is the call without the type checks, as MindSpore's."""
from __future__ import annotations

import os
from typing import Any

# MindSpore 2.10's args_type_check of set_context (the options kept here)
_TYPES: dict[str, Any] = {
    "mode": int, "precompile_only": bool, "device_target": str, "device_id": int, "save_graphs": (bool, int),
    "save_graphs_path": str, "enable_dump": bool, "save_dump_path": str, "print_file_path": str,
    "max_device_memory": str, "variable_memory_max_size": str, "mempool_block_size": str, "deterministic": str,
    "jit_config": dict, "ascend_config": dict, "gpu_config": dict, "max_call_depth": int, "runtime_num_threads": int,
    "inter_op_parallel_num": int, "memory_optimize_level": str, "op_timeout": int, "aoe_tune_mode": str,
    "env_config_path": str, "check_bprop": bool, "enable_reduce_precision": bool, "enable_compile_cache": bool,
    "compile_cache_path": str, "reserve_class_name_in_scope": bool, "pynative_synchronize": bool,
    "enable_graph_kernel": bool, "graph_kernel_flags": str, "support_binary": bool, "debug_level": int,
}
_JIT_CONFIG = {"jit_level": ["O0", "O1", "O2"], "infer_boost": ["on", "off"]}
_DETERMINISTIC_ENV = {"HCCL_DETERMINISTIC": "true", "TE_PARALLEL_COMPILER": "1"}


def check_types(kwargs: dict) -> None:
    for key, value in kwargs.items():
        want = _TYPES.get(key)
        if want is not None and not isinstance(value, want):
            raise TypeError(f"The parameter '{key}' must be {want}, but got {type(value)}")


def check_values(kwargs: dict) -> None:
    device_id = kwargs.get("device_id")
    if isinstance(device_id, int) and not 0 <= device_id <= 4095:
        raise ValueError("For 'context.set_context', the argument 'device_id' must be in range [0, 4095], but got "
                         f"{device_id}.")
    if "deterministic" in kwargs and kwargs["deterministic"] not in ("ON", "OFF"):
        raise ValueError("For 'context.set_context', the argument 'deterministic' must be one of ['ON', 'OFF'], but "
                         f"got {kwargs['deterministic']}.")
    config = kwargs.get("jit_config")
    if isinstance(config, dict):
        for key, value in config.items():
            if key not in _JIT_CONFIG:
                raise ValueError("For 'context.set_context', the key of argument 'jit_config' must be one of "
                                 f"{_JIT_CONFIG}, but got {key}.")
            if value not in _JIT_CONFIG[key]:
                raise ValueError(f"For 'jit_config', the value of argument {key} must be one of {_JIT_CONFIG[key]}, "
                                 f"but got {value}.")


def apply_deterministic(value: str) -> None:
    """MindSpore sets these for its Ascend runtime ('ON') and removes them ('OFF'); programs read them back."""
    for name, on in _DETERMINISTIC_ENV.items():
        if value == "ON":
            os.environ[name] = on
        else:
            os.environ.pop(name, None)
