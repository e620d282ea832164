"""jax.scipy.special.expn / exp1 / expi exported with each series run on its own domain only.

JAX computes E_n(x) by jnp.piecewise over a power series (its `_expn1`, used for 0 < x <= 1) and a continued
fraction (`_expn2`, x > 1), each a while loop run to convergence. expn is vectorized, so the piecewise's switch
becomes a select of both branches, each run on every element, and the loop's trip count is that of the slowest
element, one whose result is thrown away: in float64 the power series at x = 80 needs 214 trips and the continued
fraction at x = 0.1 needs 1,693 (float32: 168 / 415), so an import bounded by while_max_trips=200 stopped with
limit_exceeded where every kept element converges in <= 22 / <= 209 trips. While from_jax exports, `own_domains()`
feeds each series the elements it keeps (the others moved to a point of its domain: x = 1 for the power series,
2 for the continued fraction); kept elements are computed by JAX's own code unchanged. The rules (expi's
exp(x) / x, expn's -E_{n-1}) are JAX's and untouched.

Scope: only a function whose jaxpr runs one of those loops is re-traced (JAX's jit caches are cleared around that
export, so neither the patched nor the unpatched trace leaks into the other); behind kept_whole's lock.
"""
from __future__ import annotations

import contextlib

_BRANCHES = ("_expn1", "_expn2")


def _runs_series(jaxpr) -> bool:
    from .jax_custom import _sub_jaxprs

    for e in jaxpr.eqns:
        if e.primitive.name == "while":
            tb = e.source_info.traceback
            if tb is not None and any(f.function_name in _BRANCHES for f in tb.frames):
                return True
        if any(_runs_series(inner) for inner in _sub_jaxprs(e)):
            return True
    return False


def _on_domain(branch, power_series: bool):
    import jax.numpy as jnp

    def run(x, n):
        one = jnp.ones_like(x)
        kept = (x <= one) if power_series else (x > one)
        return branch(jnp.where(kept, x, one if power_series else one + one), n)
    return run


@contextlib.contextmanager
def own_domains(fn, call_args: tuple):
    """While active, JAX's expn series each run on the elements they keep (see the module doc)."""
    import jax
    from jax._src.scipy import special

    originals = {name: getattr(special, name, None) for name in _BRANCHES}
    if None in originals.values() or not _runs_series(jax.make_jaxpr(fn)(*call_args).jaxpr):
        yield
        return
    jax.clear_caches()
    special._expn1 = _on_domain(originals["_expn1"], power_series=True)
    special._expn2 = _on_domain(originals["_expn2"], power_series=False)
    try:
        yield
    finally:
        for name, f in originals.items():
            setattr(special, name, f)
        jax.clear_caches()
