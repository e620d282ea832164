"""`mindspore.profiler.common.util.no_exception_func`: the profiler's public calls log their failures
("Call to <name> failed. Exception: <text>") and return a default instead of raising, as MindSpore 2.10's."""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable, Optional, Tuple, Type, Union

from ... import log as logger


def no_exception_func(default_ret: Any = None,
                      exception_types: Union[Type[Exception], Tuple[Type[Exception], ...]] = Exception,
                      custom_handler: Optional[Callable[[Exception], Any]] = None) -> Callable[[Callable], Callable]:
    def decorator(func: Callable) -> Callable:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except exception_types as ex:  # noqa: BLE001 - MindSpore's contract: log, never raise
                if custom_handler:
                    return custom_handler(ex)
                logger.error(f"Call to {func.__name__} failed. Exception: {str(ex)}")
                return default_ret
        return wrapper
    return decorator
