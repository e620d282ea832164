"""Triton's trace and log settings (HTTP /v2/trace/setting, /v2/models/<m>/trace/setting, /v2/logging; gRPC
TraceSetting, LogSettings): kept and answered as Triton's server does (its values, its validation texts), so that
tritonclient's get/update_trace_settings and get/update_log_settings work. They change nothing here: traces are
OpenTelemetry spans (--otel) and the log level is set at start (--log-level); docs/MODELS.md says so.
Values are Triton's strings (a trace level a list); a name Triton does not know is refused by name (Triton
skips it), as is a trace level it does not know; `trace_mode` is taken when it names the mode in use
('triton'; Triton skips the name, whatever its value) and refused otherwise.
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
        mode = body.get("trace_mode")
        if mode not in (None, TRACE_DEFAULT["trace_mode"]):  # (Triton reads no trace_mode from a request)
            raise InvalidRequest(f"trace_mode can not be updated through network protocol: Triton's HTTP and gRPC "
                                 f"trace settings skip it, its mode is --trace-config's at start (here always "
                                 f"'triton'), got: {mode}", path="$.trace_mode")
        # (a level list [] sets nothing, as Triton's HTTP reads it: no level in it; gRPC's empty value is a null)
        new = {k: None if v is None else _level(v) if k == "trace_level" else _stoi(k, v) for k, v in body.items()
               if k != "trace_mode" and not (k == "trace_level" and v == [])}
        target = self.model_trace.setdefault(model, {}) if model else self.trace
        for k, v in new.items():
            if v is None:  # Triton's "clear": a model's falls back to the server's, the server's to its start
                target.pop(k, None) if model else target.__setitem__(k, TRACE_DEFAULT[k])
            else:
                target[k] = v
        return self.trace_of(model)

    def update_log(self, body: dict, grpc: bool = False) -> dict:
        """Triton's HandleLogging / LogSettings: log_file refused first, then each setting read and applied in
        Triton's order before the next is read, so a request refused at one keeps those applied before it (an
        unknown name is refused before any). HTTP skips a null; gRPC reads a value of no kind (None) as the wrong
        kind. Texts per protocol, as Triton words them (2.41's http_server.cc and grpc_server.cc)."""
        unknown = sorted(set(body) - set(LOG_DEFAULT))
        if unknown:
            raise InvalidRequest(f"unknown log setting(s) {unknown} (known: {sorted(LOG_DEFAULT)})", path="$")
        if "log_file" in body and (grpc or body["log_file"] is not None):
            raise ServiceError("log file location can not be updated through network protocol", code=UNSUPPORTED)
        for k in _LOG_ORDER:
            if k in body and (grpc or body[k] is not None):
                self.log[k] = _log_value(k, body[k], grpc)
        return dict(self.log)


_LOG_ORDER = ("log_info", "log_warning", "log_error", "log_verbose_level", "log_format")  # (Triton's)
# what each setting must be: (its Python type, Triton's HTTP text (TritonJson's As*), gRPC's kind word)
_LOG_KIND = {"log_verbose_level": (int, "attempt to access JSON non-unsigned-integer as unsigned-integer", "int32"),
             "log_format": (str, "attempt to access JSON non-string as string", "string")}


def _log_value(k: str, v: Any, grpc: bool) -> Any:
    kind, http_text, word = _LOG_KIND.get(k, (bool, "attempt to access JSON non-boolean as boolean", "boolean"))
    if not isinstance(v, kind) or (kind is int and (isinstance(v, bool) or v < 0)):
        raise InvalidRequest(f"expect {word} for '{k}'" if grpc else http_text, path=f"$.{k}")
    if k == "log_verbose_level" and v >= 2 ** 32:  # (Triton's HTTP takes a uint64 and casts it to int32)
        raise InvalidRequest("'log_verbose_level' must be below 2^32", path="$.log_verbose_level")
    if k == "log_format" and v not in ("default", "ISO8601"):
        # (HTTP's is UNAVAILABLE with the command line's flag name; gRPC's INVALID_ARG without the dashes)
        if grpc:
            raise InvalidRequest(f"invalid argument for log_format, got: {v}", path="$.log_format")
        raise ServiceError(f"invalid argument for --log_format, got: {v}", code=UNAVAILABLE)
    return v
