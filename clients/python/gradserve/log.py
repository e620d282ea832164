"""`mindspore.log`: MindSpore's logger functions over Python's logging (the logger "gradserve"). The level follows
MindSpore's GLOG_v (0 DEBUG, 1 INFO, 2 WARNING (its default), 3 ERROR, 4 CRITICAL); get_level() answers that digit."""
from __future__ import annotations

import logging
import os
from typing import Any

from ._jit_forbidden import refuse

__all__ = ["debug", "info", "warning", "error", "critical", "get_level"]

_GLOG_LEVELS = {"0": logging.DEBUG, "1": logging.INFO, "2": logging.WARNING, "3": logging.ERROR, "4": logging.CRITICAL}


def _logger() -> logging.Logger:
    logger = logging.getLogger("gradserve")
    if logger.level == logging.NOTSET:
        logger.setLevel(_GLOG_LEVELS.get(os.environ.get("GLOG_v", "2"), logging.WARNING))
    return logger


def debug(msg: Any, *args: Any, **kwargs: Any) -> None:
    refuse("function", "mindspore.log.debug")  # (in a program's graph: MindSpore's refusal)
    _logger().debug(msg, *args, **kwargs)


def info(msg: Any, *args: Any, **kwargs: Any) -> None:
    refuse("function", "mindspore.log.info")  # (in a program's graph: MindSpore's refusal)
    _logger().info(msg, *args, **kwargs)


def warning(msg: Any, *args: Any, **kwargs: Any) -> None:
    refuse("function", "mindspore.log.warning")  # (in a program's graph: MindSpore's refusal)
    _logger().warning(msg, *args, **kwargs)


def error(msg: Any, *args: Any, **kwargs: Any) -> None:
    refuse("function", "mindspore.log.error")  # (in a program's graph: MindSpore's refusal)
    _logger().error(msg, *args, **kwargs)


def critical(msg: Any, *args: Any, **kwargs: Any) -> None:
    refuse("function", "mindspore.log.critical")  # (in a program's graph: MindSpore's refusal)
    _logger().critical(msg, *args, **kwargs)


def get_level() -> str:
    """The effective level as MindSpore's GLOG_v digit ('2': WARNING)."""
    level = _logger().getEffectiveLevel()
    return next((k for k, v in _GLOG_LEVELS.items() if v == level), "2")
