"""The ops' shape rules (engine/shape_rules.py, shared with the SDK) as the engine uses them:
AVal results and the engine's ShapeError. Plus the helpers derivative rules share."""
from __future__ import annotations

import functools

from .. import shape_rules as R
from ..errors import ShapeError
from ..ir import AVal, is_complex


def _engine_errors(fn):
    @functools.wraps(fn)
    def run(*args, **kw):
        try:
            return fn(*args, **kw)
        except R.RuleError as e:
            raise ShapeError(e.message, **e.detail) from None
    return run


def rule_infer(name: str):
    """The infer of op `name`: its shared rule, with AVal outputs and engine errors."""
    fn = _engine_errors(R.RULES[name])

    def infer(avals, **attrs):
        return [AVal(tuple(s), d) for s, d in fn(avals, **attrs)]
    return infer


broadcast_shapes = _engine_errors(R.broadcast_shapes)
same_dtype = _engine_errors(R.same_dtype)
norm_axes = _engine_errors(R.norm_axes)
norm_axis = _engine_errors(R.norm_axis)
check_broadcasts_to = _engine_errors(R.check_broadcasts_to)
parse_index = _engine_errors(R.parse_index)
split_bounds = _engine_errors(R.split_bounds)
reduced_shape = R.reduced_shape
tile_shapes = R.tile_shapes


def elementwise(op: str, avals: list[AVal], *, out_dtype: str | None = None, float_only: bool = False) -> list[AVal]:
    return [AVal(s, d) for s, d in _engine_errors(R.elementwise)(op, avals, out_dtype=out_dtype,
                                                                   float_only=float_only)]


def keep_axes(b, v, x, axes: tuple[int, ...]):
    """Reshape a value reduced over `axes` of `x` so it broadcasts against `x` (re-insert the axes)."""
    return b.reshape(v, shape=reduced_shape(x.shape, axes, True))


def complex_array(xp, x) -> bool:
    """Whether a backend array is complex (a dtype comparison: ~0.5 us, where xp.isdtype costs ~3 us)."""
    return x.dtype in (xp.complex64, xp.complex128)


def conj(b, v):
    """conj(v) for a complex value, v itself for a real one. Reverse-mode rules multiply cotangents by
    the conjugate of a primal factor (MindSpore's convention: the gradient of a real loss L is
    dL/dRe + i dL/dIm), so a real graph's derivative is unchanged."""
    return b.conj(v) if v is not None and is_complex(v.dtype) else v
