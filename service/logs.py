"""Logging: text or JSON lines (--log-format), the optional access log (--access-log), and the same
setup in worker processes (they inherit GRADSERVE_LOG_FORMAT / GRADSERVE_LOG_LEVEL from the server).

A text line is one record: what a client named (a path, a model or node name) may hold newlines or terminal
escapes, which are written as escapes (`one_line`), and a traceback's lines are indented, so a request cannot
forge a line of its own or recolour a terminal (JSON lines escape them by JSON's rules).

A JSON line is one object: ts (ISO 8601, UTC), level, logger, message, the fields passed as
`extra=` (e.g. the access log's method, path, status, ms, request_id), and exc (the traceback).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime, timezone

from .errors import MESSAGE_CHARS, clip
from .millis import ms3

# attributes every LogRecord has: anything else on a record came in through `extra=`
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# C0 controls but tab, DEL, C1 controls and Unicode's line / paragraph separators: as Python escapes them
_ESCAPES = {c: ascii(chr(c))[1:-1] for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029] if c != 0x09}


def one_line(text: str) -> str:
    """text with no line break or terminal control left in it (each written as its escape, e.g. \\n, \\x1b)."""
    return text.translate(_ESCAPES)


class TextFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        return one_line(super().formatMessage(record))

    def formatException(self, ei) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


def _indented(text: str) -> str:
    """A traceback's lines, each indented: no line of it reads as a record of its own (its last line holds the
    exception's message, which may hold what a client sent)."""
    return "\n".join("  " + one_line(line) for line in text.splitlines())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        d = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
             "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if record.process is not None:
            d["pid"] = record.process
        for k, v in vars(record).items():
            if k not in _STANDARD and not k.startswith("_"):
                d[k] = v
        if record.exc_info:
            d["exc"] = self.formatException(record.exc_info)
        return json.dumps(d, default=str, separators=(",", ":"))


def configure(fmt: str = "text", level: str = "info") -> None:
    """The root handler (stderr) in the chosen format; uvicorn's loggers go through it too."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True


def setup(settings) -> None:
    """The server's logging; worker processes started later read the same choice from the environment."""
    configure(settings.log_format, settings.log_level)
    os.environ["GRADSERVE_LOG_FORMAT"] = settings.log_format
    os.environ["GRADSERVE_LOG_LEVEL"] = settings.log_level


def setup_worker() -> None:
    configure(os.environ.get("GRADSERVE_LOG_FORMAT", "text"), os.environ.get("GRADSERVE_LOG_LEVEL", "info"))


class AccessLog:
    """ASGI middleware: one line per HTTP request, whatever its outcome (200, 429, 504, 499 when the
    client went away first), with the request id the client sent (X-Request-ID) when there is one (it and the
    path clipped to MESSAGE_CHARS)."""

    def __init__(self, app, logger: str = "gradserve.access"):
        self.app = app
        self.log = logging.getLogger(logger)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = [499]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)
        try:
            await self.app(scope, receive, send_wrapper)
        except BaseException:
            status[0] = 500
            raise
        finally:
            headers = dict(scope.get("headers") or ())
            rid = clip(headers.get(b"x-request-id", b"").decode("latin-1"), MESSAGE_CHARS) or None
            client = scope.get("client")
            ms = ms3((time.perf_counter() - t0) * 1e3)
            path = clip(scope["path"], MESSAGE_CHARS)  # (clipped, as rid: a request head may be max_header_bytes)
            self.log.info("%s %s %s %.1fms", scope["method"], path, status[0], ms,
                          extra={"method": scope["method"], "path": path, "status": status[0], "ms": ms,
                                 "request_id": rid, "client": f"{client[0]}:{client[1]}" if client else None})
