"""Late binding: what a lower layer calls but an upper layer owns, registered by the owner when imported.

The SDK's modules import one way, down the layers that tests/engine/test_structure.py (SDK_LAYERS) holds:
base (dtype, errors, ...) < data (_tensor) < transport (_client, context) < trace < ops < nn < front. Where a lower module needs an upper one at call time (Tensor's
methods run ops; `bool()` of a traced Tensor asks the branch explorer; `Client` traces a callable), it
reads the name here, and the upper module fills it in at import (`gradserve/__init__` imports them all).

    from ._late import late
    late.ops.reshape(x, shape)          # filled by gradserve.ops: late.bind(ops=<the ops module>)

Names: ops (gradserve.ops), sparse (ops._sparse_tensor: the sparse tensors' methods), binary / getitem / graph_semantics (_trace), decide / explore / refuse_read_in_branch (_branches), loops (_while), CrossEntropyLoss (_training),
initializer (common.initializer), trace_graph (_trace), read_value (_value_reads: a traced Tensor's value in this call),
apply_along_axis (_numpy_funcs, for _numpy_creation.pad), list_effects (_graph_lists: a graph's changes to lists
from outside it, made when the root trace's Python has run).
"""
from __future__ import annotations

from typing import Any


class _Late:
    """A namespace the upper layers fill (`bind`); reading a name nobody bound says which one."""

    def bind(self, **things) -> None:
        self.__dict__.update(things)

    def __getattr__(self, name: str) -> Any:  # only reached for a name not bound yet
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"gradserve: {name!r} is used before the module that provides it was imported "
                           "(import gradserve, not one of its private modules alone)")


late = _Late()
