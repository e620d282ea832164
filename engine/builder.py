"""Builder: emits equations with shape/dtype inference, CSE and simplification on the fly.

Derivative rules, the tracer, the JSON loader and the lowering pass all build
graphs through one `Builder`, so every graph gets the same checks and the same
local optimisations (x*1, x+0, zero propagation, duplicate eqns) as it is built.
That is what keeps nested derivative graphs small.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Sequence

import numpy as np

from .errors import EngineError, LimitExceeded, ShapeError
from .ir import AVal, Eqn, Graph, Var, check_size
from .ops.functions import check_positions, function_op_avals
from .ops.registry import FUNCTION_OPS, OPS, check_arity, check_attrs, get_op, layers
from .simplify import simplify_emit


class Budget:
    """The work one graph build may do, shared by every Builder taking part in it (nested
    lowering builds sub-graphs with builders of their own).

    `max_work` counts equations emitted before CSE and simplification, and functions inlined:
    the work of expansion, which CSE hides from the node count (a function called twice per
    level inlines 2**K copies that CSE merges back into K nodes). An equation counts `node_work`
    of its inputs and outputs: emitting one walks them all. A lowering's rebuilds (re-emitting a
    graph: engine.optimize.rebuild) and its rewriting passes count too (optimize.charge_passes):
    a 4th-order gradient lowered spent half its time there, uncounted, before stop 41.
    """

    def __init__(self, max_work: int | None = None):
        self.max_work = max_work
        self.work = 0

    def charge(self, node: str | None = None, n: int = 1) -> None:
        self.work += n
        if self.max_work is not None and self.work > self.max_work:
            raise LimitExceeded(f"building the graph took more than {self.max_work} steps (equations emitted and "
                                "functions inlined, before merging duplicates, and the passes that simplify them) "
                                "(max_work): a smaller graph or a lower derivative order needs fewer; the "
                                "max_work setting raises the limit", node=node,
                                setting="max_work", limit=self.max_work, value=self.work)


# Inputs (or outputs) one unit of work covers: a node of up to this many costs what a unary one does;
# past it, shape inference, the CSE key and every optimizer pass walk each input, so a node costs a unit
# more per this many (measured: lowering a 10 000-input concat took ~195 ms, ~900 times the ~0.2 ms a unit
# of an ordinary graph took, i.e. ~11 inputs a unit: 8 errs on the safe side).
ARITY_PER_UNIT = 8


def node_work(arity: int) -> int:
    """Units of max_work emitting one equation with this many inputs costs (or, less one, this many outputs)."""
    return 1 + max(arity - 1, 0) // ARITY_PER_UNIT


def freeze(v):
    """Hashable form of an attribute value (for CSE and plan keys)."""
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, (list, tuple)):
        return tuple(freeze(x) for x in v)
    if isinstance(v, dict):
        return attrs_key(v)
    if v == 0 and isinstance(v, float) and math.copysign(1.0, v) < 0:
        return ("-0.0",)  # -0.0 == 0.0 in Python, yet 1 / -0.0 is -inf: CSE must not merge them
    return v


def attrs_key(attrs: dict) -> tuple:
    return tuple((k, freeze(attrs[k])) for k in sorted(attrs))


class Builder:
    def __init__(self, *, max_nodes: int | None = None, simplify: bool = True, cse: bool = True,
                 functions: dict | None = None, budget: Budget | None = None):
        self.eqns: list[Eqn] = []
        self.budget = budget if budget is not None else Budget()
        self.functions: dict[str, Graph] = functions if functions is not None else {}
        self.max_nodes = max_nodes
        self.simplify = simplify
        self.cse = cse
        self._cse: dict[tuple, tuple[Var, ...]] = {}
        # Vars known to hold one scalar value everywhere (from fill): id -> python scalar.
        self.uniform: dict[int, float] = {}
        # while set, the zero fills emitted are symbolic zeros (Var.symbolic): autodiff sets it
        # around derivative rules, inline clears it around a user graph's equations
        self.ad_zeros = False
        self.node_label: str | None = None  # context for error messages (e.g. "eqn 3 (mul)")
        # expands a grad-of-grad node in polynomial size (directional.NestedGrads, set by lower);
        # None: as written (c**order), the reference the directional form is checked against
        self.nested_grads = None
        # set by autodiff.backward while its reverse rules run: whether ints carry derivatives
        # (grad's int_grads), for rules that build their own backward passes (switch_run)
        self.int_grads = False
        # set by autodiff.expand_grad for a grad with `reached`: {cotangent id: its bool flag}, where a rule knows
        # only at run time whether its derivative flows (switch_run: the branch taken); None: not asked
        self.reach_flags: dict | None = None

    def flows(self, ct: "Var | None") -> bool:
        """Whether a cotangent carries a derivative: not absent (None) nor a symbolic zero (what the rules prune
        to where none flows); zeros computed (x * 0) do carry one (grad's `reached`)."""
        return ct is not None and not (ct.symbolic and self.is_uniform(ct, 0.0))

    # -- emission -----------------------------------------------------------
    def emit(self, op_name: str, inputs: Sequence[Var], attrs: dict | None = None) -> list[Var]:
        # Name the node in errors even outside a loader/inliner (which set node_label).
        node = self.node_label or f"{len(self.eqns)}:{op_name}"
        inputs = tuple(inputs)
        self.budget.charge(node, node_work(len(inputs)))
        op = get_op(op_name, node=node)
        check_arity(op, len(inputs), node=node)
        attrs = check_attrs(op, attrs or {}, node=node)
        if op_name in FUNCTION_OPS:
            return self._emit_function_op(op_name, inputs, attrs, node)
        try:
            out_avals = op.infer([x.aval for x in inputs], **attrs)
            for a in out_avals:
                check_size(a.shape, f"{op_name}: the result")
        except EngineError as e:
            if e.node is None:
                e.node = node or op_name
                e.args = (f"{e.message} (node {e.node})",)
            raise
        if len(out_avals) > ARITY_PER_UNIT:  # a split into thousands of parts: each a Var for every pass
            self.budget.charge(node, node_work(len(out_avals)) - 1)
        if self.simplify:
            replaced = simplify_emit(self, op_name, inputs, attrs, out_avals)
            if replaced is not None:
                return replaced
        key = None
        if self.cse and op.cse:
            ids = tuple(x.id for x in inputs)
            if op.commutative:  # x*y and y*x are one value (exact in IEEE arithmetic)
                ids = tuple(sorted(ids))
            key = (op_name, ids, attrs_key(attrs))
            if op_name == "fill":  # a user's zero must not merge with a symbolic one
                key += (self.ad_zeros and attrs["value"] == 0,)
            hit = self._cse.get(key)
            if hit is not None:
                return list(hit)
        outs = tuple(Var(a) for a in out_avals)
        self.eqns.append(Eqn(op_name, inputs, attrs, outs, self.node_label))
        self._check_nodes(node)
        if key is not None:
            self._cse[key] = outs
        if op_name == "fill":
            self.uniform[outs[0].id] = attrs["value"]
            outs[0].symbolic = self.ad_zeros and attrs["value"] == 0
        return list(outs)

    def _check_nodes(self, node: str | None) -> None:
        if self.max_nodes is not None and len(self.eqns) > self.max_nodes:
            raise LimitExceeded(f"graph exceeds the node limit of {self.max_nodes} equations (max_nodes)", node=node,
                                setting="max_nodes", limit=self.max_nodes, value=len(self.eqns))

    def _emit_function_op(self, op_name: str, inputs: tuple[Var, ...], attrs: dict, node: str | None) -> list[Var]:
        n_fn = len(self.functions[attrs["fn"]].inputs) if attrs.get("fn") in self.functions else 0
        if attrs.get("positions") is not None and n_fn:
            # range first: normalising p % n would silently turn position 5 of 2 inputs into 1
            check_positions(list(attrs["positions"]), n_fn, node or op_name)
            attrs["positions"] = tuple(p % n_fn for p in attrs["positions"])
        out_avals = function_op_avals(self.functions, op_name, attrs, [x.aval for x in inputs], node or op_name)
        outs = tuple(Var(a) for a in out_avals)
        self.eqns.append(Eqn(op_name, inputs, attrs, outs, self.node_label))
        self._check_nodes(node)
        return list(outs)

    def emit1(self, op_name: str, *inputs: Var, **attrs) -> Var:
        return self.emit(op_name, inputs, attrs)[0]

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in OPS:
            raise AttributeError(name)

        def emit_op(*inputs: Var, **attrs):
            outs = self.emit(name, inputs, attrs)
            return outs[0] if len(outs) == 1 else outs

        return emit_op

    # -- constants and shape helpers used by derivative rules ------------------
    def full(self, shape: Sequence[int], value: float, dtype: str) -> Var:
        return self.emit1("fill", shape=tuple(shape), value=float(value), dtype=dtype)

    def full_like(self, x: Var, value: float) -> Var:
        return self.full(x.shape, value, x.dtype)

    def scalar(self, value: float, dtype: str) -> Var:
        return self.full((), value, dtype)

    def zeros_like(self, x: Var) -> Var:
        return self.full_like(x, 0.0)

    def symbolic_zeros_like(self, x: Var) -> Var:
        """An absent derivative as a tensor (Var.symbolic): products with it prune to zero."""
        with self.zero_fills(symbolic=True):
            return self.zeros_like(x)

    @contextmanager
    def zero_fills(self, *, symbolic: bool):
        """Within: the zero fills emitted are symbolic (AD-made) zeros or user values."""
        outer, self.ad_zeros = self.ad_zeros, symbolic
        try:
            yield
        finally:
            self.ad_zeros = outer

    def is_uniform(self, x: Var, value: float) -> bool:
        v = self.uniform.get(x.id)
        return v is not None and v == value

    def sum_to(self, x: Var, shape: tuple[int, ...]) -> Var:
        """Sum a broadcast result back to `shape` (gradient of broadcasting)."""
        if tuple(x.shape) == tuple(shape):
            return x
        return self.emit1("reduce_to", x, shape=tuple(shape))

    def broadcast(self, x: Var, shape: tuple[int, ...]) -> Var:
        if tuple(x.shape) == tuple(shape):
            return x
        return self.emit1("broadcast_to", x, shape=tuple(shape))

    def add_any(self, a: Var | None, b: Var | None) -> Var | None:
        """Add two cotangents where None means zero."""
        if a is None:
            return b
        if b is None:
            return a
        return self.emit1("add", a, b)

    def cast_like(self, x: Var, like: Var) -> Var:
        if x.dtype == like.dtype:
            return x
        return self.emit1("cast", x, dtype=like.dtype)

    def finish(self, inputs: list[Var], params: list[Var], outputs, **kw) -> Graph:
        return Graph(inputs=list(inputs), params=list(params), eqns=self.eqns, outputs=outputs, **kw)


def fresh_name(fns: dict, base: str) -> str:
    """`base` + the first k that names no function of `fns`."""
    i = 0
    while f"{base}{i}" in fns:
        i += 1
    return f"{base}{i}"


class Outer:
    """A new graph with `g` as its function: fresh inputs and params of the same types,
    and a builder whose derivative nodes can call `g` by `fname`."""

    def __init__(self, g: Graph, base: str | None = None, *, max_nodes: int | None = None,
                 budget: Budget | None = None):
        self.fns = dict(g.functions)
        self.fname = fresh_name(self.fns, base or (g.name + "_" if g.name else "f"))
        self.fns[self.fname] = Graph(g.inputs, g.params, g.eqns, g.outputs, {}, {}, self.fname, source=g.source)
        self.inputs = [Var(v.aval, v.name) for v in g.inputs]
        self.params = [Var(p.aval, p.name) for p in g.params]
        self.b = Builder(functions=self.fns, max_nodes=max_nodes, budget=budget)


def shape_mismatch(op: str, what: str, *avals: AVal) -> ShapeError:
    return ShapeError(f"{op}: {what}: " + " vs ".join(str(a) for a in avals),
                      shapes=[list(a.shape) for a in avals])


# op rules that build graphs reach the Builder through the registry (imports point one way)
layers.Builder, layers.attrs_key = Builder, attrs_key
