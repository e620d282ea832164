"""What `device_context` setters record, and the checks they share (MindSpore's classes and texts)."""
from __future__ import annotations

from typing import Any

_RECORDED: dict[str, Any] = {}


def recorded() -> dict[str, Any]:
    """The settings made so far, by their MindSpore name (`cpu.threads_num`, `gpu.matmul_allow_tf32`, ...)."""
    return dict(_RECORDED)


def record(name: str, value: Any, kind: type, arg: str, once: bool = False) -> None:
    """Check the argument `arg` (`value`) is a `kind` (bool is not an int here, as MindSpore's args_type_check) and record it; a
    `once` setting set a second time is a RuntimeError, as MindSpore's runtime settings."""
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"The parameter '{arg}' must be {kind}, but got {type(value)}")
    if once and name in _RECORDED:
        raise RuntimeError(f"The '{name.rsplit('.', 1)[-1]}' can not be set repeatedly.")
    _RECORDED[name] = value


def absent(device: str) -> RuntimeError:
    return RuntimeError(f"Device {device} not exist.")
