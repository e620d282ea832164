"""jax.scipy.special.expn / exp1 / expi exported with each series run on its own domain only.

JAX computes E_n(x) by jnp.piecewise over a power series (its `_expn1`, used for 0 < x <= 1) and a continued
fraction (`_expn2`, x > 1), each a while loop run to convergence. expn is vectorized, so the piecewise's switch
becomes a select of both branches, each run on every element, and the loop's trip count is that of the slowest
element, one whose result is thrown away: in float64 the power series at x = 80 needs 214 trips and the continued
fraction at x = 0.1 needs 1,693 (float32: 168 / 415), so an import bounded by while_max_trips=200 stopped with
limit_exceeded. While from_jax exports, `own_domains()` feeds each series the elements it keeps (the others moved
to a point of its domain); kept elements are computed by JAX's own code. The rules (expi's exp(x) / x, expn's
-E_{n-1}) are JAX's and untouched.

In float64 the continued fraction itself needs 180-207 trips for x in (1, 1.1] (n = 1-5; 143 at 1.5), so there the
power series takes x up to 1.5 (<= 22 trips; within 5e-15 of SciPy, measured at n = 1-5; the continued fraction then
needs <= 143). float32 keeps JAX's split at 1 (its continued fraction needs <= 55 trips, the series loses digits).

Why not local: JAX's expn looks `_expn1` / `_expn2` up as module globals while it traces, and JAX has no hook to
substitute a library function's callee for one trace; a rewrite of the traced jaxpr could shorten the loops but not
move (1, 1.5] from one branch to the other. So the two names are replaced once, process-wide, by dispatchers that
call JAX's own functions unless this thread is inside own_domains (a thread-local flag): another thread's JAX code
runs JAX's functions. JAX's jit caches are cleared around such an export, so neither trace is reused by the other
(another thread tracing expn during the export may still cache our trace: the same values, the kept elements of
(1, 1.5] in float64 within 5e-15 of JAX's). Only a function whose jaxpr runs one of those loops is re-traced.
"""
from __future__ import annotations

import contextlib
import threading

_BRANCHES = ("_expn1", "_expn2")
_F64_SPLIT = 1.5  # float64: the power series up to here (see the module doc)
_local = threading.local()
_install_lock = threading.Lock()
_DISPATCHERS: set = set()  # ours, installed in JAX's module (once)


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


def _series_on_domain(series, fraction):
    """JAX's power series (x <= 1 as JAX splits; float64 also (1, 1.5] where the fraction is called), each loop fed
    only its own elements (the others at x = 1 for the series, 2 for the fraction)."""
    import jax.numpy as jnp

    def split(x):
        return _F64_SPLIT if x.dtype == jnp.float64 else 1.0

    def expn1(x, n):
        if not getattr(_local, "active", False):
            return series(x, n)
        return series(jnp.where(x <= 1, x, jnp.ones_like(x)), n)

    def expn2(x, n):
        if not getattr(_local, "active", False):
            return fraction(x, n)
        two = jnp.full_like(x, 2.0)
        if split(x) == 1.0:
            return fraction(jnp.where(x > 1, x, two), n)
        near = (x <= _F64_SPLIT) & (n >= 1)  # (JAX gives x > 1 to the fraction for n = 0 too: not a series case)
        by_fraction = fraction(jnp.where((x > 1) & ~near, x, two), n)
        by_series = series(jnp.where(near, x, jnp.ones_like(x)), jnp.where(near, n, jnp.ones_like(n)))
        return jnp.where(near, by_series, by_fraction)
    _DISPATCHERS.update((expn1, expn2))
    return expn1, expn2


def _install(special) -> bool:
    with _install_lock:
        current = [getattr(special, name, None) for name in _BRANCHES]
        if None in current:
            return False
        if not all(f in _DISPATCHERS for f in current):
            special._expn1, special._expn2 = _series_on_domain(*current)
        return True


@contextlib.contextmanager
def own_domains(fn, call_args: tuple):
    """While active in this thread, JAX's expn series each run on the elements they keep (see the module doc)."""
    import jax
    from jax._src.scipy import special

    if not _install(special) or not _runs_series(jax.make_jaxpr(fn)(*call_args).jaxpr):
        yield
        return
    jax.clear_caches()
    _local.active = True
    try:
        yield
    finally:
        _local.active = False
        jax.clear_caches()
