"""Ops defined once, as a graph of existing ops (a composite).

`defcomposite(name, arity, build)` registers an op from build(b, *inputs, **attrs), which
emits existing ops into a Builder. From that one definition come:
  - (the shape rule is the op's rule in engine/shape_rules.py, shared with the SDK);
  - the kernel: the built graph run op by op with the backend's namespace (one node in
    the caller's graph, no new math to keep in step);
  - the vjp / jvp rules: the built graph inlined into the caller's derivative and
    differentiated op by op (reverse: `autodiff.backward`, forward: `autodiff.expand_jvp`),
    so derivatives are graphs of existing ops and differentiate again to any order.
The derivative recomputes the composite's forward pieces it needs (as a hand rule would).
Built graphs are cached per (op, input avals, attributes).
"""
from __future__ import annotations

import functools
from typing import Callable

from ..ir import AVal, Graph, Var, carries, is_inexact
from ._infer import rule_infer
from .registry import defop, impl_rules, jvp_rules, layers, vjp_rules


def defcomposite(name: str, arity: int | None, build: Callable, *, attrs=None, min_arity: int = 0, doc: str = "",
                 n_outputs: int | None = 1, nondiff: bool = False, **flags):
    defop(name, arity, rule_infer(name), attrs=attrs, min_arity=min_arity, n_outputs=n_outputs, nondiff=nondiff,
          doc=doc, **flags)
    _BUILDS[name] = build
    impl_rules[name] = functools.partial(_impl, name)
    vjp_rules[name] = functools.partial(_vjp, name)
    jvp_rules[name] = functools.partial(_jvp, name)


_BUILDS: dict[str, Callable] = {}
COMPOSITES = _BUILDS.keys()  # the names of the ops defined as composites (vmap batches their graphs)


_CACHE: dict[tuple, Graph] = {}
_CACHE_MAX = 1024


def _graph(name: str, avals: tuple, attrs: dict) -> Graph:
    key = (name, avals, layers.attrs_key(attrs))
    g = _CACHE.get(key)
    if g is None:
        b = layers.Builder()
        ins = [Var(a, f"in{i}") for i, a in enumerate(avals)]
        outs = _BUILDS[name](b, *ins, **attrs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        g = Graph(ins, [], b.eqns, tuple(outs) if len(outs) > 1 else outs[0], name=name)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = g
    return g


def dtype_name(dtype) -> str:
    """'float32' for a NumPy, PyTorch ('torch.float32') or array-api-strict dtype."""
    return str(dtype).rsplit(".", 1)[-1]


def run_flat(xp, g: Graph, arrays):
    """Evaluate a flat graph op by op with the backend's kernels (a composite's graph, a switch_run branch)."""
    env = {v.id: a for v, a in zip(g.inputs, arrays)}
    for e in g.eqns:
        r = impl_rules[e.op](xp, *[env[x.id] for x in e.inputs], **e.attrs)
        for o, val in zip(e.outputs, r if len(e.outputs) > 1 else (r,)):
            env[o.id] = val
    outs = [env[v.id] for v in g.flat_outputs]
    return tuple(outs) if len(outs) > 1 else outs[0]


def _impl(name, xp, *arrays, **attrs):
    g = _graph(name, tuple(AVal(tuple(a.shape), dtype_name(a.dtype)) for a in arrays), attrs)
    return run_flat(xp, g, arrays)


def _inline_marked(b, name, ins, attrs):
    """The composite re-emitted from fresh identity marks (so CSE cannot reuse other values
    and its equations are exactly those after `start`)."""
    g = _graph(name, tuple(x.aval for x in ins), attrs)
    marks = [b.identity(x) if carries(x.dtype, b.int_grads) else x for x in ins]
    start = len(b.eqns)
    outs = layers.inline(b, g, marks, {})
    return marks, outs, b.eqns[start:]


def _vjp(name, b, ins, outs, cts, **attrs):
    # under grad's int_grads (MindSpore's rule) integer operands carry one too: pad / clip of an int32 Tensor
    # pass the int32 cotangent back, as concat and slicing do
    ints = b.int_grads
    marks, fouts, fwd = _inline_marked(b, name, ins, attrs)
    wrt = [m for m, x in zip(marks, ins) if carries(x.dtype, ints)]
    grads = iter(layers.backward(b, fwd, fouts, list(cts), wrt, f"{name} (composite)", ints))
    return [next(grads) if carries(x.dtype, ints) else None for x in ins]


def _jvp(name, b, ins, outs, ts, **attrs):
    g = _graph(name, tuple(x.aval for x in ins), attrs)
    pos = [i for i, (x, t) in enumerate(zip(ins, ts)) if t is not None and is_inexact(x.dtype)]
    if not pos:
        return [None] * len(outs)
    res = layers.expand_jvp(b, g, list(ins) + [ts[i] for i in pos], {"positions": tuple(pos)}, {}, 0,
                     f"{name} (composite)")
    return res[len(res) // 2:]


def composite_graph(name: str, avals: tuple, attrs: dict) -> Graph:
    """The graph composite op `name` stands for, on these input avals and attributes."""
    return _graph(name, avals, attrs)
