"""_grad_ops / auto_generate.BatchNormGrad(is_training=False, epsilon=1e-5, data_format='NCHW')(dy, x, scale,
save_mean, save_variance, reserve) -> (dx, dscale, dbias): the backward of BatchNorm, composed from ops so that its
own gradient exists. MindSpore 2.10's CPU values (fitted in its venv): xhat = (x - mean) rstd with rstd =
rsqrt(variance + epsilon) per channel; dscale = sum(dy xhat), dbias = sum(dy) over the other axes; dx = scale rstd dy
in inference and scale rstd (dy - mean(dy) - xhat mean(dy xhat)) in training.

Its second derivative (MindSpore's BatchNormGradGrad) differentiates dx as if the mean were x's own batch mean and the
variance mean((x - save_mean)^2): both are written here as the given value plus (that statistic - its stopped value),
which leaves the values as given and matches MindSpore's gradient of dx in dy, x and scale (and its zeros in the
saved statistics and reserve)."""
from __future__ import annotations

from ._extra import P
from ._primitives import stop_gradient

__all__ = ["BatchNormGrad"]


class BatchNormGrad:
    """See the module's doc."""

    def __init__(self, is_training: bool = False, epsilon: float = 1e-5, data_format: str = "NCHW"):
        if data_format != "NCHW":  # MindSpore 2.10's CPU kernel stops on NHWC ("Memcpy_s error."): no value to match
            raise NotImplementedError(f"For 'BatchNormGrad', gradserve takes data_format 'NCHW' only (MindSpore's CPU "
                                      f"kernel as well), but got {data_format!r}")
        self.is_training, self.epsilon, self.data_format = bool(is_training), float(epsilon), data_format

    def __call__(self, dy, x, scale, save_mean, save_variance, reserve=None):
        nd = x.ndim
        axes = (0,) + tuple(range(2, nd))  # the channel axis is 1 ((N, C) or (N, C, ...))
        shape = (1, x.shape[1]) + (1,) * (nd - 2)
        mean, var = stop_gradient(P.reshape(save_mean, shape)), stop_gradient(P.reshape(save_variance, shape))
        s = P.reshape(scale, shape)
        if self.is_training:  # the statistics' dependence on x for the second derivative only (values unchanged)
            batch_mean = P.mean(x, axes, True)
            mean = P.add(mean, P.sub(batch_mean, stop_gradient(batch_mean)))
            spread = P.mean(P.square(P.sub(x, stop_gradient(P.reshape(save_mean, shape)))), axes, True)
            var = P.add(var, P.sub(spread, stop_gradient(spread)))
        rstd = P.rsqrt(P.add(var, self.epsilon))
        xhat = P.mul(P.sub(x, mean), rstd)
        dscale, dbias = P.sum(P.mul(dy, xhat), axes), P.sum(dy, axes)
        g = dy
        if self.is_training:
            g = P.sub(P.sub(dy, P.mean(dy, axes, True)), P.mul(xhat, P.mean(P.mul(dy, xhat), axes, True)))
        return P.mul(P.mul(s, rstd), g), dscale, dbias
