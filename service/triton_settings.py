"""Triton's trace and log settings (HTTP /v2/trace/setting, /v2/models/<m>/trace/setting, /v2/logging; gRPC
TraceSetting, LogSettings): kept and answered as Triton's server does (its values, its validation texts), so that
tritonclient's get/update_trace_settings and get/update_log_settings work. They change nothing here: traces are
OpenTelemetry spans (--otel) and the log level is set at start (--log-level); docs/MODELS.md says so.
Values are Triton's strings (a trace level a list); a name Triton does not know is refused by name (Triton
skips it), as is a trace level it does not know.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import InvalidRequest, ServiceError

# Triton's codes for what it refuses beside INVALID_ARG (its HTTP server's HttpCodeFromError: UNSUPPORTED is 501,
# UNAVAILABLE 503; gRPC UNIMPLEMENTED, UNAVAILABLE)
UNSUPPORTED, UNAVAILABLE = "not_implemented", "backend_unavailable"

TRACE_DEFAULT = {"trace_level": ["OFF"], "trace_rate": "1000", "trace_count": "-1", "log_frequency": "0",
                 "trace_file": "", "trace_mode": "triton"}  # Triton's defaults (no --trace-config)
LOG_DEFAULT = {"log_file": "", "log_info": True, "log_warning": True, "log_error": True, "log_verbose_level": 0,
               "log_format": "default"}
LEVELS = ("TIMESTAMPS", "TENSORS")  # (in the order Triton lists a level's flags)
_STOI = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")  # what C++'s stoi reads of a string: its leading integer
# (name, lowest, highest, the range Triton's out-of-range text names)
_INTS = {"trace_rate": (0, 2 ** 32 - 1, "[ 0, 4294967295 ]"), "trace_count": (-1, 2 ** 31 - 1, "[ -1, 2147483647 ]"),
         "log_frequency": (0, 2 ** 32 - 1, "[ 0, 4294967295 ]")}


def _stoi(name: str, text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidRequest(f"'{name}' must be a string (an integer's text)", path=f"$.{name}")
    m = _STOI.match(text)
    if m is None:
        raise InvalidRequest(f"Unable to parse '{name}', got: {text}", path=f"$.{name}")
    low, high, shown = _INTS[name]
    v = int(m[1]) if len(m[1]) <= 21 else 2 ** 64
    if name == "trace_count" and -2 ** 31 <= v < low:
        raise InvalidRequest(f"Unable to parse 'trace_count'. Expecting value >= -1, got:{text}", path="$.trace_count")
    if not low <= v <= high:
        raise InvalidRequest(f"Unable to parse '{name}', value is out of range {shown}, got: {text}", path=f"$.{name}")
    return str(v)


def _level(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InvalidRequest("'trace_level' must be a list of strings (OFF, TIMESTAMPS, TENSORS)", path="$.trace_level")
    if "OFF" in value and len(value) > 1:
        raise InvalidRequest("Expect only one trace level 'OFF' is specified", path="$.trace_level")
    unknown = [x for x in value if x not in ("OFF", *LEVELS)]
    if unknown:
        raise InvalidRequest(f"unknown trace level(s) {unknown} (OFF, TIMESTAMPS, TENSORS)", path="$.trace_level")
    return ["OFF"] if value == ["OFF"] or not value else [x for x in LEVELS if x in value]


class TritonSettings:
    """The server's trace settings, each model's overrides (a model's setting falls back to the server's until
    set; null clears it again), and its log settings."""

    def __init__(self) -> None:
        self.trace: dict[str, Any] = dict(TRACE_DEFAULT)
        self.model_trace: dict[str, dict[str, Any]] = {}
        self.log: dict[str, Any] = dict(LOG_DEFAULT)

    def trace_of(self, model: str | None) -> dict:
        return {**self.trace, **self.model_trace.get(model or "", {})} if model else dict(self.trace)

    def update_trace(self, model: str | None, body: dict) -> dict:
        """Triton's checks, all before any change (a refused request changes nothing); the settings after."""
        unknown = sorted(set(body) - set(TRACE_DEFAULT))
        if unknown:
            raise InvalidRequest(f"unknown trace setting(s) {unknown} (known: {sorted(TRACE_DEFAULT)})", path="$")
        if "trace_file" in body:
            raise ServiceError("trace file location can not be updated through network protocol", code=UNSUPPORTED)
        if "trace_mode" in body:
            raise InvalidRequest("trace mode can not be updated through network protocol", path="$")
        # (a level list [] sets nothing, as Triton's HTTP reads it: no level in it; gRPC's empty value is a null)
        new = {k: None if v is None else _level(v) if k == "trace_level" else _stoi(k, v) for k, v in body.items()
               if not (k == "trace_level" and v == [])}
        target = self.model_trace.setdefault(model, {}) if model else self.trace
        for k, v in new.items():
            if v is None:  # Triton's "clear": a model's falls back to the server's, the server's to its start
                target.pop(k, None) if model else target.__setitem__(k, TRACE_DEFAULT[k])
            else:
                target[k] = v
        return self.trace_of(model)

    def update_log(self, body: dict) -> dict:
        unknown = sorted(set(body) - set(LOG_DEFAULT))
        if unknown:
            raise InvalidRequest(f"unknown log setting(s) {unknown} (known: {sorted(LOG_DEFAULT)})", path="$")
        body = {k: v for k, v in body.items() if v is not None}  # (Triton skips a null)
        if "log_file" in body:
            raise ServiceError("log file location can not be updated through network protocol", code=UNSUPPORTED)
        for k in ("log_info", "log_warning", "log_error"):
            if k in body and not isinstance(body[k], bool):
                raise InvalidRequest(f"'{k}' must be true or false", path=f"$.{k}")
        v = body.get("log_verbose_level", 0)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2 ** 32:
            raise InvalidRequest("'log_verbose_level' must be an unsigned integer", path="$.log_verbose_level")
        if body.get("log_format", "default") not in ("default", "ISO8601"):
            raise ServiceError(f"invalid argument for --log_format, got: {body['log_format']}", code=UNAVAILABLE)
        self.log.update(body)
        return dict(self.log)
