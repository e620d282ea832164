"""The incomplete gamma and beta families (and erfc, lgamma, digamma, nextafter) through jax.export: kept whole, not as JAX's
inlined forms.

JAX lowers lax.igamma / igammac (jax.scipy.special.gammainc / gammaincc, the gamma distribution's
cdf / sf) and igamma_grad_a to StableHLO while loops whose trip count is data (a series or continued
fraction run to convergence): nothing in the module says "igamma" any more. (lax.random_gamma_grad is a
Python function in JAX 0.10, not a primitive: its loops arrive as loops and are refused as such.)
from_jax exports through `export()`, which lowers those primitives as `stablehlo.composite
"gradserve.<primitive>"` ops (their decomposition: JAX's own lowering, so the module still computes
what JAX computes); the importer maps the composite's name (`COMPOSITE_OPS`) to the engine op, or
refuses it naming why (`REFUSED`).

The override is local to that export: JAX's per-call lowering rules (jax.export's _override_lowering_rules,
carried in the lowering parameters, which are part of JAX's lowering cache key), also for the VJPs exported
from it. JAX's lowering table is never touched, so another thread's jit or export meanwhile lowers these
primitives as JAX does (tests/importers/test_zoo18.py runs one beside an export).
"""
from __future__ import annotations

import dataclasses
import threading

PREFIX = "gradserve."
# composite name -> engine op (elementwise, operands (a, x))
# (nextafter: JAX lowers it to bit manipulation of the float's pattern, which the graph has no view of)
COMPOSITE_OPS = {"gradserve.igamma": "igamma", "gradserve.igammac": "igammac", "gradserve.igamma_grad_a": "igamma_da",
                 "gradserve.nextafter": "nextafter"}
# composite name -> engine op of three operands (a, b, x): jax.scipy.special.betainc lowers to a while loop run
# to convergence (a continued fraction), which needs while_max_trips otherwise
TERNARY_OPS = {"gradserve.regularized_incomplete_beta": "betainc"}
REFUSED: dict[str, str] = {}  # composite name -> why it cannot be imported (none at present)
# composite name of a one-operand special function (jax_import maps it to torch_special's composition)
UNARY_COMPOSITES = {"gradserve.erfc", "gradserve.lgamma", "gradserve.digamma"}

_inside = threading.local()  # lowering a composite's decomposition (in this thread): JAX's own rule
_rules: tuple = ()  # (primitive, rule) pairs, made once


def _primitives():
    from jax import lax

    # erfc: JAX inlines a rational approximation whose untaken branch divides by x, so its derivative is
    # nan at 0 (jax.nn.gelu(approximate=False) is x erfc(-x / sqrt 2) / 2); kept whole it imports as erfc
    return {"igamma": lax.igamma_p, "igammac": lax.igammac_p, "igamma_grad_a": lax.igamma_grad_a_p,
            "erfc": lax.erfc_p, "nextafter": lax.nextafter_p,
            # lgamma / digamma: the legalised forms' untaken branches have infinite derivatives (lgamma's gradient
            # was nan from x ~ 8 on: every Poisson / gamma / Beta log-likelihood); kept whole, their derivatives are
            # those of torch_special's float64 compositions (digamma, trigamma)
            "lgamma": lax.lgamma_p, "digamma": lax.digamma_p,
            "regularized_incomplete_beta": lax.regularized_incomplete_beta_p}


def _composite_rule(name: str, prim, original):
    """Lowering of `prim` as a composite named gradserve.<name> around JAX's own lowering `original`."""
    from jax import lax
    from jax._src.interpreters import mlir

    def rule(ctx, *args, **params):
        if getattr(_inside, "depth", 0):  # the composite's decomposition: JAX's lowering
            return original(ctx, *args, **params)

        def decomposition(*xs):
            return prim.bind(*xs, **params)

        _inside.depth = 1
        try:
            return mlir.lower_fun(lax.composite(decomposition, name=PREFIX + name), multiple_results=False)(
                ctx, *args)
        finally:
            _inside.depth = 0
    return rule


def _override_rules() -> tuple:
    global _rules
    if not _rules:
        from jax._src.interpreters import mlir

        _rules = tuple((prim, _composite_rule(name, prim, mlir._lowerings[prim].rule))
                       for name, prim in _primitives().items() if prim in mlir._lowerings)
    return _rules


def export(fn, call_args: tuple, platforms=None):
    """jax.export of jit(fn) at `call_args` with the special primitives kept whole, in this export only;
    its .vjp() (and theirs) exported the same way."""
    import jax
    from jax import export as jexport

    exp = jexport.export(jax.jit(fn), platforms=platforms, _override_lowering_rules=_override_rules())(*call_args)

    def flat(*leaves):
        args, kwargs = exp.in_tree.unflatten(leaves)
        return jax.tree_util.tree_leaves(fn(*args, **kwargs))
    return dataclasses.replace(exp, _get_vjp=lambda e: _export_vjp(flat, e))


def _export_vjp(flat, exp):
    """The VJP of `exp` (computed by the flat function `flat`), as JAX's Exported.vjp builds it: a function of the
    primal inputs and the output cotangents, giving the input cotangents."""
    import jax

    n = len(exp.in_avals)

    def vjp_fun(*xs_cts):
        return jax.vjp(flat, *xs_cts[:n])[1](list(xs_cts[n:]))
    avals = list(exp.in_avals) + [a.to_tangent_aval() for a in exp.out_avals]
    return export(vjp_fun, tuple(avals), platforms=exp.platforms)
