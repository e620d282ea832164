"""A Loop's trip count folded before anything is decoded (onnx_graph.check_model's size count).

check_model counts a Loop body once a trip where M is a constant (onnx_control.static_trips). An M the converter
computes from constants (Add of two Constants, a Cast, a Reshape, the Size of a declared input...) counted the body
once: a 40-node body of 1000 such trips was converted and loaded before the graph's 413. Here the converter's own
folding (onnx_ops.fold: the same nodes, the same rules) runs over the scopes' constants, so M counts as the
converter will unroll it. Bounded, as the count runs on every model: at most FOLD_NODES nodes folded in a model and
FOLD_ELEMENTS elements a value; past either (or on any error) the value is unknown and the body counts once, as before
(the load's check_expansion still counts the converted graph).
"""
from __future__ import annotations

import math

import numpy as np

from .graph_writer import UnsupportedModel
from .onnx_ops import fold, widen_narrow

FOLD_NODES = 256
FOLD_ELEMENTS = 1 << 12


class PreFold:
    """Folding state for one model: `value(scope, name)` (an onnx_control.Scope's `fold`)."""

    def __init__(self, m, attrs_of):
        import onnx

        self.onnx, self.np_helper, self.attrs_of = onnx, onnx.numpy_helper, attrs_of
        self.opset = next((o.version for o in m.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.left = FOLD_NODES
        self._views: dict[int, _View] = {}

    def value(self, scope, name: str) -> np.ndarray | None:
        """The constant `name` of `scope` (folded where the converter would fold it), or None."""
        s = scope
        while s is not None and name not in s.tensors and name not in s.nodes:
            s = s.parent
        if s is None:
            return None
        view = self._views.get(id(s))
        if view is None:
            view = self._views[id(s)] = _View(self, s)
        return view.value(name)


class _View:
    """What onnx_ops.fold reads of a converter context (consts, is_const, cval, limits...), over one scope."""

    def __init__(self, pre: PreFold, scope):
        self.pre, self.scope = pre, scope
        self.onnx, self.np_helper, self.opset = pre.onnx, pre.np_helper, pre.opset
        self.limits = {"max_elements": FOLD_ELEMENTS}
        self.consts: dict = {}
        self.env: dict = {}
        self.inits: dict = {}
        self.w = self  # (shape / dtype of a value that is not a constant: a declared static shape only)

    def value(self, name: str):
        if name in self.consts:
            return self.consts[name]
        if name in self.scope.tensors:
            t = self.scope.tensors[name]
            if t is not None:
                self.consts[name] = self.array(t, "constant")
            return self.consts.get(name)
        node = self.scope.nodes.get(name)
        if node is None or self.pre.left <= 0:
            return None
        self.pre.left -= 1
        try:
            fold(self, node, self.pre.attrs_of(node, self))
        except Exception:  # noqa: BLE001 - anything the converter would refuse or not fold: unknown here
            return None
        return self.consts.get(name)

    def is_const(self, name: str) -> bool:
        return (self.value(name) if name in self.scope.tensors or name in self.scope.nodes else
                self.pre.value(self.scope.parent, name) if self.scope.parent else None) is not None

    def cval(self, name: str, node):
        v = self.value(name) if name in self.scope.tensors or name in self.scope.nodes else (
            self.pre.value(self.scope.parent, name) if self.scope.parent else None)
        if v is None:
            raise UnsupportedModel(f"{name!r} is not a constant")
        return v

    def array(self, t, where: str) -> np.ndarray:
        if t.data_location == 1 or len(t.external_data) or math.prod(t.dims) > FOLD_ELEMENTS or min(t.dims, default=0) < 0:
            raise UnsupportedModel(f"{where} {t.name!r} is not folded here")
        return widen_narrow(self.np_helper.to_array(t))

    def val(self, name: str) -> str:
        return name

    def shape(self, name: str) -> tuple:
        dims = self.scope.get("shapes", name)
        if dims is None or any(d is None for d in dims):
            raise UnsupportedModel(f"{name!r} has no static shape here")
        return tuple(dims)

    def dtype(self, name: str) -> str:
        raise UnsupportedModel(f"{name!r}: its dtype is not read here")
