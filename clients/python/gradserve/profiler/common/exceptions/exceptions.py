"""`mindspore.profiler.common.exceptions.exceptions`: the profiler's exceptions with MindSpore 2.10's texts and codes
(str: "[<class>] code: <8 hex digits>, msg: <message>"; args: the message alone; http_code 400)."""
from __future__ import annotations

from typing import Any

from .error_code import ProfilerErrorMsg, ProfilerErrors

__all__ = ["ProfilerException", "ProfilerParamValueErrorException", "ProfilerPathErrorException",
           "ProfilerParamTypeErrorException"]


class ProfilerException(Exception):
    """The profiler's base exception: an error number, a message (runs of whitespace made one space), an http code."""
    RUNTIME = 1
    TYPE = 1
    LEVEL = 0
    SYSID = 42
    _MODULE = 6  # the profiler's module id in the code

    def __init__(self, error: ProfilerErrors, message: Any, http_code: int = 500) -> None:
        if isinstance(message, str):
            message = " ".join(message.split())
        super().__init__(message)
        self.error = error
        self.message = message
        self.http_code = http_code

    def __str__(self) -> str:
        return f"[{type(self).__name__}] code: {self.error_code}, msg: {self.message}"

    @property
    def error_code(self) -> str:
        """The code as 8 upper-case hex digits: runtime, type, level, system, module and error number packed."""
        num = ((self.RUNTIME & 0xFF) << 30 | (self.TYPE & 0xFF) << 28 | (self.LEVEL & 0xFF) << 25
               | (self.SYSID & 0xFF) << 17 | (self._MODULE & 0xFF) << 12 | (self.error.value & 0x0FFF))
        return f"{num:08X}"


def _general(exc: ProfilerException, kind: ProfilerErrors, msg: Any) -> None:
    """One of the general errors: the caller's text in its template, http code 400 (a function, not a base
    class: MindSpore's classes derive from ProfilerException directly)."""
    ProfilerException.__init__(exc, kind, ProfilerErrorMsg[kind.name].value.format(msg), http_code=400)


class ProfilerParamValueErrorException(ProfilerException):
    """A parameter's value is wrong."""

    def __init__(self, msg: Any) -> None:
        _general(self, ProfilerErrors.PARAM_VALUE_ERROR, msg)


class ProfilerPathErrorException(ProfilerException):
    """A path is wrong (too long, a soft link, odd characters, missing, not the user's ...)."""

    def __init__(self, msg: Any) -> None:
        _general(self, ProfilerErrors.PATH_ERROR, msg)


class ProfilerParamTypeErrorException(ProfilerException):
    """A parameter's type is wrong."""

    def __init__(self, msg: Any) -> None:
        _general(self, ProfilerErrors.PARAM_TYPE_ERROR, msg)
