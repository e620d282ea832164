"""The `vmap` function op: registered here, typed and expanded by engine/vmap.py (batching rules).

A module of its own so that engine.vmap, which builds graphs (builder, lower), is imported only
when a vmap node is typed or expanded, and no engine module imports back into it.
"""
from __future__ import annotations

from .functions import _typed_by_function
from .registry import Attr, defop, function_op_hooks

defop("vmap", None, _typed_by_function, n_outputs=None,
      attrs={"fn": Attr("str"), "in_axes": Attr("any", 0), "out_axes": Attr("any", 0)},
      doc="`fn` mapped over a new axis: in_axes (int, or one int|null per input) names each input's mapped "
          "axis, out_axes (int, or one per flat output) where the outputs get it (engine/vmap.py)")


class _VmapHook:
    """Typing and expansion of vmap nodes live in engine/vmap.py (imported when first needed)."""

    @staticmethod
    def avals(functions, attrs, in_avals, label):
        from ..vmap import hook_avals

        return hook_avals(functions, attrs, in_avals, label)

    @staticmethod
    def expand(b, attrs, ins, penv, depth, label):
        from ..vmap import hook_expand

        return hook_expand(b, attrs, ins, penv, depth, label)


function_op_hooks["vmap"] = _VmapHook()
