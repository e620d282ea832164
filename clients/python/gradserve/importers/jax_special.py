"""The incomplete gamma and beta families (and erfc, lgamma, digamma, nextafter) through jax.export: kept whole, not as JAX's
inlined forms.

JAX lowers lax.igamma / igammac (jax.scipy.special.gammainc / gammaincc, the gamma distribution's
cdf / sf) and igamma_grad_a to StableHLO while loops whose trip count is data (a series or continued
fraction run to convergence): nothing in the module says "igamma" any more. (lax.random_gamma_grad is a
Python function in JAX 0.10, not a primitive: its loops arrive as loops and are refused as such.)
While from_jax exports, `kept_whole()` lowers those primitives as `stablehlo.composite
"gradserve.<primitive>"` ops (their decomposition: JAX's own lowering, so the module still computes
what JAX computes); the importer maps the composite's name (`COMPOSITE_OPS`) to the engine op, or
refuses it naming why (`REFUSED`).

The override is JAX-global for the duration of one export, behind a lock; another thread lowering one
of these primitives meanwhile gets the composite, whose meaning is JAX's lowering unchanged.
"""
from __future__ import annotations

import contextlib
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

_lock = threading.Lock()
_inside = threading.local()


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


@contextlib.contextmanager
def kept_whole():
    """While active, the incomplete gamma primitives lower as named composites (see the module doc)."""
    from jax._src.interpreters import mlir

    with _lock:
        saved = {}
        for name, prim in _primitives().items():
            if prim not in mlir._lowerings:
                continue
            saved[prim] = mlir._lowerings[prim]  # JAX's entry (its rule and inline flag), put back as it was
            mlir.register_lowering(prim, _composite_rule(name, prim, saved[prim].rule))
        try:
            yield
        finally:
            for prim, entry in saved.items():
                mlir._lowerings[prim] = entry
