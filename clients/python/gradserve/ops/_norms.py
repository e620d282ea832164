"""p-norms: ops.Renorm / renorm (slices rescaled to a maximum norm) and ops.LpNorm, with a zero gradient
where a norm is 0 (values checked against MindSpore 2.10 on CPU when written)."""
from __future__ import annotations

from .._calling_errors import refuse_input_dtype
from ._axis_range import checked_axis
from ._extra import P, _real_or_abs
from ._math_more import full_like

__all__ = ["Renorm", "renorm", "LpNorm"]


def _p_norm(x, p: float, axes, keepdims: bool):
    """(sum |x|^p over axes)^(1/p), with a zero gradient (not NaN) where the sum is 0; real for complex x."""
    mag = P.abs(x)
    mag = P.real(mag) if mag._dtype.startswith("complex") else mag  # the engine's abs keeps complex's dtype
    s = P.sum(P.square(_real_or_abs(x, mag)) if p == 2 else P.pow(mag, float(p)), axes, keepdims)  # (see _real_or_abs)
    pos = P.greater(s, P.zeros_like(s))
    root = P.pow(P.select(pos, s, P.ones_like(s)), 1.0 / float(p))
    return P.select(pos, root, P.zeros_like(s))


def renorm(input, p, axis: int, maxnorm: float):  # noqa: A002
    """Each slice along `axis` whose p-norm exceeds maxnorm scaled to norm maxnorm (by maxnorm / (norm + 1e-7))."""
    if float(p) <= 0:
        raise ValueError(f"renorm: p must be > 0, got {p}")
    ax = checked_axis(axis, len(input.shape), RuntimeError,
                      "For 'Renorm, the attribute 'dim' must be in range [-{ndim}, {ndim}), but got {axis}")  # MindSpore 2.10's
    others = tuple(a for a in range(len(input.shape)) if a != ax)
    # a 1-D input: each slice one element, its norm |x| (an empty axes tuple would mean every axis)
    norm = _p_norm(input, p, others, True) if others else P.abs(input)
    scale = P.div(float(maxnorm), P.add(norm, 1e-7))
    over = P.greater(norm, full_like(norm, float(maxnorm)))
    factor = P.select(over, scale, P.ones_like(norm))
    return P.mul(input, factor if factor._dtype == input._dtype else P.cast(factor, input._dtype))


class Renorm:
    """ops.Renorm(p, dim, maxnorm)(input_x)."""

    def __init__(self, p: int, dim: int, maxnorm: float):
        self.p, self.dim, self.maxnorm = p, int(dim), float(maxnorm)

    def __call__(self, input_x):
        return renorm(input_x, self.p, self.dim, self.maxnorm)


class LpNorm:
    """ops.LpNorm(axis, p=2, keep_dims=False, epsilon=1e-12)(x): the p-norm over axis, at least epsilon
    (MindSpore's floor; the gradient is 0 there)."""

    def __init__(self, axis, p: int = 2, keep_dims: bool = False, epsilon: float = 1e-12):
        if isinstance(p, bool) or not isinstance(p, int):  # (MindSpore 2.10's checks and texts; p=inf gave NaN here)
            raise TypeError(f"For 'LpNorm', the type of 'p' should be 'int', but got type '{type(p).__name__}'.")
        if p < 0:
            raise ValueError(f"For 'LpNorm', the 'p' must be int and must >= 0, but got '{p}' with type 'int'.")
        self.axis = (int(axis),) if isinstance(axis, int) else tuple(int(a) for a in axis)
        self.p, self.keep_dims, self.epsilon = p, bool(keep_dims), float(epsilon)

    def __call__(self, input):  # noqa: A002
        refuse_input_dtype("LpNorm", "input", input, ("float16", "float32"), tensor_form=True)
        if self.p == 0:  # the count of nonzero elements, no epsilon floor, a zero gradient (MindSpore 2.10's)
            return P.sum(P.cast(P.not_equal(input, P.zeros_like(input)), input._dtype), self.axis, self.keep_dims)
        n = _p_norm(input, self.p, self.axis, self.keep_dims)
        eps = full_like(n, self.epsilon)
        return P.select(P.less(n, eps), eps, n)
