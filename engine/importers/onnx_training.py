"""ONNX's ai.onnx.preview.training optimizer steps (Adagrad, Momentum, Adam): one update of each tensor group
(X..., G..., state...) by the formulas of ONNX's Operators.md, composed from elementwise engine ops, so a gradient
reaches every input. Only the ops named in TRAINING are accepted from that domain (onnx_graph refuses the rest,
Gradient among them: it names a differentiation ONNX leaves to the runtime)."""
from __future__ import annotations

from .graph_writer import UnsupportedModel

DOMAIN = "ai.onnx.preview.training"
TRAINING: dict = {}


def _groups(node, k: int) -> list[list[str]]:
    """The inputs after R and T as k lists of n (X..., G..., then each state)."""
    rest = list(node.input[2:])
    if not rest or len(rest) % k:
        raise UnsupportedModel(f"{node.op_type} node {node.name!r}: {len(rest)} inputs after R and T, not a multiple "
                               f"of {k}")
    n = len(rest) // k
    return [rest[i * n:(i + 1) * n] for i in range(k)]


def _step(ctx, node, x: str):
    """(w, scalar(v), R, T, both in X's dtype, T > 0) for updating `x`."""
    w = ctx.w
    t = ctx.val(node.input[1])
    return (w, lambda v: w.scalar_like(v, x), w.cast(ctx.val(node.input[0]), w.dtype(x)), w.cast(t, w.dtype(x)),
            w.binary("greater", t, w.scalar_like(0, t)))


def _adagrad(ctx, node, attrs):
    xs, gs, hs = _groups(node, 3)
    new_x, new_h = [], []
    for x, g, h in zip(*([ctx.val(n) for n in names] for names in (xs, gs, hs))):
        w, s, r, t, _ = _step(ctx, node, x)
        g = w.add(w.mul(s(attrs.get("norm_coefficient", 0.0)), x), g)  # the L2 term's gradient added
        rate = w.div(r, w.add(s(1.0), w.mul(t, s(attrs.get("decay_factor", 0.0)))))
        h2 = w.add(h, w.mul(g, g))
        new_x.append(w.sub(x, w.div(w.mul(rate, g), w.add(w.unary("sqrt", h2), s(attrs.get("epsilon", 0.0))))))
        new_h.append(h2)
    return new_x + new_h


def _momentum(ctx, node, attrs):
    xs, gs, vs = _groups(node, 3)
    mode = attrs.get("mode", "standard")
    if mode not in ("standard", "nesterov"):
        raise UnsupportedModel(f"Momentum node {node.name!r}: mode {mode!r} (standard or nesterov)")
    alpha, beta = attrs["alpha"], attrs["beta"]
    new_x, new_v = [], []
    for x, g, v in zip(*([ctx.val(n) for n in names] for names in (xs, gs, vs))):
        w, s, r, _, pos = _step(ctx, node, x)
        g = w.add(w.mul(s(attrs.get("norm_coefficient", 0.0)), x), g)
        v2 = w.add(w.mul(s(alpha), v), w.mul(w.where(pos, s(beta), s(1.0)), g))  # no damping on the first step
        d = v2 if mode == "standard" else w.add(g, w.mul(s(alpha), v2))
        new_x.append(w.sub(x, w.mul(r, d)))
        new_v.append(v2)
    return new_x + new_v


def _adam(ctx, node, attrs):
    xs, gs, vs, hs = _groups(node, 4)
    alpha, beta = attrs.get("alpha", 0.9), attrs.get("beta", 0.999)
    new_x, new_v, new_h = [], [], []
    for x, g, v, h in zip(*([ctx.val(n) for n in names] for names in (xs, gs, vs, hs))):
        w, s, r, t, pos = _step(ctx, node, x)
        g = w.add(w.mul(s(attrs.get("norm_coefficient", 0.0)), x), g)
        v2 = w.add(w.mul(s(alpha), v), w.mul(s(1 - alpha), g))
        h2 = w.add(w.mul(s(beta), h), w.mul(s(1 - beta), w.mul(g, g)))
        # bias correction from the second step on; the first-step denominator 1 - alpha**0 = 0 is kept out of
        # the untaken branch (its gradient would be 0 * inf)
        den = w.where(pos, w.sub(s(1.0), w.binary("pow", s(alpha), t)), s(1.0))
        corr = w.div(w.unary("sqrt", w.sub(s(1.0), w.binary("pow", s(beta), t))), den)
        rate = w.where(pos, w.mul(r, corr), r)
        step = w.div(v2, w.add(w.unary("sqrt", h2), s(attrs.get("epsilon", 1e-6))))
        new_x.append(w.mul(s(1 - attrs.get("norm_coefficient_post", 0.0)), w.sub(x, w.mul(rate, step))))
        new_v.append(v2)
        new_h.append(h2)
    return new_x + new_v + new_h


TRAINING.update(Adagrad=_adagrad, Momentum=_momentum, Adam=_adam)
