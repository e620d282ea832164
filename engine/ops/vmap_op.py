"""The `vmap` function op: registered here, typed and expanded by engine/vmap.py (batching rules).

engine.vmap builds graphs (builder, lower), so it sits above the ops: it registers the hook's
typing and expansion in `registry.layers` when the engine package is imported.
"""
from __future__ import annotations

from .functions import typed_by_function
from .registry import Attr, defop, function_op_hooks, layers

defop("vmap", None, typed_by_function, function=True, n_outputs=None,
      attrs={"fn": Attr("str"), "in_axes": Attr("any", 0), "out_axes": Attr("any", 0)},
      doc="`fn` mapped over a new axis: in_axes (int, or one int|null per input) names each input's mapped "
          "axis, out_axes (int, or one per flat output) where the outputs get it (engine/vmap.py)")


class _VmapHook:
    """Typing and expansion of vmap nodes live in engine/vmap.py, which registers them in `layers` (it
    builds graphs: imports point one way)."""

    @staticmethod
    def avals(functions, attrs, in_avals, label):
        return layers.vmap_hook_avals(functions, attrs, in_avals, label)

    @staticmethod
    def expand(b, attrs, ins, penv, depth, label):
        return layers.vmap_hook_expand(b, attrs, ins, penv, depth, label)


function_op_hooks["vmap"] = _VmapHook()
