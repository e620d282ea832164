"""Dict displays `{k: v, ...}` in construct and in functions traced by grad / jit (the rewrite makes them
`_gs_.make_dict(k1, v1, k2, v2, ...)`, evaluated in Python's order). In GRAPH_MODE they follow MindSpore 2.10's
graph dicts: a list key, or a Tensor whose value is known only when the graph runs, is its RuntimeError; a list
inside a tuple key is taken (as its tuple: Python cannot hash the list); the dict has `has_key`. So does a
@jit function's body in PyNative (MindSpore 2.10 compiles it as a graph: `{[1, 2]: x}` in it is the same
RuntimeError, `d.has_key("a")` True, `d.fromkeys(123)` a RuntimeError), also inlined into another PyNative trace
(a grad's); the rest of PyNative keeps Python's dict."""
from __future__ import annotations

from typing import Any

from ._trace import graph_semantics
from ._tensor import Tensor

_KEY_TEXT = "make_dict evaluator key only supports string, number, type, none, constant tensor and tuple, but got {}"


class GraphDict(dict):
    """A dict made in a graph-mode construct: MindSpore's graph dicts also answer `has_key`, and their fromkeys
    refuses keys that are no sequence with a RuntimeError ("Int64 object is not iterable")."""

    def has_key(self, key) -> bool:
        return key in self

    @classmethod
    def fromkeys(cls, iterable, value=None):
        try:
            iter(iterable)
        except TypeError:
            from .ops._tensor_only import _abstract_type  # (here: ops imports this module's importers)
            raise RuntimeError(f"{_abstract_type(iterable)} object is not iterable") from None
        return super().fromkeys(iterable, value)


def make_dict(*flat: Any) -> dict:
    pairs = zip(flat[::2], flat[1::2])
    if not graph_semantics():
        return dict(pairs)
    return GraphDict((_graph_key(k), v) for k, v in pairs)


def _graph_key(key: Any, inside_tuple: bool = False) -> Any:
    if isinstance(key, list):
        if inside_tuple:
            return tuple(_graph_key(k, True) for k in key)
        raise RuntimeError(_KEY_TEXT.format(key))
    if isinstance(key, Tensor) and key._data is None:  # a traced value: MindSpore's "ValueAny"
        raise RuntimeError(_KEY_TEXT.format("ValueAny"))
    if isinstance(key, tuple):
        return tuple(_graph_key(k, True) for k in key)
    return key
