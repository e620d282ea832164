"""`mindspore.common.api`: jit / ms_function."""
from .._jit import jit, ms_function

__all__ = ["jit", "ms_function"]
