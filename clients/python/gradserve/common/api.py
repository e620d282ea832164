"""`mindspore.common.api`: jit / ms_function."""
from .._jit import jit, ms_function

__all__ = ["jit", "ms_function"]


class _PynativeExecutor:
    """MindSpore's private `_pynative_executor`, as programs use it: sync() waits for queued device work;
    gradserve's calls return with their results, so there is nothing to wait for."""

    def sync(self) -> None:
        return None


_pynative_executor = _PynativeExecutor()
