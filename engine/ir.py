"""The graph IR: typed SSA values, equations, graphs, functions.

A `Graph` has positional `inputs`, named `params` (with default values at top
level), a list of `Eqn`s in topological order, an output structure (one Var or a
nested tuple of Vars), and `functions`: named sub-graphs that derivative nodes
(`call`, `grad`, `jvp`) refer to. Parameters are one namespace for a graph and
all its functions: a function's param Var named "z" is the top graph's "z".
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Iterator, Union

import ml_dtypes
import numpy as np

from .errors import InvalidGraph, ShapeError

DTYPES = ("bool", "int32", "int64", "float16", "float32", "float64", "complex64", "complex128", "int8", "int16", "uint8",
          "uint16", "uint32", "uint64", "bfloat16")
FLOAT_DTYPES = ("float16", "float32", "float64", "bfloat16")
INT_DTYPES = ("int32", "int64", "int8", "int16", "uint8", "uint16", "uint32", "uint64")  # the narrow ones: images, quantised data (no gradient)
COMPLEX_DTYPES = ("complex64", "complex128")
NP_DTYPES = {"bool": np.bool_, "int32": np.int32, "int64": np.int64,
             "float16": np.float16, "float32": np.float32, "float64": np.float64,
             "complex64": np.complex64, "complex128": np.complex128, "int8": np.int8, "int16": np.int16,
             "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
             "bfloat16": ml_dtypes.bfloat16}  # NumPy has no bfloat16: ml_dtypes' (JAX's, TensorFlow's, ONNX's)
# a complex dtype's real and imaginary parts, and the complex dtype of a real pair (complex(re, im))
REAL_OF = {"complex64": "float32", "complex128": "float64"}
COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def check_dtype(dtype: str, where: str = "") -> str:
    if dtype not in DTYPES:
        raise ShapeError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}", path=where or None)
    return dtype


# Most elements one tensor may have: past it NumPy's int64 size arithmetic is near wrapping,
# and no machine holds it anyway. (A job's memory budget bounds what is allocated.)
MAX_ELEMENTS = 1 << 48
# Highest rank one tensor may have: NumPy's legacy iterators (cumprod, complex parts, take...) stop at 32
# axes and ndarrays at 64, so a deeper tensor (a rank-40 input, or its rank-80 Jacobian) would fail in a
# kernel; refused where it is declared or made instead.
MAX_RANK = 32


def check_size(shape: tuple[int, ...], what: str, *, node: str | None = None, path: str | None = None) -> None:
    """A shape's rank and element count are ones a tensor can have; a ShapeError naming `what` otherwise."""
    if len(shape) > MAX_RANK:
        raise ShapeError(f"{what} of rank {len(shape)} has more than the {MAX_RANK} axes one tensor may have",
                         node=node, path=path, rank=len(shape), max_rank=MAX_RANK)
    n = extent(shape)
    if n > MAX_ELEMENTS:
        empty = " but for its 0" if 0 in shape else ""
        raise ShapeError(f"{what} of shape {list(shape)} would have {n} elements{empty}, more than the {MAX_ELEMENTS} "
                         "one tensor may have", node=node, path=path, shape=list(shape), max_elements=MAX_ELEMENTS)


def extent(shape) -> int:
    """The product of a shape's non-zero dimensions: its element count, or for an empty tensor the count its other
    dimensions span. NumPy checks that span too (an empty [0, 2^63 - 1] float32 array is "too big", a dimension
    of 2^63 past its index type), so a limit on elements holds it, not the count alone (0)."""
    return math.prod(s for s in shape if s)


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_DTYPES


def is_complex(dtype: str) -> bool:
    return dtype in COMPLEX_DTYPES


def is_inexact(dtype: str) -> bool:
    """Floating-point or complex: the dtypes that carry derivatives."""
    return dtype in FLOAT_DTYPES or dtype in COMPLEX_DTYPES


def carries(dtype: str, ints: bool) -> bool:
    """Whether a value of `dtype` carries a derivative: floats and complex; with int_grads (MindSpore's
    rule), ints and bools too (a bool's cotangent is a bool: MindSpore's reshape of a bool Tensor passes
    its sens back, its default sens is True)."""
    return is_inexact(dtype) or (ints and (dtype in INT_DTYPES or dtype == "bool"))


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
        return math.prod(self.shape)  # Python ints: never wraps

    def __str__(self) -> str:
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


_ids = itertools.count()


class Var:
    """An SSA value. Identity is the object; `name` is for printing and JSON."""

    __slots__ = ("aval", "name", "id", "symbolic")

    def __init__(self, aval: AVal, name: str | None = None):
        self.aval = aval
        self.id = next(_ids)
        self.name = name
        # a zero the differentiation made (an absent cotangent or tangent), not one the user's
        # graph computes: only its products may be pruned to zero whatever the other factor
        # (NaN * 0 is NaN in IEEE arithmetic). Set by Builder on fills; see engine/simplify.py.
        self.symbolic = False

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
    label: str | None = None  # the caller's name of the node this came from (for run-time errors)


# Output structure: a Var, or a tuple of structures (MindSpore returns nested tuples).
Tree = Union[Var, tuple]


def tree_flatten(tree) -> list:
    """The leaves of nested tuples and lists, in order (a leaf: a call per subtree, not per leaf: a small
    job's outputs are flattened on every call, service.inline)."""
    if not isinstance(tree, (tuple, list)):
        return [tree]
    out = []
    for t in tree:
        if isinstance(t, (tuple, list)):
            out.extend(tree_flatten(t))
        else:
            out.append(t)
    return out


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
    # what each flat output is, named for the caller (set by the transforms, or a loaded graph's `output_names`)
    output_names: list[str] | None = None
    # the caller's JSON path of this graph ("$", "$.functions.f"): errors name its nodes by it
    source: str | None = None

    @property
    def flat_outputs(self) -> list[Var]:
        return tree_flatten(self.outputs)

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    def node_count(self) -> int:
        return len(self.eqns)

    def __str__(self) -> str:
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


def format_graph(g: Graph, indent: str = "") -> str:
    """Readable text form of a graph (for logs, errors and debugging)."""
    n = UniqueNames()

    def attr(k, v) -> str:
        if hasattr(v, "shape") and hasattr(v, "dtype"):  # a tensor attribute: its type, not its data
            return f"{k}=<{v.dtype}[{','.join(map(str, v.shape))}]>"
        return f"{k}={v!r}"

    lines = []
    for fname, fg in g.functions.items():
        if fname != g.name:
            lines.append(format_graph(fg, indent) + "\n")
    ins = ", ".join(f"{n(v)}: {v.aval}" for v in g.inputs)
    ps = ", ".join(f"{n(p)}: {p.aval}" for p in g.params)
    lines.append(f"{indent}def {g.name}({ins}){f' params({ps})' if ps else ''}:")
    for e in g.eqns:
        attrs = ", ".join(attr(k, v) for k, v in e.attrs.items())
        outs = ", ".join(f"{n(o)}: {o.aval}" for o in e.outputs)
        lines.append(f"{indent}  {outs} = {e.op}({', '.join(n(x) for x in e.inputs)}{', ' if attrs and e.inputs else ''}{attrs})")

    def tree(t):
        if isinstance(t, tuple):
            return "(" + ", ".join(tree(s) for s in t) + ("," if len(t) == 1 else "") + ")"
        return n(t)

    lines.append(f"{indent}  return {tree(g.outputs)}")
    return "\n".join(lines)
