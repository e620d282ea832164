"""MultitypeFuncGraph (functions chosen by argument types) and HyperMap / Map (a function over the
elements of tuples and lists, recursively), as MindSpore's composite module defines them. Both run
in Python while tracing: what they call is traced like any other code."""
from __future__ import annotations

import numbers
from typing import Any, Callable

from .._tensor import Parameter, Tensor


def _type_name(x) -> str:
    if isinstance(x, Parameter):
        return "Tensor"
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, bool):
        return "Bool"
    if isinstance(x, numbers.Number):
        return "Number"
    if isinstance(x, str):
        return "String"
    if x is None:
        return "None"
    if isinstance(x, tuple):
        return "Tuple"
    if isinstance(x, list):
        return "List"
    if isinstance(x, dict):
        return "Dictionary"
    if callable(x):
        return "Function"
    return type(x).__name__


_ALIASES = {"Int": "Number", "Float": "Number", "Scalar": "Number", "RowTensor": "Tensor", "Dict": "Dictionary",
            "Func": "Function", "Bool": "Bool"}


class MultitypeFuncGraph:
    """`f = MultitypeFuncGraph("f")`; `@f.register("Tensor", "Number") def _(x, y): ...`; `f(x, y)` calls
    the function registered for the arguments' types ("Tensor", "Number", "Bool", "String", "None",
    "Tuple", "List", "Dictionary", "Function"; "Number" also matches Bool)."""

    def __init__(self, name: str, read_value: bool = False, doc_url: str = ""):
        self.name = name
        self.entries: list[tuple[tuple[str, ...], Callable[..., Any]]] = []

    def register(self, *type_names):
        names = tuple(_ALIASES.get(str(t), str(t)) for t in type_names)

        def deco(fn):
            self.entries.append((names, fn))
            return fn

        return deco

    def find(self, args) -> Callable[..., Any] | None:
        """The function registered for the arguments' types, or None."""
        got = tuple(_type_name(a) for a in args)
        for names, fn in self.entries:
            if len(names) == len(got) and all(n == g or (n == "Number" and g == "Bool") for n, g in zip(names, got)):
                return fn
        return None

    def __call__(self, *args):
        fn = self.find(args)
        if fn is not None:
            return fn(*args)
        got = tuple(_type_name(a) for a in args)
        raise TypeError(f"{self.name}: no function registered for argument types {list(got)}; "
                        f"registered: {[list(n) for n, _ in self.entries]}")


class HyperMap:
    """`HyperMap()(f, *seqs)` or `HyperMap(f)(*seqs)`: f applied to the elements of tuples/lists,
    recursively while every argument is a sequence (in step). Arguments mixing sequences and other
    values go to f as they are (MindSpore's rule: f may take a tuple); only where f is a
    MultitypeFuncGraph with no function for them (MindSpore raises) are the non-sequences passed
    whole to each element instead."""

    def __init__(self, ops=None, reverse: bool = False):
        self.ops = ops

    def __call__(self, *args):
        fn, seqs = (self.ops, args) if self.ops is not None else (args[0], args[1:])
        return _map(fn, seqs)


def _map(fn, seqs):
    seq = next((s for s in seqs if isinstance(s, (tuple, list))), None)
    if seq is None:
        return fn(*seqs)
    mixed = not all(isinstance(s, (tuple, list)) for s in seqs)
    if mixed and (not isinstance(fn, MultitypeFuncGraph) or fn.find(seqs) is not None):
        return fn(*seqs)
    n = len(seq)
    for s in seqs:
        if isinstance(s, (tuple, list)) and len(s) != n:
            raise ValueError(f"HyperMap: sequences of different lengths ({n} and {len(s)})")
    out = [_map(fn, [s[i] if isinstance(s, (tuple, list)) else s for s in seqs]) for i in range(n)]
    return out if isinstance(seq, list) else tuple(out)


class Map(HyperMap):
    """`Map()(f, *seqs)`: one level of mapping (no recursion into nested sequences)."""

    def __call__(self, *args):
        fn, seqs = (self.ops, args) if self.ops is not None else (args[0], args[1:])
        seq = next((s for s in seqs if isinstance(s, (tuple, list))), ())
        out = [fn(*[s[i] if isinstance(s, (tuple, list)) else s for s in seqs]) for i in range(len(seq))]
        return out if isinstance(seq, list) else tuple(out)


__all__ = ["MultitypeFuncGraph", "HyperMap", "Map"]
