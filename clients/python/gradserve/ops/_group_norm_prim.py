"""MindSpore 2.10's generated primitive `ops.auto_generate.GroupNorm()(input, num_groups, weight, bias, eps=1e-5)`:
(y, mean, rstd), mean and rstd = 1 / sqrt(var + eps) per sample and group ([N, num_groups], var the biased
variance over the group's channels and positions). y is ops.group_norm's. MindSpore's bprop of it passes no
gradient through mean and rstd (its dx is y's alone: for sum(y**3) + 3 sum(mean) + 2 sum(rstd**2) MindSpore 2.10
gives x's gradient of sum(y**3), which JAX's through all three does not; PyTorch's aten.native_group_norm passes
none through them either); so mean and rstd are gradient-stopped here, statistics for the backward pass."""
from __future__ import annotations

from ._extra import P
from ._primitives import Primitive, stop_gradient
from ._raw_op_signatures import group_norm


class GroupNorm(Primitive):
    """GroupNorm()(input, num_groups, weight, bias, eps=1e-5) -> (y, mean, rstd)."""

    op = "group_norm"

    def __init__(self):
        super().__init__()

    def __call__(self, input, num_groups, weight=None, bias=None, eps=1e-5):  # noqa: A002 - MindSpore's names
        for t, what in ((weight, "weight"), (bias, "bias")):
            if t is None:  # (MindSpore 2.10's CPU kernel has no default for them)
                raise RuntimeError(f"The pointer[{what}_tensor] is null.")
        y = group_norm(input, num_groups, weight, bias, eps)  # (checks num_groups and the shapes)
        n = tuple(input.shape)[0]
        grouped = input.reshape((n, num_groups, -1))
        mean = grouped.mean(2, True)
        var = ((grouped - mean) * (grouped - mean)).mean(2)
        return y, stop_gradient(mean.reshape((n, num_groups))), stop_gradient(P.rsqrt(var + float(eps)))
