"""The profiler's error numbers and message templates, as MindSpore 2.10 numbers and words them (its
ProfilerPathErrorException reads "[ProfilerPathErrorException] code: 50546081, msg: Path error. ...")."""
from __future__ import annotations

from enum import Enum, unique

_GENERAL_MASK = 0b00001 << 7  # the "general" errors' group, as MindSpore numbers it


@unique
class ProfilerErrors(Enum):
    """The general error numbers (the low 12 bits of the error code)."""
    PARAM_VALUE_ERROR = 0 | _GENERAL_MASK
    PATH_ERROR = 1 | _GENERAL_MASK
    PARAM_TYPE_ERROR = 2 | _GENERAL_MASK


@unique
class ProfilerErrorMsg(Enum):
    """The message templates: the caller's text goes in the braces."""
    PARAM_VALUE_ERROR = 'Param value error. {}'
    PATH_ERROR = 'Path error. {}'
    PARAM_TYPE_ERROR = 'Param type error. {}'
