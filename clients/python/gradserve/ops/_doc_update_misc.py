"""More MindSpore 2.10 primitives of its documented examples: SGD (the momentum update, Parameters assigned in
place as MindSpore's), padding, UpsampleNearest3D (ops.interpolate's nearest mode), FFTWithSize (ops.fftn /
ifftn / rfftn / irfftn over the last signal_ndim axes) and MatrixLogarithm (complex matrices, on the host: no
gradient in MindSpore either; ops.operations.math_ops has it through `from .. import *`)."""
from __future__ import annotations

import numpy as np

from .._late import late
from .._tensor import Tensor
from .._calling_errors import input_dtype_error, tensor_type
from ._assign import assign

__all__ = ["SGD", "padding", "UpsampleNearest3D", "FFTWithSize", "MatrixLogarithm"]


class SGD:
    """ops.SGD(dampening=0.0, weight_decay=0.0, nesterov=False)(parameters, gradient, learning_rate, accum,
    momentum, stat): MindSpore's CPU kernel, element-wise: g = gradient + weight_decay * parameters; where
    stat > 0 (a first step) accum = g, else accum = momentum * accum + (1 - dampening) * g; parameters -=
    learning_rate * (g + momentum * accum if nesterov else accum); stat becomes 0. Returns parameters."""

    def __init__(self, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and dampening != 0:
            raise ValueError(f"For 'SGD', 'dampening' must be 0 when 'nesterov' is True, got {dampening}")
        self.dampening, self.weight_decay, self.nesterov = float(dampening), float(weight_decay), bool(nesterov)

    def __call__(self, parameters, gradient, learning_rate, accum, momentum, stat):
        ops = late.ops
        g = gradient
        if self.weight_decay > 0:
            g = ops.add(g, ops.mul(parameters, self.weight_decay))
        first = ops.greater(stat, Tensor(np.zeros((), stat._dtype)))
        moved = ops.add(ops.mul(accum, momentum), ops.mul(g, 1.0 - self.dampening))
        new_accum = assign(accum, ops.select(first, ops.broadcast_to(g, tuple(accum.shape)), moved))
        assign(stat, ops.zeros_like(stat))
        step = ops.add(g, ops.mul(new_accum, momentum)) if self.nesterov else new_accum
        return assign(parameters, ops.sub(parameters, ops.mul(step, learning_rate)))


def padding(x, pad_dim_size=8):
    """x [..., 1] widened to [..., pad_dim_size]: x's value first, zeros after (differentiable in x)."""
    if not isinstance(x, Tensor) or x.ndim < 1 or int(x.shape[-1]) != 1:
        raise ValueError(f"For 'padding', x must be a Tensor whose last dimension is 1, got "
                         f"{list(getattr(x, 'shape', [])) if isinstance(x, Tensor) else type(x).__name__}")
    if isinstance(pad_dim_size, bool) or not isinstance(pad_dim_size, int) or pad_dim_size < 1:
        raise ValueError(f"For 'padding', 'pad_dim_size' must be a positive int, got {pad_dim_size!r}")
    return late.ops.pad(x, (0, pad_dim_size - 1))


class UpsampleNearest3D:
    """ops.UpsampleNearest3D()(x [N, C, D, H, W], output_size=None, scales=None): nearest-neighbour
    resampling (source index floor(i * in / out)) to output_size or by scales."""

    def __call__(self, x, output_size=None, scales=None):
        if (output_size is None) == (scales is None):
            raise ValueError("For 'UpsampleNearest3D', exactly one of 'output_size' and 'scales' must be given")
        if len(x.shape) != 5:
            raise ValueError(f"For 'UpsampleNearest3D', x must be 5-D [N, C, D, H, W], got {list(x.shape)}")
        if output_size is None:
            output_size = [int(np.floor(n * float(s))) for n, s in zip(x.shape[2:], scales or ())]
        return late.ops.interpolate(x, size=tuple(int(v) for v in output_size), mode="nearest")


class FFTWithSize:
    """ops.FFTWithSize(signal_ndim, inverse, real, norm='backward', onesided=True, signal_sizes=())(x): the
    (inverse, real) FFT over the last signal_ndim axes."""

    def __init__(self, signal_ndim, inverse, real, norm="backward", onesided=True, signal_sizes=()):
        if signal_ndim not in (1, 2, 3):
            raise ValueError(f"For 'FFTWithSize', 'signal_ndim' must be 1, 2 or 3, got {signal_ndim!r}")
        if norm not in ("backward", "forward", "ortho"):
            raise ValueError(f"For 'FFTWithSize', 'norm' must be 'backward', 'forward' or 'ortho', got {norm!r}")
        self.ndim, self.inverse, self.real, self.norm = int(signal_ndim), bool(inverse), bool(real), norm
        self.onesided, self.signal_sizes = bool(onesided), tuple(int(v) for v in signal_sizes)

    def __call__(self, x):
        ops = late.ops
        dims = tuple(range(-self.ndim, 0))
        if not self.real or not self.onesided:
            fn = ops.ifftn if self.inverse else ops.fftn
            return fn(x, dim=dims, norm=self.norm)
        if not self.inverse:
            return ops.rfftn(x, dim=dims, norm=self.norm)
        sizes = self.signal_sizes[-self.ndim:] if self.signal_sizes else None
        if sizes is None and x.shape and x.shape[-1] == 1:  # (no output length to infer: MindSpore 2.10's refusal)
            raise ValueError("For 'FFTWithSize', the last dimension of the input cannot be 1, but got: 1")
        return ops.irfftn(x, s=sizes, dim=dims, norm=self.norm)


class MatrixLogarithm:
    """ops.MatrixLogarithm()(x) (also ops.operations.math_ops'): the principal logarithm of each square
    complex64 / complex128 matrix of x [..., n, n], V diag(log w) V^-1 from NumPy's eigendecomposition on the
    client (a value of the trace, read when traced). A matrix whose eigenvectors are near-dependent (a defective one, which MindSpore's Schur
    method handles) is refused rather than answered wrongly. No gradient (MindSpore 2.10 defines none)."""

    _COND_LIMIT = 1e8  # beyond it the eigenbasis cannot carry the logarithm to float precision

    def __call__(self, x):
        if not isinstance(x, Tensor) or x._dtype not in ("complex64", "complex128"):
            raise input_dtype_error("MatrixLogarithm", "x", ("complex128", "complex64"), tensor_type(x))
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"For 'MatrixLogarithm', x must be [..., n, n], got shape {list(x.shape)}")
        a = np.asarray(x._concrete("MatrixLogarithm's input (its logarithm is computed on the client)"))
        w, v = np.linalg.eig(a.astype(np.complex128))
        if a.size and np.max(np.linalg.cond(v)) > self._COND_LIMIT:
            raise ValueError("For 'MatrixLogarithm', a matrix of x is defective (its eigenvectors are nearly "
                             "dependent): not supported by gradserve")
        out = (v * np.log(w)[..., None, :]) @ np.linalg.inv(v)
        return Tensor(out.astype(a.dtype))
