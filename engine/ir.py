"""The graph IR: typed SSA values, equations, graphs, functions.

A `Graph` has positional `inputs`, named `params` (with default values at top
level), a list of `Eqn`s in topological order, an output structure (one Var or a
nested tuple of Vars), and `functions`: named sub-graphs that derivative nodes
(`call`, `grad`, `jvp`) refer to. Parameters are one namespace for a graph and
all its functions: a function's param Var named "z" is the top graph's "z".
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

import numpy as np

from .errors import InvalidGraph, ShapeError

DTYPES = ("bool", "int32", "int64", "float16", "float32", "float64")
FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int32", "int64")


def check_dtype(dtype: str, where: str = "") -> str:
    if dtype not in DTYPES:
        raise ShapeError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}", path=where or None)
    return dtype


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES


@dataclass(frozen=True)
class AVal:
    """Abstract value: what is known of a tensor before it runs."""

    shape: tuple[int, ...]
    dtype: str

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    def __str__(self) -> str:
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


_ids = itertools.count()


class Var:
    """An SSA value. Identity is the object; `name` is for printing and JSON."""

    __slots__ = ("aval", "name", "id")

    def __init__(self, aval: AVal, name: str | None = None):
        self.aval = aval
        self.id = next(_ids)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> str:
        return self.aval.dtype

    def __repr__(self) -> str:
        return f"%{self.name or self.id}:{self.aval}"


class UniqueNames:
    """Gives each value one name, unique in its graph: the Var's own name where free, `t<k>`
    for unnamed values, `_1`, `_2`... suffixes on a clash (a user's "t3" must not alias an
    unnamed value printed as t3). Shared by the printer and the JSON form."""

    def __init__(self):
        self.names: dict[int, str] = {}
        self.used: set[str] = set()

    def pin(self, v: "Var", name: str) -> None:
        """`v` is called exactly `name` (parameters keep theirs: they are matched by name)."""
        self.names[v.id] = name
        self.used.add(name)

    def __call__(self, v: "Var") -> str:
        if v.id not in self.names:
            base = v.name or f"t{len(self.names)}"
            name, k = base, 0
            while name in self.used:
                k += 1
                name = f"{base}_{k}"
            self.pin(v, name)
        return self.names[v.id]


@dataclass(eq=False)
class Eqn:
    op: str
    inputs: tuple[Var, ...]
    attrs: dict[str, Any]
    outputs: tuple[Var, ...]


# Output structure: a Var, or a tuple of structures (MindSpore returns nested tuples).
Tree = Union[Var, tuple]


def tree_flatten(tree) -> list:
    if isinstance(tree, (tuple, list)):
        out = []
        for t in tree:
            out.extend(tree_flatten(t))
        return out
    return [tree]


def tree_unflatten(tree, leaves: Iterator | list):
    it = iter(leaves)

    def build(t):
        if isinstance(t, (tuple, list)):
            return tuple(build(s) for s in t)
        return next(it)

    return build(tree)


@dataclass(eq=False)
class Graph:
    inputs: list[Var]
    params: list[Var]
    eqns: list[Eqn]
    outputs: Tree
    param_values: dict[str, np.ndarray] = field(default_factory=dict)
    functions: dict[str, "Graph"] = field(default_factory=dict)
    name: str = "main"

    @property
    def flat_outputs(self) -> list[Var]:
        return tree_flatten(self.outputs)

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    def node_count(self) -> int:
        return len(self.eqns)

    def __str__(self) -> str:
        from .printer import format_graph

        return format_graph(self)


def validate_graph(g: Graph) -> None:
    """Structural checks: every input of an eqn defined before use, no redefinition.

    Topological order with single definition rules out cycles.
    """
    defined: set[int] = set()
    for v in list(g.inputs) + list(g.params):
        if v.id in defined:
            raise InvalidGraph(f"variable {v!r} is defined twice", node=v.name)
        defined.add(v.id)
    for i, e in enumerate(g.eqns):
        for x in e.inputs:
            if x.id not in defined:
                raise InvalidGraph(f"eqn {i} ({e.op}) uses undefined variable {x!r}", node=f"{i}:{e.op}")
        for y in e.outputs:
            if y.id in defined:
                raise InvalidGraph(f"variable {y!r} is defined twice", node=f"{i}:{e.op}")
            defined.add(y.id)
    for v in g.flat_outputs:
        if v.id not in defined:
            raise InvalidGraph(f"output {v!r} is not defined", path="outputs")
