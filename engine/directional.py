"""Nested GradOperation (no sens, no weights) in polynomial size.

Without sens, grad_P(f) = grad_P sum(f) (GradOperation's implicit ones), and
sum(grad_P h) = D h [v_P] with v_P = ones on the inputs at P. So GradOperation
nested n times with the same positions P at every level is

    grad_P T,   T = D^{n-1} S [v_P, ..., v_P],   S = sum of f's float outputs,

one reverse pass over an (n-1)-fold directional derivative. `directional_sum`
builds T; `nth_grad` (a transform) and the expansion of a traced grad-of-grad
node (`nested_grad_chain` / `NestedGrads`) both use it.

The identity itself holds for any positions per level (directions v_P1, v_P2...),
but then the levels' tangents are different values that CSE cannot merge, so the
size is no longer polynomial: only equal positions are taken, the rest is
expanded literally.
"""
from __future__ import annotations

from .autodiff import MAX_NESTING, inline
from .builder import Budget, Builder, Outer, fresh_name
from .errors import DifferentiationError, LimitExceeded
from .ir import Graph, Var, is_float
from .optimize import absorb_neg, canonical, charge_passes, dce


def directional_sum(g: Graph, levels: int, pos: list[int], *, lower, max_nodes: int | None = None,
                    budget: Budget | None = None) -> Graph:
    """T = D^levels S [v, ..., v] (S = sum of g's float outputs, v = ones at `pos`), as a flat graph
    (levels >= 1) with g's inputs and params.

    Each level is lowered and optimised before the next, so CSE merges the symmetric
    terms (the tangent of x along v is the same value at every level): T grows
    polynomially in `levels` (Leibniz / Faa di Bruno with sharing), not as c**levels.
    `canonical`, not `optimize`: absorb_neg moves signs, which would hide equal
    terms of the next level from CSE. `lower` is engine.lower (passed in: lowering expands
    nested grads with this module, so it cannot be imported here).
    """
    t = _sum_of_outputs(g)
    for _ in range(levels):
        t = canonical(lower(_directional(t, pos), max_nodes=max_nodes, budget=budget, opt=False), budget)
    t.name = g.name
    return t


def _sum_of_outputs(g: Graph) -> Graph:
    """S(x) = sum over every float output of the sum of its elements (GradOperation's implicit ones)."""
    o = Outer(g)
    b = o.b
    outs = b.emit("call", o.inputs, {"fn": o.fname})
    total = None
    for v in outs:
        if is_float(v.dtype):
            total = b.add_any(total, b.sum(v))
    if total is None:
        raise DifferentiationError("GradOperation: the graph has no floating-point output to differentiate")
    return Graph(o.inputs, o.params, b.eqns, total, dict(g.param_values), o.fns, name=g.name)


def _directional(t: Graph, pos: list[int]) -> Graph:
    """D t [v] with v = ones on the inputs at `pos`: a jvp node keeping only the tangent."""
    o = Outer(t, "d_")
    b = o.b
    ones = [b.full_like(o.inputs[p], 1.0) for p in pos]
    outs = b.emit("jvp", o.inputs + ones, {"fn": o.fname, "positions": tuple(pos)})
    return Graph(o.inputs, o.params, b.eqns, outs[1], dict(t.param_values), o.fns, name=t.name)


# -- grad-of-grad nodes (what the SDK traces for GradOperation()(GradOperation()(net))) ----------
def _plain(attrs: dict) -> bool:
    """GradOperation without sens, weights or value: the form the identity is about."""
    return not attrs.get("sens") and not attrs.get("weights") and not attrs.get("with_value") and \
        not attrs.get("reached") and not attrs.get("aux")


def _wrapped_grad(fns: dict, fn: Graph):
    """(attrs, inner function) when `fn` is exactly `return grad(inner)(*fn's inputs)`: one grad
    eqn on fn's own inputs, in order, whose outputs are fn's outputs, each once, in any order
    (sum(fn) must be the sum of all the inner grads: a repeated or left-out one changes it).
    None otherwise."""
    if len(fn.eqns) != 1:
        return None
    e = fn.eqns[0]
    inner = fns.get(e.attrs.get("fn")) if e.op == "grad" else None
    if inner is None:
        return None
    if [x.id for x in e.inputs] != [v.id for v in fn.inputs]:
        return None
    if sorted(v.id for v in fn.flat_outputs) != sorted(o.id for o in e.outputs):
        return None
    if [v.aval for v in inner.inputs] != [v.aval for v in fn.inputs]:
        return None  # a mismatch is an error: the literal expansion reports it
    return e.attrs, inner


def nested_grad_chain(fns: dict, fn: Graph, attrs: dict, n_ins: int, max_depth: int):
    """(base, order, positions) when a grad node over `fn` is GradOperation nested order >= 2
    times over `base` with the same positions at every level; None where the literal
    expansion must be used. A chain that breaks (sens, weights, other positions, a body
    that does more) ends there: the levels above it still go the directional way."""
    pos = list(attrs.get("positions") or ())
    if not pos or not _plain(attrs) or n_ins != len(fn.inputs):
        return None
    order = 1
    while True:
        w = _wrapped_grad(fns, fn)
        if w is None or not _plain(w[0]) or list(w[0].get("positions") or ()) != pos:
            break
        fn, order = w[1], order + 1
        if order > max_depth:
            return None  # a function deriving itself: the literal expansion reports it
    if order < 2:
        return None
    from .ops.custom_vjp import reaches

    if reaches(fns, fn):  # a user's derivative rule: its nested grads are as written, not directional
        return None
    if not all(is_float(fn.inputs[p].dtype) for p in pos) or not any(is_float(v.dtype) for v in fn.flat_outputs):
        # the literal expansion reports a non-float position, and gives zeros for a net without
        # float outputs (where S is undefined)
        return None
    return fn, order, pos


LITERAL_TRY = 3  # highest order whose literal nesting is also built (see NestedGrads._best)


class NestedGrads:
    """Expands grad nodes that are GradOperation nested over the same positions in polynomial
    size (`nested_grad_chain`); the Builder's `nested_grads` hook, set by `lower`, which is
    passed in (lowering calls this, and this lowers the pieces)."""

    def __init__(self, lower):
        self.lower = lower

    def __call__(self, b, fn: Graph, attrs: dict, args: list[Var], penv: dict[str, Var], depth: int,
                 label: str) -> list[Var] | None:
        """The grad node's flat outputs (the position grads) emitted into b; None where the
        node is not such a chain (the caller expands it literally)."""
        chain = nested_grad_chain(b.functions, fn, attrs, len(args), MAX_NESTING)
        if chain is None:
            return None
        return inline(b, self._best(b, chain, fn, attrs, penv), list(args), penv, depth + 1)

    def _best(self, b, chain, fn: Graph, attrs: dict, penv: dict[str, Var]) -> Graph:
        """The directional form grad_P T is polynomial in the order, but at low orders it can be a
        node or two larger than the literal nesting (a folded constant here and there). So up to
        order LITERAL_TRY the literal form is also built, with a node budget of twice the directional
        form, and the smaller after optimisation is taken: never larger than literal nesting there.
        Its work stays within the directional form's: the literal try may do as much work as the
        directional form took, and at most half of what is left (past either it is abandoned).
        Above LITERAL_TRY literal nesting (c**order) is not tried: a 4th-order gradient of 100
        sin * tanh layers spent 3.7 s of its 9.3 s lowering on a literal form 1.5 times the
        directional one, then dropped it."""
        base, order, pos = chain
        shared = b.budget
        before = shared.work
        t = directional_sum(_in_scope(base, b.functions, penv), order - 1, pos, lower=self.lower,
                            max_nodes=b.max_nodes, budget=shared)
        plain = {"positions": tuple(pos), "weights": (), "sens": False, "with_value": False}
        best = self._flat_grad(t, plain, b, penv, b.max_nodes, literal=False)
        if order > LITERAL_TRY:
            return best
        nodes = 2 * len(best.eqns) + 16
        left = shared.work - before
        if shared.max_work is not None:
            left = min(left, max(shared.max_work - shared.work, 0) // 2)
        trial = Budget(left)
        try:
            lit = self._flat_grad(fn, attrs, b, penv, min(nodes, b.max_nodes or nodes), literal=True, budget=trial)
            charge_passes(lit, trial)  # _size's sign motion, on each form
            charge_passes(best, trial)
            if _size(lit) < _size(best):
                best = lit
        except LimitExceeded as e:
            if e.setting not in ("max_nodes", "max_work"):
                raise
        finally:
            shared.work += trial.work
        return best

    def _flat_grad(self, h: Graph, attrs: dict, b, penv: dict[str, Var], max_nodes, *, literal: bool,
                   budget: Budget | None = None) -> Graph:
        """grad(h) with `attrs` lowered on its own to a flat canonical graph; `literal` expands
        nested grad nodes literally."""
        fns = dict(b.functions)
        name = fresh_name(fns, "nested_")
        fns[name] = h
        inputs = [Var(v.aval, v.name) for v in h.inputs]
        params = [Var(v.aval, k) for k, v in penv.items()]
        gb = Builder(functions=fns)
        outs = gb.emit("grad", inputs, dict(attrs, fn=name))
        g = Graph(inputs, params, gb.eqns, tuple(outs), {}, fns, h.name)
        budget = budget or b.budget
        return canonical(self.lower(g, max_nodes=max_nodes, budget=budget, opt=False, literal_nested_grads=literal),
                         budget)


def _in_scope(h: Graph, functions: dict, penv: dict[str, Var]) -> Graph:
    """h as a graph of its own: the caller's functions, and every parameter in scope (not only
    h's own: functions h calls see the caller's parameters by name)."""
    own = set(h.param_names)
    params = list(h.params) + [Var(v.aval, k) for k, v in penv.items() if k not in own]
    return Graph(h.inputs, params, h.eqns, h.outputs, {}, functions, h.name)


def _size(g: Graph) -> int:
    """Node count after the rest of `optimize` (sign motion changes it, so compare after it)."""
    return len(dce(absorb_neg(g)).eqns)
