"""`custom_vjp`: a value whose reverse-mode rule is a user-given function (MindSpore's Cell `bprop`).

A front end emits the forward as usual (e.g. a `call` of the cell's construct) and then

    custom_vjp(x_1..x_n, raw_1..raw_m, extra_1..extra_k; bprop=f, n_in=n, n_out=m, params=[...],
               param_grads=[...]) -> out_1..out_m

whose outputs are the raw forward outputs (an identity). Its derivative rules ignore how the
raw outputs were computed and use the function `bprop` instead:

    bprop(x_1..x_n, out_1..out_m, dout_1..dout_m, captures...) -> (dx_1..dx_n, dp_1..dp_j)

where p_1..p_j are the parameters named by `param_grads` (a subset of `params`): MindSpore's PyNative bprop
of a Cell with `internal_params` returns `(input grads), {Parameter: grad}`, and those gradients reach the
parameters (the others a custom rule cuts off get none).

`site` tells call sites apart: two calls of one cell on the same values are two nodes (CSE must not
merge them: a rule need not be linear in dout, so rule(2 dout) is not 2 rule(dout)). The extra
inputs are the bprop function's captures, then the parameters it reads (named by
`params`, in order), so the rule can inline it without the caller's parameter scope. bprop is
inlined with ordinary ops, so a second derivative differentiates the user's rule (and reaches
`out` through this node again, i.e. through the custom rule), as MindSpore does.

Forward mode is the double-vjp of the rule at dout = ones (MindSpore's jvp is built that way). That is J t only
for a rule linear in dout; `no_jvp` (a reason, set by an importer whose framework refuses forward mode through such
a rule, e.g. JAX's custom_vjp with a rule nonlinear in the cotangent) makes forward mode an error instead.
"""
from __future__ import annotations

from ..errors import DifferentiationError, InvalidGraph
from ..ir import Var, is_inexact
from ._infer import rule_infer
from .registry import Attr, defop, impl_rules, jvp_rules, layers, vjp_rules

OP = "custom_vjp"


defop(OP, None, rule_infer(OP), min_arity=1, n_outputs=None,
      attrs={"bprop": Attr("str"), "n_in": Attr("int"), "n_out": Attr("int"), "params": Attr("any", ()),
             "site": Attr("int", 0), "param_grads": Attr("any", ()), "no_jvp": Attr("str", "")},
      doc="outputs = the raw outputs (inputs n_in..n_in+n_out); reverse rule = function `bprop`(inputs, "
          "outputs, douts, extra non-parameter inputs) -> one cotangent per input, then one per parameter named "
          "in param_grads; no_jvp: why forward mode is refused (empty: the rule's double vjp)")


def _impl(xp, *arrays, bprop, n_in, n_out, params, site, param_grads=(), no_jvp=""):
    outs = arrays[n_in:n_in + n_out]
    return outs[0] if n_out == 1 else tuple(outs)


impl_rules[OP] = _impl


def _split(ins, n_in, n_out, params):
    xs, raw, extra = list(ins[:n_in]), list(ins[n_in:n_in + n_out]), list(ins[n_in + n_out:])
    k = len(extra) - len(params)
    return xs, raw, extra[:k], dict(zip(params, extra[k:]))


def _bprop(b, name: str, xs, outs, douts, captures, penv, param_grads=()) -> list[Var]:
    """The rule inlined: one cotangent per x, then one per parameter named in param_grads."""
    fn = b.functions.get(name) if getattr(b, "functions", None) else None
    if fn is None:
        raise InvalidGraph(f"{OP}: unknown bprop function {name!r}", node=b.node_label)
    douts = [d if d is not None else b.zeros_like(o) for d, o in zip(douts, outs)]
    grads = layers.inline(b, fn, xs + list(outs) + douts + captures, penv, depth=1)
    targets = list(xs) + [penv[p] for p in param_grads]
    if len(grads) != len(targets):
        raise InvalidGraph(f"{OP}: bprop {name!r} returns {len(grads)} gradient(s) for {len(xs)} input(s) and "
                           f"{len(param_grads)} parameter(s)", node=b.node_label)
    return [b.cast_like(b.sum_to(g, x.shape), x) for g, x in zip(grads, targets)]


def _param_slots(ins, params, param_grads) -> list[int]:
    """The input index of each parameter named in param_grads (params are the last inputs)."""
    base = len(ins) - len(params)
    return [base + list(params).index(p) for p in param_grads]


def _vjp(b, ins, outs, cts, bprop, n_in, n_out, params, site, param_grads=(), no_jvp=""):
    xs, _, captures, penv = _split(ins, n_in, n_out, params)
    grads = _bprop(b, bprop, xs, outs, cts, captures, penv, param_grads)
    out = grads[:n_in] + [None] * (len(ins) - n_in)
    for i, g in zip(_param_slots(ins, params, param_grads), grads[n_in:]):
        out[i] = g
    return out


def _jvp(b, ins, outs, ts, bprop, n_in, n_out, params, site, param_grads=(), no_jvp=""):
    """J t = d/du <bprop(x, out, u), t> at u = ones (linear in u for a true derivative rule)."""
    if no_jvp:
        raise DifferentiationError(f"{OP}: forward mode is not defined here: {no_jvp}", node=b.node_label)
    xs, _, captures, penv = _split(ins, n_in, n_out, params)
    us = [b.identity(b.full_like(o, 1.0)) for o in outs]
    start = len(b.eqns)
    grads = _bprop(b, bprop, xs, outs, us, captures, penv, param_grads)
    tangents = list(ts[:n_in]) + [ts[i] for i in _param_slots(ins, params, param_grads)]
    total = None
    for g, t in zip(grads, tangents):
        if t is not None and is_inexact(g.dtype):
            total = b.add_any(total, b.sum(b.mul(g, b.cast_like(t, g))))
    if total is None:
        return [None] * len(outs)
    fwd = b.eqns[start:]
    tans = layers.backward(b, fwd, [total], [b.full_like(total, 1.0)], us, b.node_label or OP)
    return tans


vjp_rules[OP] = _vjp
jvp_rules[OP] = _jvp


def reaches(functions: dict, fn, seen=None) -> bool:
    """Whether `fn` (or a function it names) holds a custom_vjp node: such a graph's nested
    gradients must be expanded literally (the rule need not be the derivative of the forward)."""
    seen = set() if seen is None else seen
    if id(fn) in seen:
        return False
    seen.add(id(fn))
    for e in fn.eqns:
        if e.op == OP:
            return True
        for key in ("fn", "bprop"):
            sub = functions.get(e.attrs.get(key)) if isinstance(e.attrs.get(key), str) else None
            if sub is not None and reaches(functions, sub, seen):
                return True
    return False


def rule_functions(functions: dict, eqns) -> dict:
    """The functions a lowered graph keeps: all of them while a custom_vjp node (whose rule names
    one) remains, so the flat graph can still be differentiated; none otherwise."""
    return dict(functions) if any(e.op == OP for e in eqns) else {}


# A value whose reverse rule is undefined (MindSpore's primitives with no bprop, e.g. Histogram): the front end
# passes the op's result y and the operand x it was computed from, so a gradient reaching y from a differentiated
# operand is the refusal (`message`, the framework's text), never the zeros y's own ops (counts of a compare)
# would give; where none reaches it (y unused, x constant or behind stop_gradient) it is y, as in MindSpore.
NO_BPROP = "bprop_undefined"
defop(NO_BPROP, 2, rule_infer(NO_BPROP), attrs={"message": Attr("str")},
      doc="bprop_undefined(y, x) = y, computed from x by an op with no derivative: reverse mode reaching it is an "
          "error (`message`); forward mode passes y's tangent")
impl_rules[NO_BPROP] = lambda xp, y, x, message: y


def _undefined(b, ins, outs, cts, message):
    raise DifferentiationError(message, node=b.node_label, op=NO_BPROP)


vjp_rules[NO_BPROP] = _undefined
jvp_rules[NO_BPROP] = lambda b, ins, outs, ts, message: [ts[0]]


# A stand-in for a forward the front end cannot compute (MindSpore's user primitive with a bprop and no kernel):
# typed by `shape` / `dtype`, an error (`message`) only where a value is needed, so a gradient whose rule does not
# read it runs (the plan drops the node, as MindSpore's graph prunes the forward before it selects kernels).
NO_KERNEL = "no_kernel"
defop(NO_KERNEL, 1, rule_infer(NO_KERNEL), nondiff=True, runtime_checked=True,
      attrs={"message": Attr("str"), "shape": Attr("shape"), "dtype": Attr("dtype")},
      doc="no_kernel(x): a value of `shape` / `dtype` computed from x by an op with no kernel: running it is an "
          "error (`message`); a graph that does not need it runs")


def _no_kernel(xp, x, message, shape, dtype):
    raise DifferentiationError(message, op=NO_KERNEL)


impl_rules[NO_KERNEL] = _no_kernel
