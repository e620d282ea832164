"""A JAX function with a custom derivative rule (jax.custom_vjp anywhere; jax.custom_jvp defined outside JAX itself, or
JAX's own around a while loop, lax.custom_root's or jnp.sinc's; an iterative lax.custom_linear_solve,
jax.scipy.sparse.linalg's; lax.stop_gradient called by the user's code) exports to StableHLO as its primal
computation only (stop_gradient leaves nothing in it): differentiating that would silently drop the user's rule
(round 14: PPO's advantages from stop_gradient(values) differentiated, 0.39 off jax.grad; round 16: custom_root and
cg, 0.05 and 0.08 off). Such a function imports as one engine `custom_vjp` node whose forward is the StableHLO and
whose reverse rule is JAX's own VJP of the function, exported too (Exported.vjp(), which applies the custom rules).
That VJP is itself wrapped the same way with its own VJP, RULE_ORDERS deep, so gradients, jvps (the rule's double
vjp) and second derivatives (Hessian-vector products) follow the user's rule as jax.grad does; beyond that the
innermost VJP is differentiated as written (its custom parts as their primals)."""
from __future__ import annotations

import os

from ._shared.graph_writer import GraphWriter, UnsupportedModel

RULE_ORDERS = 2  # derivative orders that keep the custom rules (each doubles the imported graph)


def _user_jvp(eqn, jax_dir: str) -> bool:
    info = getattr(eqn.params.get("jvp_jaxpr_fun"), "debug_info", None)
    src = str(getattr(info, "func_src_info", "") or "")
    path = src.rsplit(" at ", 1)[-1]
    return not path.startswith(jax_dir)  # unknown origin: treated as the user's (the safe side)


def _loops(jaxpr, kinds=("while",)) -> bool:
    """Whether a jaxpr runs a loop of one of these kinds (at any depth)."""
    return any(e.primitive.name in kinds or any(_loops(j, kinds) for j in _sub_jaxprs(e)) for e in jaxpr.eqns)


def _iterative_solve(eqn) -> bool:
    """A lax.custom_linear_solve whose solve iterates (jax.scipy.sparse.linalg's cg / gmres / bicgstab, a user's
    Jacobi sweeps): its rule is the solve again (transposed), its loop differentiated as written another derivative
    wherever it stops short. jnp.linalg.solve's (LU, triangular solves) is exact: its written derivative is the
    rule's."""
    return any(_loops(j, ("while", "scan")) for j in _sub_jaxprs(eqn))


def _sub_jaxprs(eqn):
    """The jaxprs inside an equation: ClosedJaxprs (scan, cond, pjit, custom calls) and bare Jaxprs (jax.checkpoint's
    remat2, shard_map). Round 25: a bare one was skipped, so a custom_vjp under jax.checkpoint imported with its
    primal's derivative (0.1 off the rule's per element)."""
    for v in eqn.params.values():
        for sub in v if isinstance(v, (tuple, list)) else (v,):
            inner = getattr(sub, "jaxpr", sub)  # ClosedJaxpr.jaxpr, or a Jaxpr itself
            if hasattr(inner, "eqns"):
                yield inner


def _jvp_rule(eqn, jax_dir: str) -> bool:
    """A custom_jvp whose rule the import must keep: the user's, or JAX's own around a while loop run to
    convergence (expi, expn, exp1: their series differentiated as written is the iteration's derivative, nan for
    expi at x > 0 from the untaken x < 0 branch; the rule is the closed form exp(x) / x). JAX's other rules
    (relu's at 0, logsumexp's) equal the written derivative where it exists and are not worth the doubled graph."""
    return _user_jvp(eqn, jax_dir) or _loops(eqn.params["call_jaxpr"].jaxpr) or _implicit(eqn, jax_dir)


def _implicit(eqn, jax_dir: str) -> bool:
    """JAX's own rules that are not the written derivative where it exists: lax.custom_root's (implicit
    differentiation at the root found; the solver's iterations differentiated as written are another derivative
    wherever the solve stops short: round 16, 2 Newton steps, an input gradient 0.05 off jax.grad's 0.55), and
    jnp.sinc's at 0 (its Maclaurin terms; the written primal there is the constant 1: second derivative 0, not
    -pi^2 / 3). (entr's x log x rule, kept this way, made a sweep model holding entr import in 57 s instead of 6:
    not kept; entr's gradient at 0 stays nan where JAX's is +inf.)"""
    info = getattr(eqn.params.get("jvp_jaxpr_fun"), "debug_info", None)
    name, _, where = str(getattr(info, "func_src_info", "") or "").rpartition(" at ")
    path = where.split(":", 1)[0]
    return path == os.path.join(jax_dir, "_src", "lax", "control_flow", "solves.py") or (
        name == "_sinc_maclaurin_jvp" and path.startswith(jax_dir))


def _user_stop_gradient(eqn, jax_dir: str) -> bool:
    """A lax.stop_gradient the user's code called (PPO's stop_gradient(values), a target network's): the frame that
    called into JAX for it is outside JAX. JAX's own (logsumexp's and log_softmax's max shift) cancel in the math and
    are not rules; a library's outside JAX (flax, optax) counts as the user's (the safe side)."""
    tb = eqn.source_info.traceback
    frames = list(tb.frames) if tb is not None else []  # innermost first
    for inner, outer in zip(frames, frames[1:]):
        if not outer.file_name.startswith(jax_dir):
            return inner.function_name == "stop_gradient"
    return not frames  # unknown origin: the user's


def _walk(jaxpr, jax_dir: str) -> bool:
    for e in jaxpr.eqns:
        name = e.primitive.name
        if name.startswith("custom_vjp_call") or (name.startswith("custom_jvp_call") and _jvp_rule(e, jax_dir)) or \
                (name == "stop_gradient" and _user_stop_gradient(e, jax_dir)) or \
                (name == "custom_linear_solve" and _iterative_solve(e)):
            return True
        if any(_walk(inner, jax_dir) for inner in _sub_jaxprs(e)):
            return True
    return False


def has_custom_rule(fn, call_args: tuple) -> bool:
    import jax

    return _walk(jax.make_jaxpr(fn)(*call_args).jaxpr, os.path.dirname(jax.__file__))


def forward_mode_refusal(fn, call_args: tuple) -> str:
    """Why forward mode through `fn`'s custom_vjp rules is not defined, or "": JAX refuses jvp through a custom_vjp and
    the engine's jvp (the rule's double vjp at dout = ones) is J t only for a rule linear in the cotangent (a
    gradient clip or a rule using dout twice is not: its double vjp is silently neither JAX's jacrev nor the
    forward's derivative). Linear means JAX can transpose the VJP of fn's float part (jax.linear_transpose, traced
    only; integer inputs fixed, integer outputs left out). custom_jvp / stop_gradient alone: "" (JAX's jvp exists)."""
    import jax
    import jax.numpy as jnp

    if not _loops(jax.make_jaxpr(fn)(*call_args).jaxpr, ("custom_vjp_call", "custom_vjp_call_jaxpr")):
        return ""
    leaves, tree = jax.tree_util.tree_flatten(call_args)
    floats = [i for i, a in enumerate(leaves) if jnp.issubdtype(jnp.result_type(a), jnp.inexact)]

    def on_floats(*xs):
        full = list(leaves)
        for i, x in zip(floats, xs):
            full[i] = x
        outs = jax.tree_util.tree_leaves(fn(*jax.tree_util.tree_unflatten(tree, full)))
        return [o for o in outs if jnp.issubdtype(o.dtype, jnp.inexact)]

    def transposed(*xs):
        out, vjp = jax.vjp(on_floats, *xs)
        return jax.linear_transpose(vjp, out)(xs) if out else None
    try:
        jax.make_jaxpr(transposed)(*[leaves[i] for i in floats])
    except Exception as e:  # noqa: BLE001 (JAX's refusal to transpose, whichever kind: the rule is not linear)
        return (f"the function's custom derivative rule is not linear in its cotangent (JAX cannot transpose its "
                f"VJP: {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}); JAX refuses "
                "forward mode through a custom_vjp (TypeError: can't apply forward-mode autodiff (jvp) to a "
                "custom_vjp function.): use reverse mode (grad, vjp)")
    return ""


def _vjp_of_vjp(vexp):
    """vexp.vjp(), or None where JAX cannot differentiate its own VJP (jax 0.10.2: exp1's and expn's second
    derivative fails in JAX's lowering, jax.hessian of them too): that VJP is then differentiated as written, as
    beyond RULE_ORDERS."""
    try:
        return vexp.vjp()
    except Exception:  # noqa: BLE001 (JAX's failure, whichever kind: the documented fallback)
        return None


def with_jax_vjp(w: GraphWriter, exp, leaves: list[str], outputs: list[str], run_module, order: int = 1,
                 vexp=None, no_jvp: str = "") -> list[str]:
    """`outputs` (computed from `leaves`) passed through a custom_vjp node whose rule is `vexp` (exp.vjp() unless
    given); `run_module(writer, exported, args)` converts an Exported's StableHLO (jax_import's); `no_jvp`:
    forward_mode_refusal's reason, kept on the node (the engine refuses forward mode through it)."""
    vexp = exp.vjp() if vexp is None else vexp
    if vexp is None:
        raise UnsupportedModel("the function has a custom derivative rule but its export carries no VJP")
    fw = w.function_writer(f"{w.name}_jax_vjp")
    xs = [fw.input(f"x{i}", *w.avals[v]) for i, v in enumerate(leaves)]
    fw_outs = [fw.input(f"out{j}", *w.avals[o]) for j, o in enumerate(outputs)]
    douts = [fw.input(f"dout{j}", *w.avals[o]) for j, o in enumerate(outputs)]
    del fw_outs  # the rule's signature has the outputs; JAX's VJP recomputes what it needs
    grads = run_module(fw, vexp, xs + douts)
    if len(grads) != len(xs):
        raise UnsupportedModel(f"JAX's VJP gives {len(grads)} cotangents for {len(xs)} inputs")
    inner = _vjp_of_vjp(vexp) if order < RULE_ORDERS else None
    if inner is not None:
        grads = with_jax_vjp(fw, vexp, xs + douts, grads, run_module, order + 1, inner)
    bprop = w.finish(fw, grads)
    attrs = {"bprop": bprop, "n_in": len(leaves), "n_out": len(outputs), "params": [], "site": 0}
    return w.emit("custom_vjp", list(leaves) + list(outputs), dict(attrs, no_jvp=no_jvp) if no_jvp else attrs,
                  [w.avals[o] for o in outputs])
