"""One op identity, rule tables per transformation (as JAX's autodidax does).

An `OpDef` carries what every op needs (arity, attribute spec, shape/dtype rule);
`impl_rules`, `vjp_rules` and `jvp_rules` hold the per-transformation rules,
each registered right beside its op. A derivative rule builds graph ops through
a `Builder`, so derivatives are graphs and can be differentiated again.

Rule signatures:
  impl(xp, *arrays, **attrs) -> array | tuple of arrays
  vjp(b, ins, outs, cts, **attrs) -> list of cotangents (Var or None=zero), one per input
  jvp(b, ins, outs, tangents, **attrs) -> list of tangents (Var or None=zero), one per output
A missing rule is an error when the transformation is asked for, never a silent zero.
"""
from __future__ import annotations

import difflib

from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InvalidGraph, UnknownOp
from ..ir import DTYPES, AVal
from .np_broadcast import binary_kernel

REQUIRED = object()


@dataclass(frozen=True)
class Attr:
    """Attribute spec. kind: int, float, bool, str, ints (tuple of int), shape, dtype, any."""

    kind: str
    default: Any = REQUIRED
    optional: bool = False  # None allowed


@dataclass
class OpDef:
    """An op's one definition: identity, typing, and the properties every pass reads.

    Flags (False / None unless declared; a pass never keeps its own list of op names):
      commutative     binary op with f(x, y) == f(y, x) exactly: CSE merges both orders
      linear          linear in its (first) input
      sign_symmetric  f(-x) == -f(x) exactly in IEEE arithmetic (sign motion may cross it)
      cse             False: never merge two equations (identity marks a fresh point)
      broadcasts      binary arithmetic with NumPy broadcasting of same-dtype operands
      rearranges      output elements are input elements (or their cast): uniform in, uniform out
      reshapes        the output is the row-major reshape of its one input (reshape chains compose)
      fold            Python function of uniform float operand values giving the output value
      np_out          eqn -> (kernel(*ins, out), kind, operand suffixes) | None: a NumPy kernel
                      that writes into a given buffer, bit-identical to the impl rule
      np_view         eqn -> kernel | "alias" | ("reshape", shape) | None: a NumPy kernel that only re-views its
                      input (the tuple: the plan's code calls x.reshape(shape) itself)
      runtime_checked the impl checks its input values (e.g. indices in range) and raises a typed
                      error; the executor names the node in it
      scratch         eqn -> bytes its impl allocates besides its outputs (a convolution's window
                      patches): the cost model (executor.estimate_bytes) counts them at that step
      storage_exact   eqn -> whether the impl is exact in a storage-only dtype (bfloat16) and needs that dtype's
                      own constants (segment max / min: an empty segment's value): the executor runs it
                      there instead of widening it to float32 (executor._widens)
      flops           eqn -> floating-point operations of its impl where far more than one per element
                      it reads or writes (contractions, factorisations): executor.estimate_flops; others
                      count one per element read or written
    """

    name: str
    arity: int | None  # None: variadic (>= min_arity)
    infer: Callable[..., list[AVal]]
    attrs: dict[str, Attr] = field(default_factory=dict)
    n_outputs: int | None = 1  # None: decided by infer
    nondiff: bool = False  # outputs carry no derivative (comparisons, sign, fill)
    min_arity: int = 0
    doc: str = ""
    commutative: bool = False
    linear: bool = False
    sign_symmetric: bool = False
    cse: bool = True
    broadcasts: bool = False
    rearranges: bool = False
    reshapes: bool = False
    fold: Callable[..., float] | None = None
    np_out: Callable[[Any], Any] | None = None
    np_view: Callable[[Any], Any] | None = None
    runtime_checked: bool = False
    scratch: Callable[[Any], int] | None = None
    flops: Callable[[Any], int] | None = None
    storage_exact: Callable[[Any], bool] | None = None
    # operand position -> why its derivative is refused (autodiff raises DifferentiationError when that
    # operand is differentiated, in either mode; the op is still differentiable w.r.t. the others)
    underivable: dict[int, str] = field(default_factory=dict)


# The flags above that passes read (tests/engine/test_op_registry.py checks each is declared).
FLAGS = ("commutative", "linear", "sign_symmetric", "cse", "broadcasts", "rearranges", "reshapes", "fold", "np_out",
         "np_view", "runtime_checked", "scratch", "flops", "storage_exact")


def matrix_flops(e) -> int:
    """A factorisation's / solve's work (`flops` of the linalg ops): ~2 m n min(m, n) per [m, n] matrix of
    the first operand, times its batch, and 2 n per element of any right-hand side."""
    a = e.inputs[0].aval
    m, n = (a.shape[-2], a.shape[-1]) if len(a.shape) >= 2 else (1, a.size)
    batch = a.size // max(m * n, 1)
    return 2 * batch * m * n * min(m, n) + sum(2 * n * x.aval.size for x in e.inputs[1:])

class _Layers:
    """Entry points of the engine layers above the ops, registered by those layers when they are imported
    (builder: Builder, attrs_key; autodiff: inline, backward, expand_jvp, reaches; optimize; lower; vmap: the vmap
    node's vmap_hook_avals / vmap_hook_expand).
    Op rules that build or expand graphs (composites, control flow, custom_vjp, vmap nodes) call them
    through `layers`, so imports still point one way: ir -> ops -> builder -> autodiff -> lower."""

    def __getattr__(self, name: str):
        raise RuntimeError(f"engine layer entry point {name!r} is not registered yet (import engine first)")


layers = _Layers()

OPS: dict[str, OpDef] = {}
impl_rules: dict[str, Callable] = {}
vjp_rules: dict[str, Callable] = {}
jvp_rules: dict[str, Callable] = {}

# Ops that name a function (sub-graph) and are expanded by the engine at lowering: those registered
# with defop(..., function=True) (call/grad/jvp in ops/functions.py, control flow, vmap). The ones with an
# entry in function_op_hooks type and expand themselves (engine/ops/control_flow.py, vmap_op.py).
FUNCTION_OPS: set[str] = set()
function_op_hooks: dict[str, Any] = {}


def defop(name: str, arity: int | None, infer: Callable, *, attrs: dict[str, Attr] | None = None,
          n_outputs: int | None = 1, nondiff: bool = False, min_arity: int = 0, doc: str = "",
          function: bool = False, underivable: dict[int, str] | None = None, **flags) -> OpDef:
    if name in OPS:
        raise ValueError(f"op {name} registered twice")
    unknown = set(flags) - set(FLAGS)
    if unknown:
        raise ValueError(f"op {name}: unknown flag(s) {sorted(unknown)}; known: {FLAGS}")
    op = OpDef(name, arity, infer, attrs or {}, n_outputs, nondiff, min_arity, doc, **flags,
               underivable=dict(underivable or {}))
    OPS[name] = op
    if function:
        FUNCTION_OPS.add(name)
    return op


def flagged(flag: str) -> frozenset[str]:
    """Names of the ops that declare `flag` (for tests and docs; passes read the OpDef)."""
    return frozenset(n for n, op in OPS.items() if getattr(op, flag) not in (False, None))


def ufunc_out(fn: Callable) -> Callable:
    """np_out of an elementwise op whose NumPy kernel is `fn(*ins, out)` (a ufunc or alike); a binary
    one called on swapped views where broadcasting would make NumPy's loops short (np_broadcast)."""
    def make(e):
        k = binary_kernel(fn, e)
        # a swapped call gets a buffer of its own: its output view overlaps an operand's buffer only
        # through a NumPy copy of that operand (one ufunc call handles overlap, at that cost)
        return k, ("ew" if k is fn else "own"), None
    return make


def get_op(name: str, node: str | None = None) -> OpDef:
    try:
        return OPS[name]
    except (KeyError, TypeError):
        # the closest names, not all of them: the full list (120+) would swamp the message and, over
        # gRPC, the error trailer; the published graph schema lists every op
        close = difflib.get_close_matches(str(name), OPS, n=5, cutoff=0.7)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownOp(f"unknown op {name!r}{hint} ({len(OPS)} known ops: see the graph schema's op list)",
                        node=node, known_ops=len(OPS)) from None


def _coerce_attr(op: str, key: str, spec: Attr, value: Any, node: str | None):
    def bad(why: str):
        return InvalidGraph(f"op {op}: attribute {key!r} {why}, got {value!r}", node=node)

    if value is None:
        if spec.optional:
            return None
        raise bad("may not be null")
    k = spec.kind
    if k == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("must be an integer")
        return int(value)
    if k == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("must be a number")
        return float(value)
    if k == "bool":
        if not isinstance(value, bool):
            raise bad("must be a boolean")
        return value
    if k == "str":
        if not isinstance(value, str):
            raise bad("must be a string")
        return value
    if k in ("ints", "shape"):
        if isinstance(value, int) and not isinstance(value, bool) and k == "ints":
            return (int(value),)
        if not isinstance(value, (list, tuple)) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise bad("must be a list of integers")
        if k == "shape" and any(v < 0 for v in value):
            raise bad("must be a list of non-negative integers")
        return tuple(int(v) for v in value)
    if k == "dtype":
        if value not in DTYPES:
            raise bad(f"must be one of {', '.join(DTYPES)}")
        return value
    if key == "weights":
        if not isinstance(value, (list, tuple)) or not all(isinstance(w, str) for w in value):
            raise bad("must be a list of parameter names")
        return tuple(value)
    return value  # "any": validated by the op's infer rule


def check_attrs(op: OpDef, attrs: dict, node: str | None = None) -> dict:
    unknown = set(attrs) - set(op.attrs)
    if unknown:
        raise InvalidGraph(f"op {op.name}: unknown attribute(s) {sorted(unknown)}; "
                           f"allowed: {sorted(op.attrs) or 'none'}", node=node)
    out = {}
    for key, spec in op.attrs.items():
        if key in attrs:
            out[key] = _coerce_attr(op.name, key, spec, attrs[key], node)
        elif spec.default is REQUIRED:
            raise InvalidGraph(f"op {op.name}: missing required attribute {key!r}", node=node)
        else:
            out[key] = spec.default
    return out


def check_arity(op: OpDef, n: int, node: str | None = None) -> None:
    if op.arity is None:
        if n < op.min_arity:
            raise InvalidGraph(f"op {op.name} takes at least {op.min_arity} inputs, got {n}", node=node)
    elif n != op.arity:
        raise InvalidGraph(f"op {op.name} takes {op.arity} input(s), got {n}", node=node)


def op_catalog() -> list[dict]:
    """Machine-readable op list (for the JSON Schema, the SDK and /docs)."""
    out = []
    for name in sorted(OPS):
        op = OPS[name]
        out.append({
            "name": name,
            "arity": op.arity,
            "min_arity": op.min_arity,
            "attrs": {k: {"kind": a.kind, **({} if a.default is REQUIRED else {"default": a.default}),
                          **({"optional": True} if a.optional else {})}
                      for k, a in op.attrs.items()},
            "n_outputs": op.n_outputs,
            "differentiable": not op.nondiff,
            "doc": op.doc,
        })
    return out
