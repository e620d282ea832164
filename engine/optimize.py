"""Graph optimisation passes over a flat (lowered) graph.

The builder folds constants, simplifies algebra and merges duplicate equations
as they are emitted. Differentiation leaves `identity` marks (fresh
differentiation points), which hide duplicates from that CSE; `rebuild`
re-emits the graph without them so the builder's rules see the whole graph,
then `dce` drops what no output needs.
"""
from __future__ import annotations

from .builder import Builder
from .ir import Eqn, Graph, Var, is_float, tree_flatten, tree_unflatten


def rebuild(g: Graph) -> Graph:
    """Re-emit through a Builder with identities removed: CSE, folding, simplification."""
    b = Builder(functions=g.functions)
    env: dict[int, object] = {v.id: v for v in list(g.inputs) + list(g.params)}
    for e in g.eqns:
        ins = [env[x.id] for x in e.inputs]
        if e.op == "identity":
            env[e.outputs[0].id] = ins[0]
            continue
        for o, n in zip(e.outputs, b.emit(e.op, ins, e.attrs)):
            env[o.id] = n
    outs = tree_unflatten(g.outputs, [env[v.id] for v in tree_flatten(g.outputs)])
    return Graph(g.inputs, g.params, b.eqns, outs, g.param_values, g.functions, g.name)


def dce(g: Graph) -> Graph:
    live = {v.id for v in tree_flatten(g.outputs)}
    kept = []
    for e in reversed(g.eqns):
        if any(o.id in live for o in e.outputs):
            kept.append(e)
            live.update(x.id for x in e.inputs)
    kept.reverse()
    return Graph(g.inputs, g.params, kept, g.outputs, g.param_values, g.functions, g.name)


def absorb_neg(g: Graph) -> Graph:
    """Fold negations into their consumers, exactly: add(a, -b) = sub(a, b), sub(a, -b) =
    add(a, b), -(-a) = a, and a sign through mul/div ((-a) * b = -(a * b)), so a chain of
    products carries one sign to the add/sub that absorbs it. Each is an IEEE identity
    (negation is exact and rounding is sign-symmetric), so values are bit-for-bit the same.
    Derivative rules emit many such negs (d cos = -sin, d tanh via 1 - y^2, ...).

    A negated value is kept lazily as (value, sign) and materialised (one neg, shared) only
    where a consumer needs it; a sign is pushed through mul/div only when the negated
    operand has no other use, so the pass never adds a neg.
    """
    uses: dict[int, int] = {}
    for e in g.eqns:
        for x in e.inputs:
            uses[x.id] = uses.get(x.id, 0) + 1
    for v in tree_flatten(g.outputs):
        uses[v.id] = uses.get(v.id, 0) + 2  # outputs are always materialised
    env: dict[int, tuple[Var, bool]] = {}  # original id -> (var in the new graph, negated?)
    mat: dict[int, Var] = {}  # new var id -> its materialised negation
    eqns: list[Eqn] = []

    def emit(op, ins, aval):
        out = Var(aval)
        eqns.append(Eqn(op, tuple(ins), {}, (out,)))
        return out

    def emit_like(e, ins):
        out = Var(e.outputs[0].aval)
        eqns.append(Eqn(e.op, tuple(ins), e.attrs, (out,)))
        return out

    def get(x):
        return env.get(x.id, (x, False))

    def value(x):
        v, n = get(x)
        if not n:
            return v
        if v.id not in mat:
            mat[v.id] = emit("neg", [v], x.aval)
        return mat[v.id]

    def sole(x, out) -> bool:
        """x is negated, used only here, and the consumer's result is no larger than x:
        its sign may move past the consumer without ever costing a bigger neg."""
        return get(x)[1] and uses.get(x.id, 0) == 1 and out.aval.size <= x.aval.size

    for e in g.eqns:
        op = e.op
        out = e.outputs[0] if len(e.outputs) == 1 else None
        if out is not None and is_float(out.dtype) and op in _LINEAR and sole(e.inputs[0], out):
            # op(-a) = -op(a): a sign-symmetric linear op (sums and matrix products
            # round symmetrically); the sign moves on to the consumer
            env[out.id] = (emit_like(e, [get(e.inputs[0])[0]] + [value(x) for x in e.inputs[1:]]), True)
            continue
        if out is not None and is_float(out.dtype) and op == "matmul":
            na, nb = sole(e.inputs[0], out), sole(e.inputs[1], out)
            if na or nb:  # (-A) @ B = -(A @ B) = A @ (-B)
                a = get(e.inputs[0])[0] if na else value(e.inputs[0])
                b = get(e.inputs[1])[0] if nb else value(e.inputs[1])
                env[out.id] = (emit_like(e, [a, b]), na != nb)
                continue
        if out is None or not is_float(out.dtype) or op not in ("neg", "add", "sub", "mul", "div") or e.attrs:
            eqns.append(Eqn(op, tuple(value(x) for x in e.inputs), e.attrs, e.outputs))
            continue
        if op == "neg":
            v, n = get(e.inputs[0])
            env[out.id] = (v, not n)
            continue
        (a, na), (b, nb) = get(e.inputs[0]), get(e.inputs[1])
        if op in ("mul", "div"):
            # push a sign outwards only from operands used nowhere else
            if na and uses.get(e.inputs[0].id, 0) > 1:
                a, na = value(e.inputs[0]), False
            if nb and uses.get(e.inputs[1].id, 0) > 1:
                b, nb = value(e.inputs[1]), False
            env[out.id] = (emit(op, [a, b], out.aval), na != nb)
        elif op == "add":
            if not na and not nb:
                env[out.id] = (emit("add", [a, b], out.aval), False)
            elif not na:  # a + (-b) = a - b
                env[out.id] = (emit("sub", [a, b], out.aval), False)
            elif not nb:  # (-a) + b = b - a
                env[out.id] = (emit("sub", [b, a], out.aval), False)
            else:  # (-a) + (-b) = -(a + b)
                env[out.id] = (emit("add", [a, b], out.aval), True)
        else:  # sub
            if not na and not nb:
                env[out.id] = (emit("sub", [a, b], out.aval), False)
            elif not na:  # a - (-b) = a + b
                env[out.id] = (emit("add", [a, b], out.aval), False)
            elif not nb:  # (-a) - b = -(a + b)
                env[out.id] = (emit("add", [a, b], out.aval), True)
            else:  # (-a) - (-b) = b - a
                env[out.id] = (emit("sub", [b, a], out.aval), False)
    outs = [value(v) for v in tree_flatten(g.outputs)]
    return Graph(g.inputs, g.params, eqns, tree_unflatten(g.outputs, outs), g.param_values, g.functions, g.name)


# Single-input ops that are linear and sign-symmetric in IEEE arithmetic: op(-a) = -op(a)
# (up to the sign of zero results, as for the add/sub identities above). index_scatter is
# not among them: its zeros would keep their + sign.
_LINEAR = frozenset({"index", "reshape", "transpose", "broadcast_to", "expand_dims", "squeeze",
                     "sum", "mean", "reduce_to"})
# (a sign moves past a consumer only when the result is no larger than the negated operand)


def canonical(g: Graph) -> Graph:
    """CSE, folding, simplification and DCE, without sign motion: the form to build on when
    the graph will be differentiated again (absorb_neg moves signs, which hides equal
    terms of the next derivative level from CSE)."""
    return dce(rebuild(g))


def optimize(g: Graph) -> Graph:
    return dce(absorb_neg(canonical(g)))
