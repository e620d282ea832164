"""`mindspore.graph.api` (where MindSpore 2.9+ keeps what `mindspore.common.api` had): jit, and
`_no_grad`, which gradserve defines at its top level (found there by name when asked for)."""
from .._jit import jit

__all__ = ["jit"]


def __getattr__(name: str):
    if name == "_no_grad":
        import gradserve  # noqa: PLC0415  (the top level, loaded by then)
        if hasattr(gradserve, name):
            return getattr(gradserve, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
